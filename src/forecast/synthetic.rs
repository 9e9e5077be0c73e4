//! Deterministic generators of daily demand series with known processes,
//! seeded: for the forecasting tests, the benchmarks and the peer
//! comparison. Every generator returns whole, non-negative quantities
//! (except `constant` and `linear_trend` without noise, which return the
//! process itself), oldest day first.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::DailySeries;

/// The first day of every generated series.
pub const FIRST_DAY: &str = "2024-01-01";

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A standard normal draw (Box-Muller).
fn normal(r: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = r.gen_range(f64::EPSILON..1.0);
    let u2: f64 = r.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw with mean `lambda` (Knuth for small means, a rounded
/// normal approximation above 30).
pub fn poisson(r: &mut ChaCha8Rng, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(r)).round().max(0.0);
    }
    let l = (-lambda).exp();
    let mut k = 0.0;
    let mut p = 1.0;
    loop {
        p *= r.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1.0;
    }
}

/// A series from its daily quantities.
pub fn series(qty: Vec<f64>) -> DailySeries {
    DailySeries {
        first_day: FIRST_DAY.into(),
        qty,
    }
}

/// `level` every day.
pub fn constant(days: usize, level: f64) -> Vec<f64> {
    vec![level; days]
}

/// The expected demand of day `t` of a linear trend: `start + slope x t`.
pub fn trend_mean(start: f64, slope: f64, t: usize) -> f64 {
    (start + slope * t as f64).max(0.0)
}

/// A linear trend with Poisson noise around it (`noise = false`: the
/// trend itself).
pub fn linear_trend(days: usize, start: f64, slope: f64, noise: bool, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..days)
        .map(|t| {
            let m = trend_mean(start, slope, t);
            if noise {
                poisson(&mut r, m)
            } else {
                m
            }
        })
        .collect()
}

/// Poisson demand whose mean follows a weekly pattern: day `t` has mean
/// `level x weekday[t % 7]`.
pub fn weekly_season(days: usize, level: f64, weekday: [f64; 7], seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..days)
        .map(|t| poisson(&mut r, level * weekday[t % 7]))
        .collect()
}

/// The expected demand of day `t` of a yearly season.
pub fn yearly_mean(level: f64, amplitude: f64, t: usize) -> f64 {
    (level * (1.0 + amplitude * (std::f64::consts::TAU * t as f64 / 365.0).sin())).max(0.0)
}

/// Poisson demand with a yearly sine season of relative `amplitude`.
pub fn yearly_season(days: usize, level: f64, amplitude: f64, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..days)
        .map(|t| poisson(&mut r, yearly_mean(level, amplitude, t)))
        .collect()
}

/// Intermittent demand: a sale on a day with probability `p`, its size
/// 1 + Poisson(`mean_size` - 1) (so the mean size is `mean_size`, and the
/// expected demand per day is `p x mean_size`).
pub fn intermittent(days: usize, p: f64, mean_size: f64, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..days)
        .map(|_| {
            if r.gen::<f64>() < p {
                1.0 + poisson(&mut r, (mean_size - 1.0).max(0.0))
            } else {
                0.0
            }
        })
        .collect()
}

/// Lumpy demand: rare sales (probability `p`) of very variable size
/// (geometric-like: 1 + Poisson of an exponential mean around `mean_size`),
/// so that the sizes' CV^2 is well above 0.49.
pub fn lumpy(days: usize, p: f64, mean_size: f64, seed: u64) -> Vec<f64> {
    let mut r = rng(seed);
    (0..days)
        .map(|_| {
            if r.gen::<f64>() < p {
                let u: f64 = r.gen_range(f64::EPSILON..1.0);
                let m = -(mean_size - 1.0).max(0.0) * u.ln();
                1.0 + poisson(&mut r, m)
            } else {
                0.0
            }
        })
        .collect()
}

/// Promotions as outliers: every `every` days (from day `every - 1`) the
/// day's demand is multiplied by `factor`.
pub fn with_promotions(mut qty: Vec<f64>, every: usize, factor: f64) -> Vec<f64> {
    let every = every.max(1);
    for (t, q) in qty.iter_mut().enumerate() {
        if t % every == every - 1 {
            *q = (*q * factor).round();
        }
    }
    qty
}

/// A product that stopped selling: demand as given, then zero from day
/// `stop_at`.
pub fn stopped(mut qty: Vec<f64>, stop_at: usize) -> Vec<f64> {
    for q in qty.iter_mut().skip(stop_at) {
        *q = 0.0;
    }
    qty
}

/// The kinds of series `mix` makes, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Level,
    Trend,
    Weekly,
    Yearly,
    Intermittent,
    Lumpy,
    Promotions,
    New,
    Stopped,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Level,
        Kind::Trend,
        Kind::Weekly,
        Kind::Yearly,
        Kind::Intermittent,
        Kind::Lumpy,
        Kind::Promotions,
        Kind::New,
        Kind::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Level => "level",
            Kind::Trend => "trend",
            Kind::Weekly => "weekly",
            Kind::Yearly => "yearly",
            Kind::Intermittent => "intermittent",
            Kind::Lumpy => "lumpy",
            Kind::Promotions => "promotions",
            Kind::New => "new",
            Kind::Stopped => "stopped",
        }
    }
}

/// A mixed set of `n` series of `days` days, kinds in turn, each with its
/// own seed derived from `seed` and its index; levels vary by product.
/// `New` series have 3 to 7 weeks; the others run the full length.
pub fn mix(n: usize, days: usize, seed: u64) -> Vec<(Kind, DailySeries)> {
    (0..n)
        .map(|i| {
            let kind = Kind::ALL[i % Kind::ALL.len()];
            let s = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(i as u64);
            let mut r = rng(s);
            let level: f64 = r.gen_range(2.0..60.0);
            let qty = match kind {
                Kind::Level => weekly_season(days, level, [1.0; 7], s),
                Kind::Trend => {
                    let slope = level * r.gen_range(-0.6..1.5) / days as f64;
                    linear_trend(days, level, slope, true, s)
                }
                Kind::Weekly => weekly_season(days, level, [1.3, 1.2, 1.1, 1.0, 1.2, 0.7, 0.5], s),
                Kind::Yearly => yearly_season(days, level, r.gen_range(0.2..0.6), s),
                Kind::Intermittent => {
                    intermittent(days, r.gen_range(0.1..0.5), r.gen_range(1.0..4.0), s)
                }
                Kind::Lumpy => lumpy(days, r.gen_range(0.05..0.4), r.gen_range(4.0..20.0), s),
                Kind::Promotions => {
                    with_promotions(weekly_season(days, level, [1.0; 7], s), 45, 4.0)
                }
                Kind::New => weekly_season(r.gen_range(21..50), level, [1.0; 7], s),
                Kind::Stopped => {
                    let stop = days.saturating_sub(r.gen_range(30..200));
                    stopped(weekly_season(days, level, [1.0; 7], s), stop)
                }
            };
            (kind, series(qty))
        })
        .collect()
}
