//! The GitHub REST client: octocrab with a configurable base URL, connect and read
//! timeouts, and no retries of its own (retries go through the job queue, so a POST
//! is never re-sent blindly). Rate limits close the client's gate (`limits`) until
//! GitHub allows the next request, and at most `github.max_concurrent_calls` calls
//! run at once per client, so per installation.
use std::time::Duration;

use octocrab::Octocrab;
use thiserror::Error;

use super::limits::{self, RateGate};
use crate::config::GitHubSettings;
use crate::domain::RepoRef;

/// How a GitHub call failed, in the terms callers branch on.
#[derive(Debug, Error)]
pub enum GitHubError {
    /// 404: the repository, issue or other target does not exist (or is hidden).
    #[error("not found: {0}")]
    NotFound(String),
    /// 401/403 without a rate limit, or 422: retrying the same request will not help.
    #[error("rejected ({status}): {message}")]
    Rejected {
        /// The HTTP status GitHub answered.
        status: u16,
        /// GitHub's message.
        message: String,
    },
    /// 5xx, timeouts and connection failures: a later retry may succeed.
    #[error("temporarily unavailable: {0}")]
    Transient(String),
    /// A rate limit: nothing is sent to GitHub before `retry_at`.
    #[error("rate limited until {retry_at}: {message}")]
    RateLimited {
        /// GitHub's message.
        message: String,
        /// When the next request may go.
        retry_at: chrono::DateTime<chrono::Utc>,
    },
}

/// A GitHub API client for one set of credentials.
#[derive(Clone, Debug)]
pub struct GitHubClient {
    crab: Octocrab,
    token: Option<crate::domain::Secret>,
    gate: RateGate,
    /// Calls in flight at once on these credentials (one installation's token).
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    /// Where the rate limit left after each answer goes (`/metrics`).
    rate_left: Option<prometheus::IntGauge>,
    /// Counts answers by status class (`/metrics`).
    calls: Option<prometheus::IntCounterVec>,
    /// `host:port` of the API, the only place a redirect with a body is followed to.
    api_authority: Option<String>,
    /// Set when GitHub answers 401 to an installation token (revoked or expired
    /// early): the token cache then issues a new one instead of handing this out.
    revoked: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl GitHubClient {
    /// Builds a client from settings.
    ///
    /// # Errors
    /// When the base URL is not a valid URI or the HTTP client cannot be built.
    pub fn new(settings: &GitHubSettings) -> anyhow::Result<Self> {
        let mut builder = Octocrab::builder()
            .base_uri(settings.api_url.as_str())?
            .set_connect_timeout(Some(Duration::from_millis(settings.connect_timeout_ms)))
            .set_read_timeout(Some(Duration::from_millis(settings.read_timeout_ms)))
            .set_write_timeout(Some(Duration::from_millis(settings.read_timeout_ms)));
        if let Some(token) = &settings.token {
            builder = builder.personal_token(token.expose().to_owned());
        }
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(
            settings.max_concurrent_calls.max(1),
        ));
        let api_authority = settings
            .api_url
            .parse::<http::Uri>()
            .ok()
            .and_then(|u| u.authority().map(|a| a.as_str().to_owned()));
        Ok(Self {
            crab: builder.build()?,
            token: settings.token.clone(),
            gate: RateGate::default(),
            permits,
            rate_left: None,
            calls: None,
            api_authority,
            revoked: None,
        })
    }

    /// The `Location` of a redirect, when it points at the API's own host.
    fn same_host_location(&self, response: &http::Response<impl Sized>) -> Option<http::Uri> {
        let location: http::Uri = response
            .headers()
            .get(http::header::LOCATION)?
            .to_str()
            .ok()?
            .parse()
            .ok()?;
        match location.authority() {
            None => Some(location),
            Some(authority) => {
                (Some(authority.as_str()) == self.api_authority.as_deref()).then_some(location)
            }
        }
    }

    /// Reports GitHub's `x-ratelimit-remaining` after each answer to `gauge`, and
    /// counts answers by status class in `calls`.
    #[must_use]
    pub fn with_metrics(
        mut self,
        gauge: prometheus::IntGauge,
        calls: prometheus::IntCounterVec,
    ) -> Self {
        self.rate_left = Some(gauge);
        self.calls = Some(calls);
        self
    }

