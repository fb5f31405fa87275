//! What makes a completion once per job and traceable afterwards: the SHA-256 of a
//! prompt (recorded as provenance instead of the prompt), the digest of a whole
//! request (provider, messages, token limit, schema), the key a completion is
//! recorded under (the job's idempotency scope, the request's digest and which
//! asking of that same request in the invocation it is), and the markers a write
//! made after a completion carries: a footer on bodies, a trailer on commits.
use sha2::{Digest, Sha256};

use super::{CompletionRequest, Message};

/// SHA-256 of the messages (each role and content, length-prefixed so no two
/// conversations give the same text), hex.
#[must_use]
pub fn prompt_sha256(messages: &[Message]) -> String {
    let mut hash = Sha256::new();
    for m in messages {
        for part in [&m.role, &m.content] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
    }
    hex::encode(hash.finalize())
}

/// SHA-256 of everything that makes a request: the provider, the prompt, the token
/// limit and the schema, hex.
#[must_use]
pub fn request_digest(provider: &str, request: &CompletionRequest) -> String {
    let schema = request
        .json_schema
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let text = format!(
        "{provider}\n{}\n{}\n{schema}",
        prompt_sha256(&request.messages),
        request.max_tokens
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Where a completion comes from, as its key needs it.
#[derive(Debug, Clone, Copy)]
pub struct CallScope<'a> {
    /// The delivery.
    pub delivery_id: &'a str,
    /// The job's generation (a replay of a processed delivery asks again).
    pub generation: i32,
    /// The plugin.
    pub plugin: &'a str,
    /// Which of the plugin's invocations in the job, when it has several.
    pub invocation: Option<&'a str>,
}

/// The key of the `occurrence`-th asking (from 1) of the request `digest` in this
/// scope: a retry of the job asking the same things in the same order finds them.
#[must_use]
pub fn call_key(scope: CallScope<'_>, digest: &str, occurrence: u32) -> String {
    let text = format!(
        "model\n{}\n{}\n{}\n{}\n{digest}\n{occurrence}",
        scope.delivery_id,
        scope.generation,
        scope.plugin,
        scope.invocation.unwrap_or("")
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

/// `body` with the footer saying which models wrote it (`provider/model`).
#[must_use]
pub fn with_footer(body: &str, models: &[String]) -> String {
    if models.is_empty() {
        return body.to_owned();
    }
    let footer = format!(
        "<sub>Written with a language model ({}) via Gantry</sub>",
        models.join(", ")
    );
    if body.trim().is_empty() {
        footer
    } else {
        format!("{}\n\n{footer}", body.trim_end())
    }
}

/// `message` with a `Gantry-Model: provider/model` trailer per model: added to
/// the message's last paragraph when that is already trailers (`Key: value`
/// lines), else as a paragraph of its own.
#[must_use]
pub fn with_trailer(message: &str, models: &[String]) -> String {
    if models.is_empty() {
        return message.to_owned();
    }
    let trailers: Vec<String> = models
        .iter()
        .map(|m| format!("Gantry-Model: {m}"))
        .collect();
    let message = message.trim_end();
    let last = message.rsplit("\n\n").next().unwrap_or_default();
    let is_trailer = |line: &str| {
        line.split_once(": ").is_some_and(|(key, _)| {
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    };
    let ends_in_trailers = message.contains("\n\n") && last.lines().all(is_trailer);
    let separator = if ends_in_trailers { "\n" } else { "\n\n" };
    format!("{message}{separator}{}\n", trailers.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(user: &str) -> CompletionRequest {
        CompletionRequest {
            messages: vec![
                Message::new("system", "Review."),
                Message::new("user", user),
            ],
            max_tokens: 100,
            json_schema: None,
        }
    }

    #[test]
    fn digests_tell_requests_apart_and_keys_tell_askings_apart() {
        let a = ask("one");
        assert_eq!(request_digest("p", &a), request_digest("p", &ask("one")));
        assert_ne!(request_digest("p", &a), request_digest("q", &a));
        assert_ne!(request_digest("p", &a), request_digest("p", &ask("two")));
        let mut limited = ask("one");
        limited.max_tokens = 5;
        assert_ne!(request_digest("p", &a), request_digest("p", &limited));
        // Moving text between messages changes the prompt's digest.
        let split = [Message::new("user", "ab"), Message::new("user", "c")];
        let moved = [Message::new("user", "a"), Message::new("user", "bc")];
        assert_ne!(prompt_sha256(&split), prompt_sha256(&moved));
        assert_eq!(prompt_sha256(&split).len(), 64);

        let scope = CallScope {
            delivery_id: "d1",
            generation: 0,
            plugin: "agent",
            invocation: None,
        };
        let digest = request_digest("p", &a);
        assert_eq!(call_key(scope, &digest, 1), call_key(scope, &digest, 1));
        assert_ne!(call_key(scope, &digest, 1), call_key(scope, &digest, 2));
        let replay = CallScope {
            generation: 1,
            ..scope
        };
        assert_ne!(call_key(scope, &digest, 1), call_key(replay, &digest, 1));
        let line = CallScope {
            invocation: Some("commands #1"),
            ..scope
        };
        assert_ne!(call_key(scope, &digest, 1), call_key(line, &digest, 1));
    }

    #[test]
    fn bodies_get_a_footer_and_commits_a_trailer_only_after_a_model() {
        let used = vec!["openai/gpt-4o-mini".to_owned()];
        assert_eq!(with_footer("Hi", &[]), "Hi");
        assert_eq!(
            with_footer("Two findings.\n", &used),
            "Two findings.\n\n<sub>Written with a language model (openai/gpt-4o-mini) via Gantry</sub>"
        );
        assert!(with_footer("", &used).starts_with("<sub>"));
        assert_eq!(with_trailer("Fix it", &[]), "Fix it");
        assert_eq!(
            with_trailer("Fix it", &used),
            "Fix it\n\nGantry-Model: openai/gpt-4o-mini\n"
        );
        assert_eq!(
            with_trailer("Fix it\n\nBody text.\n\nSigned-off-by: A <a@b>\n", &used),
            "Fix it\n\nBody text.\n\nSigned-off-by: A <a@b>\nGantry-Model: openai/gpt-4o-mini\n"
        );
        let two = vec!["a/x".to_owned(), "b/y".to_owned()];
        assert_eq!(
            with_trailer("Subject: colon", &two),
            "Subject: colon\n\nGantry-Model: a/x\nGantry-Model: b/y\n"
        );
    }
}
