//! `buyerdesk override ...` as a buyer or a script runs it, on the
//! embedded demo: whole packs, used once, exit codes, the list's figures
//! recomputed, imports all or nothing.

mod common;

use std::process::{Command, Output};

use common::bin;

/// Runs buyerdesk as `user` with its own data dir and no inherited source
/// settings.
fn run_as(dir: &std::path::Path, user: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("BUYERDESK_DATA_DIR", dir)
        .env("XDG_CONFIG_HOME", dir.join("config-home"))
        .env("HOME", dir)
        .env("USER", user)
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("BUYERDESK_") && k != "BUYERDESK_DATA_DIR" || k.ends_with("_DB_HOST") {
            cmd.env_remove(k);
        }
    }
    cmd.output().expect("buyerdesk runs")
}

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    run_as(dir, "alice", args)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert!(o.status.success(), "{out}{err}");
    out
}

/// A figure as printed ("10,974.00").
fn number(s: &str) -> f64 {
    s.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{s:?}"))
}

/// PROD-001's plan as `plan --format json` gives it.
fn plan_json(dir: &std::path::Path) -> serde_json::Value {
    let out = ok(&run(
        dir,
        &["plan", "--product", "PROD-001", "--format", "json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

/// The "done when": 700 pieces is refused offering 696 and 708;
/// 708 is saved (its figures printed and recomputed), drafted, sent and
/// received, after which it no longer applies, the list names the PO
/// that took it, and the next draft orders the suggestion.
#[test]
fn an_override_is_whole_packs_and_used_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refused = run(
        d,
        &["override", "set", "PROD-001", "700", "--reason", "PROMO"],
    );
    let (out, err) = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("PROD-001: 700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"),
        "{err}"
    );
    let in_boxes = run(
        d,
        &[
            "override", "set", "PROD-001", "58.5", "--unit", "purchase", "--reason", "PROMO",
        ],
    );
    assert_eq!(in_boxes.status.code(), Some(1));
    assert!(text(&in_boxes)
        .1
        .contains("58 boxes (696 pieces) or 59 boxes (708 pieces)"));
    let no_reason = run(d, &["override", "set", "PROD-001", "708"]);
    assert_eq!(
        no_reason.status.code(),
        Some(2),
        "clap: --reason is required"
    );
    let bad_reason = run(
        d,
        &["override", "set", "PROD-001", "708", "--reason", "LUNCH"],
    );
    assert_eq!(bad_reason.status.code(), Some(1));
    assert!(text(&bad_reason)
        .1
        .contains("one of PROMO, SUPPLIER_CONSTRAINT"));
    assert!(
        ok(&run(d, &["override", "list", "--format", "json"])).trim() == "[]",
        "refusals save nothing"
    );

    let suggestion = plan_json(d);
    let price = suggestion["unit_price"].as_f64().unwrap();
    let saved = ok(&run(
        d,
        &[
            "override", "set", "PROD-001", "708", "--reason", "PROMO", "--note", "spring",
        ],
    ));
    // "PROD-001: saved 708 pieces = 59 boxes, 10,974.00 USD (suggested 600 pieces), PROMO: spring"
    let words: Vec<&str> = saved.split_whitespace().collect();
    assert_eq!(words[..3], ["PROD-001:", "saved", "708"], "{saved}");
    let (qty, boxes) = (number(words[2]), number(words[5]));
    assert_eq!(qty, boxes * 12.0, "{saved}: boxes of 12");
    let amount = number(words[7]);
    assert!(
        (amount - qty * price).abs() < 0.005,
        "{saved}: {qty} x {price}"
    );
    assert!(
        saved.contains("USD (suggested 600 pieces), PROMO: spring"),
        "{saved}"
    );
    let shown = plan_json(d);
    assert_eq!(shown["override_qty"].as_f64(), Some(708.0));
    // `plan` shows what an order takes as the screen does: the buyer's
    // purchase quantity and amount beside the suggestion, in JSON, the
    // table and CSV, each multiplied out again here.
    let pack = shown["conversion_factor"].as_f64().unwrap();
    assert_eq!(shown["override_purchase_qty"].as_f64(), Some(708.0 / pack));
    let buyers = shown["override_amount"].as_f64().unwrap();
    assert!((buyers - 708.0 * price).abs() < 0.005, "{shown}");
    assert_eq!(
        shown["amount"].as_f64(),
        suggestion["amount"].as_f64(),
        "the suggestion stays"
    );
    let table = ok(&run(d, &["plan", "--product", "PROD-001", "--width", "0"]));
    let row = table
        .lines()
        .find(|l| l.starts_with("PROD-001"))
        .expect(&table);
    let cells: Vec<&str> = row.split_whitespace().collect();
    let at = cells.iter().position(|c| *c == "->").expect(row);
    assert_eq!(
        (number(cells[at - 1]), number(cells[at + 1])),
        (600.0, 708.0),
        "{row}"
    );
    assert_eq!(number(cells[at + 2]) * pack, 708.0, "{row}: purchase units");
    assert_eq!(cells[at + 3], "boxes", "{row}");
    assert!(
        (number(cells[at + 4]) - 708.0 * price).abs() < 0.005,
        "{row}"
    );
    let csv = ok(&run(
        d,
        &["plan", "--product", "PROD-001", "--format", "csv"],
    ));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let values: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| number(values[header.iter().position(|h| *h == name).expect(name)]);
    assert_eq!(cell("override_qty"), 708.0, "{csv}");
    assert_eq!(cell("override_purchase_qty") * pack, 708.0, "{csv}");
    assert!(
        (cell("override_amount") - 708.0 * price).abs() < 0.005,
        "{csv}"
    );
    assert_eq!(
        cell("amount"),
        suggestion["amount"].as_f64().unwrap(),
        "{csv}"
    );

    let drafted = ok(&run(d, &["po", "draft", "--product", "PROD-001"]));
    assert!(
        drafted.contains("PO-000001") && drafted.contains("10,974.00 USD"),
        "{drafted}"
    );
    ok(&run(d, &["po", "approve", "PO-000001", "--yes"]));
    // Approved, not yet sent: it still applies.
    assert_eq!(plan_json(d)["override_qty"].as_f64(), Some(708.0));
    ok(&run(d, &["po", "send", "PO-000001"]));
    assert_eq!(
        plan_json(d)["override_qty"],
        serde_json::Value::Null,
        "sent: the override no longer applies"
    );
    let listed = ok(&run(d, &["override", "list"]));
    assert!(listed.contains("used by PO-000001 (sent 20"), "{listed}");
    ok(&run(d, &["po", "receive", "PO-000001"]));
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(d, &["override", "list", "--format", "json"]))).unwrap();
    assert_eq!(v[0]["used_by"]["po_number"], "PO-000001");
    assert_eq!(v[0]["used_by"]["status"], "received");
    assert_eq!(v[0]["applies"], false);
    let next = ok(&run(d, &["po", "draft", "--product", "PROD-001"]));
    assert!(
        next.contains("PO-000002") && next.contains("9,300.00 USD"),
        "the suggestion (600 x 15.50) is ordered: {next}"
    );
    // A new override applies again.
    ok(&run(
        d,
        &[
            "override",
            "set",
            "PROD-001",
            "60",
            "--unit",
            "purchase",
            "--reason",
            "CUSTOMER_ORDER",
        ],
    ));
    assert_eq!(plan_json(d)["override_qty"].as_f64(), Some(720.0));
}

