//! Demo data: the DOMAIN.md reference rows first, then as many generated
//! products as asked (deterministic for a seed), written to the embedded
//! SQLite files or to configured PostgreSQL / MySQL / SQLite databases.

use anyhow::{anyhow, bail, Context, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{Config, SourceKind};
use crate::plan::inputs::{InventoryRow, OmsRow, SupplierRow, UomRow};
use crate::plan::{Num, SourceRows};
use crate::sources::{with_pool_write, with_pool_write_all, Access, Backend, Source};

pub mod history;
pub use history::{demo_today, generate_history, history_for, DemoHistory, Profile, HISTORY_DAYS};

/// Products in the embedded demo created on first run.
pub const EMBEDDED_PRODUCTS: usize = 2_000;
pub const DEFAULT_SEED: u64 = 42;
/// Draws each product with history took from the main random stream when
/// the history was 14 days drawn from it: still taken, so that every other
/// demo figure (and the screens built on them) stays as it was.
const LEGACY_HISTORY_DRAWS: usize = 14;

/// Column types of one demo table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Id,
    Text,
    Decimal,
    Integer,
    Real,
    Bool,
    Date,
    Timestamp,
}

impl Ty {
    fn sql(self, b: Backend) -> &'static str {
        match (self, b) {
            (Ty::Id, _) => "VARCHAR(64)",
            (Ty::Text, Backend::Sqlite) => "TEXT",
            (Ty::Text, _) => "VARCHAR(128)",
            (Ty::Decimal, Backend::Sqlite) => "NUMERIC",
            (Ty::Decimal, _) => "DECIMAL(14,4)",
            (Ty::Integer, _) => "INTEGER",
            (Ty::Real, Backend::Postgres) => "DOUBLE PRECISION",
            (Ty::Real, Backend::MySql) => "DOUBLE",
            (Ty::Real, Backend::Sqlite) => "REAL",
            (Ty::Bool, _) => "BOOLEAN",
            (Ty::Date, _) => "DATE",
            (Ty::Timestamp, Backend::MySql) => "DATETIME",
            (Ty::Timestamp, _) => "TIMESTAMP",
        }
    }

    /// Placeholder with the cast PostgreSQL needs for text binds.
    fn placeholder(self, b: Backend, n: usize) -> String {
        match b {
            Backend::Postgres => {
                let t = match self {
                    Ty::Id | Ty::Text => "TEXT",
                    Ty::Decimal => "NUMERIC",
                    Ty::Integer => "INTEGER",
                    Ty::Real => "DOUBLE PRECISION",
                    Ty::Bool => "BOOLEAN",
                    Ty::Date => "DATE",
                    Ty::Timestamp => "TIMESTAMP",
                };
                format!("CAST(${n} AS {t})")
            }
            _ => "?".into(),
        }
    }
}

struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Ty)],
}

const OMS_HISTORY: Table = Table {
    name: "oms_history",
    columns: &[
        ("product_id", Ty::Id),
        ("product_name", Ty::Text),
        ("avg_daily_demand", Ty::Decimal),
        ("trend", Ty::Text),
    ],
};
const OMS_DAILY: Table = Table {
    name: "oms_daily_demand",
    columns: &[
        ("product_id", Ty::Id),
        ("day", Ty::Date),
        ("qty", Ty::Decimal),
    ],
};
const INVENTORY: Table = Table {
    name: "inventory",
    columns: &[
        ("product_id", Ty::Id),
        ("available_qty", Ty::Integer),
        ("reserved_qty", Ty::Integer),
        ("warehouse_location", Ty::Text),
        ("on_order_qty", Ty::Integer),
        ("safety_stock", Ty::Decimal),
        ("updated_at", Ty::Timestamp),
    ],
};
const SUPPLIERS: Table = Table {
    name: "suppliers",
    columns: &[
        ("product_id", Ty::Id),
        ("supplier_id", Ty::Text),
        ("supplier_name", Ty::Text),
        ("unit_price", Ty::Decimal),
        ("moq", Ty::Integer),
        ("lead_time", Ty::Integer),
        ("order_multiple", Ty::Integer),
        ("is_active", Ty::Bool),
        ("review_period_days", Ty::Integer),
        ("currency", Ty::Text),
    ],
};
const UOM: Table = Table {
    name: "uom_conversions",
    columns: &[
        ("product_id", Ty::Id),
        ("from_uom", Ty::Text),
        ("to_uom", Ty::Text),
        ("conversion_factor", Ty::Real),
    ],
};

