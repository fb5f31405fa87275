//! Asking the configured model provider through the host (`model::complete`), and
//! what the agent says on the issue or pull request when no answer came. Every
//! command that uses a model goes through [`ask`]: a refusal (`denied`,
//! `budget-exceeded`, `rejected`, `invalid`) becomes a reply naming the reason,
//! never a silent failure; `unavailable` is returned as an error, so the host
//! retries the whole job (the provider is neither asked nor charged twice for what
//! it already answered). The model is asked only through the host: the agent never
//! sees its address or key, and the policy decides the call as `model:<provider>`.
use gantry_plugin_sdk::model::{self, Completion, ModelError, Request};
use gantry_plugin_sdk::{Context as _, Error};

/// Asks `request.provider` for `verb` on behalf of `who`: the completion, or the
/// reply to post when the host refused the call.
///
/// # Errors
/// When the provider is unavailable for now: returned, the host retries the job.
pub fn ask(request: &Request, who: &str, verb: &str) -> Result<Result<Completion, String>, Error> {
    match model::complete(request) {
        Ok(completion) => Ok(Ok(completion)),
        Err(error) => match refusal(who, verb, &request.provider, &error) {
            Some(reply) => Ok(Err(reply)),
            None => Err(error).with_context(|| {
                format!(
                    "asking the model provider `{}` for `{verb}`",
                    request.provider
                )
            }),
        },
    }
}

/// The reply to a model call that gave no completion, naming the reason, or `None`
/// when the provider is only unavailable for now (the job is retried instead).
#[must_use]
pub fn refusal(who: &str, verb: &str, provider: &str, error: &ModelError) -> Option<String> {
    let nothing = "Nothing was written.";
    let why = match error {
        ModelError::Unavailable(_) => return None,
        ModelError::Denied(why) => format!(
            "Gantry did not let the agent ask the model provider `{provider}`: {why}. {nothing} An operator configures the provider and allows `model:{provider}` for the agent as Gantry's docs/agents.md says (\"Model providers\")."
        ),
        ModelError::BudgetExceeded(why) => format!(
            "the model budget would be passed: {why}. Nothing was sent to the model and nothing was written; the budgets are Gantry's `[model_spending]` settings."
        ),
        ModelError::Rejected(why) => format!(
            "the model provider `{provider}` refused the request: {why}. {nothing}"
        ),
        ModelError::Invalid(why) => format!(
            "Gantry found the agent's request to the model not valid: {why}. {nothing}"
        ),
    };
    Some(format!("@{who}: `{verb}` could not ask the model: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_is_a_reply_naming_its_reason_and_unavailable_is_retried() {
        let denied = refusal(
            "ann",
            "review",
            "openai",
            &ModelError::Denied("no model provider `openai` is configured".into()),
        )
        .unwrap();
        assert!(
            denied.starts_with("@ann: `review` could not ask the model"),
            "{denied}"
        );
        assert!(
            denied.contains("no model provider `openai` is configured"),
            "{denied}"
        );
        assert!(denied.contains("model:openai"), "{denied}");
        let budget = refusal(
            "ann",
            "plan",
            "openai",
            &ModelError::BudgetExceeded("the daily limit of 1000 tokens on o/r".into()),
        )
        .unwrap();
        assert!(
            budget.contains("the daily limit of 1000 tokens on o/r"),
            "{budget}"
        );
        assert!(budget.contains("Nothing was sent"), "{budget}");
        let rejected = refusal(
            "ann",
            "plan",
            "openai",
            &ModelError::Rejected("401: bad key".into()),
        )
        .unwrap();
        assert!(
            rejected.contains("refused the request: 401: bad key"),
            "{rejected}"
        );
        let invalid = refusal(
            "ann",
            "plan",
            "openai",
            &ModelError::Invalid("too big".into()),
        )
        .unwrap();
        assert!(invalid.contains("not valid: too big"), "{invalid}");
        assert_eq!(
            refusal(
                "ann",
                "plan",
                "openai",
                &ModelError::Unavailable("429".into())
            ),
            None
        );
    }
}
