//! Least privilege, against the roles `.ci/run` creates (README, "Least
//! privilege"): the reader role buyerdesk is given for the sources can read
//! them and plan, and cannot change them in any way, so the rest of the
//! suite, which runs buyerdesk through that role, would fail on any write
//! to a source; the writer role migrates and uses its purchasing database
//! and cannot read a source's tables.

mod common;

use buyerdesk::config::SourceKind;
use buyerdesk::sources::{Access, Source, Sources};
use buyerdesk::store::Store;
use buyerdesk::{demo, live};
use common::{Db, Role, ScratchDb, Setup};

/// The server's words for "not allowed" (PostgreSQL: "permission denied",
/// "must be owner"; MariaDB: "command denied", "access denied").
fn refused_for_privilege(error: &str) -> bool {
    let e = error.to_lowercase();
    e.contains("denied") || e.contains("must be owner")
}

async fn reader_cannot_write(test: &str, db: Db) {
    let Some((admin, reader)) = db.admin_and_role(test, Role::Reader) else {
        return;
    };
    let Some(setup) = Setup::new(test, [db; 4]).await else {
        return;
    };
    for scratch in &setup.dbs {
        assert_eq!(
            scratch.role.as_deref(),
            Some(reader.as_str()),
            "{test}: the sources go through the reader role"
        );
    }
    demo::seed(&setup.admin_config, 20, 7, false, false)
        .await
        .expect("the admin seeds");

    // What buyerdesk does with a source: read and plan, through the reader.
    let sources = Sources::connect(&setup.config)
        .await
        .expect("the reader connects");
    let rules = live::load_rules(&setup.config, None).unwrap();
    let (plans, _) = live::plan_products(&sources, &rules, &Default::default(), &[])
        .await
        .expect("the reader plans");
    assert_eq!(plans.len(), 20, "{test}: every product planned");
    sources.close().await;

    // Every kind of write, on every source, is refused by the server.
    let tables = [
        (SourceKind::Oms, "oms_history"),
        (SourceKind::Inventory, "inventory"),
        (SourceKind::Supplier, "suppliers"),
        (SourceKind::Uom, "uom_conversions"),
    ];
    for (kind, table) in tables {
        let resolved = setup.config.resolve(kind).unwrap();
        assert!(
            resolved.redacted_url.contains(&format!("{reader}@")),
            "{test}: {kind} goes through {reader}: {}",
            resolved.redacted_url
        );
        // ReadWrite asks nothing more of a server: only the role decides.
        let source = Source::connect(&resolved, Access::ReadWrite)
            .await
            .unwrap_or_else(|e| panic!("{test}: {kind} through the reader: {e:#}"));
        let before = source.count_rows(table).await.unwrap();
        for sql in [
            format!("INSERT INTO {table} (product_id) VALUES ('WRITE-TEST')"),
            format!("UPDATE {table} SET product_id = product_id"),
            format!("DELETE FROM {table}"),
            format!("CREATE TABLE {table}_copy (product_id VARCHAR(32))"),
            format!("DROP TABLE {table}"),
            format!("ALTER TABLE {table} ADD COLUMN extra INTEGER"),
        ] {
            let err = match source.execute(&sql).await {
                Ok(()) => panic!("{test}: {kind}: the reader was allowed to run {sql}"),
                Err(e) => format!("{e:#}"),
            };
            assert!(
                err.starts_with(&format!("{kind} source (")),
                "{test}: the error names the source: {err}"
            );
            assert!(
                refused_for_privilege(&err),
                "{test}: {kind}: {sql}: refused for want of privilege: {err}"
            );
            if let Ok(pw) = std::env::var(common::ROLE_PASSWORD_ENV) {
                assert!(
                    pw.len() < 4 || !err.contains(&pw),
                    "{test}: the password leaks"
                );
            }
        }
        assert_eq!(
            source.count_rows(table).await.unwrap(),
            before,
            "{test}: {kind}: {table} unchanged"
        );
        source.close().await;
    }

    // demo, the one command that writes sources, is refused too.
    let err = demo::seed(&setup.config, 5, 7, true, false)
        .await
        .expect_err("demo through the reader");
    assert!(
        refused_for_privilege(&format!("{err:#}")),
        "{test}: {err:#}"
    );

    // The writer role: buyerdesk's purchasing database works (migrations,
    // an audit entry), and a source's rows are out of its reach.
    let Some(writer) = db.role_name(Role::Writer) else {
        return;
    };
    let purchasing = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let mut config = setup.config.clone();
    purchasing.configure(&mut config.file.purchasing);
    assert!(purchasing.url.contains(&format!("{writer}@")));
    let store = Store::open(&config)
        .await
        .expect("the writer migrates its database");
    store
        .audit("privilege_test", None, "written")
        .await
        .unwrap();
    assert!(store.schema_version().await.unwrap() >= 2);
    store.source.close().await;

    let mut as_writer = setup.config.clone();
    let mut u = url::Url::parse(&setup.dbs[SourceKind::Inventory as usize].url).unwrap();
    u.set_username(&writer).unwrap();
    as_writer.file.inventory.url = Some(u.to_string());
    let refused = match Source::connect(
        &as_writer.resolve(SourceKind::Inventory).unwrap(),
        Access::ReadWrite,
    )
    .await
    {
        // PostgreSQL lets anyone connect; the table is what is refused.
        Ok(source) => {
            let r = source.count_rows("inventory").await;
            source.close().await;
            r.map(|_| ())
        }
        // MariaDB refuses the database itself.
        Err(e) => Err(e),
    };
    let err = format!("{:#}", refused.expect_err("the writer reads a source"));
    assert!(refused_for_privilege(&err), "{test}: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reader_cannot_write() {
    reader_cannot_write("postgres_reader_cannot_write", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_reader_cannot_write() {
    reader_cannot_write("mariadb_reader_cannot_write", Db::MySql).await;
}
