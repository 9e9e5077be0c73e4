//! Forecasts computed off the hot path (DOMAIN.md section 5): which
//! products need one (the fingerprint of their history and horizon differs
//! from the stored one's), computing them in batches on every core at idle
//! priority (the screen's thread always wins its core), storing them,
//! ranking the ABC classes per currency; and the live task's part: a
//! forecaster task fed by each refresh, never running twice at once,
//! dropping stale work when a newer refresh arrives, giving way while a
//! refresh runs (`GiveWay`), and a re-plan of the products whose stored
//! forecast changed (at most about once a second, never when a refresh is
//! due: the refresh plans them). `buyerdesk forecast` runs the same steps
//! in the foreground (`forecast_products`).

use std::collections::{HashMap, HashSet};

use tokio::sync::watch;

use super::*;
use crate::forecast::{self, StoredForecast};
use crate::store::forecasts::AbcClass;

mod threads;
pub use threads::{
    forecast_threads, lower_priority, GiveWay, GiveWayHold, Priority, GIVE_WAY_AT_MOST,
};

/// The horizon of a product without a supplier (no lead time to add up).
pub const HORIZON_WITHOUT_SUPPLIER: u32 = 7;

/// Products whose series are read in one query and forecast as one batch.
pub const BATCH: usize = 500;

/// The least time between two re-plans for forecasts stored.
pub const REPLAN_EVERY: Duration = Duration::from_secs(1);

/// The horizon H = L + R days of the chosen supplier, rounded up, at least
/// 1 (`plan::demand::horizon_days`, the one the plan's fingerprint check
/// uses); `HORIZON_WITHOUT_SUPPLIER` without a lead time.
pub fn horizon_days(lead_time: Option<f64>, review_period: Option<f64>) -> u32 {
    match lead_time.filter(|l| l.is_finite() && *l >= 0.0) {
        None => HORIZON_WITHOUT_SUPPLIER,
        Some(l) => {
            let r = review_period.filter(|r| r.is_finite() && *r > 0.0);
            crate::plan::demand::horizon_days(l, r.unwrap_or(0.0))
        }
    }
}

/// What a product's forecast depends on besides its history, from its
/// latest plan: the horizon, the OMS average (a baseline candidate), and
/// the unit price and currency its ABC value is counted in.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    pub horizon: u32,
    pub oms_average: Option<f64>,
    pub unit_price: Option<f64>,
    pub currency: String,
}

/// A product's terms from its plan and inputs (`default_currency` for a
/// supplier that names none).
pub fn terms_of(plan: &ProductPlan, inputs: &ProductInputs, default_currency: &str) -> Terms {
    let supplier = plan.supplier_name.is_some() || plan.supplier_id.is_some();
    Terms {
        horizon: match supplier {
            true => horizon_days(plan.lead_time_days.get(), plan.review_period_days.get()),
            false => HORIZON_WITHOUT_SUPPLIER,
        },
        oms_average: inputs.oms.first().and_then(|r| r.avg_daily_demand.value()),
        unit_price: plan.unit_price.get(),
        currency: plan
            .currency
            .as_deref()
            .unwrap_or(default_currency)
            .to_string(),
    }
}

/// The last day of the whole history table: the latest of the products'
/// last days (`YYYY-MM-DD`).
pub fn history_last_day(inputs: &[Arc<ProductInputs>]) -> Option<String> {
    inputs
        .iter()
        .filter_map(|p| p.history.as_ref()?.last_day.as_ref())
        .max()
        .map(|d| d.to_string())
}

/// The fingerprint a product's stored forecast must carry to be current
/// (`forecast::fingerprint` of its history statistics); `None` without
/// a readable history.
pub fn fingerprint_of(h: &HistoryStats, table_last_day: &str, horizon: u32) -> Option<String> {
    let (rows, sum, sq) = (h.days.value()?, h.sum_qty.value()?, h.sum_sq_qty.value()?);
    if rows < 1.0 {
        return None;
    }
    Some(forecast::fingerprint(
        rows,
        sum,
        sq,
        h.first_day.as_deref()?,
        h.last_day.as_deref()?,
        table_last_day,
        horizon,
    ))
}

/// One product to forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub product_id: String,
    pub horizon: u32,
    pub fingerprint: String,
    pub oms_average: Option<f64>,
}

/// The products with a history whose stored forecast is missing or was
/// computed from another history or horizon (all of them with `force`),
/// in id order. Products without terms (not planned yet) are left for a
/// later refresh.
pub fn stale_products(
    inputs: &[Arc<ProductInputs>],
    terms: &HashMap<Arc<str>, Terms>,
    stored: &HashMap<String, Arc<StoredForecast>>,
    table_last_day: &str,
    force: bool,
) -> Vec<Job> {
    let mut memo = FingerprintMemo::default();
    stale_products_with(inputs, terms, stored, table_last_day, force, &mut memo)
}

