//! The detail's charts as lines of text: a demand sparkline from the daily
//! history and the stock projection (plan::projection). Text, not canvas
//! widgets, so that the same chart draws in ASCII for `--ascii` terminals
//! and in a snapshot test.

use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::plan::demand::ForecastStatus;
use crate::plan::numbers::{fmt_qty, fmt_qty_short, fmt_units};
use crate::plan::projection::{project, Projection};
use crate::plan::ProductPlan;
use crate::tui::state::App;
use crate::tui::state::DemandHistory;
use crate::tui::theme::Theme;

/// The chart panel for one product, `width` columns wide and at most
/// `height` lines high: the demand above the projection.
pub fn chart_lines(app: &App, plan: &ProductPlan, width: u16, height: u16) -> Vec<Line<'static>> {
    let mut lines = demand_panel(app, plan, width, height / 2);
    lines.push(Line::from(""));
    let left = height.saturating_sub(lines.len() as u16);
    lines.extend(projection_panel(app, plan, width, left));
    lines
}

/// The daily demand in at most `height` lines: the history, then the
/// forecast over the horizon and its band (or, without a forecast, why,
/// and the OMS average), plotted, and the figures in words.
pub fn demand_panel(app: &App, plan: &ProductPlan, width: u16, height: u16) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let width = usize::from(width).max(20);
    let history = app
        .history
        .as_ref()
        .filter(|h| *h.product_id == *plan.product_id);
    let chart = DemandChart::of(history, plan);
    let mut lines = vec![Line::styled("Daily demand: history, then forecast", bold)];
    let mut notes: Vec<Line<'static>> = Vec::new();
    for (text, danger) in chart.legend(&app.theme) {
        for line in crate::text::hanging(&text, width, 2) {
            notes.push(match danger {
                true => Line::styled(line, app.theme.danger()),
                false => Line::from(line),
            });
        }
    }
    // The plot takes what the notes leave, 2 to 8 rows.
    let rows = usize::from(height)
        .saturating_sub(lines.len() + notes.len() + 1)
        .clamp(2, 8);
    lines.extend(chart.plot(&app.theme, width, rows));
    lines.extend(notes);
    lines
}

/// Why a product has no forecast to draw, from its plan.
fn no_forecast_why(plan: &ProductPlan) -> Option<String> {
    let f = plan.forecast.as_deref();
    match f.map(|f| f.status) {
        Some(s) if s.uses_forecast() => None,
        Some(ForecastStatus::NotReady) => {
            Some("the forecast is being computed in the background".into())
        }
        Some(ForecastStatus::Short) => Some(match f.and_then(|f| f.history_days) {
            Some(d) => format!("{d} days of history, under the 8 weeks a forecast needs"),
            None => "under the 8 weeks of history a forecast needs".into(),
        }),
        // Said of the plan: the chart's own read may find days since.
        _ => Some("the plan read no daily history for it".into()),
    }
}

/// The demand chart's figures, before drawing: the history (days,
/// oldest first, gaps filled with zero), and what follows today.
struct DemandChart {
    /// Days and quantities (NaN: not a number in the source).
    days: Vec<(String, f64)>,
    /// Why the history is not drawn (loading, an error, none).
    history_note: Option<(String, bool)>,
    /// The daily figures over the horizon, and the band's half-width per
    /// day (0: none drawn).
    ahead: Vec<f64>,
    band: f64,
    /// The forecast (`None`: the OMS average drawn, and why).
    forecast: Option<ForecastShown>,
    why_not: Option<String>,
    oms: Option<f64>,
    horizon: usize,
    /// The demand the plan used, and where it came from.
    plan_uses: Option<(f64, String)>,
}

struct ForecastShown {
    daily: f64,
    label: String,
    stale: bool,
    sigma: f64,
    z: Option<f64>,
    service: Option<f64>,
}

