//! The candidate methods over the forecasting crates: exponential smoothing
//! (augurs-ets, on weekly buckets) and Croston SBA / TSB (anofox-forecast,
//! on the daily series), plus the two baselines; every path spread over
//! the weekdays by the product's day-of-week profile where its history
//! carries a weekday pattern (an F test), flat where it does not. Every crate call is wrapped so
//! that an error or a panic becomes an `Err` with words, never a panic
//! here, and every figure that leaves is finite.

use augurs_core::{Fit, Predict};
use augurs_ets::model::{ErrorComponent, ModelType, SeasonalComponent, TrendComponent, Unfit};
use augurs_ets::AutoETS;

/// Weeks of history the day-of-week profile is taken from: up to two
/// years. Measured on the benchmark's holdout (docs/BENCHMARKS.md,
/// "Forecasts"): from the last 8 weeks, the profile's own noise (about 1 /
/// sqrt(8 x a weekday's demand)) made the daily path of a series without
/// any weekday pattern worse than a flat 28-day mean (holdout MAE 4.33 vs
/// 4.19 on the synthetic `level` kind); from 104 weeks 4.14, and smooth
/// demand overall 5.68 -> 5.39 MAE per day.
const PROFILE_WEEKS: usize = 104;

/// Weekly buckets needed before exponential smoothing is tried (its
/// trend and damping parameters need that many to be estimated).
pub const ETS_MIN_WEEKS: usize = 10;

/// Smoothing constants of Croston SBA and TSB: statsforecast's defaults
/// (CrostonSBA alpha 0.1; TSB is given alpha_d = alpha_p = 0.1 here).
pub const CROSTON_ALPHA: f64 = 0.1;
pub const TSB_ALPHA_D: f64 = 0.1;
pub const TSB_ALPHA_P: f64 = 0.1;

/// An exponential smoothing model spec, as the automatic choice picked it:
/// what the backtest origins refit (parameters only, no model search).
#[derive(Debug, Clone, Copy)]
pub struct EtsSpec {
    pub model_type: ModelType,
    pub damped: bool,
}

impl EtsSpec {
    /// `ETS(A,Ad,N)`: error, trend (d when damped), season.
    pub fn label(&self) -> String {
        let e = match self.model_type.error {
            ErrorComponent::Additive => "A",
            ErrorComponent::Multiplicative => "M",
        };
        let t = match self.model_type.trend {
            TrendComponent::None => "N",
            TrendComponent::Additive => "A",
            TrendComponent::Multiplicative => "M",
        };
        let s = match self.model_type.season {
            SeasonalComponent::None => "N",
            SeasonalComponent::Additive { .. } => "A",
            SeasonalComponent::Multiplicative { .. } => "M",
        };
        let d = if self.damped { "d" } else { "" };
        format!("ETS({e},{t}{d},{s}) weekly")
    }
}

/// Runs a crate call, turning a panic into an error with its message.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let f = || {
        debug_panic();
        f()
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("{what} failed: {msg}"))
        }
    }
}

/// `BUYERDESK_DEBUG_PANIC=forecast`: the first crate call of the process
/// panics, on purpose, where a crate's panic would (the test that such a
/// panic in a background forecast never reaches the screen: tests/pty.rs).
fn debug_panic() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    static DONE: AtomicBool = AtomicBool::new(false);
    let on = ON.get_or_init(|| std::env::var("BUYERDESK_DEBUG_PANIC").as_deref() == Ok("forecast"));
    if *on && !DONE.swap(true, Ordering::Relaxed) {
        panic!("BUYERDESK_DEBUG_PANIC=forecast: a panic on purpose in a forecasting crate");
    }
}

/// Weekly sums of whole weeks counted back from the last day, oldest first.
pub fn weekly_buckets(daily: &[f64]) -> Vec<f64> {
    let mut weeks: Vec<f64> = daily.rchunks_exact(7).map(|w| w.iter().sum()).collect();
    weeks.reverse();
    weeks
}

