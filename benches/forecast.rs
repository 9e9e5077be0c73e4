//! Issue 21: forecasting speed, and accuracy and speed beside statsforecast.
//!
//!     cargo bench --bench forecast                       # both sets: speed + peer
//!     cargo bench --bench forecast -- --series 100000 --single 500 --no-peer
//!     cargo bench --bench forecast -- --peer-cache       # reuse the peer's forecasts
//!     cargo bench --bench forecast -- --sets demo --no-speed --peer-cache
//!
//! Two sets of series (`--sets synthetic,demo`, both by default):
//! - synthetic: `forecast::synthetic::mix(--series, 730, 21)`, processes
//!   known (level, trend, weekly and yearly season, intermittent, lumpy,
//!   promotions, new products of 3 to 7 weeks, stopped products); the OMS
//!   average handed over is the mean of the last 90 days.
//! - demo: the embedded demo's 2,000 products (`demo::generate(2000, 42)`),
//!   each product's history as the app reads it (`demo::history_for`:
//!   from the first sale to the demo's today) and the OMS average from the
//!   demo's `oms_history` as the sources hand it over.
//!
//! Speed (unless `--no-speed`): every series of each set forecast over the
//! horizon (default 14 days = L + R) with its method choice and backtests,
//! on 2 threads (both cores of the machine); the synthetic set also on 1
//! thread over its first `--single` series (default 2,000); series/s, CPU
//! time (getrusage) and the time projected for 100,000.
//!
//! Peer (unless `--no-peer`): the last 8 weeks of each series long enough
//! are held out; buyerdesk forecasts them from the rest (horizon 56, OMS
//! average = the training part's last-90-day mean, so that it has not seen
//! the holdout) and so does statsforecast (scripts/forecast_peer.py in
//! target/peer-venv, made by scripts/peer-setup.sh: AutoETS season 7,
//! CrostonSBA, TSB, n_jobs 2), once per set. MAE per day and MASE (MAE over
//! the MAE of the 28-day mean of the training data on the same holdout) per
//! class, per kind of series and in total, and both times on the same
//! series. The peer's forecasts are always written to
//! target/peer-cache/<set>-<hash of its input and script>.csv; with
//! `--peer-cache` an existing file for the same input is read instead of
//! running the peer (for iterating on accuracy; the speed ratio then is
//! not measured).
//!
//! Without `--bench` (`cargo test --benches`) it forecasts 20 series only.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use buyerdesk::forecast::{self, synthetic, DailySeries, Forecast};

const HOLDOUT: usize = 56;
const DAYS: usize = 730;

struct Args {
    series: usize,
    single: usize,
    horizon: u32,
    peer: bool,
    peer_cache: bool,
    speed: bool,
    synthetic: bool,
    demo: bool,
    full: bool,
}

fn args() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    let text = |name: &str| {
        argv.iter()
            .position(|a| a == name)
            .and_then(|i| argv.get(i + 1))
            .cloned()
    };
    let value = |name: &str| text(name).and_then(|v| v.parse::<usize>().ok());
    let full = argv.iter().any(|a| a == "--bench");
    let has = |name: &str| argv.iter().any(|a| a == name);
    let sets = text("--sets").unwrap_or_else(|| "synthetic,demo".into());
    Args {
        series: value("--series").unwrap_or(if full { 2000 } else { 20 }),
        single: value("--single").unwrap_or(2000),
        horizon: value("--horizon").unwrap_or(14) as u32,
        peer: full && !has("--no-peer"),
        peer_cache: has("--peer-cache"),
        speed: !has("--no-speed"),
        synthetic: sets.split(',').any(|s| s == "synthetic"),
        demo: sets.split(',').any(|s| s == "demo"),
        full,
    }
}

/// A set of series: each with the kind of process it was drawn from and
/// the OMS average handed over with it.
struct Set {
    name: &'static str,
    kinds: Vec<String>,
    series: Vec<DailySeries>,
    oms: Vec<Option<f64>>,
}