    /// Marks this client as one on an installation token: a 401 then sets `flag`
    /// and is answered as transient, because a new token will do (see
    /// `Installations::client`).
    #[must_use]
    pub fn with_revocation_flag(
        mut self,
        flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Self {
        self.revoked = Some(flag);
        self
    }

    fn count(&self, class: &str) {
        if let Some(calls) = &self.calls {
            calls.with_label_values(&[class]).inc();
        }
    }

    /// The token git operations authenticate with (the same credentials).
    #[must_use]
    pub fn git_token(&self) -> Option<crate::domain::Secret> {
        self.token.clone()
    }

    /// Adds labels to an issue or pull request; returns all of its labels afterwards.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(name = "github.call", skip(self), fields(op = "add_labels", repo = %repo.full_name()))]
    pub async fn add_labels(
        &self,
        repo: &RepoRef,
        number: u64,
        labels: &[String],
    ) -> Result<Vec<String>, GitHubError> {
        let path = format!(
            "/repos/{}/{}/issues/{number}/labels",
            url_escape(&repo.owner),
            url_escape(&repo.name)
        );
        let all = self
            .rest(
                http::Method::POST,
                &path,
                Some(&serde_json::json!({ "labels": labels })),
            )
            .await?;
        Ok(all
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Runs one call unless a rate limit holds requests back, and holds them back
    /// when the call hits one.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, GitHubError>>,
    ) -> Result<T, GitHubError> {
        if let Some(until) = self.gate.closed_until(chrono::Utc::now()) {
            return Err(GitHubError::RateLimited {
                message: "waiting out an earlier rate limit; nothing was sent".into(),
                retry_at: until,
            });
        }
        // Closed only when the client is dropped, which cannot happen while borrowed.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| GitHubError::Transient(e.to_string()))?;
        let result = call.await;
        if let Err(GitHubError::RateLimited { retry_at, message }) = &result {
            tracing::warn!(%retry_at, %message, "GitHub rate limit: no request until then");
            self.gate.close_until(*retry_at);
        }
        if let (
            Err(GitHubError::Rejected {
                status: 401,
                message,
            }),
            Some(revoked),
        ) = (&result, &self.revoked)
        {
            tracing::warn!(%message, "GitHub refused the installation token: a new one is issued for the retry");
            revoked.store(true, std::sync::atomic::Ordering::SeqCst);
            return Err(GitHubError::Transient(format!("GitHub refused the installation token (401: {message}); a new token is issued for the retry")));
        }
        result
    }

    /// Creates a comment on an issue or pull request, at most once per `marker`: the
    /// marker (an HTML comment, invisible on GitHub) is appended to the body, and
    /// when `look_first` is set an existing comment carrying it is returned instead
    /// of writing again. Returns the comment id.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(name = "github.call", skip(self, body), fields(op = "create_comment", repo = %repo.full_name()))]
    pub async fn create_comment_once(
        &self,
        repo: &RepoRef,
        number: u64,
        body: &str,
        marker: &str,
        look_first: bool,
    ) -> Result<u64, GitHubError> {
        self.guarded(self.comment_once(repo, number, body, marker, look_first))
            .await
    }

    async fn comment_once(
        &self,
        repo: &RepoRef,
        number: u64,
        body: &str,
        marker: &str,
        look_first: bool,
    ) -> Result<u64, GitHubError> {
        let issues = self.crab.issues(&repo.owner, &repo.name);
        if look_first {
            let first = issues
                .list_comments(number)
                .per_page(100)
                .send()
                .await
                .map_err(classify)?;
            let all = self.crab.all_pages(first).await.map_err(classify)?;
            if let Some(earlier) = all
                .iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.contains(marker)))
            {
                tracing::info!(
                    comment = earlier.id.into_inner(),
                    "an earlier attempt already made this comment"
                );
                return Ok(earlier.id.into_inner());
            }
        }
        let path = format!(
            "/repos/{}/{}/issues/{number}/comments",
            url_escape(&repo.owner),
            url_escape(&repo.name)
        );
        let request = self
            .crab
            .build_request(
                http::Request::builder()
                    .method(http::Method::POST)
                    .uri(path),
                Some(&serde_json::json!({ "body": format!("{body}\n\n{marker}") })),
            )
            .map_err(classify)?;
        let (comment, _) = self.send_now(request).await?;
        comment["id"]
            .as_u64()
            .ok_or_else(|| unexpected_response(&"a comment without an id"))
    }
}

/// `text` (`GET`, `POST`, ...) as an HTTP method, for calls named by a string: a
/// plugin's, or one held for approval.
///
/// # Errors
/// [`GitHubError::Rejected`] when it is not a method.
pub fn method(text: &str) -> Result<http::Method, GitHubError> {
    http::Method::from_bytes(text.as_bytes()).map_err(|_| GitHubError::Rejected {
        status: 0,
        message: format!("bad method {text}"),
    })
}

