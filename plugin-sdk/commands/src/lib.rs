//! Finding commands in comment bodies, by Prow's rules, so users coming from Prow
//! get what they expect. A crate of its own so the server parses exactly as plugins
//! do without depending on the guest SDK (which re-exports it as
//! `gantry_plugin_sdk::commands`):
//!
//! - a command starts a line: `/verb args` or, with a bot name, `@bot verb args`;
//! - several commands per comment, one per line;
//! - quoted lines (`> /hold`), HTML comments (`<!-- /close -->`) and fenced code
//!   blocks do not count;
//! - verbs are case-insensitive (`/LGTM` is `lgtm`); a trailing `\r` is ignored.

/// One command found in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The verb, lower case, without `/` (`lgtm`, `remove-label`).
    pub name: String,
    /// The arguments, split on whitespace.
    pub args: Vec<String>,
    /// Everything after the verb, trimmed (for `/retitle A new title`).
    pub rest: String,
    /// Whether it was written as a mention (`@bot verb`) rather than `/verb`.
    pub mention: bool,
}

/// Finds the commands in `body`, in order. `bot` is the bot's login for mention
/// commands (`@gantry release v1.2.0`); `None` finds slash commands only.
#[must_use]
pub fn parse(body: &str, bot: Option<&str>) -> Vec<Command> {
    let visible = strip_html_comments(body);
    let mut commands = Vec::new();
    let mut in_fence = false;
    for line in visible.lines() {
        let line = line.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || trimmed.starts_with('>') {
            continue;
        }
        if let Some(command) = slash(line).or_else(|| bot.and_then(|b| mention(line, b))) {
            commands.push(command);
        }
    }
    commands
}

/// `/verb args` at the very start of the line.
fn slash(line: &str) -> Option<Command> {
    let rest = line.strip_prefix('/')?;
    command(rest, false)
}

/// `@bot verb args` at the start of the line (bot name case-insensitive).
fn mention(line: &str, bot: &str) -> Option<Command> {
    let rest = line.strip_prefix('@')?;
    let (name, after) = rest.split_once(char::is_whitespace)?;
    if !name.eq_ignore_ascii_case(bot) {
        return None;
    }
    command(after.trim_start(), true)
}

fn command(text: &str, mention: bool) -> Option<Command> {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let verb = &text[..end];
    let valid = !verb.is_empty()
        && verb.len() <= 64
        && verb
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    let rest = text[end..].trim().to_owned();
    Some(Command {
        name: verb.to_ascii_lowercase(),
        args: rest.split_whitespace().map(str::to_owned).collect(),
        rest,
        mention,
    })
}

