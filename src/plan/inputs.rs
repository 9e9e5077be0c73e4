//! The rows each source hands over, and the join of the four sources into one
//! `ProductInputs` per product (DOMAIN.md section 1). Plain values, no I/O.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::numbers::Num;

// Texts are `Arc<str>`: a product id is allocated once and shared by the
// product's rows, its inputs and its plan; the few distinct values of
// trend, units, currency, supplier and location are interned per load
// (`Interner`), so 100,000 rows hold a handful of copies.

/// A row of `oms_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct OmsRow {
    pub product_id: Arc<str>,
    pub product_name: Option<Arc<str>>,
    pub avg_daily_demand: Num,
    pub trend: Option<Arc<str>>,
}

/// Daily demand statistics for one product, aggregated by the database from
/// the optional `oms_daily_demand` table (count, sum and sum of squares).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryStats {
    pub product_id: Arc<str>,
    pub days: Num,
    pub sum_qty: Num,
    pub sum_sq_qty: Num,
    pub first_day: Option<Arc<str>>,
    pub last_day: Option<Arc<str>>,
    /// The last day with a quantity above 0 (`None`: no sale in the rows).
    pub last_sale_day: Option<Arc<str>>,
}

/// A row of `inventory` (one per warehouse location). Optional columns that
/// the table does not have are `None`; a NULL in a present column is
/// `Some(Num::Null)`.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryRow {
    pub product_id: Arc<str>,
    pub available_qty: Num,
    pub reserved_qty: Num,
    pub warehouse_location: Option<Arc<str>>,
    pub on_order_qty: Option<Num>,
    pub safety_stock: Option<Num>,
    pub updated_at: Option<Arc<str>>,
}

/// A row of `suppliers`.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierRow {
    pub product_id: Arc<str>,
    pub supplier_name: Option<Arc<str>>,
    pub unit_price: Num,
    pub moq: Num,
    pub lead_time: Num,
    pub supplier_id: Option<Arc<str>>,
    pub order_multiple: Option<Num>,
    /// Raw text of `is_active` (booleans differ per backend).
    pub is_active: Option<Option<Arc<str>>>,
    pub review_period_days: Option<Num>,
    pub currency: Option<Arc<str>>,
}

/// A row of `uom_conversions`.
#[derive(Debug, Clone, PartialEq)]
pub struct UomRow {
    pub product_id: Arc<str>,
    pub from_uom: Option<Arc<str>>,
    pub to_uom: Option<Arc<str>>,
    pub conversion_factor: Num,
}

/// One copy of each distinct text of a load: a source's reader interns the
/// columns with few distinct values (trend, units, currency, supplier,
/// location, dates), so that its rows share them.
#[derive(Debug, Default)]
pub struct Interner(FxHashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Arc<str> {
        match self.0.get(text) {
            Some(t) => Arc::clone(t),
            None => {
                let t: Arc<str> = Arc::from(text);
                self.0.insert(Arc::clone(&t));
                t
            }
        }
    }
}

/// Everything the four sources returned for one load.
#[derive(Debug, Clone, Default)]
pub struct SourceRows {
    pub oms: Vec<OmsRow>,
    /// `None` when the optional history table does not exist.
    pub history: Option<Vec<HistoryStats>>,
    pub inventory: Vec<InventoryRow>,
    pub suppliers: Vec<SupplierRow>,
    pub uom: Vec<UomRow>,
}

/// The source rows that belong to one product. The rows are boxed slices
/// (no spare capacity) and share the product's id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductInputs {
    pub product_id: Arc<str>,
    pub oms: Box<[OmsRow]>,
    /// Boxed: the statistics are loaded only when the rules read them.
    pub history: Option<Box<HistoryStats>>,
    pub history_table_exists: bool,
    pub inventory: Box<[InventoryRow]>,
    pub suppliers: Box<[SupplierRow]>,
    pub uom: Box<[UomRow]>,
}