type Cells = Vec<Option<String>>;

/// A product whose daily history `seed` writes (generated as it is
/// written, so that `--products 100000` never holds it all in memory).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryJob {
    pub product_id: String,
    pub avg_daily_demand: f64,
    /// +1 increasing, 0 stable, -1 decreasing (the OMS's trend).
    pub trend: f64,
}

impl HistoryJob {
    /// The job's `oms_daily_demand` rows: days with sales only (a missing
    /// day is a day without sales, DOMAIN.md section 5).
    /// `last_days`: only the last so many days of it (`None`: all).
    fn rows(&self, seed: u64, last_days: Option<usize>, out: &mut Vec<Cells>) {
        let s = history_for(seed, &self.product_id, self.avg_daily_demand, self.trend);
        let Ok(first) = chrono::NaiveDate::parse_from_str(&s.first_day, "%Y-%m-%d") else {
            return;
        };
        let skip = last_days.map_or(0, |n| s.qty.len().saturating_sub(n));
        for (i, q) in s.qty.iter().enumerate().skip(skip) {
            if *q > 0.0 {
                let day = first + chrono::Duration::days(i as i64);
                out.push(vec![
                    Some(self.product_id.clone()),
                    Some(day.format("%Y-%m-%d").to_string()),
                    n(*q),
                ]);
            }
        }
    }
}

/// Generated rows per table, cells as text.
#[derive(Default)]
pub struct DemoRows {
    oms: Vec<Cells>,
    /// Products with history, in order; their rows are generated on write.
    pub history: Vec<HistoryJob>,
    inventory: Vec<Cells>,
    suppliers: Vec<Cells>,
    uom: Vec<Cells>,
}

