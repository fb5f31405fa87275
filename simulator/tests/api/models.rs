//! The OpenAI-compatible model stand-in: models listed under a bearer key, chat
//! completions with scripted or default answers and usage figures, `max_tokens`
//! cutting an answer (`finish_reason: "length"`), a JSON schema answered with an
//! object, and faults as OpenAI answers them (429 with `retry-after`, 500, a stall).

use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use gantry_simulator::{ModelFault, Simulator, SimulatorOptions};
use serde_json::{json, Value};

use crate::helpers::send;

fn chat(key: &str, body: &Value) -> TestRequest {
    TestRequest::post()
        .uri("/v1/chat/completions")
        .insert_header(("authorization", format!("Bearer {key}")))
        .set_json(body)
}

fn ask(text: &str) -> Value {
    json!({
        "model": "sim-small",
        "messages": [
            {"role": "system", "content": "You review pull requests."},
            {"role": "user", "content": text}
        ]
    })
}

#[actix_web::test]
async fn models_are_listed_to_a_known_key_only() {
    let sim = Simulator::new(SimulatorOptions::default());
    let listed = send(
        &sim,
        TestRequest::get()
            .uri("/v1/models")
            .insert_header(("authorization", "Bearer sk-simulated")),
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["object"], "list");
    assert_eq!(listed.json["data"][0]["id"], "sim-small");
    let refused = send(
        &sim,
        TestRequest::get()
            .uri("/v1/models")
            .insert_header(("authorization", "Bearer sk-wrong")),
    )
    .await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json["error"]["code"], "invalid_api_key");
}

#[actix_web::test]
async fn a_completion_answers_the_script_then_a_default_with_usage() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.script_model_replies(["Looks good to me."]);
    let first = send(&sim, chat("sk-simulated", &ask("Review this diff"))).await;
    assert_eq!(first.status, 200, "{:?}", first.json);
    assert_eq!(first.json["object"], "chat.completion");
    assert_eq!(first.json["model"], "sim-small");
    assert_eq!(
        first.json["choices"][0]["message"]["content"],
        "Looks good to me."
    );
    assert_eq!(first.json["choices"][0]["finish_reason"], "stop");
    let usage = &first.json["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 6);
    let second = send(&sim, chat("sk-simulated", &ask("Again"))).await;
    assert_eq!(
        second.json["choices"][0]["message"]["content"],
        "Simulated answer to a message of 5 characters."
    );
    assert_eq!(sim.model_requests().len(), 2);
    assert_eq!(sim.model_requests()[0].key.as_deref(), Some("sk-simulated"));
}

#[actix_web::test]
async fn max_tokens_cuts_the_answer_and_a_schema_gets_an_object() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.script_model_replies(["word ".repeat(100)]);
    let mut body = ask("Summarise");
    body["max_tokens"] = 10.into();
    let cut = send(&sim, chat("sk-simulated", &body)).await;
    assert_eq!(cut.json["choices"][0]["finish_reason"], "length");
    assert_eq!(cut.json["usage"]["completion_tokens"], 10);

    let mut body = ask("Plan");
    body["response_format"] = json!({
        "type": "json_schema",
        "json_schema": {"name": "plan", "schema": {"type": "object", "required": ["title", "steps"]}}
    });
    let structured = send(&sim, chat("sk-simulated", &body)).await;
    let content: Value = serde_json::from_str(
        structured.json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(content, json!({"title": "title", "steps": "steps"}));
}

#[actix_web::test]
async fn refusals_and_faults_are_answered_as_openai_does() {
    let sim = Simulator::new(SimulatorOptions::default());
    let wrong_key = send(&sim, chat("sk-nope", &ask("hi"))).await;
    assert_eq!(wrong_key.status, 401);
    let mut unknown = ask("hi");
    unknown["model"] = "gpt-none".into();
    let missing = send(&sim, chat("sk-simulated", &unknown)).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["error"]["code"], "model_not_found");

    sim.inject_model_fault(ModelFault::RetryAfter(7));
    sim.inject_model_fault(ModelFault::Status(500));
    sim.inject_model_fault(ModelFault::Stall(Duration::from_millis(300)));
    let limited = send(&sim, chat("sk-simulated", &ask("hi"))).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after").as_deref(), Some("7"));
    assert_eq!(limited.json["error"]["code"], "rate_limit_exceeded");
    let failed = send(&sim, chat("sk-simulated", &ask("hi"))).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json["error"]["type"], "server_error");
    let started = Instant::now();
    let stalled = send(&sim, chat("sk-simulated", &ask("hi"))).await;
    assert_eq!(stalled.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let fine = send(&sim, chat("sk-simulated", &ask("hi"))).await;
    assert_eq!(fine.status, 200, "each fault is used once");
}