/// Groups the rows of all sources by product id. The product list is the
/// union of the ids in OMS, inventory and suppliers; ids are trimmed and
/// compared exactly (never case-folded). Products come out sorted by id.
///
/// With more than one core and enough rows, the rows are dealt out by a
/// hash of their trimmed id, so that all of a product's rows land in the
/// same part, in their order, and the parts are joined on their own
/// threads and merged. The join waits on memory (a hash-table bucket and a
/// product for every row, scattered); two threads wait in parallel.
pub fn join(rows: SourceRows) -> Vec<Arc<ProductInputs>> {
    join_with(rows, || {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    })
}

/// `join` on at most `threads` threads.
pub fn join_on(rows: SourceRows, threads: usize) -> Vec<Arc<ProductInputs>> {
    join_with(rows, || threads)
}

/// Below this many rows the join stays on one thread.
const PARALLEL_JOIN_MIN_ROWS: usize = 20_000;

/// `join` on at most `threads()` threads, asked only for enough rows
/// (asking for the cores reads the cgroup's limits: not for a few rows).
fn join_with(rows: SourceRows, threads: impl FnOnce() -> usize) -> Vec<Arc<ProductInputs>> {
    let n = rows.oms.len() + rows.inventory.len() + rows.suppliers.len() + rows.uom.len();
    if n < PARALLEL_JOIN_MIN_ROWS {
        return join_part(rows);
    }
    let parts = threads().min(n / (PARALLEL_JOIN_MIN_ROWS / 2)).max(1);
    if parts == 1 {
        return join_part(rows);
    }
    let shards = deal(rows, parts);
    let joined: Vec<Vec<Arc<ProductInputs>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (shards.into_iter())
            .map(|part| scope.spawn(move || join_part(part)))
            .collect();
        (handles.into_iter())
            .map(|h| h.join().expect("a join thread panicked"))
            .collect()
    });
    merge_sorted(joined)
}

/// The part (of `parts`) a trimmed product id belongs to.
fn part_of(id: &str, parts: usize) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let hash = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(id.trim());
    // The high bits: FxHash mixes them best.
    ((hash >> 32) as usize) % parts
}

/// Deals each source's rows out into `parts` parts by `part_of`, keeping
/// their order.
fn deal(rows: SourceRows, parts: usize) -> Vec<SourceRows> {
    fn split<T>(rows: Vec<T>, parts: usize, id: impl Fn(&T) -> &str) -> Vec<Vec<T>> {
        let mut out: Vec<Vec<T>> = (0..parts)
            .map(|_| Vec::with_capacity(rows.len() / parts + rows.len() / 16 + 1))
            .collect();
        for r in rows {
            out[part_of(id(&r), parts)].push(r);
        }
        out
    }
    let mut oms = split(rows.oms, parts, |r| &r.product_id).into_iter();
    let mut inventory = split(rows.inventory, parts, |r| &r.product_id).into_iter();
    let mut suppliers = split(rows.suppliers, parts, |r| &r.product_id).into_iter();
    let mut uom = split(rows.uom, parts, |r| &r.product_id).into_iter();
    let mut history = (rows.history).map(|h| split(h, parts, |r| &r.product_id).into_iter());
    (0..parts)
        .map(|_| SourceRows {
            oms: oms.next().unwrap_or_default(),
            history: history.as_mut().map(|h| h.next().unwrap_or_default()),
            inventory: inventory.next().unwrap_or_default(),
            suppliers: suppliers.next().unwrap_or_default(),
            uom: uom.next().unwrap_or_default(),
        })
        .collect()
}

/// One list sorted by id from lists sorted by id whose ids differ.
fn merge_sorted(mut lists: Vec<Vec<Arc<ProductInputs>>>) -> Vec<Arc<ProductInputs>> {
    while lists.len() > 1 {
        let b = lists.pop().unwrap_or_default();
        let a = lists.pop().unwrap_or_default();
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = match x.product_id <= y.product_id {
                true => a.next(),
                false => b.next(),
            };
            out.extend(next);
        }
        out.extend(a);
        out.extend(b);
        lists.push(out);
    }
    lists.pop().unwrap_or_default()
}

