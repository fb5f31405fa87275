//! A fake host for a plugin's native unit tests (feature `fake-host`, never on
//! wasm32): the SDK's host calls go to a thread-local [`FakeHost`] instead of the
//! real imports. A test scripts answers per WIT function name (`create-comment`),
//! sets the configuration, seeds `kv` (kept in memory), holds or denies writes,
//! scripts model completions ([`FakeHost::complete_with`]; the providers offered are
//! `rule-based` unless [`FakeHost::set_providers`] says otherwise), then calls its
//! plugin's handlers directly and asserts on every recorded call (`model.complete`
//! records the request).
//!
//! ```ignore
//! let host = FakeHost::install();
//! host.set_config(serde_json::json!({ "greeting": "Hi {author}" }));
//! host.hold("create-comment", "issues:write");
//! Greeter::handle_event(fake::event("issues", include_str!("opened.json")))?;
//! assert_eq!(host.calls_to("create-comment")[0].args["body"], "Hi octocat");
//! ```
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::bindings::gantry::plugin::model::{Completion, ModelError, ProviderInfo, ProviderKind};
use crate::{Command, Event, HostError, Permission, Repo};

/// One host call as the plugin made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The WIT function's name, for example `create-comment` or `kv.set`.
    pub name: String,
    /// Its arguments by name, as JSON.
    pub args: Value,
}

/// What a scripted call answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The value the call returns, as JSON in the shape of the WIT type (a write's
    /// `done` value for writes).
    Value(Value),
    /// A write held for approval with this id and capability.
    Held {
        /// The approval's id.
        approval_id: String,
        /// The capability the write needs.
        capability: String,
    },
    /// The host's error.
    Error(HostError),
}

#[derive(Default)]
struct State {
    config: Value,
    kv: BTreeMap<String, Vec<u8>>,
    answers: HashMap<String, VecDeque<Answer>>,
    always: HashMap<String, Answer>,
    calls: Vec<Call>,
    approvals: u64,
    completions: VecDeque<Result<Completion, ModelError>>,
    providers: Option<Vec<ProviderInfo>>,
    owners: Option<Vec<FakeOwners>>,
}

/// One directory's owners for the fake host's `get-owners` ([`FakeHost::set_owners`]).
#[derive(Debug, Clone)]
struct FakeOwners {
    dir: String,
    approvers: Vec<String>,
    reviewers: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

/// The fake host of the current thread (each test runs on its own thread).
#[derive(Clone)]
pub struct FakeHost(Rc<RefCell<State>>);

impl std::fmt::Debug for FakeHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeHost")
            .field("calls", &self.0.borrow().calls.len())
            .finish()
    }
}

impl FakeHost {
    /// Installs a fresh fake host on this thread (replacing an earlier one): empty
    /// `kv`, the configuration `{}`, nothing scripted.
    #[must_use]
    pub fn install() -> Self {
        let state = Rc::new(RefCell::new(State {
            config: json!({}),
            ..State::default()
        }));
        CURRENT.with(|c| *c.borrow_mut() = Some(state.clone()));
        Self(state)
    }

    /// Sets the configuration `config::get` returns.
    pub fn set_config(&self, config: Value) -> &Self {
        self.0.borrow_mut().config = config;
        self
    }

    /// Answers the next call to `name` with `answer` (queued: one answer per call,
    /// in order; after the queue, [`FakeHost::always`]'s answer or the default).
    pub fn answer(&self, name: &str, answer: Answer) -> &Self {
        self.0
            .borrow_mut()
            .answers
            .entry(name.to_owned())
            .or_default()
            .push_back(answer);
        self
    }

    /// Answers every call to `name` (not answered by the queue) with `answer`.
    pub fn always(&self, name: &str, answer: Answer) -> &Self {
        self.0.borrow_mut().always.insert(name.to_owned(), answer);
        self
    }

    /// Gives the repository ownership files for `get-owners` (when no answer to it
    /// is scripted): each entry is a directory (`""` the root) with its approvers
    /// and reviewers, as an `OWNERS` file there would; a path's owners are the
    /// union of the entries of its directories, `decided_by` their `OWNERS` files,
    /// nearest first. Without this, `get-owners` answers no owners for every path.
    pub fn set_owners(&self, dirs: &[(&str, &[&str], &[&str])]) -> &Self {
        let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        self.0.borrow_mut().owners = Some(
            dirs.iter()
                .map(|(dir, approvers, reviewers)| FakeOwners {
                    dir: dir.trim_matches('/').to_owned(),
                    approvers: owned(approvers),
                    reviewers: owned(reviewers),
                })
                .collect(),
        );
        self
    }

    /// Answers the next call to `name` with `value` (JSON in the WIT type's shape).
    pub fn reply(&self, name: &str, value: Value) -> &Self {
        self.answer(name, Answer::Value(value))
    }

    /// Holds every call to `name` for approval, each with a new approval id
    /// (`approval-1`, `approval-2`, ...).
    pub fn hold(&self, name: &str, capability: &str) -> &Self {
        self.always(
            name,
            Answer::Held {
                approval_id: String::new(),
                capability: capability.to_owned(),
            },
        )
    }

