//! Fixture (v0.2 model calls, through the SDK): on `issues.opened` it records the
//! providers it may ask (`providers` in KV), asks the provider the title
//! names with the body as the user message, and records the answer
//! (`completion`: content, model, tokens) or the error (`error`). With an answer it
//! comments it on the issue and commits it to `answers/<number>.md` on `answers`
//! (both marked by the host as written with a model). A model that is unavailable
//! fails the handler, so the host retries the job.
use gantry_plugin_sdk::model::{self, Message, ModelError, Request};
use gantry_plugin_sdk::{github, kv, Error, Event, Plugin};
use serde_json::json;

struct Modeler;

impl Plugin for Modeler {
    fn handle_event(event: Event) -> Result<(), Error> {
        let repo = event.repo().ok_or("no repository")?;
        let payload: serde_json::Value = event.parse()?;
        let number = payload["issue"]["number"].as_u64().ok_or("no number")?;
        let provider = payload["issue"]["title"].as_str().unwrap_or_default();
        let prompt = payload["issue"]["body"].as_str().unwrap_or_default();
        let offered: Vec<String> = model::providers().into_iter().map(|p| p.name).collect();
        kv::set_json("providers", &offered)?;
        let request = Request::new(
            provider,
            vec![
                Message::system("You answer issues in one sentence."),
                Message::user(prompt),
            ],
            200,
        );
        let answer = match model::complete(&request) {
            Ok(answer) => answer,
            Err(error) => {
                kv::set_json("error", &format!("{error:?}"))?;
                return match error {
                    ModelError::Unavailable(_) => Err(error.into()),
                    _ => Ok(()),
                };
            }
        };
        kv::set_json(
            "completion",
            &json!({
                "content": answer.content,
                "model": answer.model,
                "prompt_tokens": answer.prompt_tokens,
                "completion_tokens": answer.completion_tokens,
            }),
        )?;
        // Held or done, as the policy decides: the tests read both from GitHub and
        // the approvals.
        let _comment = github::create_comment(&repo, number, &answer.content)?;
        let _file = github::put_file(
            &repo,
            &format!("answers/{number}.md"),
            "answers",
            &format!("Answer issue #{number}"),
            answer.content.as_bytes(),
            None,
        )?;
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Modeler);

#[cfg(test)]
mod host_tests;
