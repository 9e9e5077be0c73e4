//! `rules test`: per-rule coverage (table, JSON, warnings at the rule's
//! line), `--product ID`, and `--fixtures [PATH]` (pass, fail, a bad
//! fixture file, the folder beside the rules file).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::bin;

fn run(data_dir: &Path, args: &[&str]) -> Output {
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
    cmd.output().expect("buyerdesk runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/purchasing.grl")).unwrap()
}

fn reference_fixtures() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/tests/reference.toml"
    ))
    .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The shipped rules and two more: one whose condition holds on no product
/// (trend values are lower case) and one that fires on many and writes
/// what is already there.
fn with_dead_rules() -> String {
    format!(
        "{}\nrule \"IncreasingTrend\" salience 5 no-loop {{\n    when\n        Product.trend == \"Increasing\"\n    then\n        Product.requires_approval = true;\n}}\n\nrule \"NoApprovalForSmall\" salience 4 no-loop {{\n    when\n        Product.amount < 100\n    then\n        Product.requires_approval = false;\n}}\n",
        shipped()
    )
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle}"))
        + 1
}

#[test]
fn coverage_counts_each_rule_and_flags_the_dead_ones_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = with_dead_rules();
    let file = write(dir.path(), "dead.grl", &text);
    let out = run(dir.path(), &["rules", "test", &file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let products = v["summary"]["products"].as_u64().unwrap();
    let cov = &v["coverage"];
    assert_eq!(cov["candidate"]["products"], products);
    let rules = cov["candidate"]["rules"].as_array().unwrap();
    // Every rule of the file, in file order.
    let names: Vec<&str> = rules.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    let mut in_file: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (line_of(&text, &format!("rule \"{n}\"")), *n))
        .collect();
    in_file.sort();
    assert_eq!(names, in_file.iter().map(|(_, n)| *n).collect::<Vec<_>>());
    assert_eq!(
        names.len(),
        text.matches("\nrule \"").count() + usize::from(text.starts_with("rule \""))
    );
    let rule = |name: &str| rules.iter().find(|r| r["rule"] == name).unwrap().clone();
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    for r in rules {
        assert!(
            n(r, "changed") <= n(r, "fired") && n(r, "fired") <= products,
            "{r}"
        );
    }
    let dead = rule("IncreasingTrend");
    assert_eq!((n(&dead, "fired"), n(&dead, "changed")), (0, 0));
    assert_eq!(dead["flag"], "never_fired");
    let same = rule("NoApprovalForSmall");
    assert!(n(&same, "fired") > 0, "{same}");
    assert_eq!(n(&same, "changed"), 0);
    assert_eq!(same["flag"], "never_changed");
    // requires_approval starts false: the approval rule changed exactly
    // the products that require approval.
    let approval = rule("ApprovalAboveThreshold");
    assert_eq!(n(&approval, "changed"), n(&v["summary"], "approvals_after"));
    assert_eq!(approval["flag"], serde_json::Value::Null);
    // The rules in force: the shipped ones, none of the two.
    let before: Vec<&str> = (cov["in_force"]["rules"].as_array().unwrap().iter())
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(!before.contains(&"IncreasingTrend"));
    // The flags as warnings at each rule's line, on stderr beside JSON.
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{file}:{}:1: warning: rule \"IncreasingTrend\" never fired on the {products} products of the dry run",
            line_of(&text, "rule \"IncreasingTrend\"")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:{}:1: warning: rule \"NoApprovalForSmall\" fired on {} products of the dry run but never changed anything",
            line_of(&text, "rule \"NoApprovalForSmall\""),
            n(&same, "fired")
        )),
        "{err}"
    );

    // The table: the same counts, the flags beside, warnings first.
    let out = run(dir.path(), &["rules", "test", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let warning = table
        .find("warning: rule \"IncreasingTrend\"")
        .expect("warning");
    let coverage = table.find("Rule coverage").expect("coverage");
    assert!(warning < coverage);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{table}"))
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("IncreasingTrend"), "- 0/0 never fires");
    assert_eq!(
        row("NoApprovalForSmall"),
        format!("- {}/0 changes nothing", n(&same, "fired"))
    );
    let a = format!("{}/{}", n(&approval, "fired"), n(&approval, "changed"));
    assert_eq!(row("ApprovalAboveThreshold"), format!("{a} {a}"));
}

