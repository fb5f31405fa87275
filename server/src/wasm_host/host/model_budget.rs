//! Model budgets at the `model` host call (`model::budget`): before a provider is
//! asked, the call's worst case (its prompt's estimated tokens and the most the
//! answer may have, priced) is reserved on every limit in one step, or the call is
//! refused with `budget-exceeded`, audited (`model.budget_refused`) and counted;
//! after the answer the reservation is settled with what the provider counted, and a
//! call that got no answer (a 429, a stall, a 5xx) gives it back, so a retry of the
//! job is not charged twice. A database that cannot reserve refuses the call and
//! the job is retried later: budgets fail closed.
use super::super::bindings::gantry::plugin::model::ModelError;
use super::CallState;
use crate::db::audit::{self, AuditEntry};
use crate::domain::{Actor, AuditAction};
use crate::model::budget::{BudgetError, Reservation, Scope, Usage};
use crate::model::rule_based::estimate_tokens;
use crate::model::{Completion as Answer, CompletionRequest};

impl CallState {
    /// Reserves the worst case of asking `provider`'s `model` for `request`.
    pub(super) async fn reserve_budget(
        &mut self,
        provider: &str,
        model: &str,
        project: &str,
        request: &CompletionRequest,
    ) -> Result<Reservation, ModelError> {
        let budget = self.env.services.model_budget.clone();
        let estimate = budget.estimate(
            provider,
            model,
            estimate_tokens(&request.prompt_text()),
            u64::from(request.max_tokens),
        );
        let scope = Scope {
            invocation: format!(
                "{}/{}/{}/{}",
                self.idempotency.delivery_id,
                self.idempotency.generation,
                self.plugin,
                self.idempotency.invocation.as_deref().unwrap_or("")
            ),
            repo: project.to_owned(),
            org: project.split('/').next().unwrap_or(project).to_owned(),
            person: self.actor.login.clone(),
            provider: provider.to_owned(),
            model: model.to_owned(),
        };
        match budget
            .reserve(&self.env.db, &scope, estimate, chrono::Utc::now())
            .await
        {
            Ok(reservation) => Ok(reservation),
            Err(BudgetError::Db(err)) => {
                tracing::warn!(plugin = %self.plugin, error = %err, "model budget could not be checked; the call is refused and the job retried");
                self.transient_failure = Some("the model budget could not be checked".into());
                Err(ModelError::Unavailable(
                    "the model budget could not be checked".into(),
                ))
            }
            Err(refused) => {
                let message = refused.to_string();
                let entry =
                    AuditEntry::new(Actor::plugin(&self.plugin), AuditAction::ModelBudgetRefused)
                        .delivery(&self.idempotency.delivery_id)
                        .project(project)
                        .capability(format!("model:{provider}"))
                        .outcome("refused")
                        .details(message.clone());
                if let Err(err) =
                    audit::record(&self.env.db, &self.env.services.audit_key, entry).await
                {
                    tracing::warn!(error = %err, "a model budget refusal could not be audited");
                }
                tracing::info!(plugin = %self.plugin, %provider, %message, "model call refused by its budget");
                Err(ModelError::BudgetExceeded(message))
            }
        }
    }

    /// Replaces the reservation by what the provider counted.
    pub(super) async fn settle_budget(
        &self,
        reservation: Reservation,
        provider: &str,
        answer: &Answer,
    ) {
        let budget = &self.env.services.model_budget;
        let actual = Usage {
            tokens: answer
                .prompt_tokens
                .saturating_add(answer.completion_tokens),
            cost_micros: budget.cost(
                provider,
                &answer.model,
                answer.prompt_tokens,
                answer.completion_tokens,
            ),
        };
        if let Err(err) = budget.settle(&self.env.db, reservation, actual).await {
            // The reservation expires and counts at its estimate: never under.
            tracing::warn!(error = %err, "a model call's budget could not be settled; its estimate stands");
        }
    }

    /// Gives the reservation back: the provider gave no answer.
    pub(super) async fn release_budget(&self, reservation: Reservation) {
        let budget = &self.env.services.model_budget;
        if let Err(err) = budget.release(&self.env.db, reservation).await {
            tracing::warn!(error = %err, "a model call's budget could not be released; its estimate stands until it expires");
        }
    }
}
