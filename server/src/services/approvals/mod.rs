//! Held actions after the policy gate (`policy::gate`) held them, to their end
//! (what a held action is and how it runs: `policy::held`).
//!
//! - `decide`: approving or denying, the one function the API, the dashboard and
//!   comment commands call (separation of duties, quorums of distinct approvers,
//!   exactly-once runs and retries);
//! - `recheck`: the policy checked again just before an approved action runs;
//! - `ends`: superseded by a push, expired, or a run that never finished;
//! - `listing`: pages of held actions for a reader who sees some repositories.
//!
//! Every change of an approval and its audit row are one transaction.
mod decide;
mod ends;
mod listing;
mod recheck;

pub use decide::{decide, ApprovalError, Decided, Decider, Decision, Right};
pub use ends::{abandon, expire, supersede};
pub use listing::{page, Page};
