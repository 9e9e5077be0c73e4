//! `buyerdesk forecast`: every product's forecast (or the named ones')
//! computed again from its daily history, stored in the purchasing
//! database, and printed: class (ADI, CV^2), method chosen, forecast per
//! day, sigma over the horizon, backtest errors, ABC and XYZ; in JSON with
//! every candidate's backtest.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use super::plan::Format;
use super::report::{self, fit, Column, Table};
use super::stdout;
use crate::config::Config;
use crate::forecast::{Forecast, StoredForecast};
use crate::live;
use crate::plan::numbers::{fmt_qty, fmt_qty_short};
use crate::sources::Sources;

/// Why a product has no forecast (it has no daily history).
pub const NO_HISTORY: &str = "no daily history";

pub async fn run(
    config: &Config,
    products: &[String],
    format: Format,
    fit: &report::Fit,
) -> Result<ExitCode> {
    let rules = live::cli_rules(config).await?;
    let store = crate::store::Store::open(config).await?;
    let sources = Sources::connect(config).await?;
    let show = std::io::stderr().is_terminal();
    let result = live::forecasting::forecast_products(
        config,
        &store,
        &sources,
        &rules,
        products,
        |done, total| {
            if show && total > 0 {
                eprint!(
                    "\rforecasts: {} of {} computed",
                    fmt_qty_short(done as f64),
                    fmt_qty_short(total as f64)
                );
                if done == total {
                    eprintln!();
                }
            }
        },
    )
    .await;
    sources.close().await;
    store.source.close().await;
    let forecasts = result?;
    let out = stdout();
    match format {
        Format::Json => write_json(&forecasts, out)?,
        Format::Csv => write_csv(&forecasts, out)?,
        Format::Table => {
            let mut out = out;
            out.write_all(table(&forecasts, fit).as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

type Forecasts = [(String, Option<Arc<StoredForecast>>)];

/// One product in JSON: its forecast's fields (candidates and path
/// included), the fingerprint it came from, ABC and XYZ; without history,
/// `forecast: null` and why.
#[derive(serde::Serialize)]
struct ForecastJson<'a> {
    product_id: &'a str,
    #[serde(flatten)]
    forecast: Option<&'a Forecast>,
    xyz: Option<&'static str>,
    abc: Option<&'static str>,
    abc_value: Option<f64>,
    currency: Option<&'a str>,
    fingerprint: Option<&'a str>,
    computed_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<&'static str>,
}

fn json_of<'a>(id: &'a str, f: &'a Option<Arc<StoredForecast>>) -> ForecastJson<'a> {
    let s = f.as_deref();
    ForecastJson {
        product_id: id,
        forecast: s.map(|s| &s.forecast),
        xyz: s.and_then(|s| s.forecast.xyz()).map(|x| x.as_str()),
        abc: s.and_then(|s| s.abc).map(|a| a.as_str()),
        abc_value: s.and_then(|s| s.abc_value),
        currency: s.and_then(|s| s.currency.as_deref()),
        fingerprint: s.map(|s| s.fingerprint.as_str()),
        computed_at: s.map(|s| s.computed_at.as_str()),
        missing: s.is_none().then_some(NO_HISTORY),
    }
}

pub fn write_json(forecasts: &Forecasts, out: impl Write) -> Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let items: Vec<ForecastJson> = forecasts.iter().map(|(id, f)| json_of(id, f)).collect();
    serde_json::to_writer_pretty(&mut out, &items)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

const CSV_HEADER: &[&str] = &[
    "product_id",
    "history_days",
    "class",
    "adi",
    "cv2",
    "method",
    "method_label",
    "forecast_daily",
    "sigma_horizon",
    "horizon_days",
    "mae",
    "mase",
    "abc",
    "xyz",
    "note",
];

/// A figure as the table and CSV print it (empty or `-` when unknown).
fn num(v: Option<f64>) -> Option<String> {
    v.filter(|v| v.is_finite())
        .map(|v| fmt_qty((v * 1000.0).round() / 1000.0))
}

/// The cells of one product, in `CSV_HEADER` order (text made printable).
fn cells(id: &str, f: &Option<Arc<StoredForecast>>) -> Vec<Option<String>> {
    let text = |t: &str| Some(fit::printable(t).into_owned());
    let Some(s) = f.as_deref() else {
        let mut row = vec![text(id)];
        row.resize(CSV_HEADER.len() - 1, None);
        row.push(Some(NO_HISTORY.into()));
        return row;
    };
    let f = &s.forecast;
    vec![
        text(id),
        Some(f.history_days.to_string()),
        Some(f.class.as_str().into()),
        num(f.adi),
        num(f.cv2),
        Some(f.method.as_str().into()),
        text(&f.method_label),
        num(Some(f.forecast_daily)),
        num(Some(f.sigma_horizon)),
        Some(f.horizon_days.to_string()),
        num(f.mae),
        num(f.mase),
        s.abc.map(|a| a.as_str().into()),
        f.xyz().map(|x| x.as_str().into()),
        f.note.as_deref().and_then(text),
    ]
}

/// CSV, every cell made safe for a spreadsheet (`crate::text::csv_cell`).
pub fn write_csv(forecasts: &Forecasts, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    for (id, f) in forecasts {
        crate::text::write_csv_record(
            &mut w,
            cells(id, f).into_iter().map(Option::unwrap_or_default),
        )?;
    }
    w.flush()?;
    Ok(())
}

/// The table for people, fitted to the terminal (columns left out by
/// rank: Label, ADI, CV^2, MASE, Days, XYZ first; never the product, the
/// method or the forecast).
pub fn table(forecasts: &Forecasts, fit: &report::Fit) -> String {
    use fit::{Align::*, Cut::*};
    let mut t = Table::new(vec![
        Column::new("Product", Left, Never, 0),
        Column::new("Days", Right, Never, 5),
        Column::new("Class", Left, Never, 0),
        Column::new("ADI", Right, Never, 7),
        Column::new("CV^2", Right, Never, 7),
        Column::new("Method", Left, Ellipsis(16), 0),
        Column::new("Forecast/d", Right, Never, 0),
        Column::new("Sigma(H)", Right, Never, 3),
        Column::new("H", Right, Never, 3),
        Column::new("MAE", Right, Never, 4),
        Column::new("MASE", Right, Never, 6),
        Column::new("ABC", Left, Never, 2),
        Column::new("XYZ", Left, Never, 5),
    ]);
    let dash = || "-".to_string();
    for (id, f) in forecasts {
        let c = cells(id, f);
        let get = |i: usize| c[i].clone().unwrap_or_else(dash);
        let class = match f {
            Some(_) => get(2),
            None => NO_HISTORY.to_string(),
        };
        t.row(vec![
            get(0),
            get(1),
            class,
            get(3),
            get(4),
            get(6),
            get(7),
            get(8),
            get(9),
            get(10),
            get(11),
            get(12),
            get(13),
        ]);
    }
    let rendered = t.render(fit);
    let mut out = rendered.text.clone();
    out.push_str(&rendered.dropped_note(fit));
    out
}