/// The OMS average the synthetic set hands over: the mean of the last 90 days.
fn mean90(s: &[f64]) -> Option<f64> {
    let tail = &s[s.len().saturating_sub(90)..];
    (!tail.is_empty()).then(|| tail.iter().sum::<f64>() / tail.len() as f64)
}

fn synthetic_set(n: usize) -> Set {
    let mixed = synthetic::mix(n, DAYS, 21);
    Set {
        name: "synthetic",
        kinds: mixed.iter().map(|(k, _)| k.as_str().to_string()).collect(),
        oms: mixed.iter().map(|(_, s)| mean90(&s.qty)).collect(),
        series: mixed.into_iter().map(|(_, s)| s).collect(),
    }
}

/// The embedded demo's products with history, as the app reads them: the
/// series from `history_for` (first sale to today) and the OMS average from
/// `oms_history` (a product missing from the OMS has none). Products that
/// never sold have no rows and are not forecast. The kind is the demo's
/// profile, with the smooth and erratic ones split by what their process
/// carries: y (yearly season), t (trend), w (weekday pattern), p
/// (promotions), e.g. `smooth ytw-`.
fn demo_set(n: usize) -> Set {
    use buyerdesk::demo;
    let rows = demo::generate(n, demo::DEFAULT_SEED, buyerdesk::sources::Backend::Sqlite);
    let jobs: Vec<(String, f64, f64)> = rows
        .history
        .iter()
        .map(|j| (j.product_id.clone(), j.avg_daily_demand, j.trend))
        .collect();
    let oms: BTreeMap<String, Option<f64>> = rows
        .into_source_rows()
        .oms
        .into_iter()
        .map(|r| (r.product_id.to_string(), r.avg_daily_demand.value()))
        .collect();
    let mut set = Set {
        name: "demo",
        kinds: Vec::new(),
        series: Vec::new(),
        oms: Vec::new(),
    };
    for (id, avg, trend) in jobs {
        let h = demo::generate_history(demo::DEFAULT_SEED, &id, avg, trend);
        if h.series.qty.is_empty() {
            continue;
        }
        let p = h.params;
        let kind = match h.profile {
            demo::Profile::Smooth | demo::Profile::Erratic => {
                let flag = |on: bool, c: char| if on { c } else { '-' };
                format!(
                    "{} {}{}{}{}",
                    h.profile.as_str(),
                    flag(p.yearly > 0.0, 'y'),
                    flag(p.growth != 0.0, 't'),
                    flag(p.weekly.iter().any(|w| (w - 1.0).abs() > 1e-9), 'w'),
                    flag(!h.promo_days.is_empty(), 'p'),
                )
            }
            other => other.as_str().to_string(),
        };
        set.kinds.push(kind);
        set.oms.push(oms.get(&id).copied().flatten());
        set.series.push(h.series);
    }
    set
}

/// Forecasts every series on `threads` threads (work taken one by one).
fn forecast_all(
    series: &[DailySeries],
    oms: &[Option<f64>],
    horizon: u32,
    threads: usize,
) -> Vec<Forecast> {
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<Forecast>> = vec![None; series.len()];
    let parts: Vec<Vec<(usize, Forecast)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= series.len() {
                            break mine;
                        }
                        mine.push((i, forecast::forecast(&series[i], horizon, oms[i])));
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, f) in parts.into_iter().flatten() {
        out[i] = Some(f);
    }
    out.into_iter().map(|f| f.unwrap()).collect()
}

fn main() {
    let a = args();
    let mut sets = Vec::new();
    if a.synthetic {
        let t = Instant::now();
        sets.push(synthetic_set(a.series));
        println!(
            "synthetic: {} series of up to {DAYS} days generated in {:.2} s",
            a.series,
            t.elapsed().as_secs_f64()
        );
    }
    if a.demo {
        let n = if a.full {
            buyerdesk::demo::EMBEDDED_PRODUCTS
        } else {
            60
        };
        let t = Instant::now();
        let set = demo_set(n);
        println!(
            "demo: {n} products, {} with history, generated in {:.2} s",
            set.series.len(),
            t.elapsed().as_secs_f64()
        );
        sets.push(set);
    }
    println!("horizon {} days", a.horizon);

    if a.speed {
        for set in &sets {
            speed(set, &a);
        }
    }
    if a.peer {
        for set in &sets {
            peer(set, a.peer_cache);
        }
    } else if a.full {
        println!("peer comparison skipped (--no-peer)");
    }
}

