//! Demand from the forecast (DOMAIN.md section 5): which stored forecast a
//! product's facts come from, whether it is current, the forecast facts the
//! rules read, and the forecast's steps of the rationale.
//!
//! What the facts hold without a usable forecast (documented in
//! README.md, "Demand from the forecast, safety stock from a service
//! level", as well):
//! - no daily history (`none`), under 8 weeks of it (`short`), or history
//!   whose forecast is not stored yet (`not_ready`): `demand_class` is
//!   "short", `forecast_daily` is `avg_daily_demand`, `forecast_method` is
//!   "oms_average", `sigma_horizon` and `forecast_mase` are 0;
//! - a stored forecast of an older history (`stale`: its fingerprint is not
//!   the current history's) is still used, and the rationale says it is
//!   being recomputed: a buyer does not see figures flip each morning;
//! - `abc_class` / `xyz_class` are "" until the classes are known.

use std::sync::Arc;

use serde::Serialize;

use super::inputs::HistoryStats;
use super::numbers::fmt_qty;
use super::steps::{Step, StepKind};
use crate::forecast::{self, Candidate, DemandClass, Method, StoredForecast, SHORT_WEEKS};

/// Whether a product's forecast is used, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastStatus {
    /// A stored forecast of the current history.
    Current,
    /// A stored forecast of an older history: used while it is recomputed.
    Stale,
    /// History of 8 weeks or more, no forecast stored yet: the OMS average.
    NotReady,
    /// Under 8 weeks of history: the OMS average.
    Short,
    /// No daily history: the OMS average.
    None,
}

impl ForecastStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastStatus::Current => "current",
            ForecastStatus::Stale => "stale",
            ForecastStatus::NotReady => "not_ready",
            ForecastStatus::Short => "short",
            ForecastStatus::None => "none",
        }
    }

    /// The forecast's figures are used (else the OMS average).
    pub fn uses_forecast(self) -> bool {
        matches!(self, ForecastStatus::Current | ForecastStatus::Stale)
    }
}

/// What the plan knows of a product's stored forecast: the lookup the
/// plan context gives, kept by the rationale to put it in words again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastLookup {
    pub stored: Option<Arc<StoredForecast>>,
    /// The last day of the whole daily-history table.
    pub history_last_day: Option<Arc<str>>,
}

impl ForecastLookup {
    /// The stored forecast of a product and the history's last day, from
    /// the plan context (nothing to look up without daily history).
    pub fn of(inputs: &super::ProductInputs, ctx: &super::PlanContext) -> ForecastLookup {
        if inputs.history.is_none() {
            return ForecastLookup::default();
        }
        ForecastLookup {
            stored: ctx.forecasts.get(&*inputs.product_id).cloned(),
            history_last_day: ctx.history_last_day.as_deref().map(Arc::from),
        }
    }
}

/// A product's forecast as the plan used it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub status: ForecastStatus,
    pub stored: Option<Arc<StoredForecast>>,
    /// The horizon the fingerprint was taken over (L + R, whole days, >= 1).
    pub horizon_days: u32,
    /// Days of history from its first day to the table's last day.
    pub history_span: Option<u32>,
    /// Days without a sale at its end (`silent_days`).
    pub silent_days: Option<u32>,
}

/// The horizon L + R in whole days, at least 1.
pub fn horizon_days(lead_time: f64, review_period: f64) -> u32 {
    let h = (lead_time + review_period - 1e-9).ceil();
    if h.is_finite() && h >= 1.0 {
        h.min(u32::MAX as f64) as u32
    } else {
        1
    }
}

/// A day of the history (`YYYY-MM-DD`, spaces around it ignored).
fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Calendar days from `first` to `last`, both counted (`YYYY-MM-DD`).
pub(crate) fn days_between(first: &str, last: &str) -> Option<u32> {
    let (a, b) = (parse_day(first)?, parse_day(last)?);
    let n = (b - a).num_days() + 1;
    (n >= 0).then_some(n as u32)
}

