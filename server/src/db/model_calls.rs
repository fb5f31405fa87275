//! Queries on `model_calls`: the provenance of each completion a plugin got (who,
//! which provider and model, tokens, cost, the prompt's SHA-256) with the answer,
//! keyed so a retried job finds the completion an earlier attempt paid for
//! (`wasm_host::host::model`).
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use super::sql;

/// One recorded completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCall {
    /// The call's key: the job's idempotency scope and the request's digest.
    pub key: String,
    /// The delivery whose handling asked.
    pub delivery_id: String,
    /// The plugin that asked.
    pub plugin: String,
    /// The event's repository, `owner/name`.
    pub repository: Option<String>,
    /// The provider's configured name.
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// Tokens of the prompt.
    pub prompt_tokens: i64,
    /// Tokens of the answer.
    pub completion_tokens: i64,
    /// What it cost, in micro-dollars, from the provider's prices.
    pub cost_micros: i64,
    /// SHA-256 of the prompt (the messages), hex.
    pub prompt_sha256: String,
    /// The answer.
    pub content: String,
    /// Whether the answer was cut at the token limit.
    pub truncated: bool,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "key, delivery_id, plugin, repository, provider, model, prompt_tokens, completion_tokens, cost_micros, prompt_sha256, content, truncated, created_at";

fn read(row: &QueryResult) -> Result<ModelCall, DbErr> {
    Ok(ModelCall {
        key: row.try_get("", "key")?,
        delivery_id: row.try_get("", "delivery_id")?,
        plugin: row.try_get("", "plugin")?,
        repository: row.try_get("", "repository")?,
        provider: row.try_get("", "provider")?,
        model: row.try_get("", "model")?,
        prompt_tokens: row.try_get("", "prompt_tokens")?,
        completion_tokens: row.try_get("", "completion_tokens")?,
        cost_micros: row.try_get("", "cost_micros")?,
        prompt_sha256: row.try_get("", "prompt_sha256")?,
        content: row.try_get("", "content")?,
        truncated: row.try_get("", "truncated")?,
        created_at: row.try_get("", "created_at")?,
    })
}

/// The completion recorded under `key`, if an earlier attempt got one.
///
/// # Errors
/// When the database fails.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> Result<Option<ModelCall>, DbErr> {
    let statement = sql(
        db,
        &format!("SELECT {COLUMNS} FROM model_calls WHERE key = $1"),
        vec![key.into()],
    );
    db.query_one_raw(statement)
        .await?
        .map(|row| read(&row))
        .transpose()
}

/// Records a completion (kept as it is when one was recorded under its key).
///
/// # Errors
/// When the database fails.
pub async fn insert(db: &impl ConnectionTrait, call: &ModelCall) -> Result<(), DbErr> {
    let statement = sql(
        db,
        &format!("INSERT INTO model_calls ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (key) DO NOTHING"),
        vec![
            call.key.clone().into(),
            call.delivery_id.clone().into(),
            call.plugin.clone().into(),
            call.repository.clone().into(),
            call.provider.clone().into(),
            call.model.clone().into(),
            call.prompt_tokens.into(),
            call.completion_tokens.into(),
            call.cost_micros.into(),
            call.prompt_sha256.clone().into(),
            call.content.clone().into(),
            call.truncated.into(),
            call.created_at.into(),
        ],
    );
    db.execute_raw(statement).await?;
    Ok(())
}

/// The completions recorded for a delivery, oldest first.
///
/// # Errors
/// When the database fails.
pub async fn for_delivery(
    db: &impl ConnectionTrait,
    delivery_id: &str,
) -> Result<Vec<ModelCall>, DbErr> {
    let statement = sql(
        db,
        &format!(
            "SELECT {COLUMNS} FROM model_calls WHERE delivery_id = $1 ORDER BY created_at, key"
        ),
        vec![delivery_id.into()],
    );
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(read)
        .collect()
}
