//! The `model` host calls through a real v0.2 plugin (the `modeler` fixture) and the
//! simulator's OpenAI-compatible stand-in, configured as an operator would: a
//! provider under `[models]` whose API key is a sealed secret. A completion comes
//! back with its tokens and is recorded with the delivery; what the plugin writes
//! afterwards carries the footer, the trailer and the audit mark; an undeclared
//! provider and a provider no rule allows are refused without a request; a 429 and
//! a stall are retried through the job queue, and a job retried after a completion
//! gets the recorded answer, so the provider is asked and charged once. The key is
//! never in the database or the logs.
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use gantry_server::config::Settings;
use gantry_server::db::entities::{approvals, audit_log};
use gantry_server::db::kv::{self, KvScope};
use gantry_server::db::model_calls;
use gantry_server::model::record::prompt_sha256;
use gantry_server::model::Message;
use gantry_simulator::{Fault, FaultKind, ModelFault};
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::dashboard::{main_of, sign_in};
use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, TestApp};
use crate::stand_in;

/// The stand-in's API key in these tests: distinctive, so a search finds it.
const KEY: &str = "sk-gantry-model-key-5c1e9a7f3b2d";

/// Configures `stand-in` (declared by the fixture) and `undeclared` (not), both
/// pointing at the simulator's `/v1`, with prices and a one-second timeout.
fn with_providers(settings: &mut Settings) {
    let stand_in = stand_in::provider(settings, 1);
    settings
        .models
        .insert("undeclared".into(), stand_in.clone());
    settings.models.insert("stand-in".into(), stand_in);
}

async fn modeler_app() -> TestApp {
    modeler_app_with(with_providers).await
}

/// [`modeler_app`] with other settings (`tweak` configures the providers too).
async fn modeler_app_with(tweak: fn(&mut Settings)) -> TestApp {
    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["modeler"]),
        tweak: Some(tweak),
        ..AppOptions::default()
    })
    .await;
    stand_in::store_key(&app, KEY).await;
    app
}

/// Opens issue `number` titled `provider` (the provider the fixture asks).
async fn open_issue(app: &TestApp, number: u64, provider: &str) -> String {
    let mut payload: Value =
        serde_json::from_slice(&corpus_payload("issues/opened.payload.json")).unwrap();
    payload["issue"]["number"] = number.into();
    payload["issue"]["title"] = provider.into();
    payload["issue"]["body"] = "Why is CI red on main?".into();
    let id = delivery_id();
    let body = serde_json::to_vec(&payload).unwrap();
    assert_eq!(app.post_webhook("issues", &id, &body).await.status(), 202);
    app.wait_for_idle_queue(Duration::from_secs(40)).await;
    id
}

async fn recorded(app: &TestApp, key: &str) -> Option<Value> {
    let scope = KvScope {
        plugin: "modeler",
        project: "Codertocat/Hello-World",
    };
    kv::get(&app.state.db, scope, key)
        .await
        .unwrap()
        .map(|v| serde_json::from_slice(&v).unwrap())
}

