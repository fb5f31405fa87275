//! Unit tests of the App manifest: permissions and events from what plugins declare,
//! nothing more; where it is posted; the state.
use super::{app_manifest, needed, registration_url, state_for, state_matches};
use crate::wasm_host::manifest::Manifest;

fn manifest(text: &str) -> Manifest {
    toml::from_str(&format!("name = \"p\"\nversion = \"0.1.0\"\n{text}")).unwrap()
}

#[test]
fn permissions_and_events_are_what_the_plugins_need_and_no_more() {
    let labeller = manifest(
        "events = [\"issues.opened\", \"gantry_schedule\"]\ncapabilities = [\"issues:write\", \"kv\", \"http:api.example.com\"]",
    );
    let checker = manifest(
        "events = [\"pull_request\"]\ncapabilities = [\"checks:write\", \"pull_requests:read\", \"issues:read\"]",
    );
    let need = needed([&labeller, &checker]);
    let permissions: Vec<(&str, &str)> = need
        .permissions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        permissions,
        [
            ("checks", "write"),
            ("issues", "write"),
            ("metadata", "read"),
            ("pull_requests", "read")
        ],
        "read does not lower a write; kv and http need nothing from GitHub"
    );
    let events: Vec<&str> = need.events.iter().map(String::as_str).collect();
    assert_eq!(
        events,
        ["issues", "pull_request"],
        "gantry_* events are Gantry's own"
    );
}

#[test]
fn commands_subscribe_to_comments_and_reviews_and_merging_needs_contents_write() {
    let merger = manifest(
        "events = []\ncapabilities = [\"pull_requests:merge\"]\n[[commands]]\nverb = \"merge\"\nusage = \"/merge\"\ndescription = \"merge\"",
    );
    let need = needed([&merger]);
    assert_eq!(need.permissions["contents"], "write");
    assert_eq!(need.permissions["issues"], "read");
    assert_eq!(need.permissions["pull_requests"], "read");
    let events: Vec<&str> = need.events.iter().map(String::as_str).collect();
    assert_eq!(
        events,
        [
            "issue_comment",
            "pull_request_review",
            "pull_request_review_comment"
        ]
    );
}

#[test]
fn the_manifest_points_github_at_this_gantry() {
    let need = needed([&manifest(
        "events = [\"issues\"]\ncapabilities = [\"issues:write\"]",
    )]);
    let m = app_manifest(&need, "https://gantry.example.com/", "Our Gantry");
    assert_eq!(
        m["hook_attributes"]["url"],
        "https://gantry.example.com/webhooks/github"
    );
    assert_eq!(
        m["redirect_url"],
        "https://gantry.example.com/dashboard/app/callback"
    );
    assert_eq!(m["public"], false);
    assert_eq!(m["default_permissions"]["issues"], "write");
    assert_eq!(m["default_events"], serde_json::json!(["issues"]));
}

#[test]
fn registration_goes_to_the_user_or_the_organisation_on_github_or_an_enterprise_server() {
    assert_eq!(
        registration_url("https://github.com", None, "s1").unwrap(),
        "https://github.com/settings/apps/new?state=s1"
    );
    assert_eq!(
        registration_url("https://ghe.example.com/", Some("acme"), "s2").unwrap(),
        "https://ghe.example.com/organizations/acme/settings/apps/new?state=s2"
    );
    assert!(registration_url("github.com", None, "s").is_err());
    assert!(registration_url("https://github.com", Some("a/../b"), "s").is_err());
}

#[test]
fn the_state_belongs_to_one_session() {
    let state = state_for("csrf-of-alice");
    assert!(state_matches("csrf-of-alice", &state));
    assert!(!state_matches("csrf-of-mallory", &state));
    assert!(
        !state_matches("", &state_for("")),
        "no session, no registration"
    );
}
