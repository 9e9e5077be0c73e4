//! The demo's daily demand history (DOMAIN.md sections 1 and 5): two years
//! per product ending on the demo's "today", with weekly and yearly
//! seasonality, trends, smooth, erratic, intermittent and lumpy items,
//! promotions, new products with a few weeks of history, products that
//! stopped selling months ago and products that never sold.
//!
//! Pure and deterministic: each product's history comes from its own random
//! stream, seeded from the demo's seed and the product id, so it never moves
//! the other demo figures and can be generated without a database
//! (`history_for`, for benchmarks).

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::forecast::DailySeries;

/// Days of daily demand history per product (two years).
pub const HISTORY_DAYS: i64 = 730;

/// The demo's "today": the last day of its history table.
pub fn demo_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

/// The process a product's history was drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Sales most days, little noise (weekly/yearly season, trend, promotions).
    Smooth,
    /// Sales most days, quantities that vary a lot.
    Erratic,
    /// Sales on few days, quantities alike.
    Intermittent,
    /// Sales on few days, quantities that vary a lot.
    Lumpy,
    /// On sale for a few weeks only (under 8 weeks of history).
    New,
    /// Sold until some months ago, nothing since (the OMS average is 0).
    Stopped,
    /// No sales at all: no rows (the OMS average is 0).
    Never,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Smooth => "smooth",
            Profile::Erratic => "erratic",
            Profile::Intermittent => "intermittent",
            Profile::Lumpy => "lumpy",
            Profile::New => "new",
            Profile::Stopped => "stopped",
            Profile::Never => "never",
        }
    }
}

/// One product's generated history and how it was drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoHistory {
    pub profile: Profile,
    /// From the first day with a sale to `demo_today()` (empty for `Never`),
    /// as `OmsSource::load_series` reads it back: missing days are zeros.
    pub series: DailySeries,
    /// Days with promotions (spikes), as offsets into `series.qty`.
    pub promo_days: Vec<usize>,
    /// The process's parameters, for tests and benchmarks with known answers.
    pub params: Params,
}

/// The parameters a history was drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Params {
    /// The level at today (the OMS average; a past level for `Stopped`).
    pub level: f64,
    /// Yearly growth of the level (log scale): `level x exp(growth x years)`.
    pub growth: f64,
    /// Amplitude of the yearly season (0: none) and its phase at today.
    pub yearly: f64,
    pub phase: f64,
    /// Weekday factors, Monday first, mean 1 (all 1: no weekly season).
    pub weekly: [f64; 7],
    /// Chance of a sale on a day (1 for smooth and erratic items).
    pub p_sale: f64,
    /// Log-sd of the multiplicative noise.
    pub noise: f64,
}

/// The daily history of one demo product (see `generate_history`).
pub fn history_for(seed: u64, product_id: &str, avg_daily_demand: f64, trend: f64) -> DailySeries {
    generate_history(seed, product_id, avg_daily_demand, trend).series
}

/// The random stream of one product's history: the seed and the id mixed
/// (FNV-1a of the id), independent of the demo's main stream.
fn stream(seed: u64, product_id: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in product_id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ h)
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>(); // (0, 1]
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A lognormal factor with mean 1 and log-sd `sigma`.
fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    (sigma * normal(rng) - sigma * sigma / 2.0).exp()
}

/// A Poisson draw (Knuth's product for small means, a rounded normal above).
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda >= 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0);
    }
    let limit = (-lambda).exp();
    let mut k = 0.0;
    let mut p: f64 = rng.gen();
    while p > limit {
        k += 1.0;
        p *= rng.gen::<f64>();
    }
    k
}

