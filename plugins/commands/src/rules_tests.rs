//! Table tests of what each command comes to (`cargo test` on the host target).
use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| (*x).to_owned()).collect()
}

/// A command by `carol` (triage) on alice's pull request, which bob is assigned to
/// and which carries `lifecycle/stale`.
fn cx<'a>(
    verb: &'a str,
    args: &'a str,
    assignees: &'a [String],
    labels: &'a [String],
) -> Context<'a> {
    Context {
        verb,
        args,
        commenter: "carol",
        level: Level::Triage,
        is_pull_request: true,
        item_author: "alice",
        assignees,
        labels,
    }
}

fn run(verb: &str, args: &str) -> Plan {
    let assignees = s(&["bob"]);
    let labels = s(&["bug", "lifecycle/stale"]);
    plan(&cx(verb, args, &assignees, &labels), &Config::default())
}

fn add(labels: &[&str]) -> Vec<Action> {
    vec![Action::AddLabels(s(labels))]
}

fn remove(labels: &[&str]) -> Vec<Action> {
    vec![Action::RemoveLabels(s(labels))]
}

#[test]
fn commands_come_to_prows_label_changes() {
    let cases: &[(&str, &str, Vec<Action>)] = &[
        ("lgtm", "", add(&["lgtm"])),
        ("lgtm", "no-issue", add(&["lgtm"])),
        ("lgtm", "cancel", remove(&["lgtm"])),
        ("lgtm", "CANCEL", remove(&["lgtm"])),
        ("remove-lgtm", "", remove(&["lgtm"])),
        ("approve", "", add(&["approved"])),
        ("approve", "no-issue", add(&["approved"])),
        ("approve", "cancel", remove(&["approved"])),
        ("remove-approve", "", remove(&["approved"])),
        ("hold", "", add(&["do-not-merge/hold"])),
        (
            "hold",
            "until the release is out",
            add(&["do-not-merge/hold"]),
        ),
        ("hold", "cancel", remove(&["do-not-merge/hold"])),
        ("unhold", "", remove(&["do-not-merge/hold"])),
        ("kind", "bug", add(&["kind/bug"])),
        (
            "kind",
            "kind/bug feature",
            add(&["kind/bug", "kind/feature"]),
        ),
        ("remove-kind", "bug", remove(&["kind/bug"])),
        ("area", "plugins", add(&["area/plugins"])),
        ("remove-area", "plugins", remove(&["area/plugins"])),
        (
            "priority",
            "critical-urgent",
            add(&["priority/critical-urgent"]),
        ),
        (
            "remove-priority",
            "critical-urgent",
            remove(&["priority/critical-urgent"]),
        ),
        ("triage", "accepted", add(&["triage/accepted"])),
        ("remove-triage", "accepted", remove(&["triage/accepted"])),
        (
            "label",
            "good-first-issue help-wanted",
            add(&["good-first-issue", "help-wanted"]),
        ),
        ("remove-label", "bug", remove(&["bug"])),
        (
            "lifecycle",
            "frozen",
            vec![
                Action::RemoveLabels(s(&["lifecycle/stale"])),
                Action::AddLabels(s(&["lifecycle/frozen"])),
            ],
        ),
        ("lifecycle", "stale", add(&["lifecycle/stale"])),
        ("remove-lifecycle", "stale", remove(&["lifecycle/stale"])),
        ("close", "", vec![Action::SetState(State::Closed)]),
        ("reopen", "", vec![Action::SetState(State::Open)]),
        (
            "retitle",
            "A  better title",
            vec![Action::SetTitle("A  better title".into())],
        ),
        (
            "milestone",
            "v1.0",
            vec![Action::SetMilestoneNamed("v1.0".into())],
        ),
        (
            "milestone",
            "Release 2 ",
            vec![Action::SetMilestoneNamed("Release 2".into())],
        ),
        (
            "milestone",
            "#12",
            vec![Action::SetMilestoneNamed("#12".into())],
        ),
        ("milestone", "clear", vec![Action::SetMilestone(None)]),
        ("milestone", "Clear", vec![Action::SetMilestone(None)]),
        ("assign", "", vec![Action::Assign(s(&["carol"]))]),
        (
            "assign",
            "@dave, @erin @dave",
            vec![Action::Assign(s(&["dave", "erin"]))],
        ),
        ("unassign", "@bob", vec![Action::Unassign(s(&["bob"]))]),
        ("cc", "@dave", vec![Action::RequestReviews(s(&["dave"]))]),
        ("uncc", "", vec![Action::WithdrawReviews(s(&["carol"]))]),
    ];
    for (verb, args, expected) in cases {
        let plan = run(verb, args);
        assert_eq!(&plan.actions, expected, "/{verb} {args}");
        assert_eq!(plan.reply, None, "/{verb} {args}: {:?}", plan.reply);
        assert_eq!(plan.topic, topic_of(verb));
    }
}

