//! The `http` host interface: outbound requests to hosts the plugin declares as
//! `http:<host>` (ports 80 and 443; another port only when declared as
//! `http:<host>:<port>`), through [`crate::wasm_host::egress::Egress`] (address checks,
//! no proxy, no redirects), with secret headers filled in by the host only where
//! each secret's binding allows (its hosts and header names) and the secrets'
//! values scrubbed from the response, a body cut at the output cap while it streams
//! in, and the invocation's deadline as the timeout.
use crate::domain::Capability;
use wasmtime::component::Resource;

use super::super::bindings::gantry::plugin::http::{
    Header, Host, Method, Request, Response, SecretHeader,
};
use super::super::bindings::HostError;
use super::secrets::SecretHandle;
use super::CallData;
use crate::domain::Secret;

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

impl CallData {
    /// The secret headers' names and values, from the handles the plugin passed,
    /// each checked against its secret's binding: only to a bound host, only in a
    /// bound header.
    fn secret_headers(
        &self,
        headers: &[SecretHeader],
        host: &str,
    ) -> wasmtime::Result<Result<Vec<SentSecret>, HostError>> {
        let mut values = Vec::new();
        for h in headers {
            let handle: &Resource<SecretHandle> = &h.value;
            let secret = self.table.get(handle)?;
            if !secret.binding.allows(host, &h.name) {
                return Ok(Err(HostError::Denied(format!(
                    "secret {} may be sent only to {} in {}, not to {host} in {}",
                    secret.name,
                    secret.binding.hosts.join(", "),
                    secret.binding.headers.join(", "),
                    h.name
                ))));
            }
            values.push(SentSecret {
                header: h.name.clone(),
                value: Secret::new(format!("{}{}", h.prefix, secret.value.expose())),
                bare: secret.value.clone(),
            });
        }
        Ok(Ok(values))
    }
}

/// A secret put in a request header.
struct SentSecret {
    /// The header's name.
    header: String,
    /// The header's value: the plugin's prefix and the secret.
    value: Secret,
    /// The secret alone, scrubbed from the response.
    bare: Secret,
}

/// The capability a request to `url` (whose host is `host`) needs: `http:HOST` on
/// ports 80 and 443; elsewhere `http:HOST:PORT` when the plugin declares it, or
/// `http:HOST` for a host the operator allowed on the private network (which may use
/// any port). `None` when the port is not allowed.
fn capability_for(
    url: &reqwest::Url,
    host: &str,
    declared: &std::collections::HashSet<String>,
    any_port: bool,
) -> Option<Capability> {
    let port = url.port_or_known_default()?;
    let with_port = Capability::http(&format!("{host}:{port}"));
    if matches!(port, 80 | 443) || any_port {
        Some(Capability::http(host))
    } else if declared.contains(with_port.as_str()) {
        Some(with_port)
    } else {
        None
    }
}

/// Replaces every occurrence of `secret` in `bytes` (a response that echoes it back).
fn redact(bytes: &[u8], secret: &[u8]) -> Option<Vec<u8>> {
    if secret.len() < 4 || !bytes.windows(secret.len()).any(|w| w == secret) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = rest.windows(secret.len()).position(|w| w == secret) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED);
        rest = &rest[at + secret.len()..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// What a secret echoed in a response becomes.
const REDACTED: &[u8] = b"[redacted]";

impl Host for CallData {
    async fn fetch(
        &mut self,
        request: Request,
        secret_headers: Vec<SecretHeader>,
    ) -> HostResult<Response> {
        let url = match reqwest::Url::parse(&request.url) {
            Ok(u) => u,
            Err(e) => return Ok(Err(HostError::Invalid(format!("not a URL: {e}")))),
        };
        let egress = self.invocation.env.services.egress.clone();
        let host = match egress.check_url(&url) {
            Ok(h) => h,
            Err(refused) => return Ok(Err(HostError::Denied(refused.to_string()))),
        };
        let Some(capability) = capability_for(
            &url,
            &host,
            &self.invocation.capabilities,
            egress.any_port(&host),
        ) else {
            let port = url.port_or_known_default().unwrap_or_default();
            return Ok(Err(HostError::Denied(format!(
                "port {port} of {host} is not allowed: plugins reach ports 80 and 443, or a port their manifest names (`http:{host}:{port}`)"
            ))));
        };
        let secret_values = match self.secret_headers(&secret_headers, &host)? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let inv = &mut self.invocation;
        if let Err(e) = inv.check(&capability).await {
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
        for sent in &secret_values {
            builder = builder.header(sent.header.as_str(), sent.value.expose());
        }
        let secrets: Vec<Vec<u8>> = secret_values
            .iter()
            .map(|sent| sent.bare.expose().as_bytes().to_vec())
            .collect();
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
                    value: String::from_utf8_lossy(&scrub(v.as_bytes(), &secrets)).into_owned(),
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
                body: scrub(&body, &secrets),
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

/// `bytes` with every secret the request carried replaced (best effort: a server
/// that transforms the value before echoing it is not caught).
fn scrub(bytes: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for secret in secrets {
        if let Some(redacted) = redact(&out, secret) {
            out = redacted;
        }
    }
    out
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
        if c.downcast_ref::<crate::wasm_host::egress::Refused>()
            .is_some()
        {
            return true;
        }
        cause = c.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ports_80_and_443_unless_the_capability_names_the_port() {
        let declared: std::collections::HashSet<String> = [
            "http:api.example.com".into(),
            "http:api.example.com:8443".into(),
        ]
        .into();
        let cap = |url: &str, any_port| {
            let url = reqwest::Url::parse(url).unwrap();
            capability_for(&url, "api.example.com", &declared, any_port)
        };
        assert_eq!(
            cap("https://api.example.com/x", false)
                .as_ref()
                .map(Capability::as_str),
            Some("http:api.example.com")
        );
        assert_eq!(
            cap("http://api.example.com/x", false)
                .as_ref()
                .map(Capability::as_str),
            Some("http:api.example.com")
        );
        assert_eq!(
            cap("https://api.example.com:8443/x", false)
                .as_ref()
                .map(Capability::as_str),
            Some("http:api.example.com:8443")
        );
        assert_eq!(cap("http://api.example.com:22/", false), None);
        assert_eq!(cap("http://api.example.com:6379/", false), None);
        assert_eq!(
            cap("http://api.example.com:6379/", true)
                .as_ref()
                .map(Capability::as_str),
            Some("http:api.example.com"),
            "a host the operator allowed by name may use any port"
        );
    }

    #[test]
    fn an_echoed_secret_is_scrubbed_from_the_response() {
        let secrets = vec![b"s3cr3t-value".to_vec()];
        assert_eq!(
            scrub(
                b"{\"auth\":\"Bearer s3cr3t-value\",\"again\":\"s3cr3t-value\"}",
                &secrets
            ),
            b"{\"auth\":\"Bearer [redacted]\",\"again\":\"[redacted]\"}".to_vec()
        );
        assert_eq!(scrub(b"nothing here", &secrets), b"nothing here".to_vec());
    }
}