impl DemandChart {
    fn of(history: Option<&DemandHistory>, plan: &ProductPlan) -> DemandChart {
        let (days, history_note) = match history.and_then(|h| h.days.as_ref()) {
            None => (
                Vec::new(),
                Some(("Loading the daily history...".into(), false)),
            ),
            Some(Err(e)) => (
                Vec::new(),
                Some((
                    format!(
                        "History not read: {}",
                        crate::text::printable(&e.to_string())
                    ),
                    true,
                )),
            ),
            Some(Ok(days)) if days.is_empty() => (
                Vec::new(),
                Some((
                    "No daily history (the optional oms_daily_demand table is absent or empty)."
                        .into(),
                    false,
                )),
            ),
            Some(Ok(days)) => (dense_days(days), None),
        };
        let f = plan.forecast.as_deref();
        let why_not = no_forecast_why(plan);
        let oms = plan.avg_daily_demand.get();
        let horizon_days = f.map(|f| f.horizon_days as usize).filter(|h| *h > 0);
        let lead_review =
            plan.lead_time_days.get().unwrap_or(0.0) + plan.review_period_days.get().unwrap_or(0.0);
        let horizon = horizon_days
            .unwrap_or(if (1.0..=365.0).contains(&lead_review) {
                lead_review.ceil() as usize
            } else {
                14
            })
            .min(365);
        let (forecast, ahead, band) = match f.filter(|_| why_not.is_none()) {
            Some(f) => {
                let ahead: Vec<f64> = if f.path.len() == horizon {
                    f.path.clone()
                } else {
                    vec![f.forecast_daily; horizon]
                };
                let z = f.z;
                let band = band_per_day(z.unwrap_or(1.0), f.sigma_horizon, horizon);
                let shown = ForecastShown {
                    daily: f.forecast_daily,
                    label: crate::text::printable(&f.method_label).into_owned(),
                    stale: f.status == ForecastStatus::Stale,
                    sigma: f.sigma_horizon,
                    z,
                    service: f.service_level,
                };
                (Some(shown), ahead, band)
            }
            None => (None, oms.map(|d| vec![d; horizon]).unwrap_or_default(), 0.0),
        };
        // The demand the plan used: what the rules set as `demand_rate` (the
        // forecast or the OMS average), else (rules that set none, such as
        // rules/reference.grl) the OMS average.
        // Where it came from: the words of `demand_source`, which the
        // exception messages print (one tolerance for both).
        let plan_uses = plan.demand_per_day().map(|d| {
            let from = if plan.demand_is_forecast() {
                let label = f.map(|f| f.method_label.as_str()).unwrap_or("");
                format!("forecast: {}", crate::text::printable(label))
            } else if plan.demand_source().is_empty() {
                "OMS average".to_string()
            } else {
                "demand_rate, as the rules set it".to_string()
            };
            (d, from)
        });
        DemandChart {
            days,
            history_note,
            ahead,
            band,
            forecast,
            why_not,
            oms,
            horizon,
            plan_uses,
        }
    }

    /// The figures in words, each with whether it is a problem.
    fn legend(&self, t: &Theme) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        let (bar, mark, shade) = glyphs(t);
        match &self.history_note {
            Some(note) => out.push(note.clone()),
            None => {
                let good: Vec<f64> = self
                    .days
                    .iter()
                    .map(|d| d.1)
                    .filter(|v| v.is_finite())
                    .collect();
                let max = good.iter().copied().fold(0.0f64, f64::max);
                let min = good.iter().copied().fold(f64::INFINITY, f64::min);
                let mean = good.iter().sum::<f64>() / good.len().max(1) as f64;
                let first = self.days.first().map(|d| d.0.as_str()).unwrap_or("");
                let last = self.days.last().map(|d| d.0.as_str()).unwrap_or("");
                out.push((
                    format!(
                        "{bar} history, {} days, {first} to {last}: min {}, max {}, mean {}/day",
                        self.days.len(),
                        fmt_qty_short(if min.is_finite() { min } else { 0.0 }),
                        fmt_qty_short(max),
                        fmt_qty_short(mean)
                    ),
                    false,
                ));
                if good.len() < self.days.len() {
                    out.push((
                        format!("{} day(s) not a number (?)", self.days.len() - good.len()),
                        true,
                    ));
                }
            }
        }
        match &self.forecast {
            Some(f) => {
                out.push((
                    format!(
                        "{mark} forecast {}/day over {} days: {}{}",
                        fmt_qty_short(f.daily),
                        self.horizon,
                        f.label,
                        if f.stale {
                            " (stale: an older history)"
                        } else {
                            ""
                        }
                    ),
                    false,
                ));
                let z = match (f.z, f.service) {
                    (Some(z), Some(l)) => {
                        format!("z {} ({}% service)", fmt_qty(z), fmt_qty(l * 100.0))
                    }
                    (Some(z), None) => format!("z {}", fmt_qty(z)),
                    _ => "z 1 (the rules set no service level)".to_string(),
                };
                out.push((
                    format!(
                        "{shade} band: forecast {} z x sigma/{}: {z}, sigma {} over {} days: {}{}/day",
                        t.sym("±", "+-"),
                        t.sym("√H", "sqrt(H)"),
                        fmt_qty_short(f.sigma),
                        self.horizon,
                        t.sym("±", "+-"),
                        fmt_qty_short(self.band)
                    ),
                    false,
                ));
            }
            None => {
                let why = self.why_not.as_deref().unwrap_or("none");
                out.push((
                    match self.oms {
                        Some(d) => format!(
                            "{mark} no forecast ({why}): the OMS average {}/day over {} days",
                            fmt_qty_short(d),
                            self.horizon
                        ),
                        None => format!("No forecast ({why}) and no OMS average."),
                    },
                    false,
                ));
            }
        }
        if let Some((d, from)) = &self.plan_uses {
            out.push((
                format!("The plan uses {}/day ({from})", fmt_qty_short(*d)),
                false,
            ));
        }
        out
    }

    /// The plot: history bars, the today line, the forecast and its band,
    /// `rows` high; days in columns, or weeks (mean per day) when the
    /// history does not fit by days.
    fn plot(&self, t: &Theme, width: usize, rows: usize) -> Vec<Line<'static>> {
        let (bar, mark, shade) = glyphs(t);
        let hist: Vec<f64> = self.days.iter().map(|d| d.1).collect();
        let ahead = &self.ahead;
        let band = self.band;
        let top_of = |hist: &[f64], ahead: &[f64]| {
            hist.iter()
                .copied()
                .filter(|v| v.is_finite())
                .chain(ahead.iter().map(|f| f + band))
                .fold(0.0f64, f64::max)
        };
        // A first guess at the label's width, for the columns left.
        let label_width = fmt_qty_short(top_of(&hist, ahead).max(1.0)).chars().count();
        // The label, the axis, the today line and " weeks" after the axis.
        let cols = width.saturating_sub(label_width + 8).max(4);
        let bucket = bucket_days(hist.len(), ahead.len(), cols);
        let ahead_b = buckets(ahead, bucket, false);
        let hist_room = cols.saturating_sub(ahead_b.len() + 1);
        let mut hist_b = buckets(&hist, bucket, true);
        let drop = hist_b.len().saturating_sub(hist_room);
        hist_b.drain(..drop);
        let top = top_of(&hist_b, &ahead_b).max(1.0);
        let label_width = fmt_qty_short(top).chars().count();
        let mut lines = Vec::new();
        for r in 0..rows {
            // The row spans [low, high); a bar fills it when it reaches
            // its middle.
            let high = top * (rows - r) as f64 / rows as f64;
            let low = top * (rows - r - 1) as f64 / rows as f64;
            let middle = (low + high) / 2.0;
            let label = match r {
                0 => fmt_qty_short(top),
                _ if r == rows - 1 => "0".to_string(),
                _ => String::new(),
            };
            let mut text = format!("{label:>label_width$}{}", t.sym("┤", "|"));
            for v in &hist_b {
                text.push_str(if !v.is_finite() {
                    "?"
                } else if *v >= middle {
                    bar
                } else {
                    " "
                });
            }
            text.push_str(t.sym("│", "|"));
            for f in &ahead_b {
                let in_row = (*f >= low && *f < high) || (r == 0 && *f >= high);
                let in_band = band > 0.0 && f + band >= low && (f - band).max(0.0) < high;
                text.push_str(if in_row {
                    mark
                } else if in_band {
                    shade
                } else {
                    " "
                });
            }
            lines.push(Line::from(text.trim_end().to_string()));
        }
        let mut axis = format!("{:>label_width$}{}", "", t.sym("└", "+"));
        axis.push_str(&t.sym("─", "-").repeat(hist_b.len()));
        axis.push_str(t.sym("┴", "^"));
        axis.push_str(&t.sym("─", "-").repeat(ahead_b.len()));
        axis.push_str(&match bucket {
            1 => " days".to_string(),
            _ => " weeks".to_string(),
        });
        lines.push(Line::from(axis));
        lines
    }
}

