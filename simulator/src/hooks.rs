//! The App's webhook deliveries, as GitHub keeps them for an App ("Recent
//! Deliveries"): the log that `GET /app/hook/deliveries` lists, deliveries the
//! simulator sends itself to the App's webhook URL (signed with the App's webhook
//! secret, GitHub's headers), and the redeliveries `POST
//! /app/hook/deliveries/{id}/attempts` asks for, sent again with the same
//! `X-GitHub-Delivery` and logged as new attempts with `redelivery: true`. Tests also
//! seed entries (a failed attempt, one the receiver never stored). Never persisted.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

use crate::Simulator;

/// Where the App's deliveries go: its webhook URL and secret.
#[derive(Debug, Clone)]
pub struct HookTarget {
    /// The webhook URL (`http://127.0.0.1:PORT/webhooks/github`).
    pub url: String,
    /// The App's webhook secret, signing each body (`X-Hub-Signature-256`).
    pub secret: String,
}

/// One delivery attempt in the log, as GitHub's "simple webhook delivery".
#[derive(Debug, Clone, Serialize)]
pub struct HookDelivery {
    /// The attempt's id: increasing, newest highest.
    pub id: u64,
    /// The event's GUID, shared by every attempt at it (`X-GitHub-Delivery`).
    pub guid: String,
    /// When the attempt was made (RFC 3339, seconds).
    pub delivered_at: String,
    /// Whether it was asked for through `.../attempts`.
    pub redelivery: bool,
    /// Seconds the attempt took.
    pub duration: f64,
    /// `OK`, `Invalid HTTP Response: 503`, `failed to connect`, ...
    pub status: String,
    /// The receiver's status code; 0 when it could not be reached.
    pub status_code: u16,
    /// The event (`issues`).
    pub event: String,
    /// The payload's `action`, when it has one.
    pub action: Option<String>,
    /// The payload's `installation.id`.
    pub installation_id: Option<u64>,
    /// The payload's `repository.id`.
    pub repository_id: Option<u64>,
    /// Always null here: the simulator never throttles deliveries.
    pub throttled_at: Option<String>,
    #[serde(skip)]
    pub(crate) app_id: u64,
    #[serde(skip)]
    payload: Arc<Vec<u8>>,
}

/// A log entry a test seeds without sending anything.
#[derive(Debug, Clone)]
pub struct NewHookDelivery {
    /// The App the delivery belongs to.
    pub app_id: u64,
    /// The event's GUID.
    pub guid: String,
    /// The event name.
    pub event: String,
    /// The payload a redelivery sends.
    pub payload: Value,
    /// The status code the attempt got (0: could not connect).
    pub status_code: u16,
}

/// The log and the target; behind the simulator's `hooks` lock.
#[derive(Debug, Default)]
pub(crate) struct HookLog {
    target: Option<HookTarget>,
    entries: Vec<HookDelivery>,
    next_id: u64,
    redeliveries_asked: Vec<u64>,
}

impl HookLog {
    /// The App's attempts, newest first.
    pub(crate) fn of_app(&self, app_id: u64) -> Vec<HookDelivery> {
        let mut mine: Vec<HookDelivery> = self
            .entries
            .iter()
            .filter(|d| d.app_id == app_id)
            .cloned()
            .collect();
        mine.sort_by_key(|d| std::cmp::Reverse(d.id));
        mine
    }

    fn push(&mut self, mut entry: HookDelivery) -> HookDelivery {
        self.next_id += 1;
        entry.id = self.next_id;
        self.entries.push(entry.clone());
        entry
    }
}

impl Simulator {
    /// Sets where the App's deliveries go.
    pub fn set_hook_target(&self, url: impl Into<String>, secret: impl Into<String>) {
        self.hooks.lock().target = Some(HookTarget {
            url: url.into(),
            secret: secret.into(),
        });
    }

    /// Adds an attempt to the log without sending anything: a delivery that failed,
    /// or one the receiver answered but never kept.
    pub fn record_hook_delivery(&self, new: NewHookDelivery) -> HookDelivery {
        let bytes = serde_json::to_vec(&new.payload).unwrap_or_default();
        let entry = entry(
            new.app_id,
            &new.guid,
            &new.event,
            Arc::new(bytes),
            false,
            Outcome::code(new.status_code),
            0.01,
        );
        self.hooks.lock().push(entry)
    }

