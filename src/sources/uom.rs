//! Units of measure: `uom_conversions` (stock unit -> purchase unit).

use anyhow::Result;

use super::{cell, detect, product_id, select_text, Source, TableShape};
use crate::plan::inputs::{Interner, UomRow};
use crate::plan::Num;

pub const REQUIRED: &[&str] = &["product_id", "from_uom", "to_uom", "conversion_factor"];

#[derive(Debug, Clone)]
pub struct UomSource {
    pub source: Source,
    pub shape: TableShape,
}

impl UomSource {
    pub async fn open(source: Source) -> Result<UomSource> {
        let shape = detect(
            &source,
            "uom_conversions",
            REQUIRED,
            &[],
            source.resolved.settings.query.as_deref(),
        )
        .await?;
        Ok(UomSource { source, shape })
    }

    /// What `load(None)` would return, summarised by the database
    /// (`Source::fingerprint`); `None` where it cannot be.
    pub async fn fingerprint(&self) -> Result<Option<String>> {
        let sql = select_text(self.source.backend, &self.shape, REQUIRED, None);
        self.source.fingerprint(&self.shape, &sql, REQUIRED).await
    }

    pub async fn load(&self, filter: Option<&[String]>) -> Result<Vec<UomRow>> {
        let sql = select_text(self.source.backend, &self.shape, REQUIRED, filter);
        let mut texts = Interner::default();
        let mut out: Vec<UomRow> = self
            .source
            .fetch_map(&sql, filter.unwrap_or(&[]), |r| UomRow {
                product_id: product_id(r),
                from_uom: cell(r, 1).map(|s| texts.get(s.trim())),
                to_uom: cell(r, 2).map(|s| texts.get(s.trim())),
                conversion_factor: Num::parse(cell(r, 3)),
            })
            .await?
            .into_iter()
            .filter(|r| !r.product_id.is_empty())
            .collect();
        // Several rows for one product: the plan uses the first, so make
        // "first" the same on every backend.
        out.sort_by(|a, b| {
            (&a.product_id, &a.from_uom, &a.to_uom).cmp(&(&b.product_id, &b.from_uom, &b.to_uom))
        });
        Ok(out)
    }
}