/// Log lines of the whole test binary while `capturing` is on, for the key search.
fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("gantry_server=debug,reqwest=debug")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        // Another test may have set one first: then nothing is captured, and the
        // search below would pass vacuously; so it checks that lines came in.
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut logs = self.0.lock().unwrap();
        // Bounded: other tests log through the same subscriber.
        if logs.len() < 64 * 1024 * 1024 {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every byte of the test's SQLite database (and its write-ahead log).
fn sqlite_bytes(app: &TestApp) -> Option<Vec<u8>> {
    let url = app.state.settings.database_url();
    let path = url.strip_prefix("sqlite://")?.split('?').next()?.to_owned();
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
        bytes.extend(wal);
    }
    Some(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_is_recorded_with_the_delivery_and_what_follows_is_marked() {
    let logs = captured_logs();
    let app = modeler_app().await;
    app.allow("modeler", &["model:stand-in"]).await;
    app.sim.script_model_replies(["A flaky test; rerun it."]);
    let id = open_issue(&app, 1, "stand-in").await;

    // The plugin got the answer and its tokens.
    let completion = recorded(&app, "completion").await.expect("a completion");
    assert_eq!(completion["content"], "A flaky test; rerun it.");
    assert_eq!(completion["model"], "sim-small");
    let prompt_tokens = completion["prompt_tokens"].as_u64().unwrap();
    let completion_tokens = completion["completion_tokens"].as_u64().unwrap();
    assert!(prompt_tokens > 0 && completion_tokens > 0);
    // It may ask the providers it declares and the operator configured.
    assert_eq!(
        recorded(&app, "providers").await.unwrap(),
        serde_json::json!(["rule-based", "stand-in"])
    );
    // The stand-in got the key, the messages and the limit; never the key's name.
    let sent = app.sim.model_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].key.as_deref(), Some(KEY));
    assert_eq!(sent[0].body["model"], "sim-small");
    assert_eq!(sent[0].body["max_tokens"], 200);
    assert_eq!(
        sent[0].body["messages"][1]["content"],
        "Why is CI red on main?"
    );

    // Provenance: one row for the delivery, priced, with the prompt's digest.
    let calls = model_calls::for_delivery(&app.state.db, &id).await.unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(
        (
            call.plugin.as_str(),
            call.provider.as_str(),
            call.model.as_str()
        ),
        ("modeler", "stand-in", "sim-small")
    );
    assert_eq!(call.repository.as_deref(), Some("Codertocat/Hello-World"));
    assert_eq!(call.prompt_tokens, i64::try_from(prompt_tokens).unwrap());
    assert_eq!(
        call.completion_tokens,
        i64::try_from(completion_tokens).unwrap()
    );
    let prices = app.state.settings.models["stand-in"].prices();
    let cost = prices.cost_micros(prompt_tokens, completion_tokens);
    assert!(cost > 0);
    assert_eq!(call.cost_micros, i64::try_from(cost).unwrap());
    let prompt = [
        Message::new("system", "You answer issues in one sentence."),
        Message::new("user", "Why is CI red on main?"),
    ];
    assert_eq!(call.prompt_sha256, prompt_sha256(&prompt));

    // The comment carries the footer.
    let comments = app
        .sim_get("Codertocat/Hello-World", "/issues/1/comments")
        .await;
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.starts_with("A flaky test; rerun it."), "{body}");
    assert!(
        body.contains("<sub>Written with a language model (stand-in/sim-small) via Gantry</sub>"),
        "{body}"
    );
    // The commit (held: contents:write asks) carries the trailer in what would run.
    let held = approvals::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(
        held[0].action.contains("Gantry-Model: stand-in/sim-small"),
        "{}",
        held[0].action
    );
    // The writes' audit rows name the model; the model call's own decision does not.
    let audit = audit_log::Entity::find().all(&app.state.db).await.unwrap();
    let decided = |capability: &str| {
        audit
            .iter()
            .find(|r| r.capability.as_deref() == Some(capability) && r.action == "policy.decision")
            .and_then(|r| r.details.clone())
            .unwrap_or_else(|| panic!("no decision on {capability}"))
    };
    assert!(decided("model:stand-in").contains("allow"), "{audit:?}");
    assert!(!decided("model:stand-in").contains("model: stand-in"));
    for write in ["issues:write", "contents:write"] {
        assert!(
            decided(write).ends_with("; model: stand-in/sim-small"),
            "{write}: {}",
            decided(write)
        );
    }

    // The delivery's page shows the call.
    let viewer = sign_in(&app, "vera", "viewer").await;
    let (status, html) = viewer.get(&format!("/dashboard/deliveries/{id}")).await;
    assert_eq!(status, 200);
    let page = main_of(&html);
    assert!(page.contains("Model calls"), "{page}");
    assert!(page.contains(&call.prompt_sha256), "{page}");
    assert!(
        page.contains(&format!("${}.{:06}", cost / 1_000_000, cost % 1_000_000)),
        "{page}"
    );

    // The key is nowhere in the database, nor in the logs.
    if let Some(bytes) = sqlite_bytes(&app) {
        assert!(!contains(&bytes, KEY), "the API key is in the SQLite file");
        assert!(
            contains(&bytes, "stand-in-key"),
            "the search looks in the right file"
        );
    }
    let logs = logs.lock().unwrap();
    assert!(!logs.is_empty(), "no log lines were captured");
    assert!(!contains(&logs, KEY), "the API key is in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_provider_and_one_no_rule_allows_are_refused_without_a_request() {
    let app = modeler_app().await;
    // Declared, configured, but only `ask` by default: a model call cannot wait.
    let id = open_issue(&app, 1, "stand-in").await;
    let error = recorded(&app, "error").await.unwrap();
    let error = error.as_str().unwrap();
    assert!(error.contains("Denied"), "{error}");
    assert!(error.contains("cannot be held for approval"), "{error}");
    // Configured but not declared: denied whatever the rules say.
    app.allow("modeler", &["model:undeclared"]).await;
    open_issue(&app, 2, "undeclared").await;
    let error = recorded(&app, "error").await.unwrap();
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("does not declare model:undeclared"),
        "{error}"
    );
    assert!(app.sim.model_requests().is_empty());
    assert!(model_calls::for_delivery(&app.state.db, &id)
        .await
        .unwrap()
        .is_empty());
    // Both refusals are audited.
    let audit = audit_log::Entity::find().all(&app.state.db).await.unwrap();
    for (capability, decision) in [("model:stand-in", "ask"), ("model:undeclared", "deny")] {
        let row = audit
            .iter()
            .find(|r| r.capability.as_deref() == Some(capability) && r.action == "policy.decision")
            .unwrap_or_else(|| panic!("no decision on {capability}"));
        assert_eq!(row.decision.as_deref(), Some(decision));
    }
    // The built-in provider needs no rule and no network.
    open_issue(&app, 3, "rule-based").await;
    let completion = recorded(&app, "completion").await.unwrap();
    assert_eq!(completion["model"], "rule-based");
    assert!(app.sim.model_requests().is_empty());
}