/// `join` on this thread.
fn join_part(rows: SourceRows) -> Vec<Arc<ProductInputs>> {
    let mut products = Products {
        history_table_exists: rows.history.is_some(),
        index: HashMap::with_capacity(rows.oms.len() + rows.oms.len() / 8),
        list: Vec::with_capacity(rows.oms.len() + rows.oms.len() / 8),
    };
    for mut r in rows.oms {
        let p = products.get(&mut r.product_id, true).expect("created");
        push_one(&mut p.oms, r);
    }
    for mut r in rows.inventory {
        let p = products.get(&mut r.product_id, true).expect("created");
        push_one(&mut p.inventory, r);
    }
    for mut r in rows.suppliers {
        let p = products.get(&mut r.product_id, true).expect("created");
        push_one(&mut p.suppliers, r);
    }
    // UOM and history rows only attach to products the other sources know.
    for mut r in rows.uom {
        if let Some(p) = products.get(&mut r.product_id, false) {
            push_one(&mut p.uom, r);
        }
    }
    for mut h in rows.history.unwrap_or_default() {
        if let Some(p) = products.get(&mut h.product_id, false) {
            p.history = Some(Box::new(h));
        }
    }
    drop(products.index);
    // Shared with the plans, whose rationale is read from them when shown.
    let mut list = products.list;
    list.sort_unstable_by(|a, b| a.product_id.cmp(&b.product_id));
    list
}

/// Where each product of a snapshot is, by id.
pub type ProductIndex = HashMap<Arc<str>, usize>;

/// The index of a snapshot, for `patch_inventory`.
pub fn index_of(list: &[Arc<ProductInputs>]) -> ProductIndex {
    (list.iter().enumerate())
        .map(|(i, p)| (Arc::clone(&p.product_id), i))
        .collect()
}

/// The snapshot `last` (sorted by id, as `join` hands it over) with the
/// inventory rows of the products in `rows` replaced by these: all of a
/// product's rows, as a read of the changed products returns them. The
/// other products are the same `Arc`s, not copies. `Err(rows)` when a
/// product of `rows` is not in `last`: a new product, whose UOM and
/// history rows the last join left out, needs a join of everything.
///
/// `index` is `index_of(last)`: a product is found in one or two memory
/// reads, where a binary search over 100,000 products read 17 products'
/// ids scattered over memory for each row (most of a patch's time). An
/// index that does not match `last` only costs that search.
pub fn patch_inventory(
    last: &[Arc<ProductInputs>],
    index: &ProductIndex,
    rows: Vec<InventoryRow>,
) -> Result<Vec<Arc<ProductInputs>>, Vec<InventoryRow>> {
    let mut found = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = r.product_id.trim();
        let indexed = (index.get(id).copied())
            .filter(|&i| last.get(i).is_some_and(|p| p.product_id.as_ref() == id));
        let found_at = match indexed {
            Some(i) => Ok(i),
            // Not this snapshot's index: search.
            None => last.binary_search_by(|p| (*p.product_id).cmp(id)),
        };
        match found_at {
            Ok(i) => found.push(i),
            Err(_) => return Err(rows),
        }
    }
    let mut by_product: HashMap<usize, Vec<InventoryRow>> = HashMap::new();
    for (mut r, i) in rows.into_iter().zip(found) {
        // The product's id, shared, as the join does.
        r.product_id = Arc::clone(&last[i].product_id);
        by_product.entry(i).or_default().push(r);
    }
    let mut out = last.to_vec();
    for (i, inventory) in by_product {
        // Rows read again without a change (a read of changed rows has a
        // margin) keep the product as it was: the diff then sees the same
        // pointer and does not compare it.
        if *out[i].inventory != *inventory {
            let mut p = ProductInputs::clone(&out[i]);
            p.inventory = inventory.into_boxed_slice();
            out[i] = Arc::new(p);
        }
    }
    Ok(out)
}

/// Products by id while joining: each is built in its final place (no
/// second list of 100,000 products while joining).
struct Products {
    history_table_exists: bool,
    index: HashMap<Arc<str>, usize>,
    list: Vec<Arc<ProductInputs>>,
}