/// Speed on 2 threads (both cores), then (synthetic) 1 thread.
fn speed(set: &Set, a: &Args) {
    let series = &set.series;
    println!(
        "
{}:",
        set.name
    );
    let (t, c) = (Instant::now(), cpu_seconds());
    let two = forecast_all(series, &set.oms, a.horizon, 2);
    let (wall2, cpu2) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    report_speed("2 threads", series.len(), wall2, cpu2);
    if set.name == "synthetic" {
        let single = a.single.min(series.len());
        let (t, c) = (Instant::now(), cpu_seconds());
        let one = forecast_all(&series[..single], &set.oms[..single], a.horizon, 1);
        let (wall1, cpu1) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        report_speed("1 thread", single, wall1, cpu1);
        assert_eq!(
            &two[..single],
            &one[..],
            "forecasts differ between 1 and 2 threads"
        );
    }
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    for f in &two {
        *methods
            .entry(format!("{}/{}", f.class.as_str(), f.method.as_str()))
            .or_default() += 1;
    }
    println!("class/method chosen: {methods:?}");
}

/// CPU time of this process so far (user + system), in seconds: the
/// machine is shared, so wall time alone overstates the cost.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// CPU time of the finished child processes (the peer), in seconds.
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn report_speed(what: &str, n: usize, wall: f64, cpu: f64) {
    let per_s = n as f64 / wall;
    println!(
        "speed, {what}: {n} series in {wall:.2} s wall = {per_s:.0} series/s, {:.3} ms/series; 100,000 projected: {:.0} s wall; CPU {cpu:.2} s = {:.3} ms/series (100,000 on 2 cores: {:.0} s)",
        wall * 1000.0 / n as f64,
        100_000.0 / per_s,
        cpu * 1000.0 / n as f64,
        cpu / n as f64 * 100_000.0 / 2.0
    );
}

#[derive(Default)]
struct Acc {
    n: usize,
    mae: f64,
    mase_n: usize,
    mase: f64,
}

impl Acc {
    fn add(&mut self, mae: f64, base: f64) {
        self.n += 1;
        self.mae += mae;
        if base > 0.0 {
            self.mase_n += 1;
            self.mase += mae / base;
        }
    }
    fn show(&self) -> String {
        if self.n == 0 {
            return "-".into();
        }
        let mae = self.mae / self.n as f64;
        if self.mase_n == 0 {
            // Scored without a scale (the holdout's total).
            return format!("{mae:.3}");
        }
        format!("{mae:.3} / {:.3}", self.mase / self.mase_n as f64)
    }
}

/// Root mean squared error per day: lowest at the mean, where the MAE is
/// lowest at the median (0 on most days of intermittent demand). The M5
/// competition scored its intermittent series this way (RMSSE) for that
/// reason.
fn rmse(path: &[f64], actual: &[f64]) -> f64 {
    (path
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a) * (p - a))
        .sum::<f64>()
        / actual.len() as f64)
        .sqrt()
}

fn mae(path: &[f64], actual: &[f64]) -> f64 {
    path.iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / actual.len() as f64
}

/// The peer's forecasts of one set, per series: [AutoETS, CrostonSBA, TSB].
type PeerPaths = Vec<[Vec<f64>; 3]>;

struct PeerRun {
    paths: PeerPaths,
    /// (forecast call s, wall s with start-up and CSV, CPU s of its
    /// processes, version); `None` when read from the cache.
    timing: Option<(f64, f64, f64, String)>,
}