/// Asserts delivery `id`'s run was retried once and then succeeded, the provider has
/// been asked `requests` times in all, and one completion is recorded for `id`;
/// returns the record.
async fn retried_once_and_recorded_once(
    app: &TestApp,
    id: &str,
    requests: usize,
) -> Vec<model_calls::ModelCall> {
    let outcomes: Vec<String> = app
        .runs_of(id)
        .await
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes, ["retry", "ok"]);
    assert_eq!(app.sim.model_requests().len(), requests);
    let calls = model_calls::for_delivery(&app.state.db, id).await.unwrap();
    assert_eq!(calls.len(), 1);
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_a_stall_and_a_failed_write_retry_the_job_and_charge_once() {
    let app = modeler_app().await;
    app.allow("modeler", &["model:stand-in"]).await;

    // 429 with retry-after: the job waits it out, then the provider answers.
    app.sim.inject_model_fault(ModelFault::RetryAfter(1));
    let id = open_issue(&app, 1, "stand-in").await;
    retried_once_and_recorded_once(&app, &id, 2).await;

    // A stall past the provider's timeout: transient, retried, answered once.
    app.sim
        .inject_model_fault(ModelFault::Stall(Duration::from_millis(2_500)));
    let id = open_issue(&app, 2, "stand-in").await;
    retried_once_and_recorded_once(&app, &id, 4).await;

    // The completion succeeded but the comment after it failed: the retried job
    // gets the recorded answer, and the provider is not asked (nor charged) again.
    app.sim.inject(Fault {
        method: Some("POST".into()),
        path: "/repos/*/*/issues/*/comments".into(),
        kind: FaultKind::Status(502),
        times: Some(1),
    });
    app.sim.script_model_replies(["Recorded once."]);
    let id = open_issue(&app, 3, "stand-in").await;
    let calls = retried_once_and_recorded_once(&app, &id, 5).await;
    assert_eq!(calls[0].content, "Recorded once.");
    let comments = app
        .sim_get("Codertocat/Hello-World", "/issues/3/comments")
        .await;
    assert_eq!(comments.as_array().unwrap().len(), 1);
    assert!(comments[0]["body"]
        .as_str()
        .unwrap()
        .starts_with("Recorded once."));
}

/// The providers, and a budget of 100 tokens per invocation: less than the 200 the
/// fixture lets an answer have, so its call's worst case passes it.
fn with_a_small_budget(settings: &mut Settings) {
    with_providers(settings);
    settings.model_spending.budgets.invocation.tokens = Some(100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_worst_case_would_pass_a_budget_is_refused_before_it_is_sent() {
    let app = modeler_app_with(with_a_small_budget).await;
    app.allow("modeler", &["model:stand-in"]).await;
    app.sim.script_model_replies(["never sent"]);
    let id = open_issue(&app, 3, "stand-in").await;
    let error = recorded(&app, "error")
        .await
        .expect("the plugin was refused");
    let error = error.as_str().unwrap();
    assert!(error.contains("BudgetExceeded"), "{error}");
    assert!(
        error.contains("invocation's token budget of 100"),
        "{error}"
    );
    assert!(app.sim.model_requests().is_empty(), "nothing was sent");
    assert!(model_calls::for_delivery(&app.state.db, &id)
        .await
        .unwrap()
        .is_empty());
    let refusals = gantry_server::db::audit::with_action(&app.state.db, "model.budget_refused")
        .await
        .unwrap();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].capability.as_deref(), Some("model:stand-in"));
    assert_eq!(refusals[0].delivery_id.as_deref(), Some(id.as_str()));
    assert!(
        app.metric("gantry_model_budget_refusals_total{scope=\"invocation\",unit=\"tokens\"}")
            .await
            >= 1.0
    );
}