/// `stale_products`, reusing the fingerprints `memo` computed before.
pub fn stale_products_with(
    inputs: &[Arc<ProductInputs>],
    terms: &HashMap<Arc<str>, Terms>,
    stored: &HashMap<String, Arc<StoredForecast>>,
    table_last_day: &str,
    force: bool,
    memo: &mut FingerprintMemo,
) -> Vec<Job> {
    memo.start(table_last_day);
    let jobs = inputs
        .iter()
        .filter_map(|p| {
            let t = terms.get(&p.product_id)?;
            let fingerprint = memo.of(p, t.horizon)?;
            let current = stored
                .get(&*p.product_id)
                .is_some_and(|s| s.fingerprint == fingerprint);
            (force || !current).then(|| Job {
                product_id: p.product_id.to_string(),
                horizon: t.horizon,
                fingerprint: fingerprint.to_string(),
                oms_average: t.oms_average,
            })
        })
        .collect();
    memo.finish();
    jobs
}

/// The fingerprints computed by the last `stale_products_with`, by
/// product, with the inputs (the same `Arc`) and horizon they came from:
/// the forecaster's work is checked after every refresh, over every
/// product, and hashing every history again took about 300 ms at 100,000
/// products (docs/BENCHMARKS.md, "Refresh with forecasts running"). An
/// unchanged product keeps its `Arc` from one snapshot to the next.
#[derive(Default)]
pub struct FingerprintMemo {
    table_last_day: String,
    pass: u64,
    seen: usize,
    by_product: HashMap<Arc<str>, Memo>,
}

struct Memo {
    inputs: Arc<ProductInputs>,
    horizon: u32,
    fingerprint: String,
    pass: u64,
}

impl FingerprintMemo {
    fn start(&mut self, table_last_day: &str) {
        if self.table_last_day != table_last_day {
            self.by_product.clear();
            self.table_last_day = table_last_day.to_string();
        }
        self.pass += 1;
        self.seen = 0;
    }

    /// The fingerprint of `p` at `horizon` over the day `start` was given:
    /// the remembered one where `p` is the same `Arc` at the same horizon,
    /// else computed (`None` without a history).
    fn of(&mut self, p: &Arc<ProductInputs>, horizon: u32) -> Option<&str> {
        use std::collections::hash_map::Entry;
        let fresh = || fingerprint_of(p.history.as_deref()?, &self.table_last_day, horizon);
        let m = match self.by_product.entry(Arc::clone(&p.product_id)) {
            Entry::Occupied(o) => {
                let m = o.into_mut();
                if !(Arc::ptr_eq(&m.inputs, p) && m.horizon == horizon) {
                    m.fingerprint = fresh()?;
                    m.inputs = Arc::clone(p);
                    m.horizon = horizon;
                }
                m
            }
            Entry::Vacant(v) => v.insert(Memo {
                fingerprint: fresh()?,
                inputs: Arc::clone(p),
                horizon,
                pass: 0,
            }),
        };
        m.pass = self.pass;
        self.seen += 1;
        Some(m.fingerprint.as_str())
    }

    /// Forgets the products this pass did not see (gone from the
    /// snapshot, or without a history now).
    fn finish(&mut self) {
        if self.by_product.len() > self.seen {
            let pass = self.pass;
            self.by_product.retain(|_, m| m.pass == pass);
        }
    }

    pub fn len(&self) -> usize {
        self.by_product.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_product.is_empty()
    }
}

/// Forecasts `series` (the batch's products that have one) on `threads`
/// threads, each scheduled at `priority`, each product started only while
/// no refresh holds `give_way`. Forecasts whose figures are not numbers
/// are left out, logged.
pub fn compute_batch(
    jobs: &[Job],
    series: &HashMap<String, forecast::DailySeries>,
    threads: usize,
    priority: Priority,
    give_way: &GiveWay,
) -> Vec<(String, StoredForecast)> {
    let computed_at = crate::store::forecasts::computed_now();
    let one = |job: &Job| -> Option<(String, StoredForecast)> {
        let s = series.get(&job.product_id)?;
        give_way.wait();
        let f = forecast::forecast(s, job.horizon, job.oms_average);
        if !(f.forecast_daily.is_finite()
            && f.sigma_horizon.is_finite()
            && f.yearly_qty.is_finite())
        {
            tracing::warn!(product = %job.product_id, "forecast not stored: a figure is not a number");
            return None;
        }
        Some((
            job.product_id.clone(),
            StoredForecast {
                forecast: f,
                fingerprint: job.fingerprint.clone(),
                abc: None,
                abc_value: None,
                currency: None,
                computed_at: computed_at.clone(),
            },
        ))
    };
    let threads = threads.clamp(1, jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    lower_priority(priority);
                    part.iter().filter_map(one).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a forecast thread panicked"))
            .collect()
    })
}

