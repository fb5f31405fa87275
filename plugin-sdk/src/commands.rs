//! Finding commands in comment bodies, by Prow's rules, so users coming from Prow
//! get what they expect:
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
    let valid = !verb.is_empty() && verb.len() <= 64 && verb.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return None;
    }
    let rest = text[end..].trim().to_owned();
    Some(Command { name: verb.to_ascii_lowercase(), args: rest.split_whitespace().map(str::to_owned).collect(), rest, mention })
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
        parse(body, Some("gantry")).into_iter().map(|c| c.name).collect()
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
        assert!(parse("@gantry approve", None).is_empty(), "no bot name, no mentions");
    }
}
