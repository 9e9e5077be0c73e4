//! The forecasts kept in the purchasing database (table `forecasts`,
//! migration 9): one row per product, with the fingerprint of the history
//! and horizon it came from (DOMAIN.md section 5). Written in batches by
//! the live task's forecaster and by `buyerdesk forecast`; read by the
//! screen's plans and by `plan` (which never compute them).
//!
//! A product that no source lists any more keeps its row: it is never
//! read into a plan (plans look forecasts up by the products they plan),
//! and it is current again if the product comes back with the same
//! history.

use std::collections::HashMap;
use std::sync::Arc;

use super::Store;
use crate::forecast::{Abc, Forecast, StoredForecast};
use crate::sources::Backend;
use anyhow::{anyhow, bail, Context, Result};

/// Rows written per INSERT (21 parameters each: well under every
/// backend's limit on bound parameters).
pub const WRITE_CHUNK: usize = 200;
/// Ids asked per query when some products' forecasts are read.
pub const READ_CHUNK: usize = 500;

/// One product's ABC class as ranked across its currency's products.
#[derive(Debug, Clone, PartialEq)]
pub struct AbcClass {
    pub product_id: String,
    pub abc: Option<Abc>,
    /// The yearly consumption value ranked (yearly_qty x unit price).
    pub value: Option<f64>,
    pub currency: Option<String>,
}

const COLUMNS: &[&str] = &[
    "product_id",
    "fingerprint",
    "horizon_days",
    "computed_at",
    "demand_class",
    "method",
    "method_label",
    "forecast_daily",
    "sigma_horizon",
    "mae",
    "mase",
    "history_days",
    "origins",
    "weekly_cv",
    "yearly_qty",
    "adi",
    "cv2",
    "abc_class",
    "abc_value",
    "currency",
    "detail",
];

/// The columns holding a float (read with all their digits).
const REAL_COLUMNS: &[&str] = &[
    "forecast_daily",
    "sigma_horizon",
    "mae",
    "mase",
    "weekly_cv",
    "yearly_qty",
    "adi",
    "cv2",
    "abc_value",
];

const INT_COLUMNS: &[&str] = &["horizon_days", "history_days", "origins"];

/// A column read as text.
fn read_expr(b: Backend, column: &str) -> String {
    b.as_text(column)
}

/// A bind placeholder for `column` at position `n`: PostgreSQL is told
/// the type (text parameters are not converted for it).
fn write_expr(b: Backend, column: &str, n: usize) -> String {
    match b {
        Backend::Postgres if REAL_COLUMNS.contains(&column) => {
            format!("CAST(${n} AS DOUBLE PRECISION)")
        }
        Backend::Postgres if INT_COLUMNS.contains(&column) => format!("CAST(${n} AS INTEGER)"),
        _ => b.placeholder(n),
    }
}

fn real(v: Option<f64>) -> Option<String> {
    v.filter(|v| v.is_finite()).map(|v| v.to_string())
}

/// The row of one stored forecast, in `COLUMNS` order; an error naming the
/// product when a figure that must be a number is not.
fn row_of(id: &str, s: &StoredForecast) -> Result<Vec<Option<String>>> {
    let f = &s.forecast;
    for (name, v) in [
        ("forecast_daily", f.forecast_daily),
        ("sigma_horizon", f.sigma_horizon),
        ("yearly_qty", f.yearly_qty),
    ] {
        if !v.is_finite() {
            bail!("{id}: the forecast's {name} is {v}, not a number: not stored");
        }
    }
    let detail = serde_json::to_string(f)?;
    Ok(vec![
        Some(id.to_string()),
        Some(s.fingerprint.clone()),
        Some(f.horizon_days.to_string()),
        Some(s.computed_at.clone()),
        Some(f.class.as_str().to_string()),
        Some(f.method.as_str().to_string()),
        Some(f.method_label.clone()),
        real(Some(f.forecast_daily)),
        real(Some(f.sigma_horizon)),
        real(f.mae),
        real(f.mase),
        Some(f.history_days.to_string()),
        Some(f.origins.to_string()),
        real(f.weekly_cv),
        real(Some(f.yearly_qty)),
        real(f.adi),
        real(f.cv2),
        s.abc.map(|a| a.as_str().to_string()),
        real(s.abc_value),
        s.currency.clone(),
        Some(detail),
    ])
}

fn parse_abc(s: &str) -> Option<Abc> {
    match s {
        "A" => Some(Abc::A),
        "B" => Some(Abc::B),
        "C" => Some(Abc::C),
        _ => None,
    }
}