#[test]
fn malformed_commands_change_nothing_and_say_how_to_write_them() {
    for (verb, args) in [
        ("lgtm", "looks great"),
        ("approve", "later"),
        ("kind", ""),
        ("remove-area", ""),
        ("label", ""),
        ("lifecycle", "dormant"),
        ("remove-lifecycle", ""),
        ("retitle", ""),
        ("milestone", ""),
    ] {
        let plan = run(verb, args);
        assert!(
            plan.actions.is_empty(),
            "/{verb} {args}: {:?}",
            plan.actions
        );
        let reply = plan.reply.unwrap_or_default();
        assert!(reply.starts_with("@carol: "), "/{verb} {args}: {reply}");
        assert!(reply.contains('`'), "/{verb} {args}: {reply}");
    }
    assert!(run("milestone", "")
        .reply
        .unwrap_or_default()
        .contains("/milestone TITLE | /milestone clear"));
}

fn milestones(list: &[(u64, &str, &str)]) -> Vec<Milestone> {
    list.iter()
        .map(|(number, title, state)| Milestone {
            number: *number,
            title: (*title).to_owned(),
            state: (*state).to_owned(),
        })
        .collect()
}

#[test]
fn a_milestone_title_is_matched_exactly_then_ignoring_case_then_as_a_number() {
    let open = milestones(&[
        (1, "v1.0", "open"),
        (2, "V1.0", "open"),
        (3, "Next", "open"),
        (4, "7", "open"),
        (5, "Old", "closed"),
    ]);
    for (wanted, expected) in [
        ("v1.0", 1),
        ("V1.0", 2),
        ("next", 3),
        ("NEXT", 3),
        ("7", 4),
        ("3", 3),
        ("#2", 2),
        ("#7", 7),
        ("12", 12),
    ] {
        assert_eq!(
            choose_milestone("carol", wanted, &open),
            Ok(expected),
            "/milestone {wanted}"
        );
    }
    let clash = milestones(&[(1, "Beta", "open"), (2, "BETA", "open")]);
    assert_eq!(
        choose_milestone("carol", "BETA", &clash),
        Ok(2),
        "an exact title wins over titles alike"
    );
}

#[test]
fn closed_milestones_are_not_offered_and_an_unknown_title_lists_the_open_ones() {
    let list = milestones(&[
        (1, "v1.0", "open"),
        (2, "Old", "closed"),
        (3, "v2.0", "open"),
    ]);
    let reply = choose_milestone("carol", "old", &list).unwrap_err();
    assert!(
        reply.starts_with("@carol: there is no open milestone titled `old`"),
        "{reply}"
    );
    assert!(
        reply.contains("The open milestones are `v1.0`, `v2.0`.") && !reply.contains("Old"),
        "{reply}"
    );
    assert!(reply.contains("`/milestone clear`"), "{reply}");
    assert!(
        choose_milestone("carol", "Old", &list).is_err(),
        "closed, even when the title is exact"
    );

    let none = choose_milestone("carol", "v1.0", &[]).unwrap_err();
    assert!(none.contains("no open milestones"), "{none}");
    let clashing = choose_milestone(
        "carol",
        "beta",
        &milestones(&[(1, "Beta", "open"), (2, "BETA", "open")]),
    )
    .unwrap_err();
    assert!(
        clashing.contains("could be any of `Beta`, `BETA`"),
        "{clashing}"
    );
    let odd = choose_milestone("carol", "a`b", &list).unwrap_err();
    assert!(
        odd.contains("titled `` a`b ``"),
        "backticks in a title stay inside the code span: {odd}"
    );
}

