//! Rules written from the app: applying a rules text (validated, written
//! atomically, recorded as a new rules version with its audit rows in the
//! purchasing store: `store::rules_versions`, the history) and the editor's
//! draft. The files live beside the purchasing store:
//! `Config::rules_path()`, `<data_dir>/rules-draft.grl`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::rules_versions::{NewVersion, VersionInfo};
use super::Store;
use crate::config::Config;
use crate::plan::RuleSet;
use crate::rules::{self, Diagnostic, LoadError};

/// What `apply` wrote.
#[derive(Debug)]
pub struct Applied {
    /// The rules now in force, loaded from the text written.
    pub rules: RuleSet,
    /// The rules file written.
    pub path: PathBuf,
    /// The version recorded (its number, full hash, previous hash).
    pub version: VersionInfo,
}

impl Applied {
    /// "<path>: N rules", for the screen.
    pub fn summary(&self) -> String {
        rules::summary(&self.rules)
    }
}

/// Why `apply` wrote nothing, or failed part-way.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The text has errors: nothing was written.
    #[error(transparent)]
    Invalid(#[from] LoadError),
    /// Writing the file or the audit row failed; the file in force is the
    /// one there before.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl ApplyError {
    /// The validator's diagnostics (warnings included) when the text was
    /// refused; empty otherwise.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ApplyError::Invalid(LoadError::Invalid { diagnostics, .. }) => diagnostics,
            _ => &[],
        }
    }
}

/// How an apply is recorded in the history and the audit log.
#[derive(Debug, Clone)]
pub struct Recording<'a> {
    pub user: &'a str,
    /// The version's "how": "applied in the app", "rules apply", "restored
    /// from 3".
    pub how: &'a str,
    /// The audit action: `rules_applied`, `rules_restored`.
    pub action: &'a str,
    /// The dry run's summary line, when one was made.
    pub summary: Option<String>,
    /// What the guard said, when the author applied over its refusal
    /// (audited as `rules_apply_confirmed` too).
    pub confirmed: Option<String>,
}

impl<'a> Recording<'a> {
    /// A plain apply by `user`, audited as `rules_applied`.
    pub fn applied(user: &'a str, how: &'a str) -> Recording<'a> {
        Recording {
            user,
            how,
            action: "rules_applied",
            summary: None,
            confirmed: None,
        }
    }
}

/// The editor's unapplied text.
pub fn draft_path(config: &Config) -> PathBuf {
    config.data_dir.join("rules-draft.grl")
}

/// `apply_recorded` as "applied" by `user`, without a dry-run summary.
pub async fn apply(
    config: &Config,
    store: &Store,
    text: &str,
    user: &str,
) -> Result<Applied, ApplyError> {
    apply_recorded(config, store, text, &Recording::applied(user, "applied")).await
}

/// Validates `text` and, when it has no error, makes it the rules file
/// (`Config::rules_path()`), written atomically, and records it as a new
/// rules version with its audit rows (`recording.action`, and
/// `rules_apply_confirmed` when the author confirmed over the guard), in
/// one transaction. Refused text writes nothing; a failed record puts the
/// old file back.
pub async fn apply_recorded(
    config: &Config,
    store: &Store,
    text: &str,
    recording: &Recording<'_>,
) -> Result<Applied, ApplyError> {
    let path = config.rules_path();
    let origin = path.display().to_string();
    let rules = rules::load(text, &origin)?;
    let previous = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(
                anyhow::anyhow!("{origin}: cannot read the rules file in force: {e}").into(),
            )
        }
    };
    crate::files::write_atomically(&path, text.as_bytes())?;
    let mut audits = vec![(recording.action, String::new())];
    if let Some(refused) = &recording.confirmed {
        audits.push((
            "rules_apply_confirmed",
            format!("applied although: {}", refused.replace('\n', "; ")),
        ));
    }
    let new = NewVersion {
        user: recording.user,
        how: recording.how,
        origin: &origin,
        text,
        rules: rules.rule_names.len(),
        summary: recording.summary.as_deref(),
    };
    let version = match store.record_rules_version(&new, &audits).await {
        Ok(version) => version,
        Err(e) => {
            // Unaudited rules must not stay in force: put the old file back.
            let restored = match &previous {
                Some(bytes) => crate::files::write_atomically(&path, bytes),
                None => std::fs::remove_file(&path).map_err(Into::into),
            };
            if let Err(r) = restored {
                tracing::error!("{origin}: could not restore the previous rules: {r:#}");
            }
            return Err(anyhow::anyhow!(
                "{origin}: the rules were not applied: rules history and audit log: {e:#}"
            )
            .into());
        }
    };
    tracing::info!(path = %origin, rules = rules.rule_names.len(), hash = version.short(), version = version.number, user = recording.user, "rules applied");
    Ok(Applied {
        rules,
        path,
        version,
    })
}

