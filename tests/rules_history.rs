//! `buyerdesk rules history`, `rules diff A B`, `rules restore V [--yes]`
//! and a broken rules file on disk (the last good version used, a warning
//! on stderr, `--strict` exits 1), on the real binary and the embedded demo.

mod common;

use std::process::{Command, Output};

use common::bin;
use sha2::Digest;

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

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(o), stderr(o));
    stdout(o)
}

fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/purchasing.grl")).unwrap()
}

fn sha(text: &str) -> String {
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn history(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = run(dir, &["rules", "history", "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&ok(&out))
        .expect("JSON")
        .as_array()
        .unwrap()
        .clone()
}

fn audit(dir: &std::path::Path) -> String {
    ok(&run(dir, &["audit", "--format", "json"]))
}

/// The harmful rule with the MOQ (the guard stops it, not the
/// validator; see tests/rules_apply.rs).
const SAFETY_MARGIN: &str = "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }\n";

#[test]
fn versions_are_listed_compared_and_restored_through_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(history(d).is_empty());
    let said = ok(&run(d, &["rules", "history"]));
    assert!(said.contains("No rules version recorded yet"), "{said}");

    let raised = shipped().replace("Product.amount > 10000", "Product.amount > 50000");
    assert_ne!(raised, shipped());
    let file = write(d, "raised.grl", &raised);
    let said = ok(&run(d, &["rules", "apply", &file]));
    assert!(said.contains("rules version 2"), "{said}");
    let back = write(d, "shipped.grl", &shipped());
    let said = ok(&run(d, &["rules", "apply", &back]));
    assert!(said.contains("rules version 3"), "{said}");

    let h = history(d);
    // The rules the first apply replaced (the embedded ones) are kept as
    // version 1, so they can be compared and restored too.
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[0]["number"], 1);
    assert_eq!(h[0]["how"], "in force before the first apply");
    assert_eq!(h[0]["sha256"], sha(&shipped()));
    assert_eq!(h[0]["previous"], serde_json::Value::Null);
    assert_eq!(h[1]["number"], 2);
    assert_eq!(h[1]["how"], "rules apply");
    assert_eq!(h[1]["sha256"], sha(&raised), "the full hash in JSON");
    assert_eq!(h[1]["previous"], sha(&shipped()));
    assert_eq!(h[2]["previous"], sha(&raised));
    assert_eq!(h[1]["in_force"], false);
    assert_eq!(h[2]["in_force"], true);
    let summary = h[2]["summary"].as_str().unwrap();
    assert!(summary.starts_with("orders "), "{summary}");
    // The table: 12 digits of each hash, the one in force marked.
    let table = ok(&run(d, &["rules", "history", "--width", "200"]));
    let row2 = table.lines().find(|l| l.starts_with('*')).unwrap();
    assert!(row2.contains(&sha(&shipped())[..12]), "{table}");
    assert!(!row2.contains(&sha(&shipped())[..13]), "{table}");
    assert!(row2.contains(&sha(&raised)[..12]), "previous: {table}");
    assert!(row2.contains(summary), "{table}");

    // The text diff, then the outcome of 2 against 1.
    let diff = ok(&run(d, &["rules", "diff", "2", "3"]));
    assert!(diff.starts_with("--- version 2\n+++ version 3\n"), "{diff}");
    let minus = diff
        .lines()
        .find(|l| l.starts_with("-") && l.contains("50000"));
    let plus = diff
        .lines()
        .find(|l| l.starts_with("+") && l.contains("10000"));
    assert!(minus.is_some() && plus.is_some(), "{diff}");
    assert!(
        diff.contains("Outcome of version 3 against version 2 on the current sources:"),
        "{diff}"
    );
    let same = ok(&run(d, &["rules", "diff", "3", "file"]));
    assert!(same.contains("the same text"), "{same}");
    let out = run(d, &["rules", "diff", "1", "7"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("no rules version 7"),
        "{}",
        stderr(&out)
    );

    // Restore 2: through the guard (harmless), a new version.
    let said = ok(&run(d, &["rules", "restore", "2"]));
    assert!(said.contains("rules version 4"), "{said}");
    assert_eq!(
        std::fs::read_to_string(d.join("purchasing.grl")).unwrap(),
        raised
    );
    let h = history(d);
    assert_eq!(h.len(), 4);
    assert_eq!(h[3]["how"], "restored from 2");
    assert_eq!(h[3]["sha256"], sha(&raised));
    assert_eq!(h[3]["previous"], sha(&shipped()));
    assert_eq!(h[3]["in_force"], true);
    let log = audit(d);
    assert!(log.contains("rules_restored"), "{log}");
    assert!(
        log.contains(&format!(
            "version 4, {} rules, sha256 {}, previous {}",
            h[3]["rules"],
            sha(&raised),
            sha(&shipped())
        )),
        "{log}"
    );

    // A harmful version (applied with --yes) is refused on restore.
    let harmful = format!("{}{SAFETY_MARGIN}", shipped());
    let file = write(d, "margin.grl", &harmful);
    ok(&run(d, &["rules", "apply", &file, "--yes"]));
    ok(&run(d, &["rules", "restore", "4"]));
    let out = run(d, &["rules", "restore", "5"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("not applied"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("purchasing.grl")).unwrap(),
        raised,
        "the refused restore changed nothing"
    );
    assert_eq!(history(d).len(), 6);
    assert!(audit(d).contains("rules_refused"));
    let out = run(d, &["rules", "restore", "99"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("no rules version 99"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_rules_file_plans_with_the_last_good_version_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let raised = shipped().replace("Product.amount > 10000", "Product.amount > 50000");
    let file = write(d, "raised.grl", &raised);
    ok(&run(d, &["rules", "apply", &file]));
    let good = ok(&run(d, &["plan", "--format", "json"]));

    // Changed by hand (valid): not used unguarded; version 2 (version 1: the
    // embedded rules the first apply replaced) is, with a
    // warning, until `rules apply` puts the file in force.
    let path = d.join("purchasing.grl");
    let lowered = raised.replace("Product.amount > 50000", "Product.amount > 20000");
    std::fs::write(&path, &lowered).unwrap();
    let out = run(d, &["plan", "--format", "json"]);
    assert_eq!(stdout(&out), good, "planned with version 2");
    assert!(
        stderr(&out).contains("differs from rules version 2")
            && stderr(&out).contains("using version 2"),
        "{}",
        stderr(&out)
    );
    let said = ok(&run(d, &["rules", "apply", path.to_str().unwrap()]));
    assert!(said.contains("rules version 3"), "{said}");
    let out = run(d, &["plan", "--format", "json"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_ne!(stdout(&out), good, "the threshold at 20000 now");
    std::fs::write(&path, &raised).unwrap();
    ok(&run(d, &["rules", "apply", path.to_str().unwrap()]));

    // Broken by hand on disk: an error at a known line.
    let broken = raised.replace("Product.amount > 50000", "Product.amount <> 50000");
    let line = broken.lines().position(|l| l.contains("<> 50000")).unwrap() + 1;
    std::fs::write(d.join("purchasing.grl"), &broken).unwrap();

    let out = run(d, &["plan", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), good, "planned with the last good version");
    let warning = stderr(&out);
    let path = d.join("purchasing.grl").display().to_string();
    assert!(
        warning.contains(&format!("{path}:{line}:")),
        "file:line named: {warning}"
    );
    assert!(
        warning.contains("using the last good rules version 4"),
        "{warning}"
    );
    assert!(audit(d).contains("rules_broken_on_start"));

    let out = run(d, &["--strict", "plan", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains(&format!("{path}:{line}:")),
        "{}",
        stderr(&out)
    );
}
