//! Rules versions in the purchasing store (migration 8) on SQLite,
//! PostgreSQL and MariaDB: numbered one after another even when two
//! workstations record at once, each linked to the one before, kept whole,
//! found by path, and audited in the same transaction.

mod common;

use buyerdesk::config::{Config, FileConfig};
use buyerdesk::store::rules_versions::{sha256_hex, NewVersion};
use buyerdesk::store::Store;
use common::{Db, Role, ScratchDb};

fn config_in(db: &ScratchDb, user: &str, data: &std::path::Path) -> Config {
    let mut file = FileConfig::default();
    db.configure(&mut file.purchasing);
    file.general.user = Some(user.into());
    Config {
        file,
        origin: "rules versions test".into(),
        data_dir: data.to_path_buf(),
    }
}

/// A rules text of more than 2,000 characters (MariaDB's VARCHAR(2000)
/// would cut it) with text from outside ASCII.
fn long_text(n: usize) -> String {
    let mut text = format!("// version {n}: Größe, 数量, café\n");
    while text.len() < 5_000 {
        text.push_str(&format!(
            "rule \"R{n}_{}\" salience 10 {{ when Product.order_qty > {n} then Product.requires_approval = true; }}\n",
            text.len()
        ));
    }
    text
}

async fn versions_are_kept(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let alice = Store::open(&config_in(&scratch, "alice", data.path()))
        .await
        .unwrap();
    let bob = Store::open(&config_in(&scratch, "bob", data.path()))
        .await
        .unwrap();
    assert!(alice.rules_versions().await.unwrap().is_empty());
    assert!(alice.last_rules_version("/a.grl").await.unwrap().is_none());

    let first = long_text(1);
    let v1 = alice
        .record_rules_version(
            &NewVersion {
                user: "alice",
                how: "rules apply",
                origin: "/a.grl",
                text: &first,
                rules: 3,
                summary: Some("orders 5 -> 4, 1 of 9 products changed, 0 failing"),
            },
            &[("rules_applied", String::new())],
        )
        .await
        .unwrap();
    assert_eq!(v1.number, 1, "{test}");
    assert_eq!(v1.previous, None, "{test}");
    assert_eq!(v1.sha256, sha256_hex(&first), "{test}");

    // Two workstations recording at the same moment: distinct numbers, and
    // each one's previous is the version before it.
    let texts: Vec<String> = (2..8).map(long_text).collect();
    let tasks: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let store = if i % 2 == 0 {
                alice.clone()
            } else {
                bob.clone()
            };
            let text = text.clone();
            tokio::spawn(async move {
                let user = store.user.clone();
                store
                    .record_rules_version(
                        &NewVersion {
                            user: &user,
                            how: "changed on disk",
                            origin: "/b.grl",
                            text: &text,
                            rules: 1,
                            summary: None,
                        },
                        &[("rules_reloaded", "picked up".to_string())],
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap_or_else(|e| panic!("{test}: {e:#}"));
    }
    let all = bob.rules_versions().await.unwrap();
    let numbers: Vec<i64> = all.iter().map(|v| v.number).collect();
    assert_eq!(numbers, (1..=7).collect::<Vec<_>>(), "{test}");
    for pair in all.windows(2) {
        assert_eq!(
            pair[1].previous.as_deref(),
            Some(pair[0].sha256.as_str()),
            "{test}: version {} follows {}",
            pair[1].number,
            pair[0].number
        );
    }
    // Kept whole, read back by number.
    for v in &all[1..] {
        let kept = alice.rules_version(v.number).await.unwrap().unwrap();
        assert_eq!(sha256_hex(&kept.text), v.sha256, "{test}: {}", v.number);
        assert!(texts.contains(&kept.text), "{test}: {}", v.number);
    }
    assert_eq!(alice.rules_version(1).await.unwrap().unwrap().text, first);
    assert_eq!(
        all[0].summary.as_deref(),
        Some("orders 5 -> 4, 1 of 9 products changed, 0 failing")
    );
    assert!(alice.rules_version(99).await.unwrap().is_none());
    // All with their texts in one read (the editor's panel).
    let whole = bob.rules_versions_with_text().await.unwrap();
    assert_eq!(
        whole.iter().map(|v| v.info.clone()).collect::<Vec<_>>(),
        all,
        "{test}"
    );
    assert!(
        whole.iter().all(|v| sha256_hex(&v.text) == v.info.sha256),
        "{test}"
    );

    // The newest for a path, else the newest of all.
    assert_eq!(
        alice
            .last_rules_version("/a.grl")
            .await
            .unwrap()
            .unwrap()
            .info
            .number,
        1,
        "{test}"
    );
    assert_eq!(
        alice
            .last_rules_version("/b.grl")
            .await
            .unwrap()
            .unwrap()
            .info
            .number,
        7,
        "{test}"
    );
    assert_eq!(
        alice
            .last_rules_version("/c.grl")
            .await
            .unwrap()
            .unwrap()
            .info
            .number,
        7,
        "{test}: no version for that path, the newest"
    );

    // One audit row per version, naming its number and both full hashes.
    let log = alice.audit_log().await.unwrap();
    let rows: Vec<&Vec<Option<String>>> = log
        .iter()
        .filter(|r| {
            matches!(
                r[2].as_deref(),
                Some("rules_applied") | Some("rules_reloaded")
            )
        })
        .collect();
    assert_eq!(rows.len(), 7, "{test}: {log:?}");
    for v in &all {
        let detail = format!(
            "version {}, {} rules, sha256 {}, previous {}",
            v.number,
            v.rules,
            v.sha256,
            v.previous.as_deref().unwrap_or("none")
        );
        assert!(
            rows.iter()
                .any(|r| r[4].as_deref().is_some_and(|d| d.contains(&detail))),
            "{test}: {detail} not audited"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_versions_are_kept() {
    versions_are_kept("sqlite_rules_versions", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_versions_are_kept() {
    versions_are_kept("postgres_rules_versions", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_versions_are_kept() {
    versions_are_kept("mariadb_rules_versions", Db::MySql).await;
}
