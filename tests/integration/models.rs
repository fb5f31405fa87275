//! The OpenAI-compatible model provider against the simulator's stand-in: a
//! completion with its usage, a JSON schema, and each failure sorted as the job queue
//! needs it: 429 a rate limit until `retry-after`, 500 and a stall transient, a wrong
//! key final.
use std::time::Duration;

use gantry_server::domain::Secret;
use gantry_server::model::openai::OpenAi;
use gantry_server::model::{CompletionRequest, Message, ModelError};
use gantry_simulator::ModelFault;

use crate::helpers::{spawn_app, AppOptions, Plugins};

fn ask(text: &str) -> CompletionRequest {
    CompletionRequest {
        messages: vec![
            Message::new("system", "You review pull requests."),
            Message::new("user", text),
        ],
        max_tokens: 200,
        json_schema: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_failures_of_an_openai_compatible_server() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let base = format!("{}/v1", app.state.settings.github.api_url);
    let provider = |key: &str, timeout_ms: u64| {
        OpenAi::new(
            &base,
            "sim-small",
            Some(Secret::new(key)),
            Duration::from_millis(timeout_ms),
        )
        .unwrap()
    };
    let model = provider("sk-simulated", 2_000);

    app.sim.script_model_replies(["Two findings."]);
    let answer = model.complete(&ask("Review it")).await.unwrap();
    assert_eq!(answer.content, "Two findings.");
    assert_eq!(answer.model, "sim-small");
    assert!(answer.prompt_tokens > 0 && answer.completion_tokens > 0);
    assert!(!answer.truncated);
    let sent = &app.sim.model_requests()[0];
    assert_eq!(sent.key.as_deref(), Some("sk-simulated"));
    assert_eq!(sent.body["max_tokens"], 200);
    assert_eq!(sent.body["messages"][1]["content"], "Review it");

    let mut structured = ask("Plan it");
    structured.json_schema = Some(serde_json::json!({"type": "object", "required": ["plan"]}));
    let answer = model.complete(&structured).await.unwrap();
    let value: serde_json::Value = serde_json::from_str(&answer.content).unwrap();
    assert_eq!(value["plan"], "plan");
    app.sim.script_model_replies(["not json"]);
    assert!(matches!(
        model.complete(&structured).await,
        Err(ModelError::Rejected { .. })
    ));

    app.sim.inject_model_fault(ModelFault::RetryAfter(7));
    match model.complete(&ask("again")).await {
        Err(ModelError::RateLimited { retry_at, .. }) => {
            let wait = (retry_at - chrono::Utc::now()).num_seconds();
            assert!((5..=7).contains(&wait), "{wait}");
        }
        other => panic!("{other:?}"),
    }
    app.sim.inject_model_fault(ModelFault::Status(500));
    assert!(matches!(
        model.complete(&ask("again")).await,
        Err(ModelError::Transient(_))
    ));
    app.sim
        .inject_model_fault(ModelFault::Stall(Duration::from_millis(1_500)));
    assert!(matches!(
        provider("sk-simulated", 300).complete(&ask("again")).await,
        Err(ModelError::Transient(_))
    ));
    match provider("sk-wrong", 2_000).complete(&ask("again")).await {
        Err(ModelError::Rejected { status, message }) => {
            assert_eq!(status, 401);
            assert!(!message.contains("sk-wrong"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
