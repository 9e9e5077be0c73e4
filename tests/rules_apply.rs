//! `buyerdesk rules apply FILE [--yes]`: validated, tried on every product,
//! refused by the guard unless confirmed, then in force and audited.

mod common;

use std::process::{Command, Output};

use common::bin;

/// The example, plus the MOQ: a rule without `no-loop` whose
/// action never makes its condition false on the demo's data (every order
/// ends in RULE_ERROR). Without the MOQ the validator proves the loop and
/// refuses the file; with it, whether it loops depends on the data, so the
/// validator only warns and the guard is what stops it.
const SAFETY_MARGIN: &str = "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }\n";

fn run(data_dir: &std::path::Path, args: &[&str]) -> Output {
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

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The dry run's summary as `rules test --format json` gives it.
fn dry_run_summary(dir: &std::path::Path, file: &str) -> serde_json::Value {
    let out = run(dir, &["rules", "test", file, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    v["summary"].clone()
}

fn audit(dir: &std::path::Path) -> String {
    let out = run(dir, &["audit", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// The number after `label` up to the next space, comma or parenthesis.
fn number_after(text: &str, label: &str) -> usize {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    let rest = &text[at + label.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|e| panic!("{label}: {e}\n{text}"))
}

#[test]
fn a_rule_that_zeroes_every_order_is_refused_with_exit_1_and_orders_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "margin.grl",
        &format!("{}{SAFETY_MARGIN}", shipped()),
    );
    let summary = dry_run_summary(dir.path(), &file);
    let out = run(dir.path(), &["rules", "apply", &file]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains(&format!("{file}: not applied")), "{text}");
    // The figures printed are the dry run's.
    let before = number_after(&text, "Orders ");
    let after = number_after(&text, &format!("Orders {before} -> "));
    assert_eq!(before as u64, summary["orders_before"].as_u64().unwrap());
    assert_eq!(after as u64, summary["orders_after"].as_u64().unwrap());
    assert!(before > 0 && after * 2 < before, "{text}");
    let failing = number_after(&text, "Newly failing (RULE_ERROR) on ");
    assert_eq!(failing as u64, summary["failed_products"].as_u64().unwrap());
    assert!(text.contains("PROD-001 (rule \"SafetyMargin\")"), "{text}");
    assert!(
        text.contains(&format!("and {} more", failing - 3)),
        "{text}"
    );
    // Nothing in force changed, nothing audited.
    assert!(!dir.path().join("purchasing.grl").exists());
    assert!(!audit(dir.path()).contains("rules_applied"));
}

#[test]
fn with_yes_the_refused_rules_are_applied_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{SAFETY_MARGIN}", shipped());
    let file = write(dir.path(), "margin.grl", &text);
    let out = run(dir.path(), &["rules", "apply", &file, "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stdout(&out);
    assert!(said.contains("Applied with --yes although:"), "{said}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("purchasing.grl")).unwrap(),
        text
    );
    let log = audit(dir.path());
    assert!(log.contains("rules_applied"), "{log}");
    // The confirmation is audited with what the guard said.
    assert!(log.contains("rules_apply_confirmed"), "{log}");
    assert!(log.contains("applied although: Orders "), "{log}");
    // Now in force: the shipped rules are the harmless change back.
    let back = write(dir.path(), "shipped.grl", &shipped());
    let out = run(dir.path(), &["rules", "apply", &back]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stdout(&out);
    let before = number_after(&said, "orders ");
    assert_eq!(before, 0, "{said}");
    assert!(number_after(&said, "orders 0 -> ") > 0, "{said}");
}

#[test]
fn a_harmless_change_applies_without_a_question() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = shipped();
    let from = "Product.amount > 10000";
    assert!(shipped.contains(from));
    let text = shipped.replace(from, "Product.amount > 50000");
    let file = write(dir.path(), "threshold.grl", &text);
    let summary = dry_run_summary(dir.path(), &file);
    let out = run(dir.path(), &["rules", "apply", &file]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stdout(&out);
    assert!(!said.contains("although"), "{said}");
    assert!(!audit(dir.path()).contains("rules_apply_confirmed"));
    let before = number_after(&said, "orders ");
    let after = number_after(&said, &format!("orders {before} -> "));
    assert_eq!(before as u64, summary["orders_before"].as_u64().unwrap());
    assert_eq!(after as u64, summary["orders_after"].as_u64().unwrap());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("purchasing.grl")).unwrap(),
        text
    );
    assert!(audit(dir.path()).contains("rules_applied"));
}

#[test]
fn a_file_with_errors_is_refused_at_its_line_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "broken.grl",
        "rule \"Broken\" salience 10 {\n    when Product.order_qty > \n    then Product.order_qty = 1;\n}\n",
    );
    let out = run(dir.path(), &["rules", "apply", &file, "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let said = stdout(&out);
    assert!(
        said.contains(&format!("{file}:")) && said.contains("error"),
        "{said}"
    );
    assert!(said.contains("the rules cannot be used"), "{said}");
    assert!(!dir.path().join("purchasing.grl").exists());
}
