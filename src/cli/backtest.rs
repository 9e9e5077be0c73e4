//! `buyerdesk backtest`: the last N days of history replayed with the rules
//! in force (or a file), the fill rate reached and the stock held per
//! demand class, per ABC class and in total (`rules::backtest`); per
//! product with `--product` or in JSON and CSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;

use super::report::fit::{Align, Column, Cut, Table};
use super::report::{self, Fit};
use super::stdout;
use crate::config::Config;
use crate::live;
use crate::plan::numbers::{fmt_money, fmt_qty};
use crate::rules::backtest::{self, percent, Backtest, Group, Start};
use crate::sources::Sources;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Where each product's stock starts (`rules::backtest::Start`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StartArg {
    /// What the rules order from nothing on the evening before the window.
    Policy,
    /// Today's available quantity.
    Current,
}

/// What `backtest` was asked.
#[derive(Debug, Clone)]
pub struct Args {
    pub days: u32,
    pub rules: Option<PathBuf>,
    pub products: Vec<String>,
    pub format: Format,
    pub start: StartArg,
}

pub async fn run(config: &Config, args: Args, fit: &Fit) -> Result<ExitCode> {
    let rules = match &args.rules {
        // Errors as `rules check` prints them (file:line:col), exit 1.
        Some(path) => {
            let text = super::rules::read_rules_file(path)?;
            let origin = path.display().to_string();
            let diagnostics = crate::rules::validate(&text, &origin);
            match super::rules::load_checked(&text, &origin, &diagnostics, &mut stdout())? {
                Some(rules) => rules,
                None => return Ok(ExitCode::FAILURE),
            }
        }
        None => live::cli_rules(config).await?,
    };
    let sources = Sources::connect(config).await?;
    let loaded = live::backtest_products(&sources, &args.products).await;
    sources.close().await;
    let Some(products) = loaded? else {
        writeln!(
            stdout(),
            "{}",
            report::wrap_lines(
                "No daily history: the OMS source has no oms_daily_demand table \
                 (DOMAIN.md section 1), so there is nothing to replay.",
                fit
            )
            .trim_end()
        )?;
        return Ok(ExitCode::FAILURE);
    };
    if products.is_empty() {
        writeln!(
            stdout(),
            "No daily history for {}: nothing to replay.",
            if args.products.is_empty() {
                "any product".to_string()
            } else {
                crate::text::printable(&args.products.join(", ")).into_owned()
            }
        )?;
        return Ok(ExitCode::FAILURE);
    }
    let start = match args.start {
        StartArg::Policy => Start::Policy,
        StartArg::Current => Start::Current,
    };
    let threads = backtest::default_threads();
    let result = tokio::task::block_in_place(|| {
        backtest::backtest(&products, &rules, args.days, start, threads)
    });
    let default_currency = crate::orders::OrdersConfig::currency_of(&config.file);
    let mut out = stdout();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &result)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&result, &default_currency, out)?,
        Format::Table => {
            let text = table(&result, !args.products.is_empty(), &default_currency, fit);
            out.write_all(text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The value held, per currency: "1234.56 EUR; 80.00 USD".
fn values(g: &Group, default_currency: &str) -> String {
    if g.avg_stock_value.is_empty() {
        return "-".into();
    }
    (g.avg_stock_value.iter())
        .map(|m| {
            format!(
                "{} {}",
                fmt_money(m.amount),
                m.currency.as_deref().unwrap_or(default_currency)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn group_table(title: &'static str, groups: &[&Group], default_currency: &str) -> Table {
    let mut t = Table::new(vec![
        Column::new(title, Align::Left, Cut::Never, 0),
        Column::new("Products", Align::Right, Cut::Never, 3),
        Column::new("Demand", Align::Right, Cut::Never, 2),
        Column::new("Served", Align::Right, Cut::Never, 2),
        Column::new("Fill", Align::Right, Cut::Never, 0),
        Column::new("Avg stock", Align::Right, Cut::Never, 1),
        Column::new("Avg stock value", Align::Left, Cut::Wrap, 0),
        Column::new("Orders", Align::Right, Cut::Never, 3),
        Column::new("Stock-out days", Align::Right, Cut::Never, 2),
    ]);
    for g in groups {
        t.row(vec![
            g.key.clone(),
            g.products.to_string(),
            fmt_qty(round2(g.demand)),
            fmt_qty(round2(g.served)),
            percent(g.fill_rate),
            fmt_qty(round2(g.avg_stock)),
            values(g, default_currency),
            g.orders.to_string(),
            g.stockout_days.to_string(),
        ]);
    }
    t
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The table for people: the window, per demand class, per ABC class, the
/// total; per product when `per_product`.
pub fn table(b: &Backtest, per_product: bool, default_currency: &str, fit: &Fit) -> String {
    let start = match b.start {
        Start::Policy => "each product from the stock its rules order from nothing",
        Start::Current => "each product from today's available stock",
    };
    let shorter = b.products.iter().filter(|p| p.days < b.days).count();
    let shorter = match shorter {
        0 => String::new(),
        n => format!(" ({n} with a shorter history, from their first day)"),
    };
    let mut out = report::wrap_lines(
        &format!(
            "Backtest of {} over {} days ({} to {}), {} products replayed{shorter}; start: {start}; \
             unserved demand is lost; stock is the end-of-day stock on hand, valued at today's price.",
            b.rules,
            b.days,
            b.first_day,
            b.last_day,
            b.products.len()
        ),
        fit,
    );
    out.push('\n');
    let render = |t: Table| {
        let r = t.render(fit);
        format!("{}{}\n", r.text, r.dropped_note(fit))
    };
    let classes: Vec<&Group> = b.summary.by_class.iter().collect();
    out.push_str(&render(group_table("Class", &classes, default_currency)));
    let abc: Vec<&Group> = b.summary.by_abc.iter().collect();
    out.push_str(&render(group_table("ABC", &abc, default_currency)));
    out.push_str(&render(group_table(
        "All",
        &[&b.summary.total],
        default_currency,
    )));
    if per_product {
        let mut t = Table::new(vec![
            Column::new("Product", Align::Left, Cut::Never, 0),
            Column::new("Class", Align::Left, Cut::Never, 2),
            Column::new("ABC", Align::Left, Cut::Never, 2),
            Column::new("Days", Align::Right, Cut::Never, 3),
            Column::new("Start", Align::Right, Cut::Never, 3),
            Column::new("Demand", Align::Right, Cut::Never, 1),
            Column::new("Served", Align::Right, Cut::Never, 1),
            Column::new("Fill", Align::Right, Cut::Never, 0),
            Column::new("Avg stock", Align::Right, Cut::Never, 0),
            Column::new("Value", Align::Right, Cut::Never, 1),
            Column::new("Orders", Align::Right, Cut::Never, 2),
            Column::new("Stock-out days", Align::Right, Cut::Never, 2),
        ]);
        for p in &b.products {
            t.row(vec![
                p.product_id.to_string(),
                p.demand_class.map_or("-", |c| c.as_str()).to_string(),
                p.abc.map_or("-", |c| c.as_str()).to_string(),
                p.days.to_string(),
                fmt_qty(p.start_stock),
                fmt_qty(round2(p.demand)),
                fmt_qty(round2(p.served)),
                percent(p.fill_rate),
                fmt_qty(round2(p.avg_stock)),
                p.avg_stock_value.get().map_or("-".into(), |v| {
                    format!(
                        "{} {}",
                        fmt_money(v),
                        p.currency.as_deref().unwrap_or(default_currency)
                    )
                }),
                p.orders.len().to_string(),
                p.stockout_days.to_string(),
            ]);
        }
        out.push_str(&render(t));
        for p in &b.products {
            let orders: Vec<String> = (p.orders.iter())
                .map(|o| format!("{} {} (arrives {})", o.day, fmt_qty(o.qty), o.arrives))
                .collect();
            let text = match orders.is_empty() {
                true => format!("{}: no order placed", p.product_id),
                false => format!("{}: orders {}", p.product_id, orders.join(", ")),
            };
            out.push_str(&report::wrap_lines(&text, fit));
        }
    }
    // A few by name; JSON lists them all.
    const NAMED: usize = 10;
    for s in b.skipped.iter().take(NAMED) {
        out.push_str(&report::wrap_lines(
            &format!("{}: not replayed: {}", s.product_id, s.reason),
            fit,
        ));
    }
    if b.skipped.len() > NAMED {
        out.push_str(&report::wrap_lines(
            &format!(
                "and {} more products not replayed (--format json lists them)",
                b.skipped.len() - NAMED
            ),
            fit,
        ));
    }
    out
}

const CSV_HEADER: [&str; 15] = [
    "product_id",
    "demand_class",
    "abc_class",
    "days",
    "start_stock",
    "demand",
    "served",
    "fill_rate",
    "avg_stock",
    "avg_stock_value",
    "currency",
    "orders",
    "ordered_qty",
    "stockout_days",
    "rule_errors",
];

/// One row per product; figures unrounded except money (cents).
pub fn write_csv(b: &Backtest, default_currency: &str, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    let q = |v: f64| crate::plan::numbers::round_qty(v).to_string();
    for p in &b.products {
        crate::text::write_csv_record(
            &mut w,
            [
                p.product_id.to_string(),
                p.demand_class.map_or("", |c| c.as_str()).to_string(),
                p.abc.map_or("", |c| c.as_str()).to_string(),
                p.days.to_string(),
                q(p.start_stock),
                q(p.demand),
                q(p.served),
                p.fill_rate.map(|r| r.to_string()).unwrap_or_default(),
                q(p.avg_stock),
                p.avg_stock_value
                    .map(|v| format!("{:.2}", crate::plan::numbers::round_money(v)))
                    .unwrap_or_default(),
                p.currency
                    .as_deref()
                    .unwrap_or(default_currency)
                    .to_string(),
                p.orders.len().to_string(),
                q(p.orders.iter().map(|o| o.qty).sum()),
                p.stockout_days.to_string(),
                p.rule_errors.to_string(),
            ],
        )?;
    }
    w.flush()?;
    Ok(())
}