impl DemoRows {
    /// The rows as `Sources::load` would hand them over after `seed`, for
    /// planning without a database (the TUI benchmark). The daily history is
    /// left out, as a load leaves it out when the rules do not read its
    /// statistics (the shipped rules do not).
    pub fn into_source_rows(self) -> SourceRows {
        // Cells by position, in the column order of the tables above.
        let text = |r: &mut Cells, i: usize| r[i].take().map(std::sync::Arc::<str>::from);
        let num = |r: &Cells, i: usize| Num::parse(r[i].as_deref());
        let id = |r: &mut Cells| text(r, 0).unwrap_or_default();
        SourceRows {
            oms: (self.oms.into_iter())
                .map(|mut r| OmsRow {
                    avg_daily_demand: num(&r, 2),
                    product_id: id(&mut r),
                    product_name: text(&mut r, 1),
                    trend: text(&mut r, 3),
                })
                .collect(),
            history: None,
            inventory: (self.inventory.into_iter())
                .map(|mut r| InventoryRow {
                    available_qty: num(&r, 1),
                    reserved_qty: num(&r, 2),
                    on_order_qty: Some(num(&r, 4)),
                    safety_stock: Some(num(&r, 5)),
                    product_id: id(&mut r),
                    warehouse_location: text(&mut r, 3),
                    updated_at: text(&mut r, 6),
                })
                .collect(),
            suppliers: (self.suppliers.into_iter())
                .map(|mut r| SupplierRow {
                    unit_price: num(&r, 3),
                    moq: num(&r, 4),
                    lead_time: num(&r, 5),
                    order_multiple: Some(num(&r, 6)),
                    review_period_days: Some(num(&r, 8)),
                    product_id: id(&mut r),
                    supplier_id: text(&mut r, 1),
                    supplier_name: text(&mut r, 2),
                    is_active: Some(text(&mut r, 7)),
                    currency: text(&mut r, 9),
                })
                .collect(),
            uom: (self.uom.into_iter())
                .map(|mut r| UomRow {
                    conversion_factor: num(&r, 3),
                    product_id: id(&mut r),
                    from_uom: text(&mut r, 1),
                    to_uom: text(&mut r, 2),
                })
                .collect(),
        }
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}
fn n(v: f64) -> Option<String> {
    Some(crate::plan::numbers::fmt_qty(v))
}

const SUPPLIER_NAMES: &[&str] = &[
    "ABC Supplies Co.",
    "XYZ Manufacturing",
    "Global Parts Ltd.",
    "Northwind Traders",
    "Acme Industrial",
    "Baltic Components",
    "Delta Packaging",
    "Everest Tools",
    "Fjord Fasteners",
    "Granite Chemicals",
];
const PACKS: &[(&str, &str, f64)] = &[
    ("pieces", "box", 12.0),
    ("pieces", "box", 24.0),
    ("pieces", "case", 48.0),
    ("pieces", "pack", 6.0),
    ("pieces", "pieces", 1.0),
    ("kg", "lb", 2.2046),
    ("liter", "gallon", 0.2642),
    ("meter", "roll", 50.0),
];
const NOUNS: &[&str] = &[
    "Bolt", "Gasket", "Filter", "Bearing", "Valve", "Cable", "Bracket", "Sensor", "Hose", "Panel",
];
const ADJ: &[&str] = &[
    "Steel", "Brass", "Nylon", "Heavy", "Compact", "Sealed", "Coated", "Flex", "Pro", "Mini",
];

/// Builds the demo rows: the reference rows, then `products - 3` generated.
pub fn generate(products: usize, seed: u64, backend: Backend) -> DemoRows {
    let mut d = DemoRows::default();
    // DOMAIN.md reference rows, exactly.
    for (id, name, demand, trend) in [
        ("PROD-001", "Widget A (pieces)", 150.0, "increasing"),
        ("PROD-002", "Resin B (kg)", 80.5, "stable"),
        ("PROD-003", "Solvent C (liter)", 200.0, "decreasing"),
    ] {
        d.oms.push(vec![s(id), s(name), n(demand), s(trend)]);
    }
    for (id, avail, res, loc) in [
        ("PROD-001", 500.0, 100.0, "WH-A-01"),
        ("PROD-002", 300.0, 50.0, "WH-B-02"),
        ("PROD-003", 150.0, 0.0, "WH-C-03"),
    ] {
        d.inventory.push(vec![
            s(id),
            n(avail),
            n(res),
            s(loc),
            n(0.0),
            n(0.0),
            s("2026-11-20 06:00:00"),
        ]);
    }
    for (id, sid, name, price, moq, lead) in [
        ("PROD-001", "SUP-001", "ABC Supplies Co.", 15.5, 100.0, 7.0),
        ("PROD-002", "SUP-002", "XYZ Manufacturing", 25.0, 50.0, 14.0),
        (
            "PROD-003",
            "SUP-003",
            "Global Parts Ltd.",
            42.75,
            200.0,
            21.0,
        ),
    ] {
        d.suppliers.push(vec![
            s(id),
            s(sid),
            s(name),
            n(price),
            n(moq),
            n(lead),
            None,
            s("1"),
            n(0.0),
            s("USD"),
        ]);
    }
    for (id, from, to, f) in [
        ("PROD-001", "pieces", "box", 12.0),
        ("PROD-002", "kg", "lb", 2.2046),
        ("PROD-003", "liter", "gallon", 0.2642),
    ] {
        d.uom.push(vec![s(id), s(from), s(to), n(f)]);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The reference products have no history (DOMAIN.md section 5), but
    // their draws stay taken (see LEGACY_HISTORY_DRAWS).
    for _ in 0..3 {
        skip_legacy_history_draws(&mut rng);
    }
    for i in 4..=products.max(3) {
        let id = format!("SKU-{i:07}");
        let roll: f64 = rng.gen();
        let demand = if roll < 0.06 {
            0.0
        } else {
            ((rng.gen::<f64>() * 6.0).exp() / 4.0 * 100.0).round() / 100.0
        };
        let trend_ix = rng.gen_range(0..3);
        let trend = ["increasing", "stable", "decreasing"][trend_ix];
        let name = format!(
            "{} {} {}",
            ADJ[rng.gen_range(0..ADJ.len())],
            NOUNS[rng.gen_range(0..NOUNS.len())],
            i
        );
        let bad: f64 = rng.gen();
        // ~1% of products are missing from the OMS, ~0.5% from inventory or suppliers.
        if rng.gen::<f64>() >= 0.01 {
            let demand_cell = if bad < 0.004 {
                None
            } else if bad < 0.006 {
                n(-demand - 1.0)
            } else {
                n(demand)
            };
            d.oms.push(vec![s(&id), s(&name), demand_cell, s(trend)]);
            skip_legacy_history_draws(&mut rng);
            d.history.push(HistoryJob {
                product_id: id.clone(),
                avg_daily_demand: demand,
                trend: 1.0 - trend_ix as f64,
            });
        }
        let cover_days = if rng.gen::<f64>() < 0.07 {
            0.0
        } else {
            rng.gen::<f64>() * 45.0
        };
        let avail = (demand * cover_days).round() - if rng.gen::<f64>() < 0.02 { 5.0 } else { 0.0 };
        let locations = if rng.gen::<f64>() < 0.1 { 2 } else { 1 };
        if rng.gen::<f64>() >= 0.005 {
            for loc in 0..locations {
                let part = if locations == 1 {
                    avail
                } else if loc == 0 {
                    (avail / 2.0).floor()
                } else {
                    avail - (avail / 2.0).floor()
                };
                let avail_cell = if (0.006..0.009).contains(&bad) {
                    if backend == Backend::Sqlite && bad < 0.007 {
                        s("n/a")
                    } else {
                        None
                    }
                } else {
                    n(part)
                };
                let on_order = if rng.gen::<f64>() < 0.2 {
                    (demand * rng.gen_range(1.0..10.0)).round()
                } else {
                    0.0
                };
                let safety = if rng.gen::<f64>() < 0.5 {
                    (demand * rng.gen_range(0.0..5.0)).round()
                } else {
                    0.0
                };
                d.inventory.push(vec![
                    s(&id),
                    avail_cell,
                    n((part.max(0.0) * rng.gen_range(0.0..0.2)).round()),
                    s(&format!(
                        "WH-{}-{:02}",
                        ["A", "B", "C", "D"][rng.gen_range(0..4)],
                        rng.gen_range(1..40)
                    )),
                    n(on_order),
                    n(safety),
                    s(&format!(
                        "2026-11-{:02} {:02}:00:00",
                        rng.gen_range(10..21),
                        rng.gen_range(0..24)
                    )),
                ]);
            }
        }
        if rng.gen::<f64>() >= 0.005 {
            let suppliers = if rng.gen::<f64>() < 0.15 {
                rng.gen_range(2..4)
            } else {
                1
            };
            let base_price = ((rng.gen::<f64>() * 6.0).exp() / 2.0 * 100.0).round() / 100.0 + 0.1;
            for k in 0..suppliers {
                let sup = rng.gen_range(0..SUPPLIER_NAMES.len());
                let price = if (0.009..0.011).contains(&bad) && k == 0 {
                    None
                } else {
                    n((base_price * rng.gen_range(0.9..1.2) * 100.0).round() / 100.0)
                };
                let lead = if (0.011..0.012).contains(&bad) {
                    -3.0
                } else {
                    rng.gen_range(2..46) as f64
                };
                let moq = [1.0, 10.0, 12.0, 20.0, 50.0, 100.0, 200.0, 500.0][rng.gen_range(0..8)];
                let multiple = if rng.gen::<f64>() < 0.3 {
                    n([0.0, 5.0, 10.0, 25.0][rng.gen_range(0..4)])
                } else {
                    None
                };
                let active = if rng.gen::<f64>() < 0.04 { "0" } else { "1" };
                let review = if rng.gen::<f64>() < 0.3 {
                    n(7.0)
                } else {
                    n(0.0)
                };
                let currency = if rng.gen::<f64>() < 0.8 { "USD" } else { "EUR" };
                d.suppliers.push(vec![
                    s(&id),
                    s(&format!("SUP-{:03}", sup + 1)),
                    s(SUPPLIER_NAMES[sup]),
                    price,
                    n(moq),
                    n(lead),
                    multiple,
                    s(active),
                    review,
                    s(currency),
                ]);
            }
        }
        if rng.gen::<f64>() >= 0.03 {
            let (from, to, f) = PACKS[rng.gen_range(0..PACKS.len())];
            let f = if (0.012..0.014).contains(&bad) {
                0.0
            } else {
                f
            };
            d.uom.push(vec![s(&id), s(from), s(to), n(f)]);
        }
    }
    d
}

fn skip_legacy_history_draws(rng: &mut ChaCha8Rng) {
    for _ in 0..LEGACY_HISTORY_DRAWS {
        let _: f64 = rng.gen();
    }
}

/// The five contract tables, with every optional column.
const ALL_TABLES: [&Table; 5] = [&OMS_HISTORY, &OMS_DAILY, &INVENTORY, &SUPPLIERS, &UOM];

/// `CREATE TABLE` statements of the data contract (optional columns
/// included) for one backend: what `demo` creates, and what
/// assets/schema/*.sql ships for database administrators.
pub fn schema_sql(backend: Backend) -> String {
    let mut out = format!(
        "-- buyerdesk data contract ({}): the tables `buyerdesk demo` creates.\n\
         -- Generated from src/demo.rs; a test keeps this file in step.\n\
         -- oms_history and oms_daily_demand belong to the OMS database, inventory,\n\
         -- suppliers and uom_conversions each to their own. Columns after the\n\
         -- required ones are optional (see README.md).\n",
        backend.name()
    );
    for t in ALL_TABLES {
        out.push('\n');
        out.push_str(&create_table_sql(t, backend));
        out.push_str(";\n");
    }
    out
}

/// One table's `CREATE TABLE` statement, a column a line.
fn create_table_sql(t: &Table, backend: Backend) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|(c, ty)| format!("    {c} {}", ty.sql(backend)))
        .collect();
    format!("CREATE TABLE {} (\n{}\n)", t.name, cols.join(",\n"))
}