#[test]
fn product_shows_the_rules_fired_and_figures_before_and_after_and_refuses_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    // Approval above 5,000 instead of 10,000: PROD-001 (9,300.00) changes.
    let text = shipped().replace("Product.amount > 10000", "Product.amount > 5000");
    assert_ne!(text, shipped());
    let file = write(dir.path(), "lower.grl", &text);
    let out = run(
        dir.path(),
        &[
            "rules",
            "test",
            &file,
            "--product",
            "PROD-001",
            "--product",
            "PROD-002",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["summary"]["products"], 2);
    let products = v["products"].as_array().unwrap();
    let ids: Vec<&str> = products
        .iter()
        .map(|p| p["product_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PROD-001", "PROD-002"]);
    let p1 = &products[0];
    // DOMAIN.md: 600 pieces x 15.50 = 9,300.00, under 10,000, above 5,000.
    assert_eq!(p1["before"]["amount"].as_f64(), Some(600.0 * 15.5));
    assert_eq!(p1["before"]["requires_approval"], false);
    assert_eq!(p1["after"]["requires_approval"], true);
    let fired = |p: &serde_json::Value, k: &str| -> Vec<String> {
        p[k].as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    assert!(!fired(p1, "rules_fired_before").contains(&"ApprovalAboveThreshold".to_string()));
    assert!(fired(p1, "rules_fired_after").contains(&"ApprovalAboveThreshold".to_string()));
    assert_eq!(p1["changed"], serde_json::json!(["requires_approval"]));
    // PROD-002 (21,274.39) needs approval either way: unchanged.
    assert_eq!(products[1]["changed"], serde_json::json!([]));
    assert_eq!(
        fired(&products[1], "rules_fired_before"),
        fired(&products[1], "rules_fired_after")
    );
    assert!(p1["rationale_after"].as_array().unwrap().len() > 3);

    // The table: each product with its rules and figures, the why.
    let out = run(
        dir.path(),
        &["rules", "test", &file, "--product", "PROD-001", "--why"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let t = stdout(&out);
    assert!(t.contains("PROD-001 (Widget A (pieces)): changed"), "{t}");
    assert!(
        t.contains("order 600, purchase 50 boxes, amount 9,300.00"),
        "{t}"
    );
    assert!(
        t.contains(", approval no, ") && t.contains(", approval yes, "),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "Candidate ({file}): fired DemandFromOmsAverage, ServiceLevelC, SafetyStockFromInventory, Requirement"
        )),
        "{t}"
    );
    assert!(t.contains("1. "), "the rationale under it: {t}");

    // An id no source knows: named, exit 1.
    let out = run(
        dir.path(),
        &[
            "rules",
            "test",
            &file,
            "--product",
            "PROD-001",
            "--product",
            "NOPE-9",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("unknown product(s): NOPE-9"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn fixtures_pass_fail_and_a_bad_file_with_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    // Without FILE and without a tests/ folder: the rules in force (the
    // embedded ones) on the shipped fixtures.
    let out = run(dir.path(), &["rules", "test", "--fixtures"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let t = stdout(&out);
    let cases = reference_fixtures()
        .lines()
        .filter(|l| *l == "[[case]]")
        .count();
    assert_eq!(t.matches("\nPASS  ").count(), cases, "{t}");
    assert!(
        t.contains("rules/tests/reference.toml (shipped) with embedded rules/purchasing.grl"),
        "{t}"
    );
    assert!(t.ends_with(&format!("{cases} passed, 0 failed\n")), "{t}");

    // A tests/ folder beside FILE is the default PATH; a wrong expectation
    // fails, naming the field, expected, got and the rules that wrote it.
    let rules = write(dir.path(), "team/purchasing.grl", &shipped());
    let wrong = reference_fixtures().replacen("order_qty = 600", "order_qty = 590", 1);
    write(dir.path(), "team/tests/reference.toml", &wrong);
    let out = run(dir.path(), &["rules", "test", &rules, "--fixtures"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let t = stdout(&out);
    let line = line_of(&wrong, "name = \"PROD-001") - 1;
    assert!(
        t.contains(&format!("FAIL  reference.toml:{line} PROD-001")),
        "{t}"
    );
    assert!(
        t.contains(
            "order_qty: expected 590, got 600 (written by OrderTheShortage, RoundUpAndPrice)"
        ),
        "{t}"
    );
    assert!(
        t.ends_with(&format!("{} passed, 1 failed\n", cases - 1)),
        "{t}"
    );
    // JSON: the same, machine-readable.
    let out = run(
        dir.path(),
        &["rules", "test", &rules, "--fixtures", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["failed"], 1);
    let failed: Vec<&serde_json::Value> = (v["cases"].as_array().unwrap().iter())
        .filter(|c| !c["mismatches"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["mismatches"][0]["field"], "order_qty");
    assert_eq!(failed[0]["mismatches"][0]["expected"], "590");
    assert_eq!(failed[0]["mismatches"][0]["got"], "600");

    // A fixture file with a bad key: file:line:col and what is wrong, exit 1.
    let bad = reference_fixtures().replacen("moq = 20\n", "moq = 20\nmoqq = 3\n", 1);
    let bad_file = write(dir.path(), "bad.toml", &bad);
    let out = run(
        dir.path(),
        &["rules", "test", &rules, "--fixtures", &bad_file],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let t = stdout(&out);
    assert!(
        t.contains(&format!(
            "{bad_file}:{}:1: error: unknown field `moqq`",
            line_of(&bad, "moqq")
        )),
        "{t}"
    );
    assert!(t.contains("1 fixture file unreadable"), "{t}");
    // A PATH that does not exist.
    let out = run(
        dir.path(),
        &["rules", "test", &rules, "--fixtures", "nowhere"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("nowhere: no such fixture file or folder"));
    // FILE with errors: as rules check prints them, no fixture run.
    let broken = write(dir.path(), "broken.grl", "rule \"A\" salience 10 no-loop {\n    when\n        Product.moqq > 0\n    then\n        Product.order_qty = Product.moq;\n}\n");
    let out = run(dir.path(), &["rules", "test", &broken, "--fixtures"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the rules cannot be used"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("PASS"));
}