/// `body` without `<!-- ... -->` (an unterminated comment hides the rest).
fn strip_html_comments(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start + 4..].find("-->") {
            Some(end) => rest = &rest[start + 4 + end + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<String> {
        parse(body, Some("gantry"))
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn prows_rules_as_a_table() {
        let cases: &[(&str, &[&str])] = &[
            ("/lgtm", &["lgtm"]),
            ("/LGTM", &["lgtm"]),
            ("/lgtm\r\n/approve\r\n", &["lgtm", "approve"]),
            ("looks good\n/lgtm\nthanks", &["lgtm"]),
            ("please /lgtm", &[]),
            ("  /lgtm", &[]),
            ("> /hold", &[]),
            ("> quoted\n/hold", &["hold"]),
            ("<!-- /close -->\n/reopen", &["reopen"]),
            ("<!--\n/close\n-->", &[]),
            ("text <!-- unterminated\n/close", &[]),
            ("```\n/close\n```\n/lgtm", &["lgtm"]),
            ("/", &[]),
            ("//lgtm", &[]),
            ("/hold cancel", &["hold"]),
            ("@gantry release v1.2.0", &["release"]),
            ("@Gantry help", &["help"]),
            ("@someone-else release v1", &[]),
            ("hey @gantry help", &[]),
        ];
        for (body, expected) in cases {
            assert_eq!(names(body), *expected, "body {body:?}");
        }
    }

    /// `(body, [(verb, rest, mention)])`: every command found, in order.
    type Case = (&'static str, &'static [(&'static str, &'static str, bool)]);

    fn found(body: &str) -> Vec<(String, String, bool)> {
        parse(body, Some("gantry"))
            .into_iter()
            .map(|c| (c.name, c.rest, c.mention))
            .collect()
    }

    fn check(table: &[Case]) {
        for (body, expected) in table {
            let expected: Vec<(String, String, bool)> = expected
                .iter()
                .map(|(v, r, m)| ((*v).to_owned(), (*r).to_owned(), *m))
                .collect();
            assert_eq!(found(body), expected, "body {body:?}");
        }
    }

    #[test]
    fn a_command_starts_its_line() {
        check(&[
            ("/lgtm", &[("lgtm", "", false)]),
            ("/lgtm\n", &[("lgtm", "", false)]),
            ("Nice work.\n/lgtm", &[("lgtm", "", false)]),
            ("Nice work.\n\n/lgtm\nThanks!", &[("lgtm", "", false)]),
            (" /lgtm", &[]),
            ("\t/lgtm", &[]),
            ("I think /lgtm", &[]),
            ("`/lgtm`", &[]),
            ("/lgtm /approve", &[("lgtm", "/approve", false)]),
            ("/ lgtm", &[]),
            ("/", &[]),
            ("//lgtm", &[]),
            ("/lgtm!", &[]),
            ("/usr/bin/env", &[]),
            ("https://example.com/lgtm", &[]),
            ("@gantry retest", &[("retest", "", true)]),
            ("@gantry\trelease  v1.2.0 ", &[("release", "v1.2.0", true)]),
            ("@gantry", &[]),
            ("@gantry: help", &[]),
            ("cc @gantry help", &[]),
        ]);
        let long = format!("/{}", "a".repeat(65));
        assert!(
            parse(&long, None).is_empty(),
            "verbs are at most 64 characters"
        );
        assert_eq!(parse(&format!("/{}", "a".repeat(64)), None).len(), 1);
    }

    #[test]
    fn quoted_lines_do_not_count() {
        check(&[
            ("> /lgtm", &[]),
            (">/lgtm", &[]),
            (">> /lgtm", &[]),
            ("   > /lgtm", &[]),
            ("> @gantry release v1", &[]),
            ("> /hold\n\n/lgtm", &[("lgtm", "", false)]),
            (
                "> On Monday someone wrote:\n> /close\n/reopen",
                &[("reopen", "", false)],
            ),
        ]);
    }

    #[test]
    fn html_comments_do_not_count() {
        check(&[
            ("<!-- /lgtm -->", &[]),
            ("<!--\n/lgtm\n/approve\n-->\n/hold", &[("hold", "", false)]),
            ("<!-- a --><!-- b -->\n/lgtm", &[("lgtm", "", false)]),
            ("/lgtm <!-- with a note -->", &[("lgtm", "", false)]),
            ("<!-- before -->/lgtm", &[("lgtm", "", false)]),
            ("<!-- never closed\n/lgtm\n/approve", &[]),
            ("/hold\n<!-- never closed\n/lgtm", &[("hold", "", false)]),
            ("<!-- @gantry release v1 -->", &[]),
        ]);
    }

    #[test]
    fn verbs_are_case_insensitive_and_arguments_keep_their_case() {
        check(&[
            ("/LGTM", &[("lgtm", "", false)]),
            ("/Lgtm Cancel", &[("lgtm", "Cancel", false)]),
            (
                "/Remove-Label Needs-Rebase",
                &[("remove-label", "Needs-Rebase", false)],
            ),
            ("@GANTRY Release v1.2.0", &[("release", "v1.2.0", true)]),
            ("@Gantry HELP", &[("help", "", true)]),
        ]);
    }

    #[test]
    fn several_commands_per_comment_in_order() {
        check(&[
            (
                "/lgtm\n/approve\n/hold",
                &[
                    ("lgtm", "", false),
                    ("approve", "", false),
                    ("hold", "", false),
                ],
            ),
            (
                "/assign @alice @bob\nSome words.\n/cc @carol\n@gantry release v2",
                &[
                    ("assign", "@alice @bob", false),
                    ("cc", "@carol", false),
                    ("release", "v2", true),
                ],
            ),
            (
                "/kind bug\n/kind bug",
                &[("kind", "bug", false), ("kind", "bug", false)],
            ),
        ]);
    }

    #[test]
    fn a_trailing_carriage_return_is_ignored() {
        check(&[
            ("/lgtm\r", &[("lgtm", "", false)]),
            ("/hold cancel\r\n", &[("hold", "cancel", false)]),
            (
                "/retitle A new title\r\n/lgtm\r\n",
                &[("retitle", "A new title", false), ("lgtm", "", false)],
            ),
            ("> /hold\r\n/unhold\r\n", &[("unhold", "", false)]),
            (
                "```\r\n/close\r\n```\r\n/reopen\r\n",
                &[("reopen", "", false)],
            ),
            ("@gantry retest\r\n", &[("retest", "", true)]),
        ]);
    }

    #[test]
    fn fenced_code_does_not_count() {
        check(&[
            ("```\n/lgtm\n```", &[]),
            ("~~~\n/lgtm\n~~~\n/hold", &[("hold", "", false)]),
            ("```rust\n/lgtm\n```\n/hold", &[("hold", "", false)]),
            ("  ```\n/lgtm\n  ```\n/hold", &[("hold", "", false)]),
            (
                "```\n/lgtm\n```\n/hold\n```\n/approve\n```",
                &[("hold", "", false)],
            ),
            ("```\nnever closed\n/lgtm", &[]),
            ("```\n@gantry release v1\n```", &[]),
        ]);
    }

    #[test]
    fn arguments_are_split_and_the_rest_kept() {
        let c = &parse("/retitle  A better   title\r", None)[0];
        assert_eq!(c.name, "retitle");
        assert_eq!(c.args, ["A", "better", "title"]);
        assert_eq!(c.rest, "A better   title");
        assert!(!c.mention);
        let m = &parse("@gantry approve ap_123", Some("gantry"))[0];
        assert!(m.mention);
        assert_eq!(m.args, ["ap_123"]);
        assert!(
            parse("@gantry approve", None).is_empty(),
            "no bot name, no mentions"
        );
    }
}
