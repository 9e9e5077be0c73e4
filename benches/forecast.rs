//! Issue 21: forecasting speed, and accuracy and speed beside statsforecast.
//!
//!     cargo bench --bench forecast                       # 2,000 series, speed + peer
//!     cargo bench --bench forecast -- --series 100000 --no-peer
//!     cargo bench --bench forecast -- --no-peer --horizon 14
//!
//! Series: `forecast::synthetic::mix` (two years of daily history each:
//! level, trend, weekly and yearly season, intermittent, lumpy, promotions,
//! new products of 3 to 7 weeks, stopped products), seed 21.
//!
//! Speed: every series forecast over the horizon (default 14 days = L + R)
//! with its method choice and backtests, on 2 threads (both cores of the
//! machine) and on 1 thread (over the first `--single` series, default
//! 2,000); series/s and the time projected for 100,000.
//!
//! Peer (unless `--no-peer`): the last 8 weeks of each series are held out;
//! buyerdesk forecasts them from the rest (horizon 56) and so does
//! statsforecast (scripts/forecast_peer.py in target/peer-venv, made by
//! scripts/peer-setup.sh: AutoETS season 7, CrostonSBA, TSB, n_jobs 2);
//! MAE per day and MASE (MAE over the MAE of the 28-day mean of the
//! training data on the same holdout) per class and in total, and both
//! wall times on the same series.
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
    full: bool,
}

fn args() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    let value = |name: &str| {
        argv.iter()
            .position(|a| a == name)
            .and_then(|i| argv.get(i + 1))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let full = argv.iter().any(|a| a == "--bench");
    Args {
        series: value("--series").unwrap_or(if full { 2000 } else { 20 }),
        single: value("--single").unwrap_or(2000),
        horizon: value("--horizon").unwrap_or(14) as u32,
        peer: full && !argv.iter().any(|a| a == "--no-peer"),
        full,
    }
}

/// The OMS average a source would hand over: the mean of the last 90 days.
fn oms_average(s: &DailySeries) -> Option<f64> {
    let tail = &s.qty[s.qty.len().saturating_sub(90)..];
    (!tail.is_empty()).then(|| tail.iter().sum::<f64>() / tail.len() as f64)
}

/// Forecasts every series on `threads` threads (work taken one by one).
fn forecast_all(series: &[DailySeries], horizon: u32, threads: usize) -> Vec<Forecast> {
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
                        let s = &series[i];
                        mine.push((i, forecast::forecast(s, horizon, oms_average(s))));
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
    let t = Instant::now();
    let mixed = synthetic::mix(a.series, DAYS, 21);
    let series: Vec<DailySeries> = mixed.iter().map(|(_, s)| s.clone()).collect();
    println!(
        "{} series of up to {DAYS} days generated in {:.2} s; horizon {} days",
        series.len(),
        t.elapsed().as_secs_f64(),
        a.horizon
    );

    // Speed on 2 threads (both cores), then 1 thread.
    let (t, c) = (Instant::now(), cpu_seconds());
    let two = forecast_all(&series, a.horizon, 2);
    let (wall2, cpu2) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    report_speed("2 threads", series.len(), wall2, cpu2);
    let single = a.single.min(series.len());
    let (t, c) = (Instant::now(), cpu_seconds());
    let one = forecast_all(&series[..single], a.horizon, 1);
    let (wall1, cpu1) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    report_speed("1 thread", single, wall1, cpu1);
    assert_eq!(
        &two[..single],
        &one[..],
        "forecasts differ between 1 and 2 threads"
    );
    let mut methods: BTreeMap<String, usize> = BTreeMap::new();
    for f in &two {
        *methods
            .entry(format!("{}/{}", f.class.as_str(), f.method.as_str()))
            .or_default() += 1;
    }
    println!("class/method chosen: {methods:?}");

    if a.peer {
        peer(&mixed);
    } else if a.full {
        println!("peer comparison skipped (--no-peer)");
    }
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
        format!(
            "{:.3} / {:.3}",
            self.mae / self.n as f64,
            if self.mase_n == 0 {
                f64::NAN
            } else {
                self.mase / self.mase_n as f64
            }
        )
    }
}

fn mae(path: &[f64], actual: &[f64]) -> f64 {
    path.iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / actual.len() as f64
}

