//! What the simulator records for checking it and its clients against GitHub's
//! description: the exchanges its handlers answered (method, path, matched route,
//! status, JSON body; only while recording is on, for the contract test), and every
//! request it refused for breaking the description or GitHub's rules (always, for
//! the strict request check of the integration tests).

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

use crate::Simulator;

/// Violations kept; older ones are dropped (the count is not).
const MAX_VIOLATIONS: usize = 1024;

/// One request a handler answered, while recording is on.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Upper case.
    pub method: String,
    /// The path as sent, without the query.
    pub path: String,
    /// The simulator's route template that answered, e.g.
    /// `/repos/{owner}/{repo}/issues/{number}`.
    pub route: String,
    /// The operation of GitHub's description the path is, `METHOD /template`.
    pub operation: Option<String>,
    pub status: u16,
    /// The answer's body when it is JSON.
    pub body: Option<Value>,
}

/// A request the simulator refused because GitHub's description or one of GitHub's
/// documented rules refuses it: what a client should never send.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// Upper case.
    pub method: String,
    /// The path as sent, without the query.
    pub path: String,
    /// The operation, `METHOD /template` as GitHub's description names it.
    pub operation: String,
    /// What is wrong, one line per problem: `field: detail`.
    pub problems: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}): {}",
            self.method,
            self.path,
            self.operation,
            self.problems.join("; ")
        )
    }
}

/// The records, kept with the faults (never persisted).
#[derive(Debug, Default)]
pub(crate) struct Records {
    exchanges: Option<Vec<Exchange>>,
    violations: VecDeque<Violation>,
    violation_count: u64,
}

impl Records {
    pub fn recording(&self) -> bool {
        self.exchanges.is_some()
    }

    pub fn push_exchange(&mut self, exchange: Exchange) {
        if let Some(exchanges) = self.exchanges.as_mut() {
            exchanges.push(exchange);
        }
    }

    pub fn push_violation(&mut self, violation: Violation) {
        tracing::info!(%violation, "the simulator refused a request GitHub refuses");
        if self.violations.len() == MAX_VIOLATIONS {
            self.violations.pop_front();
        }
        self.violations.push_back(violation);
        self.violation_count = self.violation_count.saturating_add(1);
    }
}

impl Simulator {
    /// Starts (or stops, dropping what was kept) recording every answer the handlers
    /// give: [`Simulator::exchanges`]. Off by default; answers of faults, of the
    /// authentication and rate-limit checks and of unknown paths are never recorded.
    pub fn record_exchanges(&self, on: bool) {
        let mut control = self.control();
        let records = control.records();
        records.exchanges = on.then(|| records.exchanges.take().unwrap_or_default());
    }

    /// The answers recorded since [`Simulator::record_exchanges`] turned recording on,
    /// oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.control()
            .records()
            .exchanges
            .clone()
            .unwrap_or_default()
    }

    /// The requests refused for breaking GitHub's description or rules (the last
    /// 1024), oldest first. A client that GitHub would accept causes none.
    pub fn violations(&self) -> Vec<Violation> {
        self.control()
            .records()
            .violations
            .iter()
            .cloned()
            .collect()
    }

    /// How many requests were refused so, ever (not only the ones kept).
    pub fn violation_count(&self) -> u64 {
        self.control().records().violation_count
    }

    /// Forgets the violations recorded so far (not their count).
    pub fn clear_violations(&self) {
        self.control().records().violations.clear();
    }
}
