//! Supplier management: `suppliers`, one or more rows per product.

use anyhow::Result;

use super::{cell, detect, product_id, select_text, Columns, Source, TableShape};
use crate::plan::inputs::{Interner, SupplierRow};
use crate::plan::Num;

pub const REQUIRED: &[&str] = &[
    "product_id",
    "supplier_name",
    "unit_price",
    "moq",
    "lead_time",
];
pub const OPTIONAL: &[&str] = &[
    "supplier_id",
    "order_multiple",
    "is_active",
    "review_period_days",
    "currency",
];

#[derive(Debug, Clone)]
pub struct SupplierSource {
    pub source: Source,
    pub shape: TableShape,
}

impl SupplierSource {
    pub async fn open(source: Source) -> Result<SupplierSource> {
        let shape = detect(
            &source,
            "suppliers",
            REQUIRED,
            OPTIONAL,
            source.resolved.settings.query.as_deref(),
        )
        .await?;
        Ok(SupplierSource { source, shape })
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

    pub async fn load(&self, filter: Option<&[String]>) -> Result<Vec<SupplierRow>> {
        let cols = self.columns();
        let sql = select_text(self.source.backend, &self.shape, &cols, filter);
        let c = Columns(cols);
        let idx = |n: &str| c.index(n);
        let (sid, mult, active, review, cur) = (
            idx("supplier_id"),
            idx("order_multiple"),
            idx("is_active"),
            idx("review_period_days"),
            idx("currency"),
        );
        let mut texts = Interner::default();
        Ok(self
            .source
            .fetch_map(&sql, filter.unwrap_or(&[]), |r| SupplierRow {
                product_id: product_id(r),
                supplier_name: cell(r, 1).map(|s| texts.get(s.trim())),
                unit_price: Num::parse(cell(r, 2)),
                moq: Num::parse(cell(r, 3)),
                lead_time: Num::parse(cell(r, 4)),
                supplier_id: sid.and_then(|i| cell(r, i)).map(|s| texts.get(s.trim())),
                order_multiple: mult.map(|i| Num::parse(cell(r, i))),
                is_active: active.map(|i| cell(r, i).map(|s| texts.get(s))),
                review_period_days: review.map(|i| Num::parse(cell(r, i))),
                currency: cur.and_then(|i| cell(r, i)).map(|s| texts.get(s.trim())),
            })
            .await?
            .into_iter()
            .filter(|r| !r.product_id.is_empty())
            .collect())
    }
}