/// Days without a sale at the end of a product's daily history: from the
/// day after its last sale to the table's last day (`table_last`, else the
/// product's own last row): 0 when the last day sold, the whole span when
/// no row sold. `None` where a day it needs is no date. The facts'
/// `silent_days` (0 where this is `None`):
/// a rule can tell a product that went quiet from one that sells, and with
/// `available_qty`, a silence that may be a stock-out.
pub fn silent_days(h: &HistoryStats, table_last: Option<&str>) -> Option<u32> {
    let last = table_last.or(h.last_day.as_deref())?;
    match h.last_sale_day.as_deref() {
        // A sale after the table's last day (a day typed in the future)
        // is no silence.
        Some(sale) => {
            let days = (parse_day(last)? - parse_day(sale)?).num_days();
            Some(days.clamp(0, u32::MAX as i64) as u32)
        }
        None => days_between(h.first_day.as_deref()?, last),
    }
}

/// Decides which forecast a product's facts come from. `silent_days` is
/// the history's (`silent_days` of it, which the caller has computed for
/// the facts already), kept for the JSON.
pub fn resolve(
    lookup: &ForecastLookup,
    history: Option<&HistoryStats>,
    horizon_days: u32,
    silent_days: Option<u32>,
) -> Resolved {
    let stats = history.and_then(|h| {
        let rows = h.days.value().filter(|n| *n >= 1.0)?;
        Some((rows, h.sum_qty.value()?, h.sum_sq_qty.value()?, h))
    });
    let Some((rows, sum, sum_sq, h)) = stats else {
        return Resolved {
            status: ForecastStatus::None,
            stored: None,
            horizon_days,
            history_span: None,
            silent_days: None,
        };
    };
    let first = h.first_day.as_deref().unwrap_or("");
    let last = h.last_day.as_deref().unwrap_or("");
    let table_last = lookup.history_last_day.as_deref().unwrap_or(last);
    let span = days_between(first, table_last).or(Some(rows as u32));
    let status = match &lookup.stored {
        Some(s) if s.forecast.class == DemandClass::Short => ForecastStatus::Short,
        Some(s) => {
            let now =
                forecast::fingerprint(rows, sum, sum_sq, first, last, table_last, horizon_days);
            if now == s.fingerprint {
                ForecastStatus::Current
            } else {
                ForecastStatus::Stale
            }
        }
        None if span.unwrap_or(0) < (SHORT_WEEKS * 7) as u32 => ForecastStatus::Short,
        None => ForecastStatus::NotReady,
    };
    Resolved {
        status,
        stored: lookup.stored.clone(),
        horizon_days,
        history_span: span,
        silent_days,
    }
}

