//! The real binary, as a buyer or an operator runs it.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::bin;

/// Runs buyerdesk with its own data dir and config dir, and no inherited
/// source overrides.
fn run(data_dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("BUYERDESK_DATA_DIR", data_dir)
        .env("XDG_CONFIG_HOME", data_dir.join("config-home"))
        .env("HOME", data_dir)
        .current_dir(data_dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("BUYERDESK_") && k != "BUYERDESK_DATA_DIR" || k.ends_with("_DB_HOST") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("buyerdesk runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn fresh_checkout_plans_prod_001_on_the_embedded_demo() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["plan", "--product", "PROD-001", "--format", "json"],
        &[],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON array");
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), 1);
    let p = &arr[0];
    for field in [
        "product_id",
        "product_name",
        "supplier_id",
        "supplier_name",
        "avg_daily_demand",
        "available_qty",
        "on_order_qty",
        "inventory_position",
        "lead_time_days",
        "target_qty",
        "net_requirement",
        "order_qty",
        "purchase_qty",
        "purchase_uom",
        "stock_uom",
        "unit_price",
        "amount",
        "requires_approval",
        "exceptions",
        "rationale",
        "demand_rate",
        "safety_stock_used",
        "forecast",
    ] {
        assert!(
            p.get(field).is_some(),
            "PROD-001: field {field} missing from JSON"
        );
    }
    // No daily history: the OMS average, the inventory's safety stock.
    assert_eq!(p["demand_rate"], 150.0);
    assert_eq!(p["forecast"]["status"], "none");
    assert_eq!(p["forecast"]["class"], "short");
    assert_eq!(p["forecast"]["method"], "oms_average");
    assert_eq!(p["forecast"]["horizon_days"], 7);
    assert_eq!(p["order_qty"], 600.0);
    assert_eq!(p["purchase_qty"], 50.0);
    assert_eq!(p["amount"], 9300.0);
    assert_eq!(p["requires_approval"], false);
    let steps = p["rationale"].as_array().unwrap();
    assert!(steps
        .iter()
        .any(|s| s["kind"] == "input" && s["source"] == "oms.oms_history"));
    assert!(steps
        .iter()
        .any(|s| s["rule"] == "Requirement" && s["changes"][1]["numbers"] == "150 * 7"));
    assert!(steps.iter().any(|s| s["kind"] == "check"));
    // The demo was created in the data dir, and nothing was written to the terminal but the plan.
    assert!(dir.path().join("demo/oms.sqlite").is_file());
    assert!(stderr(&out).is_empty(), "stderr: {}", stderr(&out));
    // The fingerprints' read of the history statistics goes along the
    // demo's covering index, not a scan and a temporary B-tree (490 ->
    // 235 ms on the demo's 1.46 million rows: docs/BENCHMARKS.md).
    let oms = rusqlite::Connection::open(dir.path().join("demo/oms.sqlite")).unwrap();
    let plan: Vec<String> = oms
        .prepare(
            "EXPLAIN QUERY PLAN SELECT product_id, COUNT(qty), SUM(qty), SUM(qty * qty), \
             MIN(day), MAX(day) FROM oms_daily_demand GROUP BY product_id",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter().any(|p| p.contains("USING COVERING INDEX"))
            && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}

#[test]
fn table_lists_orders_and_exceptions_first_and_csv_parses() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["plan"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text
        .lines()
        .find(|l| l.contains("Product"))
        .expect("header");
    for col in [
        "Demand/d",
        "Avail",
        "Order qty",
        "Purchase",
        "Amount",
        "Exceptions",
    ] {
        assert!(header.contains(col), "header lacks {col}: {header}");
    }
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("PROD-") || t.starts_with("SKU-")
        })
        .collect();
    assert!(rows.len() >= 1900, "{} rows", rows.len());
    // Cross-check the order against the JSON: every product that needs an
    // order or has an exception comes before every quiet one.
    let json = run(dir.path(), &["plan", "--format", "json"], &[]);
    let plans: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    let actionable = |id: &str| {
        let p = plans
            .iter()
            .find(|p| p["product_id"] == id)
            .unwrap_or_else(|| panic!("{id} not in JSON"));
        p["order_qty"].as_f64().unwrap() > 0.0 || !p["exceptions"].as_array().unwrap().is_empty()
    };
    let flags: Vec<bool> = rows
        .iter()
        .map(|r| actionable(r.split_whitespace().next().unwrap()))
        .collect();
    let first_quiet = flags
        .iter()
        .position(|a| !a)
        .expect("some products need nothing");
    assert!(first_quiet > 0, "some products need action");
    assert!(
        flags[first_quiet..].iter().all(|a| !a),
        "a product needing action is listed after a quiet one"
    );
    assert_eq!(rows.len(), plans.len());
    assert!(rows[0].trim_start().starts_with("PROD-001"), "{}", rows[0]);

    let out = run(
        dir.path(),
        &[
            "plan",
            "--format",
            "csv",
            "--product",
            "PROD-002",
            "--product",
            "PROD-003",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = r.headers().unwrap().clone();
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 2);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&recs[0][col("order_qty")], "850.9756");
    assert_eq!(&recs[0][col("purchase_qty")], "386");
    assert_eq!(&recs[0][col("amount")], "21274.39");
    assert_eq!(&recs[0][col("requires_approval")], "true");
}

#[test]
fn unknown_product_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &["plan", "--product", "PROD-001", "--product", "NO-SUCH-ID"],
        &[],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("NO-SUCH-ID"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn config_syntax_error_gives_file_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[oms]\npool_size = 4\n\n[inventory\nurl = \"x\"\n").unwrap();
    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "plan"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with(&format!("{}:4: ", cfg.display())), "{err}");

    std::fs::write(&cfg, "[supplier]\nquery_timeout_secs = -1\n").unwrap();
    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "doctor"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(":2: [supplier] query_timeout_secs"),
        "{}",
        stderr(&out)
    );

    // A key binding that cannot be used stops every command the same way.
    std::fs::write(
        &cfg,
        "[keys]\npreset = \"vim\"\n\n[keys.detail]\ndown = [\"ctrl-e\", \"Dwn\"]\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "plan"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!(
            "{}:5: [keys.detail] down: unknown key 'Dwn'",
            cfg.display()
        )),
        "{}",
        stderr(&out)
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

#[test]
fn a_source_that_is_down_fails_fast_naming_it_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let cfg = dir.path().join("down.toml");
    std::fs::write(
        &cfg,
        format!("[inventory]\nurl = \"postgres://buyer@127.0.0.1:{port}/inventory\"\npassword_env = \"INV_PW\"\nconnect_timeout_secs = 3\n"),
    )
    .unwrap();
    let started = Instant::now();
    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "plan"],
        &[("INV_PW", "hunter2-secret")],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "inventory source (postgres://buyer@127.0.0.1:{port}/inventory)"
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "password leaked: {err}");

    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "doctor"],
        &[("INV_PW", "hunter2-secret")],
    );
    assert!(
        !out.status.success(),
        "doctor must fail when a source is down"
    );
    let report = stdout(&out);
    assert!(report.contains("[inventory] UNREACHABLE"), "{report}");
    assert!(report.contains("[oms] up"), "{report}");
    assert!(!report.contains("hunter2") && !stderr(&out).contains("hunter2"));
    let log = std::fs::read_to_string(dir.path().join("buyerdesk.log")).unwrap_or_default();
    assert!(!log.contains("hunter2"), "password in the log");
}

