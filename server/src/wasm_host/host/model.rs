//! The `model` host interface: completions from the language model providers the
//! operator configured (`[models]`, `model::providers`), for plugins that declare
//! `model:<provider>` (or `model:*`: every configured provider; the policy still
//! decides the concrete `model:<provider>` and the audit names it). A call is
//! checked like any other (declared, the policy decides and audits; `ask` cannot
//! hold a completion, so it refuses), then:
//!
//! - a retried job asking what an earlier attempt asked gets the recorded answer
//!   (`model_calls`, keyed by the job's idempotency scope and the request's digest)
//!   and the provider is neither asked nor charged again;
//! - otherwise the provider is asked, within the invocation's deadline; a timeout,
//!   a 5xx or a 429 answers `unavailable` and the job is retried through the queue
//!   like a transient GitHub failure (a 429's `retry-after` delays the retry);
//! - a completion is recorded durably with its provenance (plugin, provider, model,
//!   tokens, cost from the provider's prices, the prompt's SHA-256) before the
//!   plugin sees it, and every write the invocation makes afterwards is marked:
//!   its audit row names the model, bodies get a footer, commits a trailer;
//! - before the provider is asked the call's worst case is reserved on the model
//!   budgets, or the call is refused (`model_budget.rs`).
use std::time::Duration;

use super::super::bindings::gantry::plugin::model::{
    Completion, Host, ModelError, ProviderInfo, ProviderKind, Request,
};
use super::super::bindings::HostError;
use super::{CallData, CallState};
use crate::config::models::{ProviderKind as Kind, KEY_OWNER};
use crate::db::model_calls::{self, ModelCall};
use crate::domain::{Capability, Secret};
use crate::model::providers::OpenError;
use crate::model::record::{self, CallScope};
use crate::model::{self as models, CompletionRequest, Message};
use crate::secrets::plugin as plugin_secrets;
use crate::secrets::SecretError;

type HostResult<T> = wasmtime::Result<Result<T, ModelError>>;

/// Completions one invocation may ask for.
const MAX_COMPLETIONS: u32 = 20;

/// Time kept back from the invocation's deadline, so a provider that stalls makes
/// the call answer `unavailable` (and the job be retried) rather than time out.
const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// How long recording a completion is retried through a storage fault.
const RECORD_BUDGET: Duration = Duration::from_secs(10);

/// What one invocation did with models: how many completions it asked for, how
/// often it asked each request, and which models answered (its later writes are
/// marked with them).
#[derive(Debug, Default)]
pub struct ModelUse {
    /// Completions asked for so far.
    pub calls: u32,
    /// How often each request (by digest) was asked.
    pub asked: std::collections::HashMap<String, u32>,
    /// `provider/model` of every model that answered, in order, once each.
    pub used: Vec<String>,
}

impl ModelUse {
    /// Remembers that `provider/model` answered.
    fn answered(&mut self, provider: &str, model: &str) {
        let name = format!("{provider}/{model}");
        if !self.used.contains(&name) {
            self.used.push(name);
        }
    }

    /// The models that answered, as a write's audit row names them.
    #[must_use]
    pub fn audit_mark(&self) -> Option<String> {
        (!self.used.is_empty()).then(|| self.used.join(", "))
    }
}

impl CallState {
    /// `body` with the model footer when this invocation used a model.
    pub(crate) fn mark_body(&self, body: &str) -> String {
        record::with_footer(body, &self.models.used)
    }

    /// `message` with `Gantry-Model:` trailers when this invocation used a model.
    pub(crate) fn mark_commit(&self, message: &str) -> String {
        record::with_trailer(message, &self.models.used)
    }

