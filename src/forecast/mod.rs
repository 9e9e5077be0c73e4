//! Demand forecasts from the daily history (DOMAIN.md section 5): the
//! Syntetos-Boylan demand class, the candidate methods, the method chosen
//! per product by a rolling-origin backtest over the horizon L + R, sigma
//! over that horizon, and the XYZ / ABC classes across products.
//!
//! Pure: plain values in, plain values out; no tokio, sqlx or ratatui.
//! The live task (`live/`) decides when to forecast (the history's
//! fingerprint changed) and the store keeps the results; the plan reads
//! them as facts through `PlanContext::forecasts`.
//!
//! This file is the contract the rest of buyerdesk codes against: the
//! types, `forecast`, `fingerprint`, `abc_classes` and `xyz_class`.

use serde::{Deserialize, Serialize};

pub mod backtest;
pub mod methods;
pub mod synthetic;

/// Weeks of history below which a product is `short`: its forecast is the
/// OMS average, and the rationale says why.
pub const SHORT_WEEKS: usize = 8;

/// Bumped whenever a change to this module changes the forecasts it
/// computes: part of every fingerprint, so stored forecasts are recomputed
/// after an upgrade that changes them.
pub const METHOD_VERSION: u32 = 6;

/// One product's daily demand history, oldest first: `qty[i]` is the
/// demand of day `first_day + i`. Days missing from the table are zero
/// sales. The series runs to the last day of the whole history table, so
/// that a product that stopped selling ends in zeros.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DailySeries {
    /// `YYYY-MM-DD`.
    pub first_day: String,
    pub qty: Vec<f64>,
}

impl DailySeries {
    /// The series' last day, `YYYY-MM-DD` (`first_day` when it is empty).
    pub fn last_day(&self) -> String {
        match chrono::NaiveDate::parse_from_str(&self.first_day, "%Y-%m-%d") {
            Ok(d) if !self.qty.is_empty() => {
                (d + chrono::Duration::days(self.qty.len() as i64 - 1))
                    .format("%Y-%m-%d")
                    .to_string()
            }
            _ => self.first_day.clone(),
        }
    }
}

/// The Syntetos-Boylan class of a product's demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandClass {
    Smooth,
    Erratic,
    Intermittent,
    Lumpy,
    /// Under `SHORT_WEEKS` weeks of history.
    Short,
}

impl DemandClass {
    /// The word the rules, the screen and JSON use (`smooth`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DemandClass::Smooth => "smooth",
            DemandClass::Erratic => "erratic",
            DemandClass::Intermittent => "intermittent",
            DemandClass::Lumpy => "lumpy",
            DemandClass::Short => "short",
        }
    }

    pub fn parse(s: &str) -> Option<DemandClass> {
        Some(match s {
            "smooth" => DemandClass::Smooth,
            "erratic" => DemandClass::Erratic,
            "intermittent" => DemandClass::Intermittent,
            "lumpy" => DemandClass::Lumpy,
            "short" => DemandClass::Short,
            _ => return None,
        })
    }
}

/// A forecasting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exponential smoothing with automatic model choice (the model chosen
    /// is in `Forecast::method_label`, e.g. `ETS(A,Ad,N)`).
    Ets,
    /// Croston's method with the Syntetos-Boylan bias correction.
    CrostonSba,
    /// Teunter-Syntetos-Babai.
    Tsb,
    /// The OMS's `avg_daily_demand`, as it is.
    OmsAverage,
    /// The mean of the last 28 days.
    #[serde(rename = "mean_28", alias = "mean28")]
    Mean28,
}

impl Method {
    /// The word the rules, the screen and JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Ets => "ets",
            Method::CrostonSba => "croston_sba",
            Method::Tsb => "tsb",
            Method::OmsAverage => "oms_average",
            Method::Mean28 => "mean_28",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "ets" => Method::Ets,
            "croston_sba" => Method::CrostonSba,
            "tsb" => Method::Tsb,
            "oms_average" => Method::OmsAverage,
            "mean_28" => Method::Mean28,
            _ => return None,
        })
    }
}

/// One candidate method's backtest result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub method: Method,
    /// The method in words, with the model chosen where there is one
    /// (`ETS(A,Ad,N)`, `Croston SBA`, `28-day mean`).
    pub label: String,
    /// Mean absolute error of the demand over the horizon, per day, over
    /// the backtest's origins. `None` when the method could not be fitted
    /// (the reason is in `note`).
    pub mae: Option<f64>,
    /// `mae` over the 28-day mean's MAE on the same origins.
    pub mase: Option<f64>,
    pub note: Option<String>,
}

