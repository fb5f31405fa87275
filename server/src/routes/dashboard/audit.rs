//! The audit log (`/dashboard/audit`): filters (actor, action, project, outcome,
//! date range), newest first, paginated by id (keyset, never OFFSET; indexed by
//! migration 10), CSV and JSON export of everything the filters match (streamed a
//! 500 rows per round trip), and the hash chain's status on request (the walk
//! behind `/api/v1/audit/verify`). Listings and exports hold only the rows of the
//! projects the reader may see (`Principal::visible_projects`): a reader with only
//! team grants sees no rows that name no project.
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use serde::Deserialize;

use super::access::{can, require, User};
use super::format::time;
use super::view::{fragment, render, DashError, Nav};
use crate::auth::Role;
use crate::db;
use crate::db::dashboard::AuditFilter;
use crate::db::entities::audit_log::Model as AuditRow;
use crate::domain::Visibility;
use crate::services::AppState;

/// Rows per page.
const PAGE: u64 = 50;
/// Rows per database round trip of an export.
const EXPORT_CHUNK: u64 = db::dashboard::MAX_PAGE;

/// The filters and cursor, from the query string (dates as `YYYY-MM-DD`, UTC; `to`
/// is inclusive).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before: Option<i64>,
    /// Rows per page (1 to 500; 50 when absent).
    limit: Option<u64>,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn day(s: &str, field: &str) -> Result<Option<DateTime<Utc>>, DashError> {
    some(s)
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
                .map_err(|_| {
                    DashError::BadRequest(format!(
                        "`{field}` must be a date as YYYY-MM-DD, not `{d}`"
                    ))
                })
        })
        .transpose()
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, DashError> {
        Ok(AuditFilter {
            actor: some(&self.actor),
            action: some(&self.action),
            project: some(&self.project),
            outcome: some(&self.outcome),
            from: day(&self.from, "from")?,
            to: day(&self.to, "to")?.map(|d| d + chrono::Duration::days(1)),
        })
    }

    /// The query string of the same filters at another cursor (or none).
    fn with_before(&self, before: Option<i64>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("project", &self.project),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if let Some(before) = before {
            q.append_pair("before", &before.to_string());
        }
        q.finish()
    }
}

/// `pages/audit/list.html`.
#[derive(Template)]
#[template(path = "pages/audit/list.html", blocks = ["content"])]
pub struct AuditPage {
    nav: Nav,
    q: AuditQuery,
    rows: Vec<AuditRow>,
    next: Option<String>,
    export: String,
    /// Whether the caller may walk the whole chain (admins).
    can_verify: bool,
}

impl AuditPage {
    fn at(&self, row: &AuditRow) -> String {
        time(&row.at)
    }
}

/// `GET /dashboard/audit`.
pub async fn list_audit(
    user: User,
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, DashError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(PAGE).clamp(1, db::dashboard::MAX_PAGE);
    let rows = db::dashboard::audit_page(
        &state.db,
        &user.0.visible_projects(),
        &q.filter()?,
        q.before,
        limit,
    )
    .await?;
    let next = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id))
        .flatten()
        .map(|last| {
            let mut next = q.with_before(Some(last));
            if let Some(l) = q.limit {
                next.push_str(&format!("&limit={l}"));
            }
            next
        });
    let page = AuditPage {
        nav: Nav::new(&user.0, "audit", super::sandbox::enabled(&state)),
        export: q.with_before(None),
        can_verify: can(&user.0, Role::Admin, None),
        q,
        rows,
        next,
    };
    render(&req, &page, |p| p.as_content().render())
}

/// `partials/chain.html`: the hash chain's status.
#[derive(Template)]
#[template(path = "partials/chain.html")]
pub struct ChainStatus {
    intact: bool,
    rows: u64,
    broken: Option<db::audit::Break>,
}

/// `GET /dashboard/audit/verify`: walks the chain (every row) and says whether it
/// is intact or where it breaks.
pub async fn verify_chain(
    user: User,
    state: web::Data<AppState>,
) -> Result<HttpResponse, DashError> {
    // Every row is read: admins only (security review L5).
    require(&user.0, Role::Admin, None)?;
    let status = match db::audit::verify(&state.db, state.audit_key(), None).await? {
        Ok(verified) => ChainStatus {
            intact: true,
            rows: verified.rows,
            broken: None,
        },
        Err(broken) => ChainStatus {
            intact: false,
            rows: 0,
            broken: Some(broken),
        },
    };
    fragment(status.render())
}

