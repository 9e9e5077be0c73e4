//! The rolling-origin backtest and the choice of method (DOMAIN.md section
//! 5): every candidate eligible for the class forecasts the demand of the
//! next H days from the history up to each origin; the lowest MAE wins,
//! MASE is against the 28-day mean on the same origins, and the chosen
//! method's H-day errors give `sigma_horizon`.

use super::methods::{self, EtsSpec};
use super::{
    intermittency, mean, syntetos_boylan, weekly_cv, Candidate, DailySeries, DemandClass, Forecast,
    Method, SHORT_WEEKS,
};

/// Origins are 14 days apart, the latest H days before the end, as many as
/// fit in `MAX_ORIGINS` (about half a year) with `MIN_TRAIN_DAYS` of
/// history before each.
///
/// Measured (docs/BENCHMARKS.md, "Origins two weeks apart"): 7 days apart,
/// the 13 windows of H = 56 days overlapped by seven eighths, so the
/// choice rested on about a quarter of a year of demand and was noisy;
/// 14 days apart (about 6% more CPU at H = 14, less at H = 56), the
/// holdout MAE fell on both sets and in every class but three small
/// synthetic ones (demo total 10.050 -> 9.893 per day, lumpy 21.751 ->
/// 21.190, erratic 18.108 -> 17.634). 26 origins 7 days apart did about
/// as well at twice the CPU.
pub const MAX_ORIGINS: usize = 13;
pub const ORIGIN_STEP_DAYS: usize = 14;
pub const MIN_TRAIN_DAYS: usize = 7 * SHORT_WEEKS;

/// Below this many origins the backtest errors are too few for a standard
/// deviation: `sigma_horizon` falls back to sqrt(H) x the daily deviation
/// of the last `SIGMA_FALLBACK_DAYS` days about the forecast.
pub const MIN_SIGMA_ORIGINS: usize = 4;
pub const SIGMA_FALLBACK_DAYS: usize = 91;

/// A run of days without a sale at the end of the history is a silence
/// (the product may have stopped selling) when it is at least
/// `SILENCE_MIN_DAYS` long and its chance, were the product still selling
/// on the same share of days as in the `SILENCE_RATE_DAYS` before it, is
/// under `SILENCE_CHANCE`.
///
/// In a silence, TSB (whose forecast falls with every day without a sale)
/// is chosen over the backtest's winner where its forecast is the lower or
/// the winner's is 0, in every class: the backtest cannot see a stop after
/// its last origin.
///
/// Measured (docs/BENCHMARKS.md, "Silence at the end of the history" and
/// "A silence in smooth demand"): the demo's stopped products, classed
/// intermittent, had a MASE of 1.479 (statsforecast's AutoETS 0.890),
/// because Croston's forecast waits at the last level for the next sale;
/// TSB there brought the demo's intermittent class 9.616 / 0.992 -> 9.613 /
/// 0.984 and the synthetic one 0.950 / 1.006 -> 0.947 / 1.001. On smooth
/// demand the weekly exponential smoothing sees a stop only a bucket of 7
/// days later (1.3 to 9.2 a day at 10 to 12 days into the synthetic
/// stopped kind's silences): with the rule on every class and 3 days at
/// least, synthetic smooth 5.360 / 0.869 -> 5.329 / 0.867 (`stopped`
/// 5.949 -> 5.766), demo smooth 5.573 -> 5.569, no class worse. Before
/// the rule for a winner at 0, 3 days gave 5.324, 7 days 5.350 and 1 day
/// 5.320 (a single day without a sale is too little to act on).
pub const SILENCE_MIN_DAYS: usize = 3;
pub const SILENCE_RATE_DAYS: usize = 364;
/// In a silence, `sigma_horizon` comes from the backtest origins whose
/// history already ended in this many days without a sale (at least
/// `MIN_SIGMA_ORIGINS` of them): the errors of the origins before are
/// those of a product that still sold, and those of the silence's first
/// days those of a forecast that had not yet seen it.
pub const SIGMA_SILENCE_DAYS: usize = 7;
pub const SILENCE_CHANCE: f64 = 0.01;

/// A silence at the end of a history (see `SILENCE_MIN_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Silence {
    /// Days without a sale at the end.
    pub days: usize,
    /// The share of days with a sale in the `SILENCE_RATE_DAYS` before.
    pub sale_share: f64,
}

