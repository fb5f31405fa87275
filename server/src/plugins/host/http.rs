//! The `http` host interface: outbound requests to hosts the plugin declares as
//! `http:<host>`, through [`crate::plugins::egress::Egress`] (address checks, no
//! proxy, no redirects), with secret headers filled in by the host, a body cut at the
//! output cap while it streams in, and the invocation's deadline as the timeout.
use wasmtime::component::Resource;

use super::super::bindings::gantry::plugin::http::{
    Header, Host, Method, Request, Response, SecretHeader,
};
use super::super::bindings::HostError;
use super::secrets::SecretHandle;
use super::HostState;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

/// Requests one invocation may send.
const MAX_REQUESTS: u32 = 20;

fn method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

impl HostState {
    /// The secret headers' values, from the handles the plugin passed.
    fn secret_headers(&self, headers: &[SecretHeader]) -> wasmtime::Result<Vec<(String, String)>> {
        headers
            .iter()
            .map(|h| {
                let handle: &Resource<SecretHandle> = &h.value;
                let secret = self.table.get(handle)?;
                Ok((
                    h.name.clone(),
                    format!("{}{}", h.prefix, secret.value.expose()),
                ))
            })
            .collect()
    }
}

impl Host for HostState {
    async fn fetch(
        &mut self,
        request: Request,
        secret_headers: Vec<SecretHeader>,
    ) -> HostResult<Response> {
        let secret_values = self.secret_headers(&secret_headers)?;
        let inv = &mut self.invocation;
        let url = match reqwest::Url::parse(&request.url) {
            Ok(u) => u,
            Err(e) => return Ok(Err(HostError::Invalid(format!("not a URL: {e}")))),
        };
        let egress = inv.env.services.egress.clone();
        let host = match egress.check_url(&url) {
            Ok(h) => h,
            Err(refused) => return Ok(Err(HostError::Denied(refused.to_string()))),
        };
        if let Err(e) = inv.check(&format!("http:{host}")).await {
            return Ok(Err(e));
        }
        if inv.http_requests >= MAX_REQUESTS {
            return Ok(Err(HostError::LimitExceeded(format!(
                "at most {MAX_REQUESTS} HTTP requests per invocation"
            ))));
        }
        inv.http_requests += 1;
        let cap = inv.max_output_bytes;
        if request.body.as_ref().is_some_and(|b| b.len() > cap) {
            return Ok(Err(HostError::Invalid(format!(
                "a request body is at most {cap} bytes"
            ))));
        }
        let mut builder = egress
            .client()
            .request(method(request.method), url)
            .timeout(inv.remaining());
        for h in &request.headers {
            builder = builder.header(h.name.as_str(), h.value.as_str());
        }
        for (name, value) in &secret_values {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let plugin = inv.plugin.clone();
        let outcome = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| Header {
                    name: k.as_str().to_owned(),
                    value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
                })
                .collect();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = response.chunk().await? {
                let room = cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Response {
                status,
                headers,
                body,
                truncated,
            })
        }
        .await;
        Ok(outcome.map_err(|err| {
            // The error text names the URL but never a header, so no secret leaks.
            tracing::info!(%plugin, error = %err, "a plugin HTTP request failed");
            if err.is_timeout() {
                HostError::Unavailable("the request ran out of time".into())
            } else if is_refusal(&err) {
                HostError::Denied(format!("{host}: {}", root_cause(&err)))
            } else {
                HostError::Unavailable(format!("{host}: {}", root_cause(&err)))
            }
        }))
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Whether the egress checks refused the connection (as opposed to a network error).
fn is_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(c) = cause {
        if c.downcast_ref::<crate::plugins::egress::Refused>()
            .is_some()
        {
            return true;
        }
        cause = c.source();
    }
    false
}
