//! Table tests of the releases plugin's decisions (`cargo test` on the host target).
use super::*;

fn v(text: &str) -> Version {
    Version::parse(text, "v").unwrap_or_else(|| panic!("{text} should parse"))
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| (*t).to_owned()).collect()
}

fn commit(sha: &str, message: &str, author: &str) -> CommitInfo {
    CommitInfo {
        sha: sha.repeat(40 / sha.len()),
        message: message.into(),
        author: author.into(),
    }
}

#[test]
fn the_configuration_takes_its_defaults() {
    let c: Config = serde_json::from_str("{}").unwrap_or_default();
    assert_eq!(c.tag_prefix, "v");
    assert!(c.draft_first);
    let titles: Vec<&str> = c.notes_sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Features", "Bug fixes", "Performance", "Documentation"]
    );
    assert_eq!(c.other_section, "Other");
}

#[test]
fn versions_parse_with_or_without_the_prefix() {
    assert_eq!(
        v("v1.2.3"),
        Version {
            major: 1,
            minor: 2,
            patch: 3,
            pre: vec![],
            build: String::new()
        }
    );
    assert_eq!(v("1.2.3"), v("v1.2.3"));
    let rc = v("v2.0.0-rc.1+build.5");
    assert_eq!(
        rc.pre,
        vec![PreIdent::Text("rc".into()), PreIdent::Number(1)]
    );
    assert_eq!(rc.build, "build.5");
    assert!(rc.is_prerelease());
    assert_eq!(rc.tag("v"), "v2.0.0-rc.1+build.5");
    assert_eq!(
        Version::parse("release-1.0.0", "release-")
            .map(|x| x.tag("release-"))
            .as_deref(),
        Some("release-1.0.0")
    );
}

#[test]
fn bad_versions_are_refused() {
    for bad in [
        "",
        "v",
        "v1",
        "v1.2",
        "v1.2.3.4",
        "v01.2.3",
        "v1.2.x",
        "vv1.2.3",
        "v1.2.3-",
        "v1.2.3-rc..1",
        "v1.2.3+",
        "v1.2.3-01",
        "latest",
        "v-1.2.3",
    ] {
        assert_eq!(Version::parse(bad, "v"), None, "{bad:?} should not parse");
    }
}

#[test]
fn versions_order_as_semver_says() {
    let ordered = [
        "v0.9.0",
        "v1.0.0-alpha",
        "v1.0.0-alpha.1",
        "v1.0.0-alpha.beta",
        "v1.0.0-beta",
        "v1.0.0-beta.2",
        "v1.0.0-beta.11",
        "v1.0.0-rc.1",
        "v1.0.0",
        "v1.0.1",
        "v1.10.0",
        "v2.0.0",
    ];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(
        v("v1.0.0+a").cmp(&v("v1.0.0+b")),
        Ordering::Equal,
        "build metadata does not count"
    );
}

#[test]
fn the_previous_tag_is_the_highest_version_below() {
    let all = tags(&[
        "v0.1.0",
        "v0.10.0",
        "v0.2.0",
        "v1.0.0-rc.1",
        "nightly",
        "v2.0.0",
        "other-3.0.0",
    ]);
    assert_eq!(
        previous_tag(&all, &v("v1.0.0"), "v").as_deref(),
        Some("v0.10.0"),
        "a release skips pre-releases"
    );
    assert_eq!(
        previous_tag(&all, &v("v1.0.0-rc.2"), "v").as_deref(),
        Some("v1.0.0-rc.1"),
        "a pre-release counts them"
    );
    assert_eq!(
        previous_tag(&all, &v("v0.3.0"), "v").as_deref(),
        Some("v0.2.0")
    );
    assert_eq!(
        previous_tag(&all, &v("v3.0.0"), "v").as_deref(),
        Some("v2.0.0")
    );
    assert_eq!(
        previous_tag(&all, &v("v0.1.0"), "v"),
        None,
        "the first release"
    );
    assert_eq!(previous_tag(&[], &v("v0.1.0"), "v"), None);
}

#[test]
fn conventional_commits_are_parsed() {
    let c = parse_commit("feat(api): add the thing\n\nbody");
    assert_eq!(
        (
            c.kind.as_deref(),
            c.scope.as_deref(),
            c.breaking,
            c.description.as_str()
        ),
        (Some("feat"), Some("api"), false, "add the thing")
    );
    let c = parse_commit("Fix: handle empty names (#12)");
    assert_eq!(
        (c.kind.as_deref(), c.scope, c.description.as_str()),
        (Some("fix"), None, "handle empty names (#12)")
    );
    let c = parse_commit("refactor!: drop the old config");
    assert!(c.breaking);
    assert_eq!(c.breaking_note, None);
    let c = parse_commit("feat(cli)!: rename flags");
    assert_eq!(
        (c.kind.as_deref(), c.scope.as_deref(), c.breaking),
        (Some("feat"), Some("cli"), true)
    );
    let c = parse_commit("feat: new output\n\nSome body.\n\nBREAKING CHANGE: the output is JSON now\nand not text.\n\nRefs: #3");
    assert!(c.breaking);
    assert_eq!(
        c.breaking_note.as_deref(),
        Some("the output is JSON now and not text.")
    );
    let c = parse_commit("Update README.md");
    assert_eq!(
        (c.kind, c.breaking, c.description.as_str()),
        (None, false, "Update README.md")
    );
    let c = parse_commit("see http://example.com: it is down");
    assert_eq!(c.kind, None, "not a type");
    assert_eq!(parse_commit("feat(): empty scope").kind, None);
    assert_eq!(parse_commit("feat:").kind, None, "no description");
}