fn peer(mixed: &[(synthetic::Kind, DailySeries)]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/peer-venv/bin/python");
    if !python.exists() {
        println!(
            "peer: {} missing: run scripts/peer-setup.sh first",
            python.display()
        );
        return;
    }
    // Series long enough to hold out 8 weeks and keep 8 weeks to train.
    let held: Vec<(synthetic::Kind, DailySeries, Vec<f64>)> = mixed
        .iter()
        .filter(|(_, s)| s.qty.len() >= HOLDOUT + 7 * forecast::SHORT_WEEKS)
        .map(|(k, s)| {
            let cut = s.qty.len() - HOLDOUT;
            let train = DailySeries {
                first_day: s.first_day.clone(),
                qty: s.qty[..cut].to_vec(),
            };
            (*k, train, s.qty[cut..].to_vec())
        })
        .collect();
    let dir = std::env::temp_dir().join("buyerdesk-forecast-peer");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("series.csv");
    let output = dir.join("forecasts.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        writeln!(w, "unique_id,ds,y").unwrap();
        let first = chrono::NaiveDate::parse_from_str(synthetic::FIRST_DAY, "%Y-%m-%d").unwrap();
        for (i, (_, s, _)) in held.iter().enumerate() {
            for (d, q) in s.qty.iter().enumerate() {
                let day = first + chrono::Duration::days(d as i64);
                writeln!(w, "s{i},{day},{q}").unwrap();
            }
        }
    }

    // buyerdesk on the same training series, 2 threads.
    let train: Vec<DailySeries> = held.iter().map(|(_, s, _)| s.clone()).collect();
    let (t, c) = (Instant::now(), cpu_seconds());
    let ours = forecast_all(&train, HOLDOUT as u32, 2);
    let (our_wall, our_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);

    let t = Instant::now();
    let out = std::process::Command::new(&python)
        .arg(root.join("scripts/forecast_peer.py"))
        .arg(&input)
        .arg(&output)
        .arg(HOLDOUT.to_string())
        .arg("2")
        .output()
        .expect("running the peer");
    let peer_wall = t.elapsed().as_secs_f64();
    let peer_cpu = children_cpu_seconds();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        println!(
            "peer failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let peer_fit: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("fit_forecast_seconds="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let version = stdout
        .lines()
        .find_map(|l| l.strip_prefix("version="))
        .unwrap_or("?")
        .to_string();

    // Read the peer's forecasts: unique_id,step,AutoETS,CrostonSBA,TSB.
    let mut peer_paths: Vec<[Vec<f64>; 3]> = vec![Default::default(); held.len()];
    let mut rdr = csv::Reader::from_path(&output).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let i: usize = rec[0].trim_start_matches('s').parse().unwrap();
        for m in 0..3 {
            peer_paths[i][m].push(rec[2 + m].parse::<f64>().unwrap_or(f64::NAN));
        }
    }

    // Accuracy per class (buyerdesk's class of the training series) and total.
    let names = [
        "buyerdesk",
        "sf AutoETS",
        "sf CrostonSBA",
        "sf TSB",
        "28-day mean",
    ];
    let mut table: BTreeMap<String, [Acc; 5]> = BTreeMap::new();
    let mut peer_nan = 0usize;
    for (i, ((_, s, actual), f)) in held.iter().zip(&ours).enumerate() {
        let base_level = s.qty[s.qty.len() - 28..].iter().sum::<f64>() / 28.0;
        let base = mae(&vec![base_level; HOLDOUT], actual);
        let mut maes = [mae(&f.path, actual), 0.0, 0.0, 0.0, base];
        for m in 0..3 {
            let p = &peer_paths[i][m];
            if p.len() != HOLDOUT || p.iter().any(|v| !v.is_finite()) {
                peer_nan += 1;
            }
            let p: Vec<f64> = p
                .iter()
                .map(|v| if v.is_finite() { *v } else { 0.0 })
                .collect();
            maes[1 + m] = mae(&p, actual);
        }
        for key in [f.class.as_str().to_string(), "total".to_string()] {
            let row = table.entry(key).or_default();
            for (acc, m) in row.iter_mut().zip(maes) {
                acc.add(m, base);
            }
        }
    }
    println!(
        "\naccuracy over the last {HOLDOUT} days of {} series, MAE per day / MASE (vs the 28-day mean), mean over series:",
        held.len()
    );
    println!("| class | series | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(names.len()));
    for (class, row) in &table {
        let cells: Vec<String> = row.iter().map(Acc::show).collect();
        println!("| {class} | {} | {} |", row[0].n, cells.join(" | "));
    }
    if peer_nan > 0 {
        println!("({peer_nan} peer forecasts had missing or non-finite values, counted as 0)");
    }
    println!(
        "\nspeed on the same {} series, horizon {HOLDOUT}: buyerdesk {our_wall:.2} s wall, {our_cpu:.2} s CPU (2 threads, method choice and backtests included); statsforecast {version} {peer_fit:.2} s in its forecast call ({peer_wall:.2} s wall with start-up and CSV), n_jobs 2, {peer_cpu:.2} s CPU in all (its processes, start-up included): {:.1}x our wall time",
        held.len(),
        peer_fit / our_wall
    );
}
