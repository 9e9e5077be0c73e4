//! Inventory: `inventory`, one row per product and warehouse location.
//! Where the table has `updated_at` (PostgreSQL and MySQL/MariaDB), a
//! refresh can read only the products whose rows changed since the last
//! read (`load_changed_since`), compared on the database's own clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Result;

use super::{
    cell, detect, id_filter, product_id, select_text, Backend, Columns, Source, TableShape,
};
use crate::plan::inputs::{Interner, InventoryRow};
use crate::plan::Num;

pub const REQUIRED: &[&str] = &[
    "product_id",
    "available_qty",
    "reserved_qty",
    "warehouse_location",
];
pub const OPTIONAL: &[&str] = &["on_order_qty", "safety_stock", "updated_at"];

/// Rows stamped this long before the last read's clock are read again: a
/// transaction that stamped its rows before that read but committed after
/// it is still seen (writers whose transactions last longer are caught by
/// the periodic full reload).
pub const CHANGED_MARGIN_SECS: u32 = 60;

#[derive(Debug, Clone)]
pub struct InventorySource {
    pub source: Source,
    pub shape: TableShape,
    /// Whether the last whole read held a product id with spaces around
    /// it (or there was none yet): the changed-rows read then compares
    /// every row's trimmed id (see `load_changed_since`).
    padded_ids: Arc<AtomicBool>,
}

impl InventorySource {
    pub async fn open(source: Source) -> Result<InventorySource> {
        let shape = detect(
            &source,
            "inventory",
            REQUIRED,
            OPTIONAL,
            source.resolved.settings.query.as_deref(),
        )
        .await?;
        Ok(InventorySource {
            source,
            shape,
            padded_ids: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Whether rows can be read by their `updated_at`: the column is there
    /// and the backend has a timestamp type (SQLite keeps text in whatever
    /// format its writers chose, which does not compare safely).
    pub fn reads_changed_rows(&self) -> bool {
        self.shape.has("updated_at") && self.source.backend != Backend::Sqlite
    }

    /// The database's clock now, as text: what the next
    /// `load_changed_since` compares `updated_at` with (the workstation's
    /// clock may differ from the server's).
    pub async fn clock(&self) -> Result<String> {
        let sql = match self.source.backend {
            Backend::MySql => "SELECT CAST(NOW(6) AS CHAR)",
            _ => "SELECT CAST(LOCALTIMESTAMP AS TEXT)",
        };
        let rows = self.source.fetch_text(sql, &[]).await?;
        rows.into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .ok_or_else(|| anyhow::anyhow!("{}: no clock", self.source.label()))
    }

    /// Every row of the products that have a row stamped at or after
    /// `since` (a `clock()` reading) minus `CHANGED_MARGIN_SECS`: all of a
    /// changed product's rows, so that its other locations stay; and the
    /// products with unstamped rows (NULL: a writer that does not keep the
    /// column), read every time. Rows changed without a new `updated_at`,
    /// and deleted rows, are not seen: a full `load` covers them.
    ///
    /// On PostgreSQL, when the last whole read held no product id with
    /// spaces around it, a changed product's other rows carry its trimmed
    /// id as stored (a row written since with spaces is itself a changed
    /// row): they are found by their id as it is, which spares trimming
    /// every row's id (a third of the query's time). Otherwise, and on
    /// MySQL/MariaDB, every row's trimmed id is compared.
    pub async fn load_changed_since(&self, since: &str) -> Result<Vec<InventoryRow>> {
        let backend = self.source.backend;
        let since_sql = match backend {
            Backend::MySql => {
                format!("CAST(? AS DATETIME(6)) - INTERVAL {CHANGED_MARGIN_SECS} SECOND")
            }
            // A subquery, so that the text is read as a time once, not
            // for every row (it was two thirds of the query's time).
            _ => {
                format!("(SELECT CAST($1 AS TIMESTAMP) - INTERVAL '{CHANGED_MARGIN_SECS} seconds')")
            }
        };
        let inner_from = match self.source.resolved.settings.query.as_deref() {
            Some(q) => format!("({q}) AS changed"),
            None => self.shape.table.to_string(),
        };
        let stored = backend.as_text("product_id");
        let id = format!("TRIM({stored})");
        let changed = format!("updated_at >= {since_sql} OR updated_at IS NULL");
        let as_stored = backend == Backend::Postgres && !self.padded_ids.load(Ordering::Relaxed);
        let filter = match as_stored {
            true => format!(
                " WHERE {changed} OR {stored} IN (SELECT {id} FROM {inner_from} WHERE {changed})"
            ),
            false => format!(" WHERE {id} IN (SELECT {id} FROM {inner_from} WHERE {changed})"),
        };
        let (rows, _) = self.read(Some(filter), &[since.to_string()]).await?;
        Ok(rows)
    }

    pub async fn load(&self, filter: Option<&[String]>) -> Result<Vec<InventoryRow>> {
        match filter {
            None => {
                let (rows, padded) = self.read(None, &[]).await?;
                self.padded_ids.store(padded, Ordering::Relaxed);
                Ok(rows)
            }
            Some(ids) => {
                let clause = id_filter(self.source.backend, ids.len());
                Ok(self.read(Some(clause), ids).await?.0)
            }
        }
    }

    /// The columns `load` selects.
    fn columns(&self) -> Vec<&'static str> {
        let mut cols = REQUIRED.to_vec();
        cols.extend(self.shape.optional_found.iter().copied());
        cols
    }

    /// What `load(None)` would return, summarised by the database
    /// (`Source::fingerprint`); `None` where it cannot be.
    pub async fn fingerprint(&self) -> Result<Option<String>> {
        let cols = self.columns();
        let sql = select_text(self.source.backend, &self.shape, &cols, None);
        self.source.fingerprint(&self.shape, &sql, &cols).await
    }

    /// The rows of the SELECT with `clause` (WHERE ...) and its binds, and
    /// whether a product id among them has spaces around it.
    async fn read(
        &self,
        clause: Option<String>,
        binds: &[String],
    ) -> Result<(Vec<InventoryRow>, bool)> {
        let cols = self.columns();
        let mut sql = select_text(self.source.backend, &self.shape, &cols, None);
        if let Some(clause) = clause {
            sql.push_str(&clause);
        }
        let c = Columns(cols);
        let (on_order, safety, updated) = (
            c.index("on_order_qty"),
            c.index("safety_stock"),
            c.index("updated_at"),
        );
        let mut texts = Interner::default();
        let mut padded = false;
        let rows = self
            .source
            .fetch_map(&sql, binds, |r| InventoryRow {
                product_id: {
                    let id = product_id(r);
                    padded |= cell(r, 0).is_some_and(|raw| raw.len() != id.len());
                    id
                },
                available_qty: Num::parse(cell(r, 1)),
                reserved_qty: Num::parse(cell(r, 2)),
                warehouse_location: cell(r, 3).map(|t| texts.get(t)),
                on_order_qty: on_order.map(|i| Num::parse(cell(r, i))),
                safety_stock: safety.map(|i| Num::parse(cell(r, i))),
                updated_at: updated.and_then(|i| cell(r, i)).map(|t| texts.get(t)),
            })
            .await?
            .into_iter()
            .filter(|r| !r.product_id.is_empty())
            .collect();
        Ok((rows, padded))
    }
}
