//! The SDK's model calls against the fake host: the request as sent, a scripted
//! answer written back, and a failure recorded.
use gantry_plugin_sdk::fake::{self, FakeHost};
use gantry_plugin_sdk::model::ModelError;
use gantry_plugin_sdk::Plugin;

use super::Modeler;

fn opened(title: &str) -> gantry_plugin_sdk::Event {
    let payload = serde_json::json!({
        "action": "opened",
        "issue": { "number": 7, "title": title, "body": "Why is CI red?" },
        "repository": { "full_name": "octo/app" }
    });
    fake::event("issues", &payload.to_string())
}

#[test]
fn the_answer_of_the_provider_named_is_commented_and_committed() {
    let host = FakeHost::install();
    host.complete_with("Because a test is flaky.");
    Modeler::handle_event(opened("stand-in")).unwrap();
    let asked = host.calls_to("model.complete");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].args["provider"], "stand-in");
    assert_eq!(asked[0].args["max_tokens"], 200);
    assert_eq!(asked[0].args["messages"][1]["role"], "user");
    assert_eq!(asked[0].args["messages"][1]["content"], "Why is CI red?");
    let comment = host.calls_to("create-comment");
    assert_eq!(comment[0].args["body"], "Because a test is flaky.");
    assert_eq!(host.calls_to("put-file").len(), 1);
    assert_eq!(
        host.kv_get("providers").unwrap(),
        br#"["rule-based"]"#.to_vec()
    );
}

#[test]
fn a_denied_call_is_recorded_and_an_unavailable_one_fails_the_handler() {
    let host = FakeHost::install();
    host.model_fails(ModelError::Denied("model:paid is not declared".into()));
    Modeler::handle_event(opened("paid")).unwrap();
    let error = String::from_utf8(host.kv_get("error").unwrap()).unwrap();
    assert!(error.contains("Denied"), "{error}");
    assert!(host.calls_to("create-comment").is_empty());

    host.model_fails(ModelError::Unavailable("429".into()));
    let failed = Modeler::handle_event(opened("stand-in")).unwrap_err();
    assert!(failed.is_transient(), "{failed}");
    assert!(failed.to_string().contains("model unavailable"), "{failed}");
}