#[test]
fn doctor_reports_every_source_of_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["doctor"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let report = stdout(&out);
    for kind in ["oms", "inventory", "supplier", "uom", "purchasing"] {
        assert!(report.contains(&format!("[{kind}] up")), "{report}");
    }
    assert!(report.contains("backend:  sqlite 3."), "{report}");
    assert!(report.contains("inventory: 2"), "row count: {report}");
    assert!(
        report.contains("optional found:   on_order_qty, safety_stock, updated_at"),
        "{report}"
    );
    assert!(report.contains("latency:"), "{report}");
}

/// The purchasing database's identity as `doctor` prints it, and the key
/// form shown beside it.
fn doctor_identity(report: &str) -> String {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with("identity:"))
        .unwrap_or_else(|| panic!("no identity line: {report}"));
    let identity = line.split_whitespace().nth(1).unwrap().to_string();
    assert_eq!(identity.len(), 10, "{line}");
    assert!(
        identity
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() && !"ILOU".contains(c)),
        "{line}"
    );
    assert!(
        report.contains(&format!("keys:     PO-000123-{identity}")),
        "{report}"
    );
    identity
}

#[test]
fn doctor_shows_the_purchasing_databases_identity_and_its_key_form() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["doctor"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let first = doctor_identity(&stdout(&out));
    // Created once, kept in the database: the same on the next run.
    let out = run(dir.path(), &["doctor"], &[]);
    assert_eq!(doctor_identity(&stdout(&out)), first);
}

