//! The events of the end-to-end runs: the corpus's `issues`/`opened` payload, compact,
//! one issue number per event, signed. The bundled `hooks` plugin answers every such
//! event, with its default configuration, by labelling the issue `needs-triage`: one
//! `POST /repos/{owner}/{repo}/issues/{number}/labels`. One number per event gives
//! every event its own path in the simulator's request log, so each call is matched
//! to the webhook that caused it.
//!
//! The corpus payload is a repository webhook's and names no App installation; the
//! side-by-side run with Probot, an App, gives every event one (`naming`), as GitHub
//! does for deliveries to an App.
use actix_web::web::Bytes;
use anyhow::{bail, Context};
use gantry_server::github::signature;
use serde_json::Value;

/// The label the `hooks` plugin's default rule adds to an opened issue.
pub const LABEL: &str = "needs-triage";

/// The payload and what the simulator needs to know of it.
#[derive(Debug, Clone)]
pub struct IssueEvents {
    template: Value,
    /// `repository.owner.login`.
    pub owner: String,
    /// `repository.name`.
    pub repo: String,
    secret: String,
    /// Size of the body for issue 1, bytes.
    pub bytes: usize,
}

/// One event, ready to send.
#[derive(Debug, Clone)]
pub struct PreparedEvent {
    /// The issue number.
    pub number: u64,
    /// The body.
    pub body: Bytes,
    /// `X-Hub-Signature-256`.
    pub signature: String,
    /// The payload, for the simulator to learn the issue from.
    pub payload: Value,
}

impl IssueEvents {
    /// Reads `webhooks/issues/opened.payload.json` from the corpus.
    ///
    /// # Errors
    /// When the file is missing or lacks the issue or the repository.
    pub fn from_corpus(corpus: &std::path::Path, secret: &str) -> anyhow::Result<Self> {
        let path = corpus.join("webhooks/issues/opened.payload.json");
        let text = std::fs::read(&path)
            .with_context(|| format!("reading the corpus payload {}", path.display()))?;
        let template: Value =
            serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
        let owner = template
            .pointer("/repository/owner/login")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let repo = template
            .pointer("/repository/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (Some(owner), Some(repo)) = (owner, repo) else {
            bail!(
                "{} lacks repository.owner.login or repository.name",
                path.display()
            )
        };
        if template.pointer("/issue").is_none_or(|i| !i.is_object())
            || template.get("action").and_then(Value::as_str) != Some("opened")
        {
            bail!("{} is not an `issues`/`opened` payload", path.display());
        }
        let mut events = Self {
            template,
            owner,
            repo,
            secret: secret.to_owned(),
            bytes: 0,
        };
        events.bytes = events.event(1)?.body.len();
        Ok(events)
    }

    /// These events naming App installation `installation` (`installation.id` and
    /// `installation.node_id`); as they are for `None`.
    ///
    /// # Errors
    /// When the payload cannot be serialised (it always can).
    pub fn naming(mut self, installation: Option<u64>) -> anyhow::Result<Self> {
        let Some(id) = installation else {
            return Ok(self);
        };
        if let Some(payload) = self.template.as_object_mut() {
            payload.insert(
                "installation".into(),
                serde_json::json!({ "id": id, "node_id": format!("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{id}") }),
            );
        }
        self.bytes = self.event(1)?.body.len();
        Ok(self)
    }

    /// The event for issue `number`.
    ///
    /// # Errors
    /// When the payload cannot be serialised (it always can).
    pub fn event(&self, number: u64) -> anyhow::Result<PreparedEvent> {
        let mut payload = self.template.clone();
        if let Some(issue) = payload.get_mut("issue").and_then(Value::as_object_mut) {
            issue.insert("number".into(), Value::from(number));
        }
        let body = serde_json::to_vec(&payload)?;
        let signature = signature::sign(self.secret.as_bytes(), &body);
        Ok(PreparedEvent {
            number,
            body: Bytes::from(body),
            signature,
            payload,
        })
    }

    /// The path of the call the plugin makes for issue `number`.
    #[must_use]
    pub fn call_path(&self, number: u64) -> String {
        format!("/repos/{}/{}/issues/{number}/labels", self.owner, self.repo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_has_its_own_issue_and_a_valid_signature() {
        let corpus = std::path::Path::new(crate::common::DEFAULT_CORPUS);
        let events = IssueEvents::from_corpus(corpus, "s3cret").unwrap();
        let seven = events.event(7).unwrap();
        let value: Value = serde_json::from_slice(&seven.body).unwrap();
        assert_eq!(value["issue"]["number"], 7);
        assert_eq!(value["action"], "opened");
        assert_eq!(seven.signature, signature::sign(b"s3cret", &seven.body));
        assert_ne!(seven.body, events.event(8).unwrap().body);
        assert_eq!(
            events.call_path(7),
            format!("/repos/{}/{}/issues/7/labels", events.owner, events.repo)
        );
        assert!(events.bytes > 1000);
    }

    #[test]
    fn events_name_an_installation_only_when_asked() {
        let corpus = std::path::Path::new(crate::common::DEFAULT_CORPUS);
        let plain = IssueEvents::from_corpus(corpus, "s3cret").unwrap();
        let plain_body: Value = serde_json::from_slice(&plain.event(3).unwrap().body).unwrap();
        assert!(plain_body.get("installation").is_none());
        let app = plain.clone().naming(Some(42)).unwrap();
        let event = app.event(3).unwrap();
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["installation"]["id"], 42);
        assert_eq!(body["issue"]["number"], 3);
        assert_eq!(event.signature, signature::sign(b"s3cret", &event.body));
        assert!(app.bytes > plain.bytes);
        assert_eq!(plain.clone().naming(None).unwrap().bytes, plain.bytes);
    }
}
