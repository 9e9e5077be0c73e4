use std::collections::HashMap;

use super::*;
use crate::demo::{generate, HistoryJob};
use crate::forecast::{intermittency, syntetos_boylan, DemandClass, SHORT_WEEKS};
use crate::sources::Backend;

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

/// The embedded demo's products with history, each with its generated one.
fn demo_histories() -> Vec<(HistoryJob, DemoHistory)> {
    let demo = generate(2_000, 42, Backend::Sqlite);
    demo.history
        .into_iter()
        .map(|j| {
            let h = generate_history(42, &j.product_id, j.avg_daily_demand, j.trend);
            (j, h)
        })
        .collect()
}

#[test]
fn same_seed_and_id_same_history_else_another() {
    let a = generate_history(7, "SKU-0000042", 12.5, 1.0);
    assert_eq!(a, generate_history(7, "SKU-0000042", 12.5, 1.0));
    assert_eq!(a.series, history_for(7, "SKU-0000042", 12.5, 1.0));
    assert_ne!(a.series, history_for(8, "SKU-0000042", 12.5, 1.0).clone());
    assert_ne!(a.series, history_for(7, "SKU-0000043", 12.5, 1.0));
}

#[test]
fn the_reference_products_have_no_history() {
    let demo = generate(300, 42, Backend::Sqlite);
    assert!(demo
        .history
        .iter()
        .all(|j| !j.product_id.starts_with("PROD-")));
    // Every other product the OMS knows has a history job.
    assert_eq!(demo.history.len(), demo.oms.len() - 3);
}

#[test]
fn every_series_ends_today_and_starts_with_a_sale() {
    let today = demo_today().format("%Y-%m-%d").to_string();
    for (j, h) in demo_histories() {
        if h.series.qty.is_empty() {
            assert_eq!(h.profile, Profile::Never, "{}", j.product_id);
            continue;
        }
        assert_eq!(h.series.last_day(), today, "{}", j.product_id);
        assert!(h.series.qty[0] > 0.0, "{}", j.product_id);
        assert!(h.series.qty.len() <= HISTORY_DAYS as usize);
        assert!(h.series.qty.iter().all(|q| *q >= 0.0 && q.fract() == 0.0));
    }
}

#[test]
fn the_demo_has_every_kind_of_history() {
    let all = demo_histories();
    let mut by: HashMap<Profile, usize> = HashMap::new();
    for (_, h) in &all {
        *by.entry(h.profile).or_default() += 1;
    }
    for p in [
        Profile::Smooth,
        Profile::Erratic,
        Profile::Intermittent,
        Profile::Lumpy,
        Profile::New,
        Profile::Stopped,
        Profile::Never,
    ] {
        assert!(by.get(&p).copied().unwrap_or(0) >= 10, "{p:?}: {by:?}");
    }
    let count = |f: &dyn Fn(&DemoHistory) -> bool| all.iter().filter(|(_, h)| f(h)).count();
    assert!(count(&|h| h.params.yearly > 0.0) >= 300, "yearly seasons");
    assert!(
        count(&|h| h.params.weekly[6] < 0.9) >= 300,
        "weekly seasons"
    );
    assert!(count(&|h| h.params.growth > 0.0) >= 300, "upward trends");
    assert!(count(&|h| h.params.growth < 0.0) >= 300, "downward trends");
    // The OMS's trend word gives the direction; a stable product has none.
    for (j, h) in all.iter().filter(|(_, h)| h.profile != Profile::Never) {
        assert_eq!(
            h.params.growth.partial_cmp(&0.0),
            j.trend.partial_cmp(&0.0),
            "{}",
            j.product_id
        );
    }
    assert!(count(&|h| !h.promo_days.is_empty()) >= 200, "promotions");
}

#[test]
fn new_stopped_and_never_sold_products() {
    for (j, h) in demo_histories() {
        let q = &h.series.qty;
        match h.profile {
            Profile::New => {
                assert!(
                    !q.is_empty() && q.len() < SHORT_WEEKS * 7,
                    "{}",
                    j.product_id
                );
                assert!(j.avg_daily_demand > 0.0);
            }
            Profile::Stopped => {
                assert_eq!(j.avg_daily_demand, 0.0, "{}", j.product_id);
                assert!(q.len() > 300, "{}: sold for a while", j.product_id);
                assert!(
                    q[q.len() - 60..].iter().all(|d| *d == 0.0),
                    "{}",
                    j.product_id
                );
            }
            Profile::Never => assert!(q.is_empty()),
            _ => {
                assert!(j.avg_daily_demand > 0.0);
                assert!(q.len() > 600, "{}: two years", j.product_id);
            }
        }
    }
}