/// A purchasing SQLite file this workstation has used that disappears is
/// refused, by the commands and the screen's path alike, and not created
/// again: a new one would number its POs from PO-000001 again. `--init`
/// creates it on purpose, with a new identity.
#[test]
fn a_deleted_purchasing_file_is_refused_until_init() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["po", "draft", "--product", "PROD-001"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = run(dir.path(), &["doctor"], &[]);
    let before = doctor_identity(&stdout(&out));
    let file = dir.path().join("purchasing.sqlite");
    std::fs::remove_file(&file).unwrap();
    for args in [
        vec!["po", "list"],
        vec!["plan", "--product", "PROD-001"],
        vec!["doctor"],
    ] {
        let out = run(dir.path(), &args, &[]);
        assert!(!out.status.success(), "{args:?}: {}", stdout(&out));
        let said = format!("{}{}", stdout(&out), stderr(&out));
        let location = dir.path().canonicalize().unwrap().join("purchasing.sqlite");
        for part in [
            format!("the purchasing database at {}", location.display()),
            "is gone (the file does not exist)".to_string(),
            format!("as identity {before} since 20"),
            "Restore it from a backup".to_string(),
            "buyerdesk --init".to_string(),
        ] {
            assert!(said.contains(&part), "{args:?}: '{part}' missing: {said}");
        }
        assert!(!file.exists(), "{args:?}: the file was created again");
        if args == ["doctor"] {
            assert!(said.contains("[purchasing] REFUSED"), "{said}");
        }
    }
    // --init: a new database, numbered from PO-000001, with a new identity.
    let out = run(dir.path(), &["--init", "po", "list"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(file.exists());
    let out = run(dir.path(), &["doctor"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let after = doctor_identity(&stdout(&out));
    assert_ne!(after, before, "a new database, a new identity");
    let out = run(dir.path(), &["po", "draft", "--product", "PROD-001"], &[]);
    assert!(
        stdout(&out).contains("PO-000001"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["plan", "--help"],
        vec!["demo", "--help"],
        vec!["doctor", "--help"],
        vec!["rules", "check", "--help"],
        vec!["rules", "test", "--help"],
        vec!["rules", "apply", "--help"],
    ] {
        let out = run(dir.path(), &args, &[]);
        assert!(out.status.success(), "{args:?}");
        assert!(
            stdout(&out).contains("Usage: buyerdesk"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn a_broken_rules_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("broken.grl");
    std::fs::write(
        &rules,
        "rule \"A\" salience 1 no-loop {\n when Product.moq > 0\n then Log(\"hi\");\n}\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["plan", "--rules", rules.to_str().unwrap()],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "{}:3:7: error: Log(...) prints to the terminal",
            rules.display()
        )),
        "{}",
        stderr(&out)
    );
    std::fs::write(&rules, "// nothing here\n").unwrap();
    let out = run(
        dir.path(),
        &["rules", "check", rules.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(
            "{}:1:1: error: the file holds no rule",
            rules.display()
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rules_check_passes_the_shipped_rules_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/purchasing.grl");
    let names = "DemandFromForecast, DemandFromOmsAverage, ServiceLevelA, ServiceLevelB, ServiceLevelC, SafetyStockFromInventory, SafetyStockFromServiceLevel, Requirement, OrderTheShortage, MinimumOrderQuantity, MultipleIsOrderMultiple, MultipleIsMoq, RoundUpAndPrice, ApprovalAboveThreshold";
    let out = run(dir.path(), &["rules", "check", shipped], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), format!("{shipped}: 14 rules: {names}\n"));
    // The policy before forecasts ships beside it, and checks clean too.
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/reference.grl");
    let out = run(dir.path(), &["rules", "check", reference], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with(&format!("{reference}: 7 rules: Requirement,")),
        "{}",
        stdout(&out)
    );
    // Without a file: the configured rules, here the embedded ones.
    let out = run(dir.path(), &["rules", "check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        format!("embedded rules/purchasing.grl: 14 rules: {names}\n")
    );
    // Once rules are applied in the app (or by `rules apply`), those are
    // in force: `rules check` checks them and says which file they are.
    let raised = dir.path().join("raised.grl");
    std::fs::write(
        &raised,
        std::fs::read_to_string(shipped)
            .unwrap()
            .replace("Product.amount > 10000", "Product.amount > 20000"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["rules", "apply", raised.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let in_force = dir.path().join("purchasing.grl");
    assert!(in_force.exists(), "applied to the data directory's file");
    let out = run(dir.path(), &["rules", "check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        format!("{}: 14 rules: {names}\n", in_force.display())
    );
    // A broken file in force is what `rules check` reports.
    std::fs::write(
        &in_force,
        "rule \"A\" salience 1 {\n    when Product.moqq > 0\n    then Product.order_qty = 1;\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["rules", "check"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with(&format!("{}:2:", in_force.display())),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rules_check_prints_each_error_at_its_line_and_column_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.grl");
    std::fs::write(
        &file,
        "rule \"A\" salience 10 no-loop {\n    when\n        Product.moqq > 0 and Product.order_qty > 0\n    then\n        Product.order_qty = Product.moq;\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["rules", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let f = file.display();
    assert_eq!(
        stdout(&out),
        format!(
            "{f}:3:9: error: unknown field `Product.moqq`: the engine reads it as null and the rule never fires\n  \
             hint: did you mean `Product.moq`?\n\
             {f}:3:26: error: `and` is not an operator: the engine reads the rest as one value and the condition never matches\n  \
             hint: use `&&`\n\
             {f}: 2 errors, 0 warnings: the rules cannot be used\n"
        )
    );
    // The same file is refused where rules are loaded.
    let out = run(
        dir.path(),
        &["plan", "--rules", file.to_str().unwrap()],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{f}: the rules were not loaded: 2 errors")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_check_refuses_a_self_sustaining_rule_and_a_division_by_zero_at_their_positions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("margin.grl");
    std::fs::write(
        &file,
        "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05; }\n\
         rule \"Split\" salience 5 no-loop {\n    when Product.moq > 0\n    then Product.rounding_multiple = Product.moq / 0.0;\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["rules", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let f = file.display();
    assert_eq!(
        stdout(&out),
        format!(
            "{f}:1:1: error: no `no-loop`, and the write to `Product.order_qty` at line 1, column 67 cannot make the rule's condition false: it fires on every cycle up to the engine's limit of 100 and the product fails\n  \
             hint: add it: `rule \"SafetyMargin\" ... no-loop {{`\n\
             {f}:4:50: error: division by zero (`/ 0.0`): the rule fails at run time on every product it fires on\n  \
             hint: divide by a field that is never 0, or by a number other than 0\n\
             {f}: 2 errors, 0 warnings: the rules cannot be used\n"
        )
    );
}

#[test]
fn rules_check_of_a_latin1_file_names_the_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.grl");
    std::fs::write(
        &file,
        b"// Regel f\xfcr Mindestmengen\nrule \"A\" salience 1 no-loop { when Product.moq > 0 then Product.amount = 1; }\n",
    )
    .unwrap();
    let out = run(dir.path(), &["rules", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "{}: not UTF-8 text: line 1, byte 11 of the line (byte 11 of the file) is 0xFC; save the file as UTF-8",
            file.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_check_prints_warnings_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("warned.grl");
    std::fs::write(
        &file,
        "rule \"A\" salience 5000 no-loop {\n    when Product.moq > 0\n    then Product.order_qty = Product.moq;\n}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["rules", "check", file.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let f = file.display();
    assert_eq!(
        stdout(&out),
        format!(
            "{f}:1:19: warning: salience 5000 is outside buyerdesk's range 0 to 1000\n  \
             hint: buyerdesk's range is 0 to 1000, whole numbers; higher runs first\n\
             {f}: 1 rule, 1 warning: A\n"
        )
    );
}

#[test]
fn rules_check_of_a_missing_file_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["rules", "check", "no-such.grl"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no-such.grl: cannot read the rules file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    // Create the demo first so that the run below only plans and writes.
    assert!(run(dir.path(), &["plan", "--product", "PROD-001"], &[])
        .status
        .success());
    for format in ["json", "csv"] {
        let mut child = Command::new(bin())
            .args(["plan", "--format", format])
            .env("BUYERDESK_DATA_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config-home"))
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 64];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // stdout is dropped here: the rest of the output has nowhere to go.
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{format}: {}", stderr(&out));
    }
}

/// The shipped rules with `from` replaced by `to`, written to `name` in
/// `dir`.
fn candidate(dir: &std::path::Path, name: &str, from: &str, to: &str, extra: &str) -> String {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/purchasing.grl"))
            .unwrap();
    assert!(shipped.contains(from), "shipped rules lack {from:?}");
    let path = dir.join(name);
    std::fs::write(&path, format!("{}{extra}", shipped.replace(from, to))).unwrap();
    path.to_str().unwrap().to_string()
}

/// The table line of a product, split into words.
fn product_line<'a>(table: &'a str, id: &str) -> Option<Vec<&'a str>> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .map(|l| l.split_whitespace().collect())
}

fn summary_line<'a>(table: &'a str, label: &str) -> &'a str {
    table
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}:")))
        .unwrap_or_else(|| panic!("no {label} line in:\n{table}"))
        .trim()
}

#[test]
fn rules_test_of_a_higher_approval_threshold_shows_each_approval_that_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = candidate(
        dir.path(),
        "threshold.grl",
        "Product.amount > 10000",
        "Product.amount > 50000",
        "",
    );
    let out = run(dir.path(), &["rules", "test", &file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(
        table.starts_with(&format!(
            "Dry run of {file} against embedded rules/purchasing.grl: 2,000 products\n"
        )),
        "{table}"
    );
    assert_eq!(summary_line(&table, "Rule failures"), "none");
    // PROD-002 (21,274.39) no longer needs approval; PROD-003 (179,560.76)
    // still does, and PROD-001 (9,300.00) never did: neither is listed.
    assert_eq!(
        product_line(&table, "PROD-002").expect("PROD-002 is listed"),
        [
            "PROD-002",
            "Resin",
            "B",
            "(kg)",
            "850.9756",
            "386",
            "lb",
            "21,274.39",
            "USD",
            "yes",
            "->",
            "no"
        ]
    );
    assert!(product_line(&table, "PROD-003").is_none(), "{table}");
    assert!(product_line(&table, "PROD-001").is_none(), "{table}");
    // The POs still waiting because of [orders] approval_threshold are
    // counted beside the lines the rules flag.
    let pos = summary_line(&table, "POs needing approval");
    assert!(
        pos.contains("above [orders] approval_threshold") && pos.contains("flagged by the rules"),
        "{pos}"
    );

    let out = run(
        dir.path(),
        &["rules", "test", &file, "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let s = &v["summary"];
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(s["changed"], changes.len());
    assert_eq!(s["approval_changed"], changes.len());
    assert_eq!(s["quantity_changed"], 0);
    for t in s["totals"].as_array().unwrap() {
        assert_eq!(t["amount_before"], t["amount_after"], "{t}");
    }
    assert_eq!(
        s["approvals_before"].as_u64().unwrap() - s["approvals_after"].as_u64().unwrap(),
        changes.len() as u64
    );
    // The POs: the lines flagged are the products needing approval that
    // order; fewer are flagged after, and the table says what the JSON does.
    let p = &s["po_approvals"];
    let n = |v: &serde_json::Value| v.as_u64().unwrap();
    assert!(
        n(&p["after"]["flagged_lines"]) < n(&p["before"]["flagged_lines"]),
        "{p}"
    );
    assert!(
        n(&p["after"]["pending"]) >= n(&p["after"]["above_threshold"]),
        "{p}"
    );
    assert_eq!(
        pos,
        format!(
            "{} of {} POs -> {} of {} POs ({} above [orders] approval_threshold, {} lines flagged by the rules)",
            n(&p["before"]["pending"]),
            n(&p["before"]["pos"]),
            n(&p["after"]["pending"]),
            n(&p["after"]["pos"]),
            n(&p["after"]["above_threshold"]),
            n(&p["after"]["flagged_lines"])
        )
    );
    // Exactly the orders between the two thresholds change, all yes -> no.
    for c in changes {
        let id = &c["product_id"];
        assert_eq!(
            c["changed"],
            serde_json::json!(["requires_approval"]),
            "{id}"
        );
        assert_eq!(
            (
                &c["before"]["requires_approval"],
                &c["after"]["requires_approval"]
            ),
            (&true.into(), &false.into()),
            "{id}"
        );
        let amount = c["after"]["amount"].as_f64().unwrap();
        assert!(
            amount > 10000.0 && amount <= 50000.0,
            "{id}: amount {amount}"
        );
    }
    let prod_002 = changes
        .iter()
        .find(|c| c["product_id"] == "PROD-002")
        .expect("PROD-002");
    assert_eq!(prod_002["after"]["amount"], 21274.39);
    assert!(prod_002["rationale"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["text"] == "Check: 386 lb x 2.2046 = 850.9756 kg; 850.9756 kg x 25 USD = 21,274.39 USD; auto-approved (finite, >= 0, pack and amount agree: ok)"));
    assert!(!changes.iter().any(|c| c["product_id"] == "PROD-003"));
}

#[test]
fn rules_test_of_another_rounding_policy_shows_quantities_old_and_new() {
    let dir = tempfile::tempdir().unwrap();
    let file = candidate(
        dir.path(),
        "rounding.grl",
        "Product.rounding_multiple = Product.moq;",
        "Product.rounding_multiple = 1.0;",
        "",
    );
    let out = run(dir.path(), &["rules", "test", &file, "--why"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    // PROD-001: net 550 in boxes of 12, no longer rounded to the MOQ of 100.
    assert_eq!(
        product_line(&table, "PROD-001").expect("PROD-001 is listed"),
        [
            "PROD-001", "Widget", "A", "(pieces)", "600", "->", "552", "50", "boxes", "->", "46",
            "boxes", "9,300.00", "->", "8,556.00", "USD", "no"
        ]
    );
    assert_eq!(
        product_line(&table, "PROD-002").expect("PROD-002 is listed"),
        [
            "PROD-002",
            "Resin",
            "B",
            "(kg)",
            "850.9756",
            "->",
            "828.9296",
            "386",
            "lb",
            "->",
            "376",
            "lb",
            "21,274.39",
            "->",
            "20,723.24",
            "USD",
            "yes"
        ]
    );
    // --why: the candidate's steps under the product.
    let after_001 = table.split_once("PROD-001 ").unwrap().1;
    assert!(
        after_001.contains("Rule MultipleIsMoq: rounding_multiple = 1 (was 0)"),
        "{after_001}"
    );
    assert!(
        after_001.contains(
            "Check: 46 boxes x 12 = 552 pieces; 552 pieces x 15.5 USD = 8,556.00 USD; auto-approved"
        ),
        "{after_001}"
    );
    let changed = summary_line(&table, "Changed");
    let quantity: usize = changed
        .split_once("(quantity ")
        .and_then(|(_, r)| r.split(',').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("{changed}"));
    assert!(quantity >= 2, "{changed}");
}

#[test]
fn rules_test_reports_run_time_failures_per_rule_and_the_other_changes() {
    let dir = tempfile::tempdir().unwrap();
    // A loop on the largest orders (no no-loop: only a warning), a rule
    // writing a negative amount on the small ones, and a higher threshold.
    let file = candidate(
        dir.path(),
        "failing.grl",
        "Product.amount > 10000",
        "Product.amount > 50000",
        "\nrule \"Surcharge\" salience 10 {\n    when\n        Product.amount > 100000\n    then\n        Product.amount = Product.amount + Product.unit_price;\n}\n\nrule \"Rebate\" salience 5 no-loop {\n    when\n        Product.amount > 0 && Product.amount < 10000\n    then\n        Product.amount = Product.amount - Product.amount - Product.unit_price;\n}\n",
    );
    let out = run(dir.path(), &["rules", "test", &file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    // At the Surcharge rule's line, column 30 (after its salience).
    let surcharge_line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("rule \"Surcharge\""))
        .unwrap()
        + 1;
    assert!(
        table.starts_with(&format!(
            "{file}:{surcharge_line}:30: warning: no `no-loop`"
        )),
        "{table}"
    );
    let lines: Vec<&str> = table.lines().collect();
    let rebate = lines
        .iter()
        .position(|l| l.starts_with("  rule \"Rebate\" (refused result) on "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        lines[rebate].contains(": first PROD-001, "),
        "{}",
        lines[rebate]
    );
    assert_eq!(
        lines[rebate + 1],
        "    amount = -15.5 after the rules (must be a finite number >= 0)"
    );
    let surcharge = lines
        .iter()
        .find(|l| l.starts_with("  rule \"Surcharge\" (cycle limit) on "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(surcharge.contains("PROD-003"), "{surcharge}");
    assert!(summary_line(&table, "Rule failures").starts_with("2 rules on "));
    // The failing products lose their order; PROD-002 is still compared.
    assert_eq!(
        product_line(&table, "PROD-001").unwrap(),
        [
            "PROD-001",
            "Widget",
            "A",
            "(pieces)",
            "600",
            "->",
            "0",
            "50",
            "boxes",
            "->",
            "0",
            "9,300.00",
            "->",
            "0.00",
            "USD",
            "no",
            "+RULE_ERROR"
        ]
    );
    assert_eq!(
        product_line(&table, "PROD-003").unwrap(),
        [
            "PROD-003",
            "Solvent",
            "C",
            "(liter)",
            "4200.2516",
            "->",
            "0",
            "15898",
            "gallons",
            "->",
            "0",
            "179,560.76",
            "->",
            "0.00",
            "USD",
            "yes",
            "->",
            "no",
            "+RULE_ERROR"
        ]
    );
    assert_eq!(
        product_line(&table, "PROD-002").unwrap(),
        [
            "PROD-002",
            "Resin",
            "B",
            "(kg)",
            "850.9756",
            "386",
            "lb",
            "21,274.39",
            "USD",
            "yes",
            "->",
            "no"
        ]
    );

    let out = run(
        dir.path(),
        &["rules", "test", &file, "--format", "json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    // Warnings go to stderr, so stdout stays JSON.
    assert!(
        stderr(&out).contains("warning: no `no-loop`"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let failures = v["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert_eq!(failures[0]["rule"], "Rebate");
    assert_eq!(failures[0]["kind"], "bad_result");
    assert_eq!(failures[0]["products"][0], "PROD-001");
    assert_eq!(failures[1]["rule"], "Surcharge");
    assert_eq!(failures[1]["kind"], "cycle_limit");
    let counted: u64 = failures.iter().map(|f| f["count"].as_u64().unwrap()).sum();
    assert_eq!(v["summary"]["failed_products"], counted);
}

#[test]
fn rules_test_of_identical_rules_changes_nothing_and_of_broken_rules_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let same = candidate(dir.path(), "same.grl", "rule", "rule", "");
    let out = run(dir.path(), &["rules", "test", &same], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert_eq!(summary_line(&table, "Changed"), "none");
    assert_eq!(summary_line(&table, "Rule failures"), "none");
    let orders = summary_line(&table, "Orders");
    let (before, after) = orders.split_once(" -> ").unwrap();
    assert_eq!(before, after);
    assert!(!table.contains("Product "), "no product table: {table}");
    let out = run(
        dir.path(),
        &["rules", "test", &same, "--format", "json"],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["summary"]["changed"], 0);
    assert_eq!(v["changes"], serde_json::json!([]));
    for t in v["summary"]["totals"].as_array().unwrap() {
        assert_eq!(t["amount_before"], t["amount_after"], "{t}");
    }

    // Errors: printed as rules check prints them, nothing planned, exit 1.
    let broken = dir.path().join("broken.grl");
    std::fs::write(
        &broken,
        "rule \"A\" salience 10 no-loop {\n    when\n        Product.moqq > 0\n    then\n        Product.order_qty = Product.moq;\n}\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["rules", "test", broken.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let b = broken.display();
    assert_eq!(
        stdout(&out),
        format!(
            "{b}:3:9: error: unknown field `Product.moqq`: the engine reads it as null and the rule never fires\n  \
             hint: did you mean `Product.moq`?\n\
             {b}: 1 error, 0 warnings: the rules cannot be used\n"
        )
    );
    let out = run(dir.path(), &["rules", "test", "no-such.grl"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no-such.grl: cannot read the rules file"));
    // A broken config stops it like every command.
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[oms\n").unwrap();
    let out = run(
        dir.path(),
        &["--config", cfg.to_str().unwrap(), "rules", "test", &same],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------
// Output that fits the terminal: each table parsed back and checked against
// the JSON of the same command, at 80 and 120 columns and piped.

/// The widths a buyer's terminal has, most often.
const WIDTHS: [usize; 2] = [80, 120];

/// A table as buyerdesk prints it: the titles, and per row its cells
/// (a wrapped cell's lines joined by a space) and the lines under it that
/// are not cells (a PO's note).
#[derive(Debug)]
struct Parsed {
    titles: Vec<String>,
    rows: Vec<Row>,
    /// The lines after the table (the columns left out, totals).
    after: Vec<String>,
}

#[derive(Debug)]
struct Row {
    cells: Vec<String>,
    notes: Vec<String>,
}

impl Parsed {
    fn column(&self, title: &str) -> Option<usize> {
        self.titles.iter().position(|t| t == title)
    }

    /// The cell of `title` in `row`, if the column is shown.
    fn cell<'a>(&self, row: &'a Row, title: &str) -> Option<&'a str> {
        self.column(title).map(|i| row.cells[i].as_str())
    }
}

/// Parses the first table of `text`: the line above the first rule of `─`
/// runs is the header; each run is a column. A line starting with a space
/// continues the row above (its cells, or with `notes_under`, a note); the
/// table ends at an empty line or a line that is neither.
fn parse_table(text: &str, notes_under: bool) -> Parsed {
    let lines: Vec<&str> = text.lines().collect();
    let is_rule = |l: &str| l.contains('─') && l.chars().all(|c| c == '─' || c == ' ');
    let at = lines
        .iter()
        .position(|l| is_rule(l))
        .unwrap_or_else(|| panic!("no table in:\n{text}"));
    let rule: Vec<char> = lines[at].chars().collect();
    let mut spans = Vec::new();
    let mut k = 0;
    while k < rule.len() {
        if rule[k] == '─' {
            let start = k;
            while k < rule.len() && rule[k] == '─' {
                k += 1;
            }
            spans.push((start, k));
        } else {
            k += 1;
        }
    }
    let slice = |line: &str| -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        spans
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| {
                let end = if i + 1 == spans.len() { chars.len() } else { b };
                chars
                    .get(a.min(chars.len())..end.min(chars.len()).max(a.min(chars.len())))
                    .map(|c| c.iter().collect::<String>().trim().to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    let titles = slice(lines[at - 1]);
    let mut rows: Vec<Row> = Vec::new();
    let mut end = lines.len();
    for (n, line) in lines.iter().enumerate().skip(at + 1) {
        if line.is_empty() || line.starts_with("Not shown at ") {
            end = n;
            break;
        }
        if line.starts_with(' ') {
            let row = rows.last_mut().expect("a continuation line after a row");
            if notes_under {
                row.notes.push(line.trim().to_string());
            } else {
                for (cell, more) in row.cells.iter_mut().zip(slice(line)) {
                    if !more.is_empty() {
                        cell.push(' ');
                        cell.push_str(&more);
                    }
                }
            }
        } else {
            rows.push(Row {
                cells: slice(line),
                notes: Vec::new(),
            });
        }
    }
    Parsed {
        titles,
        rows,
        after: lines[end..].iter().map(|l| l.to_string()).collect(),
    }
}

/// No line wider than `width` columns.
fn assert_fits(text: &str, width: usize, what: &str) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "{what} at {width} columns: a line of {} columns:\n{line}",
            line.chars().count()
        );
    }
}

/// The columns the note under the table says were left out.
fn dropped_columns(after: &[String], width: usize) -> Vec<String> {
    let note = after.join(" ");
    let Some(rest) = note.split_once(&format!("Not shown at {width} columns: ")) else {
        return Vec::new();
    };
    rest.1
        .split(" (")
        .next()
        .unwrap()
        .split(", ")
        .map(str::to_string)
        .collect()
}

/// "1,299,902.43" as a number.
fn money(text: &str) -> f64 {
    text.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not money: {text:?}"))
}

/// A JSON number, or the table's "-" for none.
fn figure_or_dash(v: &serde_json::Value, cell: &str, what: &str) {
    match v.as_f64() {
        None => assert_eq!(cell, "-", "{what}"),
        Some(x) => {
            let shown: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{what}: {cell:?} is not a figure"));
            assert!(
                (shown - x).abs() < 1e-9,
                "{what}: shows {cell}, the plan has {x}"
            );
        }
    }
}

const PLAN_TITLES: [&str; 14] = [
    "Product",
    "Name",
    "Supplier",
    "Demand/d",
    "Class",
    "Method",
    "Avail",
    "On order",
    "Cover d",
    "Order qty",
    "Purchase",
    "Amount",
    "Appr",
    "Exceptions",
];

/// Every row of a plan table against the plan's JSON: each product once,
/// its id whole, each figure shown equal to the plan's.
fn check_plan_rows(table: &Parsed, plans: &[serde_json::Value], what: &str) {
    use buyerdesk::plan::numbers::unit_word;
    assert_eq!(table.rows.len(), plans.len(), "{what}: one row per product");
    let by_id: std::collections::HashMap<&str, &serde_json::Value> = plans
        .iter()
        .map(|p| (p["product_id"].as_str().unwrap(), p))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for row in &table.rows {
        let id = table.cell(row, "Product").expect("the id always shows");
        let p = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{what}: {id:?} is no product id of the plan (cut?)"));
        assert!(seen.insert(id.to_string()), "{what}: {id} twice");
        let what = format!("{what}: {id}");
        let text_cell = |title: &str, value: &serde_json::Value, none: &str| {
            if let Some(cell) = table.cell(row, title) {
                let full = value.as_str().unwrap_or(none);
                match cell.strip_suffix('…') {
                    Some(start) => assert!(
                        full.starts_with(start) && start.len() < full.len(),
                        "{what}: {title} {cell:?} is not the start of {full:?}"
                    ),
                    None => assert_eq!(cell, full, "{what}: {title}"),
                }
            }
        };
        text_cell("Name", &p["product_name"], "");
        text_cell("Supplier", &p["supplier_name"], "-");
        // The forecast's class and method as JSON has them ("-" when the
        // plan used none).
        let f = &p["forecast"];
        let used = matches!(f["status"].as_str(), Some("current" | "stale"));
        if let Some(cell) = table.cell(row, "Method") {
            let want = if used {
                f["method"].as_str().unwrap()
            } else {
                "-"
            };
            assert_eq!(cell, want, "{what}: Method");
        }
        if let Some(cell) = table.cell(row, "Class") {
            let want = match f["status"].as_str() {
                Some("current" | "stale") => f["class"].as_str().unwrap(),
                Some("not_ready") => "not ready",
                Some("short") => "short",
                _ => "-",
            };
            assert!(
                cell.starts_with(want),
                "{what}: Class {cell:?}, status {}",
                f["status"]
            );
        }
        // The demand the plan stands on: the rules' demand_rate (the
        // forecast), else the OMS average.
        let demand = match &p["demand_rate"] {
            serde_json::Value::Null => &p["avg_daily_demand"],
            rate => rate,
        };
        if let Some(cell) = table.cell(row, "Demand/d") {
            figure_or_dash(demand, cell, &format!("{what}: Demand/d"));
        }
        for (title, field) in [
            ("Avail", "available_qty"),
            ("On order", "on_order_qty"),
            ("Order qty", "order_qty"),
        ] {
            if let Some(cell) = table.cell(row, title) {
                figure_or_dash(&p[field], cell, &format!("{what}: {title}"));
            }
        }
        if let Some(cell) = table.cell(row, "Cover d") {
            match p["days_of_cover"].as_f64() {
                None => assert_eq!(cell, "-", "{what}: cover"),
                Some(c) => assert_eq!(cell, format!("{c:.1}"), "{what}: cover"),
            }
        }
        // Cover is available / that demand (0 with a backorder, none
        // without demand), whatever columns show.
        match (p["available_qty"].as_f64(), demand.as_f64()) {
            (Some(a), Some(d)) if d > 0.0 => {
                let c = p["days_of_cover"].as_f64().expect("cover with demand");
                assert!(
                    (c - (a / d).max(0.0)).abs() < 1e-5,
                    "{what}: cover {c} is not {a} / {d}"
                );
            }
            _ => assert!(p["days_of_cover"].is_null(), "{what}: cover without demand"),
        }
        if let Some(cell) = table.cell(row, "Purchase") {
            let qty = p["purchase_qty"].as_f64().unwrap();
            if qty == 0.0 {
                assert_eq!(cell, "0", "{what}: purchase");
            } else {
                let (n, unit) = cell.split_once(' ').unwrap_or((cell, ""));
                assert_eq!(n.parse::<f64>().unwrap(), qty, "{what}: purchase");
                if let Some(uom) = p["purchase_uom"].as_str() {
                    assert_eq!(unit, unit_word(qty, uom), "{what}: purchase unit");
                }
            }
        }
        let amount = table.cell(row, "Amount").expect("the amount always shows");
        let mut words = amount.split(' ');
        let figure = money(words.next().unwrap());
        assert_eq!(figure, p["amount"].as_f64().unwrap(), "{what}: amount");
        // Both of the demo's currencies are in the list: each amount
        // names its own.
        assert_eq!(words.next(), p["currency"].as_str(), "{what}: currency");
        if let Some(cell) = table.cell(row, "Appr") {
            assert_eq!(
                cell == "yes",
                p["requires_approval"].as_bool().unwrap(),
                "{what}: approval {cell:?}"
            );
        }
        let codes: Vec<&str> = table
            .cell(row, "Exceptions")
            .expect("the exceptions always show")
            .split_whitespace()
            .collect();
        let plan_codes: Vec<&str> = p["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(codes, plan_codes, "{what}: exceptions");
    }
}

#[test]
fn the_plan_table_fits_the_width_and_shows_only_the_plans_figures() {
    let dir = tempfile::tempdir().unwrap();
    let json = run(dir.path(), &["plan", "--format", "json"], &[]);
    assert!(json.status.success(), "{}", stderr(&json));
    let plans: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    for width in WIDTHS {
        let w = width.to_string();
        let out = run(dir.path(), &["plan", "--width", &w], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert_fits(&text, width, "plan");
        let table = parse_table(&text, false);
        check_plan_rows(&table, &plans, &format!("plan at {width}"));
        // The columns shown and the ones the note names are all of them,
        // the ones left out being the lowest in the stated priority.
        let dropped = dropped_columns(&table.after, width);
        let mut all: Vec<String> = table.titles.iter().chain(&dropped).cloned().collect();
        all.sort();
        let mut expected: Vec<String> = PLAN_TITLES.map(String::from).to_vec();
        expected.sort();
        assert_eq!(all, expected, "plan at {width}");
        let priority = [
            "Method", "Class", "On order", "Supplier", "Cover d", "Avail", "Demand/d", "Name",
            "Purchase", "Appr",
        ];
        let mut by_priority: Vec<&str> = dropped.iter().map(String::as_str).collect();
        by_priority.sort_by_key(|d| priority.iter().position(|p| p == d).unwrap());
        assert_eq!(
            by_priority,
            priority[..dropped.len()],
            "plan at {width}: left out in priority order"
        );
        assert!(!dropped.is_empty(), "the demo's plan is wider than {width}");
    }
    // Piped: every column, one line per product, no note.
    let out = run(dir.path(), &["plan"], &[]);
    let text = stdout(&out);
    let table = parse_table(&text, false);
    assert_eq!(table.titles, PLAN_TITLES);
    assert!(
        table.after.iter().all(|l| l.is_empty()),
        "{:?}",
        table.after
    );
    assert_eq!(
        text.lines().count(),
        plans.len() + 2,
        "a header, a rule and one line per product"
    );
    check_plan_rows(&table, &plans, "plan piped");
    // --width 0: no limit, as piped.
    assert_eq!(
        stdout(&run(dir.path(), &["plan", "--width", "0"], &[])),
        text
    );
}

/// Runs buyerdesk on a pseudo-terminal `cols` wide and returns what it
/// printed, without the carriage returns the terminal adds.
fn run_on_terminal(
    data_dir: &std::path::Path,
    args: &[&str],
    cols: u16,
    env: &[(&str, &str)],
) -> String {
    use portable_pty::{native_pty_system, CommandBuilder, PtySize};
    use std::io::Read;
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(bin());
    cmd.args(args);
    cmd.env("BUYERDESK_DATA_DIR", data_dir);
    cmd.env("XDG_CONFIG_HOME", data_dir.join("config-home"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("COLUMNS");
    cmd.cwd(data_dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = pty.slave.spawn_command(cmd).expect("buyerdesk starts");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let collect = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        // The read fails (EIO) once the terminal's other side is closed.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().unwrap();
    drop(pty.master);
    let out = String::from_utf8_lossy(&collect.join().unwrap()).replace('\r', "");
    assert!(status.success(), "{args:?}: {out}");
    out
}

#[test]
fn on_a_terminal_the_plan_takes_its_width_or_columns() {
    let dir = tempfile::tempdir().unwrap();
    let json = run(dir.path(), &["plan", "--format", "json"], &[]);
    let plans: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    // The terminal's own width.
    let text = run_on_terminal(dir.path(), &["plan"], 100, &[]);
    assert_fits(&text, 100, "plan on a 100-column terminal");
    let table = parse_table(&text, false);
    assert!(
        !dropped_columns(&table.after, 100).is_empty(),
        "{:?}",
        table.after
    );
    check_plan_rows(&table, &plans, "plan on a terminal");
    // COLUMNS wins over the terminal's width.
    let text = run_on_terminal(dir.path(), &["plan"], 160, &[("COLUMNS", "80")]);
    assert_fits(&text, 80, "plan with COLUMNS=80");
    let table = parse_table(&text, false);
    assert!(
        !dropped_columns(&table.after, 80).is_empty(),
        "{:?}",
        table.after
    );
    check_plan_rows(&table, &plans, "plan with COLUMNS=80");
}

/// Lists of ids a table shortened: the ids shown and the count of the
/// others ("SKU-1, SKU-2, SKU-3, ... and 17 more").
fn ids_and_more(text: &str) -> (Vec<String>, usize) {
    let ids = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("SKU-") || w.starts_with("PROD-"))
        .map(str::to_string)
        .collect();
    let more = text
        .split("... and ")
        .skip(1)
        .map(|r| r.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    (ids, more)
}

/// Money in text ("1,107,900.35 USD") as (amount, currency), in order.
fn money_with_currency(text: &str) -> Vec<(f64, String)> {
    let words: Vec<&str> = text.split([' ', '(', ')', ';']).collect();
    words
        .windows(2)
        .filter(|w| {
            w[1].len() == 3
                && w[1].chars().all(|c| c.is_ascii_uppercase())
                && w[0].contains('.')
                && w[0]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        })
        .map(|w| (money(w[0]), w[1].to_string()))
        .collect()
}

#[test]
fn po_list_and_audit_fit_the_width_with_every_po_number_and_total() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["po", "draft", "--all-needed"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(dir.path(), &["po", "cancel", "PO-000001"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = run(dir.path(), &["po", "list", "--format", "json"], &[]);
    let pos: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert!(pos.len() >= 10, "{} POs", pos.len());
    // The totals a buyer would add up: per currency, cancelled left out.
    let mut sums: std::collections::BTreeMap<String, (i64, usize)> = Default::default();
    for po in pos.iter().filter(|p| p["status"] != "cancelled") {
        let e = sums
            .entry(po["currency"].as_str().unwrap().to_string())
            .or_default();
        e.0 += po["total_cents"].as_i64().unwrap();
        e.1 += 1;
    }
    assert!(sums.len() > 1, "the demo's POs are in EUR and USD");
    let check = |text: &str, what: &str, whole_notes: bool| {
        let table = parse_table(text, true);
        assert_eq!(table.rows.len(), pos.len(), "{what}: one row per PO");
        for (row, po) in table.rows.iter().zip(&pos) {
            let number = po["po_number"].as_str().unwrap();
            assert_eq!(
                table.cell(row, "PO"),
                Some(number),
                "{what}: newest first, whole"
            );
            assert_eq!(
                table.cell(row, "Status"),
                po["status"].as_str(),
                "{what}: {number}"
            );
            assert_eq!(
                money(table.cell(row, "Total").unwrap()),
                po["total_cents"].as_i64().unwrap() as f64 / 100.0,
                "{what}: {number} total"
            );
            assert_eq!(
                table.cell(row, "Cur"),
                po["currency"].as_str(),
                "{what}: {number}"
            );
            if let Some(lines) = table.cell(row, "Lines") {
                assert_eq!(lines, po["line_count"].to_string(), "{what}: {number}");
            }
            // The note: inline or under the row, its ids whole and counted.
            let note = table
                .cell(row, "Note")
                .map(str::to_string)
                .unwrap_or_else(|| row.notes.join(" "));
            let reason = match (po["last_error"].as_str(), po["status"].as_str()) {
                (Some(e), _) => format!("last send failed: {e}"),
                (None, Some("pending_approval")) => {
                    po["approval_reason"].as_str().unwrap_or("").to_string()
                }
                _ => String::new(),
            };
            if whole_notes {
                assert_eq!(note, reason, "{what}: {number}");
            }
            let (shown, more) = ids_and_more(&note);
            let (all, _) = ids_and_more(&reason);
            assert_eq!(shown.len() + more, all.len(), "{what}: {number}: {note}");
            assert!(
                shown.iter().all(|id| all.contains(id)),
                "{what}: {number}: {note}"
            );
            assert_eq!(
                money_with_currency(&note),
                money_with_currency(&reason),
                "{what}: {number}"
            );
        }
        // The totals per currency, never one over currencies.
        let totals: Vec<(String, f64, usize)> = table
            .after
            .iter()
            .filter_map(|l| l.strip_prefix("Total "))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[0].to_string(), money(w[1]), w[2].parse().unwrap())
            })
            .collect();
        let expected: Vec<(String, f64, usize)> = sums
            .iter()
            .map(|(c, (cents, n))| (c.clone(), *cents as f64 / 100.0, *n))
            .collect();
        assert_eq!(totals, expected, "{what}: totals");
        assert!(
            table
                .after
                .iter()
                .any(|l| l == "Cancelled POs are not in the totals."),
            "{what}: {:?}",
            table.after
        );
        table
    };
    for width in WIDTHS {
        let w = width.to_string();
        let out = run(dir.path(), &["po", "list", "--width", &w], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert_fits(&text, width, "po list");
        let table = check(&text, &format!("po list at {width}"), false);
        // One line per PO without a note, and no rule under every row.
        let rules = text.lines().filter(|l| l.contains('─')).count();
        assert_eq!(rules, 1, "po list at {width}: only the header's rule");
        let per_po = table.rows.iter().map(|r| 1 + r.notes.len()).max().unwrap();
        assert!(per_po <= 3, "po list at {width}: {per_po} lines for one PO");
    }
    let text = stdout(&run(dir.path(), &["po", "list"], &[]));
    let table = check(&text, "po list piped", true);
    assert_eq!(
        table.titles,
        ["PO", "Status", "Supplier", "Lines", "Total", "Cur", "Delivery", "Age", "Note"]
    );
    assert!(table.rows.iter().all(|r| r.notes.is_empty()));

    // The audit log: every entry, ids whole and counted, money one way.
    let json = run(dir.path(), &["audit", "--format", "json"], &[]);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert!(entries.len() > pos.len(), "drafts and a cancellation");
    let entry_text = |e: &serde_json::Value| {
        format!(
            "{}{}",
            e["product_id"]
                .as_str()
                .map(|p| format!("{p}: "))
                .unwrap_or_default(),
            e["detail"].as_str().unwrap_or("")
        )
    };
    let audit_entries = |text: &str| -> Vec<String> {
        // An entry starts with its time; the lines under it go on.
        let mut out: Vec<String> = Vec::new();
        for l in text.lines() {
            if l.starts_with("20") {
                out.push(l.to_string());
            } else {
                let last = out.last_mut().expect("an entry first");
                last.push(' ');
                last.push_str(l.trim());
            }
        }
        out
    };
    let unseparated = |text: &str| {
        text.split(' ').any(|w| {
            let int = w.split('.').next().unwrap();
            w.contains('.') && int.len() >= 4 && int.chars().all(|c| c.is_ascii_digit())
        })
    };
    for width in WIDTHS {
        let w = width.to_string();
        let text = stdout(&run(dir.path(), &["audit", "--width", &w], &[]));
        assert_fits(&text, width, "audit");
        let shown = audit_entries(&text);
        assert_eq!(shown.len(), entries.len(), "audit at {width}");
        for (line, e) in shown.iter().zip(&entries) {
            let what = format!("audit at {width}: {line}");
            assert!(line.starts_with(e["at"].as_str().unwrap()), "{what}");
            assert!(line.contains(e["action"].as_str().unwrap()), "{what}");
            let full = entry_text(e);
            let (ids, more) = ids_and_more(line);
            let (all, _) = ids_and_more(&full);
            assert_eq!(ids.len() + more, all.len(), "{what}");
            assert!(ids.iter().all(|id| all.contains(id)), "{what}");
            assert!(ids.len() <= 12, "{what}: long lists shortened");
            assert_eq!(
                money_with_currency(line),
                money_with_currency(&full),
                "{what}"
            );
            assert!(!unseparated(line), "{what}: money without separators");
        }
    }
    // Piped: one line per entry, every id.
    let text = stdout(&run(dir.path(), &["audit"], &[]));
    assert_eq!(text.lines().count(), entries.len());
    for (line, e) in text.lines().zip(&entries) {
        let (ids, more) = ids_and_more(line);
        assert_eq!((ids, more), (ids_and_more(&entry_text(e)).0, 0), "{line}");
        assert_eq!(
            money_with_currency(line),
            money_with_currency(&entry_text(e))
        );
        assert!(!unseparated(line), "{line}");
    }
}

/// The amounts of the orders of a plan's JSON, per currency, each rounded
/// to cents as the plan gives them (the configured EUR for a supplier
/// naming none): what a buyer adds up by hand.
fn order_totals(plans: &[serde_json::Value]) -> std::collections::BTreeMap<String, (f64, u64)> {
    let mut sums: std::collections::BTreeMap<String, (i64, u64)> = Default::default();
    for p in plans {
        let amount = p["amount"].as_f64().unwrap();
        let orders = p["order_qty"].as_f64().unwrap() > 0.0;
        if amount == 0.0 && !orders {
            continue;
        }
        let e = sums
            .entry(p["currency"].as_str().unwrap_or("EUR").to_string())
            .or_default();
        e.0 += (amount * 100.0).round() as i64;
        e.1 += u64::from(orders);
    }
    sums.into_iter()
        .map(|(c, (cents, n))| (c, (cents as f64 / 100.0, n)))
        .collect()
}

#[test]
fn rules_test_totals_are_per_currency_and_its_tables_fit() {
    let dir = tempfile::tempdir().unwrap();
    let file = candidate(
        dir.path(),
        "rounding.grl",
        "Product.rounding_multiple = Product.moq;",
        "Product.rounding_multiple = 1.0;",
        "\nrule \"Surcharge\" salience 10 {\n    when\n        Product.amount > 100000\n    then\n        Product.amount = Product.amount + Product.unit_price;\n}\n",
    );
    let plan = |rules: Option<&str>| -> Vec<serde_json::Value> {
        let mut args = vec!["plan", "--format", "json"];
        if let Some(r) = rules {
            args.extend(["--rules", r]);
        }
        let out = run(dir.path(), &args, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (before, after) = (order_totals(&plan(None)), order_totals(&plan(Some(&file))));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["EUR", "USD"],
        "the demo buys in EUR and USD"
    );
    let json = run(
        dir.path(),
        &["rules", "test", &file, "--format", "json"],
        &[],
    );
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v["summary"].get("amount_before").is_none(),
        "no total over currencies"
    );
    let totals = v["summary"]["totals"].as_array().unwrap();
    let codes: Vec<&str> = totals
        .iter()
        .map(|t| t["currency"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["EUR", "USD"]);
    for t in totals {
        let c = t["currency"].as_str().unwrap();
        assert_eq!(
            (
                t["amount_before"].as_f64().unwrap(),
                t["orders_before"].as_u64().unwrap()
            ),
            before[c],
            "{c} before"
        );
        assert_eq!(
            (
                t["amount_after"].as_f64().unwrap(),
                t["orders_after"].as_u64().unwrap()
            ),
            after[c],
            "{c} after"
        );
    }
    let changes = v["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["currency"].is_string()));
    // The table: a total line per currency, each as the sums.
    let check_summary = |table: &str, what: &str| {
        assert!(
            !table.contains("Total amount:"),
            "{what}: one total over currencies"
        );
        for (c, (b, a)) in before.iter().map(|(c, b)| (c, (b.0, after[c].0))) {
            let line = summary_line(table, &format!("Total amount {c}"));
            let w: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(
                (money(w[0]), w[1], money(w[2])),
                (b, "->", a),
                "{what}: {c}: {line}"
            );
            let difference = money(w[3].trim_matches(['(', ')', '+']));
            assert!((difference - (a - b)).abs() < 0.005, "{what}: {c}: {line}");
        }
    };
    let piped = stdout(&run(dir.path(), &["rules", "test", &file], &[]));
    check_summary(&piped, "piped");
    // Piped: every column, every changed product on one line, each amount
    // with its currency.
    let table = parse_table(&piped, false);
    assert_eq!(
        table.titles,
        [
            "Product",
            "Name",
            "Order qty",
            "Purchase",
            "Amount",
            "Approval",
            "Exceptions"
        ]
    );
    assert_eq!(table.rows.len(), changes.len());
    let check_rows = |table: &Parsed, what: &str| {
        for (row, c) in table.rows.iter().zip(changes) {
            let id = c["product_id"].as_str().unwrap();
            assert_eq!(table.cell(row, "Product"), Some(id), "{what}");
            let amount = table.cell(row, "Amount").unwrap();
            let w: Vec<&str> = amount.split(' ').collect();
            let (old, new) = (
                c["before"]["amount"].as_f64().unwrap(),
                c["after"]["amount"].as_f64().unwrap(),
            );
            match w.as_slice() {
                [a, cur] => assert_eq!(
                    (money(a), money(a), *cur),
                    (old, new, c["currency"].as_str().unwrap()),
                    "{what}: {id}"
                ),
                [a, "->", b, cur] => assert_eq!(
                    (money(a), money(b), *cur),
                    (old, new, c["currency"].as_str().unwrap()),
                    "{what}: {id}"
                ),
                _ => panic!("{what}: {id}: amount {amount:?}"),
            }
            let order = table.cell(row, "Order qty").unwrap();
            let q: Vec<f64> = order.split(" -> ").map(|q| q.parse().unwrap()).collect();
            assert_eq!(
                q.first().copied(),
                c["before"]["order_qty"].as_f64(),
                "{what}: {id}"
            );
            assert_eq!(
                q.last().copied(),
                c["after"]["order_qty"].as_f64(),
                "{what}: {id}"
            );
        }
    };
    check_rows(&table, "piped");
    for width in WIDTHS {
        let w = width.to_string();
        let out = run(dir.path(), &["rules", "test", &file, "--width", &w], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert_fits(&text, width, "rules test");
        check_summary(&text, &format!("at {width}"));
        // The rule coverage's own table follows the products.
        let products = text.split("\nRule coverage").next().unwrap();
        if products.contains("───") {
            // The table fits: the same figures.
            let table = parse_table(&text, false);
            assert_eq!(table.rows.len(), changes.len(), "at {width}");
            check_rows(&table, &format!("at {width}"));
        } else {
            // One entry per product: its id whole, then what changed.
            let entries: Vec<&str> = text
                .split('\n')
                .skip_while(|l| !l.starts_with("Rule failures:"))
                .skip_while(|l| !l.is_empty())
                .skip(1)
                // The rule coverage follows the products.
                .take_while(|l| !l.starts_with("Rule coverage"))
                .filter(|l| !l.is_empty() && !l.starts_with(' '))
                .collect();
            let ids: Vec<&str> = entries
                .iter()
                .map(|l| l.split(' ').next().unwrap())
                .collect();
            let expected: Vec<&str> = changes
                .iter()
                .map(|c| c["product_id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, expected, "at {width}");
            let after_002 = text.split_once("\nPROD-002 ").unwrap().1;
            let parts: String = after_002
                .lines()
                .skip(1)
                .take_while(|l| l.starts_with(' '))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(
                parts,
                "order 850.9756 -> 828.9296, purchase 386 lb -> 376 lb, amount 21,274.39 -> 20,723.24 USD",
                "at {width}"
            );
        }
    }
}

/// Starts a command with its output read by someone who stops after the
/// first line (`| head -1`), or before anything came (`first_line`
/// false).
fn run_reader_stops(data_dir: &std::path::Path, args: &[&str], first_line: bool) -> Output {
    use std::io::BufRead;
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("BUYERDESK_DATA_DIR", data_dir)
        .env("XDG_CONFIG_HOME", data_dir.join("config-home"))
        .env("HOME", data_dir)
        .env_remove("COLUMNS")
        .current_dir(data_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    if first_line {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        assert!(!line.is_empty(), "{args:?}: nothing printed");
    } else {
        drop(stdout);
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_reader_that_stops_after_a_line_ends_every_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["po", "draft", "--all-needed"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = candidate(
        dir.path(),
        "threshold.grl",
        "Product.amount > 10000",
        "Product.amount > 50000",
        "",
    );
    let commands: Vec<Vec<&str>> = vec![
        vec!["plan"],
        vec!["plan", "--width", "80"],
        vec!["po", "list"],
        vec!["po", "list", "--width", "80"],
        vec!["po", "list", "--format", "json"],
        vec!["po", "show", "PO-000002"],
        vec!["audit"],
        vec!["audit", "--width", "80"],
        vec!["audit", "--format", "json"],
        vec!["rules", "test", &file],
        vec!["rules", "test", &file, "--width", "80"],
        vec!["rules", "test", &file, "--format", "json"],
        vec!["rules", "check"],
        vec!["doctor"],
        vec!["demo", "--schema", "sqlite"],
    ];
    for args in &commands {
        for first_line in [true, false] {
            let out = run_reader_stops(dir.path(), args, first_line);
            assert!(
                out.status.success(),
                "{args:?} (first line {first_line}): {:?} {}",
                out.status,
                stderr(&out)
            );
            assert_eq!(stderr(&out), "", "{args:?} (first line {first_line})");
        }
    }
}
