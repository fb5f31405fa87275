//! Splitting a plan: which items get an issue, the issue's text, the plan comment
//! edited into links, and the replies of a first and a second split.
use super::*;
use crate::plan::{self, Plan};

fn plan() -> Plan {
    Plan::of_issue(
        9,
        "## Work\n- parse hunks\n- [x] read headers\n- write docs\n",
        30,
        &[],
    )
}

#[test]
fn only_unchecked_items_without_an_issue_are_pending() {
    let mut p = plan();
    // 0 is the heading, 2 is checked.
    assert_eq!(pending(&p), [1, 3]);
    record(&mut p, 1, Outcome::Opened(20));
    record(&mut p, 3, Outcome::Held("ap-7".into()));
    assert!(pending(&p).is_empty());
    assert_eq!(held_entry(&p, "ap-7"), Some(3));
    assert_eq!(held_entry(&p, "ap-8"), None);
    // A denied hold can be split again; an approved one is opened.
    record(&mut p, 3, Outcome::Dropped);
    assert_eq!(pending(&p), [3]);
    record(&mut p, 3, Outcome::Opened(21));
    assert_eq!(p.issues(), [20, 21]);
}

#[test]
fn each_issue_is_titled_by_its_item_and_links_back_to_the_planned_issue() {
    let p = plan();
    let issue = issue_for(&p, 1).unwrap();
    assert_eq!(issue.title, "parse hunks");
    assert!(issue.body.starts_with("Part of #9\n"), "{}", issue.body);
    assert_eq!(issue_for(&p, 0), None, "a heading is not an item");
    assert_eq!(issue_for(&p, 99), None);
}

#[test]
fn the_split_plan_lists_its_items_as_links() {
    let mut p = plan();
    record(&mut p, 1, Outcome::Opened(20));
    record(&mut p, 3, Outcome::Opened(21));
    let text = plan::render(&p);
    assert!(
        text.contains("**Work**\n- [ ] #20\n- [x] read headers\n- [ ] #21\n"),
        "{text}"
    );
}

#[test]
fn the_reply_says_what_was_opened_held_or_refused() {
    let mut p = plan();
    record(&mut p, 1, Outcome::Opened(20));
    record(&mut p, 3, Outcome::Opened(21));
    let first = Report {
        opened: vec![20, 21],
        ..Report::default()
    };
    assert_eq!(
        first.reply("alice", &p),
        "@alice: opened #20 and #21 from the plan; its items link to them now."
    );
    let again = Report::default().reply("alice", &p);
    assert_eq!(
        again,
        "@alice: nothing to split: every unchecked item of the plan has its issue already (#20 and #21)."
    );

    let held = Report {
        held: vec!["ap-1".into()],
        refused: vec![("write docs".into(), "rejected: spam".into())],
        edit_held: Some("ap-2".into()),
        ..Report::default()
    };
    let text = held.reply("bob", &plan());
    assert!(
        text.contains("1 issue waits for a maintainer's approval (`ap-1`)"),
        "{text}"
    );
    assert!(
        text.contains("GitHub would not open an issue for “write docs”: rejected: spam"),
        "{text}"
    );
    assert!(
        text.contains("The plan's edit waits for approval `ap-2`."),
        "{text}"
    );

    let mut waiting = plan();
    record(&mut waiting, 1, Outcome::Held("ap-3".into()));
    record(&mut waiting, 3, Outcome::Opened(5));
    assert_eq!(
        Report::default().reply("carol", &waiting),
        "@carol: nothing to split: every unchecked item of the plan has its issue already (#5). 1 waiting for approval; they are opened when approved."
    );
}
