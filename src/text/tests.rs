//! The text helpers: nothing from outside reaches a terminal as a control
//! sequence, no word (an id, a figure) is ever broken, a shortened list
//! still counts every item.

use super::*;
use proptest::prelude::*;

#[test]
fn printable_escapes_control_characters_and_direction_overrides() {
    assert_eq!(printable("Resin B (kg)"), "Resin B (kg)");
    assert!(matches!(printable("Café Ltd."), Cow::Borrowed(_)));
    assert_eq!(
        printable("Evil\u{1b}[2J Co.\r\nnext\tcell"),
        "Evil\\u{1b}[2J Co.\\u{d}\\u{a}next\\u{9}cell"
    );
    assert_eq!(printable("abc\u{202e}cba"), "abc\\u{202e}cba");
    assert_eq!(printable("del\u{7f}"), "del\\u{7f}");
    // Zero-width characters hide text: shown too.
    assert_eq!(
        printable("PROD\u{200b}-001\u{feff}"),
        "PROD\\u{200b}-001\\u{feff}"
    );
    // On a screen each takes one column.
    assert_eq!(masked("Evil\u{1b}[2J Co.\r\n"), "Evil?[2J Co.??");
    assert!(matches!(masked("Café"), Cow::Borrowed(_)));
    assert!(!printable("\u{9b}31m").chars().any(char::is_control));
}

#[test]
fn wrap_breaks_at_spaces_only() {
    assert_eq!(
        wrap("ORDER_LATE OVERSHOOT ON_PO", 12),
        ["ORDER_LATE", "OVERSHOOT", "ON_PO"]
    );
    assert_eq!(wrap("ORDER_LATE ON_PO", 16), ["ORDER_LATE ON_PO"]);
    // A word wider than the line keeps a line of its own, whole.
    assert_eq!(
        wrap("a SUPPLIER_INACTIVE b", 8),
        ["a", "SUPPLIER_INACTIVE", "b"]
    );
    assert_eq!(wrap("", 8), [""]);
}

#[test]
fn pack_breaks_between_parts() {
    let parts: Vec<String> = [
        "order 600 -> 552",
        "purchase 50 boxes -> 46 boxes",
        "+RULE_ERROR",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        pack(&parts, ", ", 40, "PROD-001 ", "         "),
        [
            "PROD-001 order 600 -> 552,",
            "         purchase 50 boxes -> 46 boxes,",
            "         +RULE_ERROR"
        ]
    );
    assert_eq!(
        pack(&parts, ", ", 200, "", ""),
        ["order 600 -> 552, purchase 50 boxes -> 46 boxes, +RULE_ERROR"]
    );
}

/// The ids a text names, and the counts it gives for the ones it leaves
/// out ("... and 17 more").
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

#[test]
fn long_lists_are_shortened_with_a_count_of_the_rest() {
    let ids: Vec<String> = (1..=20).map(|n| format!("SKU-{n:07}")).collect();
    let approval: Vec<&String> = ids.iter().step_by(3).collect();
    let text = format!(
        "PO-000001 ABC Supplies Co.: 457802.50 EUR ({}); needs approval: total 457,802.50 EUR is above the approval threshold 10,000.00; the rules ask approval for {}",
        ids.join(", "),
        approval.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    );
    let short = shorten_lists(&text, 3, 5);
    assert_eq!(
        short,
        "PO-000001 ABC Supplies Co.: 457802.50 EUR (SKU-0000001, SKU-0000002, SKU-0000003, ... and 17 more); \
         needs approval: total 457,802.50 EUR is above the approval threshold 10,000.00; the rules ask approval \
         for SKU-0000001, SKU-0000004, SKU-0000007, ... and 4 more"
    );
    let (shown, more) = ids_and_more(&short);
    assert_eq!(shown.len() + more, ids.len() + approval.len());
    // Short lists and prose stay as they are.
    for kept in [
        "first PROD-003, SKU-0000044, SKU-0000068",
        "draft, approved, sent",
        "a, b, c, d, e",
    ] {
        assert_eq!(shorten_lists(kept, 3, 5), kept);
    }
    assert_eq!(
        shorten_lists("a, b, c, d, e, f, g", 2, 3),
        "a, b, ... and 5 more"
    );
}

#[test]
fn a_hanging_indent_keeps_every_word_whole_under_the_first_line() {
    let text =
        "      target_qty = demand_during_lead_time + safety_stock = 1050 + 0 = 1050 (was 0)";
    let lines = hanging(text, 40, 8);
    assert!(lines.iter().all(|l| width_of(l) <= 40), "{lines:#?}");
    assert!(lines[0].starts_with("      target_qty"));
    assert!(lines[1..]
        .iter()
        .all(|l| l.starts_with("        ") && !l[8..].starts_with(' ')));
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
    assert_eq!(hanging("short", 40, 4), ["short"]);
}

#[test]
fn a_csv_cell_never_runs_as_a_spreadsheet_formula() {
    for (cell, want) in [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tTAB", "'\\u{9}TAB"),
        ("\rCR", "'\\u{d}CR"),
        ("Evil\u{1b}]52;c;x\u{7}", "Evil\\u{1b}]52;c;x\\u{7}"),
    ] {
        assert_eq!(csv_cell(cell), want, "{cell:?}");
    }
    // Numbers and plain text stay as they are.
    for plain in ["-5", "-0.25", "15898", "Widget A", "", "PROD-001", "a=b"] {
        assert!(matches!(csv_cell(plain), Cow::Borrowed(_)), "{plain:?}");
    }
}

#[test]
fn a_log_line_quoting_a_source_cannot_drive_a_terminal() {
    use std::io::Write;
    let mut w = EscapingWriter(Vec::new());
    w.write_all(b"INFO loaded PROD-001 \"Evil\x1b]52;c;bad\x07\"\n")
        .unwrap();
    w.write_all("WARN supplier said \u{9b}31m\r\n".as_bytes())
        .unwrap();
    w.write_all(b"INFO plain line\n").unwrap();
    let log = String::from_utf8(w.0).unwrap();
    assert_eq!(
        log,
        "INFO loaded PROD-001 \"Evil\\u{1b}]52;c;bad\\u{7}\"\nWARN supplier said \\u{9b}31m\\u{d}\nINFO plain line\n"
    );
}

proptest! {
    /// Any list of ids in any text: every id shown is whole, and the ids
    /// shown plus the counts given are all of them.
    #[test]
    fn a_shortened_list_counts_every_item(
        n in 0usize..60,
        m in 0usize..30,
        keep in 1usize..5,
        prefix in "[a-z ]{0,12}",
    ) {
        let list = |from: usize, n: usize| (from..from + n).map(|k| format!("SKU-{k:07}")).collect::<Vec<_>>().join(", ");
        let text = format!("{prefix}({}); {prefix} for {}", list(0, n), list(100, m));
        let short = shorten_lists(&text, keep, keep + 2);
        let (shown, more) = ids_and_more(&short);
        prop_assert_eq!(shown.len() + more, n + m, "{}", short);
        for id in &shown {
            prop_assert!(text.contains(id.as_str()));
        }
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word(words in proptest::collection::vec("[A-Z_]{1,14}", 0..20), width in 1usize..40) {
        let text = words.join(" ");
        let lines = wrap(&text, width);
        for l in &lines {
            prop_assert!(width_of(l) <= width || !l.contains(' '), "{:?}", l);
        }
        let joined = lines.join(" ");
        let kept: Vec<&str> = joined.split(' ').filter(|w| !w.is_empty()).collect();
        prop_assert_eq!(kept, words.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
