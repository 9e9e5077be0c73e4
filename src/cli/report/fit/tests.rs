//! Tables laid out for a width: columns left out by rank, never an id or a
//! figure cut; without a width, every column.

use super::*;
use crate::plan::numbers::fmt_money;
use proptest::prelude::*;

fn sample() -> Table {
    use Align::*;
    use Cut::*;
    let mut t = Table::new(vec![
        Column::new("Product", Left, Never, 0),
        Column::new("Name", Left, Ellipsis(8), 2),
        Column::new("Avail", Right, Never, 3),
        Column::new("Amount", Right, Never, 0),
        Column::new("Exceptions", Left, Wrap, 0),
    ]);
    t.row(vec![
        "PROD-001".into(),
        "Widget A (pieces)".into(),
        "500".into(),
        "9,300.00".into(),
        "ORDER_LATE".into(),
    ]);
    t.row(vec![
        "SKU-0000012".into(),
        "Sealed \u{1b}[31mGasket".into(),
        "2".into(),
        "1,036,938.00".into(),
        "ORDER_LATE OVERSHOOT ON_PO".into(),
    ]);
    t
}

#[test]
fn without_a_width_every_column_is_whole() {
    let r = sample().render(&Fit::WHOLE);
    assert!(r.dropped.is_empty() && !r.overflow);
    assert_eq!(
        r.text,
        "Product      Name                     Avail        Amount  Exceptions\n\
         ───────────  ───────────────────────  ─────  ────────────  ──────────────────────────\n\
         PROD-001     Widget A (pieces)          500      9,300.00  ORDER_LATE\n\
         SKU-0000012  Sealed \\u{1b}[31mGasket      2  1,036,938.00  ORDER_LATE OVERSHOOT ON_PO\n"
    );
}

#[test]
fn a_narrow_width_shortens_names_then_drops_columns_by_rank() {
    // 40 columns: Avail (rank 3) goes first, then Name (rank 2), even
    // shortened to 8; the codes wrap, the spare width goes to them.
    let r = sample().render(&Fit::width(40));
    assert_eq!(r.dropped, ["Name", "Avail"]);
    assert!(!r.overflow);
    assert_eq!(
        r.text,
        "Product            Amount  Exceptions\n\
         ───────────  ────────────  ─────────────\n\
         PROD-001         9,300.00  ORDER_LATE\n\
         SKU-0000012  1,036,938.00  ORDER_LATE\n\
         \x20                          OVERSHOOT\n\
         \x20                          ON_PO\n"
    );
    let r = sample().render(&Fit::width(50));
    assert_eq!(r.dropped, ["Avail"]);
    assert!(r.text.contains("PROD-001     Widget A (…"), "{}", r.text);
    assert!(r.text.lines().all(|l| width_of(l) <= 50), "{}", r.text);
    let note = r.dropped_note(&Fit::width(50));
    assert!(note.starts_with("Not shown at 50 columns: Avail"), "{note}");
    assert!(note.lines().all(|l| width_of(l) <= 50), "{note}");
    // Too narrow even for what cannot go: said, not hidden.
    let r = sample().render(&Fit::width(20));
    assert!(r.overflow);
    assert!(r.text.contains("1,036,938.00"));
}

proptest! {
    /// Any table of ids and figures at any width: no line wider than the
    /// width unless `overflow` says so, and every id and figure of a
    /// column shown is on its row's line, whole.
    #[test]
    fn ids_and_figures_are_never_cut(
        rows in proptest::collection::vec(("[A-Z]{2,4}-[0-9]{3,7}", "[a-z ]{0,30}", 0.0f64..1e9, "[A-Z_]{2,12}( [A-Z_]{2,12}){0,3}"), 1..20),
        width in 20usize..200,
    ) {
        use Align::*;
        use Cut::*;
        let mut t = Table::new(vec![
            Column::new("Id", Left, Never, 0),
            Column::new("Name", Left, Ellipsis(6), 1),
            Column::new("Amount", Right, Never, 2),
            Column::new("Codes", Left, Wrap, 0),
        ]);
        for (id, name, amount, codes) in &rows {
            t.row(vec![id.clone(), name.clone(), fmt_money(*amount), codes.clone()]);
        }
        let fit = Fit::width(width);
        let r = t.render(&fit);
        if !r.overflow {
            for l in r.text.lines() {
                prop_assert!(width_of(l) <= width, "{:?} wider than {}", l, width);
            }
        }
        let lines: Vec<&str> = r.text.lines().skip(2).filter(|l| !l.starts_with(' ')).collect();
        prop_assert_eq!(lines.len(), rows.len());
        for (line, (id, _, amount, codes)) in lines.iter().zip(&rows) {
            prop_assert_eq!(line.split("  ").next(), Some(id.as_str()));
            if !r.dropped.contains(&"Amount") {
                let money = fmt_money(*amount);
                prop_assert!(line.split(' ').any(|w| w == money), "{} lacks {}", line, money);
            }
            let first_code = codes.split(' ').next().unwrap();
            prop_assert!(line.split(' ').any(|w| w == first_code), "{} lacks {}", line, first_code);
        }
    }
}