/// The Syntetos-Boylan class (from forecast::) of each profile's series, for
/// products selling at least a few a day where the profile should show.
#[test]
fn profiles_fall_in_their_demand_class() {
    let mut hits: HashMap<Profile, (usize, usize)> = HashMap::new();
    for (j, h) in demo_histories() {
        let want = match h.profile {
            Profile::Smooth if j.avg_daily_demand >= 5.0 => DemandClass::Smooth,
            Profile::Erratic if j.avg_daily_demand >= 5.0 => DemandClass::Erratic,
            Profile::Intermittent => DemandClass::Intermittent,
            Profile::Lumpy => DemandClass::Lumpy,
            _ => continue,
        };
        // The class of the last year (a promotion-free stretch for most).
        let q = &h.series.qty[h.series.qty.len() - 365..];
        let (adi, cv2) = intermittency(q);
        let e = hits.entry(h.profile).or_default();
        e.1 += 1;
        if syntetos_boylan(adi, cv2) == want {
            e.0 += 1;
        }
    }
    for (p, (hit, n)) in &hits {
        assert!(*n >= 20, "{p:?}: {n} products");
        assert!(
            *hit as f64 >= 0.75 * *n as f64,
            "{p:?}: {hit} of {n} in their class"
        );
    }
}

#[test]
fn the_recent_level_is_the_oms_average() {
    let (mut recent, mut oms) = (0.0, 0.0);
    let mut ratios = Vec::new();
    for (j, h) in demo_histories() {
        if matches!(h.profile, Profile::New | Profile::Stopped | Profile::Never) {
            continue;
        }
        let q = &h.series.qty;
        let m = mean(&q[q.len() - 91..]);
        recent += m;
        oms += j.avg_daily_demand;
        if j.avg_daily_demand >= 5.0 {
            ratios.push(m / j.avg_daily_demand);
        }
    }
    assert!(
        (recent / oms - 1.0).abs() < 0.1,
        "last 91 days {recent:.1}/day vs OMS {oms:.1}/day in total"
    );
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    eprintln!(
        "last 91 days / OMS average: {:.3} in total, median {median:.3}",
        recent / oms
    );
    assert!((median - 1.0).abs() < 0.1, "median ratio {median}");
}

