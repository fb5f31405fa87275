//! [`Error`], the one error type of plugin code, and [`Context`], which adds what the
//! plugin was doing to an error (`.context("reading the configuration")`), so a
//! handler's failure reads as a sentence and plugins never need `map_err(format!)`.
//! A host error stays matchable inside it ([`Error::host_error`]).
use std::fmt;

use crate::bindings::gantry::plugin::model::ModelError;
use crate::HostError;

/// Why plugin code failed: a host call's refusal, a payload or value that is not the
/// JSON expected, or the plugin's own message; each may carry what the plugin was
/// doing ([`Context`]). Its `Display` is one readable line, which the host records
/// against the delivery when a handler returns it. Its `Debug` shows the host's
/// error as the bindings do (`HostError::NotFound("…")`), after any context.
pub enum Error {
    /// A host call did not do what was asked.
    Host(HostError),
    /// A model call did not give a completion (`model::complete`).
    Model(ModelError),
    /// JSON (a payload, the configuration, a stored value) did not have the expected
    /// shape.
    Json(serde_json::Error),
    /// The plugin's own message.
    Message(String),
    /// What the plugin was doing when `source` happened.
    Context {
        /// What the plugin was doing, for example `reading the configuration`.
        context: String,
        /// What went wrong.
        source: Box<Error>,
    },
}

impl Error {
    /// An error with the plugin's own message.
    #[must_use]
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::Message(message.to_string())
    }

    /// The error as the one line the host records: the plugin's own message as it
    /// is (moved, not copied: a handler's message may be large), anything else as
    /// its `Display`.
    #[must_use]
    pub fn into_message(self) -> String {
        match self {
            Self::Message(message) => message,
            other => other.to_string(),
        }
    }

    /// The host's error underneath any context, when a host call failed.
    #[must_use]
    pub fn host_error(&self) -> Option<&HostError> {
        match self {
            Self::Host(e) => Some(e),
            Self::Context { source, .. } => source.host_error(),
            Self::Json(_) | Self::Message(_) | Self::Model(_) => None,
        }
    }

    /// The model call's error underneath any context, when a completion failed.
    #[must_use]
    pub fn model_error(&self) -> Option<&ModelError> {
        match self {
            Self::Model(e) => Some(e),
            Self::Context { source, .. } => source.model_error(),
            Self::Json(_) | Self::Message(_) | Self::Host(_) => None,
        }
    }

    /// Whether a later retry may succeed: the host was unavailable or a limit of
    /// this invocation was reached. A handler should return such an error (the host
    /// retries the job after an outage) rather than carry on.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self.host_error(),
            Some(HostError::Unavailable(_) | HostError::LimitExceeded(_))
        ) || matches!(self.model_error(), Some(ModelError::Unavailable(_)))
    }

    /// Whether GitHub answered that the target does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self.host_error(), Some(HostError::NotFound(_)))
    }

    /// The refusal's own text when GitHub refused the call (not found, rejected or
    /// invalid): what a plugin can tell the user without failing.
    #[must_use]
    pub fn refusal(&self) -> Option<&str> {
        match self.host_error()? {
            HostError::NotFound(why) | HostError::Rejected(why) | HostError::Invalid(why) => {
                Some(why)
            }
            _ => None,
        }
    }
}

/// A model error in words: what happened, then the host's text.
pub(crate) fn describe_model(error: &ModelError) -> String {
    match error {
        ModelError::Denied(why) => format!("model call denied: {why}"),
        ModelError::BudgetExceeded(why) => format!("model budget exceeded: {why}"),
        ModelError::Rejected(why) => format!("model call rejected: {why}"),
        ModelError::Unavailable(why) => {
            format!("model unavailable, to be retried: {why}")
        }
        ModelError::Invalid(why) => format!("invalid model request: {why}"),
    }
}