impl GitHubClient {
    /// Sends one REST request to `path` (relative to the API base URL, query
    /// included) with an optional JSON body and returns the JSON answer (`null` for
    /// an empty one, such as 204).
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(name = "github.call", skip(self, body), fields(op = "rest"))]
    pub async fn rest(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, GitHubError> {
        // Every REST path, held ones replayed after an approval included, passes the
        // dot-segment gate (`github::path`).
        super::path::check(path).map_err(|e| GitHubError::Rejected {
            status: 0,
            message: e.to_string(),
        })?;
        let builder = http::Request::builder().method(method).uri(path);
        let request = self.crab.build_request(builder, body).map_err(classify)?;
        self.send(request).await
    }

    /// Uploads `data` as a release asset to the release's `upload_url` (which GitHub
    /// serves from another host) and returns the asset's JSON.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(name = "github.call", skip(self, data), fields(op = "upload"))]
    pub async fn upload(
        &self,
        upload_url: &str,
        name: &str,
        content_type: &str,
        data: Vec<u8>,
    ) -> Result<serde_json::Value, GitHubError> {
        let base = upload_url.split('{').next().unwrap_or(upload_url);
        let encoded: String = url_escape(name);
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("{base}?name={encoded}"))
            .header(http::header::CONTENT_TYPE, content_type)
            .body(octocrab::OctoBody::from(data))
            .map_err(|e| GitHubError::Rejected {
                status: 0,
                message: e.to_string(),
            })?;
        self.send(request).await
    }

    /// Downloads the bytes at `path` (redirects followed), refusing more than
    /// `max_bytes`.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help; `Rejected` when the body is
    /// larger than `max_bytes`.
    #[tracing::instrument(name = "github.call", skip(self), fields(op = "download"))]
    pub async fn download(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, GitHubError> {
        use http_body_util::BodyExt as _;
        let request = self
            .crab
            .build_request(
                http::Request::builder().method(http::Method::GET).uri(path),
                None::<&()>,
            )
            .map_err(classify)?;
        self.guarded(async {
            let response = self.crab.execute(request).await.map_err(classify)?;
            let response = octocrab::map_github_error(response)
                .await
                .map_err(classify)?;
            let limited = http_body_util::Limited::new(response.into_body(), max_bytes);
            let bytes = limited.collect().await.map_err(|e| GitHubError::Rejected {
                status: 200,
                message: format!("download failed or is over {max_bytes} bytes: {e}"),
            })?;
            Ok(bytes.to_bytes().to_vec())
        })
        .await
    }

    /// Downloads the bytes at `path` (redirects followed, as GitHub's log downloads
    /// answer 302 to storage elsewhere), keeping only the last `keep` of them: a body
    /// of any length is read through once and never held whole.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(name = "github.call", skip(self), fields(op = "download_tail"))]
    pub async fn download_tail(&self, path: &str, keep: usize) -> Result<Tail, GitHubError> {
        use http_body_util::BodyExt as _;
        super::path::check(path).map_err(|e| GitHubError::Rejected {
            status: 0,
            message: e.to_string(),
        })?;
        let request = self
            .crab
            .build_request(
                http::Request::builder().method(http::Method::GET).uri(path),
                None::<&()>,
            )
            .map_err(classify)?;
        self.guarded(async {
            let response = self.crab.execute(request).await.map_err(classify)?;
            self.count(&format!("{}xx", response.status().as_u16() / 100));
            let response = octocrab::map_github_error(response)
                .await
                .map_err(classify)?;
            let mut body = response.into_body();
            let mut tail = Tail::default();
            while let Some(frame) = body.frame().await {
                let frame = frame
                    .map_err(|e| GitHubError::Transient(format!("the download broke off: {e}")))?;
                if let Ok(data) = frame.into_data() {
                    tail.push(&data, keep);
                }
            }
            Ok(tail)
        })
        .await
    }

    /// Sends one REST request authenticated with `bearer` instead of the client's
    /// own credentials (the App JWT for the token exchange), with an optional JSON
    /// body.
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    #[tracing::instrument(
        name = "github.call",
        skip(self, bearer, body),
        fields(op = "rest_with_bearer")
    )]
    pub async fn rest_with_bearer(
        &self,
        method: http::Method,
        path: &str,
        bearer: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, GitHubError> {
        let builder = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::AUTHORIZATION, format!("Bearer {bearer}"));
        let request = self.crab.build_request(builder, body).map_err(classify)?;
        self.send(request).await
    }

    /// A `GET` of one page of a list with a bearer credential (an App JWT): the JSON
    /// answer and the `rel="next"` URL of the `link` header, when there is a next page
    /// (GitHub's cursor-paged lists, such as `/app/hook/deliveries`).
    ///
    /// # Errors
    /// A [`GitHubError`] saying whether a retry may help.
    pub async fn page_with_bearer(
        &self,
        path: &str,
        bearer: &str,
    ) -> Result<(serde_json::Value, Option<String>), GitHubError> {
        let builder = http::Request::builder()
            .method(http::Method::GET)
            .uri(path)
            .header(http::header::AUTHORIZATION, format!("Bearer {bearer}"));
        let request = self
            .crab
            .build_request(builder, None::<&()>)
            .map_err(classify)?;
        self.guarded(self.send_now(request)).await
    }

    async fn send(
        &self,
        request: http::Request<octocrab::OctoBody>,
    ) -> Result<serde_json::Value, GitHubError> {
        self.guarded(async { self.send_now(request).await.map(|(value, _)| value) })
            .await
    }

    /// Sends `request`; the JSON answer and the `link` header's `rel="next"` URL.
    async fn send_now(
        &self,
        request: http::Request<octocrab::OctoBody>,
    ) -> Result<(serde_json::Value, Option<String>), GitHubError> {
        let (parts, body) = request.into_parts();
        let replay = body.try_clone().map(|b| (parts.clone(), b));
        let mut response = self
            .crab
            .execute(http::Request::from_parts(parts, body))
            .await
            .map_err(|e| {
                self.count("error");
                classify(e)
            })?;
        self.count(&format!("{}xx", response.status().as_u16() / 100));
        // octocrab follows redirects except a 307/308 of a request with a body, which
        // GitHub sends for moved resources: send it once more, body included, when
        // the new location is on the API's own host.
        if let (307 | 308, Some((mut parts, body))) = (response.status().as_u16(), replay) {
            if let Some(location) = self.same_host_location(&response) {
                tracing::info!(%location, "following a redirect with the request body");
                parts.uri = location;
                response = self
                    .crab
                    .execute(http::Request::from_parts(parts, body))
                    .await
                    .map_err(classify)?;
            }
        }
        if let (Some(gauge), Some(left)) = (
            &self.rate_left,
            response
                .headers()
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok()?.parse::<i64>().ok()),
        ) {
            gauge.set(left);
        }
        let response = octocrab::map_github_error(response)
            .await
            .map_err(classify)?;
        let next = response
            .headers()
            .get(http::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let text = self.crab.body_to_string(response).await.map_err(classify)?;
        if text.trim().is_empty() {
            return Ok((serde_json::Value::Null, next));
        }
        serde_json::from_str(&text)
            .map(|value| (value, next))
            .map_err(|e| unexpected_response(&e))
    }
}

