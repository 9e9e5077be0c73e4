//! The guard (`rules::guard`) on the rules the screen applies and on the
//! rules file changed on disk: the candidate tried on the last snapshot
//! beside the rules in force before it replaces them.

use super::*;

impl Worker {
    /// `Ok` when `candidate` may replace the rules in force without a
    /// question; otherwise what it would break, for a person to read (also
    /// when there are no products yet to try it on); with the dry run's
    /// summary line when one was made (for the rules version recorded).
    pub(super) fn try_candidate(
        &self,
        candidate: &RuleSet,
    ) -> (Option<String>, Result<(), String>) {
        if !self.planned {
            return (
                None,
                Err(
                    "The rules could not be tried: no products yet (the sources have not all answered)"
                        .to_string(),
                ),
            );
        }
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: self.stale.clone(),
            ..Default::default()
        };
        set_open_pos(&mut ctx, self.open_pos.clone());
        self.with_forecasts(&mut ctx);
        let dry_run = crate::rules::dry_run(&self.inputs, &ctx, &self.rules, candidate);
        let line = crate::store::rules_versions::summary_line(&dry_run.summary);
        (
            Some(line),
            crate::rules::guard(&dry_run).map_err(|refusal| refusal.to_string()),
        )
    }
}

/// A guard refusal (the editor's apply waiting for a confirmation, a file
/// changed on disk) audited as `rules_refused`.
pub(super) fn audit_refused(store: &Store, origin: &str, text: &str, why: &str) {
    let detail = crate::store::rules_versions::refused_detail(origin, text, None, why);
    let store = store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.audit("rules_refused", None, &detail).await {
            tracing::warn!("the refused rules were not audited: {e:#}");
        }
    });
}