/// Two years of daily history of one product whose OMS average is
/// `avg_daily_demand` and whose OMS trend is `trend` (+1 increasing, 0
/// stable, -1 decreasing). The level over the last weeks is near the OMS
/// average (trend and yearly season cross 1 at today, promotions stay out
/// of the last five weeks), so plans from a forecast stay realistic.
/// Deterministic for (`seed`, `product_id`, `avg_daily_demand`, `trend`).
pub fn generate_history(
    seed: u64,
    product_id: &str,
    avg_daily_demand: f64,
    trend: f64,
) -> DemoHistory {
    let mut rng = stream(seed, product_id);
    let today = demo_today();
    let demand = if avg_daily_demand.is_finite() {
        avg_daily_demand.max(0.0)
    } else {
        0.0
    };
    let roll: f64 = rng.gen();
    let profile = if demand <= 0.0 {
        if roll < 0.5 {
            Profile::Stopped
        } else {
            Profile::Never
        }
    } else if roll < 0.05 {
        Profile::New
    } else if roll < 0.17 {
        Profile::Intermittent
    } else if roll < 0.25 {
        Profile::Lumpy
    } else if roll < 0.35 {
        Profile::Erratic
    } else {
        Profile::Smooth
    };
    let empty = |profile, params| DemoHistory {
        profile,
        series: DailySeries {
            first_day: today.format("%Y-%m-%d").to_string(),
            qty: Vec::new(),
        },
        promo_days: Vec::new(),
        params,
    };
    if profile == Profile::Never {
        return empty(profile, Params::default());
    }
    // Days of history (offset 0 is the oldest) and, for a product that
    // stopped selling, the first day without sales.
    let (days, stop, level) = match profile {
        Profile::New => (rng.gen_range(10..=50), None, demand),
        Profile::Stopped => {
            let silent = rng.gen_range(60..=300);
            (
                HISTORY_DAYS as usize,
                Some(HISTORY_DAYS as usize - silent),
                (rng.gen::<f64>() * 3.5).exp() / 2.0,
            )
        }
        _ => (HISTORY_DAYS as usize, None, demand),
    };
    // Trend: the level grows (or shrinks) by `growth` a year, 1 at today.
    // (f64::signum(0.0) is 1: a stable trend is no trend.)
    let direction = if trend > 0.0 {
        1.0
    } else if trend < 0.0 {
        -1.0
    } else {
        0.0
    };
    let growth = direction * rng.gen_range(0.15..0.5);
    // Yearly season: amplitude 0 for about half the products, crossing its
    // mean at today (rising or falling).
    let yearly = if rng.gen::<f64>() < 0.45 {
        rng.gen_range(0.15..0.5)
    } else {
        0.0
    };
    let phase = if rng.gen::<bool>() {
        0.0
    } else {
        std::f64::consts::PI
    } + rng.gen_range(-0.2..0.2);
    // Weekly season (Monday first): busy weekdays, quiet weekends.
    let mut weekly = [1.0; 7];
    if rng.gen::<f64>() < 0.65 {
        let base = [1.1, 1.05, 1.0, 1.05, 1.25, 0.45, 0.3];
        let w = rng.gen_range(0.3..1.0);
        for (d, b) in weekly.iter_mut().zip(base) {
            *d = 1.0 + w * (b - 1.0);
        }
        let m = weekly.iter().sum::<f64>() / 7.0;
        weekly.iter_mut().for_each(|d| *d /= m);
    }
    // Promotions: a few spikes, none in the last five weeks.
    let mut promo = vec![1.0; days];
    let mut promo_days = Vec::new();
    if days > 120 && rng.gen::<f64>() < 0.35 {
        for _ in 0..rng.gen_range(1..=4) {
            let start = rng.gen_range(0..days - 35 - 10);
            let len = rng.gen_range(3..=10);
            let lift = rng.gen_range(2.0..5.0);
            for p in &mut promo[start..start + len] {
                *p = lift;
            }
        }
        promo_days = (0..days).filter(|&i| promo[i] > 1.0).collect();
    }
    let (p_sale, noise) = match profile {
        Profile::Intermittent => (rng.gen_range(0.12..0.6), rng.gen_range(0.1..0.3)),
        Profile::Lumpy => (rng.gen_range(0.05..0.4), rng.gen_range(1.0..1.4)),
        Profile::Erratic => (1.0, rng.gen_range(0.9..1.3)),
        _ => (1.0, rng.gen_range(0.05..0.25)),
    };
    let params = Params {
        level,
        growth,
        yearly,
        phase,
        weekly,
        p_sale,
        noise,
    };
    let first = today - chrono::Duration::days(days as i64 - 1);
    let first_dow = first.weekday().num_days_from_monday() as usize;
    let mut qty = Vec::with_capacity(days);
    for (i, lift) in promo.iter().enumerate() {
        if stop.is_some_and(|s| i >= s) {
            qty.push(0.0);
            continue;
        }
        let age = (days - 1 - i) as f64;
        let years = -age / 365.0;
        let mean = level
            * (growth * years).exp()
            * (1.0 + yearly * (std::f64::consts::TAU * years + phase).sin())
            * weekly[(first_dow + i) % 7]
            * lift;
        let q = match profile {
            Profile::Intermittent | Profile::Lumpy => {
                if rng.gen::<f64>() < p_sale {
                    (mean / p_sale * lognormal(&mut rng, noise))
                        .round()
                        .max(1.0)
                } else {
                    0.0
                }
            }
            _ => {
                let m = mean * lognormal(&mut rng, noise);
                poisson(&mut rng, m)
            }
        };
        qty.push(q);
    }
    // The series starts at the first sale, as a reader of the table sees it.
    let lead = qty.iter().position(|q| *q > 0.0).unwrap_or(qty.len());
    if lead == qty.len() {
        return empty(profile, params);
    }
    qty.drain(..lead);
    DemoHistory {
        profile,
        series: DailySeries {
            first_day: (first + chrono::Duration::days(lead as i64))
                .format("%Y-%m-%d")
                .to_string(),
            qty,
        },
        promo_days: promo_days
            .into_iter()
            .filter_map(|d| d.checked_sub(lead))
            .collect(),
        params,
    }
}

#[cfg(test)]
mod tests;
