//! Writes answer whether they were done or are held for a maintainer's approval:
//! the WIT's `written` variants. A hold is not an error, but the gate decides it
//! deep inside a call that returns `HostError`; so the gate records the hold in
//! `CallState::held` (and returns an error that stops the call), and
//! [`CallData::written`], at the interface, answers `held` when a hold was
//! recorded while the call ran.
use super::super::bindings::gantry::plugin::github::{
    Issue, PullRequest, Release, WrittenIssue, WrittenPullRequest, WrittenRelease,
};
use super::super::bindings::gantry::plugin::types::{
    Held, Written, WrittenId, WrittenNames, WrittenSha,
};
use super::super::bindings::HostError;
use super::CallData;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

/// A write's answer: done, with what GitHub answered, or held.
pub(crate) trait Outcome<T> {
    /// The write was done.
    fn done(value: T) -> Self;
    /// The write waits for an approval.
    fn held(held: Held) -> Self;
}

impl Outcome<()> for Written {
    fn done((): ()) -> Self {
        Self::Done
    }
    fn held(held: Held) -> Self {
        Self::Held(held)
    }
}

macro_rules! outcome {
    ($($written:ty => $value:ty),* $(,)?) => {$(
        impl Outcome<$value> for $written {
            fn done(value: $value) -> Self {
                Self::Done(value)
            }
            fn held(held: Held) -> Self {
                Self::Held(held)
            }
        }
    )*};
}

outcome!(
    WrittenId => u64,
    WrittenNames => Vec<String>,
    WrittenSha => String,
    WrittenRelease => Release,
    WrittenIssue => Issue,
    WrittenPullRequest => PullRequest,
);

impl CallData {
    /// Forgets any hold recorded before a write starts.
    pub(crate) fn start_write(&mut self) {
        self.invocation.held = None;
    }

    /// What a write answers: held when the policy held it while it ran, else its
    /// own result.
    pub(crate) fn written<T, W: Outcome<T>>(&mut self, answer: HostResult<T>) -> HostResult<W> {
        let answer = answer?;
        Ok(match self.invocation.held.take() {
            Some(held) => Ok(W::held(held)),
            None => answer.map(W::done),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_or_a_hold_becomes_the_matching_case() {
        assert!(matches!(
            <WrittenId as Outcome<u64>>::done(7),
            WrittenId::Done(7)
        ));
        let held = Held {
            approval_id: "a1".into(),
            capability: "pull_requests:merge".into(),
        };
        assert!(matches!(
            <Written as Outcome<()>>::held(held),
            Written::Held(h) if h.approval_id == "a1"
        ));
    }
}
