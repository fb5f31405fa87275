//! Each rule of the rule-based review, on patches as GitHub gives them: where a line
//! comment lands, which files are exempt, and what goes in the body.
use super::paths;
use super::*;

fn file(path: &str, patch: &str) -> FileDiff {
    let additions = patch.lines().filter(|l| l.starts_with('+')).count() as u64;
    let deletions = patch.lines().filter(|l| l.starts_with('-')).count() as u64;
    FileDiff {
        path: path.into(),
        status: "modified".into(),
        additions,
        deletions,
        patch: Some(patch.into()),
    }
}

/// The (path, line) of every line comment.
fn spots(review: &Review) -> Vec<(String, u32)> {
    review
        .comments
        .iter()
        .map(|c| (c.path.clone(), c.line))
        .collect()
}

fn only(check: Check) -> Config {
    Config {
        checks: vec![check],
        ..Config::default()
    }
}

#[test]
fn todo_fixme_and_xxx_on_added_lines_are_commented_on_their_new_line_numbers() {
    let patch = "@@ -4,3 +4,6 @@\n keep\n+// TODO: handle the error\n+let x = 1; // FIXME\n-// TODO old one, deleted\n+/* XXX */\n+let todo_list = TODOS;\n keep";
    let r = review(&[file("src/lib.rs", patch)], &only(Check::Todo));
    assert_eq!(
        spots(&r),
        [
            ("src/lib.rs".into(), 5),
            ("src/lib.rs".into(), 6),
            ("src/lib.rs".into(), 7)
        ],
        "not the deleted line, nor TODOS or todo_list"
    );
    assert!(r.comments[0].body.contains("`TODO` added"));
    assert!(r.comments[1].body.contains("`FIXME` added"));
    assert!(r.comments[2].body.contains("`XXX` added"));
    assert!(
        r.body.contains("3 findings on 3 lines of 1 file"),
        "{}",
        r.body
    );
}

#[test]
fn a_todo_in_a_context_line_is_not_the_pull_requests_doing() {
    let r = review(
        &[file("a.py", "@@ -1,2 +1,3 @@\n # TODO: old\n+x = 1\n y")],
        &Config::default(),
    );
    assert!(r.comments.is_empty(), "{:?}", r.comments);
}