impl Products {
    /// The product with this (trimmed) id, created if `create`. The row's
    /// id becomes the product's (one allocation per product, not per row).
    fn get(&mut self, id: &mut Arc<str>, create: bool) -> Option<&mut ProductInputs> {
        let trimmed = id.trim();
        let i = match self.index.get(trimmed) {
            Some(&i) => i,
            None if create => {
                if trimmed.len() != id.len() {
                    *id = Arc::from(trimmed);
                }
                self.index.insert(Arc::clone(id), self.list.len());
                self.list.push(Arc::new(ProductInputs {
                    product_id: Arc::clone(id),
                    history_table_exists: self.history_table_exists,
                    ..Default::default()
                }));
                self.list.len() - 1
            }
            None => return None,
        };
        // Not shared yet: only the join holds it.
        let p = Arc::get_mut(self.list.get_mut(i)?).expect("not shared while joining");
        if !Arc::ptr_eq(id, &p.product_id) {
            *id = Arc::clone(&p.product_id);
        }
        Some(p)
    }
}

/// Adds a row to a product's rows, which are kept exactly as long as they
/// are: most products have one row per source, a few two or three (a
/// vector would keep room for four).
fn push_one<T>(rows: &mut Box<[T]>, row: T) {
    let mut grown = std::mem::take(rows).into_vec();
    grown.reserve_exact(1);
    grown.push(row);
    *rows = grown.into_boxed_slice();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oms(id: &str, d: f64) -> OmsRow {
        OmsRow {
            product_id: id.into(),
            product_name: None,
            avg_daily_demand: Num::Value(d),
            trend: Some("stable".into()),
        }
    }

    fn stock(id: &str, location: &str, qty: f64) -> InventoryRow {
        InventoryRow {
            product_id: id.into(),
            available_qty: Num::Value(qty),
            reserved_qty: Num::Value(0.0),
            warehouse_location: Some(location.into()),
            on_order_qty: None,
            safety_stock: None,
            updated_at: None,
        }
    }

    #[test]
    fn a_patch_replaces_the_changed_products_inventory_and_shares_the_rest() {
        let rows = || SourceRows {
            oms: vec![oms("A", 1.0), oms("B", 2.0), oms("C", 3.0)],
            inventory: vec![
                stock("A", "X", 1.0),
                stock("B", "X", 5.0),
                stock("B", "Y", 6.0),
            ],
            ..Default::default()
        };
        let last = join(rows());
        // B's rows read again (one location gone, one changed), C's first row.
        let changed = vec![stock(" B ", "X", 7.0), stock("C", "Z", 9.0)];
        let patched =
            patch_inventory(&last, &index_of(&last), changed.clone()).expect("known products");
        let mut expected = rows();
        expected.inventory = vec![
            stock("A", "X", 1.0),
            stock("B", "X", 7.0),
            stock("C", "Z", 9.0),
        ];
        let joined = join(expected);
        assert_eq!(
            patched.iter().map(|p| &**p).collect::<Vec<_>>(),
            joined.iter().map(|p| &**p).collect::<Vec<_>>(),
            "a patch gives what a join of the merged rows gives"
        );
        assert!(
            Arc::ptr_eq(&patched[0], &last[0]),
            "A is shared, not copied"
        );
        assert!(!Arc::ptr_eq(&patched[1], &last[1]));
        // Rows read again as they were keep the product's inputs.
        let again =
            patch_inventory(&patched, &index_of(&last), vec![stock("B", "X", 7.0)]).expect("known");
        assert!(
            Arc::ptr_eq(&again[1], &patched[1]),
            "B unchanged, not copied"
        );
        // A product the last snapshot does not have needs a join.
        let new = vec![stock("A", "X", 2.0), stock("D", "X", 1.0)];
        assert_eq!(
            patch_inventory(&last, &index_of(&last), new.clone()),
            Err(new)
        );
        // An index of another snapshot: found by searching.
        let other = index_of(&last[1..]);
        assert_eq!(
            patch_inventory(&last, &other, changed.clone()).expect("known"),
            patched
        );
    }

    /// Rows of `n` products as the sources may hand them over: ids with
    /// spaces around them, the same id in other case, products only in
    /// inventory or suppliers, several rows per product, UOM and history
    /// rows of unknown products, and a product's rows far apart.
    fn messy_rows(n: usize) -> SourceRows {
        let id = |i: usize| match i % 7 {
            0 => format!(" P{i:06} "),
            1 => format!("p{:06}", i - 1),
            _ => format!("P{i:06}"),
        };
        let mut rows = SourceRows {
            history: Some(Vec::new()),
            ..Default::default()
        };
        for i in 0..n {
            if i % 5 != 0 {
                rows.oms.push(oms(&id(i), i as f64));
            }
            if i % 3 != 0 {
                rows.inventory.push(stock(&id(i), "X", i as f64));
            }
            rows.suppliers.push(crate::plan::fixtures::supplier_row(
                id(i).trim(),
                &format!("S{}", i % 4),
                [Num::Value(1.0 + i as f64), Num::Value(1.0), Num::Value(2.0)],
            ));
            rows.uom.push(UomRow {
                product_id: (if i % 11 == 0 {
                    format!("UNKNOWN{i}")
                } else {
                    id(i)
                })
                .into(),
                from_uom: None,
                to_uom: None,
                conversion_factor: Num::Value(i as f64),
            });
            if let Some(h) = rows.history.as_mut() {
                h.push(HistoryStats {
                    product_id: format!("{} ", id(i)).into(),
                    days: Num::Value(i as f64),
                    sum_qty: Num::Value(1.0),
                    sum_sq_qty: Num::Value(1.0),
                    first_day: None,
                    last_day: None,
                    last_sale_day: None,
                });
            }
        }
        // Second rows, far from the first.
        for i in (0..n).step_by(13) {
            rows.inventory.push(stock(&id(i), "Y", 0.5));
            rows.oms.push(oms(&id(i), -1.0));
        }
        rows
    }

    #[test]
    fn the_join_in_parts_on_threads_gives_what_one_thread_gives() {
        let rows = messy_rows(30_000);
        let one = join_on(rows.clone(), 1);
        assert!(one.len() > 29_000, "{}", one.len());
        for threads in [2, 3, 8] {
            let parts = join_on(rows.clone(), threads);
            assert_eq!(parts.len(), one.len(), "{threads} threads");
            assert!(
                parts.iter().zip(&one).all(|(a, b)| **a == **b),
                "{threads} threads: the same products, rows and order"
            );
            assert!(parts.windows(2).all(|w| w[0].product_id < w[1].product_id));
            assert!(parts.iter().all(|p| p
                .oms
                .iter()
                .all(|r| Arc::ptr_eq(&r.product_id, &p.product_id))));
        }
        // Rows are dealt by their trimmed id, so padded and bare ids meet.
        assert_eq!(part_of(" P000007 ", 2), part_of("P000007", 2));
        let p7 = one
            .iter()
            .find(|p| &*p.product_id == "P000007")
            .expect("P000007");
        assert_eq!(p7.inventory.len(), 1);
        assert!(p7.history.is_some());
    }

    #[test]
    fn product_list_is_the_union_of_oms_inventory_and_suppliers_trimmed_and_case_exact() {
        let rows = SourceRows {
            oms: vec![oms(" A-1 ", 1.0), oms("a-1", 2.0)],
            inventory: vec![InventoryRow {
                product_id: "B-2".into(),
                available_qty: Num::Value(1.0),
                reserved_qty: Num::Value(0.0),
                warehouse_location: None,
                on_order_qty: None,
                safety_stock: None,
                updated_at: None,
            }],
            uom: vec![UomRow {
                product_id: "ONLY-UOM".into(),
                from_uom: None,
                to_uom: None,
                conversion_factor: Num::Value(1.0),
            }],
            ..Default::default()
        };
        let products = join(rows);
        let ids: Vec<&str> = products.iter().map(|p| &*p.product_id).collect();
        assert_eq!(ids, vec!["A-1", "B-2", "a-1"]);
        assert_eq!(products[0].oms[0].avg_daily_demand, Num::Value(1.0));
        assert!(
            Arc::ptr_eq(&products[0].product_id, &products[0].oms[0].product_id),
            "rows share their product's id"
        );
    }

    #[test]
    fn interned_texts_are_shared() {
        let mut texts = Interner::default();
        let a = texts.get("USD");
        assert!(Arc::ptr_eq(&a, &texts.get("USD")));
        assert_eq!(&*texts.get("EUR"), "EUR");
    }
}
