//! The order management system: `oms_history` (demand) and the optional
//! `oms_daily_demand` table, read as per-product aggregates.

use anyhow::Result;

use super::{cell, detect, product_id, select_text, Backend, Columns, Source, TableShape};
use crate::config::Config;
use crate::plan::inputs::{HistoryStats, Interner, OmsRow};
use crate::plan::Num;

mod series;
pub use series::{parse_day, HistorySeries, SeriesBuilder};

/// Product ids bound in one history query at most: SQLite allows 32,766
/// parameters, PostgreSQL and MySQL 65,535; larger filters are read in
/// several queries.
pub const MAX_IDS_PER_QUERY: usize = 10_000;

/// Runs a history query (id, day, qty as text), its rows into `builder`
/// as they stream in.
async fn read_series(
    source: &Source,
    sql: &str,
    binds: &[String],
    builder: &mut SeriesBuilder,
) -> Result<()> {
    source
        .fetch_map(sql, binds, |r| {
            builder.push(cell(r, 0), cell(r, 1), cell(r, 2));
        })
        .await?;
    Ok(())
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

    /// The last day of the history table (`MAX(day)`, as `YYYY-MM-DD`), at
    /// most `not_after` when given (a mistyped day in the future does not
    /// stretch every series): the `last_day` of `load_series`. `None`
    /// without the history table or without a readable day in it. Cheap
    /// where `day` is indexed and the plain maximum is a readable day no
    /// later than `not_after`; else one scan for the latest well-formed day.
    pub async fn history_last_day(&self, not_after: Option<&str>) -> Result<Option<String>> {
        let Some(shape) = &self.history else {
            return Ok(None);
        };
        let b = self.source.backend;
        let cap = not_after.and_then(parse_day);
        let fits = |text: Option<&str>| {
            let text = text?;
            let day = parse_day(text)?;
            cap.is_none_or(|c| day <= c)
                .then(|| text.trim()[..10].to_string())
        };
        let plain = format!("SELECT {} FROM {}", b.as_text("MAX(day)"), shape.from);
        let max = self.source.fetch_text(&plain, &[]).await?;
        if let Some(day) = fits(max.first().and_then(|r| r[0].as_deref())) {
            return Ok(Some(day));
        }
        // The text of a day sorts as the day when it is well formed; the
        // cap (bound) also leaves out texts that are no day ("n/a").
        let day = format!("SUBSTR({}, 1, 10)", b.as_text("day"));
        let sql = format!(
            "SELECT MAX(d) FROM (SELECT {day} AS d FROM {}) AS days WHERE d >= {} AND d <= {}",
            shape.from,
            b.placeholder(1),
            b.placeholder(2)
        );
        let high = not_after.map_or("9999-12-31".to_string(), |n| n.trim().to_string());
        let max = self
            .source
            .fetch_text(&sql, &["0001-01-01".to_string(), high])
            .await?;
        Ok(fits(max.first().and_then(|r| r[0].as_deref())))
    }

    /// The daily series of the products in `ids` (all products when
    /// `None`), for forecasting, each running from the product's first day
    /// to `last_day` (`history_last_day`; empty: the latest day read, which
    /// for a whole table is its last day), missing days as zero sales and
    /// several rows of one day summed (`SeriesBuilder`). `None` without the
    /// history table. Rows whose id, day or quantity cannot be read, or
    /// whose day is after `last_day`, are skipped and counted in
    /// `HistorySeries::skipped`, the first of them described. The ids are
    /// bound parameters, `MAX_IDS_PER_QUERY` a query.
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
        let select = format!(
            "SELECT {}, {}, {} FROM {}",
            t("product_id"),
            t("day"),
            t("qty"),
            shape.from
        );
        let mut builder = SeriesBuilder::new(last_day);
        let source = &self.source;
        match ids {
            None => read_series(source, &select, &[], &mut builder).await?,
            Some(ids) => {
                let mut ids: Vec<String> = ids.iter().map(|i| i.trim().to_string()).collect();
                ids.sort_unstable();
                ids.dedup();
                for chunk in ids.chunks(MAX_IDS_PER_QUERY) {
                    let sql = format!("{select}{}", super::id_filter(b, chunk.len()));
                    read_series(source, &sql, chunk, &mut builder).await?;
                }
            }
        }
        Ok(Some(builder.finish()))
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
        // A sale: a quantity above 0 as SUM reads it. SQLite would compare
        // a text column with 0 as text ('x7' > '0'): there it is made a
        // number first. Elsewhere the plain comparison: `qty * 1` cost
        // PostgreSQL 19% of this query on a NUMERIC column (BENCHMARKS.md).
        let sold = match b {
            Backend::Sqlite => "qty + 0 > 0",
            _ => "qty > 0",
        };
        let mut sql = format!(
            "SELECT {} AS product_id, {} AS days, {} AS sum_qty, {} AS sum_sq, {} AS first_day, {} AS last_day, {} AS last_sale_day FROM {}",
            t("product_id"),
            t("COUNT(qty)"),
            t("SUM(qty)"),
            t("SUM(qty * qty)"),
            t("MIN(day)"),
            t("MAX(day)"),
            t(&format!("MAX(CASE WHEN {sold} THEN day END)")),
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
                    last_sale_day: cell(r, 6).map(&mut day),
                })
                .await?,
        ))
    }
}
