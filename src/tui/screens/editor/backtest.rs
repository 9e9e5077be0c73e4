//! The policy backtest in the editor (F6): the rules in force and the
//! draft replayed over the last 90 days of history (`rules::backtest`),
//! per demand class, per ABC class and in total: the fill rate and the
//! average stock value of each, and the difference. Runs in the
//! background; an answer to an older request is dropped; Esc closes it.

use std::sync::Arc;

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::plan::numbers::fmt_money;
use crate::rules::backtest::{percent, points, Comparison, Group};
use crate::text::{pack, printable};

/// The backtest asked for in the editor.
#[derive(Debug, Clone)]
pub enum BacktestState {
    /// Sent with this request id; waiting.
    Running(u64),
    Done(Arc<Comparison>),
    Failed(String),
}

impl BacktestState {
    pub fn is_running(&self, request: u64) -> bool {
        matches!(self, BacktestState::Running(r) if *r == request)
    }
}

/// "12,345.67 -> 11,000.00 EUR (-1,345.67)" for each currency either side
/// holds (never added across currencies; no code where the source gave
/// none).
fn values(a: &Group, b: &Group) -> Vec<String> {
    let mut currencies: Vec<Option<&str>> = (a.avg_stock_value.iter())
        .chain(&b.avg_stock_value)
        .map(|m| m.currency.as_deref())
        .collect();
    currencies.sort();
    currencies.dedup();
    currencies
        .into_iter()
        .map(|c| {
            let (x, y) = (a.value_in(c), b.value_in(c));
            let diff = y - x;
            format!(
                "{} -> {}{} ({}{})",
                fmt_money(x),
                fmt_money(y),
                c.map(|c| format!(" {}", printable(c))).unwrap_or_default(),
                if diff >= 0.0 { "+" } else { "" },
                fmt_money(diff)
            )
        })
        .collect()
}

/// The panel's lines at `width` columns.
pub(in crate::tui) fn backtest_lines(state: &BacktestState, width: usize) -> Vec<Line<'static>> {
    let width = width.max(20);
    let words = |text: &str| -> Vec<String> { text.split(' ').map(str::to_string).collect() };
    let wrap = |text: &str, first: &str, rest: &str| -> Vec<String> {
        pack(&words(&printable(text)), " ", width, first, rest)
    };
    let c = match state {
        BacktestState::Running(_) => {
            return vec![Line::from(
                "Backtest: replaying the last 90 days with the rules in force and the draft...",
            )]
        }
        BacktestState::Failed(e) => {
            return wrap(&format!("Backtest not run: {e}"), "", "  ")
                .into_iter()
                .map(Line::from)
                .collect()
        }
        BacktestState::Done(c) => c,
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let b = &c.in_force;
    let head = format!(
        "Backtest {} to {} ({} days, {} products): in force -> draft. Fill rate, then average stock value (Esc closes)",
        b.first_day,
        b.last_day,
        b.days,
        b.products.len()
    );
    let mut lines: Vec<Line<'static>> = wrap(&head, "", "  ")
        .into_iter()
        .map(|l| Line::styled(l, bold))
        .collect();
    // The total first: at 80x24 the panel shows only its first lines, and
    // the classes follow in their order.
    let mut rows = c.rows();
    rows.sort_by_key(|(a, _)| a.key != "total");
    for (a, d) in rows {
        let label = match a.key.as_str() {
            "total" => "Total".to_string(),
            "none" => "no class".to_string(),
            k if k.len() == 1 => format!("ABC {k}"),
            k => k.to_string(),
        };
        let text = format!(
            "{label}: fill {} -> {} ({}); stock {}",
            percent(a.fill_rate),
            percent(d.fill_rate),
            points(a.fill_rate, d.fill_rate),
            match values(a, d) {
                v if v.is_empty() => "-".to_string(),
                v => v.join("; "),
            }
        );
        let style = if a.key == "total" { bold } else { Style::new() };
        lines.extend(
            wrap(&text, "", "    ")
                .into_iter()
                .map(|l| Line::styled(l, style)),
        );
    }
    let errors = c.draft.summary.total.rule_errors;
    if errors > 0 {
        lines.extend(
            wrap(
                &format!("The draft failed on {errors} product-days (RULE_ERROR: no order); F5 names the rules"),
                "",
                "  ",
            )
            .into_iter()
            .map(|l| Line::styled(l, bold)),
        );
    }
    lines
}
