//! `/approve` with owners: coverage, the status comment, reviewers to request.
use gantry_plugin_sdk::github::PathOwners;

use super::{comment, has_owners, is_approver, reviewers_for, status, update};

fn file(path: &str, approvers: &[&str], reviewers: &[&str], from: &str) -> PathOwners {
    PathOwners {
        path: path.into(),
        approvers: approvers.iter().map(|a| (*a).to_owned()).collect(),
        reviewers: reviewers.iter().map(|a| (*a).to_owned()).collect(),
        decided_by: if from.is_empty() {
            vec![]
        } else {
            vec![from.to_owned()]
        },
    }
}

fn two_directories() -> Vec<PathOwners> {
    vec![
        file("api/a.go", &["alice"], &["rita"], "api/OWNERS"),
        file("api/b.go", &["alice"], &["rita"], "api/OWNERS"),
        file("web/c.ts", &["bob", "carol"], &["sam"], "web/OWNERS"),
    ]
}

#[test]
fn one_directorys_approver_leaves_the_other_directory_waiting() {
    let files = two_directories();
    let approved = update(vec![], "Alice", false);
    let s = status(&files, &approved);
    assert!(!s.approved());
    assert_eq!(s.counted, vec!["alice"]);
    let waiting: Vec<&str> = s.waiting.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(waiting, vec!["web/c.ts"]);
    let text = comment(&s, None);
    assert!(text.contains("**NOT APPROVED**"), "{text}");
    assert!(
        text.contains("`web/c.ts`: ask @bob, @carol (`web/OWNERS`)"),
        "{text}"
    );
    assert!(!text.contains("api/a.go"), "{text}");
}

#[test]
fn both_approvers_approve_every_file() {
    let files = two_directories();
    let approved = update(update(vec![], "alice", false), "carol", false);
    let s = status(&files, &approved);
    assert!(s.approved());
    assert!(comment(&s, None).contains("**APPROVED**"));
}

#[test]
fn a_non_approver_does_not_count_and_cancel_withdraws() {
    let files = two_directories();
    assert!(!is_approver(&files, "mallory"));
    assert!(is_approver(&files, "CAROL"));
    let s = status(&files, &update(vec![], "mallory", false));
    assert!(!s.approved());
    assert!(s.counted.is_empty());
    assert_eq!(s.waiting.len(), 3);
    let approved = update(update(vec![], "alice", false), "carol", false);
    let approved = update(approved, "Carol", true);
    assert_eq!(approved, vec!["alice"]);
    assert!(!status(&files, &approved).approved());
}

#[test]
fn files_without_owners_take_any_approval_and_no_files_means_no_owners() {
    let files = vec![
        file("api/a.go", &["alice"], &[], "api/OWNERS"),
        file("apps/github/x", &[], &[], ".github/CODEOWNERS:3"),
    ];
    assert!(status(&files, &update(vec![], "alice", false)).approved());
    let none = vec![file("a", &[], &[], ""), file("b", &[], &[], "")];
    assert!(!has_owners(&none));
    assert!(has_owners(&files));
}

#[test]
fn the_waiting_list_is_capped() {
    let files: Vec<PathOwners> = (0..40)
        .map(|i| file(&format!("d/f{i}"), &["x"], &[], "d/OWNERS"))
        .collect();
    let text = comment(&status(&files, &[]), Some("note first"));
    assert!(text.starts_with("note first"));
    assert!(text.contains("and 10 more"), "{text}");
}

#[test]
fn reviewers_are_logins_who_review_the_most_files_not_the_author() {
    let files = vec![
        file("a", &[], &["rita", "org/team", "sam"], "OWNERS"),
        file("b", &[], &["sam", "author"], "OWNERS"),
        file("c", &[], &["x@example.com"], "CODEOWNERS:1"),
    ];
    assert_eq!(reviewers_for(&files, "Author", 5), vec!["sam", "rita"]);
    assert_eq!(reviewers_for(&files, "author", 1), vec!["sam"]);
}
