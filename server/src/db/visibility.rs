//! The SQL side of `domain::Visibility`: rows of the reader's projects only,
//! compared case-insensitively (`LOWER(column) IN (...)`).
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::ColumnTrait;

/// `LOWER(column) IN (projects)`: rows of these projects only (none when the list
/// is empty; a NULL column never matches).
#[must_use]
pub fn in_projects<C: ColumnTrait>(column: C, projects: &[String]) -> Expr {
    if projects.is_empty() {
        return Expr::cust("1 = 0");
    }
    Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
        .is_in(projects.iter().map(|p| p.to_ascii_lowercase()))
}
