//! The policy backtest (DOMAIN.md section 5): the last N days of each
//! product's daily history replayed with a set of rules, day by day, to
//! see the fill rate they reach and the stock they hold, per product, per
//! class and in total. Pure: no I/O, no async, no UI.
//!
//! The replay of one product, day `t` of the window (all choices are the
//! same for every policy, so that two policies compare fairly):
//! 1. orders due on day `t` arrive, in the morning, before the day's
//!    demand;
//! 2. the day's real demand is served from stock on hand; what cannot be
//!    served is lost, not backordered (a buyer's lost sale: the fill rate
//!    measures it, and a backlog would let a late order "serve" demand a
//!    customer already took elsewhere). Negative quantities (returns) are
//!    read as no demand;
//! 3. at the end of a review day (every day when R = 0, else days 0, R,
//!    2R, ... with R rounded up to whole days), when the day's sales are
//!    known, the rules run on the product's facts as of that evening:
//!    `available_qty` = stock on hand, `on_order_qty` = what was ordered
//!    and has not arrived; the supplier (L, R, MOQ, multiple, price), the
//!    pack and the OMS average are today's. The forecast facts come from
//!    the history before the window only (no look-ahead). An order placed
//!    on day `t` arrives on the morning of day `t + ceil(L)`, ready for
//!    that day's demand (L = 1: ordered tonight, on the shelf tomorrow); with
//!    L = 0 it is on the shelf at once. So an order-up-to level of d x L
//!    covers a constant demand d exactly.
//!
//! The stock held is the stock on hand at the end of each day (after the
//! day's order when it arrives at once), averaged
//! over the window, in units and at today's unit price (money per
//! currency, never added across currencies).
//!
//! The start: by default each policy starts from its own stock, the
//! quantity its rules order for the product from nothing (no stock, nothing
//! on order) on the evening before the window, as if that order were on
//! the shelf
//! (`Start::Policy`). Today's stock is an accident of the present, after
//! the window; starting every policy from it makes the first L days the
//! same for all and blurs the difference a policy makes. `Start::Current`
//! (today's available quantity) is there to ask the other question.
//!
//! The rules are deterministic in the facts: a day whose facts (stock on
//! hand, on order) equal an earlier review day's gets that day's decision
//! without running the rules again (no change to the answer; it skips the
//! quiet days of intermittent items).

mod summary;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::forecast::{self, Abc, DailySeries, DemandClass, StoredForecast};
use crate::plan::inputs::{HistoryStats, InventoryRow};
use crate::plan::{self, ExceptionCode, Num, PlanContext, ProductInputs, RuleSet};

pub use summary::{percent, points, Group, Money, Summary};

/// The window of a backtest unless asked otherwise (DOMAIN.md section 5).
pub const DEFAULT_DAYS: u32 = 90;

/// Where each product's stock starts on the window's first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// What the policy orders from nothing (no stock, nothing on order) on
    /// the evening before the window, on the shelf at once.
    #[default]
    Policy,
    /// Today's available quantity.
    Current,
}

/// A product to replay: its source rows and its daily history, which runs
/// to the last day of the whole history table.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub inputs: Arc<ProductInputs>,
    pub series: DailySeries,
}

/// What the replay of one product needs besides the rules, the same for
/// every policy: computed once (`prepare`) and replayed with each.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub days: u32,
    pub start: Start,
    /// The window's first and last day (`YYYY-MM-DD`), the whole table's.
    pub first_day: String,
    pub last_day: String,
    products: Vec<Ready>,
    /// Products that cannot be replayed, with the reason.
    pub skipped: Vec<(Arc<str>, String)>,
    /// The forecasts from before the window, as the plan reads them.
    ctx: PlanContext,
}

/// One product ready to replay.
#[derive(Debug, Clone)]
struct Ready {
    /// The inputs with the history statistics of the days before the
    /// window (the facts' `demand_sigma`, `history_days`).
    inputs: Arc<ProductInputs>,
    /// The demand of each replayed day.
    demand: Vec<f64>,
    /// The window's first day for this product (later than the table's
    /// for a product whose history starts inside the window).
    first_day: NaiveDate,
    lead_days: usize,
    review_days: usize,
    unit_price: Option<f64>,
    currency: Option<Arc<str>>,
    current_stock: f64,
    class: Option<DemandClass>,
    abc: Option<Abc>,
    /// Safety stock summed over the inventory rows (kept as today).
    safety_stock: Option<f64>,
    location: Option<Arc<str>>,
}

