//! Logging and span export. Log lines are human-readable by default, JSON on request,
//! always on standard error (standard output carries command output: tables, keys, the
//! sandbox banner); their filter follows `RUST_LOG` (default `info`).
//!
//! When `[telemetry] otlp_endpoint` is set, spans are also exported with OpenTelemetry
//! over OTLP/HTTP (protobuf bodies, no gRPC) through a batch processor that posts from
//! its own thread, so export never blocks a request or a job. The export keeps `info`
//! spans whatever `RUST_LOG` says: turning log lines down must not cut the trace.
//! Span names: for a webhook, the request (tracing-actix-web names it
//! `POST /webhooks/github`) → `receive_webhook` → `intake`; in a worker, `process` →
//! `plugin.invoke` → `policy.decision` and `github.call`. Intake keeps the W3C
//! `traceparent` of its span on the delivery's job, and the worker's `process` span
//! continues it, so one delivery is one trace (also when another replica runs the
//! job); both carry the `delivery.id` attribute too.
use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::config::TelemetrySettings;

const DEFAULT_FILTER: &str = "info,sqlx=warn,wasmtime=warn,cranelift=warn";

/// Installs the global subscriber without span export. Calling it twice is harmless:
/// the first installation wins.
pub fn init(json: bool) {
    let _ = install(json, None, DEFAULT_FILTER);
}

/// Installs the global subscriber for a command whose output is its report
/// (`gantry plugin test` without `-v`): nothing is logged unless `RUST_LOG` asks.
pub fn init_quiet(json: bool) {
    let _ = install(json, None, "off");
}

/// Installs the global subscriber and, when `settings` name an endpoint, the span
/// exporter. Keep the returned [`Telemetry`] until the process ends: dropping it
/// flushes the spans still queued.
///
/// When a subscriber is already installed (this is "install once"), nothing changes
/// and the result exports nothing.
///
/// # Errors
/// When the endpoint is not a valid URL or the exporter's HTTP client cannot be built.
pub fn init_exporting(json: bool, settings: &TelemetrySettings) -> anyhow::Result<Telemetry> {
    if !settings.exports() {
        return Ok(install(json, None, DEFAULT_FILTER));
    }
    let endpoint = format!(
        "{}/v1/traces",
        settings.otlp_endpoint.trim().trim_end_matches('/')
    );
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(&endpoint)
        .build()
        .with_context(|| format!("building the OTLP exporter for {endpoint}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(settings.service_name.clone())
                .build(),
        )
        .build();
    let telemetry = install(json, Some(provider), DEFAULT_FILTER);
    if telemetry.exports() {
        tracing::info!(%endpoint, "exporting spans over OTLP/HTTP");
    } else {
        tracing::warn!(%endpoint, "a subscriber was already installed: spans are not exported");
    }
    Ok(telemetry)
}

fn install(json: bool, provider: Option<SdkTracerProvider>, default_filter: &str) -> Telemetry {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let lines = fmt::layer().with_target(false).with_writer(std::io::stderr);
    let lines = if json {
        lines.json().flatten_event(true).boxed()
    } else {
        lines.boxed()
    };
    let export = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("gantry"))
            .with_filter(EnvFilter::new(DEFAULT_FILTER))
    });
    match tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(export)
        .try_init()
    {
        Ok(()) => Telemetry { provider },
        Err(_) => {
            if let Some(provider) = provider {
                let _ = provider.shutdown();
            }
            Telemetry { provider: None }
        }
    }
}

/// The span exporter, while it runs. Dropping it flushes queued spans and stops export.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    #[must_use]
    pub fn exports(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends every finished span now instead of at the next scheduled export. Blocks
    /// until the collector answered (or the export timed out).
    ///
    /// # Errors
    /// When the export failed.
    pub fn flush(&self) -> anyhow::Result<()> {
        match &self.provider {
            Some(provider) => provider.force_flush().context("flushing spans"),
            None => Ok(()),
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(err) = provider.shutdown() {
                tracing::warn!(%err, "could not flush the last spans");
            }
        }
    }
}

/// The W3C `traceparent` of the current span, when spans are being exported (`None`
/// otherwise, or when the span has no valid context). Intake stores it on the
/// delivery's job so the worker continues the same trace ([`continue_trace`]).
#[must_use]
pub fn current_trace_parent() -> Option<String> {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Makes `span` a child of the remote span `trace_parent` names (a W3C
/// `traceparent`: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`). Call it
/// before `span` is entered; a malformed value is ignored and the span starts a
/// trace of its own.
pub fn continue_trace(span: &tracing::Span, trace_parent: &str) {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let parts: Vec<&str> = trace_parent.split('-').collect();
    let [version, trace_id, span_id, flags] = parts.as_slice() else {
        return;
    };
    let (Ok(trace_id), Ok(span_id), Ok(flags)) = (
        TraceId::from_hex(trace_id),
        SpanId::from_hex(span_id),
        u8::from_str_radix(flags, 16),
    ) else {
        return;
    };
    if *version != "00" || trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
        return;
    }
    let remote = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
}
