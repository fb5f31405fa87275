//! Webhook intake: signatures (W1), header checks (W3), the whole corpus (W6),
//! duplicate deliveries (W7), malformed payloads.
use std::time::Duration;

use gantry_server::github::signature;
use serde_json::Value;

use crate::helpers::{
    corpus_dir, corpus_payload, delivery_id, spawn_app, AppOptions, Plugins, SECRET,
};

#[tokio::test]
async fn every_hmac_vector_of_the_corpus_matches_the_computed_header() {
    let text = std::fs::read_to_string(corpus_dir().join("hmac-vectors.tsv")).unwrap();
    let mut checked = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 3, "malformed vector line: {line}");
        let (secret, body, expected) = (cols[0], vector_body(cols[1]), cols[2]);
        assert_eq!(
            signature::sign(secret.as_bytes(), &body),
            expected,
            "vector from {}",
            cols.get(3).unwrap_or(&"?")
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} vectors found");
}

/// Bodies are literal unless written as a JSON string (then they are unescaped).
fn vector_body(raw: &str) -> Vec<u8> {
    if raw.starts_with('"') {
        if let Ok(Value::String(s)) = serde_json::from_str(raw) {
            return s.into_bytes();
        }
    }
    raw.as_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_with_upper_case_escapes_is_verified_on_its_raw_bytes() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    // A body GitHub could send, with upper-case escapes that re-serialising would change.
    let body = br#"{"action":"opened","note":"\u001B[1m","repository":{"name":"r","owner":{"login":"o"}}}"#;
    let response = app.post_webhook("issues", &delivery_id(), body).await;
    assert_eq!(response.status(), 202);
    let reserialised = serde_json::to_vec(&serde_json::from_slice::<Value>(body).unwrap()).unwrap();
    assert_ne!(
        signature::sign(SECRET.as_bytes(), body),
        signature::sign(SECRET.as_bytes(), &reserialised)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_with_missing_headers_bad_signatures_or_wrong_methods_are_refused_and_nothing_is_stored(
) {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let body = corpus_payload("issues/opened.payload.json");
    let good_sig = signature::sign(SECRET.as_bytes(), &body);
    let url = format!("{}/webhooks/github", app.address);
    // (case, headers, expected status, expected error code)
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "no event",
            vec![
                ("x-github-delivery", "d1".into()),
                ("x-hub-signature-256", good_sig.clone()),
            ],
            400,
            "missing_event",
        ),
        (
            "no delivery",
            vec![
                ("x-github-event", "issues".into()),
                ("x-hub-signature-256", good_sig.clone()),
            ],
            400,
            "missing_delivery",
        ),
        (
            "no signature",
            vec![
                ("x-github-event", "issues".into()),
                ("x-github-delivery", "d3".into()),
            ],
            401,
            "missing_signature",
        ),
        (
            "sha1 only",
            vec![
                ("x-github-event", "issues".into()),
                ("x-github-delivery", "d4".into()),
                ("x-hub-signature", "sha1=0123".into()),
            ],
            401,
            "missing_signature",
        ),
        (
            "wrong secret",
            vec![
                ("x-github-event", "issues".into()),
                ("x-github-delivery", "d5".into()),
                (
                    "x-hub-signature-256",
                    signature::sign(b"not-the-secret", &body),
                ),
            ],
            401,
            "bad_signature",
        ),
    ];
    for (name, headers, status, code) in cases {
        let mut request = app.http.post(&url).body(body.clone());
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "case {name}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"], code, "case {name}");
    }
    let get = app.http.get(&url).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(app.delivery_count().await, 0);
    assert_eq!(app.job_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_body_that_is_not_a_json_object_is_refused_and_nothing_is_stored() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    for body in [&b"Hello, World!"[..], b"[1,2,3]", b"{\"action\":", b""] {
        let response = app.post_webhook("issues", &delivery_id(), body).await;
        assert_eq!(
            response.status(),
            400,
            "body {:?}",
            String::from_utf8_lossy(body)
        );
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"], "malformed_payload");
    }
    assert_eq!(app.delivery_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_payload_is_accepted_stored_once_and_recognised() {
    let app = spawn_app(AppOptions {
        plugins: Plugins::None,
        ..AppOptions::default()
    })
    .await;
    let mut files = Vec::new();
    for dir in std::fs::read_dir(corpus_dir().join("webhooks")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                files.push(file);
            }
        }
    }
    files.sort();
    assert!(
        files.len() > 150,
        "expected the whole corpus, found {}",
        files.len()
    );
    for file in &files {
        let event = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let body = std::fs::read(file).unwrap();
        let expected_action = serde_json::from_slice::<Value>(&body)
            .unwrap()
            .get("action")
            .cloned()
            .unwrap_or(Value::Null);
        let response = app.post_webhook(event, &delivery_id(), &body).await;
        assert_eq!(response.status(), 202, "{}", file.display());
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["event"], event, "{}", file.display());
        assert_eq!(json["action"], expected_action, "{}", file.display());
        assert_eq!(
            json["recognised"],
            true,
            "{} was not recognised",
            file.display()
        );
        assert_eq!(json["duplicate"], false);
    }
    assert_eq!(app.delivery_count().await, files.len() as u64);
    assert_eq!(app.job_count().await, files.len() as u64);
    app.wait_for_idle_queue(Duration::from_secs(60)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_delivery_ten_times_gives_one_job_and_one_side_effect() {
    let app = spawn_app(AppOptions::default()).await;
    let body = corpus_payload("pull_request/opened.payload.json");
    let id = delivery_id();
    for attempt in 0..10 {
        let response = app.post_webhook("pull_request", &id, &body).await;
        assert_eq!(response.status(), 202, "attempt {attempt}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["duplicate"], attempt > 0, "attempt {attempt}");
    }
    app.wait_for_idle_queue(Duration::from_secs(20)).await;
    assert_eq!(app.delivery_count().await, 1);
    assert_eq!(app.job_count().await, 1);
    let pr: Value = serde_json::from_slice(&body).unwrap();
    let (owner, repo) = (
        pr["repository"]["owner"]["login"].as_str().unwrap(),
        pr["repository"]["name"].as_str().unwrap(),
    );
    let comments = app
        .sim
        .issue_comments(owner, repo, pr["number"].as_u64().unwrap())
        .unwrap();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(app.sim.write_count(), 1);
}
