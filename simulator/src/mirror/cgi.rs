//! Running `git http-backend`, git's own CGI program for the smart HTTP protocol, on
//! one request: the CGI variables in, the body on its standard input, and its answer
//! (`Status:` and the other headers, then the body) read back.

use std::path::Path;

use super::{git_command, run, GitError};

/// A git request as the CGI program needs it.
#[derive(Debug, Default)]
pub(crate) struct CgiRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// What follows the repository in the path: `info/refs`, `git-upload-pack` or
    /// `git-receive-pack`.
    pub service_path: String,
    pub query: String,
    pub content_type: Option<String>,
    /// `Content-Encoding` of the body (git gzips large requests); the CGI program
    /// inflates it itself.
    pub content_encoding: Option<String>,
    /// The `Git-Protocol` header (`version=2`).
    pub git_protocol: Option<String>,
    /// Who is authenticated; git only accepts pushes when this is set.
    pub remote_user: Option<String>,
    pub body: Vec<u8>,
}

/// What the CGI program answered.
#[derive(Debug)]
pub(crate) struct CgiResponse {
    pub status: u16,
    /// The headers, `Status` excluded.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Runs `git http-backend` for `request` on the repository at `relative` (e.g.
/// `/owner/repo.git`) under `root`.
pub(super) fn run_cgi(
    root: &Path,
    relative: &str,
    request: &CgiRequest,
) -> Result<CgiResponse, GitError> {
    let mut command = git_command();
    command
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", format!("{relative}/{}", request.service_path))
        .env("QUERY_STRING", &request.query)
        .env("CONTENT_LENGTH", request.body.len().to_string());
    let optional = [
        ("CONTENT_TYPE", &request.content_type),
        ("HTTP_CONTENT_ENCODING", &request.content_encoding),
        ("HTTP_GIT_PROTOCOL", &request.git_protocol),
        ("REMOTE_USER", &request.remote_user),
    ];
    for (name, value) in optional {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    parse(&run(command, &request.body)?)
}

/// Splits a CGI answer into status, headers and body.
fn parse(out: &[u8]) -> Result<CgiResponse, GitError> {
    let crlf = find(out, b"\r\n\r\n").map(|at| (at, 4));
    let lf = find(out, b"\n\n").map(|at| (at, 2));
    let (end, gap) = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => return Err(GitError::new("git http-backend answered without headers")),
    };
    let head = String::from_utf8_lossy(&out[..end]);
    let mut status = 200;
    let mut headers = Vec::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            status = value
                .split_whitespace()
                .next()
                .and_then(|code| code.parse().ok())
                .unwrap_or(500);
        } else {
            headers.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    Ok(CgiResponse {
        status,
        headers,
        body: out[end + gap..].to_vec(),
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cgi_answer_is_split_into_status_headers_and_body() {
        let answer = parse(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 404);
        assert_eq!(
            answer.headers,
            [("Content-Type".to_owned(), "text/plain".to_owned())]
        );
        assert_eq!(answer.body, b"nope");
        let plain = parse(b"Content-Type: x\n\n\n\x01").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((plain.status, plain.body.as_slice()), (200, &b"\n\x01"[..]));
    }
}
