//! The order management system: `oms_history` (demand) and the optional
//! `oms_daily_demand` table, read as per-product aggregates.

use std::sync::Arc;

use anyhow::Result;

use super::{cell, detect, product_id, select_text, Columns, Source, TableShape};
use crate::config::Config;
use crate::forecast::DailySeries;
use crate::plan::inputs::{HistoryStats, Interner, OmsRow};
use crate::plan::Num;

/// Daily series of many products, read for forecasting.
#[derive(Debug, Clone, Default)]
pub struct HistorySeries {
    /// The last day every series runs to (`YYYY-MM-DD`).
    pub last_day: String,
    /// By product id, sorted.
    pub series: Vec<(Arc<str>, DailySeries)>,
    /// Rows skipped because their day or quantity could not be read.
    pub skipped: usize,
    /// The first skipped row, in words (product, day, what was wrong).
    pub first_skipped: Option<String>,
}

impl HistorySeries {
    /// Builds the series from rows ordered by product then day.
    pub fn from_rows(rows: Vec<(Arc<str>, Option<String>, Num)>, last_day: &str) -> HistorySeries {
        use chrono::NaiveDate;
        let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        let end = parse(last_day);
        let mut out = HistorySeries {
            last_day: last_day.to_string(),
            ..Default::default()
        };
        let skip = |out: &mut HistorySeries, id: &str, day: &str, why: &str| {
            out.skipped += 1;
            if out.first_skipped.is_none() {
                out.first_skipped = Some(format!("{id} {day}: {why}"));
            }
        };
        let mut current: Option<(Arc<str>, NaiveDate, Vec<f64>)> = None;
        let finish = |out: &mut HistorySeries, c: Option<(Arc<str>, NaiveDate, Vec<f64>)>| {
            if let Some((id, first, mut qty)) = c {
                if let Some(end) = end {
                    let len = (end - first).num_days() + 1;
                    if len > qty.len() as i64 {
                        qty.resize(len as usize, 0.0);
                    }
                }
                out.series.push((
                    id,
                    DailySeries {
                        first_day: first.format("%Y-%m-%d").to_string(),
                        qty,
                    },
                ));
            }
        };
        for (id, day, qty) in rows {
            if id.is_empty() {
                continue;
            }
            let day_text = day.unwrap_or_default();
            let Some(date) = parse(&day_text) else {
                skip(&mut out, &id, &day_text, "not a date");
                continue;
            };
            if end.is_some_and(|e| date > e) {
                skip(&mut out, &id, &day_text, "after the history's last day");
                continue;
            }
            let q = match qty {
                Num::Value(v) if v.is_finite() && v >= 0.0 => v,
                Num::Value(_) => {
                    skip(&mut out, &id, &day_text, "negative quantity");
                    continue;
                }
                Num::Null => {
                    skip(&mut out, &id, &day_text, "quantity is NULL");
                    continue;
                }
                _ => {
                    skip(&mut out, &id, &day_text, "quantity is not a number");
                    continue;
                }
            };
            if current.as_ref().is_none_or(|c| c.0 != id) {
                finish(&mut out, current.take());
                current = Some((id.clone(), date, Vec::new()));
            }
            let c = current.as_mut().expect("set above");
            let i = (date - c.1).num_days() as usize;
            if c.2.len() <= i {
                c.2.resize(i + 1, 0.0);
            }
            c.2[i] += q;
        }
        finish(&mut out, current.take());
        out
    }
}

pub const REQUIRED: &[&str] = &["product_id", "avg_daily_demand", "trend"];
pub const OPTIONAL: &[&str] = &["product_name"];
pub const HISTORY_COLUMNS: &[&str] = &["product_id", "day", "qty"];

#[derive(Debug, Clone)]
pub struct OmsSource {
    pub source: Source,
    pub shape: TableShape,
    /// `None` when there is no history table (and no history_query).
    pub history: Option<TableShape>,
}

impl OmsSource {
    pub async fn open(source: Source, _config: &Config) -> Result<OmsSource> {
        let settings = &source.resolved.settings;
        let shape = detect(
            &source,
            "oms_history",
            REQUIRED,
            OPTIONAL,
            settings.query.as_deref(),
        )
        .await?;
        let history = match settings.history_query.as_deref() {
            Some(q) => {
                Some(detect(&source, "oms_daily_demand", HISTORY_COLUMNS, &[], Some(q)).await?)
            }
            None => {
                let cols = source.table_columns("oms_daily_demand").await?;
                if cols.is_empty() {
                    None
                } else {
                    Some(detect(&source, "oms_daily_demand", HISTORY_COLUMNS, &[], None).await?)
                }
            }
        };
        Ok(OmsSource {
            source,
            shape,
            history,
        })
    }

