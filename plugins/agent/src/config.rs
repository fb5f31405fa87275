//! The agent's configuration: which provider answers its commands (`rule-based`, or
//! the name of a model provider the operator configured under `[models]`), which
//! review checks run and their thresholds, and the plan's limits and template. Its JSON
//! schema (the manifest's `config_schema`) is derived from [`Config`], doc comments as
//! descriptions and [`Config::default`] as defaults; who may use each command is the
//! manifest's `who`, not configuration.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The agent plugin's configuration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Who answers the commands: `rule-based` (deterministic checks and text rules,
    /// no model and no network), or the name of a model provider the operator
    /// configured under `[models]` (asked through the host as `model:<name>`, which
    /// the policy must allow).
    #[schemars(regex(pattern = r"^[a-z0-9-]{1,64}$"))]
    pub provider: String,
    /// The review checks to run; an empty list runs none (the review then only
    /// names the files it could not read).
    pub checks: Vec<Check>,
    /// A file whose diff changes more lines than this (additions plus deletions) is
    /// named in the review's body as a large change.
    #[schemars(range(min = 1))]
    pub large_file_lines: u64,
    /// A pull request whose files change more lines than this in all is named in the
    /// review's body as a large diff.
    #[schemars(range(min = 1))]
    pub large_diff_lines: u64,
    /// At most this many line comments in one review; the review's body counts the
    /// findings left out.
    #[schemars(range(min = 1, max = 200))]
    pub max_line_comments: u32,
    /// At most this many items in a plan (and so issues from one `split`).
    #[schemars(range(min = 1, max = 100))]
    pub max_plan_items: u32,
    /// The plan's items when the issue has no headings or list items to build it
    /// from.
    #[schemars(length(min = 1, max = 30), inner(length(min = 1, max = 200)))]
    pub plan_template: Vec<String>,
    /// With a model provider: at most this many characters of the diff (`review`)
    /// or the issue's body (`plan`) are sent to the model; the rest is cut, and the
    /// review says what the model was not shown.
    #[schemars(range(min = 1000, max = 500_000))]
    pub max_prompt_chars: u32,
    /// With a model provider: the most tokens the model's answer may have (the
    /// model budgets reserve this much for each call before it is sent).
    #[schemars(range(min = 100, max = 32_000))]
    pub max_answer_tokens: u32,
    /// `fix`: the most files it reads for context and the most files one fix
    /// changes; an answer editing more is refused.
    #[schemars(range(min = 1, max = 50))]
    pub fix_max_files: u32,
    /// `fix`: the largest file, in bytes, it shows the model or writes; a larger
    /// file is named as not shown, and an edit writing one is refused.
    #[schemars(range(min = 1, max = 400_000))]
    pub fix_max_file_bytes: u32,
    /// `fix`: the most tokens the model's answer with the edits may have (the
    /// budgets reserve this much before the model is asked).
    #[schemars(range(min = 256, max = 128_000))]
    pub fix_max_tokens: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            provider: RULE_BASED.to_owned(),
            checks: Check::ALL.to_vec(),
            large_file_lines: 500,
            large_diff_lines: 1000,
            max_line_comments: 50,
            max_plan_items: 30,
            plan_template: [
                "Say what is expected and how to see it (reproduce the problem or specify the change)",
                "Decide on the approach",
                "Make the change",
                "Add or update the tests",
                "Update the documentation",
            ]
            .map(str::to_owned)
            .to_vec(),
            max_prompt_chars: 60_000,
            max_answer_tokens: 4_000,
            fix_max_files: 10,
            fix_max_file_bytes: 100_000,
            fix_max_tokens: 16_000,
        }
    }
}

/// The provider that answers by rules, without a model.
pub const RULE_BASED: &str = "rule-based";

impl Config {
    /// Whether the review runs `check`.
    #[must_use]
    pub fn runs(&self, check: Check) -> bool {
        self.checks.contains(&check)
    }

    /// `fix`'s bounds.
    #[must_use]
    pub fn fix_limits(&self) -> crate::fix::Limits {
        crate::fix::Limits {
            max_files: usize::try_from(self.fix_max_files).unwrap_or(usize::MAX),
            max_file_bytes: usize::try_from(self.fix_max_file_bytes).unwrap_or(usize::MAX),
        }
    }

    /// The model provider to ask, or `None` for `rule-based` (the rules answer).
    #[must_use]
    pub fn model_provider(&self) -> Option<&str> {
        (self.provider != RULE_BASED).then_some(self.provider.as_str())
    }

    /// `max_prompt_chars` as a length.
    #[must_use]
    pub fn prompt_chars(&self) -> usize {
        usize::try_from(self.max_prompt_chars).unwrap_or(usize::MAX)
    }
}

/// One check of `review`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Added lines with `TODO`, `FIXME` or `XXX`.
    Todo,
    /// Added debug leftovers: `dbg!`, `println!`/`eprintln!` in Rust library code,
    /// `console.log` in JavaScript and TypeScript.
    Debug,
    /// Added `.unwrap()` in Rust code that is not a test.
    Unwrap,
    /// Files, and a whole diff, changing more lines than the thresholds.
    Large,
    /// Source files changed while no test changed.
    Untested,
}

impl Check {
    /// Every check, in the order the review reports them.
    pub const ALL: [Self; 5] = [
        Self::Todo,
        Self::Debug,
        Self::Unwrap,
        Self::Large,
        Self::Untested,
    ];

    /// Its name in configuration and in the review's body.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::Debug => "debug",
            Self::Unwrap => "unwrap",
            Self::Large => "large",
            Self::Untested => "untested",
        }
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