/// One order the replay placed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayOrder {
    /// The day it was placed and the day it arrives (`YYYY-MM-DD`; past
    /// the window when it had not arrived by its end).
    pub day: String,
    pub arrives: String,
    #[serde(serialize_with = "plan::numbers::ser_qty")]
    pub qty: f64,
}

/// One product's replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductResult {
    pub product_id: Arc<str>,
    pub demand_class: Option<DemandClass>,
    pub abc: Option<Abc>,
    pub currency: Option<Arc<str>>,
    #[serde(serialize_with = "plan::numbers::ser_opt_money")]
    pub unit_price: plan::OptNum,
    /// Days replayed.
    pub days: u32,
    #[serde(serialize_with = "plan::numbers::ser_qty")]
    pub start_stock: f64,
    #[serde(serialize_with = "plan::numbers::ser_qty")]
    pub demand: f64,
    #[serde(serialize_with = "plan::numbers::ser_qty")]
    pub served: f64,
    /// served / demand; `None` without demand.
    pub fill_rate: Option<f64>,
    /// Stock on hand at the end of each day, averaged.
    #[serde(serialize_with = "plan::numbers::ser_qty")]
    pub avg_stock: f64,
    /// `avg_stock` x unit price; `None` without a price.
    #[serde(serialize_with = "plan::numbers::ser_opt_money")]
    pub avg_stock_value: plan::OptNum,
    /// Days with demand not served in full.
    pub stockout_days: u32,
    pub orders: Vec<ReplayOrder>,
    /// Review days on which the rules failed (RULE_ERROR: no order).
    pub rule_errors: u32,
    /// Review days decided by the rules (the others repeated an earlier
    /// day's facts and decision).
    pub rules_runs: u32,
}

/// A backtest of one set of rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// The rules' origin (file or embedded).
    pub rules: String,
    pub days: u32,
    pub start: Start,
    pub first_day: String,
    pub last_day: String,
    pub products: Vec<ProductResult>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub product_id: Arc<str>,
    pub reason: String,
}

/// Threads for a backtest: all cores but one (the screen's), at least one.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .saturating_sub(1)
        .max(1)
}

/// The forecast horizon of a product: L + R whole days, at least 1 (the
/// plan's, so that the replay's forecasts match the fingerprint the plan
/// checks).
pub use crate::plan::demand::horizon_days;

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Everything about the products that does not depend on the rules:
/// each product's window, its supplier's terms as today, and its forecast
/// from the history before the window (one `forecast::forecast` per
/// product, horizon L + R, stored in the plan context with the fingerprint
/// of that history so the plan takes it as current). Products without a
/// usable supplier, stock or pack today (BAD_DATA, NO_SUPPLIER,
/// UOM_INVALID) or without history are skipped, with the reason.
pub fn prepare(products: &[Product], days: u32, start: Start, threads: usize) -> Prepared {
    let days = days.max(1);
    let table_last = products
        .iter()
        .filter(|p| !p.series.qty.is_empty())
        .filter_map(|p| parse_day(&p.series.last_day()))
        .max();
    let Some(table_last) = table_last else {
        return Prepared {
            days,
            start,
            first_day: String::new(),
            last_day: String::new(),
            products: Vec::new(),
            skipped: products
                .iter()
                .map(|p| (Arc::clone(&p.inputs.product_id), "no daily history".into()))
                .collect(),
            ctx: PlanContext::default(),
        };
    };
    let window_first = table_last - Duration::days(i64::from(days) - 1);
    let before_window = window_first - Duration::days(1);
    let cut = day_text(before_window);
    let parts = run_parallel(products, threads, |part| {
        let empty = PlanContext::default();
        let rules = RuleSet::embedded();
        let mut planner = rules.engine();
        part.iter()
            .map(|p| ready(p, window_first, &cut, &empty, &mut planner))
            .collect::<Vec<_>>()
    });
    let mut ready_list = Vec::new();
    let mut skipped = Vec::new();
    let mut forecasts = HashMap::new();
    for r in parts.into_iter().flatten() {
        match r {
            Ok((r, f)) => {
                if let Some(f) = f {
                    forecasts.insert(r.inputs.product_id.to_string(), f);
                }
                ready_list.push(r);
            }
            Err(s) => skipped.push(s),
        }
    }
    rank_abc(&mut ready_list, &mut forecasts);
    Prepared {
        days,
        start,
        first_day: day_text(window_first),
        last_day: day_text(table_last),
        products: ready_list,
        skipped,
        ctx: PlanContext {
            forecasts: forecasts
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            history_last_day: Some(cut),
            ..Default::default()
        },
    }
}

type ReadyOr = Result<(Ready, Option<StoredForecast>), (Arc<str>, String)>;

