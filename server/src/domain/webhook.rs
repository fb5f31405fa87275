//! The headers GitHub sends with every webhook delivery, checked before the body is
//! read: `X-GitHub-Event`, `X-GitHub-Delivery` and `X-Hub-Signature-256`.
use thiserror::Error;

/// What is wrong with a delivery's headers. Each variant maps to an HTTP status in
/// the webhook route.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookHeaderError {
    /// 400: no `X-GitHub-Event` header, or one that is not an event name.
    #[error("missing or invalid X-GitHub-Event header")]
    MissingEvent,
    /// 400: no `X-GitHub-Delivery` header, or one that is not a delivery id.
    #[error("missing or invalid X-GitHub-Delivery header")]
    MissingDelivery,
    /// 401: no `X-Hub-Signature-256` header (a `sha1=` signature alone is refused).
    #[error("missing X-Hub-Signature-256 header; sha1 signatures are not accepted")]
    MissingSignature,
}

/// A GitHub event name such as `pull_request`: lower case ASCII letters, digits and
/// underscores, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventName(String);

impl EventName {
    /// Checks and wraps an event name.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| Self(raw.to_owned()))
    }

    /// The name as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A delivery id (`X-GitHub-Delivery`, a GUID from GitHub): 1 to 128 visible ASCII
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryId(String);

impl DeliveryId {
    /// Checks and wraps a delivery id.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty() && raw.len() <= 128 && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned()))
    }

    /// The id as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The checked headers of one delivery.
#[derive(Debug, Clone)]
pub struct WebhookHeaders {
    /// `X-GitHub-Event`.
    pub event: EventName,
    /// `X-GitHub-Delivery`.
    pub delivery: DeliveryId,
    /// The hex digest from `X-Hub-Signature-256`, without the `sha256=` prefix.
    pub signature_hex: String,
}

impl WebhookHeaders {
    /// Checks the headers in GitHub's order of importance, given a lookup function
    /// (so this stays free of any HTTP framework).
    ///
    /// # Errors
    /// The first problem found, as a [`WebhookHeaderError`].
    pub fn from_lookup<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, WebhookHeaderError> {
        let event = get("x-github-event")
            .and_then(EventName::parse)
            .ok_or(WebhookHeaderError::MissingEvent)?;
        let delivery = get("x-github-delivery")
            .and_then(DeliveryId::parse)
            .ok_or(WebhookHeaderError::MissingDelivery)?;
        let signature_hex = get("x-hub-signature-256")
            .and_then(|v| v.trim().strip_prefix("sha256="))
            .map(str::to_owned)
            .ok_or(WebhookHeaderError::MissingSignature)?;
        Ok(Self {
            event,
            delivery,
            signature_hex,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn complete_headers_are_accepted() {
        let h = WebhookHeaders::from_lookup(headers(&[
            ("x-github-event", "issues"),
            ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            ("x-hub-signature-256", "sha256=abcd"),
        ]))
        .unwrap();
        assert_eq!(h.event.as_str(), "issues");
        assert_eq!(h.signature_hex, "abcd");
    }

    #[test]
    fn each_missing_header_is_named() {
        assert_eq!(
            WebhookHeaders::from_lookup(headers(&[
                ("x-github-delivery", "1"),
                ("x-hub-signature-256", "sha256=ab")
            ]))
            .unwrap_err(),
            WebhookHeaderError::MissingEvent
        );
        assert_eq!(
            WebhookHeaders::from_lookup(headers(&[
                ("x-github-event", "push"),
                ("x-hub-signature-256", "sha256=ab")
            ]))
            .unwrap_err(),
            WebhookHeaderError::MissingDelivery
        );
        assert_eq!(
            WebhookHeaders::from_lookup(headers(&[
                ("x-github-event", "push"),
                ("x-github-delivery", "1"),
                ("x-hub-signature", "sha1=ab")
            ]))
            .unwrap_err(),
            WebhookHeaderError::MissingSignature
        );
    }

    #[test]
    fn event_names_outside_githubs_alphabet_are_refused() {
        assert!(EventName::parse("pull_request").is_some());
        assert!(EventName::parse("Pull-Request").is_none());
        assert!(EventName::parse("").is_none());
        assert!(EventName::parse(&"a".repeat(65)).is_none());
    }
}
