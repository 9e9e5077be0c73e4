//! The detail's charts as lines of text: a demand sparkline from the daily
//! history and the stock projection (plan::projection). Text, not canvas
//! widgets, so that the same chart draws in ASCII for `--ascii` terminals
//! and in a snapshot test.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::plan::numbers::{fmt_qty, fmt_qty_short, fmt_units};
use crate::plan::projection::{project, Projection};
use crate::plan::ProductPlan;
use crate::tui::state::App;
use crate::tui::state::DemandHistory;
use crate::tui::theme::Theme;

/// The chart panel for one product, `width` columns wide and at most
/// `height` lines high: the demand above the projection.
pub fn chart_lines(app: &App, plan: &ProductPlan, width: u16, height: u16) -> Vec<Line<'static>> {
    let mut lines = demand_panel(app, plan, width);
    lines.push(Line::from(""));
    let left = height.saturating_sub(lines.len() as u16);
    lines.extend(projection_panel(app, plan, width, left));
    lines
}

/// The daily demand: a sparkline of the history and its statistics.
pub fn demand_panel(app: &App, plan: &ProductPlan, width: u16) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled("Daily demand", bold)];
    let history = app
        .history
        .as_ref()
        .filter(|h| *h.product_id == *plan.product_id);
    lines.extend(demand_lines(
        &app.theme,
        history,
        plan,
        usize::from(width).max(20),
    ));
    lines
}

/// The stock projection: the plot and what it means in words.
pub fn projection_panel(
    app: &App,
    plan: &ProductPlan,
    width: u16,
    height: u16,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled("Stock projection, days from today", bold)];
    match project(plan) {
        None => lines.push(Line::from(
            "No projection: the demand or the stock is not known.",
        )),
        Some(p) => {
            let notes = projection_notes(t, &p, plan);
            // What is left for the plot after the notes and the axis.
            let used = lines.len() + notes.len() + 2;
            let rows = usize::from(height).saturating_sub(used).clamp(3, 10);
            lines.extend(plot(t, &p, usize::from(width).max(20), rows));
            lines.extend(notes);
        }
    }
    lines
}