/// The share of a week's demand that falls on each of the 7 days after the
/// series' end (position 0 is the day after the last day, and so on),
/// from the last `PROFILE_WEEKS` whole weeks. Uniform without demand.
pub fn day_profile(daily: &[f64]) -> [f64; 7] {
    let mut sums = [0.0; 7];
    for week in daily.rchunks_exact(7).take(PROFILE_WEEKS) {
        for (j, q) in week.iter().enumerate() {
            sums[j] += q;
        }
    }
    let total: f64 = sums.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return [1.0 / 7.0; 7];
    }
    sums.map(|s| s / total)
}

/// Significance level of the weekday test (`weekday_profile`).
///
/// Measured (docs/BENCHMARKS.md, "A weekday pattern only where the data
/// carries one"): at 1%, the synthetic `level` kind (no weekday pattern)
/// 4.141 -> 4.127 MAE per day, the demo's intermittent products 9.691 ->
/// 9.616 (their quantities follow the weekday, flat Croston paths did
/// not), every class as good or better but the demo's lumpy (21.190 ->
/// 21.225, still ahead of statsforecast's 21.288). 5% and 0.1% were
/// measured too and were no better.
pub const WEEKDAY_TEST_ALPHA: f64 = 0.01;

/// Whether the weekday means of the profile's window differ by more than
/// chance: the one-way analysis of variance F test of the days grouped by
/// weekday, at `WEEKDAY_TEST_ALPHA`. R^2 is anofox-forecast's dummy
/// seasonal strength, the F distribution statrs'. Two whole weeks at least.
pub fn has_weekday_pattern(daily: &[f64]) -> bool {
    let weeks = (daily.len() / 7).min(PROFILE_WEEKS);
    if weeks < 2 {
        return false;
    }
    let window = &daily[daily.len() - weeks * 7..];
    let Ok(r2) = anofox_forecast::seasonality::dummy_seasonal_strength(window, 7) else {
        return false;
    };
    if !r2.is_finite() || r2 <= 0.0 {
        return false;
    }
    if r2 >= 1.0 {
        // Every weekday constant, and not all the same.
        return true;
    }
    let n = window.len() as f64;
    let f = (r2 / 6.0) / ((1.0 - r2) / (n - 7.0));
    f > f_critical(weeks)
}

/// The F test's critical value for `weeks` whole weeks (6 and 7 x weeks -
/// 7 degrees of freedom), computed once per length.
fn f_critical(weeks: usize) -> f64 {
    use statrs::distribution::{ContinuousCDF, FisherSnedecor};
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=PROFILE_WEEKS)
            .map(|w| {
                let d2 = (7 * w).saturating_sub(7) as f64;
                FisherSnedecor::new(6.0, d2)
                    .map(|d| d.inverse_cdf(1.0 - WEEKDAY_TEST_ALPHA))
                    .unwrap_or(f64::INFINITY)
            })
            .collect()
    });
    table.get(weeks).copied().unwrap_or(f64::INFINITY)
}

/// The day-of-week profile where the history carries a weekday pattern
/// (`has_weekday_pattern`), else uniform: every path is spread by it.
pub fn weekday_profile(daily: &[f64]) -> [f64; 7] {
    if has_weekday_pattern(daily) {
        day_profile(daily)
    } else {
        [1.0 / 7.0; 7]
    }
}

/// A daily path of `horizon` days from forecasts of the weeks after the
/// end (`weeks[k]` is week k's total), spread by `profile`.
pub fn spread(weeks: &[f64], profile: &[f64; 7], horizon: usize) -> Vec<f64> {
    (0..horizon)
        .map(|k| {
            let w = weeks.get(k / 7).or(weeks.last()).copied().unwrap_or(0.0);
            w * profile[k % 7]
        })
        .collect()
}

/// A flat daily level spread by the day-of-week profile.
pub fn flat_spread(level: f64, profile: &[f64; 7], horizon: usize) -> Vec<f64> {
    (0..horizon).map(|k| level * 7.0 * profile[k % 7]).collect()
}

