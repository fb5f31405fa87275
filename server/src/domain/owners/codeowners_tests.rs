//! `CODEOWNERS` against GitHub's documented example file ("About code owners")
//! and its rules.
use super::{parse, Owner};

/// GitHub's example file, its comments shortened.
const GITHUB_EXAMPLE: &str = r"# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in the repo.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most precedence.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer.
*.go docs@example.com

# Teams can be specified as code owners as well.
*.txt @octo-org/octocats

# @doctocat owns any files in the build/logs directory at the root.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like `docs/getting-started.md`
# but not further nested files like `docs/build-app/troubleshooting.md`.
docs/*  docs@example.com

# @octocat owns any file in an apps directory anywhere in your repository.
apps/ @octocat

# @doctocat owns any file in the `/docs` directory in the root.
/docs/ @doctocat

# Any change inside the `/scripts` directory will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# @octocat owns any file in a `/logs` directory such as `/build/logs`,
# `/scripts/logs`, and `/deeply/nested/logs`.
**/logs @octocat

# @octocat owns any file in `/apps` except for `/apps/github`, left without owners.
/apps/ @octocat
/apps/github

# @octocat owns any file in `/apps` except `/apps/github`, which has its own owner.
/apps/ @octocat
/apps/github @doctocat
";

fn owners_of(text: &str, path: &str) -> Option<Vec<String>> {
    parse(text)
        .decide(path)
        .map(|d| d.owners.iter().map(|o| o.name().to_owned()).collect())
}

fn user(s: &str) -> Vec<String> {
    vec![s.to_owned()]
}

#[test]
fn the_documented_example_parses_without_errors() {
    assert_eq!(parse(GITHUB_EXAMPLE).errors, vec![]);
}

#[test]
fn the_global_owners_own_what_no_later_line_matches() {
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "README.md"),
        Some(vec!["global-owner1".into(), "global-owner2".into()])
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "src/deep/readme"),
        Some(vec!["global-owner1".into(), "global-owner2".into()])
    );
}

#[test]
fn the_last_matching_line_wins_and_inline_comments_are_dropped() {
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "src/app.js"),
        Some(user("js-owner"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "main.go"),
        Some(user("docs@example.com"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "notes/a.txt"),
        Some(user("octo-org/octocats"))
    );
    let parsed = parse(GITHUB_EXAMPLE);
    let team = parsed.decide("notes/a.txt").unwrap();
    assert_eq!(team.owners, &[Owner::Team("octo-org/octocats".into())]);
}

#[test]
fn anchored_directories_and_any_depth_logs() {
    // `/build/logs/` is overridden by the later `**/logs`.
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "build/logs/deep/x.log"),
        Some(user("octocat"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "deeply/nested/logs/x.md"),
        Some(user("octocat"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "scripts/run.sh"),
        Some(vec!["doctocat".into(), "octocat".into()])
    );
}

#[test]
fn docs_star_covers_direct_files_and_slash_docs_every_depth() {
    // Both `docs/*` and `/docs/` match; the later `/docs/` decides.
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "docs/getting-started.md"),
        Some(user("doctocat"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "docs/build-app/troubleshooting.md"),
        Some(user("doctocat"))
    );
    let only_star = "docs/*  docs@example.com\n";
    assert_eq!(
        owners_of(only_star, "docs/getting-started.md"),
        Some(user("docs@example.com"))
    );
    assert_eq!(
        owners_of(only_star, "docs/build-app/troubleshooting.md"),
        None
    );
}

#[test]
fn a_line_without_owners_unsets_and_a_later_line_sets_again() {
    let unset = "/apps/ @octocat\n/apps/github\n";
    let parsed = parse(unset);
    let decision = parsed.decide("apps/github/main.rs").unwrap();
    assert_eq!(decision.line, 2);
    assert!(decision.owners.is_empty());
    assert_eq!(owners_of(unset, "apps/web/main.rs"), Some(user("octocat")));
    // The whole example ends with `/apps/github @doctocat`.
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "apps/github/main.rs"),
        Some(user("doctocat"))
    );
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "apps/web/main.rs"),
        Some(user("octocat"))
    );
    // `apps/` matches an apps directory at any depth.
    assert_eq!(
        owners_of(GITHUB_EXAMPLE, "lib/apps/main.rs"),
        Some(user("octocat"))
    );
}

#[test]
fn escapes_keep_a_hash_and_invalid_lines_are_reported_and_skipped() {
    let text = "\\#notes.md @writer\n\
                *.rs @rustacean\n\
                *.rs not-an-owner\n\
                !*.md @someone\n\
                [ab].txt @someone\n\
                *.rs @@bad\n\
                lib/ @org/\n";
    let parsed = parse(text);
    assert_eq!(owners_of(text, "#notes.md"), Some(user("writer")));
    assert_eq!(owners_of(text, "src/main.rs"), Some(user("rustacean")));
    let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    assert!(parsed.errors[0].message.contains("not-an-owner"));
    assert!(parsed.errors[1].message.contains("negation"));
    assert_eq!(owners_of(text, "lib/x"), None);
}