/// A stored forecast from its row (`COLUMNS` order): the forecast from
/// `detail` (every figure exactly as computed: a float printed by a
/// database may lose its last digits), the ABC class from its columns.
fn from_row(row: Vec<Option<String>>) -> Result<(String, StoredForecast)> {
    let get = |i: usize| row.get(i).cloned().flatten();
    let id = get(0).ok_or_else(|| anyhow!("a forecast row without a product id"))?;
    let need = |i: usize| get(i).ok_or_else(|| anyhow!("{id}: {} is NULL", COLUMNS[i]));
    let forecast: Forecast = serde_json::from_str(&need(20)?).with_context(|| {
        format!("{id}: the forecast's detail is not the JSON it was written as")
    })?;
    let abc_value = get(18)
        .map(|t| (t.trim().parse::<f64>()).with_context(|| format!("{id}: abc_value is {t:?}")))
        .transpose()?;
    Ok((
        id.clone(),
        StoredForecast {
            forecast,
            fingerprint: need(1)?,
            abc: get(17).as_deref().and_then(parse_abc),
            abc_value,
            currency: get(19),
            computed_at: need(3)?,
        },
    ))
}

/// `YYYY-MM-DD HH:MM:SS`, UTC: when a forecast was computed.
pub fn computed_now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Store {
    fn forecast_select(&self) -> String {
        let b = self.source.backend;
        let cols: Vec<String> = COLUMNS.iter().map(|c| read_expr(b, c)).collect();
        format!("SELECT {} FROM forecasts", cols.join(", "))
    }

    /// Every stored forecast, by product id.
    ///
    /// The scalar columns are for people and queries; `detail` holds the
    /// whole forecast as JSON and is what is read back.
    pub async fn forecasts(&self) -> Result<HashMap<String, Arc<StoredForecast>>> {
        let rows = self.source.fetch_text(&self.forecast_select(), &[]).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let (id, f) = from_row(row)?;
            out.insert(id, Arc::new(f));
        }
        Ok(out)
    }

    /// The stored forecasts of `ids` (those that have one), by product id.
    pub async fn forecasts_of(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Arc<StoredForecast>>> {
        let b = self.source.backend;
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(READ_CHUNK) {
            let ph: Vec<String> = (1..=chunk.len()).map(|n| b.placeholder(n)).collect();
            let sql = format!(
                "{} WHERE product_id IN ({})",
                self.forecast_select(),
                ph.join(", ")
            );
            for row in self.source.fetch_text(&sql, chunk).await? {
                let (id, f) = from_row(row)?;
                out.insert(id, Arc::new(f));
            }
        }
        Ok(out)
    }

    /// Stores a batch of forecasts in one transaction, each replacing the
    /// product's row (written `WRITE_CHUNK` rows a statement). A forecast
    /// whose figures are not numbers refuses the whole batch, naming it.
    pub async fn save_forecasts(&self, batch: &[(String, StoredForecast)]) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let rows = batch
            .iter()
            .map(|(id, f)| row_of(id, f))
            .collect::<Result<Vec<_>>>()?;
        let b = self.source.backend;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let mut tx = self.source.begin().await?;
                for (chunk, ids) in rows.chunks(WRITE_CHUNK).zip(batch.chunks(WRITE_CHUNK)) {
                    let ph: Vec<String> = (1..=ids.len()).map(|n| b.placeholder(n)).collect();
                    let binds: Vec<Option<String>> =
                        ids.iter().map(|(id, _)| Some(id.clone())).collect();
                    tx.exec(
                        &format!(
                            "DELETE FROM forecasts WHERE product_id IN ({})",
                            ph.join(", ")
                        ),
                        &binds,
                    )
                    .await?;
                    let mut n = 0;
                    let values: Vec<String> = chunk
                        .iter()
                        .map(|_| {
                            let cells: Vec<String> = COLUMNS
                                .iter()
                                .map(|c| {
                                    n += 1;
                                    write_expr(b, c, n)
                                })
                                .collect();
                            format!("({})", cells.join(", "))
                        })
                        .collect();
                    let sql = format!(
                        "INSERT INTO forecasts ({}) VALUES {}",
                        COLUMNS.join(", "),
                        values.join(", ")
                    );
                    let binds: Vec<Option<String>> = chunk.iter().flatten().cloned().collect();
                    tx.exec(&sql, &binds).await?;
                }
                tx.commit().await
            }
            .await;
            match result {
                // Two workstations storing the same products at once.
                Err(e) if attempt < 3 && (super::is_contention(&e) || is_duplicate(&e)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                r => return r.context("storing forecasts"),
            }
        }
    }

    /// Sets the ABC classes (with the value ranked and its currency) of
    /// the products named, in one transaction, `ABC_CHUNK` products a
    /// statement (one UPDATE joined to the chunk's values; parameterised).
    /// Products without a stored forecast are passed over.
    pub async fn set_abc_classes(&self, classes: &[AbcClass]) -> Result<()> {
        if classes.is_empty() {
            return Ok(());
        }
        let b = self.source.backend;
        let mut tx = self.source.begin().await?;
        for chunk in classes.chunks(ABC_CHUNK) {
            let binds: Vec<Option<String>> = chunk.iter().flat_map(abc_binds).collect();
            tx.exec(&abc_update_sql(b, chunk.len()), &binds).await?;
        }
        tx.commit().await.context("storing ABC classes")
    }

    /// `set_abc_classes` as it was: one UPDATE per product. Kept for the
    /// benchmark that compares the two (docs/BENCHMARKS.md) and as the
    /// tests' reference for what the batched one must leave.
    #[doc(hidden)]
    pub async fn set_abc_classes_one_by_one(&self, classes: &[AbcClass]) -> Result<()> {
        if classes.is_empty() {
            return Ok(());
        }
        let b = self.source.backend;
        let sql = format!(
            "UPDATE forecasts SET abc_class = {}, abc_value = {}, currency = {} WHERE product_id = {}",
            write_expr(b, "abc_class", 1),
            write_expr(b, "abc_value", 2),
            write_expr(b, "currency", 3),
            write_expr(b, "product_id", 4)
        );
        let mut tx = self.source.begin().await?;
        for c in classes {
            let [id, abc, value, currency] = abc_binds(c);
            tx.exec(&sql, &[abc, value, currency, id]).await?;
        }
        tx.commit().await.context("storing ABC classes")
    }
}