/// Creates the demo tables (optional columns included), dropping any that
/// exist: `seed` has already refused non-empty tables without --force.
async fn create_tables(source: &Source, tables: &[&Table]) -> Result<()> {
    for t in tables {
        if !source.table_columns(t.name).await?.is_empty() {
            source.execute(&format!("DROP TABLE {}", t.name)).await?;
        }
        source.execute(&create_table_sql(t, source.backend)).await?;
    }
    Ok(())
}

/// Rows a multi-row INSERT holds at most (binds stay far below every
/// backend's limit).
fn rows_per_statement(t: &Table) -> usize {
    (30_000 / t.columns.len()).min(2_000)
}

/// The text of a multi-row INSERT of `rows` rows into `t`.
fn insert_sql(t: &Table, backend: Backend, rows: usize) -> String {
    let mut values = Vec::with_capacity(rows);
    let mut n = 0;
    for _ in 0..rows {
        let ph: Vec<String> = t
            .columns
            .iter()
            .map(|(_, ty)| {
                n += 1;
                ty.placeholder(backend, n)
            })
            .collect();
        values.push(format!("({})", ph.join(", ")));
    }
    let columns: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        t.name,
        columns.join(", "),
        values.join(", ")
    )
}

/// One multi-row INSERT of `rows` into `t`, text bound as parameters.
fn insert_statement(t: &Table, backend: Backend, rows: &[Cells]) -> (String, Vec<Option<String>>) {
    let binds = rows.iter().flat_map(|r| r.iter().cloned()).collect();
    (insert_sql(t, backend, rows.len()), binds)
}