/// One product's window and forecast.
fn ready(
    p: &Product,
    window_first: NaiveDate,
    cut: &str,
    empty: &PlanContext,
    planner: &mut plan::Planner,
) -> ReadyOr {
    let id = Arc::clone(&p.inputs.product_id);
    let skip = |why: String| Err((Arc::clone(&id), why));
    let Some(series_first) = parse_day(&p.series.first_day).filter(|_| !p.series.qty.is_empty())
    else {
        return skip("no daily history".into());
    };
    // Today's supplier terms, stock and pack, as the plan reads them (the
    // rules' decision does not matter here).
    let today = plan::plan_product(&p.inputs, empty, planner);
    let blocking: Vec<&str> = (today.exceptions.iter())
        .filter(|c| {
            matches!(
                c,
                ExceptionCode::BadData | ExceptionCode::NoSupplier | ExceptionCode::UomInvalid
            )
        })
        .map(|c| c.as_str())
        .collect();
    let (Some(lead), Some(review)) = (today.lead_time_days.get(), today.review_period_days.get())
    else {
        return skip(match blocking.is_empty() {
            true => "cannot be planned today: no usable supplier row".into(),
            false => format!("cannot be planned today: {}", blocking.join(", ")),
        });
    };
    if !blocking.is_empty() {
        return skip(format!("cannot be planned today: {}", blocking.join(", ")));
    }
    // The days before the window, and the window's days.
    let before = (window_first - series_first).num_days().max(0) as usize;
    let before = before.min(p.series.qty.len());
    let (history, window) = p.series.qty.split_at(before);
    if window.is_empty() {
        return skip("no history in the window".into());
    }
    let first_day = series_first + Duration::days(before as i64);
    let horizon = horizon_days(lead, review);
    let mut inputs = ProductInputs::clone(&p.inputs);
    inputs.history_table_exists = true;
    let mut stored = None;
    let mut class = None;
    if !history.is_empty() {
        let pre = DailySeries {
            first_day: p.series.first_day.clone(),
            qty: history.to_vec(),
        };
        let f = forecast::forecast(&pre, horizon, today.avg_daily_demand.get());
        class = Some(f.class);
        let n = history.len() as f64;
        let sum: f64 = history.iter().sum();
        let sum_sq: f64 = history.iter().map(|q| q * q).sum();
        let stats = HistoryStats {
            product_id: Arc::clone(&id),
            days: Num::Value(n),
            sum_qty: Num::Value(sum),
            sum_sq_qty: Num::Value(sum_sq),
            first_day: Some(p.series.first_day.as_str().into()),
            last_day: Some(cut.into()),
            last_sale_day: history
                .iter()
                .rposition(|q| *q > 0.0)
                .map(|i| day_text(series_first + Duration::days(i as i64)).into()),
        };
        let fingerprint =
            forecast::fingerprint(n, sum, sum_sq, &p.series.first_day, cut, cut, horizon);
        inputs.history = Some(Box::new(stats));
        stored = Some(StoredForecast {
            forecast: f,
            fingerprint,
            abc: None,
            abc_value: None,
            currency: today.currency.as_deref().map(str::to_string),
            computed_at: String::new(),
        });
    } else {
        inputs.history = None;
    }
    let safety: Vec<f64> = (p.inputs.inventory.iter())
        .filter_map(|r| r.safety_stock.as_ref().and_then(|n| n.value()))
        .collect();
    let ready = Ready {
        inputs: Arc::new(inputs),
        demand: window.iter().map(|q| q.max(0.0)).collect(),
        first_day,
        lead_days: lead.ceil().max(0.0) as usize,
        review_days: review.ceil().max(0.0) as usize,
        unit_price: today.unit_price.get(),
        currency: today.currency.clone(),
        current_stock: today.available_qty.unwrap_or(0.0),
        class,
        abc: None,
        safety_stock: (!safety.is_empty()).then(|| safety.iter().sum()),
        location: (p.inputs.inventory.first()).and_then(|r| r.warehouse_location.clone()),
    };
    Ok((ready, stored))
}