/// Keeps the editor's unapplied text (atomically, user-only).
pub fn save_draft(config: &Config, text: &str) -> Result<()> {
    crate::files::write_atomically(&draft_path(config), text.as_bytes())
}

/// The editor's unapplied text, if a draft was kept.
pub fn load_draft(config: &Config) -> Option<String> {
    let path = draft_path(config);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!("{}: cannot read the draft: {e}", path.display());
            None
        }
    }
}

/// Forgets the draft (after an apply, or when the author discards it).
pub fn discard_draft(config: &Config) -> Result<()> {
    let path = draft_path(config);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("{}: cannot remove the draft", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileConfig;
    use crate::plan::DEFAULT_RULES;
    use sha2::{Digest, Sha256};
    use std::path::Path;

    fn config_in(dir: &Path) -> Config {
        let mut file = FileConfig::default();
        file.purchasing.url = Some(format!(
            "sqlite://{}",
            dir.join("purchasing.sqlite").display()
        ));
        file.general.user = Some("alice".into());
        Config {
            file,
            origin: "test config".into(),
            data_dir: dir.to_path_buf(),
        }
    }

    fn raised_threshold() -> String {
        let text = DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount > 50000");
        assert_ne!(text, DEFAULT_RULES, "the shipped rules have the threshold");
        text
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apply_writes_the_file_records_a_version_and_audits() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let store = Store::open(&config).await.unwrap();
        let path = config.rules_path();
        assert_eq!(path, dir.path().join("purchasing.grl"));

        let first = apply(&config, &store, DEFAULT_RULES, "alice")
            .await
            .unwrap();
        assert_eq!(first.path, path);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DEFAULT_RULES);
        assert_eq!(first.rules.origin, path.display().to_string());
        assert_eq!(first.version.number, 1);
        assert_eq!(first.version.previous, None);

        // Twice within a second: two versions, each linked to the one before.
        let raised = raised_threshold();
        let second = apply(&config, &store, &raised, "bob").await.unwrap();
        let third = apply(&config, &store, &raised, "bob").await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), raised);
        assert_eq!(second.rules.text.as_ref(), raised);
        assert_eq!((second.version.number, third.version.number), (2, 3));
        let full = |t: &str| {
            Sha256::digest(t.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(second.version.sha256, full(&raised));
        assert_eq!(
            second.version.previous.as_deref(),
            Some(full(DEFAULT_RULES).as_str())
        );
        assert_eq!(
            third.version.previous.as_deref(),
            Some(full(&raised).as_str())
        );
        assert!(full(&raised).starts_with(second.version.short()));
        let kept = store.rules_versions().await.unwrap();
        assert_eq!(kept.len(), 3, "{kept:?}");
        assert_eq!(kept[1], second.version);
        assert_eq!(
            store.rules_version(1).await.unwrap().unwrap().text,
            DEFAULT_RULES,
            "the text is kept whole"
        );
        // The history is the store now: no history folder.
        assert!(!dir.path().join("rules-history").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        // One audit row per apply, naming the version and both full hashes.
        let log = store.audit_log().await.unwrap();
        let applied: Vec<_> = log
            .iter()
            .filter(|r| r[2].as_deref() == Some("rules_applied"))
            .collect();
        assert_eq!(applied.len(), 3, "{log:?}");
        assert_eq!(applied[0][1].as_deref(), Some("alice"));
        assert_eq!(applied[1][1].as_deref(), Some("bob"));
        assert_eq!(applied[1][3], None, "no product");
        let n = second.rules.rule_names.len();
        assert_eq!(
            applied[1][4].as_deref().unwrap(),
            format!(
                "{}: version 2, {n} rules, sha256 {}, previous {}",
                path.display(),
                full(&raised),
                full(DEFAULT_RULES)
            )
        );
        assert_eq!(second.version.short().len(), 12);
        assert_ne!(first.version.short(), second.version.short());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn invalid_rules_write_nothing_and_return_the_diagnostics() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let store = Store::open(&config).await.unwrap();
        apply(&config, &store, DEFAULT_RULES, "alice")
            .await
            .unwrap();
        let broken = DEFAULT_RULES.replace("Product.amount > 10000", "Product.amount <> 10000");
        let err = apply(&config, &store, &broken, "alice").await.unwrap_err();
        assert!(matches!(err, ApplyError::Invalid(_)), "{err:?}");
        let errors: Vec<&Diagnostic> = err.diagnostics().iter().filter(|d| d.is_error()).collect();
        assert!(!errors.is_empty());
        let line = broken.lines().position(|l| l.contains("<> 10000")).unwrap() + 1;
        assert_eq!(errors[0].line, line, "{}", errors[0]);
        assert!(err.to_string().contains(&format!(":{line}:")), "{err}");
        assert_eq!(
            std::fs::read_to_string(config.rules_path()).unwrap(),
            DEFAULT_RULES,
            "the file in force is unchanged"
        );
        assert_eq!(
            store.rules_versions().await.unwrap().len(),
            1,
            "nothing kept"
        );
        let applied = store
            .audit_log()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r[2].as_deref() == Some("rules_applied"))
            .count();
        assert_eq!(applied, 1, "only the first apply is audited");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_audit_method_records_the_store_user() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let store = Store::open(&config).await.unwrap();
        store
            .audit("po_sent", Some("PROD-001"), "PO-7 by mail")
            .await
            .unwrap();
        let log = store.audit_log().await.unwrap();
        assert_eq!(log.len(), 1);
        let row = &log[0];
        assert_eq!(row[1].as_deref(), Some("alice"));
        assert_eq!(row[2].as_deref(), Some("po_sent"));
        assert_eq!(row[3].as_deref(), Some("PROD-001"));
        assert_eq!(row[4].as_deref(), Some("PO-7 by mail"));
    }

    #[test]
    fn a_draft_survives_until_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        assert_eq!(load_draft(&config), None);
        save_draft(&config, "rule \"A\" {").unwrap();
        save_draft(&config, "rule \"B\" {").unwrap();
        assert_eq!(load_draft(&config).as_deref(), Some("rule \"B\" {"));
        discard_draft(&config).unwrap();
        assert_eq!(load_draft(&config), None);
        discard_draft(&config).unwrap();
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_files_written_are_readable_by_the_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let store = Store::open(&config).await.unwrap();
        apply(&config, &store, DEFAULT_RULES, "alice")
            .await
            .unwrap();
        let second = apply(&config, &store, &raised_threshold(), "alice")
            .await
            .unwrap();
        save_draft(&config, "draft").unwrap();
        assert_eq!(second.version.number, 2);
        for path in [config.rules_path(), draft_path(&config)] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}: {mode:o}", path.display());
        }
    }

    #[test]
    fn rules_load_from_the_config_the_data_dir_or_the_embedded_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        let embedded = crate::live::load_rules(&config, None).unwrap();
        assert_eq!(embedded.origin, RuleSet::embedded().origin);

        crate::files::write_atomically(&config.rules_path(), raised_threshold().as_bytes())
            .unwrap();
        let applied = crate::live::load_rules(&config, None).unwrap();
        assert_eq!(applied.origin, config.rules_path().display().to_string());
        assert_eq!(applied.text.as_ref(), raised_threshold());

        let explicit = dir.path().join("other.grl");
        std::fs::write(&explicit, DEFAULT_RULES).unwrap();
        let chosen = crate::live::load_rules(&config, Some(&explicit)).unwrap();
        assert_eq!(chosen.origin, explicit.display().to_string());

        config.file.general.rules = Some(dir.path().join("missing.grl"));
        assert_eq!(config.rules_path(), dir.path().join("missing.grl"));
        let err = crate::live::load_rules(&config, None).unwrap_err();
        assert!(
            err.to_string().contains("missing.grl: cannot read"),
            "{err}"
        );
    }
}
