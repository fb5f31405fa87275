//! The rule-based plan of an issue, as pure functions: its items come from the
//! issue body's headings and list items ([`extract`]), or from the configured
//! template when the body has none; [`render`] writes the plan comment, a Markdown
//! checklist. A [`Plan`] is what the plugin keeps in KV per issue: the comment it
//! posted and, once `split`, the issue opened for each item ([`crate::split`]). The
//! plan with a model (its prompt, its answer's schema, its items) is in [`model`];
//! it is rendered and split the same way.
//!
//! The body is data: its lines only become the text of items, never anything the
//! plugin acts on. Fenced code, HTML comments and quoted lines are left out.
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

pub mod model;

/// The hidden marker at the top of every plan comment.
pub const MARKER: &str = "<!-- gantry-agent:plan -->";

/// An item's text is cut to this many characters (an issue title's room).
pub const MAX_ITEM_CHARS: usize = 200;

/// One line of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// A heading of the issue whose list items follow it.
    Heading(String),
    /// A checklist item.
    Item(Item),
}

/// One checklist item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Its text, one line.
    pub text: String,
    /// How deeply it is nested (0 at the top).
    pub depth: u8,
    /// Whether it was checked in the issue (`- [x]`): nothing to split.
    pub checked: bool,
    /// The issue `split` opened for it.
    pub issue: Option<u64>,
    /// The approval its issue waits for, when the policy held it.
    pub held: Option<String>,
}

/// Where a plan's items came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The issue's headings and list items.
    Issue,
    /// The configured template (the issue had none).
    Template,
    /// The answer of a model, named `provider/model` ([`model`]).
    Model(String),
}

/// An issue's plan as the plugin keeps it (KV `plan/<number>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The issue it plans.
    pub number: u64,
    /// The plan comment's id, once posted.
    pub comment_id: Option<u64>,
    /// The approval the plan comment waits for, when the policy held it.
    pub held: Option<String>,
    /// Where its items came from.
    pub source: Source,
    /// How many items of the issue were left out (over the configured maximum).
    pub left_out: usize,
    /// Its headings and items, in order.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// The plan of issue `number` with the body `body`: its headings and list items,
    /// at most `max_items` items, or `template` when it has none.
    #[must_use]
    pub fn of_issue(number: u64, body: &str, max_items: usize, template: &[String]) -> Self {
        let (entries, left_out) = extract(body, max_items);
        if entries.iter().any(|e| matches!(e, Entry::Item(_))) {
            return Self {
                number,
                comment_id: None,
                held: None,
                source: Source::Issue,
                left_out,
                entries,
            };
        }
        let entries = template
            .iter()
            .take(max_items)
            .map(|t| {
                Entry::Item(Item {
                    text: one_line(t),
                    ..Item::default()
                })
            })
            .collect();
        Self {
            number,
            comment_id: None,
            held: None,
            source: Source::Template,
            left_out: 0,
            entries,
        }
    }

    /// Its items, in order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Item(item) => Some(item),
            Entry::Heading(_) => None,
        })
    }

    /// The issues split from it, in order.
    #[must_use]
    pub fn issues(&self) -> Vec<u64> {
        self.items().filter_map(|i| i.issue).collect()
    }
}

/// The headings and list items of an issue body, with headings that have no item
/// under them turned into items; at most `max_items` items. Returns them and how
/// many items were left out.
#[must_use]
pub fn extract(body: &str, max_items: usize) -> (Vec<Entry>, usize) {
    let mut raw: Vec<Entry> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut in_comment = false;
    for line in body.lines() {
        let trimmed = line.trim();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
            continue;
        }
        if in_comment {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.starts_with('>') {
            continue;
        }
        if let Some(text) = heading(trimmed) {
            raw.push(Entry::Heading(text));
        } else if let Some(item) = list_item(line) {
            raw.push(Entry::Item(item));
        }
    }
    // A heading with no item before the next heading is an item itself.
    let mut entries = Vec::new();
    for (at, entry) in raw.iter().enumerate() {
        match entry {
            Entry::Heading(text) => {
                let has_items = matches!(raw.get(at + 1), Some(Entry::Item(_)));
                if has_items {
                    entries.push(entry.clone());
                } else {
                    entries.push(Entry::Item(Item {
                        text: text.clone(),
                        ..Item::default()
                    }));
                }
            }
            Entry::Item(_) => entries.push(entry.clone()),
        }
    }
    let mut kept = 0;
    let mut left_out = 0;
    entries.retain(|e| match e {
        Entry::Item(_) if kept < max_items => {
            kept += 1;
            true
        }
        Entry::Item(_) => {
            left_out += 1;
            false
        }
        Entry::Heading(_) => true,
    });
    // Headings whose items were all left out go too.
    let mut cleaned: Vec<Entry> = Vec::new();
    for (at, entry) in entries.iter().enumerate() {
        let orphan = matches!(entry, Entry::Heading(_))
            && !matches!(entries.get(at + 1), Some(Entry::Item(_)));
        if !orphan {
            cleaned.push(entry.clone());
        }
    }
    (cleaned, left_out)
}