/// The silence at the end of `qty`, if there is one: a run of days
/// without a sale whose chance is under `SILENCE_CHANCE` at the share of
/// sale days before it (taken as independent days).
pub fn silence(qty: &[f64]) -> Option<Silence> {
    let days = qty.iter().rev().take_while(|q| **q <= 0.0).count();
    if days < SILENCE_MIN_DAYS || days == qty.len() {
        return None;
    }
    let before = &qty[..qty.len() - days];
    let year = &before[before.len().saturating_sub(SILENCE_RATE_DAYS)..];
    let sale_share = year.iter().filter(|q| **q > 0.0).count() as f64 / year.len() as f64;
    let chance = (1.0 - sale_share).powi(days.min(i32::MAX as usize) as i32);
    (chance < SILENCE_CHANCE).then_some(Silence { days, sale_share })
}

/// Daily quantities above this are scaled down (by a power of two, exact)
/// before fitting, so that squares and sums stay finite.
const SCALE_ABOVE: f64 = 1e6;

/// The training lengths (days of history before each origin), latest first.
pub fn origins(days: usize, horizon: usize) -> Vec<usize> {
    (0..MAX_ORIGINS)
        .map_while(|k| days.checked_sub(horizon + ORIGIN_STEP_DAYS * k))
        .take_while(|&o| o >= MIN_TRAIN_DAYS)
        .collect()
}

/// One candidate's way of forecasting: the daily path over the horizon from
/// a training history, every way's spread over the weekdays by the
/// training history's weekday profile (`methods::weekday_profile`, uniform
/// without a weekday pattern; computed once per history, not per way).
enum Way {
    Ets(EtsSpec),
    Croston,
    Tsb,
    Constant(f64),
    Mean28,
}

impl Way {
    fn path(&self, train: &[f64], profile: &[f64; 7], horizon: usize) -> Result<Vec<f64>, String> {
        Ok(match self {
            Way::Ets(spec) => {
                let weeks = methods::ets_fixed(
                    *spec,
                    &methods::weekly_buckets(train),
                    horizon.div_ceil(7),
                )?;
                methods::spread(&weeks, profile, horizon)
            }
            Way::Croston => methods::flat_spread(methods::croston_sba(train)?, profile, horizon),
            Way::Tsb => methods::flat_spread(methods::tsb(train)?, profile, horizon),
            Way::Constant(v) => methods::flat_spread(*v, profile, horizon),
            Way::Mean28 => methods::flat_spread(methods::mean28(train), profile, horizon),
        })
    }
}

struct Evaluated {
    candidate: Candidate,
    /// actual - forecast of the H-day demand, per origin.
    errors: Vec<f64>,
    /// The forecast path from the whole history.
    path: Option<Vec<f64>>,
}