/// The list's figures are the override's: purchase = qty / pack, amount =
/// qty x price, in table and JSON; clearing says what it cleared and
/// exits 1 when there is nothing; replacing another user's override
/// says whose.
#[test]
fn list_clear_and_replace() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&run_as(
        d,
        "buyer2",
        &[
            "override",
            "set",
            "PROD-002",
            "91",
            "--unit",
            "purchase",
            "--reason",
            "SUPPLIER_CONSTRAINT",
        ],
    ));
    let replaced = ok(&run(
        d,
        &[
            "override", "set", "PROD-002", "200.6186", "--reason", "PROMO",
        ],
    ));
    assert!(
        replaced
            .contains("replaced buyer2's override: 200.6186 (SUPPLIER_CONSTRAINT), set by buyer2"),
        "{replaced}"
    );
    ok(&run(
        d,
        &[
            "override",
            "set",
            "PROD-001",
            "720",
            "--reason",
            "OTHER",
            "--note",
            "=cmd|' /C calc'!A0 \u{1b}[31mred",
        ],
    ));
    let plans: serde_json::Value = serde_json::from_str(&ok(&run(
        d,
        &[
            "plan",
            "--product",
            "PROD-001",
            "--product",
            "PROD-002",
            "--format",
            "json",
        ],
    )))
    .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(d, &["override", "list", "--format", "json"]))).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        let id = item["product_id"].as_str().unwrap();
        let plan = plans
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product_id"] == id)
            .unwrap();
        let qty = item["order_qty"].as_f64().unwrap();
        let pack = plan["conversion_factor"].as_f64().unwrap();
        let price = plan["unit_price"].as_f64().unwrap();
        let purchase = item["purchase_qty"].as_f64().unwrap();
        assert!(
            (purchase - qty / pack).abs() < 1e-6,
            "{id}: {purchase} = {qty} / {pack}"
        );
        assert_eq!(purchase, purchase.round(), "{id}: whole packs");
        let amount = item["amount"].as_f64().unwrap();
        assert!(
            (amount - qty * price).abs() <= 0.005 + 1e-9,
            "{id}: {amount} = {qty} x {price}"
        );
    }
    assert_eq!(items[1]["user"], "alice");
    let table = ok(&run(d, &["--width", "200", "override", "list"]));
    let row = table
        .lines()
        .find(|l| l.starts_with("PROD-002"))
        .expect(&table);
    let cells: Vec<&str> = row.split_whitespace().collect();
    // PROD-002  200.6186 kg  91 lb  <amount>  USD ...
    assert_eq!(number(cells[1]), 200.6186, "{row}");
    assert_eq!(number(cells[3]), 91.0, "{row}");
    assert!(
        (number(cells[5]) - 200.6186 * 25.0).abs() <= 0.005 + 1e-9,
        "{row}"
    );
    assert!(
        !table.contains('\u{1b}'),
        "the note's escape is shown, not sent: {table}"
    );

    let cleared = ok(&run(d, &["override", "clear", "PROD-002"]));
    assert!(
        cleared.contains("PROD-002: cleared the override 200.6186 (PROMO), set by alice"),
        "{cleared}"
    );
    let again = run(d, &["override", "clear", "PROD-002"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).1.contains("PROD-002 has no override to clear"));
    let log = ok(&run(d, &["audit"]));
    assert!(log.contains("override_cleared"), "{log}");
    assert!(
        log.contains("replacing buyer2's 200.6186 (SUPPLIER_CONSTRAINT)"),
        "{log}"
    );
}