/// Runs the peer on `input` (or reads its cached forecasts), returning its
/// paths for `n` series.
fn run_peer(set: &str, input: &std::path::Path, n: usize, use_cache: bool) -> Option<PeerRun> {
    use sha2::{Digest, Sha256};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/peer-venv/bin/python");
    let script = root.join("scripts/forecast_peer.py");
    let mut hash = Sha256::new();
    hash.update(std::fs::read(input).unwrap());
    hash.update(std::fs::read(&script).unwrap());
    hash.update(HOLDOUT.to_string());
    let key: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let cache_dir = root.join("target/peer-cache");
    std::fs::create_dir_all(&cache_dir).unwrap();
    let cached = cache_dir.join(format!("{set}-{key}.csv"));
    let mut timing = None;
    if !(use_cache && cached.exists()) {
        if !python.exists() {
            println!(
                "peer: {} missing: run scripts/peer-setup.sh first",
                python.display()
            );
            return None;
        }
        let output = input.with_extension("out.csv");
        let cpu_before = children_cpu_seconds();
        let t = Instant::now();
        let out = std::process::Command::new(&python)
            .arg(&script)
            .arg(input)
            .arg(&output)
            .arg(HOLDOUT.to_string())
            .arg("2")
            .output()
            .expect("running the peer");
        let wall = t.elapsed().as_secs_f64();
        let cpu = children_cpu_seconds() - cpu_before;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            println!(
                "peer failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        let fit: f64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("fit_forecast_seconds="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN);
        let version = stdout
            .lines()
            .find_map(|l| l.strip_prefix("version="))
            .unwrap_or("?")
            .to_string();
        std::fs::copy(&output, &cached).unwrap();
        timing = Some((fit, wall, cpu, version));
    } else {
        println!("peer: forecasts read from {}", cached.display());
    }
    // unique_id,step,AutoETS,CrostonSBA,TSB
    let mut paths: PeerPaths = vec![Default::default(); n];
    let mut rdr = csv::Reader::from_path(&cached).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let i: usize = rec[0].trim_start_matches('s').parse().unwrap();
        for m in 0..3 {
            paths[i][m].push(rec[2 + m].parse::<f64>().unwrap_or(f64::NAN));
        }
    }
    Some(PeerRun { paths, timing })
}

/// The columns of every accuracy table. The last is no forecast at all:
/// 0 every day, beside the others to show what the daily MAE rewards
/// (for demand sold on fewer than half the days, any lower forecast scores
/// better, whatever the demand to come).
const NAMES: [&str; 6] = [
    "buyerdesk",
    "sf AutoETS",
    "sf CrostonSBA",
    "sf TSB",
    "28-day mean",
    "0 every day",
];

fn print_table(title: &str, table: &BTreeMap<String, [Acc; 6]>) {
    println!("\n{title}");
    println!(
        "| {} | series | {} |",
        title.split(':').next().unwrap_or(""),
        NAMES.join(" | ")
    );
    println!("|---|---|{}", "---|".repeat(NAMES.len()));
    for (key, row) in table {
        let cells: Vec<String> = row.iter().map(Acc::show).collect();
        println!("| {key} | {} | {} |", row[0].n, cells.join(" | "));
    }
}

/// Per class, buyerdesk's MAE per day minus each other column's, series by
/// series: the mean difference and its t statistic (the mean over its
/// standard error). Negative: buyerdesk lower. |t| under 2 is a difference
/// the holdout's noise can make.
fn print_paired(set: &str, paired: &BTreeMap<String, Vec<[Option<f64>; 6]>>) {
    println!(
        "\n{set}: buyerdesk's MAE per day minus each other's, paired by series: mean difference (t statistic)"
    );
    println!("| class | series | {} |", NAMES[1..].join(" | "));
    println!("|---|---|{}", "---|".repeat(NAMES.len() - 1));
    for (key, rows) in paired {
        let cells: Vec<String> = (1..NAMES.len())
            .map(|m| {
                let d: Vec<f64> = rows.iter().filter_map(|r| Some(r[0]? - r[m]?)).collect();
                if d.len() < 2 {
                    return "-".to_string();
                }
                let n = d.len() as f64;
                let mean = d.iter().sum::<f64>() / n;
                let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                let se = (var / n).sqrt();
                if se > 0.0 {
                    format!("{mean:+.3} ({:+.2})", mean / se)
                } else {
                    format!("{mean:+.3}")
                }
            })
            .collect();
        println!("| {key} | {} | {} |", rows.len(), cells.join(" | "));
    }
}

