//! Table tests of the hooks plugin's decisions (`cargo test` on the host target).
use serde_json::json;

use super::*;

fn types() -> Vec<String> {
    TitleCheck::default().types
}

fn ok(
    kind: &str,
    scope: Option<&str>,
    breaking: bool,
    subject: &str,
) -> Result<ConventionalTitle, TitleProblem> {
    Ok(ConventionalTitle {
        kind: kind.into(),
        scope: scope.map(Into::into),
        breaking,
        subject: subject.into(),
    })
}

#[test]
fn the_configuration_takes_its_defaults_and_everything_new_is_off() {
    let c: Config = serde_json::from_str("{}").unwrap_or_default();
    assert!(c.rules.is_empty());
    assert!(!c.title_check.enabled);
    assert_eq!(
        c.title_check.types,
        [
            "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore",
            "revert"
        ]
    );
    assert!(!c.first_time_greeting.enabled);
    assert!(c.first_time_greeting.message.contains("{author}"));
    assert!(c.release_announcement.issues.is_empty());
    assert!(!c.release_announcement.mentioned);
    assert!(!c.release_announcement.prereleases);
    assert_eq!(c.release_announcement.max_mentioned, 20);
}

#[test]
fn rules_match_a_bare_event_or_its_action() {
    let rule = |on: &str| Rule {
        on: on.into(),
        add_labels: vec![],
        comment: None,
    };
    assert!(rule("issues").matches("issues", "issues.opened"));
    assert!(rule("issues.opened").matches("issues", "issues.opened"));
    assert!(!rule("issues.closed").matches("issues", "issues.opened"));
    assert!(!rule("pull_request").matches("issues", "issues.opened"));
}

#[test]
fn titles_parse_as_conventional_commits() {
    let t = types();
    let table: Vec<(&str, Result<ConventionalTitle, TitleProblem>)> = vec![
        ("feat: add a thing", ok("feat", None, false, "add a thing")),
        (
            "fix(parser): accept empty lines",
            ok("fix", Some("parser"), false, "accept empty lines"),
        ),
        (
            "feat!: drop the v1 API",
            ok("feat", None, true, "drop the v1 API"),
        ),
        (
            "refactor(core)!: split the engine",
            ok("refactor", Some("core"), true, "split the engine"),
        ),
        ("  docs:   trim me  ", ok("docs", None, false, "trim me")),
        (
            "Fix: case does not matter",
            ok("Fix", None, false, "case does not matter"),
        ),
        (
            "chore(deps-dev/cargo): bump serde",
            ok("chore", Some("deps-dev/cargo"), false, "bump serde"),
        ),
        (
            "Update the README with new information.",
            Err(TitleProblem::NoSeparator),
        ),
        ("feat:no space", Err(TitleProblem::NoSeparator)),
        (
            "feature: not a type",
            Err(TitleProblem::UnknownType("feature".into())),
        ),
        ("wip: later", Err(TitleProblem::UnknownType("wip".into()))),
        (": no type", Err(TitleProblem::UnknownType(String::new()))),
        ("feat(): empty scope", Err(TitleProblem::BadScope)),
        ("feat(parser: unclosed", Err(TitleProblem::BadScope)),
        ("feat(a)(b): two scopes", Err(TitleProblem::BadScope)),
        (
            "feat(a)x: text after the scope",
            Err(TitleProblem::BadScope),
        ),
        ("feat:", Err(TitleProblem::EmptySubject)),
        ("fix(parser)!:   ", Err(TitleProblem::EmptySubject)),
    ];
    for (title, expected) in table {
        assert_eq!(parse_title(title, &t), expected, "{title:?}");
    }
}

#[test]
fn only_the_configured_types_pass() {
    let t = vec!["feat".to_owned(), "hotfix".to_owned()];
    assert!(parse_title("hotfix: now", &t).is_ok());
    assert_eq!(
        parse_title("fix: not configured", &t),
        Err(TitleProblem::UnknownType("fix".into()))
    );
}

#[test]
fn the_title_report_passes_or_explains_the_expected_form() {
    let good = title_report("feat(api)!: v2", &types());
    assert!(good.success);
    assert_eq!(good.summary, "`feat` in `api`, a breaking change: v2");

    let bad = title_report("Update the `README`", &types());
    assert!(!bad.success);
    assert!(bad.title.contains("not a conventional commit"));
    for needle in [
        "type(scope)!: subject",
        "`feat`",
        "`revert`",
        "colon and a space",
        "Title: `Update the 'README'`",
    ] {
        assert!(bad.summary.contains(needle), "{needle} in {}", bad.summary);
    }
    assert!(title_report("wip: x", &types())
        .summary
        .starts_with("`wip` is not one of the allowed types."));
    assert!(title_report("fix: ", &types())
        .summary
        .starts_with("The title has no subject"));
}