/// A host error in words: what happened, then the host's text.
pub(crate) fn describe(error: &HostError) -> String {
    match error {
        HostError::Denied(why) => format!("denied by the policy: {why}"),
        HostError::NotFound(why) => format!("not found: {why}"),
        HostError::Rejected(why) => format!("rejected: {why}"),
        HostError::Unavailable(why) => format!("unavailable, to be retried: {why}"),
        HostError::LimitExceeded(why) => format!("limit exceeded: {why}"),
        HostError::Invalid(why) => format!("invalid arguments: {why}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(e) => f.write_str(&describe(e)),
            Self::Model(e) => f.write_str(&describe_model(e)),
            Self::Json(e) => write!(f, "unexpected JSON: {e}"),
            Self::Message(m) => f.write_str(m),
            Self::Context { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(e) => write!(f, "{e:?}"),
            Self::Model(e) => write!(f, "{e:?}"),
            Self::Json(e) => write!(f, "{e:?}"),
            Self::Message(m) => write!(f, "{m:?}"),
            Self::Context { context, source } => write!(f, "{context}: {source:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Json(e) => Some(e),
            Self::Context { source, .. } => Some(source.as_ref()),
            Self::Host(_) | Self::Model(_) | Self::Message(_) => None,
        }
    }
}

impl From<HostError> for Error {
    fn from(error: HostError) -> Self {
        Self::Host(error)
    }
}

impl From<ModelError> for Error {
    fn from(error: ModelError) -> Self {
        Self::Model(error)
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Self::Json(error)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::Message(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::Message(message.to_owned())
    }
}

/// Adds what the plugin was doing to an error, or turns a missing value into one:
/// `config::get().context("reading the configuration")?`,
/// `event.repo().context("the event names no repository")?`.
pub trait Context<T> {
    /// Fails with `context` around the error (or, on `None`, with `context` alone).
    ///
    /// # Errors
    /// When `self` is an error or `None`.
    fn context(self, context: impl fmt::Display) -> Result<T, Error>;

    /// Like [`Context::context`], computing the text only on failure.
    ///
    /// # Errors
    /// When `self` is an error or `None`.
    fn with_context<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Error>;
}

impl<T, E: Into<Error>> Context<T> for Result<T, E> {
    fn context(self, context: impl fmt::Display) -> Result<T, Error> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Error> {
        self.map_err(|e| Error::Context {
            context: context().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl fmt::Display) -> Result<T, Error> {
        self.ok_or_else(|| Error::Message(context.to_string()))
    }

    fn with_context<C: fmt::Display>(self, context: impl FnOnce() -> C) -> Result<T, Error> {
        self.ok_or_else(|| Error::Message(context().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_reads_as_a_sentence_and_keeps_the_host_error() {
        let failed: Result<(), HostError> = Err(HostError::NotFound("issue #7".into()));
        let e = failed.context("reading #7").unwrap_err();
        assert_eq!(e.to_string(), "reading #7: not found: issue #7");
        assert!(e.is_not_found() && !e.is_transient());
        assert_eq!(e.refusal(), Some("issue #7"));
        let outer = Err::<(), _>(e)
            .with_context(|| "handling /close")
            .unwrap_err();
        assert_eq!(
            outer.to_string(),
            "handling /close: reading #7: not found: issue #7"
        );
        assert!(matches!(outer.host_error(), Some(HostError::NotFound(_))));
        assert_eq!(
            format!("{outer:?}"),
            "handling /close: reading #7: HostError::NotFound(\"issue #7\")"
        );
    }

    #[test]
    fn json_and_missing_values_become_errors() {
        let bad: Result<u64, serde_json::Error> = serde_json::from_str("\"x\"");
        let e = bad.context("parsing the count").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("parsing the count: unexpected JSON: "));
        assert!(e.host_error().is_none());
        let none: Option<u8> = None;
        assert_eq!(
            none.context("no repository").unwrap_err().to_string(),
            "no repository"
        );
        let transient = Error::from(HostError::Unavailable("GitHub 502".into()));
        assert!(transient.is_transient() && transient.refusal().is_none());
        assert_eq!(
            transient.to_string(),
            "unavailable, to be retried: GitHub 502"
        );
    }
}