#[test]
fn dbg_is_flagged_in_any_rust_file_and_println_only_in_library_code() {
    let patch = "@@ -1,1 +1,4 @@\n fn f() {\n+    dbg!(x);\n+    println!(\"{x}\");\n+    eprintln!(\"oops\");";
    let lib = review(&[file("src/parse.rs", patch)], &only(Check::Debug));
    assert_eq!(
        lib.comments.iter().map(|c| c.line).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert!(lib.comments[0].body.contains("`dbg!`"));
    assert!(lib.comments[1].body.contains("`println!` in library code"));
    assert!(lib.comments[2].body.contains("`eprintln!` in library code"));

    for program in [
        "src/main.rs",
        "build.rs",
        "src/bin/tool.rs",
        "crates/x/src/bin/tool.rs",
        "tests/it.rs",
        "examples/demo.rs",
    ] {
        let r = review(&[file(program, patch)], &only(Check::Debug));
        assert_eq!(
            r.comments.iter().map(|c| c.line).collect::<Vec<_>>(),
            [2],
            "{program}: only dbg!"
        );
    }
}

#[test]
fn printing_in_a_libraries_tests_or_in_a_comment_is_not_a_leftover() {
    let patch = "@@ -1,1 +1,5 @@\n x\n+// println!(\"doc example\");\n+#[cfg(test)]\n+mod tests {\n+    fn t() { println!(\"debugging a test\"); }";
    let r = review(&[file("src/lib.rs", patch)], &only(Check::Debug));
    assert!(r.comments.is_empty(), "{:?}", r.comments);
    let r = review(
        &[file("src/lib.rs", "@@ -1 +1,2 @@\n x\n+my_println!(x);")],
        &only(Check::Debug),
    );
    assert!(r.comments.is_empty(), "another macro: {:?}", r.comments);
}

#[test]
fn console_log_is_flagged_in_javascript_and_typescript_only() {
    let patch = "@@ -1 +1,3 @@\n x\n+console.log(value);\n+logger.console.log(value);";
    for path in ["web/app.js", "src/a.ts", "ui/b.tsx", "lib/c.mjs"] {
        let r = review(&[file(path, patch)], &only(Check::Debug));
        assert_eq!(spots(&r), [(path.into(), 2)], "{path}");
        assert!(r.comments[0].body.contains("`console.log`"));
    }
    let r = review(&[file("notes.md", patch)], &only(Check::Debug));
    assert!(r.comments.is_empty());
}

#[test]
fn unwrap_is_flagged_in_rust_code_outside_tests() {
    let patch = "@@ -1 +1,2 @@\n x\n+let v = parse(s).unwrap();";
    let r = review(&[file("src/config.rs", patch)], &only(Check::Unwrap));
    assert_eq!(spots(&r), [("src/config.rs".into(), 2)]);
    assert!(r.comments[0].body.contains("`.unwrap()` outside tests"));

    for test in [
        "tests/integration/api.rs",
        "server/tests/cli.rs",
        "src/model_tests.rs",
        "src/model/tests.rs",
    ] {
        let r = review(&[file(test, patch)], &only(Check::Unwrap));
        assert!(r.comments.is_empty(), "{test}: {:?}", r.comments);
    }
    let r = review(&[file("src/a.js", patch)], &only(Check::Unwrap));
    assert!(r.comments.is_empty(), "only Rust");
}

#[test]
fn unwrap_after_a_cfg_test_line_of_the_same_patch_is_test_code() {
    // `#[cfg(test)]` as context, then an added test that unwraps; an unwrap above it
    // is still flagged.
    let patch = "@@ -10,4 +10,6 @@\n fn f() {\n+    g().unwrap();\n }\n #[cfg(test)]\n mod tests {\n+    fn t() { g().unwrap(); }\n }";
    let r = review(&[file("src/lib.rs", patch)], &only(Check::Unwrap));
    assert_eq!(spots(&r), [("src/lib.rs".into(), 11)]);
    // A `#[cfg(test)]` that was deleted does not count.
    let deleted = "@@ -1,3 +1,3 @@\n x\n-#[cfg(test)]\n+g().unwrap();\n y";
    let r = review(&[file("src/lib.rs", deleted)], &only(Check::Unwrap));
    assert_eq!(spots(&r), [("src/lib.rs".into(), 2)]);
}

#[test]
fn several_findings_on_one_line_make_one_comment() {
    let r = review(
        &[file(
            "src/lib.rs",
            "@@ -1 +1,2 @@\n x\n+dbg!(v.unwrap()); // TODO",
        )],
        &Config::default(),
    );
    assert_eq!(r.comments.len(), 1);
    let body = &r.comments[0].body;
    assert!(
        body.contains("`TODO`") && body.contains("`dbg!`") && body.contains("`.unwrap()`"),
        "{body}"
    );
    assert!(
        r.body.contains("3 findings on 1 line of 1 file"),
        "{}",
        r.body
    );
}

#[test]
fn large_files_and_a_large_diff_are_named_in_the_body() {
    let config = Config {
        checks: vec![Check::Large],
        large_file_lines: 10,
        large_diff_lines: 15,
        ..Config::default()
    };
    let mut big = file("src/big.rs", "@@ -1 +1,2 @@\n x\n+y");
    big.additions = 11;
    let mut small = file("src/small.rs", "@@ -1 +1,2 @@\n x\n+y");
    small.additions = 5;
    let r = review(&[big.clone(), small.clone()], &config);
    assert!(r.comments.is_empty());
    assert!(
        r.body
            .contains("`src/big.rs` changes 11 lines (more than 10)"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("This pull request changes 16 lines in 2 files (more than 15)"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("src/small.rs"), "{}", r.body);
    small.additions = 4;
    let r = review(&[big, small], &config);
    assert!(!r.body.contains("This pull request changes"), "{}", r.body);
}

#[test]
fn source_changes_without_test_changes_are_named_in_the_body() {
    let src = file("src/parse.rs", "@@ -1 +1,2 @@\n x\n+y");
    let docs = file("README.md", "@@ -1 +1,2 @@\n x\n+y");
    let r = review(&[src.clone(), docs.clone()], &only(Check::Untested));
    assert!(
        r.body
            .contains("Source files changed but no test did: `src/parse.rs`."),
        "{}",
        r.body
    );

    // A test file, or a Rust patch adding a test, is a test change.
    for test in [
        file("tests/parse.rs", "@@ -1 +1,2 @@\n x\n+y"),
        file("web/parse.test.ts", "@@ -1 +1,2 @@\n x\n+y"),
        file("pkg/parse_test.go", "@@ -1 +1,2 @@\n x\n+y"),
        file("src/other.rs", "@@ -1 +1,3 @@\n x\n+#[test]\n+fn t() {}"),
    ] {
        let r = review(&[src.clone(), test.clone()], &only(Check::Untested));
        assert!(!r.body.contains("no test did"), "{}: {}", test.path, r.body);
    }
    // Documentation alone needs no test.
    let r = review(&[docs], &only(Check::Untested));
    assert!(!r.body.contains("no test did"), "{}", r.body);
}

#[test]
fn files_without_a_readable_patch_are_named_in_the_body() {
    let binary = FileDiff {
        path: "logo.png".into(),
        status: "added".into(),
        ..FileDiff::default()
    };
    let broken = file("src/a.rs", "@@ nonsense @@\n+x");
    let r = review(&[binary, broken], &Config::default());
    assert!(
        r.body.contains(
            "`logo.png`: GitHub shows no diff for it (a binary file, or one too large to show)"
        ),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("`src/a.rs`: its diff could not be read (line 1 of the patch:"),
        "{}",
        r.body
    );
}

#[test]
fn no_findings_says_so_in_a_short_body() {
    let r = review(
        &[
            file("src/lib.rs", "@@ -1 +1,2 @@\n x\n+let y = 2;"),
            file("src/lib_tests.rs", "@@ -1 +1,2 @@\n x\n+#[test] fn t() {}"),
        ],
        &Config::default(),
    );
    assert!(r.comments.is_empty());
    assert!(
        r.body
            .contains("No findings: the checks flagged nothing in the 2 files"),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains("checks: todo, debug, unwrap, large, untested"));
}

#[test]
fn line_comments_are_capped_and_the_rest_listed_in_the_body() {
    let patch: String = std::iter::once("@@ -0,0 +1,5 @@".to_owned())
        .chain((1..=5).map(|n| format!("+// TODO {n}")))
        .collect::<Vec<_>>()
        .join("\n");
    let config = Config {
        max_line_comments: 2,
        ..only(Check::Todo)
    };
    let r = review(&[file("src/lib.rs", &patch)], &config);
    assert_eq!(r.comments.len(), 2);
    assert!(
        r.body
            .contains("At most 2 line comments are posted; these lines have findings too: `src/lib.rs` line 3, `src/lib.rs` line 4, `src/lib.rs` line 5."),
        "{}",
        r.body
    );
}

#[test]
fn checks_left_out_of_the_configuration_do_not_run() {
    let r = review(
        &[file(
            "src/lib.rs",
            "@@ -1 +1,2 @@\n x\n+dbg!(a.unwrap()); // TODO",
        )],
        &Config {
            checks: Vec::new(),
            ..Config::default()
        },
    );
    assert!(r.comments.is_empty());
    assert!(r.body.contains("checks: none"), "{}", r.body);
}

#[test]
fn paths_are_classified_by_folder_and_name() {
    assert!(paths::is_test("src/__tests__/a.js"));
    assert!(paths::is_test("app/test_models.py"));
    assert!(paths::is_test("src/FooTest.java"));
    assert!(paths::is_test("spec/models/user_spec.rb"));
    assert!(!paths::is_test("src/contest.rs"));
    assert!(!paths::is_test("src/Test.java"), "a class named Test only");
    assert!(paths::is_source("server/src/lib.rs"));
    assert!(!paths::is_source("docs/guide.md"));
    assert!(!paths::is_source("src/lib_tests.rs"));
    assert!(paths::is_rust_binary("tools/x/src/main.rs"));
    assert!(!paths::is_rust_binary("src/binary.rs"));
}