/// The ABC classes of every product with a stored forecast, ranked per
/// currency by yearly_qty x unit price (`terms` where the product was
/// planned, else the value and currency it was last ranked with): the
/// ones that differ from what is stored.
pub fn abc_changes(
    stored: &HashMap<String, Arc<StoredForecast>>,
    terms: &HashMap<Arc<str>, Terms>,
) -> Vec<AbcClass> {
    let mut by_currency: HashMap<String, Vec<(&String, f64)>> = HashMap::new();
    for (id, s) in stored {
        let (value, currency) = match terms.get(id.as_str()) {
            Some(t) => (
                t.unit_price.map(|p| s.forecast.yearly_qty * p),
                Some(t.currency.clone()),
            ),
            None => (s.abc_value, s.currency.clone()),
        };
        let Some(currency) = currency else { continue };
        let value = value.filter(|v| v.is_finite()).unwrap_or(0.0);
        by_currency.entry(currency).or_default().push((id, value));
    }
    let mut out = Vec::new();
    for (currency, mut products) in by_currency {
        products.sort_by(|a, b| a.0.cmp(b.0));
        let values: Vec<f64> = products.iter().map(|p| p.1).collect();
        let classes = forecast::abc_classes(&values);
        for ((id, value), abc) in products.into_iter().zip(classes) {
            let s = &stored[id];
            let class = AbcClass {
                product_id: id.clone(),
                abc: Some(abc),
                value: Some(value),
                currency: Some(currency.clone()),
            };
            // A value read back from the database may have lost its last
            // digits: a difference that small is no change.
            let same_value = match (s.abc_value, class.value) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
                (a, b) => a == b,
            };
            if s.abc != class.abc || !same_value || s.currency != class.currency {
                out.push(class);
            }
        }
    }
    out.sort_by(|a, b| a.product_id.cmp(&b.product_id));
    out
}

/// How far a forecasting run is.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastProgress {
    pub computed: usize,
    pub total: usize,
    pub done: bool,
    /// Why the run stopped, when it failed.
    pub error: Option<String>,
}

impl ForecastProgress {
    /// "forecasts: 1,240 of 2,000 computed".
    pub fn line(&self) -> String {
        let n = |v: usize| crate::plan::numbers::fmt_qty_short(v as f64);
        match &self.error {
            Some(e) => format!(
                "forecasts: stopped after {} of {}: {}",
                n(self.computed),
                n(self.total),
                crate::text::printable(e)
            ),
            None if self.done => format!("forecasts: {} computed", n(self.computed)),
            None => format!(
                "forecasts: {} of {} computed",
                n(self.computed),
                n(self.total)
            ),
        }
    }
}

/// The threads a forecasting run computes on, how they are scheduled, and
/// the refresh they give way to (`GiveWay::default()`, never held, in the
/// foreground).
pub struct RunOn {
    pub threads: usize,
    pub priority: Priority,
    pub give_way: GiveWay,
}

/// Forecasts `jobs` batch by batch: reads their series (`BATCH` products a
/// query), computes, stores each batch in one transaction, and hands each
/// stored batch to `stored`. Stops before a batch when `stop` says so
/// (newer work came); returns how many were stored.
pub async fn run_jobs(
    store: &Store,
    oms: &oms::OmsSource,
    table_last_day: &str,
    jobs: &[Job],
    on: &RunOn,
    stop: impl Fn() -> bool,
    mut stored: impl FnMut(Vec<(String, StoredForecast)>, usize),
) -> Result<usize> {
    let (threads, priority, give_way) = (on.threads, on.priority, &on.give_way);
    let mut done = 0;
    for batch in jobs.chunks(BATCH) {
        give_way.wait_async().await;
        if stop() {
            break;
        }
        let ids: Vec<String> = batch.iter().map(|j| j.product_id.clone()).collect();
        let series = oms
            .load_series(Some(&ids), table_last_day)
            .await?
            .map(|h| {
                if h.skipped > 0 {
                    tracing::warn!(
                        skipped = h.skipped,
                        "daily history rows not read: {}",
                        crate::text::printable(h.first_skipped.as_deref().unwrap_or_default())
                    );
                }
                h.series
                    .into_iter()
                    .map(|(id, s)| (id.to_string(), s))
                    .collect::<HashMap<_, _>>()
            })
            .unwrap_or_default();
        let batch = batch.to_vec();
        let pause = give_way.clone();
        let computed = tokio::task::spawn_blocking(move || {
            compute_batch(&batch, &series, threads, priority, &pause)
        })
        .await?;
        give_way.wait_async().await;
        store.save_forecasts(&computed).await?;
        done += computed.len();
        stored(computed, done);
    }
    Ok(done)
}

/// The stored forecasts shared by the refresh task and the forecaster,
/// with the products whose forecast changed since they were last planned.
#[derive(Debug, Default)]
pub struct SharedForecasts {
    pub by_product: HashMap<String, Arc<StoredForecast>>,
    pub changed: HashSet<String>,
    /// Read from the purchasing database once.
    pub loaded: bool,
    /// The last run failed: the next refresh hands its work over again.
    pub failed: bool,
}

impl SharedForecasts {
    fn put(&mut self, id: String, f: StoredForecast) {
        self.changed.insert(id.clone());
        self.by_product.insert(id, Arc::new(f));
    }
}

/// What the refresh hands the forecaster: the products to forecast (and,
/// for the ABC ranking, every planned product's terms).
pub struct ForecastWork {
    pub oms: oms::OmsSource,
    pub table_last_day: String,
    pub jobs: Vec<Job>,
    pub terms: Arc<HashMap<Arc<str>, Terms>>,
}