#[test]
fn pull_request_references_become_links() {
    assert_eq!(
        link_pull_requests("fix it (#12)", "o", "r"),
        "fix it ([#12](https://github.com/o/r/pull/12))"
    );
    assert_eq!(
        link_pull_requests("closes #3 and #4", "o", "r"),
        "closes [#3](https://github.com/o/r/pull/3) and [#4](https://github.com/o/r/pull/4)"
    );
    assert_eq!(
        link_pull_requests("C# and issue#5 and # alone", "o", "r"),
        "C# and issue#5 and # alone"
    );
}

#[test]
fn notes_group_commits_with_links_and_authors_breaking_first() {
    let commits = [
        // Newest first, as the workspace's log gives them.
        commit("e", "Merge pull request #13 from x/y", "Mona"),
        commit("d", "chore: tidy", "Mona"),
        commit(
            "c",
            "feat(api)!: remove v1\n\nBREAKING CHANGE: v1 clients break (#11)",
            "Hubot",
        ),
        commit("b", "fix: handle empty names (#12)", "Mona"),
        commit("a", "feat: add greeting", "Octo Cat"),
    ];
    let input = NotesInput {
        owner: "o",
        repo: "r",
        tag: "v0.2.0",
        previous: Some("v0.1.0"),
        commits: &commits,
    };
    let notes = render_notes(&input, &Config::default());
    let expected = "## v0.2.0\n\nChanges since v0.1.0 ([compare](https://github.com/o/r/compare/v0.1.0...v0.2.0)).\n\
\n### ⚠ Breaking changes\n\n- **api:** remove v1 (ccccccc) by Hubot\n  v1 clients break ([#11](https://github.com/o/r/pull/11))\n\
\n### Features\n\n- add greeting (aaaaaaa) by Octo Cat\n\
\n### Bug fixes\n\n- handle empty names ([#12](https://github.com/o/r/pull/12)) (bbbbbbb) by Mona\n\
\n### Other\n\n- tidy (ddddddd) by Mona\n\
\n### Contributors\n\nOcto Cat, Mona, Hubot\n";
    assert_eq!(notes, expected);
}

#[test]
fn notes_of_a_first_release_and_without_other() {
    let commits = [
        commit("b", "chore: tidy", "Mona"),
        commit("a", "docs: explain", "Mona"),
    ];
    let config = Config {
        other_section: String::new(),
        ..Config::default()
    };
    let notes = render_notes(
        &NotesInput {
            owner: "o",
            repo: "r",
            tag: "v0.1.0",
            previous: None,
            commits: &commits,
        },
        &config,
    );
    assert!(
        notes.starts_with("## v0.1.0\n\nThe first release.\n"),
        "{notes}"
    );
    assert!(notes.contains("### Documentation\n\n- explain"), "{notes}");
    assert!(
        !notes.contains("tidy"),
        "other commits are left out: {notes}"
    );
    let empty = render_notes(
        &NotesInput {
            owner: "o",
            repo: "r",
            tag: "v0.1.0",
            previous: None,
            commits: &[],
        },
        &config,
    );
    assert!(empty.contains("No changes worth noting."), "{empty}");
}

fn run(id: u64, path: &str, branch: &str, conclusion: Option<&str>) -> Run {
    Run {
        id,
        name: "Build".into(),
        path: path.into(),
        status: if conclusion.is_some() {
            "completed"
        } else {
            "in_progress"
        }
        .into(),
        conclusion: conclusion.map(str::to_owned),
        head_branch: branch.into(),
    }
}

#[test]
fn the_artifact_run_is_the_newest_successful_run_of_the_workflow() {
    let runs = [
        run(5, ".github/workflows/build.yml", "main", None),
        run(4, ".github/workflows/build.yml", "main", Some("failure")),
        run(3, ".github/workflows/lint.yml", "main", Some("success")),
        run(2, ".github/workflows/build.yml", "v0.1.0", Some("success")),
        run(1, ".github/workflows/build.yml", "main", Some("success")),
    ];
    assert_eq!(
        artifact_run("build.yml", "main", &runs).map(|r| r.id),
        Some(1),
        "the default branch's run first"
    );
    assert_eq!(
        artifact_run(".github/workflows/build.yml", "other", &runs).map(|r| r.id),
        Some(2),
        "else any branch's"
    );
    assert_eq!(
        artifact_run("Build", "main", &runs).map(|r| r.id),
        Some(3),
        "by name"
    );
    assert_eq!(artifact_run("deploy.yml", "main", &runs), None);
}

#[test]
fn artifacts_are_filtered_and_named() {
    assert!(artifact_wanted("dist", &[]));
    assert!(artifact_wanted("dist", &tags(&["docs", "dist"])));
    assert!(!artifact_wanted("coverage", &tags(&["dist"])));
    assert_eq!(asset_name("dist"), "dist.zip");
    assert_eq!(asset_name("dist.zip"), "dist.zip");
}
