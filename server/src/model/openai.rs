//! The OpenAI-compatible provider: `POST {base_url}/chat/completions` with a bearer
//! key, as OpenAI, vLLM, llama.cpp's server and Ollama's `/v1` serve it. A timeout,
//! a connection failure or a 5xx is transient; a 429 is a rate limit until its
//! `retry-after` (a minute when it gives none); any other refusal is final. With a
//! JSON schema the answer is asked for as `response_format: json_schema` and must
//! parse as JSON. The key is sent only to the configured address and never logged.
use std::time::Duration;

use serde_json::{json, Value};

use super::{Completion, CompletionRequest, ModelError};
use crate::domain::Secret;

/// Waited when a 429 says nothing about when to come back.
const DEFAULT_RETRY_AFTER: i64 = 60;

/// One configured OpenAI-compatible server and model.
#[derive(Debug, Clone)]
pub struct OpenAi {
    base_url: String,
    model: String,
    key: Option<Secret>,
    client: reqwest::Client,
}

impl OpenAi {
    /// A provider for `model` at `base_url` (`https://api.openai.com/v1`), with
    /// `key` as its bearer key, giving up on a call after `timeout`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        base_url: &str,
        model: &str,
        key: Option<Secret>,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            model: model.to_owned(),
            key,
            client,
        })
    }

    /// Asks the server for a completion.
    ///
    /// # Errors
    /// A [`ModelError`] saying whether a retry may help.
    pub async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        let mut body = json!({
            "model": self.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
        });
        if let Some(schema) = &request.json_schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": { "name": "answer", "schema": schema, "strict": true }
            });
        }
        let mut call = self
            .client
            .post(format!("{}/chat/completions", self.base_url))
            .json(&body);
        if let Some(key) = &self.key {
            call = call.bearer_auth(key.expose());
        }
        let answer = call.send().await.map_err(|e| {
            ModelError::Transient(if e.is_timeout() {
                "no answer in time".to_owned()
            } else {
                "could not reach the server".to_owned()
            })
        })?;
        let status = answer.status().as_u16();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok());
        let text = answer
            .text()
            .await
            .map_err(|_| ModelError::Transient("the answer was cut off".into()))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = value["error"]["message"]
            .as_str()
            .map_or_else(|| format!("HTTP {status}"), str::to_owned);
        match status {
            200..=299 => {}
            429 => {
                return Err(ModelError::RateLimited {
                    message,
                    retry_at: chrono::Utc::now()
                        + chrono::Duration::seconds(retry_after.unwrap_or(DEFAULT_RETRY_AFTER)),
                })
            }
            500..=599 => return Err(ModelError::Transient(format!("{status}: {message}"))),
            _ => return Err(ModelError::Rejected { status, message }),
        }
        let choice = &value["choices"][0];
        let content = choice["message"]["content"]
            .as_str()
            .ok_or_else(|| ModelError::Rejected {
                status,
                message: "the answer has no choices[0].message.content".into(),
            })?
            .to_owned();
        if request.json_schema.is_some() && serde_json::from_str::<Value>(&content).is_err() {
            return Err(ModelError::Rejected {
                status,
                message: "the answer does not follow the JSON schema asked for".into(),
            });
        }
        Ok(Completion {
            content,
            model: value["model"].as_str().unwrap_or(&self.model).to_owned(),
            prompt_tokens: value["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
            completion_tokens: value["usage"]["completion_tokens"].as_u64().unwrap_or(0),
            truncated: choice["finish_reason"] == "length",
        })
    }
}