/// Automatic exponential smoothing on the weekly buckets: the model with
/// the lowest AICc among error / trend / damping combinations (no season on
/// weekly buckets: the weekday pattern is the profile's). Returns the spec
/// chosen and the forecast of the next `weeks_ahead` weeks.
pub fn ets_auto(weekly: &[f64], weeks_ahead: usize) -> Result<(EtsSpec, Vec<f64>), String> {
    if weekly.len() < ETS_MIN_WEEKS {
        return Err(format!(
            "{} weeks of history, exponential smoothing needs {ETS_MIN_WEEKS}",
            weekly.len()
        ));
    }
    guarded("exponential smoothing", || {
        let auto = AutoETS::non_seasonal();
        let fitted = auto.fit(weekly).map_err(|e| e.to_string())?;
        let model = fitted.model();
        let spec = EtsSpec {
            model_type: model.model_type(),
            damped: model.damped(),
        };
        let f = fitted
            .predict(weeks_ahead, None)
            .map_err(|e| e.to_string())?;
        Ok((spec, clean_path(f.point)?))
    })
}

/// Refits one spec's parameters (no model search) on `weekly` and forecasts
/// the next `weeks_ahead` weeks: what the backtest origins do.
pub fn ets_fixed(spec: EtsSpec, weekly: &[f64], weeks_ahead: usize) -> Result<Vec<f64>, String> {
    if weekly.len() < ETS_MIN_WEEKS {
        return Err(format!(
            "{} weeks of history, exponential smoothing needs {ETS_MIN_WEEKS}",
            weekly.len()
        ));
    }
    guarded("exponential smoothing", || {
        let model = Unfit::new(spec.model_type)
            .damped(spec.damped)
            .fit(weekly)
            .map_err(|e| e.to_string())?;
        let f = model
            .predict(weeks_ahead, None)
            .map_err(|e| e.to_string())?;
        clean_path(f.point)
    })
}

/// Forecasts must be finite; demand is never negative.
fn clean_path(point: Vec<f64>) -> Result<Vec<f64>, String> {
    if point.iter().any(|v| !v.is_finite()) {
        return Err("the model forecast a non-finite value".into());
    }
    Ok(point.into_iter().map(|v| v.max(0.0)).collect())
}

fn series_of(daily: &[f64]) -> Result<anofox_forecast::core::TimeSeries, String> {
    let stamps = (0..daily.len() as i64)
        .map(|i| chrono::DateTime::from_timestamp(i * 86_400, 0).unwrap_or_default())
        .collect();
    anofox_forecast::core::TimeSeries::univariate(stamps, daily.to_vec()).map_err(|e| e.to_string())
}

/// Croston's method with the Syntetos-Boylan bias correction on the daily
/// series: the demand per day it forecasts (flat).
pub fn croston_sba(daily: &[f64]) -> Result<f64, String> {
    use anofox_forecast::models::intermittent::Croston;
    use anofox_forecast::models::Forecaster;
    guarded("Croston SBA", || {
        let ts = series_of(daily)?;
        let mut m = Croston::new().with_alpha(CROSTON_ALPHA).sba();
        m.fit(&ts).map_err(|e| e.to_string())?;
        let f = m.predict(1).map_err(|e| e.to_string())?;
        first_finite(f.primary())
    })
}

/// Teunter-Syntetos-Babai on the daily series: the demand per day it
/// forecasts (flat).
pub fn tsb(daily: &[f64]) -> Result<f64, String> {
    use anofox_forecast::models::intermittent::TSB;
    use anofox_forecast::models::Forecaster;
    guarded("TSB", || {
        let ts = series_of(daily)?;
        let mut m = TSB::new().with_params(TSB_ALPHA_D, TSB_ALPHA_P);
        m.fit(&ts).map_err(|e| e.to_string())?;
        let f = m.predict(1).map_err(|e| e.to_string())?;
        first_finite(f.primary())
    })
}

fn first_finite(v: &[f64]) -> Result<f64, String> {
    match v.first() {
        Some(x) if x.is_finite() => Ok(x.max(0.0)),
        Some(_) => Err("the model forecast a non-finite value".into()),
        None => Err("the model forecast nothing".into()),
    }
}

/// The mean of the last 28 days (of the whole series when shorter).
pub fn mean28(daily: &[f64]) -> f64 {
    super::mean(&daily[daily.len().saturating_sub(28)..])
}
