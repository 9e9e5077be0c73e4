//! Daily series of many products built from `oms_daily_demand` rows as
//! they stream in: rows in any order, ids trimmed, several rows of one day
//! summed, missing days as zero sales, every series padded to the table's
//! last day; rows that cannot be read are counted, the first described.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};

use crate::forecast::DailySeries;
use crate::plan::Num;

/// Daily series of many products, read for forecasting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistorySeries {
    /// The last day every series runs to (`YYYY-MM-DD`).
    pub last_day: String,
    /// By product id, sorted.
    pub series: Vec<(Arc<str>, DailySeries)>,
    /// Rows skipped because their id, day or quantity could not be read,
    /// or their day is after `last_day`.
    pub skipped: usize,
    /// The first skipped row, in words (product, day, what was wrong); the
    /// texts from the source are escaped (`text::printable`) and shortened.
    pub first_skipped: Option<String>,
}

impl HistorySeries {
    /// Builds the series from (id, day, qty) rows, in any order.
    pub fn from_rows(rows: Vec<(Arc<str>, Option<String>, Num)>, last_day: &str) -> HistorySeries {
        let mut b = SeriesBuilder::new(last_day);
        for (id, day, qty) in rows {
            b.push_num(&id, day.as_deref(), qty);
        }
        b.finish()
    }

    /// One product's series (binary search: the series are sorted).
    pub fn get(&self, product_id: &str) -> Option<&DailySeries> {
        self.series
            .binary_search_by(|(id, _)| (**id).cmp(product_id))
            .ok()
            .map(|i| &self.series[i].1)
    }
}

/// A `YYYY-MM-DD` day (optionally followed by a time, as a TIMESTAMP or a
/// SQLite text date reads) as days from the common era.
pub fn parse_day(text: &str) -> Option<i32> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 10 || (b.len() > 10 && !matches!(b[10], b' ' | b'T')) {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    Some(date.num_days_from_ce())
}

fn day_text(day: i32) -> String {
    NaiveDate::from_num_days_from_ce_opt(day)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Source text as a message may quote it: escaped, at most 40 characters.
fn quoted(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "..." } else { "" };
    format!("'{}{more}'", crate::text::printable(&short))
}

/// One product's readable rows: (days from the common era, quantity).
type Rows = Vec<(i32, f64)>;

/// Accumulates rows into series (see the module comment).
#[derive(Debug, Default)]
pub struct SeriesBuilder {
    last_day: String,
    end: Option<i32>,
    index: HashMap<Arc<str>, usize>,
    products: Vec<(Arc<str>, Rows)>,
    /// The product of the previous row (rows come grouped, mostly).
    previous: Option<usize>,
    skipped: usize,
    first_skipped: Option<String>,
}

impl SeriesBuilder {
    /// Series that run to `last_day` (`YYYY-MM-DD`); rows after it are
    /// skipped. With an empty (or unreadable) `last_day` they run to the
    /// latest day read, which `HistorySeries::last_day` then gives: one
    /// query instead of two for a whole table.
    pub fn new(last_day: &str) -> SeriesBuilder {
        SeriesBuilder {
            last_day: last_day.to_string(),
            end: parse_day(last_day),
            ..Default::default()
        }
    }

    fn skip(&mut self, id: &str, day: Option<&str>, why: impl FnOnce() -> String) {
        self.skipped += 1;
        if self.first_skipped.is_none() {
            let day = day.map_or_else(|| "NULL".to_string(), quoted);
            self.first_skipped = Some(format!("{} day {day}: {}", quoted(id), why()));
        }
    }

    /// One row as the database's text cells.
    pub fn push(&mut self, id: Option<&str>, day: Option<&str>, qty: Option<&str>) {
        self.push_num(id.unwrap_or(""), day, Num::parse(qty));
    }

    /// One row, its quantity parsed.
    pub fn push_num(&mut self, id: &str, day: Option<&str>, qty: Num) {
        let id = id.trim();
        if id.is_empty() {
            return self.skip(id, day, || "no product id".into());
        }
        let Some(date) = day.and_then(parse_day) else {
            return self.skip(id, day, || "not a date".into());
        };
        if self.end.is_some_and(|e| date > e) {
            let last = self.last_day.clone();
            return self.skip(id, day, || format!("after the history's last day {last}"));
        }
        let q = match qty {
            Num::Value(v) if v >= 0.0 => v,
            Num::Value(v) => {
                return self.skip(id, day, || format!("negative quantity {v}"));
            }
            Num::Null => return self.skip(id, day, || "quantity is NULL".into()),
            Num::Invalid(t) => {
                return self.skip(id, day, || {
                    format!("quantity {} is not a number", quoted(&t))
                })
            }
        };
        let at = match self.previous {
            Some(i) if &*self.products[i].0 == id => i,
            _ => match self.index.get(id) {
                Some(&i) => i,
                None => {
                    let key: Arc<str> = id.into();
                    self.products.push((key.clone(), Vec::new()));
                    self.index.insert(key, self.products.len() - 1);
                    self.products.len() - 1
                }
            },
        };
        self.previous = Some(at);
        self.products[at].1.push((date, q));
    }

    /// The series, sorted by product id.
    pub fn finish(self) -> HistorySeries {
        // Without a readable last day, the latest day read.
        let end = self.end.or_else(|| {
            (self.products.iter())
                .flat_map(|(_, days)| days.iter().map(|d| d.0))
                .max()
        });
        let last_day = match self.end {
            Some(_) => self.last_day,
            None => end.map(day_text).unwrap_or_default(),
        };
        let mut series: Vec<(Arc<str>, DailySeries)> = self
            .products
            .into_iter()
            .map(|(id, days)| {
                let first = days.iter().map(|d| d.0).min().unwrap_or(0);
                let last = end.unwrap_or(first);
                let mut qty = vec![0.0; (last - first + 1).max(0) as usize];
                for (d, q) in days {
                    qty[(d - first) as usize] += q;
                }
                (
                    id,
                    DailySeries {
                        first_day: day_text(first),
                        qty,
                    },
                )
            })
            .collect();
        series.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        HistorySeries {
            last_day,
            series,
            skipped: self.skipped,
            first_skipped: self.first_skipped,
        }
    }
}

#[cfg(test)]
mod tests;