/// The plan comment.
#[must_use]
pub fn render(plan: &Plan) -> String {
    let mut out = format!("{MARKER}\n### Plan for #{}\n\n", plan.number);
    match &plan.source {
        Source::Issue => {
            out.push_str("Built from the issue's headings and list items (rule-based).");
        }
        Source::Template => out.push_str("The issue has no headings or list items to build a plan from, so this is the generic plan (rule-based); edit it as needed."),
        Source::Model(by) => {
            let _ = write!(
                out,
                "Written by a language model (`{}`) from the issue, given to it as data; check it, and edit it as needed.",
                clean(by)
            );
        }
    }
    out.push_str(" `@gantry split` opens an issue for each unchecked item and links it here.\n\n");
    for entry in &plan.entries {
        match entry {
            Entry::Heading(text) => {
                let _ = write!(out, "\n**{}**\n", clean(text));
            }
            Entry::Item(item) => {
                let indent = "  ".repeat(usize::from(item.depth));
                let check = if item.checked { 'x' } else { ' ' };
                let text = match (&item.issue, &item.held) {
                    (Some(issue), _) => format!("#{issue}"),
                    (None, Some(approval)) => format!(
                        "{} (its issue waits for approval `{approval}`)",
                        clean(&item.text)
                    ),
                    (None, None) => clean(&item.text),
                };
                let _ = writeln!(out, "{indent}- [{check}] {text}");
            }
        }
    }
    if plan.left_out > 0 {
        let (items, were) = if plan.left_out == 1 {
            ("item", "was")
        } else {
            ("items", "were")
        };
        let _ = write!(
            out,
            "\n{} more {items} of the issue {were} left out (at most {} per plan).\n",
            plan.left_out,
            plan.items().count()
        );
    }
    match &plan.source {
        // Said in the plan itself, so the mark stays when `split` edits it in an
        // invocation that asks no model (the host's footer marks the first post).
        Source::Model(by) => {
            let _ = write!(
                out,
                "\n<sub>Items written by a language model ({}) for Gantry's agent.</sub>",
                clean(by)
            );
        }
        Source::Issue | Source::Template => out.push_str(
            "\n<sub>Written by Gantry's agent with the rule-based provider; no model was used.</sub>",
        ),
    }
    out
}

/// An ATX heading's text (`## Tasks ##` gives `Tasks`).
fn heading(trimmed: &str) -> Option<String> {
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = trimmed[hashes..].strip_prefix(' ')?;
    let text = rest.trim().trim_end_matches('#').trim();
    (!text.is_empty()).then(|| one_line(text))
}

/// A bullet (`-`, `*`, `+`) or numbered (`1.`, `1)`) list item, with its task box
/// if it has one.
fn list_item(line: &str) -> Option<Item> {
    let indent: usize = line
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let trimmed = line.trim_start();
    let rest = if let Some(rest) = ["- ", "* ", "+ "]
        .into_iter()
        .find_map(|b| trimmed.strip_prefix(b))
    {
        rest
    } else {
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        trimmed[digits..]
            .strip_prefix(". ")
            .or_else(|| trimmed[digits..].strip_prefix(") "))?
    };
    let rest = rest.trim();
    let (checked, text) = if let Some(text) = rest.strip_prefix("[ ]") {
        (false, text)
    } else if let Some(text) = rest
        .strip_prefix("[x]")
        .or_else(|| rest.strip_prefix("[X]"))
    {
        (true, text)
    } else {
        (false, rest)
    };
    let text = one_line(text);
    if text.is_empty() {
        return None;
    }
    Some(Item {
        text,
        depth: u8::try_from((indent / 2).min(3)).unwrap_or(3),
        checked,
        ..Item::default()
    })
}

/// The text on one line, whitespace collapsed, cut to [`MAX_ITEM_CHARS`].
#[must_use]
pub fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= MAX_ITEM_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(MAX_ITEM_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// An item's text made safe to write inside the plan comment: an HTML comment
/// opened or closed in it would hide or end parts of the comment.
fn clean(text: &str) -> String {
    text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
