//! Language models for agents (issue 22), behind one interface: a completion asked
//! for with chat messages, a token limit and optionally a JSON schema the answer must
//! follow, answered with the text and its token counts. Two providers: `rule_based`
//! (built in, deterministic, no network: the default, and what the sandbox and the
//! tests use) and `openai` (any server speaking OpenAI's chat completions API: OpenAI,
//! vLLM, llama.cpp's server, Ollama's `/v1`). Errors say whether a retry may help,
//! as GitHub's do, so the job queue retries transient failures and waits out
//! `retry-after`. Plugins never see a provider's address or key: the host calls this
//! (`wasm_host::host::model`). `providers` holds the ones the operator configured;
//! `record` is what makes a completion once per job and its provenance.
pub mod budget;
pub mod openai;
pub mod providers;
pub mod record;
pub mod rule_based;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with `role` and `content`.
    #[must_use]
    pub fn new(role: &str, content: &str) -> Self {
        Self {
            role: role.to_owned(),
            content: content.to_owned(),
        }
    }
}

/// What a plugin asks a model for.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// The most tokens the answer may have.
    pub max_tokens: u32,
    /// A JSON schema the answer must follow, when structured output is wanted.
    pub json_schema: Option<serde_json::Value>,
}

impl CompletionRequest {
    /// The conversation's text, one message after another: what token estimates
    /// count.
    #[must_use]
    pub fn prompt_text(&self) -> String {
        self.messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The answer's text (JSON text when a schema was given).
    pub content: String,
    /// The model that answered.
    pub model: String,
    /// Tokens of the prompt, as the provider counted them.
    pub prompt_tokens: u64,
    /// Tokens of the answer.
    pub completion_tokens: u64,
    /// Whether the answer was cut at `max_tokens`.
    pub truncated: bool,
}

/// Why a completion failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The request was refused and asking again will not help (a bad key, an
    /// unknown model, a malformed request, an answer not following the schema).
    #[error("the model provider refused ({status}): {message}")]
    Rejected {
        /// The HTTP status (0 when not from HTTP).
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// A timeout, a connection failure or a 5xx: a later retry may succeed.
    #[error("the model provider is unavailable: {0}")]
    Transient(String),
    /// Rate limited: nothing may be sent before `retry_at`.
    #[error("the model provider is rate limited until {retry_at}: {message}")]
    RateLimited {
        /// The provider's message.
        message: String,
        /// When to try again.
        retry_at: DateTime<Utc>,
    },
}

/// A configured provider.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Built in and deterministic.
    RuleBased(rule_based::RuleBased),
    /// An OpenAI-compatible server.
    OpenAi(openai::OpenAi),
}

impl Provider {
    /// Asks for a completion.
    ///
    /// # Errors
    /// A [`ModelError`] saying whether a retry may help.
    pub async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        match self {
            Self::RuleBased(provider) => Ok(provider.complete(request)),
            Self::OpenAi(provider) => provider.complete(request).await,
        }
    }
}