/// Forecasts one product (see `super::forecast`).
pub fn forecast(series: &DailySeries, horizon_days: u32, oms_average: Option<f64>) -> Forecast {
    let horizon = horizon_days.max(1);
    let h = horizon as usize;
    let mut notes: Vec<String> = Vec::new();

    // Clean input: a negative or non-numeric day counts as no sale.
    let mut bad = 0usize;
    let mut qty: Vec<f64> = series
        .qty
        .iter()
        .map(|&q| {
            if q.is_finite() && q >= 0.0 {
                q
            } else {
                bad += 1;
                0.0
            }
        })
        .collect();
    if bad > 0 {
        notes.push(format!(
            "{bad} days with a negative or non-numeric quantity counted as 0"
        ));
    }
    let oms = oms_average.filter(|v| v.is_finite() && *v >= 0.0);
    // Scale huge series down by a power of two; figures are scaled back.
    let peak = qty.iter().copied().fold(0.0, f64::max);
    let scale = if peak > SCALE_ABOVE {
        2f64.powi((peak / SCALE_ABOVE).log2().ceil() as i32)
    } else {
        1.0
    };
    if scale != 1.0 {
        qty.iter_mut().for_each(|q| *q /= scale);
    }
    let oms_scaled = oms.map(|v| v / scale);

    let (adi, cv2) = intermittency(&qty);
    let class = if qty.len() / 7 < SHORT_WEEKS {
        DemandClass::Short
    } else {
        syntetos_boylan(adi, cv2)
    };
    let mut f = Forecast {
        history_days: qty.len() as u32,
        class,
        adi,
        cv2,
        method: Method::OmsAverage,
        method_label: label(Method::OmsAverage, None),
        forecast_daily: 0.0,
        horizon_days: horizon,
        sigma_horizon: 0.0,
        mae: None,
        mase: None,
        candidates: Vec::new(),
        origins: 0,
        weekly_cv: weekly_cv(&qty),
        yearly_qty: qty[qty.len().saturating_sub(365)..].iter().sum(),
        path: Vec::new(),
        note: None,
    };

    if class == DemandClass::Short {
        let (method, daily) = match oms_scaled {
            Some(v) => (Method::OmsAverage, v),
            None => (Method::Mean28, methods::mean28(&qty)),
        };
        notes.insert(
            0,
            match method {
                Method::OmsAverage => format!(
                    "{} days of history, under {SHORT_WEEKS} weeks: the OMS average is used",
                    qty.len()
                ),
                _ => format!(
                    "{} days of history, under {SHORT_WEEKS} weeks, and no OMS average: the mean of the last 28 days is used",
                    qty.len()
                ),
            },
        );
        f.method = method;
        f.method_label = label(method, None);
        f.forecast_daily = daily;
        f.path = vec![daily; h];
        f.sigma_horizon = fallback_sigma(&qty, daily, h);
        return finish(f, notes, scale);
    }

    let smooth = matches!(class, DemandClass::Smooth | DemandClass::Erratic);
    let origins = origins(qty.len(), h);
    let silent = silence(&qty).filter(|_| !origins.is_empty());
    // The weekday profile of the whole history and of each origin's.
    let profile = methods::weekday_profile(&qty);
    let at: Vec<(usize, [f64; 7])> = origins
        .iter()
        .map(|&o| (o, methods::weekday_profile(&qty[..o])))
        .collect();
    f.origins = origins.len() as u32;
    // A way fitted to the whole history and tested at every origin.
    let tested = |method: Method, way: &Way| match way.path(&qty, &profile, h) {
        Ok(p) => evaluate(method, label(method, None), way, &qty, &at, h, Some(p)),
        Err(e) => failed(method, e),
    };
    let mut evaluated: Vec<Evaluated> = Vec::new();
    if smooth {
        let weeks_ahead = h.div_ceil(7);
        match methods::ets_auto(&methods::weekly_buckets(&qty), weeks_ahead) {
            Ok((spec, weeks)) => {
                let path = methods::spread(&weeks, &profile, h);
                evaluated.push(evaluate(
                    Method::Ets,
                    label(Method::Ets, Some(&spec)),
                    &Way::Ets(spec),
                    &qty,
                    &at,
                    h,
                    Some(path),
                ));
            }
            Err(e) => evaluated.push(failed(Method::Ets, e)),
        }
        // A silence is the one place TSB serves smooth demand: it is
        // tested beside the others, but only the silence rule below can
        // choose it.
        if silent.is_some() {
            let mut e = tested(Method::Tsb, &Way::Tsb);
            if e.path.is_some() {
                e.candidate.note = Some(
                    "tested because of the silence at the end: chosen only where its forecast is the lower"
                        .into(),
                );
                evaluated.push(e);
            }
        }
    } else {
        for (method, way) in [(Method::CrostonSba, Way::Croston), (Method::Tsb, Way::Tsb)] {
            evaluated.push(tested(method, &way));
        }
    }
    if let Some(v) = oms_scaled {
        let mut e = tested(Method::OmsAverage, &Way::Constant(v));
        e.candidate.note = Some(
            "today's OMS average at every origin (it has seen the demand it is tested on): shown, never chosen"
                .into(),
        );
        evaluated.push(e);
    }
    evaluated.push(tested(Method::Mean28, &Way::Mean28));

    // MASE against the 28-day mean on the same origins.
    let base = evaluated.last().and_then(|e| e.candidate.mae);
    for e in &mut evaluated {
        e.candidate.mase = match (e.candidate.mae, base) {
            (Some(m), Some(b)) if b > 0.0 => Some(m / b),
            (Some(m), Some(_)) if m <= 1e-12 => Some(1.0),
            _ => None,
        };
    }

    // The lowest MAE wins (the earlier candidate on a tie). Without origins,
    // the class's own method where it could be fitted, else the 28-day mean.
    let chosen = if origins.is_empty() {
        notes.push(format!(
            "{} days of history leave no backtest origin over {h} days: the class's method is used untested",
            qty.len()
        ));
        evaluated
            .iter()
            .position(|e| e.path.is_some())
            .unwrap_or(evaluated.len() - 1)
    } else {
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in evaluated.iter().enumerate() {
            // The OMS average is today's figure scored at past origins: it
            // has seen the demand it is tested on, so it is reported beside
            // the others but cannot win (measured: it won over 40% of the
            // demo's products on look-ahead alone). TSB on smooth demand
            // is for the silence rule below only (`may_win`).
            if !super::may_win(class, e.candidate.method) {
                continue;
            }
            if let (Some(m), Some(_)) = (e.candidate.mae, &e.path) {
                if best.is_none_or(|(_, b)| m < b - 1e-9 * (1.0 + b.abs())) {
                    best = Some((i, m));
                }
            }
        }
        best.map(|(i, _)| i).unwrap_or(evaluated.len() - 1)
    };
    for e in &evaluated {
        if e.candidate.mae.is_none() {
            if let Some(n) = &e.candidate.note {
                notes.push(format!("{}: {n}", e.candidate.label));
            }
        }
    }
    // A stop after the last origin is beyond what the backtest can see:
    // where a product has not sold for improbably long, TSB, whose
    // probability of demand falls with every day without a sale, is chosen
    // over the backtest's winner where its forecast is the lower (Croston
    // waits at its level for the next sale, the weekly exponential
    // smoothing a week, the 28-day mean keeps sales of up to 4 weeks ago),
    // and where the winner forecasts 0 (the 28-day mean after 4 weeks):
    // the history is sales, and a product out of stock is silent too, so
    // no silence alone stops its orders for good.
    let daily = |e: &Evaluated| e.path.as_ref().map(|p| p.iter().sum::<f64>() / h as f64);
    let chosen = match silent {
        Some(s) => {
            let why = format!(
                "no sale in the last {} days, where the year before sold on {:.0}% of days (the chance of so long a run is under {:.0}%): the product may have stopped selling",
                s.days,
                s.sale_share * 100.0,
                SILENCE_CHANCE * 100.0,
            );
            let tsb = evaluated
                .iter()
                .position(|e| e.candidate.method == Method::Tsb && e.path.is_some());
            match (
                tsb,
                tsb.and_then(|t| daily(&evaluated[t])),
                daily(&evaluated[chosen]),
            ) {
                (Some(t), Some(low), Some(won)) if t != chosen && won <= 0.0 && low > 0.0 => {
                    notes.push(format!(
                        "{why}, so TSB, whose forecast falls with every day without a sale but not to 0 ({} a day), is chosen over {} (0 a day): a silence does not tell a product that stopped from one out of stock",
                        per_day(low * scale),
                        evaluated[chosen].candidate.label
                    ));
                    t
                }
                (Some(t), Some(low), Some(won)) if t != chosen && low < won => {
                    notes.push(format!(
                        "{why}, so TSB, whose forecast falls with every day without a sale ({} a day), is chosen over {} ({} a day)",
                        per_day(low * scale),
                        evaluated[chosen].candidate.label,
                        per_day(won * scale)
                    ));
                    t
                }
                (Some(t), Some(low), Some(won)) if t != chosen => {
                    notes.push(format!(
                        "{why}; {} is kept: its forecast ({} a day) is not above TSB's ({} a day)",
                        evaluated[chosen].candidate.label,
                        per_day(won * scale),
                        per_day(low * scale)
                    ));
                    chosen
                }
                (Some(t), _, _) if t == chosen => {
                    notes.push(format!(
                        "{why}; TSB, the backtest's choice, already falls with every day without a sale"
                    ));
                    chosen
                }
                _ => chosen,
            }
        }
        None => chosen,
    };
    let winner = &evaluated[chosen];
    f.method = winner.candidate.method;
    f.method_label = winner.candidate.label.clone();
    f.mae = winner.candidate.mae;
    f.mase = winner.candidate.mase;
    f.path = winner.path.clone().unwrap_or_else(|| vec![0.0; h]);
    f.forecast_daily = f.path.iter().sum::<f64>() / h as f64;
    // In a silence, the errors of the origins before it are those of a
    // product that still sold: sigma comes from the origins whose history
    // already ended in a silence (`SIGMA_SILENCE_DAYS` of it at least),
    // where there are enough.
    let in_silence: Vec<f64> = match silent {
        Some(s) => (at.iter().zip(&winner.errors))
            .filter(|((o, _), _)| *o >= qty.len() - s.days + SIGMA_SILENCE_DAYS)
            .map(|(_, e)| *e)
            .collect(),
        _ => Vec::new(),
    };
    let errors = if in_silence.len() >= MIN_SIGMA_ORIGINS {
        notes.push(format!(
            "sigma from the {} backtest origins inside the silence (before it, the product still sold)",
            in_silence.len()
        ));
        &in_silence
    } else {
        &winner.errors
    };
    f.sigma_horizon = if errors.len() >= MIN_SIGMA_ORIGINS {
        // The errors' deviation about zero (the forecast), so that a
        // method's bias counts as uncertainty too.
        (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt()
    } else {
        notes.push(format!(
            "{} backtest origins, under {MIN_SIGMA_ORIGINS}: sigma is sqrt({h}) x the daily deviation of the last {SIGMA_FALLBACK_DAYS} days",
            winner.errors.len()
        ));
        fallback_sigma(&qty, f.forecast_daily, h)
    };
    f.candidates = evaluated.into_iter().map(|e| e.candidate).collect();
    finish(f, notes, scale)
}

fn evaluate(
    method: Method,
    label: String,
    way: &Way,
    qty: &[f64],
    at: &[(usize, [f64; 7])],
    h: usize,
    path: Option<Vec<f64>>,
) -> Evaluated {
    let mut errors = Vec::with_capacity(at.len());
    for &(o, ref profile) in at {
        match way.path(&qty[..o], profile, h) {
            Ok(p) => {
                let actual: f64 = qty[o..o + h].iter().sum();
                errors.push(actual - p.iter().sum::<f64>());
            }
            Err(e) => {
                return Evaluated {
                    candidate: Candidate {
                        method,
                        label,
                        mae: None,
                        mase: None,
                        note: Some(format!(
                            "at the origin {} days before the end: {e}",
                            qty.len() - o
                        )),
                    },
                    errors: Vec::new(),
                    path: None,
                };
            }
        }
    }
    let mae = if errors.is_empty() {
        None
    } else {
        Some(errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64 / h as f64)
    };
    Evaluated {
        candidate: Candidate {
            method,
            label,
            mae,
            mase: None,
            note: None,
        },
        errors,
        path,
    }
}

fn failed(method: Method, why: String) -> Evaluated {
    Evaluated {
        candidate: Candidate {
            method,
            label: label(method, None),
            mae: None,
            mase: None,
            note: Some(why),
        },
        errors: Vec::new(),
        path: None,
    }
}

fn label(method: Method, spec: Option<&EtsSpec>) -> String {
    match (method, spec) {
        (Method::Ets, Some(s)) => s.label(),
        (Method::Ets, None) => "exponential smoothing".into(),
        (Method::CrostonSba, _) => "Croston SBA".into(),
        (Method::Tsb, _) => "TSB".into(),
        (Method::OmsAverage, _) => "OMS average".into(),
        (Method::Mean28, _) => "28-day mean".into(),
    }
}

/// A daily quantity as a note prints it: two decimals, "under 0.01"
/// for what two decimals would show as 0.00 (TSB months into a silence),
/// "0" for nothing.
pub fn per_day(v: f64) -> String {
    if v <= 0.0 {
        "0".into()
    } else if v < 0.005 {
        "under 0.01".into()
    } else {
        format!("{v:.2}")
    }
}

/// sqrt(H) x the root mean square deviation of the last
/// `SIGMA_FALLBACK_DAYS` days about the daily forecast.
fn fallback_sigma(qty: &[f64], daily: f64, h: usize) -> f64 {
    let recent = &qty[qty.len().saturating_sub(SIGMA_FALLBACK_DAYS)..];
    if recent.is_empty() {
        return 0.0;
    }
    let ms = mean(
        &recent
            .iter()
            .map(|q| (q - daily).powi(2))
            .collect::<Vec<_>>(),
    );
    (h as f64).sqrt() * ms.sqrt()
}

/// Scales the figures back, joins the notes, and makes sure nothing
/// non-finite leaves.
fn finish(mut f: Forecast, notes: Vec<String>, scale: f64) -> Forecast {
    let fix = |v: f64| {
        if v.is_nan() {
            0.0
        } else {
            v.clamp(-f64::MAX, f64::MAX)
        }
    };
    let up = |v: f64| fix(v * scale);
    f.forecast_daily = up(f.forecast_daily);
    f.sigma_horizon = up(f.sigma_horizon);
    f.mae = f.mae.map(up);
    f.mase = f.mase.map(fix);
    f.yearly_qty = up(f.yearly_qty);
    f.path.iter_mut().for_each(|v| *v = up(*v));
    f.adi = f.adi.map(fix);
    f.cv2 = f.cv2.map(fix);
    f.weekly_cv = f.weekly_cv.map(fix);
    for c in &mut f.candidates {
        c.mae = c.mae.map(up);
        c.mase = c.mase.map(fix);
    }
    if !notes.is_empty() {
        f.note = Some(notes.join("; "));
    }
    f
}
