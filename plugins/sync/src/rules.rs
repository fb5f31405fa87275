//! What the sync plugin decides, as pure functions: which branches a mirror's
//! patterns take, which mirrors a pushed ref, a scheduled tick or `/sync` runs, a
//! five-field cron matcher over `scheduled_at`, what a failed mirror push means, and
//! how a mirror's status reads. Nothing here calls the host, so `cargo test` runs it
//! on the host target.
use serde::{Deserialize, Serialize};

/// The plugin's configuration (see `config_schema` in `gantry-plugin.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The mirrors of the repository the configuration applies to.
    pub mirrors: Vec<Mirror>,
}

/// One mirror: branches (and tags) of the source pushed to `destination`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Mirror {
    /// Its name, for `/sync NAME` and the status key.
    pub name: String,
    /// When set, the only repository (`owner/name`) the mirror runs for.
    #[serde(default)]
    pub source: Option<String>,
    /// The repository pushed to, `owner/name`.
    pub destination: String,
    /// Branch patterns (see [`branch_matches`]).
    pub branches: Vec<String>,
    /// Push every tag as well.
    #[serde(default = "yes")]
    pub tags: bool,
    /// Force-push branches that diverged on the destination.
    #[serde(default)]
    pub allow_force: bool,
    /// A five-field cron expression on which the mirror also runs.
    #[serde(default)]
    pub schedule: Option<String>,
}

fn yes() -> bool {
    true
}

impl Mirror {
    /// Whether the mirror runs for events of `repository` (`owner/name`): its
    /// `source` when set, otherwise any repository but its destination (so a
    /// configuration that also applies to the destination never mirrors it onto
    /// itself).
    #[must_use]
    pub fn applies_to(&self, repository: &str) -> bool {
        if self.destination.eq_ignore_ascii_case(repository) {
            return false;
        }
        match self
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(source) => source.eq_ignore_ascii_case(repository),
            None => true,
        }
    }

    /// The source's branches this mirror pushes, sorted.
    #[must_use]
    pub fn select<'a>(&self, branches: &'a [String]) -> Vec<&'a String> {
        let mut chosen: Vec<&String> = branches
            .iter()
            .filter(|b| self.branches.iter().any(|p| branch_matches(p, b)))
            .collect();
        chosen.sort();
        chosen
    }
}

/// Whether `branch` matches `pattern`: `*` matches any run of characters but `/`,
/// `**` any run at all, everything else itself.
#[must_use]
pub fn branch_matches(pattern: &str, branch: &str) -> bool {
    glob(pattern.trim().as_bytes(), branch.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        [b'*', rest @ ..] => {
            let segment = text.iter().position(|&c| c == b'/').unwrap_or(text.len());
            (0..=segment).any(|i| glob(rest, &text[i..]))
        }
        [c, rest @ ..] => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// The mirrors a push of `git_ref` (`refs/heads/main`, `refs/tags/v1`) on
/// `repository` runs: a branch runs the mirrors with a matching pattern, a tag the
/// mirrors that push tags.
#[must_use]
pub fn mirrors_for_push<'a>(
    config: &'a Config,
    repository: &str,
    git_ref: &str,
) -> Vec<&'a Mirror> {
    let applies = config.mirrors.iter().filter(|m| m.applies_to(repository));
    if let Some(branch) = git_ref.strip_prefix("refs/heads/") {
        applies
            .filter(|m| m.branches.iter().any(|p| branch_matches(p, branch)))
            .collect()
    } else if git_ref.starts_with("refs/tags/") {
        applies.filter(|m| m.tags).collect()
    } else {
        Vec::new()
    }
}

/// What `/sync ARGS` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// Show the status of every mirror without running.
    Status,
    /// Run every mirror of the repository.
    All,
    /// Run the named mirror.
    One(String),
}

/// Reads the command's arguments: nothing, `status`, or a mirror's name.
#[must_use]
pub fn parse_request(args: &str) -> SyncRequest {
    match args.split_whitespace().next() {
        None => SyncRequest::All,
        Some(word) if word.eq_ignore_ascii_case("status") => SyncRequest::Status,
        Some(word) => SyncRequest::One(word.to_owned()),
    }
}

/// A moment in UTC, to the minute, as cron sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minute {
    /// 0-59.
    pub minute: u32,
    /// 0-23.
    pub hour: u32,
    /// 1-31.
    pub day: u32,
    /// 1-12.
    pub month: u32,
    /// 0-6, Sunday is 0.
    pub weekday: u32,
    /// Minutes since the Unix epoch, to tell two ticks of the same minute apart.
    pub epoch_minute: i64,
}

/// Parses an RFC 3339 time (`2024-05-06T07:08:09Z`, `...+02:00`, fractions allowed)
/// into its UTC minute.
///
/// # Errors
/// When the text is not an RFC 3339 date and time.
pub fn parse_rfc3339(text: &str) -> Result<Minute, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time");
    let t = text.trim();
    let num = |s: Option<&str>| -> Result<i64, String> {
        s.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)
    };
    let (date, time) = t.split_once(['T', 't', ' ']).ok_or_else(bad)?;
    let mut d = date.splitn(3, '-');
    let (year, month, day) = (num(d.next())?, num(d.next())?, num(d.next())?);
    // The offset: `Z`, or `+hh:mm` / `-hh:mm` after the seconds.
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = time.rfind(['+', '-']).ok_or_else(bad)?;
        let (c, off) = time.split_at(at);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        (c, sign * (num(Some(oh))? * 60 + num(Some(om))?))
    };
    let mut c = clock.splitn(3, ':');
    let (hour, minute) = (num(c.next())?, num(c.next())?);
    let second = c.next().ok_or_else(bad)?;
    num(second.split('.').next())?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return Err(bad());
    }
    let days = days_from_civil(year, month, day);
    let epoch_minute = days * 1440 + hour * 60 + minute - offset;
    Ok(minute_at(epoch_minute))
}