    /// The columns `load` selects.
    fn columns(&self) -> Vec<&'static str> {
        let mut cols = REQUIRED.to_vec();
        cols.extend(self.shape.optional_found.iter().copied());
        cols
    }

    /// What `load(None)` would return, summarised by the database
    /// (`Source::fingerprint`), with the history table's rows when
    /// `with_history`. `None` where it cannot be summarised.
    pub async fn fingerprint(&self, with_history: bool) -> Result<Option<String>> {
        let b = self.source.backend;
        let cols = self.columns();
        let demand = select_text(b, &self.shape, &cols, None);
        let Some(demand) = self.source.fingerprint(&self.shape, &demand, &cols).await? else {
            return Ok(None);
        };
        match (&self.history, with_history) {
            (Some(shape), true) => {
                let sql = select_text(b, shape, HISTORY_COLUMNS, None);
                let history = self
                    .source
                    .fingerprint(shape, &sql, HISTORY_COLUMNS)
                    .await?;
                Ok(history.map(|h| format!("{demand} history {h}")))
            }
            _ => Ok(Some(demand)),
        }
    }

    pub async fn load(&self, filter: Option<&[String]>) -> Result<Vec<OmsRow>> {
        let cols = self.columns();
        let sql = select_text(self.source.backend, &self.shape, &cols, filter);
        let c = Columns(cols);
        let name = c.index("product_name");
        let mut texts = Interner::default();
        Ok(self
            .source
            .fetch_map(&sql, filter.unwrap_or(&[]), |r| OmsRow {
                product_id: product_id(r),
                avg_daily_demand: Num::parse(cell(r, 1)),
                trend: cell(r, 2).map(|t| texts.get(t.trim())),
                product_name: name.and_then(|i| cell(r, i)).map(Into::into),
            })
            .await?
            .into_iter()
            .filter(|r| !r.product_id.is_empty())
            .collect())
    }

    /// The last `days` days of demand of one product, oldest first (empty
    /// without the history table).
    pub async fn daily_demand(&self, product: &str, days: u32) -> Result<Vec<(String, f64)>> {
        let Some(shape) = &self.history else {
            return Ok(Vec::new());
        };
        let b = self.source.backend;
        let sql = format!(
            "SELECT {} AS day, {} AS qty FROM {} WHERE TRIM({}) = {} ORDER BY day DESC LIMIT {days}",
            b.as_text("day"),
            b.as_text("qty"),
            shape.from,
            b.as_text("product_id"),
            b.placeholder(1)
        );
        let mut rows = self
            .source
            .fetch_map(&sql, &[product.trim().to_string()], |r| {
                let day = cell(r, 0).unwrap_or("").to_string();
                let qty = match Num::parse(cell(r, 1)) {
                    Num::Value(v) => v,
                    _ => f64::NAN,
                };
                (day, qty)
            })
            .await?;
        rows.reverse();
        Ok(rows)
    }

    /// The daily series of the products in `ids` (all products when
    /// `None`), for forecasting: one query ordered by product and day, each
    /// series running from the product's first day to `last_day` (the
    /// whole table's last day), missing days as zero sales and several
    /// rows of one day summed. `None` without the history table. Rows whose
    /// day or quantity cannot be read are skipped and counted in
    /// `HistorySeries::skipped`, with the first of them described.
    pub async fn load_series(
        &self,
        ids: Option<&[String]>,
        last_day: &str,
    ) -> Result<Option<HistorySeries>> {
        let Some(shape) = &self.history else {
            return Ok(None);
        };
        let b = self.source.backend;
        let t = |e: &str| b.as_text(e);
        let mut sql = format!(
            "SELECT {} AS product_id, {} AS day, {} AS qty FROM {}",
            t("product_id"),
            t("day"),
            t("qty"),
            shape.from
        );
        if let Some(ids) = ids {
            let ph: Vec<String> = (1..=ids.len()).map(|n| b.placeholder(n)).collect();
            sql.push_str(&format!(
                " WHERE TRIM({}) IN ({})",
                t("product_id"),
                ph.join(", ")
            ));
        }
        sql.push_str(" ORDER BY 1, 2");
        let rows = self
            .source
            .fetch_map(&sql, ids.unwrap_or(&[]), |r| {
                (
                    product_id(r),
                    cell(r, 1).map(|d| d.chars().take(10).collect::<String>()),
                    Num::parse(cell(r, 2)),
                )
            })
            .await?;
        Ok(Some(HistorySeries::from_rows(rows, last_day)))
    }

    /// Count, sum and sum of squares of daily demand per product, computed
    /// by the database (one row per product instead of one per day).
    pub async fn load_history(
        &self,
        filter: Option<&[String]>,
    ) -> Result<Option<Vec<HistoryStats>>> {
        let Some(shape) = &self.history else {
            return Ok(None);
        };
        let b = self.source.backend;
        let t = |e: &str| b.as_text(e);
        let mut sql = format!(
            "SELECT {} AS product_id, {} AS days, {} AS sum_qty, {} AS sum_sq, {} AS first_day, {} AS last_day FROM {}",
            t("product_id"),
            t("COUNT(qty)"),
            t("SUM(qty)"),
            t("SUM(qty * qty)"),
            t("MIN(day)"),
            t("MAX(day)"),
            shape.from
        );
        if let Some(ids) = filter {
            let ph: Vec<String> = (1..=ids.len()).map(|n| b.placeholder(n)).collect();
            sql.push_str(&format!(
                " WHERE TRIM({}) IN ({})",
                t("product_id"),
                ph.join(", ")
            ));
        }
        sql.push_str(" GROUP BY product_id");
        // Dates: the first 10 characters (YYYY-MM-DD), shared by the rows.
        let mut days = Interner::default();
        let mut day =
            |d: &str| days.get(&d[..d.char_indices().nth(10).map_or(d.len(), |(i, _)| i)]);
        Ok(Some(
            self.source
                .fetch_map(&sql, filter.unwrap_or(&[]), |r| HistoryStats {
                    product_id: product_id(r),
                    days: Num::parse(cell(r, 1)),
                    sum_qty: Num::parse(cell(r, 2)),
                    sum_sq_qty: Num::parse(cell(r, 3)),
                    first_day: cell(r, 4).map(&mut day),
                    last_day: cell(r, 5).map(&mut day),
                })
                .await?,
        ))
    }
}