/// Whether the live task forecasts in the background
/// (`BUYERDESK_NO_BACKGROUND_FORECASTS=1`: never, for benchmarks).
pub fn background_forecasts_on() -> bool {
    std::env::var("BUYERDESK_NO_BACKGROUND_FORECASTS").as_deref() != Ok("1")
}

/// Starts the forecaster: it waits for work, runs it (one run at a time;
/// newer work replaces what is left of the running one between batches),
/// signals `stored` after each stored batch and reports its progress as
/// `LiveEvent::Forecasts`, giving way while a refresh holds `give_way`.
/// It ends when the sender is dropped. (Public for the test that hands it
/// newer work in the middle of a run.)
#[doc(hidden)]
pub fn spawn_forecaster(
    store: Store,
    shared: Arc<Mutex<SharedForecasts>>,
    give_way: GiveWay,
    events: mpsc::UnboundedSender<LiveEvent>,
    stored: mpsc::UnboundedSender<()>,
) -> watch::Sender<Option<Arc<ForecastWork>>> {
    let (tx, mut rx) = watch::channel::<Option<Arc<ForecastWork>>>(None);
    let on = RunOn {
        threads: forecast_threads(),
        priority: Priority::Idle,
        give_way,
    };
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let Some(work) = rx.borrow_and_update().clone() else {
                continue;
            };
            // What a run before this one stored already is not done again.
            let jobs: Vec<Job> = {
                let s = shared.lock().expect("not poisoned");
                (work.jobs.iter())
                    .filter(|j| {
                        s.by_product
                            .get(&j.product_id)
                            .is_none_or(|f| f.fingerprint != j.fingerprint)
                    })
                    .cloned()
                    .collect()
            };
            let total = jobs.len();
            let progress = |computed: usize, done: bool, error: Option<String>| {
                let _ = events.send(LiveEvent::Forecasts(ForecastProgress {
                    computed,
                    total,
                    done,
                    error,
                }));
            };
            if total > 0 {
                progress(0, false, None);
            }
            let started = Instant::now();
            let result = run_jobs(
                &store,
                &work.oms,
                &work.table_last_day,
                &jobs,
                &on,
                || rx.has_changed().unwrap_or(true),
                |batch, done| {
                    let mut s = shared.lock().expect("not poisoned");
                    for (id, f) in batch {
                        s.put(id, f);
                    }
                    drop(s);
                    let _ = stored.send(());
                    progress(done, false, None);
                },
            )
            .await;
            let computed = match result {
                Ok(n) => n,
                Err(e) if rx.has_changed().is_err() => {
                    // The screen has quit: its runtime cancels the reads
                    // in flight, which is no failure of the forecasts.
                    tracing::info!("forecasts: stopped at quit ({e:#})");
                    break;
                }
                Err(e) => {
                    tracing::warn!("forecasts: {e:#}");
                    shared.lock().expect("not poisoned").failed = true;
                    progress(0, true, Some(format!("{e:#}")));
                    continue;
                }
            };
            if rx.has_changed().unwrap_or(true) {
                tracing::info!(computed, "forecasts: newer work arrived, the rest dropped");
                continue;
            }
            // ABC classes across every product with a forecast.
            let changes = {
                let s = shared.lock().expect("not poisoned");
                abc_changes(&s.by_product, &work.terms)
            };
            if !changes.is_empty() {
                if let Err(e) = store.set_abc_classes(&changes).await {
                    tracing::warn!("forecasts: ABC classes not stored: {e:#}");
                } else {
                    apply_abc(&mut shared.lock().expect("not poisoned"), &changes);
                    let _ = stored.send(());
                }
            }
            tracing::info!(
                computed,
                abc_changed = changes.len(),
                ms = started.elapsed().as_millis() as u64,
                "forecasts stored"
            );
            if total > 0 {
                progress(computed, true, None);
            }
        }
    });
    tx
}

/// Puts ABC classes into the shared forecasts (the stored rows were
/// updated).
pub fn apply_abc(shared: &mut SharedForecasts, changes: &[AbcClass]) {
    for c in changes {
        if let Some(old) = shared.by_product.get(&c.product_id) {
            let mut f = StoredForecast::clone(old);
            f.abc = c.abc;
            f.abc_value = c.value;
            f.currency = c.currency.clone();
            shared.put(c.product_id.clone(), f);
        }
    }
}

/// The refresh task's part of forecasting.
#[derive(Default)]
pub(super) struct WorkerForecasts {
    pub(super) shared: Arc<Mutex<SharedForecasts>>,
    /// The forecaster's input (`None`: no background forecasts).
    pub(super) work: Option<watch::Sender<Option<Arc<ForecastWork>>>>,
    /// Each planned product's terms, from its latest plan.
    pub(super) terms: Arc<HashMap<Arc<str>, Terms>>,
    /// `terms` changed since work was last handed over (ABC to rank).
    pub(super) terms_changed: bool,
    /// The last snapshot's history table's last day.
    pub(super) history_last_day: Option<String>,
    /// The fingerprints of the last check for stale forecasts.
    pub(super) fingerprints: FingerprintMemo,
    /// Held by a refresh while it runs; the forecaster gives way. Kept
    /// here, not in `shared`, so that a refresh does not wait for the
    /// lock the forecaster holds while it stores a batch or ranks ABC.
    pub(super) give_way: GiveWay,
}

