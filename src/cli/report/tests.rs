//! The plan table and the dry run as people read them: currencies named
//! when a list mixes them, text from the sources escaped, the dry run's
//! figures whole at any width.

use super::*;
use crate::plan::fixtures::reference_rows;
use crate::plan::{join, plan_all, PlanContext, RuleSet, DEFAULT_RULES};
use crate::text::width_of;

fn plans(currencies: &[(&str, &str)], name_of_001: &str) -> Vec<ProductPlan> {
    let mut rows = reference_rows();
    for s in &mut rows.suppliers {
        if let Some((_, c)) = currencies.iter().find(|(id, _)| **id == *s.product_id) {
            s.currency = Some((*c).into());
        }
    }
    for o in &mut rows.oms {
        if &*o.product_id == "PROD-001" {
            o.product_name = Some(name_of_001.into());
        }
    }
    plan_all(&join(rows), &PlanContext::default(), &RuleSet::embedded())
}

/// The Amount cell of `id` in a table printed whole.
fn amount_cell(table: &str, id: &str) -> String {
    let line = table
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not in\n{table}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.contains('.') && w.contains(',') || *w == "0.00")
        .unwrap();
    words[at..].join(" ")
}

#[test]
fn amounts_name_their_currency_when_the_list_holds_more_than_one() {
    // No currency in the rows: the configured one, once for all, unsaid.
    let one = table(&plans(&[], "Widget A (pieces)"), &Fit::WHOLE, "EUR");
    assert!(amount_cell(&one, "PROD-001").starts_with("9,300.00"));
    assert!(!one.contains("EUR") && !one.contains("USD"), "{one}");
    // PROD-002 in USD, the others in the configured EUR: each says which.
    let mixed = table(
        &plans(&[("PROD-002", "USD")], "Widget A (pieces)"),
        &Fit::WHOLE,
        "EUR",
    );
    assert!(
        amount_cell(&mixed, "PROD-001").starts_with("9,300.00 EUR"),
        "{mixed}"
    );
    assert!(
        amount_cell(&mixed, "PROD-002").starts_with("21,274.39 USD"),
        "{mixed}"
    );
    assert!(
        amount_cell(&mixed, "PROD-003").starts_with("179,560.76 EUR"),
        "{mixed}"
    );
}

#[test]
fn text_from_the_sources_reaches_neither_terminal_nor_csv_as_control_characters() {
    let plans = plans(&[], "Widget \u{1b}]0;owned\u{7}A\r\n");
    for width in [None, Some(80), Some(160)] {
        let fit = Fit {
            width,
            ascii: false,
        };
        let t = table(&plans, &fit, "EUR");
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
    }
    let t = table(&plans, &Fit::WHOLE, "EUR");
    assert!(
        t.contains("Widget \\u{1b}]0;owned\\u{7}A\\u{d}\\u{a}"),
        "{t}"
    );
    let mut csv = Vec::new();
    write_csv(&plans, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(!csv.chars().any(|c| c.is_control() && c != '\n'), "{csv:?}");
    assert!(
        csv.contains("Widget \\u{1b}]0;owned\\u{7}A\\u{d}\\u{a}"),
        "{csv}"
    );
}

fn mixed_dry_run() -> DryRun {
    let mut rows = reference_rows();
    for s in &mut rows.suppliers {
        s.currency = Some(
            if &*s.product_id == "PROD-002" {
                "EUR"
            } else {
                "USD"
            }
            .into(),
        );
    }
    let candidate = crate::rules::load(
        &DEFAULT_RULES.replace(
            "Product.rounding_multiple = Product.moq;",
            "Product.rounding_multiple = 1.0;",
        ),
        "rounding.grl",
    )
    .unwrap();
    crate::rules::dry_run(
        &join(rows),
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    )
}

#[test]
fn the_dry_run_gives_a_total_per_currency_and_each_amount_its_currency() {
    let d = mixed_dry_run();
    let text = dry_run_table(&d, false, &Fit::WHOLE);
    assert!(!text.contains("Total amount:"), "{text}");
    for t in &d.summary.totals {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("Total amount {}:", t.label())))
            .unwrap_or_else(|| panic!("no total of {} in\n{text}", t.label()));
        assert!(
            line.ends_with(&format!(
                "{} -> {} ({})",
                fmt_money(t.amount_before),
                fmt_money(t.amount_after),
                fmt_money(round_money(t.amount_after - t.amount_before))
            )),
            "{line}"
        );
    }
    // The table: PROD-002 in EUR, the others in USD, beside each amount.
    for c in &d.changes {
        let line = text.lines().find(|l| l.starts_with(&c.product_id)).unwrap();
        assert!(
            line.contains(&format!(
                "{} -> {} {}",
                fmt_money(c.before.amount),
                fmt_money(c.after.amount),
                c.currency_label()
            )),
            "{line}"
        );
    }
}

#[test]
fn a_narrow_dry_run_lists_each_product_with_what_changed_whole() {
    let d = mixed_dry_run();
    for width in [40, 60, 80] {
        let text = dry_run_table(&d, true, &Fit::width(width));
        for l in text.lines() {
            assert!(width_of(l) <= width, "{width}: {l:?}");
        }
        // Every figure of every change, whole, in the product's entry.
        for c in &d.changes {
            let entry: String = text
                .split('\n')
                .skip_while(|l| !l.starts_with(&format!("{} ", c.product_id)))
                .skip(1)
                .take_while(|l| l.starts_with("  ") && !l.starts_with("     "))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(entry, c.change_parts(true).join(", "), "{width}:\n{text}");
        }
        // --why: the steps under each product, wrapped at the width.
        assert!(text.contains("     1. "), "{text}");
    }
}

#[test]
fn the_plan_csv_keeps_a_formula_in_a_name_as_text() {
    for (name, want) in [
        (
            "=HYPERLINK(\"http://evil\",\"x\")",
            "'=HYPERLINK(\"http://evil\",\"x\")",
        ),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-1+1", "'-1+1"),
    ] {
        let plans = plans(&[], name);
        let mut csv = Vec::new();
        write_csv(&plans, &mut csv).unwrap();
        let mut reader = csv::Reader::from_reader(&csv[..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let row = rows.iter().find(|r| &r[0] == "PROD-001").unwrap();
        assert_eq!(&row[1], want, "{name}");
        // Every other cell of every row: no cell a spreadsheet would run.
        for r in &rows {
            for cell in r.iter() {
                let risky = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(!risky, "{name}: cell {cell:?}");
            }
        }
    }
}
