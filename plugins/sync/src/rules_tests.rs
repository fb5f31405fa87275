//! Table tests of the sync plugin's decisions (`cargo test` on the host target).
use super::*;
use serde_json::json;

fn config() -> Config {
    serde_json::from_value(json!({
        "mirrors": [
            {"name": "backup", "destination": "octo/backup", "branches": ["main", "release/*"]},
            {"name": "docs", "destination": "octo/docs", "branches": ["docs/**"], "tags": false, "schedule": "0 3 * * *"},
            {"name": "pinned", "source": "octo/app", "destination": "octo/pinned", "branches": ["*"], "allow_force": true},
        ]
    }))
    .unwrap_or_default()
}

fn at(text: &str) -> Minute {
    parse_rfc3339(text).unwrap_or_else(|e| panic!("{e}"))
}

fn cron(text: &str) -> Cron {
    Cron::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn defaults_push_tags_and_protect_against_force() {
    let c = config();
    assert_eq!(c.mirrors.len(), 3);
    assert!(c.mirrors[0].tags && !c.mirrors[0].allow_force && c.mirrors[0].schedule.is_none());
    assert!(!c.mirrors[1].tags);
    assert!(c.mirrors[2].allow_force);
    assert!(Config::default().mirrors.is_empty());
}

#[test]
fn branch_patterns_match_names_segments_and_everything() {
    let cases = [
        ("main", "main", true),
        ("main", "main2", false),
        ("main", "maintenance", false),
        ("release/*", "release/1.0", true),
        ("release/*", "release/", true),
        ("release/*", "release/1.0/hotfix", false),
        ("release/*", "release", false),
        ("release-*", "release-2", true),
        ("*", "main", true),
        ("*", "feature/x", false),
        ("**", "feature/x/y", true),
        ("docs/**", "docs/a/b", true),
        ("docs/**", "doc/a", false),
        ("*-rc", "v1-rc", true),
        ("*-rc", "v1-rc2", false),
        (" main ", "main", true),
    ];
    for (pattern, branch, want) in cases {
        assert_eq!(
            branch_matches(pattern, branch),
            want,
            "{pattern} vs {branch}"
        );
    }
}

#[test]
fn a_mirror_selects_its_branches_sorted() {
    let c = config();
    let branches: Vec<String> = ["release/2", "feature", "main", "release/1"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        c.mirrors[0].select(&branches),
        ["main", "release/1", "release/2"]
    );
    assert!(c.mirrors[1].select(&branches).is_empty());
}

#[test]
fn a_pushed_branch_runs_the_mirrors_whose_patterns_match() {
    let c = config();
    let names = |repo: &str, r: &str| {
        mirrors_for_push(&c, repo, r)
            .iter()
            .map(|m| m.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("octo/app", "refs/heads/main"), ["backup", "pinned"]);
    assert_eq!(names("octo/app", "refs/heads/release/3"), ["backup"]);
    assert_eq!(names("octo/app", "refs/heads/docs/guide/intro"), ["docs"]);
    assert!(names("octo/app", "refs/heads/feature/x").is_empty());
    // Tags run the mirrors that push tags.
    assert_eq!(names("octo/app", "refs/tags/v1"), ["backup", "pinned"]);
    assert!(names("octo/app", "refs/pull/1/head").is_empty());
    // `source` pins a mirror to one repository.
    assert_eq!(names("octo/other", "refs/heads/main"), ["backup"]);
    // A destination never mirrors onto itself.
    assert!(names("octo/backup", "refs/heads/main").is_empty());
    assert_eq!(
        names("OCTO/Backup", "refs/heads/release/1"),
        Vec::<String>::new()
    );
}

#[test]
fn the_command_reads_status_all_or_a_name() {
    assert_eq!(parse_request(""), SyncRequest::All);
    assert_eq!(parse_request("  "), SyncRequest::All);
    assert_eq!(parse_request("status"), SyncRequest::Status);
    assert_eq!(parse_request("Status please"), SyncRequest::Status);
    assert_eq!(parse_request("backup"), SyncRequest::One("backup".into()));
}

#[test]
fn rfc3339_times_become_utc_minutes_with_the_weekday() {
    let m = at("2024-05-06T07:08:09Z");
    assert_eq!(
        (m.minute, m.hour, m.day, m.month, m.weekday),
        (8, 7, 6, 5, 1),
        "a Monday"
    );
    let m = at("2024-05-06T01:30:00.123+02:00");
    assert_eq!(
        (m.minute, m.hour, m.day, m.month, m.weekday),
        (30, 23, 5, 5, 0),
        "the Sunday before, in UTC"
    );
    assert_eq!(at("1970-01-01T00:01:00Z").epoch_minute, 1);
    assert_eq!(at("2000-02-29T12:00:00-00:30").day, 29);
    assert_eq!(at("2024-12-31T23:59:59Z").weekday, 2, "a Tuesday");
    for bad in [
        "",
        "yesterday",
        "2024-05-06",
        "2024-13-01T00:00:00Z",
        "2024-05-06T25:00:00Z",
        "2024-05-06T07:08:09",
        "2024-05-06T07:08Z",
    ] {
        assert!(parse_rfc3339(bad).is_err(), "{bad}");
    }
}

#[test]
fn cron_every_minute_matches_any_time() {
    let c = cron("* * * * *");
    for t in [
        "2024-05-06T07:08:09Z",
        "2023-01-01T00:00:00Z",
        "2024-02-29T23:59:00Z",
    ] {
        assert!(c.matches(&at(t)), "{t}");
    }
}

#[test]
fn cron_fields_values_ranges_lists_and_steps() {
    let cases = [
        ("30 * * * *", "2024-05-06T07:30:00Z", true),
        ("30 * * * *", "2024-05-06T07:31:00Z", false),
        ("0 3 * * *", "2024-05-06T03:00:59Z", true),
        ("0 3 * * *", "2024-05-06T04:00:00Z", false),
        ("*/15 * * * *", "2024-05-06T07:45:00Z", true),
        ("*/15 * * * *", "2024-05-06T07:46:00Z", false),
        ("5/20 * * * *", "2024-05-06T07:45:00Z", true),
        ("5/20 * * * *", "2024-05-06T07:40:00Z", false),
        ("0 9-17 * * *", "2024-05-06T17:00:00Z", true),
        ("0 9-17 * * *", "2024-05-06T18:00:00Z", false),
        ("0 9-17/4 * * *", "2024-05-06T13:00:00Z", true),
        ("0 9-17/4 * * *", "2024-05-06T15:00:00Z", false),
        ("0,20,40 * * * *", "2024-05-06T07:20:00Z", true),
        ("0,20,40 * * * *", "2024-05-06T07:30:00Z", false),
        ("0 0 1 * *", "2024-06-01T00:00:00Z", true),
        ("0 0 1 * *", "2024-06-02T00:00:00Z", false),
        ("0 0 * 1,7 *", "2024-07-09T00:00:00Z", true),
        ("0 0 * 1,7 *", "2024-08-09T00:00:00Z", false),
        ("0 0 * * 1-5", "2024-05-10T00:00:00Z", true),
        ("0 0 * * 1-5", "2024-05-11T00:00:00Z", false),
        ("0 0 * * 0", "2024-05-12T00:00:00Z", true),
        ("0 0 * * 7", "2024-05-12T00:00:00Z", true),
        ("0 0 * * 7", "2024-05-13T00:00:00Z", false),
        // Both day fields restricted: either one matching runs (Vixie cron).
        ("0 0 13 * 5", "2024-05-13T00:00:00Z", true),
        ("0 0 13 * 5", "2024-05-10T00:00:00Z", true),
        ("0 0 13 * 5", "2024-05-11T00:00:00Z", false),
        // One restricted: both must match.
        ("0 0 */2 * *", "2024-05-11T00:00:00Z", true),
        ("0 0 */2 * *", "2024-05-12T00:00:00Z", false),
    ];
    for (expression, time, want) in cases {
        assert_eq!(
            cron(expression).matches(&at(time)),
            want,
            "{expression} at {time}"
        );
    }
}

#[test]
fn invalid_cron_expressions_are_rejected_with_a_clear_error() {
    let cases = [
        ("", "has 0 fields; it needs 5"),
        ("* * * *", "has 4 fields"),
        ("* * * * * *", "has 6 fields"),
        (
            "60 * * * *",
            "minute field `60`: `60` is not a number from 0 to 59",
        ),
        ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day-of-month field `0`"),
        ("* * * 13 *", "month field"),
        ("* * * * 8", "day-of-week field"),
        ("*/0 * * * *", "step `0` is not a positive number"),
        ("10-5 * * * *", "range `10-5` goes backwards"),
        ("1,,2 * * * *", "`` is not a number"),
        ("a * * * *", "`a` is not a number"),
        ("* * * jan *", "month field `jan`"),
    ];
    for (expression, want) in cases {
        let err = Cron::parse(expression)
            .err()
            .unwrap_or_else(|| panic!("`{expression}` was accepted"));
        assert!(err.contains(want), "`{expression}`: {err}");
    }
}

#[test]
fn a_non_fast_forward_without_force_reads_as_diverged() {
    assert!(refusal_message(
        "refs/heads/main: cannot push non-fastforwardable reference",
        false
    )
    .starts_with("diverged, force-push not allowed"));
    assert!(
        refusal_message("refs/heads/main: rejected (non-fast-forward)", false)
            .starts_with("diverged, force-push not allowed")
    );
    let libgit2 = "cannot push because a reference that you are trying to update on the remote contains commits that are not present locally.";
    assert!(refusal_message(libgit2, false).starts_with("diverged, force-push not allowed"));
    assert!(
        refusal_message("refs/heads/main: protected branch hook declined", false)
            .starts_with("refused: ")
    );
    assert!(refusal_message("non-fast-forward", true).starts_with("refused: "));
}

#[test]
fn status_renders_a_row_per_mirror_in_order() {
    let c = config();
    let ok = Status {
        at: "2024-05-06T07:08:09Z".into(),
        trigger: "push".into(),
        outcome: Outcome::Ok,
        message: "mirrored".into(),
        branches: vec!["main".into(), "release/1".into()],
        scheduled_minute: None,
    };
    let refused = Status {
        outcome: Outcome::Refused,
        message: "diverged, force-push not allowed (a|b)".into(),
        branches: vec![],
        trigger: "schedule".into(),
        ..ok.clone()
    };
    let table = render_status(&[
        (&c.mirrors[0], Some(ok)),
        (&c.mirrors[1], Some(refused)),
        (&c.mirrors[2], None),
    ]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert_eq!(lines[2], "| `backup` | octo/backup | 2024-05-06T07:08:09Z (push) | **ok** | `main`, `release/1` | mirrored |");
    assert_eq!(lines[3], "| `docs` | octo/docs | 2024-05-06T07:08:09Z (schedule) | **refused** | none | diverged, force-push not allowed (a\\|b) |");
    assert_eq!(lines[4], "| `pinned` | octo/pinned | never | – | – | – |");
    assert_eq!(
        render_status(&[]),
        "No mirrors are configured for this repository."
    );
}

#[test]
fn status_round_trips_through_json() {
    let s = Status {
        at: "t".into(),
        trigger: "command".into(),
        outcome: Outcome::Held,
        message: "m".into(),
        branches: vec!["main".into()],
        scheduled_minute: Some(5),
    };
    let v = serde_json::to_value(&s).unwrap_or_default();
    assert_eq!(v["outcome"], "held");
    assert_eq!(serde_json::from_value::<Status>(v).ok(), Some(s));
}

#[test]
fn epoch_seconds_format_as_rfc3339_and_parse_back() {
    assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_rfc3339(1_715_000_000), "2024-05-06T12:53:20Z");
    assert_eq!(
        at(&format_rfc3339(1_715_000_000)).epoch_minute,
        1_715_000_000 / 60
    );
}