#[test]
fn an_unknown_title_lists_at_most_twenty_open_milestones() {
    let many: Vec<Milestone> = (1..=25)
        .map(|n| Milestone {
            number: n,
            title: format!("m{n}"),
            state: "open".into(),
        })
        .collect();
    let reply = choose_milestone("carol", "nope", &many).unwrap_err();
    assert!(
        reply.contains("`m20`, and 5 more.") && !reply.contains("`m21`"),
        "{reply}"
    );
}

#[test]
fn authors_cannot_lgtm_their_own_pull_request_but_can_cancel_it() {
    let none: Vec<String> = Vec::new();
    let own = Context {
        commenter: "Alice",
        ..cx("lgtm", "", &none, &none)
    };
    let plan = plan(&own, &Config::default());
    assert!(plan.actions.is_empty());
    assert!(plan
        .reply
        .unwrap_or_default()
        .contains("cannot LGTM your own pull request"));
    let cancel = Context {
        commenter: "alice",
        ..cx("lgtm", "cancel", &none, &none)
    };
    assert_eq!(
        super::plan(&cancel, &Config::default()).actions,
        remove(&["lgtm"])
    );
    let approve = Context {
        commenter: "alice",
        ..cx("approve", "", &none, &none)
    };
    assert_eq!(
        super::plan(&approve, &Config::default()).actions,
        add(&["approved"]),
        "Prow lets authors approve"
    );
}

#[test]
fn pull_request_commands_come_to_nothing_on_issues() {
    let none: Vec<String> = Vec::new();
    for verb in [
        "lgtm",
        "remove-lgtm",
        "approve",
        "remove-approve",
        "hold",
        "unhold",
        "cc",
        "uncc",
    ] {
        let on_issue = Context {
            is_pull_request: false,
            ..cx(verb, "", &none, &none)
        };
        assert!(
            plan(&on_issue, &Config::default()).is_empty(),
            "/{verb} on an issue"
        );
    }
    let kind = Context {
        is_pull_request: false,
        ..cx("kind", "bug", &none, &none)
    };
    assert_eq!(plan(&kind, &Config::default()).actions, add(&["kind/bug"]));
    assert!(
        plan(&cx("dance", "", &none, &none), &Config::default()).is_empty(),
        "unknown verbs do nothing"
    );
}

#[test]
fn without_triage_people_commands_apply_to_the_commenter_only() {
    let none: Vec<String> = Vec::new();
    let reader = |verb: &'static str, args: &'static str| Context {
        level: Level::Read,
        ..cx(verb, args, &none, &none)
    };
    assert_eq!(
        plan(&reader("assign", ""), &Config::default()).actions,
        vec![Action::Assign(s(&["carol"]))]
    );
    let others = plan(&reader("assign", "@carol @dave"), &Config::default());
    assert_eq!(others.actions, vec![Action::Assign(s(&["carol"]))]);
    let reply = others.reply.unwrap_or_default();
    assert!(
        reply.contains("@dave was left out") && reply.contains("triage"),
        "{reply}"
    );
    let only_others = plan(&reader("cc", "@dave"), &Config::default());
    assert!(only_others.actions.is_empty());
    assert!(only_others
        .reply
        .unwrap_or_default()
        .contains("review requests for others"));
    let bad = plan(
        &cx("assign", "@not_a_login @dave", &none, &none),
        &Config::default(),
    );
    assert_eq!(bad.actions, vec![Action::Assign(s(&["dave"]))]);
    assert!(bad
        .reply
        .unwrap_or_default()
        .contains("`not_a_login` is not a GitHub login"));
}

