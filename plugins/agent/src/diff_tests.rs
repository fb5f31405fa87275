//! The unified diff reader: line numbers through one and several hunks, a new file,
//! headers of a renamed file, the no-newline marker, and what it refuses.
use super::*;

fn numbers(hunks: &[Hunk], kind: Kind) -> Vec<(u32, String)> {
    hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == kind)
        .map(|l| (l.number, l.text.clone()))
        .collect()
}

#[test]
fn added_lines_are_numbered_in_the_new_file_and_deleted_ones_in_the_old() {
    let patch = "@@ -10,4 +10,5 @@ fn main() {\n     let a = 1;\n-    let b = 2;\n+    let b = 3;\n+    let c = 4;\n     a + b\n }";
    let hunks = parse(patch).unwrap();
    assert_eq!(hunks.len(), 1);
    assert_eq!(
        (
            hunks[0].old_start,
            hunks[0].old_count,
            hunks[0].new_start,
            hunks[0].new_count
        ),
        (10, 4, 10, 5)
    );
    assert_eq!(
        numbers(&hunks, Kind::Added),
        [(11, "    let b = 3;".into()), (12, "    let c = 4;".into())]
    );
    assert_eq!(
        numbers(&hunks, Kind::Deleted),
        [(11, "    let b = 2;".into())]
    );
    assert_eq!(
        numbers(&hunks, Kind::Context),
        [
            (10, "    let a = 1;".into()),
            (13, "    a + b".into()),
            (14, "}".into())
        ]
    );
}

#[test]
fn each_hunk_starts_counting_again_from_its_header() {
    let patch =
        "@@ -1,2 +1,3 @@\n a\n+b\n c\n@@ -40,3 +41,2 @@\n x\n-y\n z\n@@ -90 +90,2 @@\n q\n+r";
    let hunks = parse(patch).unwrap();
    assert_eq!(hunks.len(), 3);
    assert_eq!(
        numbers(&hunks, Kind::Added),
        [(2, "b".into()), (91, "r".into())]
    );
    assert_eq!(numbers(&hunks, Kind::Deleted), [(41, "y".into())]);
    assert_eq!(
        (hunks[2].old_start, hunks[2].old_count),
        (90, 1),
        "a count left out is 1"
    );
    assert_eq!(added(&hunks).map(|l| l.number).collect::<Vec<_>>(), [2, 91]);
}

#[test]
fn a_new_file_counts_from_one_and_a_deleted_file_adds_nothing() {
    let new = parse("@@ -0,0 +1,3 @@\n+one\n+two\n+three").unwrap();
    assert_eq!(added(&new).map(|l| l.number).collect::<Vec<_>>(), [1, 2, 3]);
    let gone = parse("@@ -1,2 +0,0 @@\n-one\n-two").unwrap();
    assert_eq!(added(&gone).count(), 0);
    assert_eq!(numbers(&gone, Kind::Deleted).len(), 2);
}

#[test]
fn the_headers_of_a_renamed_file_are_skipped() {
    let patch = "diff --git a/src/old.rs b/src/new.rs\nsimilarity index 90%\nrename from src/old.rs\nrename to src/new.rs\n--- a/src/old.rs\n+++ b/src/new.rs\n@@ -3,2 +3,3 @@\n keep\n+// TODO: more\n keep";
    let hunks = parse(patch).unwrap();
    assert_eq!(hunks.len(), 1);
    assert_eq!(numbers(&hunks, Kind::Added), [(4, "// TODO: more".into())]);
    // `---` and `+++` before the first hunk are headers, not lines.
    assert_eq!(hunks[0].lines.len(), 3);
    // A pure rename has no hunk at all.
    assert!(parse("").unwrap().is_empty());
}

#[test]
fn the_no_newline_marker_is_not_a_line() {
    let patch =
        "@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file";
    let hunks = parse(patch).unwrap();
    assert_eq!(hunks[0].lines.len(), 2);
    assert_eq!(numbers(&hunks, Kind::Added), [(1, "new".into())]);
}

#[test]
fn an_empty_line_in_a_hunk_is_context_and_a_line_starting_with_a_sign_is_kept_whole() {
    let patch = "@@ -1,3 +1,4 @@\n a\n\n+++counter;\n b";
    let hunks = parse(patch).unwrap();
    assert_eq!(numbers(&hunks, Kind::Added), [(3, "++counter;".into())]);
    assert_eq!(numbers(&hunks, Kind::Context).len(), 3);
}

#[test]
fn a_broken_header_or_line_is_refused_with_where_it_is() {
    let e = parse("@@ -1,2 +x @@\n a").unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.why.contains("hunk header"), "{e}");
    let e = parse("@@ -1 +1 @@\n a\n?b").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.to_string().starts_with("line 3 of the patch:"), "{e}");
}