    /// Denies every call to `name`, as the policy would.
    pub fn deny(&self, name: &str, why: &str) -> &Self {
        self.always(name, Answer::Error(HostError::Denied(why.to_owned())))
    }

    /// Answers the next `model::complete` with `content`, as model `fake`, with
    /// token counts of about four characters a token (queued, in order).
    pub fn complete_with(&self, content: &str) -> &Self {
        let tokens = (content.chars().count() as u64).div_ceil(4).max(1);
        self.complete_as(Completion {
            content: content.to_owned(),
            model: "fake".to_owned(),
            prompt_tokens: 0,
            completion_tokens: tokens,
            truncated: false,
        })
    }

    /// Answers the next `model::complete` with `completion` (queued, in order).
    pub fn complete_as(&self, completion: Completion) -> &Self {
        self.0.borrow_mut().completions.push_back(Ok(completion));
        self
    }

    /// Fails the next `model::complete` with `error` (queued, in order).
    pub fn model_fails(&self, error: ModelError) -> &Self {
        self.0.borrow_mut().completions.push_back(Err(error));
        self
    }

    /// Sets the providers `model::providers` lists (by default `rule-based`).
    pub fn set_providers(&self, providers: Vec<ProviderInfo>) -> &Self {
        self.0.borrow_mut().providers = Some(providers);
        self
    }

    /// Sets a `kv` key.
    pub fn kv_set(&self, key: &str, value: &[u8]) -> &Self {
        self.0
            .borrow_mut()
            .kv
            .insert(key.to_owned(), value.to_vec());
        self
    }

    /// The value of a `kv` key.
    #[must_use]
    pub fn kv_get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.borrow().kv.get(key).cloned()
    }

    /// Every call made so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.0.borrow().calls.clone()
    }

    /// The calls made to `name`, in order.
    #[must_use]
    pub fn calls_to(&self, name: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.name == name)
            .collect()
    }

    /// The log lines written, as `LEVEL message`.
    #[must_use]
    pub fn logs(&self) -> Vec<String> {
        self.calls_to("log.write")
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c.args["level"].as_str().unwrap_or_default(),
                    c.args["message"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }
}

fn current() -> Rc<RefCell<State>> {
    CURRENT.with(|c| {
        c.borrow().clone().unwrap_or_else(|| {
            panic!("no fake host on this thread: call FakeHost::install() first")
        })
    })
}

/// Records a call and answers it: the scripted answer, else a default that fits
/// the type (`done` for writes, `none` or an empty list for reads), else an error
/// saying nothing was scripted.
pub(crate) fn answer<T: DeserializeOwned>(name: &str, args: Value) -> Result<T, HostError> {
    let state = current();
    let mut state = state.borrow_mut();
    state.calls.push(Call {
        name: name.to_owned(),
        args,
    });
    let scripted = state
        .answers
        .get_mut(name)
        .and_then(VecDeque::pop_front)
        .or_else(|| state.always.get(name).cloned());
    let scripted = scripted.or_else(|| {
        (name == "get-owners")
            .then(|| Answer::Value(fake_owners(state.owners.as_deref(), &state.calls)))
    });
    let unscripted = || HostError::Unavailable(format!("fake host: no answer scripted for {name}"));
    match scripted {
        Some(Answer::Error(e)) => Err(e),
        Some(Answer::Held {
            approval_id,
            capability,
        }) => {
            let approval_id = if approval_id.is_empty() {
                state.approvals += 1;
                format!("approval-{}", state.approvals)
            } else {
                approval_id
            };
            let held = json!({ "Held": { "approval_id": approval_id, "capability": capability } });
            serde_json::from_value(held)
                .map_err(|e| HostError::Invalid(format!("fake host: {name} is not a write: {e}")))
        }
        Some(Answer::Value(value)) => {
            // The value itself (a read), or a write's `done` with it.
            let done = json!({ "Done": value.clone() });
            let unit = if value.is_null() {
                json!("Done")
            } else {
                Value::Null
            };
            [value, done, unit]
                .into_iter()
                .find_map(|v| serde_json::from_value(v).ok())
                .ok_or_else(|| {
                    HostError::Invalid(format!("fake host: the answer to {name} does not fit"))
                })
        }
        // Unscripted: `none` or an empty list for reads, `done` for writes; a read of
        // a value has to be scripted.
        None => [
            Value::Null,
            json!([]),
            json!({ "Done": null }),
            json!({ "Done": 0 }),
            json!({ "Done": [] }),
            json!({ "Done": "" }),
        ]
        .into_iter()
        .find_map(|v| serde_json::from_value(v).ok())
        .ok_or_else(unscripted),
    }
}

