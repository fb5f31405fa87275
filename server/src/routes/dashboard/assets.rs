//! `/static/...`: the files of `web/static/` (the pinned htmx, the stylesheet),
//! embedded in the binary with rust-embed. Pages link them with `?v=` and the first
//! 12 hex digits of the file's SHA-256, so they can be cached for a year: a new
//! file is a new URL.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../web/static/"]
struct Static;

/// The `?v=` of a static file: a prefix of its SHA-256 (empty when absent).
#[must_use]
pub fn version(name: &str) -> String {
    Static::get(name)
        .map(|f| hex::encode(&f.metadata.sha256_hash()[..6]))
        .unwrap_or_default()
}

/// `GET /static/{file}`: the file with its content type, an ETag and a year of
/// caching; 404 for anything else.
pub async fn serve_static(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(file) = Static::get(path.as_str()) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, etag))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if matches {
        return response.finish();
    }
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    response
        .content_type(content_type)
        .body(file.data.into_owned())
}