#[test]
fn closing_is_for_the_author_assignees_and_triagers() {
    let assignees = s(&["bob"]);
    let none: Vec<String> = Vec::new();
    let by = |commenter: &'static str, level: Level| Context {
        commenter,
        level,
        ..cx("close", "", &assignees, &none)
    };
    for (commenter, level, allowed) in [
        ("alice", Level::Read, true),
        ("BOB", Level::Read, true),
        ("dave", Level::Triage, true),
        ("dave", Level::Read, false),
    ] {
        let plan = plan(&by(commenter, level), &Config::default());
        assert_eq!(
            !plan.actions.is_empty(),
            allowed,
            "{commenter} as {level:?}: {plan:?}"
        );
        assert_eq!(plan.reply.is_some(), !allowed);
    }
}

#[test]
fn label_keeps_to_the_allow_list_and_never_touches_the_gate_labels() {
    let none: Vec<String> = Vec::new();
    let open = Config::default();
    let gated = plan(&cx("label", "lgtm bug", &none, &none), &open);
    assert_eq!(gated.actions, add(&["bug"]));
    assert!(gated.reply.unwrap_or_default().contains("go with `/lgtm`"));
    assert!(plan(
        &cx("remove-label", "do-not-merge/hold", &none, &none),
        &open
    )
    .actions
    .is_empty());

    let listed = Config {
        allowed_labels: s(&["good-first-issue"]),
        ..Config::default()
    };
    let plan = plan(
        &cx("label", "Good-First-Issue wontfix", &none, &none),
        &listed,
    );
    assert_eq!(plan.actions, add(&["Good-First-Issue"]));
    let reply = plan.reply.unwrap_or_default();
    assert!(
        reply.contains("`wontfix`") && reply.contains("allowed_labels"),
        "{reply}"
    );
    assert!(!label_allowed(
        "approved",
        &Config {
            allowed_labels: s(&["approved"]),
            ..Config::default()
        }
    ));
}

#[test]
fn assignments_github_dropped_are_explained_with_the_limit_of_ten() {
    let requested = s(&["k", "l"]);
    let full: Vec<String> = (0..10).map(|i| format!("user{i}")).collect();
    let reply = assignment_outcome("carol", &requested, &full).unwrap_or_default();
    assert!(
        reply.contains("did not assign @k, @l") && reply.contains("at most 10 assignees"),
        "{reply}"
    );
    let reply = assignment_outcome("carol", &requested, &s(&["K"])).unwrap_or_default();
    assert!(
        reply.contains("did not assign @l") && reply.contains("collaborators"),
        "{reply}"
    );
    assert_eq!(
        assignment_outcome("carol", &requested, &s(&["k", "l", "m"])),
        None
    );
}

#[test]
fn logins_and_levels() {
    assert!(is_login("octo-cat") && is_login("gantry[bot]") && is_login("a1"));
    assert!(!is_login("") && !is_login("-x") && !is_login("a_b") && !is_login(&"x".repeat(40)));
    assert_eq!(logins("@a,@b  c @A"), s(&["a", "b", "c"]));
    assert!(
        Level::Read < Level::Triage
            && Level::Triage < Level::Write
            && Level::Maintain < Level::Admin
    );
}

#[test]
fn new_commits_reset_lgtm_only_when_it_is_there_and_configured() {
    let on = Config::default();
    let labels = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert!(lgtm_reset(
        &on,
        "synchronize",
        &labels(&["LGTM", "kind/bug"])
    ));
    assert!(
        !lgtm_reset(&on, "synchronize", &labels(&["approved"])),
        "nothing to remove"
    );
    assert!(
        !lgtm_reset(&on, "edited", &labels(&["lgtm"])),
        "only new commits"
    );
    let off = Config {
        lgtm_reset_on_push: false,
        ..Config::default()
    };
    assert!(!lgtm_reset(&off, "synchronize", &labels(&["lgtm"])));
}

#[test]
fn a_label_name_over_githubs_50_characters_is_refused_with_a_clear_message() {
    let none: Vec<String> = Vec::new();
    let long = "x".repeat(51);
    let fits = "y".repeat(50);
    let args = format!("{long} {fits}");
    let plan = plan(&cx("label", &args, &none, &none), &Config::default());
    assert_eq!(plan.actions, vec![Action::AddLabels(vec![fits])]);
    let reply = plan.reply.unwrap_or_default();
    assert!(
        reply.contains(&format!("`{long}`")) && reply.contains("at most 50 characters"),
        "{reply}"
    );
}
