//! Model usage (`/dashboard/models`, admins): what model calls used, overall this
//! month, per organisation this month and per repository today, with what is held
//! by calls in flight and what each limit leaves; then the limits, the per-person
//! rate limit and the prices (`model::budget`). Admins only: it names every
//! repository that used a model.
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::access::User;
use super::view::{render, DashError, Nav};
use crate::model::budget::{dollars, Limit, UsageLine};
use crate::services::AppState;

/// Organisations and repositories shown.
const SHOWN: u64 = 100;

/// One line as shown.
pub struct Row {
    subject: String,
    period: String,
    tokens: u64,
    cost: String,
    held: String,
    tokens_left: String,
    cost_left: String,
}

impl Row {
    fn from_line(line: &UsageLine) -> Self {
        Self {
            subject: if line.subject.is_empty() {
                "everything".to_owned()
            } else {
                line.subject.clone()
            },
            period: line.period.clone(),
            tokens: line.used.tokens,
            cost: dollars(line.used.cost_micros),
            held: if line.reserved.tokens == 0 && line.reserved.cost_micros == 0 {
                String::new()
            } else {
                format!(
                    "{} tokens, {}",
                    line.reserved.tokens,
                    dollars(line.reserved.cost_micros)
                )
            },
            tokens_left: line
                .tokens_left()
                .map_or_else(|| "no limit".to_owned(), |n| format!("{n} tokens left")),
            cost_left: line
                .cost_left()
                .map_or_else(|| "no limit".to_owned(), |n| format!("{} left", dollars(n))),
        }
    }
}

/// One limit as shown.
pub struct LimitRow {
    scope: &'static str,
    tokens: String,
    money: String,
}

fn limit_row(scope: &'static str, limit: Limit) -> LimitRow {
    LimitRow {
        scope,
        tokens: limit
            .tokens
            .map_or_else(|| "no limit".to_owned(), |n| format!("{n} tokens")),
        money: limit
            .cost_micros
            .map_or_else(|| "no limit".to_owned(), dollars),
    }
}

/// One price as shown.
pub struct PriceRow {
    provider: String,
    model: String,
    prompt: String,
    completion: String,
}

/// `pages/models/usage.html`.
#[derive(Template)]
#[template(path = "pages/models/usage.html", blocks = ["content"])]
pub struct ModelsPage {
    nav: Nav,
    overall: Row,
    organisations: Vec<Row>,
    repositories: Vec<Row>,
    limits: Vec<LimitRow>,
    rate: String,
    prices: Vec<PriceRow>,
}

/// `GET /dashboard/models`.
pub async fn show_models(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    let budget = &state.host_services.model_budget;
    let report = budget.usage(&state.db, chrono::Utc::now(), SHOWN).await?;
    let page = ModelsPage {
        nav: Nav::new(&user.0, "models", super::sandbox::enabled(&state)),
        overall: Row::from_line(&report.overall),
        organisations: report.organisations.iter().map(Row::from_line).collect(),
        repositories: report.repositories.iter().map(Row::from_line).collect(),
        limits: budget
            .limits()
            .into_iter()
            .map(|(scope, limit)| limit_row(scope, limit))
            .collect(),
        rate: budget.per_person_per_hour().map_or_else(
            || "no limit".to_owned(),
            |n| format!("{n} model-using invocations per person per repository per hour"),
        ),
        prices: budget
            .prices()
            .all()
            .iter()
            .map(|p| PriceRow {
                provider: p.provider.clone(),
                model: p.model.clone(),
                prompt: dollars(p.prompt),
                completion: dollars(p.completion),
            })
            .collect(),
    };
    render(&req, &page, |p| p.as_content().render())
}