#[test]
fn trends_seasons_and_promotions_show_in_the_series() {
    let (mut up, mut up_n, mut down, mut down_n) = (0, 0, 0, 0);
    let (mut weekend, mut week) = (0.0, 0.0);
    let (mut promo, mut promo_n, mut other, mut other_n) = (0.0, 0, 0.0, 0);
    let mut season_hits = (0, 0);
    for (_, h) in demo_histories() {
        if h.profile != Profile::Smooth || h.params.level < 5.0 {
            continue;
        }
        let q = &h.series.qty;
        let n = q.len();
        if n < 730 {
            continue;
        }
        // Trend: the last half year against the same half a year before
        // (the yearly season cancels out), promotions left out.
        let half = |from: usize| {
            let days: Vec<f64> = (from..from + 182)
                .filter(|d| !h.promo_days.contains(d))
                .map(|d| q[d])
                .collect();
            mean(&days)
        };
        let ratio = half(n - 182) / half(n - 182 - 365);
        if h.params.growth > 0.2 {
            up_n += 1;
            up += usize::from(ratio > 1.0);
        } else if h.params.growth < -0.2 {
            down_n += 1;
            down += usize::from(ratio < 1.0);
        }
        // Weekly: Saturday and Sunday against the whole week, where set.
        if h.params.weekly[6] < 0.8 {
            let first = NaiveDate::parse_from_str(&h.series.first_day, "%Y-%m-%d").unwrap();
            for (i, d) in q.iter().enumerate() {
                let dow = (first + chrono::Duration::days(i as i64)).weekday();
                if matches!(dow, chrono::Weekday::Sat | chrono::Weekday::Sun) {
                    weekend += d;
                }
                week += d;
            }
        }
        // Promotions: their days against the others.
        for (i, d) in q.iter().enumerate() {
            if h.promo_days.contains(&i) {
                promo += d / h.params.level;
                promo_n += 1;
            } else {
                other += d / h.params.level;
                other_n += 1;
            }
        }
        // Yearly: the 91 days at the season's peak against its trough, the
        // trend taken out, where the amplitude is large.
        if h.params.yearly >= 0.3 && h.promo_days.is_empty() {
            let at = |d: usize| {
                let years = -((n - 1 - d) as f64) / 365.0;
                (std::f64::consts::TAU * years + h.params.phase).sin()
            };
            let detrended = |d: usize| {
                let years = -((n - 1 - d) as f64) / 365.0;
                q[d] / (h.params.growth * years).exp()
            };
            let (hi, lo): (Vec<usize>, Vec<usize>) = (n - 365..n).partition(|&d| at(d) > 0.0);
            let high = mean(&hi.iter().map(|&d| detrended(d)).collect::<Vec<_>>());
            let low = mean(&lo.iter().map(|&d| detrended(d)).collect::<Vec<_>>());
            season_hits.1 += 1;
            season_hits.0 += usize::from(high > low * 1.2);
        }
    }
    assert!(
        up_n >= 20 && up as f64 >= 0.9 * up_n as f64,
        "{up} of {up_n} up"
    );
    assert!(
        down_n >= 20 && down as f64 >= 0.9 * down_n as f64,
        "{down} of {down_n} down"
    );
    let share = weekend / week;
    let lift = (promo / promo_n as f64) / (other / other_n as f64);
    eprintln!(
        "up {up}/{up_n}, down {down}/{down_n}, weekend share {share:.3}, promotion lift {lift:.2}, yearly season {season_hits:?}"
    );
    assert!(share < 0.25, "weekend share {share} (flat: 2/7)");
    assert!(lift > 1.8, "promotion days sell {lift}x");
    assert!(
        season_hits.1 >= 10 && season_hits.0 as f64 >= 0.9 * season_hits.1 as f64,
        "yearly season seen in {season_hits:?}"
    );
}

#[test]
fn no_promotion_in_the_last_five_weeks() {
    for (j, h) in demo_histories() {
        let n = h.series.qty.len();
        assert!(h.promo_days.iter().all(|d| *d + 35 < n), "{}", j.product_id);
    }
}

#[test]
fn rows_leave_out_days_without_sales() {
    let job = HistoryJob {
        product_id: "SKU-0000099".into(),
        avg_daily_demand: 0.8,
        trend: 0.0,
    };
    let mut rows = Vec::new();
    job.rows(42, None, &mut rows);
    let s = history_for(42, "SKU-0000099", 0.8, 0.0);
    let sales = s.qty.iter().filter(|q| **q > 0.0).count();
    assert!(sales < s.qty.len(), "a slow item has days without sales");
    assert_eq!(rows.len(), sales);
    assert!(rows.iter().all(|r| r[2].as_deref() != Some("0")));
    assert_eq!(rows[0][1].as_deref(), Some(s.first_day.as_str()));
    let total: f64 = rows
        .iter()
        .map(|r| r[2].as_deref().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, s.qty.iter().sum::<f64>());
    // The last 91 days only (the benchmarks' smaller history): the same
    // rows from that day on, none before; 0 days: none.
    let mut last = Vec::new();
    job.rows(42, Some(91), &mut last);
    let from = chrono::NaiveDate::parse_from_str(&s.first_day, "%Y-%m-%d").unwrap()
        + chrono::Duration::days(s.qty.len() as i64 - 91);
    let from = from.format("%Y-%m-%d").to_string();
    let want: Vec<_> = rows
        .iter()
        .filter(|r| r[1].as_deref().unwrap() >= from.as_str())
        .cloned()
        .collect();
    assert!(!want.is_empty() && want.len() < rows.len());
    assert_eq!(last, want);
    let mut none = Vec::new();
    job.rows(42, Some(0), &mut none);
    assert!(none.is_empty());
}
