use super::*;

fn row(id: &str, day: Option<&str>, qty: Option<&str>) -> (Arc<str>, Option<String>, Num) {
    (id.into(), day.map(str::to_string), Num::parse(qty))
}

#[test]
fn days_parse_with_or_without_a_time_and_nothing_else() {
    let d = |t: &str| parse_day(t).map(day_text);
    assert_eq!(d("2026-11-20").as_deref(), Some("2026-11-20"));
    assert_eq!(d(" 2026-11-20 ").as_deref(), Some("2026-11-20"));
    assert_eq!(d("2026-11-20 00:00:00").as_deref(), Some("2026-11-20"));
    assert_eq!(d("2026-11-20T13:45:00Z").as_deref(), Some("2026-11-20"));
    assert_eq!(d("2024-02-29").as_deref(), Some("2024-02-29"));
    for bad in [
        "2026-02-30",
        "2026-13-01",
        "2026-1-05",
        "20261120",
        "2026-11-20x",
        "n/a",
        "",
        "+026-11-20",
    ] {
        assert_eq!(d(bad), None, "{bad}");
    }
}

#[test]
fn series_pad_to_the_last_day_sum_duplicates_and_ignore_order() {
    let rows = vec![
        row("B", Some("2026-01-03"), Some("2")),
        row("A", Some("2026-01-02"), Some("1.5")),
        row(" B ", Some("2026-01-01 00:00:00"), Some("4")),
        row("A", Some("2026-01-02"), Some("2.5")),
        row("B", Some("2026-01-03"), Some("0")),
        row("A", Some("2026-01-04"), Some("1")),
    ];
    let h = HistorySeries::from_rows(rows, "2026-01-06");
    assert_eq!(h.skipped, 0);
    let ids: Vec<&str> = h.series.iter().map(|(id, _)| &**id).collect();
    assert_eq!(ids, ["A", "B"], "sorted, one series per trimmed id");
    let a = h.get("A").unwrap();
    assert_eq!(a.first_day, "2026-01-02");
    assert_eq!(a.qty, [4.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(a.last_day(), "2026-01-06");
    let b = h.get("B").unwrap();
    assert_eq!(b.first_day, "2026-01-01");
    assert_eq!(b.qty, [4.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
    assert_eq!(h.get(" B "), None, "ids are looked up trimmed");
}

#[test]
fn unreadable_rows_are_counted_and_the_first_described_escaped() {
    let rows = vec![
        row("A", Some("2026-01-01"), Some("3")),
        row("E\u{1b}[31m", Some("2026-01-01"), Some("x1")),
        row("A", Some("2026-01-02"), None),
        row("A", Some("2026-01-03"), Some("-2")),
        row("A", Some("someday"), Some("1")),
        row("A", None, Some("1")),
        row("A", Some("2026-02-01"), Some("1")),
        row("  ", Some("2026-01-01"), Some("1")),
        row("A", Some("2026-01-02"), Some("NaN")),
    ];
    let h = HistorySeries::from_rows(rows, "2026-01-05");
    assert_eq!(h.skipped, 8);
    let first = h.first_skipped.as_deref().unwrap();
    assert_eq!(
        first,
        "'E\\u{1b}[31m' day '2026-01-01': quantity 'x1' is not a number"
    );
    assert!(!first.contains('\u{1b}'));
    let a = h.get("A").unwrap();
    assert_eq!(a.qty, [3.0, 0.0, 0.0, 0.0, 0.0], "only the readable row");
    assert_eq!(h.get("E\u{1b}[31m"), None);
    // Each reason in words.
    let why = |r: (Arc<str>, Option<String>, Num)| {
        HistorySeries::from_rows(vec![r], "2026-01-05")
            .first_skipped
            .unwrap()
    };
    assert!(why(row("A", Some("2026-01-02"), None)).ends_with("quantity is NULL"));
    assert!(why(row("A", Some("2026-01-03"), Some("-2"))).ends_with("negative quantity -2"));
    assert!(why(row("A", Some("someday"), Some("1"))).ends_with("not a date"));
    assert!(why(row("A", None, Some("1"))).contains("day NULL: not a date"));
    assert!(why(row("A", Some("2026-02-01"), Some("1")))
        .ends_with("after the history's last day 2026-01-05"));
    assert!(why(row(" ", Some("2026-01-01"), Some("1"))).ends_with("no product id"));
    let long = "x".repeat(100);
    assert!(why(row(&long, Some("2026-01-01"), Some("?")))
        .starts_with(&format!("'{}...' day", "x".repeat(40))));
}

#[test]
fn without_a_last_day_every_series_runs_to_the_latest_day_read() {
    let rows = vec![
        row("A", Some("2026-01-01"), Some("1")),
        row("A", Some("2026-01-03"), Some("1")),
        row("B", Some("2026-01-05"), Some("2")),
    ];
    let h = HistorySeries::from_rows(rows, "");
    assert_eq!(h.last_day, "2026-01-05");
    assert_eq!(h.get("A").unwrap().qty, [1.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(h.get("B").unwrap().qty, [2.0]);
    assert_eq!(HistorySeries::from_rows(Vec::new(), "").last_day, "");
}

#[test]
fn the_raw_cell_path_reads_like_the_parsed_one() {
    let mut b = SeriesBuilder::new("2026-01-03");
    b.push(Some(" A"), Some("2026-01-01"), Some(" 12.5000 "));
    b.push(None, Some("2026-01-01"), Some("1"));
    b.push(Some("A"), Some("2026-01-03"), Some("1e1"));
    let h = b.finish();
    assert_eq!(h.get("A").unwrap().qty, [12.5, 0.0, 10.0]);
    assert_eq!(h.skipped, 1);
}