/// The civil UTC minute of `epoch_minute`.
#[must_use]
pub fn minute_at(epoch_minute: i64) -> Minute {
    let days = epoch_minute.div_euclid(1440);
    let in_day = epoch_minute.rem_euclid(1440);
    let (_, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday (4).
    let weekday = (days + 4).rem_euclid(7);
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    Minute {
        minute: n(in_day % 60),
        hour: n(in_day / 60),
        day: n(day),
        month: n(month),
        weekday: n(weekday),
        epoch_minute,
    }
}

/// `epoch_seconds` as RFC 3339 in UTC, to the second (`2024-05-06T07:08:09Z`).
#[must_use]
pub fn format_rfc3339(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let secs = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A parsed five-field cron expression: minute, hour, day of month, month, day of
/// week (0-7, both 0 and 7 are Sunday), each `*`, a value, a range `a-b`, a step
/// `*/n` or `a-b/n`, or a comma-separated list of those. As in Vixie cron, when both
/// day fields are restricted a day matching either runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_any: bool,
    weekdays_any: bool,
}

impl Cron {
    /// Parses `expression`.
    ///
    /// # Errors
    /// A message naming the field and what is wrong with it.
    pub fn parse(expression: &str) -> Result<Self, String> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!("cron expression `{expression}` has {} fields; it needs 5 (minute hour day-of-month month day-of-week)", fields.len()));
        };
        let mut weekdays = field(weekday, "day-of-week", 0, 7)?;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays & !(1 << 7)) | 1;
        }
        Ok(Self {
            minutes: field(minute, "minute", 0, 59)?,
            hours: field(hour, "hour", 0, 23)?,
            days: field(day, "day-of-month", 1, 31)?,
            months: field(month, "month", 1, 12)?,
            weekdays,
            days_any: day.starts_with('*'),
            weekdays_any: weekday.starts_with('*'),
        })
    }

    /// Whether the expression fires at `at`.
    #[must_use]
    pub fn matches(&self, at: &Minute) -> bool {
        let has = |set: u64, v: u32| set & (1u64 << v) != 0;
        let day_ok = match (self.days_any, self.weekdays_any) {
            (false, false) => has(self.days, at.day) || has(self.weekdays, at.weekday),
            _ => has(self.days, at.day) && has(self.weekdays, at.weekday),
        };
        has(self.minutes, at.minute)
            && has(self.hours, at.hour)
            && has(self.months, at.month)
            && day_ok
    }
}

/// One cron field as a bit set of the values it allows.
fn field(text: &str, name: &str, min: u32, max: u32) -> Result<u64, String> {
    let bad = |why: &str| format!("cron {name} field `{text}`: {why}");
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| bad(&format!("step `{s}` is not a positive number")))?,
            ),
            None => (part, 1),
        };
        let value = |v: &str| {
            v.parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| bad(&format!("`{v}` is not a number from {min} to {max}")))
        };
        let (from, to) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (value(a)?, value(b)?);
            if a > b {
                return Err(bad(&format!("range `{range}` goes backwards")));
            }
            (a, b)
        } else {
            let a = value(range)?;
            // `5/15` means from 5 to the end in steps of 15.
            (a, if part.contains('/') { max } else { a })
        };
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

/// How a mirror's last run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every selected branch (and the tags) reached the destination.
    Ok,
    /// The push waits for a maintainer's approval.
    Held,
    /// The destination or the policy refused it (a diverged branch without force).
    Refused,
    /// Something else went wrong.
    Failed,
}

impl Outcome {
    /// The word used in replies.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Held => "held",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// A mirror's last run, kept in KV under `status/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// When it ran (RFC 3339, the triggering tick's or event's time when known).
    pub at: String,
    /// What ran it: `push`, `schedule` or `command`.
    pub trigger: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What happened, for people.
    pub message: String,
    /// The branches it pushed (or tried to).
    pub branches: Vec<String>,
    /// The epoch minute of the last scheduled run, so one minute runs once.
    #[serde(default)]
    pub scheduled_minute: Option<i64>,
}

/// What a refused or invalid mirror push means: a non-fast-forward without force
/// is a diverged destination.
#[must_use]
pub fn refusal_message(why: &str, force: bool) -> String {
    let lower = why.to_ascii_lowercase();
    let diverged = [
        "fast-forward",
        "fastforward",
        "fast forward",
        "non-ff",
        "fetch first",
        "not present locally",
        "rejected",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if diverged && !force {
        format!("diverged, force-push not allowed ({why})")
    } else {
        format!("refused: {why}")
    }
}

/// The Markdown table of the mirrors' statuses, in the configuration's order;
/// `None` for a mirror that never ran.
#[must_use]
pub fn render_status(rows: &[(&Mirror, Option<Status>)]) -> String {
    if rows.is_empty() {
        return "No mirrors are configured for this repository.".to_owned();
    }
    let mut out = String::from("| Mirror | Destination | Last run | Result | Branches | Details |\n|---|---|---|---|---|---|\n");
    for (mirror, status) in rows {
        let cells = match status {
            Some(s) => {
                let branches = if s.branches.is_empty() {
                    "none".to_owned()
                } else {
                    s.branches
                        .iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "{} ({}) | **{}** | {branches} | {}",
                    s.at,
                    s.trigger,
                    s.outcome.as_str(),
                    cell(&s.message)
                )
            }
            None => "never | – | – | –".to_owned(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {cells} |\n",
            mirror.name, mirror.destination
        ));
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