/// An import is checked whole first: every bad row is named with its
/// line and why, nothing is saved, exit 1; hostile cells are data. A
/// good file is saved in one go.
#[test]
fn import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "product_id,qty,unit,reason,note\n\
         PROD-001,708,stock,PROMO,spring\n\
         PROD-002,700,stock,PROMO,\n\
         =HYPERLINK(\"http://x\"),1,stock,PROMO,\n\
         PROD-003,10,crate,PROMO,\n\
         PROD-001,720,stock,PROMO,twice\n\
         PROD-002,91,purchase,,\n\
         PROD-002,91,purchase,OTHER,\n\
         PROD-003,\"1,000\",stock,DATA_ERROR,\"\u{1b}]0;pwned\u{7}\"\n",
    )
    .unwrap();
    let out = run(d, &["override", "import", bad.to_str().unwrap()]);
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    for expected in [
        "line 3: PROD-002: 700 kg is 317.52 lb: order",
        "line 4: =HYPERLINK(\"http://x\"): no source knows this product",
        "line 5: PROD-003: unit 'crate': stock or purchase",
        "line 6: PROD-001: already on line 2",
        "line 7: PROD-002: no reason (there is no default)",
        "line 8: PROD-002: reason OTHER needs a note",
        "line 9: PROD-003: '1,000': use a point",
        "7 bad rows of 8; nothing imported",
    ] {
        assert!(err.contains(expected), "{expected:?} in\n{err}");
    }
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert_eq!(
        ok(&run(d, &["override", "list", "--format", "json"])).trim(),
        "[]"
    );

    let good = d.join("good.csv");
    std::fs::write(
        &good,
        "product_id,qty,unit,reason,note\n\
         PROD-001,59,purchase,PROMO,\"=1+1, spring\"\n\
         PROD-002,200.6186,,SUPPLIER_CONSTRAINT,\n",
    )
    .unwrap();
    let out = ok(&run(d, &["override", "import", good.to_str().unwrap()]));
    assert!(
        out.contains("line 2: PROD-001: 708 pieces = 59 boxes, 10,974.00 USD PROMO"),
        "{out}"
    );
    assert!(out.contains("imported 2 overrides"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(d, &["override", "list", "--format", "json"]))).unwrap();
    assert_eq!(v[0]["note"], "=1+1, spring", "kept as data");
    assert_eq!(v[1]["order_qty"], 200.6186);

    let header = d.join("header.csv");
    std::fs::write(&header, "product,qty\nPROD-001,12\n").unwrap();
    let out = run(d, &["override", "import", header.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out)
        .1
        .contains("line 1: the header must be product_id,qty,unit,reason,note"));
}

#[test]
fn every_override_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["override", "--help"],
        vec!["override", "set", "--help"],
        vec!["override", "clear", "--help"],
        vec!["override", "list", "--help"],
        vec!["override", "import", "--help"],
    ] {
        let out = ok(&run(dir.path(), &args));
        assert!(out.contains("Usage: buyerdesk override"), "{args:?}: {out}");
    }
}