/// ABC classes by yearly consumption value before the window (the
/// forecast's yearly quantity x today's price), each currency ranked on
/// its own.
fn rank_abc(ready: &mut [Ready], forecasts: &mut HashMap<String, StoredForecast>) {
    let mut by_currency: HashMap<Option<Arc<str>>, Vec<usize>> = HashMap::new();
    for (i, r) in ready.iter().enumerate() {
        if forecasts.contains_key(&*r.inputs.product_id) && r.unit_price.is_some() {
            by_currency.entry(r.currency.clone()).or_default().push(i);
        }
    }
    for members in by_currency.values() {
        let values: Vec<f64> = (members.iter())
            .map(|&i| {
                let r = &ready[i];
                let f = &forecasts[&*r.inputs.product_id];
                f.forecast.yearly_qty * r.unit_price.unwrap_or(0.0)
            })
            .collect();
        for ((&i, class), value) in members
            .iter()
            .zip(forecast::abc_classes(&values))
            .zip(values)
        {
            ready[i].abc = Some(class);
            if let Some(f) = forecasts.get_mut(&*ready[i].inputs.product_id) {
                f.abc = Some(class);
                f.abc_value = Some(value);
            }
        }
    }
}

/// Runs `work` on up to `threads` parts of `items`, keeping their order.
fn run_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return vec![work(items)];
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a backtest thread panicked"))
            .collect()
    })
}

impl Prepared {
    /// Products ready to replay.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// The plan context the replay plans with (the forecasts from before
    /// the window).
    pub fn context(&self) -> &PlanContext {
        &self.ctx
    }

    /// Replays every product with `rules` on `threads` threads.
    pub fn run(&self, rules: &RuleSet, threads: usize) -> Backtest {
        self.run_unless_stopped(rules, threads, &AtomicBool::new(false))
            .expect("never stopped")
    }

    /// `run`, given up (`None`) as soon as `stop` is set: the editor stops
    /// a backtest whose answer is no longer wanted, so that two never
    /// share the cores and a quit does not wait for one.
    pub fn run_unless_stopped(
        &self,
        rules: &RuleSet,
        threads: usize,
        stop: &AtomicBool,
    ) -> Option<Backtest> {
        let parts = run_parallel(&self.products, threads, |part| {
            let mut planner = rules.engine();
            part.iter()
                .map(|r| {
                    (!stop.load(Ordering::Relaxed))
                        .then(|| replay(r, &self.ctx, self.start, &mut planner, true))
                })
                .collect::<Option<Vec<_>>>()
        });
        let products: Vec<ProductResult> = (parts.into_iter())
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let summary = Summary::of(&products);
        Some(Backtest {
            rules: rules.origin.clone(),
            days: self.days,
            start: self.start,
            first_day: self.first_day.clone(),
            last_day: self.last_day.clone(),
            products,
            skipped: (self.skipped.iter())
                .map(|(id, reason)| Skipped {
                    product_id: Arc::clone(id),
                    reason: reason.clone(),
                })
                .collect(),
            summary,
        })
    }
}

/// `prepare` then `run`: the backtest of one set of rules.
pub fn backtest(
    products: &[Product],
    rules: &RuleSet,
    days: u32,
    start: Start,
    threads: usize,
) -> Backtest {
    prepare(products, days, start, threads).run(rules, threads)
}

/// The rules' order for one morning's facts.
struct Decider<'a> {
    ready: &'a Ready,
    ctx: &'a PlanContext,
    planner: &'a mut plan::Planner,
    /// Decisions by (on hand, on order), exactly as the rules saw them.
    seen: HashMap<(u64, u64), (f64, bool)>,
    /// Off in a test that checks the skipped days change nothing.
    memo: bool,
    runs: u32,
}

impl Decider<'_> {
    /// The order quantity and whether the rules failed (RULE_ERROR: no
    /// order).
    fn decide(&mut self, on_hand: f64, on_order: f64) -> (f64, bool) {
        let key = (on_hand.to_bits(), on_order.to_bits());
        if let Some(&d) = self.seen.get(&key).filter(|_| self.memo) {
            return d;
        }
        self.runs += 1;
        let mut inputs = ProductInputs::clone(&self.ready.inputs);
        inputs.inventory = Box::new([InventoryRow {
            product_id: Arc::clone(&inputs.product_id),
            available_qty: Num::Value(on_hand),
            reserved_qty: Num::Value(0.0),
            warehouse_location: self.ready.location.clone(),
            on_order_qty: Some(Num::Value(on_order)),
            safety_stock: self.ready.safety_stock.map(Num::Value),
            updated_at: None,
        }]);
        let p = plan::plan_product(&Arc::new(inputs), self.ctx, self.planner);
        let failed = p.has(ExceptionCode::RuleError);
        let d = (if failed { 0.0 } else { p.order_qty }, failed);
        self.seen.insert(key, d);
        d
    }
}

