//! How one plugin run of a job ended, as `plugin_runs.outcome` stores it.
use super::vocabulary::string_enum;

string_enum! {
    /// How a plugin run ended.
    pub enum RunOutcome ("run outcome") {
        /// The plugin returned successfully.
        Ok => "ok",
        /// The plugin returned an error of its own.
        Failed => "error",
        /// The plugin trapped (panic, out of memory, stack overflow, ...).
        Trapped => "trap",
        /// The deadline passed.
        TimedOut => "timeout",
        /// A GitHub call failed in a way a later retry may fix.
        Retry => "retry",
        /// A hook around the run blocked it; it did not run.
        Blocked => "blocked",
        /// The job was cancelled; the plugin was stopped at a host call.
        Cancelled => "cancelled",
    }
}