/// Whether plans by `rules` change with the stored forecasts: the rules
/// read one of their facts.
pub fn reads_forecasts(rules: &RuleSet) -> bool {
    crate::plan::facts::FORECAST_FIELDS
        .iter()
        .any(|f| rules.uses_field(f))
}

/// Adds the index in `inputs` (sorted by id) of each of `ids` to `changed`,
/// kept sorted and without repeats.
pub(super) fn mark_changed(
    inputs: &[Arc<ProductInputs>],
    changed: &mut Vec<usize>,
    ids: impl IntoIterator<Item = impl AsRef<str>>,
) {
    let before = changed.len();
    for id in ids {
        if let Ok(i) = inputs.binary_search_by(|p| (*p.product_id).cmp(id.as_ref())) {
            changed.push(i);
        }
    }
    if changed.len() != before {
        changed.sort_unstable();
        changed.dedup();
    }
}

impl Worker {
    /// Reads the stored forecasts once the purchasing database answered.
    pub(super) async fn load_stored_forecasts(&self) {
        if !self.purchasing_loaded || self.forecasting.shared.lock().expect("not poisoned").loaded {
            return;
        }
        match self.store.forecasts().await {
            Ok(stored) => {
                let mut s = self.forecasting.shared.lock().expect("not poisoned");
                s.changed.extend(stored.keys().cloned());
                s.by_product.extend(stored);
                s.loaded = true;
            }
            Err(e) => tracing::warn!("stored forecasts not read (read again next refresh): {e:#}"),
        }
    }

    /// Puts the stored forecasts into a plan context; the products whose
    /// forecast changed since they were last planned.
    /// (None when the rules in force read no forecast fact: their plans
    /// do not change with the forecasts.)
    pub(super) fn forecast_context(&mut self, ctx: &mut PlanContext) -> Vec<String> {
        self.with_forecasts(ctx);
        let mut s = self.forecasting.shared.lock().expect("not poisoned");
        let changed = s.changed.drain();
        match reads_forecasts(&self.rules) {
            true => changed.collect(),
            false => Vec::new(),
        }
    }

    /// Puts the stored forecasts and the history's last day into a plan
    /// context (a dry run, the guard).
    pub(super) fn with_forecasts(&self, ctx: &mut PlanContext) {
        let s = self.forecasting.shared.lock().expect("not poisoned");
        ctx.forecasts = s.by_product.clone();
        ctx.history_last_day = self.forecasting.history_last_day.clone();
    }

    /// After a refresh's plans: each planned product's terms and the
    /// history's last day (`start_forecasts` hands the work over).
    pub(super) fn after_plans(
        &mut self,
        plans: &[ProductPlan],
        changed: &[usize],
        removed: &[String],
        full: bool,
    ) {
        let currency = crate::orders::OrdersConfig::currency_of(&self.config.file);
        // The terms that changed, found before the map is touched: the
        // running forecaster shares it, and a refresh whose plans kept
        // their terms (the usual one) must not copy 100,000 entries.
        let mut new_terms = Vec::new();
        for (k, plan) in plans.iter().enumerate() {
            let i = if full { k } else { changed[k] };
            let Some(inputs) = self.inputs.get(i) else {
                continue;
            };
            let new = terms_of(plan, inputs, &currency);
            if full || self.forecasting.terms.get(&inputs.product_id) != Some(&new) {
                new_terms.push((Arc::clone(&inputs.product_id), new));
            }
        }
        let gone = |id: &String| self.forecasting.terms.contains_key(id.as_str());
        if full || !new_terms.is_empty() || removed.iter().any(gone) {
            let terms = Arc::make_mut(&mut self.forecasting.terms);
            if full {
                terms.clear();
            }
            for id in removed {
                terms.remove(id.as_str());
            }
            terms.extend(new_terms);
            self.forecasting.terms_changed = true;
        }
        self.forecasting.history_last_day = history_last_day(&self.inputs);
    }

    /// Hands the products whose forecast is missing or stale to the
    /// forecaster (also when none is but the ABC classes need ranking).
    /// It fingerprints every product's history: a refresh calls it after
    /// it sent its plans to the screen.
    pub(super) fn start_forecasts(&mut self) {
        let f = &mut self.forecasting;
        let (Some(work), Some(last_day)) = (&f.work, &f.history_last_day) else {
            return;
        };
        let Some(oms) = self.oms.source.clone() else {
            return;
        };
        let jobs = {
            let mut s = f.shared.lock().expect("not poisoned");
            if !s.loaded {
                return;
            }
            let jobs = stale_products_with(
                &self.inputs,
                &f.terms,
                &s.by_product,
                last_day,
                false,
                &mut f.fingerprints,
            );
            (jobs, std::mem::take(&mut s.failed))
        };
        let (jobs, failed) = jobs;
        if jobs.is_empty() && !f.terms_changed {
            return;
        }
        // The same work as the running one: it goes on undisturbed.
        if let Some(last) = work.borrow().as_ref() {
            let pending: HashSet<(&str, &str)> = (last.jobs.iter())
                .map(|j| (j.product_id.as_str(), j.fingerprint.as_str()))
                .collect();
            let same = (jobs.iter())
                .all(|j| pending.contains(&(j.product_id.as_str(), j.fingerprint.as_str())));
            if same && !failed && !f.terms_changed && last.table_last_day == *last_day {
                return;
            }
        }
        f.terms_changed = false;
        let _ = work.send(Some(Arc::new(ForecastWork {
            oms,
            table_last_day: last_day.clone(),
            jobs,
            terms: Arc::clone(&f.terms),
        })));
    }

