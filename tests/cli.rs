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
    ] {
        assert!(
            p.get(field).is_some(),
            "PROD-001: field {field} missing from JSON"
        );
    }
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
    let names = "Requirement, OrderTheShortage, MinimumOrderQuantity, MultipleIsOrderMultiple, MultipleIsMoq, RoundUpAndPrice, ApprovalAboveThreshold";
    let out = run(dir.path(), &["rules", "check", shipped], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), format!("{shipped}: 7 rules: {names}\n"));
    // Without a file: the configured rules, here the embedded ones.
    let out = run(dir.path(), &["rules", "check"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        format!("embedded rules/purchasing.grl: 7 rules: {names}\n")
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
            "yes",
            "->",
            "no"
        ]
    );
    assert!(product_line(&table, "PROD-003").is_none(), "{table}");
    assert!(product_line(&table, "PROD-001").is_none(), "{table}");

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
    assert_eq!(s["amount_before"], s["amount_after"]);
    assert_eq!(
        s["approvals_before"].as_u64().unwrap() - s["approvals_after"].as_u64().unwrap(),
        changes.len() as u64
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
        .any(|s| s["text"] == "Check: order 850.9756 kg = 386 lb at 25 = 21,274.39, auto-approved (finite, >= 0: ok)"));
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
            "PROD-001", "Widget", "A", "(pieces)", "600", "->", "552", "50", "box", "->", "46",
            "box", "9,300.00", "->", "8,556.00", "no"
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
        after_001.contains("Check: order 552 pieces = 46 box at 15.5 = 8,556.00, auto-approved")
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
        "\nrule \"Surcharge\" salience 10 {\n    when\n        Product.amount > 100000\n    then\n        Product.amount = Product.amount + 1;\n}\n\nrule \"Rebate\" salience 5 no-loop {\n    when\n        Product.amount > 0 && Product.amount < 10000\n    then\n        Product.amount = Product.amount - Product.amount - Product.unit_price;\n}\n",
    );
    let out = run(dir.path(), &["rules", "test", &file], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(
        table.starts_with(&format!("{file}:76:30: warning: no `no-loop`")),
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
            "box",
            "->",
            "0",
            "9,300.00",
            "->",
            "0.00",
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
            "gallon",
            "->",
            "0",
            "179,560.76",
            "->",
            "0.00",
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
    assert_eq!(v["summary"]["amount_before"], v["summary"]["amount_after"]);

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