fn peer(set: &Set, use_cache: bool) {
    // Series long enough to hold out 8 weeks and keep 8 weeks to train.
    let held: Vec<(&str, DailySeries, Vec<f64>)> = set
        .series
        .iter()
        .zip(&set.kinds)
        .filter(|(s, _)| s.qty.len() >= HOLDOUT + 7 * forecast::SHORT_WEEKS)
        .map(|(s, k)| {
            let cut = s.qty.len() - HOLDOUT;
            let train = DailySeries {
                first_day: s.first_day.clone(),
                qty: s.qty[..cut].to_vec(),
            };
            (k.as_str(), train, s.qty[cut..].to_vec())
        })
        .collect();
    let dir = std::env::temp_dir().join("buyerdesk-forecast-peer");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("{}-series.csv", set.name));
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        writeln!(w, "unique_id,ds,y").unwrap();
        for (i, (_, s, _)) in held.iter().enumerate() {
            let first = chrono::NaiveDate::parse_from_str(&s.first_day, "%Y-%m-%d").unwrap();
            for (d, q) in s.qty.iter().enumerate() {
                let day = first + chrono::Duration::days(d as i64);
                writeln!(w, "s{i},{day},{q}").unwrap();
            }
        }
    }

    // buyerdesk on the same training series, 2 threads.
    let train: Vec<DailySeries> = held.iter().map(|(_, s, _)| s.clone()).collect();
    let oms: Vec<Option<f64>> = train.iter().map(|s| mean90(&s.qty)).collect();
    let (t, c) = (Instant::now(), cpu_seconds());
    let ours = forecast_all(&train, &oms, HOLDOUT as u32, 2);
    let (our_wall, our_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);

    // `--ours-only`: buyerdesk's accuracy alone, without the peer.
    let run = if std::env::args().any(|a| a == "--ours-only") {
        PeerRun {
            paths: vec![Default::default(); held.len()],
            timing: None,
        }
    } else {
        match run_peer(set.name, &input, held.len(), use_cache) {
            Some(run) => run,
            None => return,
        }
    };

    // Accuracy per class (buyerdesk's class of the training series), per
    // kind of series and in total.
    let mut by_class: BTreeMap<String, [Acc; 6]> = BTreeMap::new();
    let mut by_kind: BTreeMap<String, [Acc; 6]> = BTreeMap::new();
    // The same per class, scored on the holdout's total instead of its
    // days: what buyerdesk chooses on (an order covers the total).
    let mut by_class_total: BTreeMap<String, [Acc; 6]> = BTreeMap::new();
    // And on the root mean squared error of its days, scaled by the 28-day
    // mean's (RMSSE-like): a measure that a forecast of 0 cannot win on
    // intermittent demand.
    let mut by_class_rmse: BTreeMap<String, [Acc; 6]> = BTreeMap::new();
    // Each series' MAE per column, per class: the paired differences.
    let mut paired: BTreeMap<String, Vec<[Option<f64>; 6]>> = BTreeMap::new();
    let mut chosen: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut peer_nan = 0usize;
    for (i, ((kind, s, actual), f)) in held.iter().zip(&ours).enumerate() {
        let base_level = s.qty[s.qty.len() - 28..].iter().sum::<f64>() / 28.0;
        let base = mae(&vec![base_level; HOLDOUT], actual);
        let actual_total: f64 = actual.iter().sum();
        let total_error = |p: &[f64]| (p.iter().sum::<f64>() - actual_total).abs() / HOLDOUT as f64;
        let zero = vec![0.0; HOLDOUT];
        let base_path = vec![base_level; HOLDOUT];
        let base_rmse = rmse(&base_path, actual);
        // Per column: the forecast's path, None where the peer did not run
        // (`--ours-only`): such a column prints "-".
        let mut paths: [Option<Vec<f64>>; 6] = [
            Some(f.path.clone()),
            None,
            None,
            None,
            Some(base_path),
            Some(zero),
        ];
        for m in 0..3 {
            let p = &run.paths[i][m];
            if p.is_empty() {
                continue;
            }
            if p.len() != HOLDOUT || p.iter().any(|v| !v.is_finite()) {
                peer_nan += 1;
            }
            paths[1 + m] = Some(
                p.iter()
                    .map(|v| if v.is_finite() { *v } else { 0.0 })
                    .collect(),
            );
        }
        let maes = paths
            .each_ref()
            .map(|p| p.as_deref().map(|p| mae(p, actual)));
        let rmses = paths
            .each_ref()
            .map(|p| p.as_deref().map(|p| rmse(p, actual)));
        let totals = paths.each_ref().map(|p| p.as_deref().map(total_error));
        let add = |row: &mut [Acc; 6], values: [Option<f64>; 6], base: f64| {
            for (acc, v) in row.iter_mut().zip(values) {
                if let Some(v) = v {
                    acc.add(v, base);
                }
            }
        };
        for key in [f.class.as_str().to_string(), "total".to_string()] {
            paired.entry(key.clone()).or_default().push(maes);
            add(by_class.entry(key.clone()).or_default(), maes, base);
            add(
                by_class_rmse.entry(key.clone()).or_default(),
                rmses,
                base_rmse,
            );
            // No ratio: a 28-day mean's total can be right to the unit.
            add(by_class_total.entry(key).or_default(), totals, 0.0);
        }
        add(by_kind.entry(kind.to_string()).or_default(), maes, base);
        *chosen
            .entry(kind.to_string())
            .or_default()
            .entry(f.method_label.split(' ').next().unwrap_or("").to_string())
            .or_default() += 1;
    }
    println!(
        "\n{}: accuracy over the last {HOLDOUT} days of {} series, MAE per day / MASE (vs the 28-day mean), mean over series",
        set.name,
        held.len()
    );
    print_table(&format!("class: {}", set.name), &by_class);
    print_table(&format!("kind: {}", set.name), &by_kind);
    println!(
        "\n{}: error of the {HOLDOUT}-day total, per day, mean over series (the measure the backtest chooses by; not the issue's target)",
        set.name
    );
    print_table(&format!("class, total: {}", set.name), &by_class_total);
    println!(
        "\n{}: root mean squared error per day / the same over the 28-day mean's, mean over series (the M5 competition's measure for intermittent demand; not the issue's target)",
        set.name
    );
    print_table(&format!("class, RMSE: {}", set.name), &by_class_rmse);
    print_paired(set.name, &paired);
    println!("\n{}: method chosen per kind: {chosen:?}", set.name);
    if peer_nan > 0 {
        println!("({peer_nan} peer forecasts had missing or non-finite values, counted as 0)");
    }
    match run.timing {
        Some((fit, wall, cpu, version)) => println!(
            "\n{}: speed on the same {} series, horizon {HOLDOUT}: buyerdesk {our_wall:.2} s wall, {our_cpu:.2} s CPU (2 threads, method choice and backtests included); statsforecast {version} {fit:.2} s in its forecast call ({wall:.2} s wall with start-up and CSV), n_jobs 2, {cpu:.2} s CPU in all its processes: {:.1}x our wall time, {:.1}x our CPU time",
            set.name,
            held.len(),
            fit / our_wall,
            cpu / our_cpu
        ),
        None => println!(
            "\n{}: buyerdesk {our_wall:.2} s wall, {our_cpu:.2} s CPU on the same {} series; the peer's forecasts came from the cache (its speed not measured in this run)",
            set.name,
            held.len()
        ),
    }
}