    /// Plans again the products whose stored forecast changed since they
    /// were planned (the forecaster stored a batch), between refreshes.
    pub(super) async fn replan_forecasts(&mut self, events: &mpsc::UnboundedSender<LiveEvent>) {
        if !self.planned {
            return;
        }
        // The snapshot's data is the last refresh's: so is this update
        // (the screen compares what it saved since with this time).
        let started = self.planned_started;
        let clock = Instant::now();
        let mut ctx = PlanContext {
            overrides: self.planned_overrides.clone(),
            stale_sources: self.stale.clone(),
            ..Default::default()
        };
        set_open_pos(&mut ctx, self.planned_open_pos.clone());
        let ids = self.forecast_context(&mut ctx);
        let mut changed = Vec::new();
        mark_changed(&self.inputs, &mut changed, &ids);
        if changed.is_empty() {
            return;
        }
        let inputs = self.inputs.clone();
        let rules = self.rules.clone();
        let old_names = std::mem::take(&mut self.names);
        let planned = tokio::task::spawn_blocking(move || {
            let to_plan: Vec<Arc<ProductInputs>> =
                changed.iter().map(|&i| Arc::clone(&inputs[i])).collect();
            let plans = plan::plan_all_on(&to_plan, &ctx, &rules, background_threads());
            let names = merge_names(&inputs, old_names, &inputs, &changed, &plans);
            (changed, plans, names)
        })
        .await;
        let Ok((changed, plans, names)) = planned else {
            tracing::error!("planning for the forecasts failed");
            return;
        };
        let ranks = match names {
            Some((names, moved)) => {
                if moved || self.ranks.is_none() {
                    self.ranks = Some(Arc::new(TextRanks::of_names(&names)));
                }
                self.names = names;
                self.ranks.clone()
            }
            None => None,
        };
        self.after_plans(&plans, &changed, &[], false);
        tracing::info!(
            products = plans.len(),
            plan_ms = clock.elapsed().as_millis() as u64,
            "planned again with new forecasts"
        );
        let _ = events.send(LiveEvent::Plans(PlanUpdate {
            started,
            full: false,
            changed: plans.len(),
            plans,
            removed: Vec::new(),
            load: Duration::ZERO,
            planning: clock.elapsed(),
            ranks,
        }));
    }
}

/// `ctx` with the history's last day (`None`: `ctx` has it, or there is
/// no history): of the loaded products when all were loaded, else asked
/// of the database.
pub async fn with_last_day(
    sources: &crate::sources::Sources,
    ctx: &PlanContext,
    inputs: &[Arc<ProductInputs>],
    all_loaded: bool,
) -> Result<Option<PlanContext>> {
    if ctx.history_last_day.is_some() || !inputs.iter().any(|p| p.history_table_exists) {
        return Ok(None);
    }
    let day = match all_loaded {
        true => history_last_day(inputs),
        false => sources.oms.history_last_day(None).await?,
    };
    Ok(day.map(|d| PlanContext {
        history_last_day: Some(d),
        ..ctx.clone()
    }))
}

