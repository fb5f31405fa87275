//! Validated domain types with no framework in them: secrets, webhook headers, GitHub
//! event names, the event a plugin receives and what caused it, a trusted proxy's address block,
//! which projects' records a reader may see (`Visibility`), the projects plugin settings apply to,
//! and the typed vocabulary of the audit log, approvals and plugins (actors, actions,
//! statuses, capabilities, run outcomes; `vocabulary` makes such string enums), and
//! the JSON API's error catalogue (`ApiErrorCode`), and who owns a repository's files
//! by its `CODEOWNERS` and Prow `OWNERS` files (`owners`).
mod approval;
mod audit;
mod capability;
mod catalog;
mod cause;
mod error_code;
mod event;
pub mod owners;
mod project;
mod proxy;
mod run;
mod scope;
mod secret;
pub mod text;
mod visibility;
mod vocabulary;
mod webhook;

pub use approval::ApprovalStatus;
pub use audit::{Actor, ActorKind, AuditAction};
pub use capability::{Capability, Fixed as FixedCapability};
pub use catalog::{is_known_action, is_known_event};
pub use cause::{Cause, PullHead};
pub use error_code::ApiErrorCode;
pub use event::{EventMeta, RepoRef};
pub use project::Project;
pub use proxy::ProxyNet;
pub use run::RunOutcome;
pub use scope::SecretScope;
pub use secret::{Secret, MIN_WEBHOOK_SECRET_BYTES, SANDBOX_WEBHOOK_SECRET};
pub use visibility::Visibility;
pub use vocabulary::Unknown;
pub use webhook::{DeliveryId, EventName, WebhookHeaderError, WebhookHeaders};