/// A product's forecast: what the store keeps and the plan reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Days of history (first day with a row to the table's last day).
    pub history_days: u32,
    pub class: DemandClass,
    /// Mean interval, in days, between days with sales (`None` without any).
    pub adi: Option<f64>,
    /// Squared coefficient of variation of the non-zero daily quantities.
    pub cv2: Option<f64>,
    /// The method chosen (lowest backtest MAE); `OmsAverage` for `short`.
    pub method: Method,
    pub method_label: String,
    /// The forecast demand per day over the horizon (units/day).
    pub forecast_daily: f64,
    /// The horizon the backtest and sigma are over: L + R days.
    pub horizon_days: u32,
    /// Standard deviation of demand over the horizon, from the chosen
    /// method's backtest errors (units, over the whole horizon).
    pub sigma_horizon: f64,
    /// The chosen method's backtest MAE (units/day) and MASE.
    pub mae: Option<f64>,
    pub mase: Option<f64>,
    /// Every candidate's backtest result, the chosen one among them.
    pub candidates: Vec<Candidate>,
    /// Backtest origins used (0 for `short`).
    pub origins: u32,
    /// Coefficient of variation of weekly demand (the XYZ class); `None`
    /// without a full week or with zero mean.
    pub weekly_cv: Option<f64>,
    /// Demand over the last 365 days (or the whole history when shorter):
    /// the quantity the ABC class values.
    pub yearly_qty: f64,
    /// The forecast for each day of the horizon (the detail chart).
    pub path: Vec<f64>,
    /// Why, in words, when the method is a fallback (short history, a
    /// method that failed): the rationale prints it.
    pub note: Option<String>,
}

impl Forecast {
    /// The XYZ class of this forecast's weekly demand.
    pub fn xyz(&self) -> Option<Xyz> {
        self.weekly_cv.map(xyz_class)
    }

    /// The lowest backtest MAE among the candidates that may win
    /// (`may_win`); infinite without any.
    pub fn lowest_mae(&self) -> f64 {
        self.candidates
            .iter()
            .filter(|c| may_win(self.class, c.method))
            .filter_map(|c| c.mae)
            .fold(f64::INFINITY, f64::min)
    }
}

/// Whether a candidate of `method` may win the backtest for demand of
/// `class`: the OMS average is shown, never chosen (it has seen the demand
/// it is tested on), and TSB, tested for smooth and erratic demand only in
/// a silence at the end, is chosen there only by the silence rule
/// (`backtest::SILENCE_MIN_DAYS`).
pub fn may_win(class: DemandClass, method: Method) -> bool {
    match method {
        Method::OmsAverage => false,
        Method::Tsb => !matches!(class, DemandClass::Smooth | DemandClass::Erratic),
        _ => true,
    }
}

/// A forecast as the purchasing database keeps it: with the fingerprint of
/// the history and horizon it came from, and the product's ABC class,
/// ranked across all products of its currency when the forecasts were
/// stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredForecast {
    pub forecast: Forecast,
    /// `fingerprint(...)` of the history and horizon it came from.
    pub fingerprint: String,
    /// `None` until the classes across products were ranked.
    pub abc: Option<Abc>,
    /// Yearly consumption value ranked for `abc` (yearly_qty x unit price),
    /// and its currency.
    pub abc_value: Option<f64>,
    pub currency: Option<String>,
    /// When it was computed (`YYYY-MM-DD HH:MM:SS`, UTC).
    pub computed_at: String,
}

/// ABC class: by yearly consumption value (A: the top 80% of value,
/// B: the next 15%, C: the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Abc {
    A,
    B,
    C,
}

impl Abc {
    pub fn as_str(self) -> &'static str {
        match self {
            Abc::A => "A",
            Abc::B => "B",
            Abc::C => "C",
        }
    }
}

/// XYZ class: by the coefficient of variation of weekly demand
/// (X < 0.5 <= Y < 1 <= Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Xyz {
    X,
    Y,
    Z,
}

impl Xyz {
    pub fn as_str(self) -> &'static str {
        match self {
            Xyz::X => "X",
            Xyz::Y => "Y",
            Xyz::Z => "Z",
        }
    }
}

pub fn xyz_class(weekly_cv: f64) -> Xyz {
    if weekly_cv < 0.5 {
        Xyz::X
    } else if weekly_cv < 1.0 {
        Xyz::Y
    } else {
        Xyz::Z
    }
}