/// `buyerdesk forecast`: every product (or the ones named; an id no source
/// knows is an error naming it) planned with `rules` for its horizon and
/// prices, its forecast computed again from its history (on every core:
/// the command runs in the foreground), stored, and the ABC classes
/// ranked again per currency. Each product in id order, with its stored
/// forecast (`None`: no daily history). `progress` hears (stored, total).
pub async fn forecast_products(
    config: &Config,
    store: &Store,
    sources: &crate::sources::Sources,
    rules: &RuleSet,
    ids: &[String],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<(String, Option<Arc<StoredForecast>>)>> {
    let filter = super::load::product_filter(ids)?;
    let filtered = !filter.is_empty();
    let rows = sources
        .load(filtered.then_some(filter.as_slice()), true)
        .await?;
    let inputs = plan::join(rows);
    super::load::refuse_unknown(&filter, &inputs)?;
    let ctx = plan_context(store).await?;
    let plans = tokio::task::block_in_place(|| plan::plan_all(&inputs, &ctx, rules));
    let currency = crate::orders::OrdersConfig::currency_of(&config.file);
    let terms: HashMap<Arc<str>, Terms> = (inputs.iter().zip(&plans))
        .map(|(i, p)| (Arc::clone(&i.product_id), terms_of(p, i, &currency)))
        .collect();
    let last_day = match filtered {
        false => history_last_day(&inputs),
        true => sources.oms.history_last_day(None).await?,
    };
    if let Some(last_day) = &last_day {
        let jobs = stale_products(&inputs, &terms, &HashMap::new(), last_day, true);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let total = jobs.len();
        progress(0, total);
        let stored = run_jobs(
            store,
            &sources.oms,
            last_day,
            &jobs,
            &RunOn {
                threads,
                priority: Priority::Low,
                give_way: GiveWay::default(),
            },
            || false,
            |_, done| progress(done, total),
        )
        .await?;
        tracing::info!(stored, "forecasts computed by `buyerdesk forecast`");
    }
    let mut all = store.forecasts().await?;
    let changes = abc_changes(&all, &terms);
    store.set_abc_classes(&changes).await?;
    let mut shared = SharedForecasts {
        by_product: std::mem::take(&mut all),
        ..Default::default()
    };
    apply_abc(&mut shared, &changes);
    Ok(inputs
        .iter()
        .map(|p| {
            let id = p.product_id.to_string();
            let f = p
                .history
                .is_some()
                .then(|| shared.by_product.get(&id).cloned())
                .flatten();
            (id, f)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{Abc, DailySeries, Forecast};
    use crate::plan::Num;

    #[test]
    fn horizon_is_lead_time_plus_review_rounded_up() {
        assert_eq!(horizon_days(Some(7.0), None), 7);
        assert_eq!(horizon_days(Some(7.0), Some(3.5)), 11);
        // Float noise does not add a day.
        assert_eq!(horizon_days(Some(7.000_000_000_1), None), 7);
        assert_eq!(horizon_days(Some(0.0), Some(0.0)), 1, "at least a day");
        assert_eq!(horizon_days(None, Some(5.0)), HORIZON_WITHOUT_SUPPLIER);
        assert_eq!(horizon_days(Some(f64::NAN), None), HORIZON_WITHOUT_SUPPLIER);
    }

    fn product(id: &str, sum: f64, last_day: &str) -> Arc<ProductInputs> {
        Arc::new(ProductInputs {
            product_id: id.into(),
            history: Some(Box::new(HistoryStats {
                product_id: id.into(),
                days: Num::Value(10.0),
                sum_qty: Num::Value(sum),
                sum_sq_qty: Num::Value(sum * 3.0),
                first_day: Some("2026-01-01".into()),
                last_day: Some(last_day.into()),
                last_sale_day: Some(last_day.into()),
            })),
            history_table_exists: true,
            ..Default::default()
        })
    }

    fn terms(horizon: u32, price: f64, currency: &str) -> Terms {
        Terms {
            horizon,
            oms_average: None,
            unit_price: Some(price),
            currency: currency.into(),
        }
    }

    fn stored(fingerprint: &str, yearly_qty: f64) -> Arc<StoredForecast> {
        let f = forecast::forecast(
            &DailySeries {
                first_day: "2026-01-01".into(),
                qty: vec![1.0; 70],
            },
            7,
            None,
        );
        Arc::new(StoredForecast {
            forecast: Forecast { yearly_qty, ..f },
            fingerprint: fingerprint.into(),
            abc: None,
            abc_value: None,
            currency: None,
            computed_at: String::new(),
        })
    }

    #[test]
    fn only_products_whose_fingerprint_differs_are_stale() {
        let inputs = vec![
            product("A", 5.0, "2026-01-10"),
            product("B", 6.0, "2026-01-10"),
            product("C", 7.0, "2026-01-09"),
        ];
        let mut t: HashMap<Arc<str>, Terms> = HashMap::new();
        for id in ["A", "B", "C"] {
            t.insert(id.into(), terms(7, 1.0, "USD"));
        }
        let last = history_last_day(&inputs).unwrap();
        assert_eq!(last, "2026-01-10");
        let all = stale_products(&inputs, &t, &HashMap::new(), &last, false);
        assert_eq!(all.len(), 3, "none stored: all stale");
        let stored_now: HashMap<String, Arc<StoredForecast>> = all
            .iter()
            .map(|j| (j.product_id.clone(), stored(&j.fingerprint, 1.0)))
            .collect();
        assert!(stale_products(&inputs, &t, &stored_now, &last, false).is_empty());
        assert_eq!(
            stale_products(&inputs, &t, &stored_now, &last, true).len(),
            3,
            "forced"
        );
        // B's history and C's horizon change; the table's last day too.
        let changed = vec![
            product("A", 5.0, "2026-01-10"),
            product("B", 6.5, "2026-01-10"),
            product("C", 7.0, "2026-01-09"),
        ];
        t.insert("C".into(), terms(9, 1.0, "USD"));
        let ids: Vec<String> = stale_products(&changed, &t, &stored_now, &last, false)
            .into_iter()
            .map(|j| j.product_id)
            .collect();
        assert_eq!(ids, vec!["B", "C"]);
        assert_eq!(
            stale_products(&changed, &t, &stored_now, "2026-01-11", false).len(),
            3,
            "a new day in the table changes every fingerprint"
        );
        // A product not planned yet (no terms) waits.
        t.remove("A");
        assert!(!stale_products(&changed, &t, &HashMap::new(), &last, false)
            .iter()
            .any(|j| j.product_id == "A"));
    }

    /// The memo that spares hashing every history after every refresh
    /// gives what fingerprinting afresh gives, pass after pass: an
    /// unchanged product (the same `Arc`) is taken from it, a new `Arc`, a
    /// new horizon or a new day in the table is fingerprinted again, and a
    /// product gone from the snapshot is forgotten.
    #[test]
    fn remembered_fingerprints_are_the_fresh_ones() {
        let a = product("A", 5.0, "2026-01-10");
        let mut inputs = vec![
            Arc::clone(&a),
            product("B", 6.0, "2026-01-10"),
            product("C", 7.0, "2026-01-09"),
        ];
        let mut t: HashMap<Arc<str>, Terms> = HashMap::new();
        for id in ["A", "B", "C"] {
            t.insert(id.into(), terms(7, 1.0, "USD"));
        }
        let mut memo = FingerprintMemo::default();
        let mut stored_now: HashMap<String, Arc<StoredForecast>> = HashMap::new();
        let check = |inputs: &[Arc<ProductInputs>],
                     t: &HashMap<Arc<str>, Terms>,
                     stored_now: &HashMap<String, Arc<StoredForecast>>,
                     last: &str,
                     memo: &mut FingerprintMemo| {
            for force in [true, false] {
                let fresh = stale_products(inputs, t, stored_now, last, force);
                let remembered = stale_products_with(inputs, t, stored_now, last, force, memo);
                assert_eq!(remembered, fresh, "force {force}, last day {last}");
            }
            stale_products(inputs, t, &HashMap::new(), last, true)
        };
        let all = check(&inputs, &t, &stored_now, "2026-01-10", &mut memo);
        assert_eq!(all.len(), 3);
        for j in &all {
            stored_now.insert(j.product_id.clone(), stored(&j.fingerprint, 1.0));
        }
        assert_eq!(memo.len(), 3);
        // B's history changes (a new Arc), C's horizon; A stays the same Arc.
        inputs[1] = product("B", 6.5, "2026-01-10");
        t.insert("C".into(), terms(9, 1.0, "USD"));
        check(&inputs, &t, &stored_now, "2026-01-10", &mut memo);
        let stale = stale_products_with(&inputs, &t, &stored_now, "2026-01-10", false, &mut memo);
        let ids: Vec<&str> = stale.iter().map(|j| j.product_id.as_str()).collect();
        assert_eq!(ids, vec!["B", "C"]);
        // A new day in the table, then C gone from the snapshot.
        check(&inputs, &t, &stored_now, "2026-01-11", &mut memo);
        inputs.remove(2);
        check(&inputs, &t, &stored_now, "2026-01-11", &mut memo);
        assert_eq!(memo.len(), 2, "C forgotten");
        assert!(Arc::ptr_eq(&inputs[0], &a));
    }

    #[test]
    fn abc_is_ranked_per_currency() {
        // USD: 90 and 10 (A, B... the second starts at 90%: B); EUR: one
        // product, alone at the top of its currency: A, though its value
        // is the smallest of all.
        let mut by: HashMap<String, Arc<StoredForecast>> = HashMap::new();
        by.insert("U1".into(), stored("f", 90.0));
        by.insert("U2".into(), stored("f", 10.0));
        by.insert("E1".into(), stored("f", 1.0));
        let mut t: HashMap<Arc<str>, Terms> = HashMap::new();
        t.insert("U1".into(), terms(7, 1.0, "USD"));
        t.insert("U2".into(), terms(7, 1.0, "USD"));
        t.insert("E1".into(), terms(7, 2.0, "EUR"));
        let changes = abc_changes(&by, &t);
        type Row<'a> = (&'a str, Option<Abc>, Option<f64>, Option<&'a str>);
        let got: Vec<Row> = changes
            .iter()
            .map(|c| (c.product_id.as_str(), c.abc, c.value, c.currency.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("E1", Some(Abc::A), Some(2.0), Some("EUR")),
                ("U1", Some(Abc::A), Some(90.0), Some("USD")),
                ("U2", Some(Abc::B), Some(10.0), Some("USD")),
            ]
        );
        // Applied, nothing changes any more.
        let mut shared = SharedForecasts {
            by_product: by,
            ..Default::default()
        };
        apply_abc(&mut shared, &changes);
        assert_eq!(shared.changed.len(), 3);
        assert!(abc_changes(&shared.by_product, &t).is_empty());
    }

    #[test]
    fn progress_line() {
        let p = ForecastProgress {
            computed: 1240,
            total: 2000,
            done: false,
            error: None,
        };
        assert_eq!(p.line(), "forecasts: 1,240 of 2,000 computed");
    }

    #[test]
    fn changed_ids_become_sorted_indexes() {
        let inputs = vec![
            product("A", 1.0, "d"),
            product("B", 1.0, "d"),
            product("C", 1.0, "d"),
        ];
        let mut changed = vec![1];
        mark_changed(&inputs, &mut changed, ["C", "A", "B", "Z"]);
        assert_eq!(changed, vec![0, 1, 2]);
    }
}
