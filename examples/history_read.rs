//! How long the demo's daily history takes to generate, to write and to read
//! back as series (`OmsSource::history_last_day` + `load_series`), on SQLite
//! files in a temporary directory:
//!
//!     cargo run --release --example history_read -- [PRODUCTS] [ROUNDS]
//!
//! PRODUCTS defaults to the embedded demo's 2,000; each read is timed ROUNDS
//! times (default 5) and the fastest and the median printed. Numbers go to
//! docs/BENCHMARKS.md by hand (a timed run, not a timed test).

use std::time::Instant;

use buyerdesk::config::{Config, FileConfig, SourceKind};
use buyerdesk::demo;
use buyerdesk::sources::oms::OmsSource;
use buyerdesk::sources::{Access, Backend, Source};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let products: usize = args.next().map_or(Ok(2_000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let mut file = FileConfig::default();
    for kind in SourceKind::SOURCES {
        file.source_mut(kind).url = Some(format!(
            "sqlite://{}",
            dir.path().join(format!("{}.sqlite", kind.name())).display()
        ));
    }
    file.purchasing.url = Some(format!(
        "sqlite://{}",
        dir.path().join("purchasing.sqlite").display()
    ));
    let config = Config {
        file,
        origin: "history_read".into(),
        data_dir: dir.path().to_path_buf(),
    };

    // Generating alone (no database), as a forecasting bench would.
    let start = Instant::now();
    let jobs = demo::generate(products, demo::DEFAULT_SEED, Backend::Sqlite).history;
    let mut days = 0usize;
    let mut sold = 0usize;
    for j in &jobs {
        let s = demo::history_for(
            demo::DEFAULT_SEED,
            &j.product_id,
            j.avg_daily_demand,
            j.trend,
        );
        days += s.qty.len();
        sold += s.qty.iter().filter(|q| **q > 0.0).count();
    }
    println!(
        "generate: {products} products, {days} days, {sold} days with sales, in {:.3} s",
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let summary = demo::seed(&config, products, demo::DEFAULT_SEED, true, false).await?;
    let size = std::fs::metadata(dir.path().join("oms.sqlite"))?.len();
    println!(
        "demo: {} history rows written in {:.3} s; oms.sqlite {:.1} MB",
        summary.history_rows,
        start.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );

    let source = Source::connect(
        &config
            .resolve(SourceKind::Oms)
            .map_err(anyhow::Error::msg)?,
        Access::ReadOnly,
    )
    .await?;
    let oms = OmsSource::open(source, &config).await?;
    let mut last_day_s = Vec::new();
    let mut read_s = Vec::new();
    let mut one_query_s = Vec::new();
    let mut series = 0;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        let last = oms.history_last_day(None).await?.expect("a last day");
        last_day_s.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let h = oms
            .load_series(None, &last)
            .await?
            .expect("the history table");
        read_s.push(start.elapsed().as_secs_f64());
        assert_eq!(h.skipped, 0);
        series = h.series.len();
        // One query: the series run to the latest day read.
        let start = Instant::now();
        let one = oms.load_series(None, "").await?.expect("the history table");
        one_query_s.push(start.elapsed().as_secs_f64());
        assert_eq!(
            (one.last_day.as_str(), one.series.len()),
            (last.as_str(), series)
        );
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2])
    };
    let (lf, lm) = stats(&mut last_day_s);
    let (rf, rm) = stats(&mut read_s);
    let (of, om) = stats(&mut one_query_s);
    println!("history_last_day: fastest {lf:.4} s, median {lm:.4} s");
    println!(
        "load_series (all): {series} series, {} rows, fastest {rf:.3} s, median {rm:.3} s",
        summary.history_rows
    );
    println!("load_series (all, last day read): fastest {of:.3} s, median {om:.3} s");
    oms.source.close().await;
    Ok(())
}