    /// Sends `payload` as a new delivery of `event` to the target, as GitHub would,
    /// and logs the attempt; `None` without a target.
    pub async fn deliver_hook(
        &self,
        app_id: u64,
        event: &str,
        guid: &str,
        payload: &Value,
    ) -> Option<HookDelivery> {
        let bytes = Arc::new(serde_json::to_vec(payload).ok()?);
        self.send(app_id, guid, event, bytes, false).await
    }

    /// Sends the logged attempt `id` again (same GUID and body) and logs the new
    /// attempt as a redelivery; `None` when there is no such attempt or no target.
    pub async fn redeliver_hook(&self, id: u64) -> Option<HookDelivery> {
        let old = {
            let mut log = self.hooks.lock();
            log.redeliveries_asked.push(id);
            log.entries.iter().find(|d| d.id == id)?.clone()
        };
        self.send(old.app_id, &old.guid, &old.event, old.payload, true)
            .await
    }

    /// Every attempt in the log, newest first.
    pub fn hook_deliveries(&self) -> Vec<HookDelivery> {
        let log = self.hooks.lock();
        let mut all = log.entries.clone();
        all.sort_by_key(|d| std::cmp::Reverse(d.id));
        all
    }

    /// The ids redeliveries were asked for, in order (`POST .../attempts`).
    pub fn hook_redeliveries_asked(&self) -> Vec<u64> {
        self.hooks.lock().redeliveries_asked.clone()
    }

    async fn send(
        &self,
        app_id: u64,
        guid: &str,
        event: &str,
        body: Arc<Vec<u8>>,
        redelivery: bool,
    ) -> Option<HookDelivery> {
        let target = self.hooks.lock().target.clone()?;
        let started = std::time::Instant::now();
        let outcome = post(&target, app_id, guid, event, &body).await;
        let seconds = started.elapsed().as_secs_f64();
        let entry = entry(app_id, guid, event, body, redelivery, outcome, seconds);
        Some(self.hooks.lock().push(entry))
    }
}

/// What an attempt got.
struct Outcome {
    code: u16,
    status: String,
}

impl Outcome {
    fn code(code: u16) -> Self {
        let status = match code {
            0 => "failed to connect".to_owned(),
            200..=299 => "OK".to_owned(),
            _ => format!("Invalid HTTP Response: {code}"),
        };
        Self { code, status }
    }
}

fn entry(
    app_id: u64,
    guid: &str,
    event: &str,
    payload: Arc<Vec<u8>>,
    redelivery: bool,
    outcome: Outcome,
    duration: f64,
) -> HookDelivery {
    let parsed: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
    let now: DateTime<Utc> = Utc::now();
    HookDelivery {
        id: 0,
        guid: guid.to_owned(),
        delivered_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        redelivery,
        duration: (duration * 1000.0).round() / 1000.0,
        status: outcome.status,
        status_code: outcome.code,
        event: event.to_owned(),
        action: parsed["action"].as_str().map(str::to_owned),
        installation_id: parsed["installation"]["id"].as_u64(),
        repository_id: parsed["repository"]["id"].as_u64(),
        throttled_at: None,
        app_id,
        payload,
    }
}

/// One POST to the target with GitHub's headers, within GitHub's 10 s.
async fn post(target: &HookTarget, app_id: u64, guid: &str, event: &str, body: &[u8]) -> Outcome {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(target.secret.as_bytes()) else {
        return Outcome::code(0);
    };
    mac.update(body);
    let signature = hex::encode(mac.finalize().into_bytes());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build();
    let Ok(client) = client else {
        return Outcome::code(0);
    };
    let sent = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/simulator")
        .header("x-github-event", event)
        .header("x-github-delivery", guid)
        .header("x-hub-signature-256", format!("sha256={signature}"))
        .header("x-github-hook-installation-target-type", "integration")
        .header("x-github-hook-installation-target-id", app_id.to_string())
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(answer) => Outcome::code(answer.status().as_u16()),
        Err(err) if err.is_timeout() => Outcome {
            code: 0,
            status: "timed out".into(),
        },
        Err(_) => Outcome::code(0),
    }
}