/// The `rel="next"` URL of a `link` header (`<URL>; rel="next", <URL>; rel="last"`).
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// The end of a download ([`GitHubClient::download_tail`]): its last bytes and how
/// many it had in all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last bytes, at most the number asked for.
    pub bytes: Vec<u8>,
    /// The whole body's length.
    pub total: u64,
}

impl Tail {
    /// Adds `data` to the end, keeping the last `keep` bytes (trimming in batches,
    /// so a long body costs linear time).
    pub fn push(&mut self, data: &[u8], keep: usize) {
        self.total = self
            .total
            .saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
        let data = &data[data.len().saturating_sub(keep)..];
        self.bytes.extend_from_slice(data);
        if self.bytes.len() > keep.saturating_mul(2).max(64 * 1024) {
            let cut = self.bytes.len() - keep;
            self.bytes.drain(..cut);
        }
    }

    /// The last `keep` bytes (after [`Tail::push`] with the same `keep`).
    #[must_use]
    pub fn last(&self, keep: usize) -> &[u8] {
        &self.bytes[self.bytes.len().saturating_sub(keep)..]
    }
}

/// Percent-encodes everything but unreserved characters, for a path segment or a
/// query value.
#[must_use]
pub fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Reverses [`url_escape`] (any percent-encoding): `None` when an escape is broken
/// or the bytes are not UTF-8.
#[must_use]
pub fn url_unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Sorts an octocrab error into what the caller can do about it.
fn classify(err: octocrab::Error) -> GitHubError {
    match err {
        octocrab::Error::GitHub { source, .. } => {
            let status = source.status_code.as_u16();
            if let Some(retry_at) = limits::retry_at(
                status,
                source.headers.as_ref(),
                &source.message,
                chrono::Utc::now(),
            ) {
                return GitHubError::RateLimited {
                    message: format!("{status}: {}", source.message),
                    retry_at,
                };
            }
            match status {
                404 => GitHubError::NotFound(source.message),
                s if s >= 500 => {
                    GitHubError::Transient(format!("GitHub answered {s}: {}", source.message))
                }
                s => GitHubError::Rejected {
                    status: s,
                    message: source.message,
                },
            }
        }
        // Decoding errors mean GitHub answered something we did not expect; a retry
        // will not change that.
        octocrab::Error::Serde { source, .. } => unexpected_response(&source),
        octocrab::Error::Json { source, .. } => unexpected_response(&source),
        other => GitHubError::Transient(other.to_string()),
    }
}

fn unexpected_response(err: &dyn std::fmt::Display) -> GitHubError {
    GitHubError::Rejected {
        status: 200,
        message: format!("unexpected response: {err}"),
    }
}
