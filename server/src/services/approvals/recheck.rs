//! The policy, checked again just before a held action runs: approval was given for
//! the policy of the moment it was held, and what an operator changed since (a rule
//! turned to deny, the plugin disabled or removed, the capability dropped from its
//! manifest) must stop it; a rule that now asks for more approvals raises the quorum.
//! Gantry's own held writes (`policy::HOST`) are decided on the rules alone.
use sea_orm::DbErr;

use crate::db::entities::approvals::Model as Held;
use crate::db::plugin_states;
use crate::domain::RepoRef;
use crate::policy::store as policies;
use crate::policy::DecidedOn;
use crate::policy::{decide, Effect, Request, Target};
use crate::services::installed::active;
use crate::services::AppState;

/// How many approvals the policy asks for now, or why it no longer lets the action
/// run.
///
/// # Errors
/// When the database fails.
pub async fn recheck(state: &AppState, held: &Held) -> Result<Result<u32, String>, DbErr> {
    let Some((owner, name)) = held.repository.split_once('/') else {
        return Ok(Err(format!("`{}` is not a repository", held.repository)));
    };
    let repository = RepoRef {
        owner: owner.to_owned(),
        name: name.to_owned(),
    };
    let Ok(capability) = held.capability.parse::<crate::domain::Capability>() else {
        return Ok(Err(format!(
            "the held action needs `{}`, which is not a capability this Gantry knows",
            held.capability
        )));
    };
    let declared = if held.plugin == crate::policy::HOST {
        // Gantry's own write (its onboarding pull request): no plugin to be enabled
        // or to declare it; the rules alone decide.
        true
    } else {
        if plugin_states::disabled(&state.db)
            .await?
            .contains(&held.plugin)
        {
            return Ok(Err(format!("plugin {} is disabled", held.plugin)));
        }
        let enabled = active::for_repository(&state.db, &state.plugins, Some(&repository)).await?;
        let Some(plugin) = enabled
            .all()
            .iter()
            .find(|p| p.plugin.manifest.name == held.plugin)
        else {
            return Ok(Err(format!(
                "plugin {} is no longer enabled on {}",
                held.plugin, held.repository
            )));
        };
        capability.is_declared_in(&plugin.plugin.manifest.capabilities)
    };
    let rules = policies::all(&state.db).await?;
    let repository = held.repository.to_ascii_lowercase();
    // Held before the inputs were stored (or unreadable): a branch nobody can name,
    // so branch-conditioned deny rules apply (fail closed).
    let inputs = held
        .decided_on
        .as_deref()
        .and_then(|json| serde_json::from_str::<DecidedOn>(json).ok())
        .unwrap_or(DecidedOn {
            target: Target::Unknown,
            ..DecidedOn::default()
        });
    let decision = decide(
        &rules,
        &Request {
            plugin: &held.plugin,
            capability: &capability,
            declared,
            repository: Some(&repository),
            target: &inputs.target,
            event_branch: inputs.event_branch.as_deref(),
            actor_permission: inputs.actor_permission,
        },
    );
    Ok(match decision.effect {
        Effect::Deny => Err(format!("the policy now denies it: {}", decision.reason)),
        Effect::Ask | Effect::Allow => Ok(decision.approvals_required()),
    })
}