/// Replays one product (the module's day, steps 1-3).
fn replay(
    ready: &Ready,
    ctx: &PlanContext,
    start: Start,
    planner: &mut plan::Planner,
    memo: bool,
) -> ProductResult {
    let mut decider = Decider {
        ready,
        ctx,
        planner,
        seen: HashMap::new(),
        memo,
        runs: 0,
    };
    let mut rule_errors = 0;
    let start_stock = match start {
        Start::Policy => {
            let (q, failed) = decider.decide(0.0, 0.0);
            rule_errors += u32::from(failed);
            q
        }
        Start::Current => ready.current_stock,
    };
    let day = |t: usize| day_text(ready.first_day + Duration::days(t as i64));
    let mut on_hand = start_stock;
    // (arrival day index, quantity), in order of arrival.
    let mut pipeline: Vec<(usize, f64)> = Vec::new();
    let (mut demand, mut served, mut stock_sum) = (0.0, 0.0, 0.0);
    let mut stockout_days = 0;
    let mut orders = Vec::new();
    for (t, &wanted) in ready.demand.iter().enumerate() {
        // 1. arrivals, in the morning
        pipeline.retain(|&(due, q)| {
            if due == t {
                on_hand += q;
            }
            due != t
        });
        // 2. the day's demand, served from stock; the rest is lost
        let out = wanted.min(on_hand.max(0.0));
        on_hand -= out;
        demand += wanted;
        served += out;
        if wanted - out > 1e-9 {
            stockout_days += 1;
        }
        // 3. the rules, at the end of a review day
        let review = ready.review_days == 0 || t % ready.review_days == 0;
        if review {
            let on_order: f64 = pipeline.iter().map(|(_, q)| q).sum();
            let (q, failed) = decider.decide(on_hand, on_order);
            rule_errors += u32::from(failed);
            if q > 0.0 {
                let due = t + ready.lead_days;
                orders.push(ReplayOrder {
                    day: day(t),
                    arrives: day(due),
                    qty: q,
                });
                if due == t {
                    on_hand += q;
                } else {
                    pipeline.push((due, q));
                }
            }
        }
        stock_sum += on_hand.max(0.0);
    }
    let days = ready.demand.len();
    let avg_stock = stock_sum / days as f64;
    ProductResult {
        product_id: Arc::clone(&ready.inputs.product_id),
        demand_class: ready.class,
        abc: ready.abc,
        currency: ready.currency.clone(),
        unit_price: ready.unit_price.into(),
        days: days as u32,
        start_stock,
        demand,
        served,
        fill_rate: (demand > 0.0).then(|| served / demand),
        avg_stock,
        avg_stock_value: ready.unit_price.map(|p| avg_stock * p).into(),
        stockout_days,
        orders,
        rule_errors,
        rules_runs: decider.runs,
    }
}

#[cfg(test)]
mod tests;

/// The rules in force and a draft replayed on the same products, the same
/// window and the same start (the editor's panel).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub in_force: Backtest,
    pub draft: Backtest,
}

impl Comparison {
    /// Both backtests from one preparation (the forecasts are computed
    /// once: they do not depend on the rules).
    pub fn run(prepared: &Prepared, in_force: &RuleSet, draft: &RuleSet, threads: usize) -> Self {
        Comparison {
            in_force: prepared.run(in_force, threads),
            draft: prepared.run(draft, threads),
        }
    }

    /// `run`, given up (`None`) as soon as `stop` is set.
    pub fn run_unless_stopped(
        prepared: &Prepared,
        in_force: &RuleSet,
        draft: &RuleSet,
        threads: usize,
        stop: &AtomicBool,
    ) -> Option<Self> {
        Some(Comparison {
            in_force: prepared.run_unless_stopped(in_force, threads, stop)?,
            draft: prepared.run_unless_stopped(draft, threads, stop)?,
        })
    }

    /// Each group of the in-force backtest beside the draft's of the same
    /// key: demand classes, ABC classes, then the total. (The classes do
    /// not depend on the rules: both sides hold the same groups.)
    pub fn rows(&self) -> Vec<(&Group, &Group)> {
        let (a, b) = (&self.in_force.summary, &self.draft.summary);
        let pair = |x: &'_ [Group], y: &'_ [Group]| -> Vec<(usize, usize)> {
            (x.iter().enumerate())
                .filter_map(|(i, g)| Some((i, y.iter().position(|h| h.key == g.key)?)))
                .collect()
        };
        let mut rows: Vec<(&Group, &Group)> = (pair(&a.by_class, &b.by_class).into_iter())
            .map(|(i, j)| (&a.by_class[i], &b.by_class[j]))
            .collect();
        rows.extend(
            (pair(&a.by_abc, &b.by_abc).into_iter()).map(|(i, j)| (&a.by_abc[i], &b.by_abc[j])),
        );
        rows.push((&a.total, &b.total));
        rows
    }
}