/// Inserts rows in multi-row batches, text bound as parameters.
async fn insert(
    source: &Source,
    t: &Table,
    rows: &[Cells],
    progress: &indicatif::ProgressBar,
) -> Result<()> {
    for chunk in rows.chunks(rows_per_statement(t)) {
        let (sql, binds) = insert_statement(t, source.backend, chunk);
        with_pool_write(source, &sql, binds)
            .await
            .with_context(|| format!("{}: inserting into {}", source.label(), t.name))?;
        progress.inc(chunk.len() as u64);
    }
    Ok(())
}

/// Rows of daily history written per transaction.
const HISTORY_ROWS_PER_TRANSACTION: usize = 100_000;

/// Generates and inserts the daily history of `jobs`, a transaction per
/// ~100,000 rows, never holding more than that in memory. Returns the rows
/// written.
async fn insert_history(
    source: &Source,
    jobs: &[HistoryJob],
    seed: u64,
    last_days: Option<usize>,
    progress: &indicatif::ProgressBar,
) -> Result<usize> {
    let per_statement = rows_per_statement(&OMS_DAILY);
    let mut full_sql: Option<String> = None;
    let mut written = 0;
    let mut rows: Vec<Cells> = Vec::new();
    let mut jobs = jobs.iter().peekable();
    while jobs.peek().is_some() {
        rows.clear();
        while rows.len() < HISTORY_ROWS_PER_TRANSACTION {
            let Some(job) = jobs.next() else { break };
            job.rows(seed, last_days, &mut rows);
        }
        progress.inc_length(rows.len() as u64);
        let count = rows.len();
        // The cells move into the binds; a full statement's text is made once.
        let mut statements = Vec::with_capacity(count.div_ceil(per_statement));
        let mut cells = std::mem::take(&mut rows).into_iter();
        let mut left = count;
        while left > 0 {
            let k = left.min(per_statement);
            let sql = match (k == per_statement, &full_sql) {
                (true, Some(sql)) => sql.clone(),
                _ => insert_sql(&OMS_DAILY, source.backend, k),
            };
            if k == per_statement && full_sql.is_none() {
                full_sql = Some(sql.clone());
            }
            let binds: Vec<Option<String>> = cells.by_ref().take(k).flatten().collect();
            statements.push((sql, binds));
            left -= k;
        }
        with_pool_write_all(source, statements)
            .await
            .with_context(|| format!("{}: inserting into {}", source.label(), OMS_DAILY.name))?;
        written += count;
        progress.inc(count as u64);
    }
    if source.backend == Backend::Sqlite {
        // SQLite groups the history statistics of every product (the
        // fingerprints' read, `OmsSource::load_history`) in a temporary
        // B-tree without an index: 490 ms for the embedded demo's 1.46
        // million rows, 235 ms along this covering index (docs/BENCHMARKS.md,
        // "First frame"). PostgreSQL and MariaDB hash-aggregate instead.
        source
            .execute(&format!(
                "CREATE INDEX {0}_by_product ON {0} (product_id, day, qty)",
                OMS_DAILY.name
            ))
            .await
            .with_context(|| format!("{}: indexing {}", source.label(), OMS_DAILY.name))?;
    }
    Ok(written)
}

