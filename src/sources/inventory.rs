//! Inventory: `inventory`, one row per product and warehouse location.

use anyhow::Result;

use super::{cell, detect, product_id, select_text, Columns, Source, TableShape};
use crate::plan::inputs::InventoryRow;
use crate::plan::Num;

pub const REQUIRED: &[&str] = &[
    "product_id",
    "available_qty",
    "reserved_qty",
    "warehouse_location",
];
pub const OPTIONAL: &[&str] = &["on_order_qty", "safety_stock", "updated_at"];

#[derive(Debug, Clone)]
pub struct InventorySource {
    pub source: Source,
    pub shape: TableShape,
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
        Ok(InventorySource { source, shape })
    }

    pub async fn load(&self, filter: Option<&[String]>) -> Result<Vec<InventoryRow>> {
        let mut cols = REQUIRED.to_vec();
        cols.extend(self.shape.optional_found.iter().copied());
        let sql = select_text(self.source.backend, &self.shape, &cols, filter);
        let c = Columns(cols);
        let (on_order, safety, updated) = (
            c.index("on_order_qty"),
            c.index("safety_stock"),
            c.index("updated_at"),
        );
        Ok(self
            .source
            .fetch_map(&sql, filter.unwrap_or(&[]), |r| InventoryRow {
                product_id: product_id(r),
                available_qty: Num::parse(cell(r, 1)),
                reserved_qty: Num::parse(cell(r, 2)),
                warehouse_location: cell(r, 3).map(str::to_string),
                on_order_qty: on_order.map(|i| Num::parse(cell(r, i))),
                safety_stock: safety.map(|i| Num::parse(cell(r, i))),
                updated_at: updated.and_then(|i| cell(r, i)).map(str::to_string),
            })
            .await?
            .into_iter()
            .filter(|r| !r.product_id.is_empty())
            .collect())
    }
}
