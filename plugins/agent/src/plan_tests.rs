//! Plan extraction from an issue body and the plan comment it renders.
use super::*;

fn texts(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| match e {
            Entry::Heading(h) => format!("# {h}"),
            Entry::Item(i) => format!(
                "{}[{}] {}",
                "  ".repeat(usize::from(i.depth)),
                if i.checked { 'x' } else { ' ' },
                i.text
            ),
        })
        .collect()
}

fn template() -> Vec<String> {
    vec!["Understand it".into(), "Change it".into()]
}

#[test]
fn headings_with_items_group_them_and_headings_without_become_items() {
    let body = "Some intro text.\n\n## Parser\n- read hunks\n- [x] read headers\n  * nested detail\n\n## Docs ##\n\nWrite the page.\n\n### Tests\n1. unit tests\n2) integration tests\n";
    let (entries, left_out) = extract(body, 30);
    assert_eq!(left_out, 0);
    assert_eq!(
        texts(&entries),
        [
            "# Parser",
            "[ ] read hunks",
            "[x] read headers",
            "  [ ] nested detail",
            "[ ] Docs",
            "# Tests",
            "[ ] unit tests",
            "[ ] integration tests",
        ]
    );
}

#[test]
fn code_html_comments_and_quotes_are_not_read() {
    let body = "```\n- not an item\n# not a heading\n```\n<!--\n- hidden\n-->\n<!-- - also hidden -->\n> - quoted\n~~~\n- fenced too\n~~~\n- real item\n-not a list\n#not a heading\n- \n- [ ]\n";
    let (entries, _) = extract(body, 30);
    assert_eq!(texts(&entries), ["[ ] real item"]);
}

#[test]
fn items_past_the_maximum_are_left_out_and_counted() {
    let body = "# A\n- one\n- two\n# B\n- three\n- four\n";
    let (entries, left_out) = extract(body, 2);
    assert_eq!(texts(&entries), ["# A", "[ ] one", "[ ] two"]);
    assert_eq!(left_out, 2, "the heading of the left-out items goes too");
}

#[test]
fn long_items_are_cut_to_one_line_of_at_most_200_characters() {
    let long = "word ".repeat(100);
    let (entries, _) = extract(&format!("- {long}"), 30);
    let Entry::Item(item) = &entries[0] else {
        panic!("{entries:?}")
    };
    assert_eq!(item.text.chars().count(), MAX_ITEM_CHARS);
    assert!(item.text.ends_with('…'));
}

#[test]
fn an_issue_without_headings_or_list_items_gets_the_template() {
    let plan = Plan::of_issue(7, "It crashes when I click.", 30, &template());
    assert_eq!(plan.source, Source::Template);
    assert_eq!(texts(&plan.entries), ["[ ] Understand it", "[ ] Change it"]);
    let plan = Plan::of_issue(7, "", 1, &template());
    assert_eq!(
        plan.items().count(),
        1,
        "the maximum applies to the template"
    );
    let plan = Plan::of_issue(7, "- a thing", 30, &template());
    assert_eq!(plan.source, Source::Issue);
}

#[test]
fn the_comment_is_a_marked_checklist() {
    let mut plan = Plan::of_issue(
        12,
        "## Work\n- first\n- [x] done already\n- hide <!-- this\n",
        30,
        &template(),
    );
    let text = render(&plan);
    assert!(text.starts_with("<!-- gantry-agent:plan -->\n### Plan for #12\n"));
    assert!(
        text.contains("\n**Work**\n- [ ] first\n- [x] done already\n- [ ] hide &lt;!-- this\n"),
        "{text}"
    );
    assert!(text.contains("`@gantry split`"));
    assert!(text.contains("no model was used"));

    // Split items become links; a held one says what it waits for.
    if let Some(Entry::Item(item)) = plan.entries.get_mut(1) {
        item.issue = Some(40);
    }
    if let Some(Entry::Item(item)) = plan.entries.get_mut(3) {
        item.held = Some("ap-1".into());
    }
    let text = render(&plan);
    assert!(text.contains("- [ ] #40\n"), "{text}");
    assert!(
        text.contains("- [ ] hide &lt;!-- this (its issue waits for approval `ap-1`)"),
        "{text}"
    );
    assert_eq!(plan.issues(), [40]);
}

#[test]
fn the_comment_says_how_many_items_were_left_out() {
    let plan = Plan::of_issue(3, "- a\n- b\n- c\n", 2, &template());
    assert_eq!(plan.left_out, 1);
    assert!(
        render(&plan).contains("1 more item of the issue was left out (at most 2 per plan)"),
        "{}",
        render(&plan)
    );
}
