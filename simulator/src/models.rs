//! A stand-in for an OpenAI-compatible model server (OpenAI's chat completions API,
//! as vLLM, llama.cpp's server and Ollama's `/v1` also speak it), for tests of
//! Gantry's model providers: `POST /v1/chat/completions` and `GET /v1/models` under
//! a bearer key, answering scripted replies (or a deterministic default) with
//! real-shaped usage figures, `max_tokens` honoured (`finish_reason: "length"`), and
//! injectable faults: a status with OpenAI's error body, 429 with `retry-after`, a
//! stall. Every request is logged for assertions. Never persisted.
use std::collections::VecDeque;
use std::time::Duration;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Value};

use crate::Simulator;

/// A fault the next chat completion requests get, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFault {
    /// This status with OpenAI's error body (500, 503, 400, ...).
    Status(u16),
    /// 429 `rate_limit_exceeded` with `retry-after: secs`.
    RetryAfter(u64),
    /// Hold the request this long before answering normally.
    Stall(Duration),
}

/// One chat completion request, as received.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRequest {
    /// The bearer key it carried.
    pub key: Option<String>,
    /// The request body.
    pub body: Value,
}

/// The stand-in's state: keys it accepts, models it serves, replies and faults.
#[derive(Debug)]
pub(crate) struct Models {
    keys: Vec<String>,
    served: Vec<String>,
    replies: VecDeque<String>,
    faults: VecDeque<ModelFault>,
    requests: Vec<ModelRequest>,
}

impl Default for Models {
    fn default() -> Self {
        Self {
            keys: vec!["sk-simulated".to_owned()],
            served: vec!["sim-small".to_owned(), "sim-large".to_owned()],
            replies: VecDeque::new(),
            faults: VecDeque::new(),
            requests: Vec::new(),
        }
    }
}

impl Simulator {
    /// Queues the text of the next chat completion answers, in order; once they are
    /// used up, answers are the deterministic default.
    pub fn script_model_replies<I, S>(&self, replies: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models
            .lock()
            .replies
            .extend(replies.into_iter().map(Into::into));
    }

    /// Queues a fault for the next chat completion request (one request each).
    pub fn inject_model_fault(&self, fault: ModelFault) {
        self.models.lock().faults.push_back(fault);
    }

    /// Sets the bearer keys accepted (default `sk-simulated`).
    pub fn set_model_keys(&self, keys: &[&str]) {
        self.models.lock().keys = keys.iter().map(|k| (*k).to_owned()).collect();
    }

    /// Every chat completion request received, in order.
    pub fn model_requests(&self) -> Vec<ModelRequest> {
        self.models.lock().requests.clone()
    }
}

/// Registers `/v1/chat/completions` and `/v1/models`.
pub(crate) fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/chat/completions").route(web::post().to(chat)))
        .service(web::resource("/v1/models").route(web::get().to(list_models)));
}

/// OpenAI's error body.
fn error(status: u16, kind: &str, code: &str, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(json!({
        "error": { "message": message, "type": kind, "param": null, "code": code }
    }))
}

fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_owned)
}

fn unauthorized() -> HttpResponse {
    error(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided.",
    )
}

/// About four characters a token, at least one: close enough to real tokenisers for
/// budgets to be exercised.
fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

/// `GET /v1/models`.
async fn list_models(sim: web::Data<Simulator>, req: HttpRequest) -> HttpResponse {
    let models = sim.models.lock();
    if !bearer(&req).is_some_and(|k| models.keys.contains(&k)) {
        return unauthorized();
    }
    let data: Vec<Value> = models
        .served
        .iter()
        .map(|id| json!({ "id": id, "object": "model", "created": 1_700_000_000, "owned_by": "simulator" }))
        .collect();
    HttpResponse::Ok().json(json!({ "object": "list", "data": data }))
}

/// `POST /v1/chat/completions`.
async fn chat(sim: web::Data<Simulator>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let key = bearer(&req);
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let fault = {
        let mut models = sim.models.lock();
        models.requests.push(ModelRequest {
            key: key.clone(),
            body: parsed.as_ref().cloned().unwrap_or(Value::Null),
        });
        if !key.as_ref().is_some_and(|k| models.keys.contains(k)) {
            return unauthorized();
        }
        models.faults.pop_front()
    };
    match fault {
        Some(ModelFault::Status(status)) => {
            return error(
                status,
                "server_error",
                "server_error",
                "The server had an error while processing your request.",
            );
        }
        Some(ModelFault::RetryAfter(secs)) => {
            let mut answer = error(
                429,
                "requests",
                "rate_limit_exceeded",
                "Rate limit reached for requests. Please try again later.",
            );
            if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
                answer.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return answer;
        }
        Some(ModelFault::Stall(wait)) => actix_web::rt::time::sleep(wait).await,
        None => {}
    }
    let Ok(body) = parsed else {
        return error(
            400,
            "invalid_request_error",
            "invalid_json",
            "We could not parse the JSON body of your request.",
        );
    };
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return error(
            400,
            "invalid_request_error",
            "missing_required_parameter",
            "you must provide a messages parameter",
        );
    };
    if !sim.models.lock().served.contains(&model) {
        return error(
            404,
            "invalid_request_error",
            "model_not_found",
            &format!("The model `{model}` does not exist or you do not have access to it."),
        );
    }
    let prompt: String = messages
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let prompt_tokens = tokens(&prompt) + 3 * messages.len() as u64;
    let scripted = sim.models.lock().replies.pop_front();
    let mut content = scripted.unwrap_or_else(|| default_reply(messages, &body));
    let limit = body["max_completion_tokens"]
        .as_u64()
        .or_else(|| body["max_tokens"].as_u64());
    let mut finish = "stop";
    if let Some(limit) = limit {
        if tokens(&content) > limit {
            content = content
                .chars()
                .take(usize::try_from(limit * 4).unwrap_or(usize::MAX))
                .collect();
            finish = "length";
        }
    }
    let completion_tokens = tokens(&content);
    let created = chrono::Utc::now().timestamp();
    HttpResponse::Ok().json(json!({
        "id": format!("chatcmpl-sim{created}{}", prompt_tokens),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": content, "refusal": null },
            "logprobs": null,
            "finish_reason": finish
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens
        },
        "system_fingerprint": "fp_simulated"
    }))
}

/// The answer when none is scripted: with a JSON schema asked for, an object with
/// the schema's required string fields set to their names; otherwise a sentence
/// naming the last user message's length.
fn default_reply(messages: &[Value], body: &Value) -> String {
    let schema = &body["response_format"]["json_schema"]["schema"];
    if body["response_format"]["type"] == "json_schema" && schema.is_object() {
        let mut object = serde_json::Map::new();
        for name in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = name.as_str() {
                object.insert(name.to_owned(), Value::from(name));
            }
        }
        return Value::Object(object).to_string();
    }
    let last = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    format!(
        "Simulated answer to a message of {} characters.",
        last.chars().count()
    )
}
