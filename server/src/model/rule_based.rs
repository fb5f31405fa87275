//! The built-in provider: deterministic, no network, the default. It answers from
//! rules on the conversation rather than a model, so agents work offline, in the
//! sandbox and in tests: with a JSON schema it fills the schema's required fields
//! (strings with what the last user message says, arrays with its lines, numbers with
//! 0, booleans with false); otherwise it answers the last user message's first line,
//! summarised. Token counts are estimated (about four characters a token), so
//! budgets are exercised the same way as with a real model.
use serde_json::{Map, Value};

use super::{Completion, CompletionRequest};

/// The rule-based provider; its name appears as the answering model.
#[derive(Debug, Clone, Default)]
pub struct RuleBased;

/// About four characters a token, at least one.
#[must_use]
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

impl RuleBased {
    /// Answers `request` by rule.
    #[must_use]
    pub fn complete(&self, request: &CompletionRequest) -> Completion {
        let last = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map_or("", |m| m.content.as_str());
        let mut content = match &request.json_schema {
            Some(schema) => fill(schema, last).to_string(),
            None => format!(
                "(rule-based) {}",
                last.lines().next().unwrap_or_default().trim()
            ),
        };
        let limit = u64::from(request.max_tokens);
        let mut truncated = false;
        if request.json_schema.is_none() && estimate_tokens(&content) > limit {
            content = content
                .chars()
                .take(usize::try_from(limit * 4).unwrap_or(usize::MAX))
                .collect();
            truncated = true;
        }
        Completion {
            completion_tokens: estimate_tokens(&content),
            prompt_tokens: estimate_tokens(&request.prompt_text()),
            content,
            model: "rule-based".to_owned(),
            truncated,
        }
    }
}

/// A value following `schema`, from `text`.
fn fill(schema: &Value, text: &str) -> Value {
    match schema["type"].as_str() {
        Some("object") => {
            let mut object = Map::new();
            let properties = &schema["properties"];
            for name in schema["required"].as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    object.insert(name.to_owned(), fill(&properties[name], text));
                }
            }
            Value::Object(object)
        }
        Some("array") => Value::Array(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| fill(&schema["items"], l))
                .collect(),
        ),
        Some("integer" | "number") => Value::from(0),
        Some("boolean") => Value::Bool(false),
        _ => Value::String(text.lines().next().unwrap_or_default().trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::{estimate_tokens, RuleBased};
    use crate::model::{CompletionRequest, Message};
    use serde_json::json;

    fn ask(text: &str, schema: Option<serde_json::Value>) -> CompletionRequest {
        CompletionRequest {
            messages: vec![
                Message::new("system", "You plan work."),
                Message::new("user", text),
            ],
            max_tokens: 50,
            json_schema: schema,
        }
    }

    #[test]
    fn the_same_question_gets_the_same_answer_with_counted_tokens() {
        let a = RuleBased.complete(&ask("Fix the flaky test\nin ci.yml", None));
        let b = RuleBased.complete(&ask("Fix the flaky test\nin ci.yml", None));
        assert_eq!(a, b);
        assert_eq!(a.content, "(rule-based) Fix the flaky test");
        assert_eq!(a.model, "rule-based");
        assert_eq!(a.completion_tokens, estimate_tokens(&a.content));
        assert!(a.prompt_tokens >= estimate_tokens("Fix the flaky test\nin ci.yml"));
    }

    #[test]
    fn a_schema_is_followed() {
        let schema = json!({
            "type": "object",
            "required": ["title", "steps", "risky"],
            "properties": {
                "title": {"type": "string"},
                "steps": {"type": "array", "items": {"type": "string"}},
                "risky": {"type": "boolean"}
            }
        });
        let answer = RuleBased.complete(&ask("Split the module\nMove tests\n", Some(schema)));
        let value: serde_json::Value = serde_json::from_str(&answer.content).unwrap();
        assert_eq!(
            value,
            json!({"title": "Split the module", "steps": ["Split the module", "Move tests"], "risky": false})
        );
    }

    #[test]
    fn the_token_limit_cuts_the_answer() {
        let mut request = ask(&"long ".repeat(100), None);
        request.max_tokens = 5;
        let answer = RuleBased.complete(&request);
        assert!(answer.truncated);
        assert!(answer.completion_tokens <= 5);
    }
}
