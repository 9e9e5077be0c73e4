//! TLS settings in source URLs reach the driver (README, "TLS"): against the
//! local PostgreSQL and MariaDB, whatever TLS they offer. A server that
//! offers TLS is used with `sslmode=require` / `ssl-mode=REQUIRED`, and not
//! with `disable`; a server without TLS refuses a URL that requires it with
//! an error naming the source; a certificate that cannot be verified, or a
//! CA file that is not there, is an error naming the source too.

mod common;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::sources::{Access, Source};
use common::{Db, Role, ScratchDb};
use sqlx::Executor;

/// The oms source at `scratch`, with `query` appended to its URL.
fn config_with(scratch: &ScratchDb, query: &str) -> Config {
    let mut file = FileConfig::default();
    scratch.configure(&mut file.oms);
    let url = file.oms.url.take().unwrap();
    file.oms.url = Some(format!("{url}?{query}"));
    file.oms.connect_timeout_secs = 5.0;
    Config {
        file,
        origin: "tls test".into(),
        data_dir: std::env::temp_dir(),
    }
}

async fn connect(scratch: &ScratchDb, query: &str) -> anyhow::Result<Source> {
    let resolved = config_with(scratch, query)
        .resolve(SourceKind::Oms)
        .unwrap();
    assert!(
        resolved.redacted_url.ends_with(&format!("?{query}")),
        "the TLS settings are shown: {}",
        resolved.redacted_url
    );
    Source::connect(&resolved, Access::ReadOnly).await
}

/// The error of a connection that must fail: it names the source, shows
/// the settings, and never the password.
async fn refused(scratch: &ScratchDb, query: &str) -> String {
    let err = match connect(scratch, query).await {
        Ok(_) => panic!("{query}: connected"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.starts_with("oms source (") && err.contains(query),
        "the error names the source and its settings: {err}"
    );
    if let Ok(pw) = std::env::var(common::ROLE_PASSWORD_ENV) {
        assert!(pw.len() < 4 || !err.contains(&pw), "the password leaks");
    }
    err
}

async fn one_value(source: &Source, sql: &str) -> String {
    let rows = source.fetch_text(sql, &[]).await.unwrap();
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sslmode_passes_through() {
    let test = "postgres_sslmode_passes_through";
    let Some(admin) = Db::Postgres.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(Db::Postgres, &admin, "oms", Role::Reader).await;
    let server = sqlx::PgPool::connect(&admin).await.unwrap();
    let (ssl,): (String,) = sqlx::query_as("SHOW ssl").fetch_one(&server).await.unwrap();
    let (cert_file,): (String,) = sqlx::query_as("SHOW ssl_cert_file")
        .fetch_one(&server)
        .await
        .unwrap();
    server.close().await;
    let in_use = "SELECT CAST(ssl AS TEXT) FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    let plain = connect(&scratch, "sslmode=disable")
        .await
        .expect("sslmode=disable connects");
    assert_eq!(one_value(&plain, in_use).await, "false", "{test}: disable");
    plain.close().await;

    if ssl == "on" {
        eprintln!("{test}: the server offers TLS ({cert_file})");
        let tls = connect(&scratch, "sslmode=require")
            .await
            .expect("sslmode=require connects to a server with TLS");
        assert_eq!(
            one_value(&tls, in_use).await,
            "true",
            "{test}: require uses TLS"
        );
        tls.close().await;
        // verify-full checks the certificate against the CA file, or the
        // public roots without one: a self-signed test certificate fails.
        let err = refused(&scratch, "sslmode=verify-full").await;
        eprintln!("{test}: verify-full without the CA: {err}");
        // The server's own certificate as the CA file: the chain verifies
        // (no UnknownIssuer). sqlx 0.8.6 with rustls >= 0.23.24 checks the
        // host name even for verify-ca (sqlx issue #3793), so a certificate
        // made for another name than 127.0.0.1 still fails, on the name.
        if std::fs::read(&cert_file).is_ok() {
            let with_ca = format!("sslmode=verify-ca&sslrootcert={cert_file}");
            match connect(&scratch, &with_ca).await {
                Ok(s) => {
                    assert_eq!(one_value(&s, in_use).await, "true");
                    s.close().await;
                    eprintln!("{test}: {with_ca} connects");
                }
                Err(e) => {
                    let e = format!("{e:#}");
                    assert!(
                        e.starts_with("oms source (") && e.contains("not valid for name"),
                        "{test}: the CA file is read and the chain verified: {e}"
                    );
                    eprintln!("{test}: {with_ca}: {e}");
                }
            }
        }
    } else {
        eprintln!("{test}: the server offers no TLS");
        let err = refused(&scratch, "sslmode=require").await;
        eprintln!("{test}: require: {err}");
    }
    // A CA file that is not there is named.
    let err = refused(
        &scratch,
        "sslmode=verify-ca&sslrootcert=/nonexistent/buyerdesk-ca.pem",
    )
    .await;
    assert!(
        err.contains("/nonexistent/buyerdesk-ca.pem") || err.to_lowercase().contains("tls"),
        "{test}: {err}"
    );
    eprintln!("{test}: missing CA file: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_ssl_mode_passes_through() {
    let test = "mariadb_ssl_mode_passes_through";
    let Some(admin) = Db::MySql.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(Db::MySql, &admin, "oms", Role::Reader).await;
    let server = sqlx::MySqlPool::connect(&admin).await.unwrap();
    let have_ssl: Option<(String, String)> = sqlx::query_as("SHOW VARIABLES LIKE 'have_ssl'")
        .fetch_optional(&server)
        .await
        .unwrap();
    server.execute("SELECT 1").await.unwrap();
    server.close().await;
    let tls_offered = have_ssl.is_some_and(|(_, v)| v.eq_ignore_ascii_case("YES"));
    let cipher = "SELECT CAST(VARIABLE_VALUE AS CHAR) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'";

    let plain = connect(&scratch, "ssl-mode=DISABLED")
        .await
        .expect("ssl-mode=DISABLED connects");
    assert_eq!(one_value(&plain, cipher).await, "", "{test}: DISABLED");
    plain.close().await;

    if tls_offered {
        eprintln!("{test}: the server offers TLS");
        let tls = connect(&scratch, "ssl-mode=REQUIRED")
            .await
            .expect("ssl-mode=REQUIRED connects to a server with TLS");
        assert_ne!(one_value(&tls, cipher).await, "", "{test}: REQUIRED");
        tls.close().await;
    } else {
        eprintln!("{test}: the server offers no TLS");
        let err = refused(&scratch, "ssl-mode=REQUIRED").await;
        eprintln!("{test}: REQUIRED: {err}");
    }
    let err = refused(
        &scratch,
        "ssl-mode=VERIFY_CA&ssl-ca=/nonexistent/buyerdesk-ca.pem",
    )
    .await;
    eprintln!("{test}: missing CA file: {err}");
}