/// Products whose ABC class one statement sets (4 parameters each: 2,000
/// a statement, under every backend's limit).
pub const ABC_CHUNK: usize = 500;

/// One product's binds for the ABC update: id, class, value, currency.
fn abc_binds(c: &AbcClass) -> [Option<String>; 4] {
    [
        Some(c.product_id.clone()),
        c.abc.map(|a| a.as_str().to_string()),
        real(c.value),
        c.currency.clone(),
    ]
}

/// The UPDATE that sets the ABC classes of `rows` products, joined to their
/// values (binds: `abc_binds` of each, in order): a VALUES list on
/// PostgreSQL and SQLite (3.33 and later: UPDATE ... FROM), a derived table
/// of SELECTs on MySQL and MariaDB (which spell table values differently).
fn abc_update_sql(b: Backend, rows: usize) -> String {
    let mut n = 0;
    let mut next = |column: &str| {
        n += 1;
        write_expr(b, column, n)
    };
    let mut tuples = Vec::with_capacity(rows);
    for _ in 0..rows {
        let cells = [
            next("product_id"),
            next("abc_class"),
            next("abc_value"),
            next("currency"),
        ];
        tuples.push(cells);
    }
    match b {
        Backend::Postgres => format!(
            "UPDATE forecasts SET abc_class = v.abc, abc_value = v.val, currency = v.cur \
             FROM (VALUES {}) AS v(id, abc, val, cur) WHERE forecasts.product_id = v.id",
            tuples
                .iter()
                .map(|c| format!("({})", c.join(", ")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Backend::Sqlite => format!(
            "UPDATE forecasts SET abc_class = v.column2, abc_value = v.column3, currency = v.column4 \
             FROM (VALUES {}) AS v WHERE forecasts.product_id = v.column1",
            tuples
                .iter()
                .map(|c| format!("({})", c.join(", ")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Backend::MySql => format!(
            "UPDATE forecasts JOIN ({}) AS v ON forecasts.product_id = v.id \
             SET forecasts.abc_class = v.abc, forecasts.abc_value = v.val, forecasts.currency = v.cur",
            tuples
                .iter()
                .enumerate()
                .map(|(i, c)| match i {
                    0 => format!(
                        "SELECT {} AS id, {} AS abc, {} AS val, {} AS cur",
                        c[0], c[1], c[2], c[3]
                    ),
                    _ => format!("SELECT {}", c.join(", ")),
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        ),
    }
}

fn is_duplicate(e: &anyhow::Error) -> bool {
    let t = format!("{e:#}").to_ascii_lowercase();
    t.contains("duplicate") || t.contains("unique")
}