/// Fills the four sources of `config` with demo data.
pub async fn seed(
    config: &Config,
    products: usize,
    seed: u64,
    force: bool,
    show_progress: bool,
) -> Result<DemoSummary> {
    seed_with_history(config, products, seed, force, show_progress, None).await
}

/// `seed` with only the last `history_days` days of each product's daily
/// history (`None`: all of it, two years): for benchmarks that need the
/// data's shape without 46 million history rows at 100,000 products.
pub async fn seed_with_history(
    config: &Config,
    products: usize,
    seed: u64,
    force: bool,
    show_progress: bool,
    history_days: Option<usize>,
) -> Result<DemoSummary> {
    let mut sources = Vec::new();
    for kind in SourceKind::SOURCES {
        let resolved = config.resolve(kind).map_err(|e| anyhow!(e))?;
        sources.push(Source::connect(&resolved, Access::ReadWrite).await?);
    }
    let backend_of = |k: SourceKind| sources[k as usize].backend;
    // Each source gets rows generated for its own backend (only SQLite can
    // hold text in a numeric column).
    let rows = generate(products, seed, backend_of(SourceKind::Inventory));
    // The history's rows are counted as they are generated.
    let total =
        (rows.oms.len() + rows.inventory.len() + rows.suppliers.len() + rows.uom.len()) as u64;
    let progress = if show_progress {
        let pb = indicatif::ProgressBar::new(total);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>12} [{bar:40}] {pos}/{len} rows ({eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let no_rows: Vec<Cells> = Vec::new();
    let work = [
        (
            SourceKind::Oms,
            // The history's rows are generated as they are written.
            vec![(&OMS_HISTORY, &rows.oms), (&OMS_DAILY, &no_rows)],
        ),
        (SourceKind::Inventory, vec![(&INVENTORY, &rows.inventory)]),
        (SourceKind::Supplier, vec![(&SUPPLIERS, &rows.suppliers)]),
        (SourceKind::Uom, vec![(&UOM, &rows.uom)]),
    ];
    // Refuse before writing anything if any table holds data.
    for (kind, tables) in &work {
        let source = &sources[*kind as usize];
        for (t, _) in tables {
            if !force
                && !source.table_columns(t.name).await?.is_empty()
                && source.count_rows(t.name).await? > 0
            {
                bail!(
                    "{}: table {} is not empty; refusing to touch it without --force",
                    source.label(),
                    t.name
                );
            }
        }
    }
    let history = &rows.history;
    let jobs = work.iter().map(|(kind, tables)| {
        let source = &sources[*kind as usize];
        let progress = &progress;
        async move {
            let defs: Vec<&Table> = tables.iter().map(|(t, _)| *t).collect();
            create_tables(source, &defs).await?;
            for (t, r) in tables {
                progress.set_message(t.name);
                insert(source, t, r, progress).await?;
            }
            if *kind == SourceKind::Oms {
                progress.set_message(OMS_DAILY.name);
                return insert_history(source, history, seed, history_days, progress).await;
            }
            Ok::<_, anyhow::Error>(0)
        }
    });
    let result = futures::future::try_join_all(jobs).await;
    progress.finish_and_clear();
    let history_rows = result?.into_iter().sum();
    for s in &sources {
        s.close().await;
    }
    Ok(DemoSummary {
        products: products.max(3),
        oms_rows: rows.oms.len(),
        history_rows,
        inventory_rows: rows.inventory.len(),
        supplier_rows: rows.suppliers.len(),
        uom_rows: rows.uom.len(),
    })
}

/// What `demo` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub products: usize,
    pub oms_rows: usize,
    pub history_rows: usize,
    pub inventory_rows: usize,
    pub supplier_rows: usize,
    pub uom_rows: usize,
}

/// Creates and seeds the embedded demo on first run. Built in a temporary
/// directory and renamed into place, so an interrupted first run never
/// leaves half a demo behind.
/// `ensure_embedded` when any of the four sources is the embedded demo.
pub async fn ensure_embedded_if_used(config: &Config) -> Result<()> {
    let mut used = false;
    for kind in SourceKind::SOURCES {
        used |= config.resolve(kind).map_err(|e| anyhow!(e))?.embedded_demo;
    }
    match used {
        true => ensure_embedded(config).await,
        false => Ok(()),
    }
}

pub async fn ensure_embedded(config: &Config) -> Result<()> {
    // The four sources connect concurrently; one of them creates the demo.
    static CREATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = CREATING.lock().await;
    let dir = config.demo_dir();
    if dir.join("oms.sqlite").is_file() {
        return Ok(());
    }
    crate::files::create_private_dir(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let tmp = config
        .data_dir
        .join(format!("demo.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    crate::files::create_private_dir(&tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut tmp_config = config.clone();
    for kind in SourceKind::SOURCES {
        let s = tmp_config.file.source_mut(kind);
        s.url = Some(format!(
            "sqlite://{}",
            tmp.join(format!("{}.sqlite", kind.name())).display()
        ));
        s.password_env = None;
    }
    seed(&tmp_config, EMBEDDED_PRODUCTS, DEFAULT_SEED, true, false).await?;
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another buyerdesk won the race: use its demo.
        let _ = std::fs::remove_dir_all(&tmp);
        if !dir.join("oms.sqlite").is_file() {
            bail!("cannot move the demo data into {}", dir.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_schema_files_match_the_demo_tables() {
        for (backend, file) in [
            (
                Backend::Postgres,
                include_str!("../../assets/schema/postgres.sql"),
            ),
            (
                Backend::MySql,
                include_str!("../../assets/schema/mysql.sql"),
            ),
            (
                Backend::Sqlite,
                include_str!("../../assets/schema/sqlite.sql"),
            ),
        ] {
            assert_eq!(
                file,
                schema_sql(backend),
                "assets/schema/{0}.sql is out of date: cargo run -- demo --schema {0} > assets/schema/{0}.sql",
                backend.name()
            );
        }
    }

    #[test]
    fn generator_is_deterministic_and_starts_with_the_reference_rows() {
        let a = generate(500, 9, Backend::Postgres);
        let b = generate(500, 9, Backend::Postgres);
        assert_eq!(a.oms, b.oms);
        assert_eq!(a.suppliers, b.suppliers);
        assert_eq!(a.oms[0][0].as_deref(), Some("PROD-001"));
        assert_eq!(a.oms[0][2].as_deref(), Some("150"));
        assert_eq!(a.uom[1][3].as_deref(), Some("2.2046"));
        let c = generate(500, 10, Backend::Postgres);
        assert_ne!(a.suppliers, c.suppliers, "another seed, other data");
        // The exception paths are present: NULL demand, inactive suppliers, missing UOM rows.
        assert!(a.oms.iter().any(|r| r[2].is_none()));
        assert!(a.suppliers.iter().any(|r| r[7].as_deref() == Some("0")));
        assert!(a.uom.len() < a.oms.len());
        // Only SQLite gets text in a numeric column.
        let sq = generate(2000, 9, Backend::Sqlite);
        let pg = generate(2000, 9, Backend::Postgres);
        let text_cells = |d: &DemoRows| {
            d.inventory
                .iter()
                .filter(|r| r[1].as_deref() == Some("n/a"))
                .count()
        };
        assert!(text_cells(&sq) > 0);
        assert_eq!(text_cells(&pg), 0);
    }

    #[test]
    fn demo_rows_become_the_source_rows_a_load_would_return() {
        let demo = generate(2000, 9, Backend::Sqlite);
        let counts = (
            demo.oms.len(),
            demo.inventory.len(),
            demo.suppliers.len(),
            demo.uom.len(),
        );
        let rows = demo.into_source_rows();
        assert_eq!(
            (
                rows.oms.len(),
                rows.inventory.len(),
                rows.suppliers.len(),
                rows.uom.len()
            ),
            counts,
            "one source row per demo row"
        );
        assert!(rows.history.is_none(), "no history aggregate");
        let products = crate::plan::join(rows);
        let p = products
            .iter()
            .find(|p| &*p.product_id == "PROD-001")
            .expect("PROD-001 is joined");
        assert_eq!(
            p.oms[0].product_name.as_deref(),
            Some("Widget A (pieces)"),
            "PROD-001 product_name"
        );
        assert_eq!(
            p.oms[0].avg_daily_demand,
            Num::Value(150.0),
            "PROD-001 avg_daily_demand"
        );
        assert_eq!(
            p.inventory[0].available_qty,
            Num::Value(500.0),
            "PROD-001 available_qty"
        );
        assert_eq!(
            p.inventory[0].updated_at.as_deref(),
            Some("2026-11-20 06:00:00"),
            "PROD-001 updated_at"
        );
        let s = &p.suppliers[0];
        assert_eq!(
            s.supplier_id.as_deref(),
            Some("SUP-001"),
            "PROD-001 supplier_id"
        );
        assert_eq!(
            s.supplier_name.as_deref(),
            Some("ABC Supplies Co."),
            "PROD-001 supplier_name"
        );
        assert_eq!(s.unit_price, Num::Value(15.5), "PROD-001 unit_price");
        assert_eq!(s.lead_time, Num::Value(7.0), "PROD-001 lead_time");
        assert_eq!(s.order_multiple, Some(Num::Null), "PROD-001 order_multiple");
        assert_eq!(s.is_active, Some(Some("1".into())), "PROD-001 is_active");
        assert_eq!(s.currency.as_deref(), Some("USD"), "PROD-001 currency");
        assert_eq!(
            p.uom[0].conversion_factor,
            Num::Value(12.0),
            "PROD-001 conversion_factor"
        );
        // SQLite's text in a numeric column reaches the plan as invalid.
        assert!(products.iter().any(|p| p
            .inventory
            .iter()
            .any(|r| r.available_qty == Num::Invalid("n/a".into()))));
    }
}