fn target(association: &str) -> Target {
    Target {
        number: 7,
        author: "octo".into(),
        title: "Hi".into(),
        association: association.into(),
    }
}

#[test]
fn first_time_contributors_are_greeted_when_enabled_on_opened_only() {
    let on = FirstTimeGreeting {
        enabled: true,
        message: "Welcome @{author} to {repo} ({title})".into(),
    };
    let repo = "o/r";
    assert_eq!(
        first_time_greeting(
            &on,
            "pull_request.opened",
            &target("FIRST_TIME_CONTRIBUTOR"),
            repo
        )
        .as_deref(),
        Some("Welcome @octo to o/r (Hi)")
    );
    assert!(first_time_greeting(&on, "issues.opened", &target("FIRST_TIMER"), repo).is_some());
    for association in [
        "OWNER",
        "MEMBER",
        "COLLABORATOR",
        "CONTRIBUTOR",
        "NONE",
        "",
        "first_timer",
    ] {
        assert_eq!(
            first_time_greeting(&on, "issues.opened", &target(association), repo),
            None,
            "{association}"
        );
    }
    for kind in [
        "issues.edited",
        "pull_request.synchronize",
        "pull_request.reopened",
        "issue_comment.created",
    ] {
        assert_eq!(
            first_time_greeting(&on, kind, &target("FIRST_TIMER"), repo),
            None,
            "{kind}"
        );
    }
    let off = FirstTimeGreeting {
        enabled: false,
        ..on
    };
    assert_eq!(
        first_time_greeting(&off, "issues.opened", &target("FIRST_TIMER"), repo),
        None
    );
}

#[test]
fn targets_are_read_from_issue_or_pull_request_payloads() {
    let issue = json!({"issue": {"number": 3, "title": "T", "user": {"login": "u"}, "author_association": "NONE"}});
    assert_eq!(
        Target::from_payload(&issue),
        Some(Target {
            number: 3,
            author: "u".into(),
            title: "T".into(),
            association: "NONE".into()
        })
    );
    let pull = json!({"pull_request": {"number": 4, "user": {"login": "p"}}});
    assert_eq!(
        Target::from_payload(&pull).map(|t| (t.number, t.association)),
        Some((4, String::new()))
    );
    assert_eq!(Target::from_payload(&json!({"release": {}})), None);
}

fn release(body: &str, prerelease: bool) -> Release {
    Release {
        tag: "v1.2.0".into(),
        name: "v1.2.0".into(),
        url: "https://github.com/o/r/releases/tag/v1.2.0".into(),
        body: body.into(),
        prerelease,
    }
}

#[test]
fn releases_are_read_from_the_payload_with_the_tag_as_a_missing_name() {
    let payload = json!({"release": {"tag_name": "0.0.1", "name": "", "html_url": "u", "body": null, "prerelease": false}});
    let r = Release::from_payload(&payload).unwrap_or_else(|| panic!("a release"));
    assert_eq!(
        (r.tag.as_str(), r.name.as_str(), r.body.as_str()),
        ("0.0.1", "0.0.1", "")
    );
    assert_eq!(
        Release::from_payload(&json!({"release": {"tag_name": ""}})),
        None
    );
    assert_eq!(
        r.render("{name} ({tag}) of {repo}: {url}", "o/r"),
        "0.0.1 (0.0.1) of o/r: u"
    );
}

#[test]
fn mentions_are_numbers_after_a_hash_or_links_to_this_repository() {
    let url = "https://github.com/o/r";
    let body = "Fixes #12 and #3, see (#12).\n* thing by @a in https://github.com/o/r/pull/40\n\
                not o/other#5, abc#6, #7abc, &#8; or #0; https://github.com/o/other/pull/9 \
                https://github.com/o/r/issues/41#issuecomment-1 #2.";
    assert_eq!(mentioned_numbers(body, url), [12, 3, 40, 41, 2]);
    assert_eq!(mentioned_numbers("#1", ""), [1]);
    assert!(mentioned_numbers("no mentions # here", url).is_empty());
}

#[test]
fn announcements_go_to_configured_issues_then_mentioned_ones_once() {
    let config = ReleaseAnnouncement {
        issues: vec![5, 5, 0],
        ..ReleaseAnnouncement::default()
    };
    let r = release("Closes #9 and #5", false);
    assert_eq!(
        announcement_targets(&config, &r, "https://github.com/o/r"),
        [5]
    );
    let mentioned = ReleaseAnnouncement {
        mentioned: true,
        ..config
    };
    assert_eq!(
        announcement_targets(&mentioned, &r, "https://github.com/o/r"),
        [5, 9]
    );
    let capped = ReleaseAnnouncement {
        issues: vec![],
        mentioned: true,
        max_mentioned: 2,
        ..ReleaseAnnouncement::default()
    };
    assert_eq!(
        announcement_targets(&capped, &release("#1 #2 #3", false), ""),
        [1, 2]
    );
}

