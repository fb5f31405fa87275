//! Validated domain types with no framework in them: secrets, webhook headers, GitHub
//! event names, the event a plugin receives, and the projects plugin settings apply to.
mod catalog;
mod event;
mod project;
mod scope;
mod secret;
pub mod text;
mod webhook;

pub use catalog::{is_known_action, is_known_event};
pub use event::{EventMeta, RepoRef};
pub use project::Project;
pub use scope::SecretScope;
pub use secret::Secret;
pub use webhook::{DeliveryId, EventName, WebhookHeaderError, WebhookHeaders};