    /// The request as the providers take it, or why it is not valid.
    fn model_request(&self, request: Request) -> Result<(String, CompletionRequest), ModelError> {
        if request.messages.is_empty() {
            return Err(ModelError::Invalid(
                "a request needs at least one message".into(),
            ));
        }
        if request.max_tokens == 0 {
            return Err(ModelError::Invalid("max-tokens must be at least 1".into()));
        }
        let size: usize = request
            .messages
            .iter()
            .map(|m| m.role.len() + m.content.len())
            .sum::<usize>()
            + request.json_schema.as_ref().map_or(0, String::len);
        if size > self.max_output_bytes {
            return Err(ModelError::Invalid(format!(
                "a request is at most {} bytes of messages and schema",
                self.max_output_bytes
            )));
        }
        if let Some(bad) = request
            .messages
            .iter()
            .find(|m| !matches!(m.role.as_str(), "system" | "user" | "assistant"))
        {
            return Err(ModelError::Invalid(format!(
                "a message's role is system, user or assistant, not `{}`",
                bad.role
            )));
        }
        let json_schema =
            match request.json_schema {
                None => None,
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    ModelError::Invalid(format!("the JSON schema is not JSON: {e}"))
                })?),
            };
        let messages = request
            .messages
            .into_iter()
            .map(|m| Message {
                role: m.role,
                content: m.content,
            })
            .collect();
        Ok((
            request.provider,
            CompletionRequest {
                messages,
                max_tokens: request.max_tokens,
                json_schema,
            },
        ))
    }

    /// The API key of `provider` for `project` (the repository's own, else the
    /// global one), opened from the secrets stored for `_models` when the provider
    /// takes one, and only when its binding names the provider's host.
    async fn model_key(
        &mut self,
        provider: &str,
        project: &str,
    ) -> Result<Option<Secret>, ModelError> {
        let providers = self.env.services.models.clone();
        let Some(key) = providers.key_of(provider) else {
            return Ok(None);
        };
        let unusable =
            |why: String| ModelError::Rejected(format!("model provider `{provider}`: {why}"));
        let opened = plugin_secrets::open(
            &self.env.db,
            self.env.services.secret_box.as_ref(),
            KEY_OWNER,
            project,
            key.secret,
        )
        .await;
        let opened = match opened {
            Ok(Some(opened)) => opened,
            Ok(None) => {
                return Err(unusable(format!(
                    "its API key `{}` is not stored: `gantry secrets plugin-set {} --plugin {KEY_OWNER} --host {}` reads it from standard input",
                    key.secret, key.secret, key.host
                )))
            }
            Err(SecretError::Database(err)) => {
                tracing::warn!(error = %err, "a model provider's key could not be read");
                return Err(self.model_unavailable("Gantry's database failed".into()));
            }
            Err(other) => {
                return Err(unusable(format!(
                    "its API key `{}` cannot be opened ({other})",
                    key.secret
                )))
            }
        };
        if !opened.binding.allows(&key.host, "authorization") {
            return Err(unusable(format!(
                "its API key `{}` may be sent only to {}, not to {}",
                key.secret,
                opened.binding.hosts.join(", "),
                key.host
            )));
        }
        Ok(Some(opened.value))
    }

    /// Records the job for a retry and answers `unavailable`.
    fn model_unavailable(&mut self, message: String) -> ModelError {
        self.transient_failure = Some(format!("model provider: {message}"));
        ModelError::Unavailable(message)
    }

    /// Asks `provider` for `request`: the whole call after its validation.
    async fn ask_model(
        &mut self,
        provider: String,
        request: CompletionRequest,
    ) -> Result<Completion, ModelError> {
        let capability = Capability::model(&provider);
        let concrete = capability.as_str().parse::<Capability>();
        if concrete.as_ref().ok().and_then(Capability::model_provider) != Some(provider.as_str()) {
            return Err(ModelError::Invalid(format!(
                "`{provider}` is not a provider's name"
            )));
        }
        let providers = self.env.services.models.clone();
        // A declared provider nobody configured (a plugin declaring `model:*` asks
        // for the one its configuration names): said as such, not as the policy's
        // view of a name no rule was written for. An undeclared one is the
        // policy's to refuse and audit.
        if providers.get(&provider).is_none() && capability.is_declared_in(self.capabilities.iter())
        {
            return Err(ModelError::Denied(
                OpenError::Unknown(provider.clone()).to_string(),
            ));
        }
        match self.check(&capability).await {
            Ok(()) => {}
            Err(HostError::Unavailable(m)) => return Err(ModelError::Unavailable(m)),
            Err(HostError::Denied(m)) => return Err(ModelError::Denied(m)),
            Err(other) => return Err(ModelError::Denied(format!("{other:?}"))),
        }
        if providers.get(&provider).is_none() {
            return Err(ModelError::Denied(
                OpenError::Unknown(provider.clone()).to_string(),
            ));
        }
        if self.models.calls >= MAX_COMPLETIONS {
            return Err(ModelError::Invalid(format!(
                "at most {MAX_COMPLETIONS} completions per invocation"
            )));
        }
        self.models.calls += 1;
        let digest = record::request_digest(&provider, &request);
        let occurrence = {
            let count = self.models.asked.entry(digest.clone()).or_insert(0);
            *count += 1;
            *count
        };
        let key = record::call_key(
            CallScope {
                delivery_id: &self.idempotency.delivery_id,
                generation: self.idempotency.generation,
                plugin: &self.plugin,
                invocation: self.idempotency.invocation.as_deref(),
            },
            &digest,
            occurrence,
        );
        if self.idempotency.look_first {
            match model_calls::find(&self.env.db, &key).await {
                Ok(Some(earlier)) => {
                    tracing::info!(plugin = %self.plugin, provider = %provider, "completion recorded by an earlier attempt; the provider is not asked again");
                    self.models.answered(&earlier.provider, &earlier.model);
                    return Ok(wit_completion(&earlier));
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "the record of earlier completions could not be read");
                    return Err(self.model_unavailable("Gantry's database failed".into()));
                }
            }
        }
        let timeout = self.remaining().saturating_sub(DEADLINE_MARGIN);
        if timeout.is_zero() {
            return Err(self
                .model_unavailable("no time is left in this invocation to ask the model".into()));
        }
        let project = self
            .project()
            .map_err(|e| ModelError::Denied(format!("{e:?}")))?;
        let api_key = self.model_key(&provider, &project).await?;
        let ready = match providers.open(&provider, api_key, timeout) {
            Ok(ready) => ready,
            Err(err @ OpenError::Unknown(_)) => return Err(ModelError::Denied(err.to_string())),
            Err(err @ OpenError::Unusable { .. }) => {
                tracing::warn!(plugin = %self.plugin, %provider, error = %err, "a model provider is not usable");
                return Err(ModelError::Rejected(err.to_string()));
            }
        };
        // The budget's worst case is reserved (or the call refused) before the
        // provider is asked: `model_budget.rs`.
        let model = providers
            .get(&provider)
            .map_or_else(|| provider.clone(), |p| p.model.clone());
        let reservation = self
            .reserve_budget(&provider, &model, &project, &request)
            .await?;
        let answer = match tokio::time::timeout(timeout, ready.complete(&request)).await {
            Ok(answer) => answer,
            Err(_elapsed) => Err(models::ModelError::Transient("no answer in time".into())),
        };
        let answer = match answer {
            Ok(c) => {
                self.settle_budget(reservation, &provider, &c).await;
                Ok(c)
            }
            Err(e) => {
                // No answer, no charge: a retry reserves again.
                self.release_budget(reservation).await;
                Err(e)
            }
        };
        let completion = match answer {
            Ok(c) => c,
            Err(models::ModelError::Rejected { status, message }) => {
                return Err(ModelError::Rejected(if status == 0 {
                    message
                } else {
                    format!("{status}: {message}")
                }))
            }
            Err(models::ModelError::Transient(message)) => {
                return Err(self.model_unavailable(message))
            }
            Err(models::ModelError::RateLimited { message, retry_at }) => {
                self.retry_at = self.retry_at.max(Some(retry_at));
                return Err(
                    self.model_unavailable(format!("rate limited until {retry_at}: {message}"))
                );
            }
        };
        let cost = providers
            .prices(&provider)
            .cost_micros(completion.prompt_tokens, completion.completion_tokens);
        let call = ModelCall {
            key,
            delivery_id: self.idempotency.delivery_id.clone(),
            plugin: self.plugin.clone(),
            repository: Some(project),
            provider: provider.clone(),
            model: completion.model.clone(),
            prompt_tokens: saturating_i64(completion.prompt_tokens),
            completion_tokens: saturating_i64(completion.completion_tokens),
            cost_micros: saturating_i64(cost),
            prompt_sha256: record::prompt_sha256(&request.messages),
            content: completion.content.clone(),
            truncated: completion.truncated,
            created_at: chrono::Utc::now(),
        };
        let recorded =
            crate::db::persist::persistently("recording a completion", RECORD_BUDGET, || {
                model_calls::insert(&self.env.db, &call)
            })
            .await;
        if let Err(err) = recorded {
            // Paid for but not recorded: the plugin does not get it, so nothing it
            // writes is left without provenance; the job is retried.
            tracing::error!(plugin = %self.plugin, %provider, error = %err, "a completion could not be recorded; the job is retried and will ask again");
            return Err(self.model_unavailable("Gantry's database failed".into()));
        }
        self.models.answered(&call.provider, &call.model);
        Ok(wit_completion(&call))
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn wit_completion(call: &ModelCall) -> Completion {
    Completion {
        content: call.content.clone(),
        model: call.model.clone(),
        prompt_tokens: u64::try_from(call.prompt_tokens).unwrap_or_default(),
        completion_tokens: u64::try_from(call.completion_tokens).unwrap_or_default(),
        truncated: call.truncated,
    }
}

impl Host for CallData {
    async fn providers(&mut self) -> wasmtime::Result<Vec<ProviderInfo>> {
        let inv = &self.invocation;
        Ok(inv
            .env
            .services
            .models
            .infos()
            .filter(|p| Capability::model(&p.name).is_declared_in(inv.capabilities.iter()))
            .map(|p| ProviderInfo {
                name: p.name,
                kind: match p.kind {
                    Kind::RuleBased => ProviderKind::RuleBased,
                    Kind::OpenaiCompatible => ProviderKind::OpenaiCompatible,
                },
                model: p.model,
            })
            .collect())
    }

    async fn complete(&mut self, request: Request) -> HostResult<Completion> {
        let inv = &mut self.invocation;
        let (provider, request) = match inv.model_request(request) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        Ok(inv.ask_model(provider, request).await)
    }
}