#[test]
fn prereleases_are_announced_only_when_asked() {
    let config = ReleaseAnnouncement {
        issues: vec![1],
        ..ReleaseAnnouncement::default()
    };
    assert!(announcement_targets(&config, &release("", true), "").is_empty());
    let with = ReleaseAnnouncement {
        prereleases: true,
        ..config
    };
    assert_eq!(announcement_targets(&with, &release("", true), ""), [1]);
}

#[test]
fn path_globs_stay_in_segments_cross_them_with_double_stars_and_match_directories() {
    assert!(path_matches("docs/", "docs/guide/intro.md"));
    assert!(!path_matches("docs/", "docsite/index.md"));
    assert!(path_matches("*.md", "README.md"));
    assert!(
        !path_matches("*.md", "docs/README.md"),
        "* stays in one segment"
    );
    assert!(path_matches("**/*.md", "docs/README.md"));
    assert!(path_matches("**/*.md", "README.md"));
    assert!(path_matches("server/**", "server/src/main.rs"));
    assert!(path_matches("server/src/*.rs", "server/src/main.rs"));
    assert!(!path_matches("server/src/*.rs", "server/src/db/mod.rs"));
}

#[test]
fn each_label_comes_once_in_rule_order() {
    let rules = vec![
        PathLabel {
            label: "area/docs".into(),
            paths: vec!["docs/".into(), "**/*.md".into()],
        },
        PathLabel {
            label: "area/server".into(),
            paths: vec!["server/**".into()],
        },
        PathLabel {
            label: "area/ci".into(),
            paths: vec![".github/**".into()],
        },
    ];
    let paths = vec![
        "docs/a.md".to_owned(),
        "README.md".to_owned(),
        "server/src/lib.rs".to_owned(),
    ];
    assert_eq!(
        labels_for_paths(&rules, &paths),
        ["area/docs", "area/server"]
    );
    assert!(labels_for_paths(&rules, &[]).is_empty());
}

mod around_rules {
    use crate::around::{blocked_comment, unmet, AroundRule, HookEvent};
    use gantry_plugin_sdk::Level;
    use serde_json::json;

    fn hook(command: bool, labels: &[&str]) -> HookEvent {
        let labels: Vec<_> = labels.iter().map(|l| json!({ "name": l })).collect();
        let command = command.then(|| json!({ "verb": "release", "args": "v1.2.0", "author": "octocat", "permission": "write", "number": 7 }));
        serde_json::from_value(json!({
            "stage": "pre", "plugin": "releases", "rules": [1, 9], "command": command,
            "event": "issue_comment", "action": "created",
            "payload": { "issue": { "number": 7, "labels": labels }, "sender": { "login": "hubot" } },
            "outcome": null,
        }))
        .expect("a hook event")
    }

    fn rule(value: serde_json::Value) -> AroundRule {
        serde_json::from_value(value).expect("a rule")
    }

    #[test]
    fn checks_pass_or_say_what_is_missing() {
        let needs = rule(
            json!({ "stage": "pre", "blocking": true, "require_labels": ["release-ready", "Approved"], "require_permission": "maintain" }),
        );
        let event = hook(true, &["approved"]);
        let found = unmet(&needs, &event, Some(Level::Write));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("`release-ready`") && !found[0].contains("Approved"),
            "labels compare without case: {found:?}"
        );
        assert!(
            found[1].contains("@octocat has write access; maintain is needed"),
            "{found:?}"
        );
        assert!(unmet(
            &needs,
            &hook(true, &["release-ready", "approved"]),
            Some(Level::Admin)
        )
        .is_empty());
        assert!(needs.explain, "explain defaults to true");
    }

    #[test]
    fn matched_rules_are_taken_by_index_and_templates_filled() {
        let rules = vec![
            rule(json!({ "stage": "pre" })),
            rule(
                json!({ "stage": "pre", "comment": "{author} runs /{command} {args} on #{number} in {repo}" }),
            ),
        ];
        let event = hook(true, &[]);
        let matched = event.matched(&rules);
        assert_eq!(matched.len(), 1, "index 9 is out of range and skipped");
        let body = event.render(matched[0].comment.as_deref().unwrap_or_default(), "o/r");
        assert_eq!(body, "octocat runs /release v1.2.0 on #7 in o/r");
        assert_eq!(
            hook(false, &[]).actor(),
            "hubot",
            "without a command the sender acts"
        );
        let comment = blocked_comment(&event, &["it needs the label `x`".into()]);
        assert!(
            comment.starts_with("`/release v1.2.0` did not run")
                && comment.contains("- it needs the label `x`"),
            "{comment}"
        );
    }
}