/// `get-owners`' answer for the paths of the last call, by [`FakeHost::set_owners`].
fn fake_owners(owners: Option<&[FakeOwners]>, calls: &[Call]) -> Value {
    let paths = calls
        .last()
        .and_then(|c| c.args["paths"].as_array().cloned())
        .unwrap_or_default();
    let answers: Vec<Value> = paths
        .iter()
        .map(|path| {
            let path = path.as_str().unwrap_or_default();
            let mut covering: Vec<&FakeOwners> = owners
                .unwrap_or_default()
                .iter()
                .filter(|o| o.dir.is_empty() || path.starts_with(&format!("{}/", o.dir)))
                .collect();
            covering.sort_by_key(|o| std::cmp::Reverse(o.dir.len()));
            let mut approvers: Vec<String> = Vec::new();
            let mut reviewers: Vec<String> = Vec::new();
            for o in &covering {
                for (into, names) in [(&mut approvers, &o.approvers), (&mut reviewers, &o.reviewers)] {
                    for name in names {
                        if !into.contains(name) {
                            into.push(name.clone());
                        }
                    }
                }
            }
            let decided_by: Vec<String> = covering
                .iter()
                .map(|o| if o.dir.is_empty() { "OWNERS".to_owned() } else { format!("{}/OWNERS", o.dir) })
                .collect();
            json!({ "path": path, "approvers": approvers, "reviewers": reviewers, "decided_by": decided_by })
        })
        .collect();
    Value::Array(answers)
}

/// Records a call that answers nothing (`log`, `metrics`).
pub(crate) fn record(name: &str, args: Value) {
    current().borrow_mut().calls.push(Call {
        name: name.to_owned(),
        args,
    });
}

/// The configuration the test set, as JSON text.
pub(crate) fn config() -> String {
    let state = current();
    let text = state.borrow().config.to_string();
    record("config.get", Value::Null);
    text
}

/// Model calls: scripted completions and the providers offered.
pub(crate) mod model {
    use super::{current, record, Completion, ModelError, ProviderInfo, ProviderKind};

    pub(crate) fn complete(
        request: &crate::bindings::gantry::plugin::model::Request,
    ) -> Result<Completion, ModelError> {
        record(
            "model.complete",
            serde_json::to_value(request).unwrap_or_default(),
        );
        current()
            .borrow_mut()
            .completions
            .pop_front()
            .unwrap_or_else(|| {
                Err(ModelError::Unavailable(
                    "fake host: no completion scripted (FakeHost::complete_with)".into(),
                ))
            })
    }

    pub(crate) fn providers() -> Vec<ProviderInfo> {
        record("model.providers", serde_json::Value::Null);
        current().borrow().providers.clone().unwrap_or_else(|| {
            vec![ProviderInfo {
                name: "rule-based".to_owned(),
                kind: ProviderKind::RuleBased,
                model: "rule-based".to_owned(),
            }]
        })
    }
}

/// `kv` in memory.
pub(crate) mod kv {
    use super::{current, record};
    use serde_json::json;

    pub(crate) fn get(key: &str) -> Option<Vec<u8>> {
        record("kv.get", json!({ "key": key }));
        current().borrow().kv.get(key).cloned()
    }

    pub(crate) fn set(key: &str, value: &[u8]) {
        record(
            "kv.set",
            json!({ "key": key, "value": String::from_utf8_lossy(value) }),
        );
        current()
            .borrow_mut()
            .kv
            .insert(key.to_owned(), value.to_vec());
    }

    pub(crate) fn delete(key: &str) -> bool {
        record("kv.delete", json!({ "key": key }));
        current().borrow_mut().kv.remove(key).is_some()
    }

    pub(crate) fn list_keys(prefix: &str) -> Vec<String> {
        record("kv.list-keys", json!({ "prefix": prefix }));
        current()
            .borrow()
            .kv
            .keys()
            .filter(|k| k.starts_with(prefix))
            .take(1000)
            .cloned()
            .collect()
    }
}

/// An event as the host would hand it to `handle_event`: `name`, the payload's
/// `action` and repository, and the payload.
///
/// # Panics
/// When `payload` is not JSON.
#[must_use]
pub fn event(name: &str, payload: &str) -> Event {
    let value: Value = serde_json::from_str(payload).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let repository = value["repository"]["full_name"]
        .as_str()
        .and_then(|full| full.split_once('/'))
        .map(|(owner, name)| Repo {
            owner: owner.to_owned(),
            name: name.to_owned(),
        });
    Event {
        name: name.to_owned(),
        action: value["action"].as_str().map(str::to_owned),
        delivery_id: "fake-delivery".to_owned(),
        repository,
        payload: payload.to_owned(),
    }
}

/// A command as the host would hand it to `handle_command`: `/verb args` by
/// `author` with `permission`, in a comment on `number` carried by `event`.
#[must_use]
pub fn command(
    line: &str,
    author: &str,
    permission: Permission,
    number: u64,
    is_pull_request: bool,
    event: Event,
) -> Command {
    let line = line.trim_start_matches('/');
    let (verb, args) = line.split_once(' ').unwrap_or((line, ""));
    Command {
        verb: verb.to_lowercase(),
        args: args.trim().to_owned(),
        author: author.to_owned(),
        author_permission: permission,
        number,
        is_pull_request,
        comment_id: 1,
        event,
    }
}