/// A forecast figure as the rules read it and the rationale prints it:
/// rounded to 4 decimals (an estimate has no more), so that a buyer who
/// redoes `demand_rate x lead_time` with the printed operands gets the
/// printed result.
pub fn fact_value(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The forecast facts of `ProductFacts`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastFacts {
    pub forecast_daily: f64,
    pub forecast_method: &'static str,
    pub forecast_mase: f64,
    pub sigma_horizon: f64,
    pub demand_class: &'static str,
    pub abc_class: &'static str,
    pub xyz_class: &'static str,
}

impl Resolved {
    /// The facts the rules read; `avg_daily_demand` where no forecast is used.
    pub fn facts(&self, avg_daily_demand: f64) -> ForecastFacts {
        let abc = (self.stored.as_ref())
            .and_then(|s| s.abc)
            .map(|a| a.as_str())
            .unwrap_or("");
        let xyz = (self.stored.as_ref())
            .and_then(|s| s.forecast.xyz())
            .map(|x| x.as_str())
            .unwrap_or("");
        match (&self.stored, self.status.uses_forecast()) {
            (Some(s), true) => {
                let f = &s.forecast;
                ForecastFacts {
                    forecast_daily: fact_value(finite_or(f.forecast_daily, avg_daily_demand)),
                    forecast_method: f.method.as_str(),
                    forecast_mase: f.mase.filter(|m| m.is_finite()).unwrap_or(0.0),
                    sigma_horizon: fact_value(finite_or(f.sigma_horizon, 0.0).max(0.0)),
                    demand_class: f.class.as_str(),
                    abc_class: abc,
                    xyz_class: xyz,
                }
            }
            _ => ForecastFacts {
                forecast_daily: avg_daily_demand,
                forecast_method: Method::OmsAverage.as_str(),
                forecast_mase: 0.0,
                sigma_horizon: 0.0,
                demand_class: DemandClass::Short.as_str(),
                abc_class: abc,
                xyz_class: xyz,
            },
        }
    }

    /// The forecast's steps of the rationale: the class and why, the
    /// method beside the other candidates, the forecast and sigma; or why
    /// the OMS average is used. Nothing without any daily history.
    pub fn steps(&self, avg_daily_demand: f64) -> Vec<Step> {
        let derived = |text: String| {
            let mut s = Step::input("purchasing.forecasts", text);
            s.kind = StepKind::Derived;
            s
        };
        let mut out = Vec::new();
        let stored = self.stored.as_deref();
        match (self.status, stored) {
            (ForecastStatus::None, _) => return out,
            (ForecastStatus::NotReady, _) => out.push(derived(format!(
                "Forecast not ready yet: the OMS average is used ({}/day)",
                fmt_qty(avg_daily_demand)
            ))),
            (ForecastStatus::Short, _) => out.push(derived(format!(
                "Demand class: short: {} days of history, under {SHORT_WEEKS} weeks: the OMS average is used ({}/day)",
                self.history_span
                    .or(stored.map(|s| s.forecast.history_days))
                    .unwrap_or(0),
                fmt_qty(avg_daily_demand)
            ))),
            (_, Some(s)) => {
                let f = &s.forecast;
                out.push(derived(format!(
                    "Demand class: {}",
                    class_why(f.class, f.adi, f.cv2)
                )));
                out.push(derived(method_step(f)));
                out.push(derived(format!(
                    "Forecast ({}): {}/day over the next {} days (L + R); sigma of demand over those {} days: {}",
                    label(&f.method_label),
                    fmt_qty(fact_value(f.forecast_daily)),
                    f.horizon_days,
                    f.horizon_days,
                    fmt_qty(fact_value(f.sigma_horizon)),
                )));
                if self.status == ForecastStatus::Stale {
                    out.push(derived(format!(
                        "Forecast computed {} from an older history (or horizon): used while it is being recomputed",
                        label(&s.computed_at)
                    )));
                }
            }
            (_, None) => {}
        }
        if let Some(s) = stored {
            let abc = match (s.abc, s.abc_value) {
                (Some(a), Some(v)) => format!(
                    "ABC class {} (yearly consumption value {}{})",
                    a.as_str(),
                    super::numbers::fmt_money(v),
                    s.currency
                        .as_deref()
                        .map(|c| format!(" {}", label(c)))
                        .unwrap_or_default()
                ),
                (Some(a), None) => format!("ABC class {}", a.as_str()),
                (None, _) => "ABC class not ranked yet".to_string(),
            };
            let xyz = match (s.forecast.xyz(), s.forecast.weekly_cv) {
                (Some(x), Some(cv)) => {
                    format!(
                        "XYZ class {} (weekly CV {})",
                        x.as_str(),
                        fmt_qty(round2(cv))
                    )
                }
                _ => "XYZ class unknown".to_string(),
            };
            out.push(derived(format!("{abc}; {xyz}")));
        }
        out
    }
}

fn finite_or(v: f64, default: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        default
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Text from the stored forecast (labels, currencies) is data: made
/// printable before it reaches a terminal.
fn label(s: &str) -> String {
    crate::text::printable(s).into_owned()
}

/// "smooth: ADI 1.05 < 1.32 and CV^2 0.21 < 0.49".
pub fn class_why(class: DemandClass, adi: Option<f64>, cv2: Option<f64>) -> String {
    let side = |v: f64, cut: f64| if v < cut { "<" } else { ">=" };
    match (adi, cv2) {
        (Some(a), Some(c)) => format!(
            "{}: ADI {} {} 1.32 and CV^2 {} {} 0.49",
            class.as_str(),
            fmt_qty(round2(a)),
            side(a, 1.32),
            fmt_qty(round2(c)),
            side(c, 0.49)
        ),
        _ => format!("{}: no day with sales in the history", class.as_str()),
    }
}

fn candidate_text(c: &Candidate, class: DemandClass) -> String {
    // A candidate that cannot win by its MAE says so, so that a lower MAE
    // beside "the lowest backtest MAE" does not read as a contradiction.
    let aside = match c.method {
        _ if forecast::may_win(class, c.method) => "",
        Method::OmsAverage => " (never chosen: today's figure, it has seen the demand tested)",
        _ => " (only for the silence)",
    };
    match (c.mae, c.mase) {
        (Some(mae), Some(mase)) => format!(
            "{} MAE {}/day, MASE {}{aside}",
            label(&c.label),
            fmt_qty(round2(mae)),
            fmt_qty(round2(mase))
        ),
        (Some(mae), None) => format!(
            "{} MAE {}/day{aside}",
            label(&c.label),
            fmt_qty(round2(mae))
        ),
        _ => format!(
            "{}: not fitted{}",
            label(&c.label),
            c.note
                .as_deref()
                .map(|n| format!(" ({})", label(n)))
                .unwrap_or_default()
        ),
    }
}

/// "Method: ETS(A,Ad,N), the lowest backtest MAE over 7-day horizons (12
/// origins): ETS(A,Ad,N) MAE 3.1/day, MASE 0.72; 28-day mean MAE 4.3/day,
/// MASE 1; OMS average MAE 5/day, MASE 1.16 (never chosen: ...)". What it
/// claims follows the figures: "the lowest" only where the chosen method
/// may win by it (`forecast::may_win`) and no candidate that may has a
/// lower MAE, and a candidate that may not says so beside its MAE;
/// "untested" without origins; else the forecast's note says why another
/// method was taken (a silence).
fn method_step(f: &forecast::Forecast) -> String {
    let mut text = format!("Method: {}", label(&f.method_label));
    if f.candidates.is_empty() {
        if let Some(note) = &f.note {
            text.push_str(&format!(" ({})", label(note)));
        }
        return text;
    }
    if f.origins == 0 {
        text.push_str(", untested (no backtest origin)");
    } else {
        let by_mae =
            forecast::may_win(f.class, f.method) && f.mae.is_some_and(|m| m <= f.lowest_mae());
        let how = if by_mae {
            "the lowest backtest MAE"
        } else {
            "chosen for the reason at the end rather than by the lowest backtest MAE"
        };
        // The chosen one first, then the others as stored.
        let mut cands: Vec<&Candidate> = f.candidates.iter().collect();
        cands.sort_by_key(|c| c.method != f.method);
        let all: Vec<String> = cands
            .into_iter()
            .map(|c| candidate_text(c, f.class))
            .collect();
        text.push_str(&format!(
            ", {how} over {}-day horizons ({} origins): {}",
            f.horizon_days,
            f.origins,
            all.join("; ")
        ));
    }
    if let Some(note) = &f.note {
        text.push_str(&format!(" ({})", label(note)));
    }
    text
}

/// The forecast part of a plan in JSON (`forecast`): what the rationale
/// says, as figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSummary {
    pub status: ForecastStatus,
    /// The class the facts hold ("short" without a usable forecast).
    pub class: &'static str,
    pub adi: Option<f64>,
    pub cv2: Option<f64>,
    pub method: &'static str,
    pub method_label: String,
    pub forecast_daily: f64,
    pub sigma_horizon: f64,
    pub horizon_days: u32,
    pub mae: Option<f64>,
    pub mase: Option<f64>,
    pub candidates: Vec<CandidateJson>,
    /// `null` until ranked.
    pub abc_class: Option<&'static str>,
    pub xyz_class: Option<&'static str>,
    pub history_days: Option<u32>,
    /// Days without a sale at the end of the history (`null` without one).
    pub silent_days: Option<u32>,
    /// The service level and z the rules chose (`null` when they set none).
    pub service_level: Option<f64>,
    pub z: Option<f64>,
    pub computed_at: Option<String>,
    /// The forecast for each day of the horizon (the detail chart; not in
    /// the JSON, which carries `forecast_daily`).
    #[serde(skip)]
    pub path: Vec<f64>,
}

#[cfg(test)]
impl ForecastSummary {
    /// A current forecast of `class` with 1/day over 7 days, unranked, no
    /// backtest figures: what the screen and coverage tests vary one field of.
    pub(crate) fn current_for_tests(class: &'static str) -> ForecastSummary {
        ForecastSummary {
            status: ForecastStatus::Current,
            class,
            adi: None,
            cv2: None,
            method: "ets",
            method_label: "ETS".into(),
            forecast_daily: 1.0,
            sigma_horizon: 0.0,
            horizon_days: 7,
            mae: None,
            mase: None,
            candidates: Vec::new(),
            abc_class: None,
            xyz_class: None,
            history_days: Some(100),
            silent_days: Some(0),
            service_level: None,
            z: None,
            computed_at: None,
            path: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateJson {
    pub method: &'static str,
    pub label: String,
    pub mae: Option<f64>,
    pub mase: Option<f64>,
}

impl Resolved {
    /// The JSON summary after the rules ran on `facts`, with the service
    /// level and z they set (`None` where they left 0).
    pub fn summary_after(
        &self,
        facts: &super::facts::ProductFacts,
        result: &std::collections::HashMap<String, rust_rule_engine::Value>,
    ) -> ForecastSummary {
        let set = |name: &str| match result.get(name) {
            Some(rust_rule_engine::Value::Number(n)) if *n > 0.0 => Some(*n),
            _ => None,
        };
        let ff = ForecastFacts {
            forecast_daily: facts.forecast_daily,
            forecast_method: facts.forecast_method,
            forecast_mase: facts.forecast_mase,
            sigma_horizon: facts.sigma_horizon,
            demand_class: facts.demand_class,
            abc_class: facts.abc_class,
            xyz_class: facts.xyz_class,
        };
        self.summary(&ff, (set("service_level"), set("service_z")))
    }

    /// The JSON summary; `service` is the rules' (service_level, z).
    pub fn summary(
        &self,
        facts: &ForecastFacts,
        service: (Option<f64>, Option<f64>),
    ) -> ForecastSummary {
        let used = self
            .stored
            .as_deref()
            .filter(|_| self.status.uses_forecast());
        let f = used.map(|s| &s.forecast);
        let r6 = |v: f64| (v * 1e6).round() / 1e6;
        ForecastSummary {
            status: self.status,
            class: facts.demand_class,
            adi: f.and_then(|f| f.adi).map(r6),
            cv2: f.and_then(|f| f.cv2).map(r6),
            method: facts.forecast_method,
            method_label: f
                .map(|f| label(&f.method_label))
                .unwrap_or_else(|| "OMS average".into()),
            forecast_daily: r6(facts.forecast_daily),
            sigma_horizon: r6(facts.sigma_horizon),
            horizon_days: self.horizon_days,
            mae: f.and_then(|f| f.mae).map(r6),
            mase: f.and_then(|f| f.mase).map(r6),
            candidates: f
                .map(|f| {
                    f.candidates
                        .iter()
                        .map(|c| CandidateJson {
                            method: c.method.as_str(),
                            label: label(&c.label),
                            mae: c.mae.map(r6),
                            mase: c.mase.map(r6),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            abc_class: (!facts.abc_class.is_empty()).then_some(facts.abc_class),
            xyz_class: (!facts.xyz_class.is_empty()).then_some(facts.xyz_class),
            history_days: self.history_span,
            silent_days: self.silent_days,
            service_level: service.0,
            z: service.1,
            computed_at: self.stored.as_ref().map(|s| label(&s.computed_at)),
            path: f
                .map(|f| f.path.iter().map(|v| r6(*v)).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests;
