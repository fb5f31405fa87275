//! Splitting a plan into issues, as pure functions: which items still need an issue
//! ([`pending`]), the issue each gets ([`issue_for`]), what the plan remembers of it
//! ([`record`]), and the reply that tells how the split went ([`Report::reply`]). The
//! plugin opens the issues and edits the plan comment ([`crate::plan::render`] with
//! the items' issues, `- [ ] #M`); KV keeps the plan between commands, so asking
//! twice never opens an item's issue twice.
use crate::plan::{Entry, Plan};

/// An issue to open for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    /// Its title: the item's text.
    pub title: String,
    /// Its body, linking back to the planned issue.
    pub body: String,
}

/// What became of one item's issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Opened as this issue number.
    Opened(u64),
    /// Held by the policy for this approval.
    Held(String),
    /// Not opened after all (its approval was denied or expired): it can be split
    /// again.
    Dropped,
}

/// The entries (indices into [`Plan::entries`]) that still need an issue: items
/// not checked, with no issue and none waiting for approval.
#[must_use]
pub fn pending(plan: &Plan) -> Vec<usize> {
    plan.entries
        .iter()
        .enumerate()
        .filter_map(|(at, e)| match e {
            Entry::Item(i) if !i.checked && i.issue.is_none() && i.held.is_none() => Some(at),
            _ => None,
        })
        .collect()
}

/// The issue to open for entry `at`; `None` when it is not an item.
#[must_use]
pub fn issue_for(plan: &Plan, at: usize) -> Option<NewIssue> {
    let Some(Entry::Item(item)) = plan.entries.get(at) else {
        return None;
    };
    Some(NewIssue {
        title: item.text.clone(),
        body: format!(
            "Part of #{}\n\nAn item of the plan on #{}, split into an issue of its own by Gantry's agent (`@gantry split`).",
            plan.number, plan.number
        ),
    })
}

/// Records what became of entry `at`'s issue.
pub fn record(plan: &mut Plan, at: usize, outcome: Outcome) {
    if let Some(Entry::Item(item)) = plan.entries.get_mut(at) {
        match outcome {
            Outcome::Opened(number) => {
                item.issue = Some(number);
                item.held = None;
            }
            Outcome::Held(approval) => item.held = Some(approval),
            Outcome::Dropped => item.held = None,
        }
    }
}

/// The entry whose issue waits for `approval`.
#[must_use]
pub fn held_entry(plan: &Plan, approval: &str) -> Option<usize> {
    plan.entries.iter().position(|e| match e {
        Entry::Item(i) => i.held.as_deref() == Some(approval),
        Entry::Heading(_) => false,
    })
}

/// How one `split` went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Issues opened now.
    pub opened: Vec<u64>,
    /// Approvals the issues held now wait for.
    pub held: Vec<String>,
    /// Items GitHub refused to open an issue for: (item, why).
    pub refused: Vec<(String, String)>,
    /// The approval the plan comment's edit waits for, if it was held.
    pub edit_held: Option<String>,
}

impl Report {
    /// The reply to `who`, with the plan as it is after the split.
    #[must_use]
    pub fn reply(&self, who: &str, plan: &Plan) -> String {
        let mut parts = Vec::new();
        if self.opened.is_empty() && self.held.is_empty() && self.refused.is_empty() {
            let earlier = plan.issues();
            let waiting = plan.items().filter(|i| i.held.is_some()).count();
            let mut text = if earlier.is_empty() {
                "nothing to split: the plan has no unchecked item without an issue.".to_owned()
            } else {
                format!(
                    "nothing to split: every unchecked item of the plan has its issue already ({}).",
                    numbers(&earlier)
                )
            };
            if waiting > 0 {
                text.push_str(&format!(
                    " {waiting} waiting for approval; they are opened when approved."
                ));
            }
            return format!("@{who}: {text}");
        }
        if !self.opened.is_empty() {
            parts.push(format!(
                "opened {} from the plan; its items link to them now.",
                numbers(&self.opened)
            ));
        }
        if !self.held.is_empty() {
            let ids: Vec<String> = self.held.iter().map(|id| format!("`{id}`")).collect();
            parts.push(format!(
                "{} issue{} wait{} for a maintainer's approval ({}); each is opened and linked from the plan when approved.",
                self.held.len(),
                if self.held.len() == 1 { "" } else { "s" },
                if self.held.len() == 1 { "s" } else { "" },
                ids.join(", ")
            ));
        }
        for (item, why) in &self.refused {
            parts.push(format!(
                "GitHub would not open an issue for “{item}”: {why}"
            ));
        }
        if let Some(id) = &self.edit_held {
            parts.push(format!("The plan's edit waits for approval `{id}`."));
        }
        format!("@{who}: {}", parts.join("\n\n"))
    }
}

/// `#1, #2 and #3`.
fn numbers(list: &[u64]) -> String {
    let all: Vec<String> = list.iter().map(|n| format!("#{n}")).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => all.join(""),
    }
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
