//! The sandbox page (`/dashboard/sandbox`), shown when the server runs beside the
//! GitHub simulator (`gantry sandbox`): it sends realistic signed events to the
//! server's own webhook endpoint and links to the delivery they made.
use crate::state::AppState;

/// Whether this server is a sandbox: it runs with a delivery observer (the
/// simulator, which `gantry sandbox` and the test harness attach; `gantry serve`
/// never does) and a configured webhook secret to sign events with.
#[must_use]
pub fn enabled(state: &AppState) -> bool {
    state.observer.is_some() && !state.settings.webhook.secrets.is_empty()
}
