//! Span export: a small OTLP/HTTP receiver collects what Gantry sends while it handles
//! one delivery, and the span tree is checked: the request tree (`POST
//! /webhooks/github` → `receive_webhook` → `intake`) and the job tree (`process` → `plugin.invoke` → `policy.decision`,
//! `github.call`), joined by the `delivery.id` attribute.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gantry_server::config::TelemetrySettings;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::helpers::{corpus_payload, delivery_id, spawn_app, AppOptions, Plugins};

/// Spans received so far, with the `service.name` of their resource.
type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// Accepts `POST /v1/traces` with protobuf bodies on its own threads, so a blocking
/// flush in the test never waits on the test's runtime.
fn start_receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Received::default();
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sink = sink.clone();
            std::thread::spawn(move || serve_connection(stream, &sink));
        }
    });
    (url, received)
}

/// Answers requests on one keep-alive connection until the client closes it.
fn serve_connection(stream: TcpStream, sink: &Received) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let status = if request_line.starts_with("POST /v1/traces ") {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            let mut spans = sink.lock().unwrap();
            for resource in request.resource_spans {
                let service = resource
                    .resource
                    .as_ref()
                    .and_then(|r| string_attribute(&r.attributes, "service.name"))
                    .unwrap_or_default();
                for scope in resource.scope_spans {
                    spans.extend(scope.spans.into_iter().map(|s| (service.clone(), s)));
                }
            }
            "200 OK"
        } else {
            "404 Not Found"
        };
        let answer = format!("HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn string_attribute(
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    key: &str,
) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            other => Some(format!("{other:?}")),
        }
    })
}

fn attr(span: &Span, key: &str) -> Option<String> {
    string_attribute(&span.attributes, key)
}

/// Whether `span` sits somewhere under `ancestor` in `spans`.
fn is_under(spans: &[Span], span: &Span, ancestor: &Span) -> bool {
    let mut parent = span.parent_span_id.clone();
    while !parent.is_empty() {
        if parent == ancestor.span_id {
            return true;
        }
        parent = spans
            .iter()
            .find(|s| s.span_id == parent)
            .map(|s| s.parent_span_id.clone())
            .unwrap_or_default();
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_delivery_is_exported_as_one_trace_from_the_request_through_the_queue_to_the_github_call(
) {
    let (url, received) = start_receiver();
    // The first subscriber installed in this process wins: this one exports, and the
    // plain `init` in `spawn_app` then changes nothing.
    let settings = TelemetrySettings {
        otlp_endpoint: url,
        service_name: "gantry-test".into(),
    };
    let telemetry = gantry_server::telemetry::init_exporting(false, &settings).unwrap();
    assert!(
        telemetry.exports(),
        "another subscriber was installed first"
    );

    let app = spawn_app(AppOptions {
        plugins: Plugins::Named(&["hooks"]),
        ..AppOptions::default()
    })
    .await;
    let id = delivery_id();
    assert_eq!(
        app.post_webhook("issues", &id, &corpus_payload("issues/opened.payload.json"))
            .await
            .status(),
        202
    );
    app.wait_for_idle_queue(Duration::from_secs(20)).await;

    // Flush until both trees of this delivery have arrived (the job's span ends just
    // after the queue looks idle).
    let deadline = Instant::now() + Duration::from_secs(20);
    let spans: Vec<Span> = loop {
        telemetry.flush().unwrap();
        let spans: Vec<(String, Span)> = received.lock().unwrap().clone();
        let has = |name: &str| {
            spans.iter().any(|(_, s)| {
                s.name == name && attr(s, "delivery.id").as_deref() == Some(id.as_str())
            })
        };
        if has("process") && has("intake") {
            assert!(
                spans.iter().all(|(service, _)| service == "gantry-test"),
                "service.name comes from the settings"
            );
            break spans.into_iter().map(|(_, s)| s).collect();
        }
        assert!(
            Instant::now() < deadline,
            "spans of {id} never arrived: {:?}",
            spans.iter().map(|(_, s)| &s.name).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let named = |name: &'static str| spans.iter().filter(move |s| s.name == name);
    let for_delivery = |name: &'static str| {
        named(name)
            .find(|s| attr(s, "delivery.id").as_deref() == Some(id.as_str()))
            .unwrap()
    };

    // The request tree: the request's root span (tracing-actix-web names it after the
    // method and route) holds the handler, which holds `intake`.
    let intake = for_delivery("intake");
    assert_eq!(attr(intake, "event").as_deref(), Some("issues"));
    let request = spans
        .iter()
        .find(|s| s.name == "POST /webhooks/github" && is_under(&spans, intake, s))
        .unwrap_or_else(|| {
            panic!(
                "intake is not under the request span: {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert!(
        request.parent_span_id.is_empty(),
        "the request span is a root"
    );

    // The job continues the request's trace across the queue: `process` is a child
    // of `intake` (through the traceparent kept on the job) → `plugin.invoke` for
    // hooks → the policy decision and the GitHub call it allowed.
    let process = for_delivery("process");
    assert!(attr(process, "job").is_some() && attr(process, "attempt").is_some());
    assert_eq!(process.trace_id, intake.trace_id, "one trace per delivery");
    assert_eq!(
        process.parent_span_id, intake.span_id,
        "the job's span is a child of intake's"
    );
    assert!(is_under(&spans, process, request));
    let invoke = named("plugin.invoke")
        .find(|s| s.parent_span_id == process.span_id)
        .unwrap_or_else(|| {
            panic!(
                "no plugin.invoke under process: {:?}",
                spans.iter().map(|s| &s.name).collect::<Vec<_>>()
            )
        });
    assert_eq!(attr(invoke, "plugin").as_deref(), Some("hooks"));
    assert_eq!(attr(invoke, "entry").as_deref(), Some("handle-event"));
    let decision = named("policy.decision")
        .find(|s| is_under(&spans, s, invoke))
        .expect("a policy.decision under plugin.invoke");
    assert_eq!(attr(decision, "plugin").as_deref(), Some("hooks"));
    assert_eq!(attr(decision, "effect").as_deref(), Some("allow"));
    assert!(attr(decision, "capability").is_some());
    let call = named("github.call")
        .find(|s| is_under(&spans, s, invoke))
        .expect("a github.call under plugin.invoke");
    assert!(attr(call, "op").is_some());
    assert_eq!(call.trace_id, request.trace_id);
}
