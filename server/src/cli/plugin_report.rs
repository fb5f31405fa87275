//! How `gantry plugin test` prints its report: per event, what ran and how it
//! ended, what did not run and why, the policy's decisions, the actions held for
//! approval, and the simulated GitHub afterwards. Plain text for a person; `--json`
//! prints the same report as JSON instead.
use crate::services::plugin_test::{EventReport, TestReport};

/// Prints the report on standard output.
pub(super) fn print(r: &TestReport) {
    println!(
        "plugin {} (sdk {})",
        r.plugin,
        r.sdk_version.as_deref().unwrap_or("unknown")
    );
    if let Some(state) = &r.state {
        println!("state: {}", state.display());
    }
    for event in &r.events {
        println!();
        print_event(event);
    }
}

fn print_event(e: &EventReport) {
    println!("== {}", e.event);
    if let Some((author, permission, body)) = &e.comment {
        println!("comment by {author} ({permission}): {}", first_line(body));
    }
    for run in &e.runs {
        println!(
            "ran {}: {} in {} ms",
            run.name, run.outcome, run.duration_ms
        );
        if let Some(message) = &run.message {
            println!("  message: {message}");
        }
        for line in run.log.lines() {
            println!("  log: {line}");
        }
    }
    if e.runs.is_empty() {
        println!("not run");
    }
    for (subject, reason) in &e.skipped {
        println!("skipped {subject}: {reason}");
    }
    if let Some(why) = &e.retry {
        println!("the server would retry the job: {why}");
    }
    println!("policy:");
    if e.decisions.is_empty() {
        println!("  (no GitHub writes)");
    }
    for (capability, effect, why) in &e.decisions {
        println!("  {capability} -> {effect}: {why}");
    }
    for (id, action) in &e.held {
        println!("  held for approval {id}: {action}");
    }
    println!("GitHub (simulated) afterwards:");
    println!(
        "  labels: {}",
        if e.labels.is_empty() {
            "(none)".to_owned()
        } else {
            e.labels.join(", ")
        }
    );
    println!("  comments: {}", e.comments.len());
    for c in &e.comments {
        println!("    | {}", first_line(c));
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