/// The history's glyph, the forecast's and the band's: distinct without
/// colour, and in ASCII for `--ascii`.
fn glyphs(t: &Theme) -> (&'static str, &'static str, &'static str) {
    (t.sym("█", "#"), t.sym("•", "*"), t.sym("░", ":"))
}

/// The band around the forecast, per day: z x sigma over the horizon
/// spread to one day as sigma / sqrt(H) (days independent).
pub fn band_per_day(z: f64, sigma_horizon: f64, horizon: usize) -> f64 {
    if horizon == 0 || !sigma_horizon.is_finite() || !z.is_finite() {
        return 0.0;
    }
    (z * sigma_horizon / (horizon as f64).sqrt()).max(0.0)
}

/// Days by the day (1) when at least four weeks of history fit beside the
/// horizon, or all of it does; else weeks (7).
fn bucket_days(history: usize, ahead: usize, cols: usize) -> usize {
    let room = cols.saturating_sub(ahead + 1);
    if history <= room || room >= 28 {
        1
    } else {
        7
    }
}

/// Means per day over `size` days; the history's buckets end with its
/// last day (`from_end`), the horizon's start with its first.
fn buckets(values: &[f64], size: usize, from_end: bool) -> Vec<f64> {
    if size <= 1 {
        return values.to_vec();
    }
    let mean = |c: &[f64]| c.iter().sum::<f64>() / c.len() as f64;
    if from_end {
        let mut out: Vec<f64> = values.rchunks(size).map(mean).collect();
        out.reverse();
        out
    } else {
        values.chunks(size).map(mean).collect()
    }
}

/// The history's days one by one, those without a row filled with zero
/// (missing days are zero sales, DOMAIN.md section 5); days that are not
/// dates are kept as they are.
fn dense_days(days: &[(String, f64)]) -> Vec<(String, f64)> {
    use chrono::NaiveDate;
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let mut out: Vec<(String, f64)> = Vec::with_capacity(days.len());
    for (day, q) in days {
        let day = crate::text::printable(day).into_owned();
        if let (Some(prev), Some(this)) = (out.last().and_then(|p| parse(&p.0)), parse(&day)) {
            let gap = (this - prev).num_days();
            if gap > 1 && gap <= 366 {
                for k in 1..gap {
                    let d = prev + chrono::Duration::days(k);
                    out.push((d.format("%Y-%m-%d").to_string(), 0.0));
                }
            }
        }
        out.push((day, *q));
    }
    out
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
