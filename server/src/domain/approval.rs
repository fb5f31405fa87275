//! Where a held action stands ([`ApprovalStatus`]) and how its life goes:
//!
//! ```text
//! pending --(the N-th distinct approval)--> approved --> executed | failed
//! pending --> denied | expired | superseded (a push to its pull request)
//! pending | failed --(the policy now refuses it)--> stopped
//! failed --(approved again)--> retrying --> executed | failed
//! failed --> denied;  approved | retrying (the run never finished) --> failed
//! ```
use super::vocabulary::string_enum;

string_enum! {
    /// The status of a held action.
    pub enum ApprovalStatus ("approval status") {
        /// Waiting for approvals (or a denial).
        Pending => "pending",
        /// Approved; running now.
        Approved => "approved",
        /// Approved again after failing; running now.
        Retrying => "retrying",
        /// It ran.
        Executed => "executed",
        /// It ran and GitHub refused or failed; it may be approved again or denied.
        Failed => "failed",
        /// Someone denied it; it never runs.
        Denied => "denied",
        /// Nobody decided in time; it never runs.
        Expired => "expired",
        /// The pull request it was for moved on; it never runs.
        Superseded => "superseded",
        /// The policy in force when it was to run refused it; it never runs.
        Stopped => "stopped",
    }
}

impl ApprovalStatus {
    /// The statuses a plugin is told about once (`approval-resolved`).
    pub const TOLD: [ApprovalStatus; 6] = [
        Self::Executed,
        Self::Failed,
        Self::Denied,
        Self::Expired,
        Self::Superseded,
        Self::Stopped,
    ];

    /// Whether the action is running now.
    #[must_use]
    pub fn is_running(self) -> bool {
        matches!(self, Self::Approved | Self::Retrying)
    }
}
