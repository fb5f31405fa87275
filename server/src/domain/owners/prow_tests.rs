//! `OWNERS` and `OWNERS_ALIASES` against the examples of Prow's owners guide
//! (kubernetes/community `contributors/guide/owners.md`).
use std::collections::BTreeMap;

use super::{directories, expand, parse_aliases, parse_owners, people_of, OwnersFile};

/// The guide's typical `OWNERS` file.
const TYPICAL: &str = "approvers:
  - alice
  - bob     # this is a comment
reviewers:
  - alice
  - carol   # this is another comment
  - sig-foo # this is an alias
";

/// The guide's `OWNERS_ALIASES`.
const ALIASES: &str = "aliases:
  sig-foo:
    - david
    - erin
  sig-bar:
    - bob
    - frank
";

/// The guide's file with filters.
const FILTERS: &str = r#"options:
  no_parent_owners: true
filters:
  ".*":
    approvers:
    - alice
    - bob
    reviewers:
    - bob
    - carol
    labels:
    - re/all
  "\\.go$":
    labels:
    - re/go
  "\\.sh$":
    labels:
    - re/sh
"#;

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, OwnersFile> {
    files
        .iter()
        .map(|(dir, text)| ((*dir).to_owned(), parse_owners(text).unwrap()))
        .collect()
}

#[test]
fn the_typical_file_with_an_alias_expanded() {
    let aliases = parse_aliases(ALIASES).unwrap();
    assert_eq!(aliases["sig-foo"], vec!["david", "erin"]);
    let files = tree(&[("", TYPICAL)]);
    let (people, sources) = people_of(&files, &aliases, "pkg/x.go");
    assert_eq!(people.approvers, vec!["alice", "bob"]);
    assert_eq!(people.reviewers, vec!["alice", "carol", "david", "erin"]);
    assert_eq!(sources, vec!["OWNERS"]);
}

#[test]
fn filters_apply_by_regular_expression_on_the_relative_path() {
    let files = tree(&[("hack", FILTERS)]);
    let (go, _) = people_of(&files, &BTreeMap::new(), "hack/tool/main.go");
    assert_eq!(go.approvers, vec!["alice", "bob"]);
    assert_eq!(go.reviewers, vec!["bob", "carol"]);
    assert_eq!(go.labels, vec!["re/all", "re/go"]);
    let (sh, _) = people_of(&files, &BTreeMap::new(), "hack/run.sh");
    assert_eq!(sh.labels, vec!["re/all", "re/sh"]);
}

#[test]
fn ownership_is_the_union_up_the_tree_stopping_at_no_parent_owners() {
    let files = tree(&[
        ("", "approvers: [root]\nreviewers: [rootrev]\n"),
        ("a", "approvers: [alpha]\n"),
        (
            "a/deep/nested",
            "approvers: [nest]\noptions:\n  no_parent_owners: true\n",
        ),
    ]);
    let none = BTreeMap::new();
    let (shallow, sources) = people_of(&files, &none, "a/b/c.txt");
    assert_eq!(shallow.approvers, vec!["alpha", "root"]);
    assert_eq!(shallow.reviewers, vec!["rootrev"]);
    assert_eq!(sources, vec!["a/OWNERS", "OWNERS"]);
    let (deep, sources) = people_of(&files, &none, "a/deep/nested/bit/of/code.go");
    assert_eq!(deep.approvers, vec!["nest"]);
    assert_eq!(sources, vec!["a/deep/nested/OWNERS"]);
    let (outside, _) = people_of(&files, &none, "README.md");
    assert_eq!(outside.approvers, vec!["root"]);
}

#[test]
fn a_filtered_file_that_matches_nothing_leaves_the_file_to_the_parents() {
    let files = tree(&[
        ("", "approvers: [root]\n"),
        (
            "docs",
            "filters:\n  \"\\\\.md$\":\n    approvers: [writer]\n",
        ),
    ]);
    let (md, sources) = people_of(&files, &BTreeMap::new(), "docs/a.md");
    assert_eq!(md.approvers, vec!["writer", "root"]);
    assert_eq!(sources, vec!["docs/OWNERS", "OWNERS"]);
    let (png, sources) = people_of(&files, &BTreeMap::new(), "docs/a.png");
    assert_eq!(png.approvers, vec!["root"]);
    assert_eq!(sources, vec!["OWNERS"]);
}

#[test]
fn names_are_compared_in_lower_case() {
    let aliases = parse_aliases("aliases:\n  Team-A: [Zed]\n").unwrap();
    assert_eq!(
        expand(&["team-a".into(), "Bob".into(), "zed".into()], &aliases),
        vec!["zed", "bob"]
    );
}

#[test]
fn malformed_files_are_errors() {
    assert!(parse_owners("approvers: [a\n").is_err());
    assert!(parse_owners("approvers: alice\n").is_err());
    assert!(parse_owners("- a\n").is_err());
    assert!(parse_owners("approvers: [a]\nfilters:\n  \".*\":\n    approvers: [b]\n").is_err());
    assert!(parse_owners("filters:\n  \"(\":\n    approvers: [b]\n").is_err());
    assert!(parse_aliases("aliases: [a]\n").is_err());
    assert!(parse_owners("").unwrap().entries.len() == 1);
}

#[test]
fn the_directories_of_a_path_nearest_first() {
    assert_eq!(directories("a/b/c.txt"), vec!["a/b", "a", ""]);
    assert_eq!(directories("c.txt"), vec![""]);
}