/// `GET /dashboard/audit/export.csv`: every row the filters match, oldest last.
pub async fn export_csv(
    user: User,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, DashError> {
    let filter = q.filter()?;
    let header_line = web::Bytes::from_static(b"id,at,actor,actor_kind,action,project,capability,decision,outcome,delivery_id,details,hash\r\n");
    let body = futures::stream::once(async move { Ok::<_, actix_web::Error>(header_line) }).chain(
        rows(state, user.0.visible_projects(), filter).map(|chunk| {
            chunk.map(|rows| {
                let mut out = String::new();
                for r in rows {
                    let fields = [
                        r.id.to_string(),
                        r.at.to_rfc3339(),
                        r.actor,
                        r.actor_kind,
                        r.action,
                        r.project.unwrap_or_default(),
                        r.capability.unwrap_or_default(),
                        r.decision.unwrap_or_default(),
                        r.outcome.unwrap_or_default(),
                        r.delivery_id.unwrap_or_default(),
                        r.details.unwrap_or_default(),
                        r.hash,
                    ];
                    out.push_str(
                        &fields
                            .iter()
                            .map(|f| csv_field(f))
                            .collect::<Vec<_>>()
                            .join(","),
                    );
                    out.push_str("\r\n");
                }
                web::Bytes::from(out)
            })
        }),
    );
    Ok(download("text/csv; charset=utf-8", "audit.csv").streaming(body))
}

/// `GET /dashboard/audit/export.json`: a JSON array of every row the filters match.
pub async fn export_json(
    user: User,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, DashError> {
    let filter = q.filter()?;
    let mut first = true;
    let body = futures::stream::once(async { Ok::<_, actix_web::Error>(web::Bytes::from_static(b"[")) })
        .chain(rows(state, user.0.visible_projects(), filter).map(move |chunk| {
            chunk.map(|rows| {
                let mut out = String::new();
                for r in rows {
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    let value = serde_json::json!({
                        "id": r.id, "at": r.at, "actor": r.actor, "actor_kind": r.actor_kind, "action": r.action,
                        "project": r.project, "capability": r.capability, "decision": r.decision, "outcome": r.outcome,
                        "delivery_id": r.delivery_id, "details": r.details, "prev_hash": r.prev_hash, "hash": r.hash,
                    });
                    out.push_str(&value.to_string());
                    out.push('\n');
                }
                web::Bytes::from(out)
            })
        }))
        .chain(futures::stream::once(async { Ok(web::Bytes::from_static(b"]\n")) }));
    Ok(download("application/json", "audit.json").streaming(body))
}

fn download(content_type: &str, name: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    response
}

/// Every matching row, newest first, a chunk per round trip.
fn rows(
    state: web::Data<AppState>,
    visible: Visibility,
    filter: AuditFilter,
) -> impl futures::Stream<Item = Result<Vec<AuditRow>, actix_web::Error>> {
    futures::stream::unfold(Some(None::<i64>), move |cursor| {
        let state = state.clone();
        let filter = filter.clone();
        let visible = visible.clone();
        async move {
            let before = cursor?;
            match db::dashboard::audit_page(&state.db, &visible, &filter, before, EXPORT_CHUNK)
                .await
            {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next =
                        (rows.len() as u64 == EXPORT_CHUNK).then(|| rows.last().map(|r| r.id));
                    Some((Ok(rows), next))
                }
                Err(err) => {
                    let err = DashError::internal(&err);
                    Some((
                        Err(actix_web::error::ErrorServiceUnavailable(err.to_string())),
                        None,
                    ))
                }
            }
        }
    })
}

/// One CSV field: quoted when needed, and defused with a leading `'` when a
/// spreadsheet might run it as a formula ([`runs_in_a_spreadsheet`]).
fn csv_field(value: &str) -> String {
    let defused = if runs_in_a_spreadsheet(value) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Whether a spreadsheet may read `value` as a formula (OWASP's CSV injection
/// list): it starts with `=`, `+`, `-`, `@`, a tab or a carriage return, or one of
/// the first four after leading whitespace (which some spreadsheets skip). Such a
/// field is exported with a leading `'`.
fn runs_in_a_spreadsheet(value: &str) -> bool {
    value.starts_with(['\t', '\r']) || value.trim_start().starts_with(['=', '+', '-', '@'])
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("\t=1"), "'\t=1");
        assert_eq!(csv_field("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_field("  @SUM(A1)"), "'  @SUM(A1)");
        assert_eq!(csv_field("a-b"), "a-b");
    }
}