/// ABC classes of products by yearly consumption value, in the order given.
/// Values are ranked from the largest; a product is A while the value
/// before it stays under 80% of the total, B under 95%, else C. A value of
/// zero (or NaN) is always C. Callers rank each currency on its own.
pub fn abc_classes(values: &[f64]) -> Vec<Abc> {
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let total: f64 = values.iter().map(|&v| clean(v)).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        clean(values[b])
            .total_cmp(&clean(values[a]))
            .then(a.cmp(&b))
    });
    let mut classes = vec![Abc::C; values.len()];
    let mut before = 0.0;
    for i in order {
        let v = clean(values[i]);
        if v <= 0.0 || total <= 0.0 {
            break;
        }
        let share = before / total;
        classes[i] = if share < 0.80 - 1e-12 {
            Abc::A
        } else if share < 0.95 - 1e-12 {
            Abc::B
        } else {
            Abc::C
        };
        before += v;
    }
    classes
}

/// The fingerprint of a product's history and horizon: what a stored
/// forecast was computed from. The history is summarised by the figures
/// the database already aggregates on every refresh (rows, sum, sum of
/// squares, first and last day) plus the table's last day (a product
/// that stopped selling gains a zero each day) and `METHOD_VERSION`.
pub fn fingerprint(
    rows: f64,
    sum_qty: f64,
    sum_sq_qty: f64,
    first_day: &str,
    last_day: &str,
    table_last_day: &str,
    horizon_days: u32,
) -> String {
    use sha2::{Digest, Sha256};
    let text = format!(
        "v{METHOD_VERSION}|{rows}|{sum_qty:.6}|{sum_sq_qty:.6}|{first_day}|{last_day}|{table_last_day}|h{horizon_days}"
    );
    let digest = Sha256::digest(text.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Forecasts one product's demand over `horizon_days` (L + R, at least 1)
/// from its daily history. `oms_average` is the OMS's `avg_daily_demand`
/// (a baseline candidate, and the forecast of a `short` history).
///
/// Never panics and never returns a non-finite figure: a method that
/// cannot be fitted is recorded in its candidate's `note` and the choice
/// falls back to the others (the 28-day mean always works).
pub fn forecast(series: &DailySeries, horizon_days: u32, oms_average: Option<f64>) -> Forecast {
    backtest::forecast(series, horizon_days, oms_average)
}

/// The Syntetos-Boylan class from ADI and CV^2 (cut-offs 1.32 and 0.49).
pub fn syntetos_boylan(adi: Option<f64>, cv2: Option<f64>) -> DemandClass {
    let adi = adi.unwrap_or(f64::INFINITY);
    let cv2 = cv2.unwrap_or(0.0);
    match (adi < 1.32, cv2 < 0.49) {
        (true, true) => DemandClass::Smooth,
        (true, false) => DemandClass::Erratic,
        (false, true) => DemandClass::Intermittent,
        (false, false) => DemandClass::Lumpy,
    }
}

/// ADI (mean interval between days with sales: days / days with sales)
/// and CV^2 of the non-zero quantities.
pub fn intermittency(qty: &[f64]) -> (Option<f64>, Option<f64>) {
    let nonzero: Vec<f64> = qty.iter().copied().filter(|q| *q > 0.0).collect();
    if nonzero.is_empty() {
        return (None, None);
    }
    let adi = qty.len() as f64 / nonzero.len() as f64;
    let m = mean(&nonzero);
    let var = nonzero.iter().map(|q| (q - m).powi(2)).sum::<f64>() / nonzero.len() as f64;
    let cv2 = if m > 0.0 { var / (m * m) } else { 0.0 };
    (Some(adi), Some(cv2))
}

/// Coefficient of variation of the weekly sums (whole weeks, counted back
/// from the last day).
pub fn weekly_cv(qty: &[f64]) -> Option<f64> {
    let weeks: Vec<f64> = qty.rchunks_exact(7).map(|w| w.iter().sum()).collect();
    if weeks.len() < 2 {
        return None;
    }
    let m = mean(&weeks);
    if m <= 0.0 {
        return None;
    }
    let var = weeks.iter().map(|w| (w - m).powi(2)).sum::<f64>() / (weeks.len() - 1) as f64;
    Some(var.sqrt() / m)
}

pub(crate) fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

#[cfg(test)]
mod tests;