fn demand_lines(
    t: &Theme,
    history: Option<&DemandHistory>,
    plan: &ProductPlan,
    width: usize,
) -> Vec<Line<'static>> {
    let days = match history.and_then(|h| h.days.as_ref()) {
        None => return vec![Line::from("Loading the daily history...")],
        Some(Err(e)) => return vec![Line::styled(format!("History not read: {e}"), t.danger())],
        Some(Ok(days)) if days.is_empty() => {
            return vec![Line::from(
                "No daily history (the optional oms_daily_demand table is absent or empty).",
            )]
        }
        Some(Ok(days)) => days,
    };
    let values: Vec<f64> = days.iter().map(|(_, q)| *q).collect();
    let shown = &values[values.len().saturating_sub(width)..];
    let good: Vec<f64> = shown.iter().copied().filter(|v| v.is_finite()).collect();
    let max = good.iter().copied().fold(0.0f64, f64::max);
    let min = good.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = good.iter().sum::<f64>() / good.len().max(1) as f64;
    let bars: &[&str] = if t.ascii {
        &[" ", ".", ":", "-", "=", "+", "*", "#"]
    } else {
        &["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    };
    let spark: String = shown
        .iter()
        .map(|v| {
            if !v.is_finite() {
                "?"
            } else if max <= 0.0 {
                bars[0]
            } else {
                let level = ((v / max) * (bars.len() - 1) as f64).round() as usize;
                bars[level.min(bars.len() - 1)]
            }
        })
        .collect();
    let first = days
        .get(days.len() - shown.len())
        .map(|d| d.0.as_str())
        .unwrap_or("");
    let last = days.last().map(|d| d.0.as_str()).unwrap_or("");
    let mut lines = vec![
        Line::from(spark),
        Line::from(format!("{} days, {first} to {last}", shown.len())),
        Line::from(format!(
            "min {}, max {}, mean {}/day",
            fmt_qty_short(if min.is_finite() { min } else { 0.0 }),
            fmt_qty_short(max),
            fmt_qty_short(mean)
        )),
    ];
    // The demand the plan used: what the rules set as `demand_rate` (the
    // forecast or the OMS average), else (rules that set none, such as
    // rules/reference.grl) the OMS average.
    let oms = plan.avg_daily_demand.get();
    let rate = plan.demand_rate.get().filter(|d| *d > 0.0 || oms.is_none());
    if let Some(d) = rate.or(oms) {
        let same = |x: f64| (x - d).abs() <= 1e-9 * (1.0 + d.abs());
        let from = match plan.forecast.as_deref() {
            Some(f) if f.method != "oms_average" && same(f.forecast_daily) => {
                format!("forecast: {}", crate::text::printable(&f.method_label))
            }
            _ if oms.is_some_and(same) => "OMS average".to_string(),
            _ => "demand_rate, as the rules set it".to_string(),
        };
        lines.push(Line::from(format!(
            "The plan uses {}/day ({from})",
            fmt_qty_short(d)
        )));
    }
    if good.len() < shown.len() {
        lines.push(Line::styled(
            format!("{} day(s) not a number (?)", shown.len() - good.len()),
            t.danger(),
        ));
    }
    lines
}

/// The projection plotted: stock without the order, what the order adds,
/// the lead time on the axis.
fn plot(t: &Theme, p: &Projection, width: usize, rows: usize) -> Vec<Line<'static>> {
    let (stock, order, safety, empty) = if t.ascii {
        ("#", "+", ".", " ")
    } else {
        ("█", "▒", "·", " ")
    };
    let top = p
        .with_order
        .iter()
        .chain(std::iter::once(&p.safety_stock))
        .copied()
        .fold(0.0f64, f64::max)
        .max(1.0);
    let days = p.with_order.len();
    let label_width = fmt_qty_short(top).chars().count().max(1);
    let plot_width = width.saturating_sub(label_width + 2).clamp(4, 72);
    let day_of = |c: usize| {
        if plot_width <= 1 {
            0
        } else {
            (c * (days - 1) + (plot_width - 1) / 2) / (plot_width - 1)
        }
    };
    let safety_row = (p.safety_stock > 0.0).then(|| {
        rows - 1
            - ((p.safety_stock / top) * rows as f64)
                .floor()
                .min((rows - 1) as f64) as usize
    });
    let mut lines = Vec::new();
    for r in 0..rows {
        // A cell is filled when the value reaches its middle.
        let threshold = top * ((rows - r) as f64 - 0.5) / rows as f64;
        let label = match r {
            0 => fmt_qty_short(top),
            _ if r == rows - 1 => "0".to_string(),
            _ => String::new(),
        };
        let mut text = format!("{label:>label_width$}{}", t.sym("┤", "|"));
        for c in 0..plot_width {
            let day = day_of(c);
            let cell = if p.without_order[day] >= threshold {
                stock
            } else if p.with_order[day] >= threshold {
                order
            } else if Some(r) == safety_row {
                safety
            } else {
                empty
            };
            text.push_str(cell);
        }
        lines.push(Line::from(text));
    }
    // The axis, with the order's arrival marked.
    let arrival_col = p.arrival_day.map(|a| {
        (0..plot_width)
            .find(|&c| day_of(c) >= a)
            .unwrap_or(plot_width - 1)
    });
    let mut axis = format!("{:>label_width$}{}", "", t.sym("└", "+"));
    for c in 0..plot_width {
        axis.push_str(if Some(c) == arrival_col {
            t.sym("┴", "^")
        } else {
            t.sym("─", "-")
        });
    }
    lines.push(Line::from(axis));
    let mut scale: Vec<char> = format!("{:>label_width$} 0", "").chars().collect();
    scale.resize(label_width + 1 + plot_width + 1, ' ');
    let end = (days - 1).to_string();
    let end_at = (label_width + 1 + plot_width).saturating_sub(end.chars().count());
    if let Some(col) = arrival_col {
        let mark = format!("{}d", p.arrival_day.unwrap_or(0));
        let at = label_width + 1 + col;
        if at > label_width + 2 && at + mark.len() < end_at {
            for (k, ch) in mark.chars().enumerate() {
                scale[at + k] = ch;
            }
        }
    }
    for (k, ch) in end.chars().enumerate() {
        scale[end_at + k] = ch;
    }
    lines.push(Line::from(
        scale.into_iter().collect::<String>().trim_end().to_string(),
    ));
    lines
}

fn projection_notes(t: &Theme, p: &Projection, plan: &ProductPlan) -> Vec<Line<'static>> {
    let units = |v: f64| crate::text::masked(&fmt_units(v, plan.stock_uom.as_deref())).into_owned();
    let mut legend = format!("{} stock", t.sym("█", "#"));
    if p.order_qty > 0.0 {
        legend.push_str(&format!(
            "  {} with the order of {}",
            t.sym("▒", "+"),
            fmt_qty(p.order_qty)
        ));
    }
    if p.safety_stock > 0.0 {
        legend.push_str(&format!("  {} safety stock", t.sym("·", ".")));
    }
    let mut notes = vec![Line::from(legend)];
    notes.push(Line::from(match p.runs_out {
        None => "No demand: the stock stays as it is.".to_string(),
        Some(r) => format!("Without an order the stock runs out on day {r:.1}."),
    }));
    match (p.arrival_day, p.order_qty > 0.0) {
        (Some(a), true) => {
            let mut text = format!("The order ({}) arrives on day {a}", units(p.order_qty));
            if let Some(s) = p.short_with_order.filter(|s| *s < a) {
                text.push_str(&format!("; out of stock from day {s} until then"));
            }
            notes.push(Line::from(format!("{text}.")));
        }
        (None, true) => notes.push(Line::from("Lead time unknown: the arrival is not drawn.")),
        _ => {}
    }
    if p.on_order > 0.0 {
        notes.push(Line::from(format!(
            "Already on order: {} (arrival dates unknown, not drawn).",
            units(p.on_order)
        )));
    }
    notes
}
