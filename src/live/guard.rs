//! The guard (`rules::guard`) on the rules the screen applies and on the
//! rules file changed on disk: the candidate tried on the last snapshot
//! beside the rules in force before it replaces them.

use super::*;

impl Worker {
    /// `Ok` when `candidate` may replace the rules in force without a
    /// question; otherwise what it would break, for a person to read (also
    /// when there are no products yet to try it on).
    pub(super) fn guard(&self, candidate: &RuleSet) -> Result<(), String> {
        if !self.planned {
            return Err(
                "The rules could not be tried: no products yet (the sources have not all answered)"
                    .to_string(),
            );
        }
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: self.stale.clone(),
            ..Default::default()
        };
        set_open_pos(&mut ctx, self.open_pos.clone());
        let dry_run = crate::rules::dry_run(&self.inputs, &ctx, &self.rules, candidate);
        crate::rules::guard(&dry_run).map_err(|refusal| refusal.to_string())
    }
}

/// The author applied rules the guard refused (the editor's `y`): audited
/// beside `rules_applied`, with what the guard said.
pub(super) async fn audit_confirmed(
    store: &Store,
    applied: &crate::store::authoring::Applied,
    refused: &str,
) {
    let detail = confirmed_detail(applied, refused);
    if let Err(e) = store.audit("rules_apply_confirmed", None, &detail).await {
        tracing::warn!("the confirmed apply was not audited: {e:#}");
    }
}

/// "<path> sha256 <hash>: applied although: <summary on one line>".
pub fn confirmed_detail(applied: &crate::store::authoring::Applied, refused: &str) -> String {
    format!(
        "{} sha256 {}: applied although: {}",
        applied.path.display(),
        applied.hash,
        refused.replace('\n', "; ")
    )
}
