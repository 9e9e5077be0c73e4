//! Turns one product's source rows into the facts the rules see, with the
//! input steps of the rationale and the data problems found on the way.

use super::demand::{self, ForecastLookup, Resolved};
use super::facts::ProductFacts;
use super::inputs::{ProductInputs, SupplierRow};
use super::numbers::{fmt_qty, fmt_units, unit_word, Num};
use super::steps::{Exception, ExceptionCode, Step, StepKind};
use super::ProductPlan;

/// Collects problems and steps while the inputs are read.
struct Reader {
    /// Build the steps in words (for a rationale being shown); planning
    /// skips them, they are made again from the same inputs when needed.
    words: bool,
    steps: Vec<Step>,
    exceptions: Vec<Exception>,
}

impl Reader {
    fn flag(&mut self, code: ExceptionCode, message: String) {
        if !self
            .exceptions
            .iter()
            .any(|e| e.code == code && e.message == message)
        {
            self.exceptions.push(Exception { code, message });
        }
    }

    fn note(&mut self, text: impl FnOnce() -> String) {
        if self.words {
            self.steps.push(Step::simple(StepKind::Note, text()));
        }
    }

    fn step(&mut self, step: impl FnOnce() -> Step) {
        if self.words {
            self.steps.push(step());
        }
    }

    /// A required number: NULL, non-numeric or (unless allowed) negative is
    /// bad data.
    fn required(
        &mut self,
        what: std::fmt::Arguments<'_>,
        num: &Num,
        allow_negative: bool,
    ) -> Option<f64> {
        match num {
            Num::Value(v) if *v < 0.0 && !allow_negative => {
                self.flag(
                    ExceptionCode::BadData,
                    format!("{what} is negative ({})", fmt_qty(*v)),
                );
                None
            }
            Num::Value(v) => Some(*v),
            Num::Null => {
                self.flag(ExceptionCode::BadData, format!("{what} is NULL"));
                None
            }
            Num::Invalid(s) => {
                self.flag(
                    ExceptionCode::BadData,
                    format!("{what} is not a number ('{s}')"),
                );
                None
            }
        }
    }

    /// An optional number: a missing column or a NULL gives the default
    /// (said in a note); non-numeric or negative is bad data.
    fn optional(
        &mut self,
        what: std::fmt::Arguments<'_>,
        num: Option<&Num>,
        default: f64,
    ) -> Option<f64> {
        match num {
            None => Some(default),
            Some(Num::Null) => {
                self.note(|| format!("{what} is NULL: using {}", fmt_qty(default)));
                Some(default)
            }
            Some(n) => self.required(what, n, false),
        }
    }
}

/// Parses `is_active` as each backend returns it (true/false, t/f, 1/0).
fn parse_active(raw: &Option<Option<std::sync::Arc<str>>>) -> Result<bool, String> {
    match raw {
        None | Some(None) => Ok(true),
        Some(Some(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" | "1.0" => Ok(true),
            "0" | "false" | "f" | "no" | "n" | "0.0" => Ok(false),
            _ => Err(s.to_string()),
        },
    }
}

/// A supplier row whose numbers are all usable.
struct Candidate<'a> {
    row: &'a SupplierRow,
    active: bool,
    price: f64,
    moq: f64,
    lead: f64,
    multiple: f64,
    review: f64,
}

fn supplier_label(row: &SupplierRow) -> String {
    let name = row.supplier_name.as_deref().unwrap_or("(no name)");
    match &row.supplier_id {
        Some(id) => format!("'{name}' ({id})"),
        None => format!("'{name}'"),
    }
}

/// Checks one supplier row; the problems go into `problems`.
fn candidate<'a>(row: &'a SupplierRow, problems: &mut Vec<String>) -> Option<Candidate<'a>> {
    let mut r = Reader {
        words: false,
        steps: Vec::new(),
        exceptions: Vec::new(),
    };
    let label = supplier_label(row);
    let price = r.required(
        format_args!("suppliers.unit_price of {label}"),
        &row.unit_price,
        false,
    );
    let moq = r.required(format_args!("suppliers.moq of {label}"), &row.moq, false);
    let lead = r.required(
        format_args!("suppliers.lead_time of {label}"),
        &row.lead_time,
        false,
    );
    let multiple = match &row.order_multiple {
        None | Some(Num::Null) => Some(0.0),
        Some(n) => r.required(
            format_args!("suppliers.order_multiple of {label}"),
            n,
            false,
        ),
    };
    let review = match &row.review_period_days {
        None | Some(Num::Null) => Some(0.0),
        Some(n) => r.required(
            format_args!("suppliers.review_period_days of {label}"),
            n,
            false,
        ),
    };
    let active = match parse_active(&row.is_active) {
        Ok(a) => Some(a),
        Err(s) => {
            r.flag(
                ExceptionCode::BadData,
                format!("suppliers.is_active of {label} is not a boolean ('{s}')"),
            );
            None
        }
    };
    if row
        .supplier_name
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .is_empty()
    {
        r.flag(
            ExceptionCode::BadData,
            "suppliers.supplier_name is NULL or empty".to_string(),
        );
    }
    problems.extend(r.exceptions.into_iter().map(|e| e.message));
    match (price, moq, lead, multiple, review, active) {
        (Some(price), Some(moq), Some(lead), Some(multiple), Some(review), Some(active))
            if problems.is_empty() =>
        {
            Some(Candidate {
                row,
                active,
                price,
                moq,
                lead,
                multiple,
                review,
            })
        }
        _ => None,
    }
}

/// What reading one product's inputs gives.
pub struct Prepared {
    /// The plan with its inputs filled.
    pub plan: ProductPlan,
    /// The facts for the rules, when the data allows a calculation.
    pub facts: Option<ProductFacts>,
    /// The input steps of the rationale (empty unless asked for in words).
    pub steps: Vec<Step>,
    /// The data problems found.
    pub exceptions: Vec<Exception>,
    /// The forecast the facts come from (once a supplier gives the horizon).
    pub forecast: Option<Resolved>,
}

/// Reads the inputs of one product.
pub fn prepare(
    inputs: &ProductInputs,
    own_open_po_qty: f64,
    lookup: &ForecastLookup,
    words: bool,
) -> Prepared {
    let mut plan = ProductPlan::empty(&inputs.product_id);
    let mut r = Reader {
        words,
        steps: Vec::new(),
        exceptions: Vec::new(),
    };

    // --- OMS: demand -------------------------------------------------------
    let mut demand = None;
    match &inputs.oms[..] {
        [] => {
            r.step(|| {
                Step::input(
                    "oms.oms_history",
                    "Demand: product not in the OMS: no demand (0.00/day)",
                )
            });
            demand = Some(0.0);
        }
        [row, rest @ ..] => {
            if !rest.is_empty() {
                r.flag(
                    ExceptionCode::BadData,
                    format!("oms_history has {} rows for this product", inputs.oms.len()),
                );
            }
            plan.product_name = row.product_name.clone();
            plan.trend = row.trend.clone();
            if let Some(d) = r.required(
                format_args!("oms_history.avg_daily_demand"),
                &row.avg_daily_demand,
                false,
            ) {
                demand = Some(d);
                r.step(|| {
                    Step::input(
                        "oms.oms_history",
                        format!(
                            "Average daily demand = {}/day, trend {}",
                            fmt_qty(d),
                            row.trend.as_deref().unwrap_or("unknown")
                        ),
                    )
                });
            }
        }
    }
    plan.avg_daily_demand = demand.into();

    // Daily history statistics (optional table).
    let (mut sigma, mut history_days) = (0.0, 0.0);
    // Days without a sale at the history's end: the facts' `silent_days`
    // (0 where unknown) and the forecast's JSON.
    let mut silent = None;
    if let Some(h) = &inputs.history {
        if let (Some(n), Some(sum), Some(sq)) =
            (h.days.value(), h.sum_qty.value(), h.sum_sq_qty.value())
        {
            if n >= 1.0 {
                // Days missing from the table are zero sales (DOMAIN.md
                // section 5): the statistics run over every calendar day
                // from the first row to the table's last day, not only the
                // days with a row.
                let first = h.first_day.as_deref().unwrap_or("");
                let last = lookup
                    .history_last_day
                    .as_deref()
                    .or(h.last_day.as_deref())
                    .unwrap_or("");
                let n = demand::days_between(first, last)
                    .map(f64::from)
                    .filter(|days| *days >= n)
                    .unwrap_or(n);
                history_days = n;
                silent = demand::silent_days(h, lookup.history_last_day.as_deref());
                let mean = sum / n;
                sigma = if n >= 2.0 {
                    ((sq - n * mean * mean) / (n - 1.0)).max(0.0).sqrt()
                } else {
                    0.0
                };
                r.step(|| {
                    let mut step = Step::input(
                        "oms.oms_daily_demand",
                        format!(
                            "Demand history: {} days ({} to {}), mean {}/day, sigma {}; {}",
                            fmt_qty(n),
                            h.first_day.as_deref().unwrap_or("?"),
                            if last.is_empty() { "?" } else { last },
                            fmt_qty((mean * 100.0).round() / 100.0),
                            fmt_qty((sigma * 100.0).round() / 100.0),
                            silence_words(h.last_sale_day.as_deref(), silent)
                        ),
                    );
                    step.kind = StepKind::Derived;
                    step
                });
            }
        } else {
            r.note(|| {
                "oms_daily_demand: history has NULL or non-numeric quantities; sigma not computed"
                    .into()
            });
        }
    } else if inputs.history_table_exists {
        r.note(|| "oms_daily_demand: no history for this product".into());
    }
    // Unknown (null) when the history was not loaded or has no rows.
    plan.demand_sigma = (history_days > 0.0).then_some(sigma).into();

    // --- Inventory: stock, summed over locations ---------------------------
    let mut available = None;
    if inputs.inventory.is_empty() {
        r.flag(ExceptionCode::BadData, "not in the inventory source".into());
    } else {
        let (mut avail, mut reserved, mut on_order, mut safety) =
            (Some(0.0), 0.0, Some(0.0), Some(0.0));
        for row in &inputs.inventory {
            let loc = row.warehouse_location.as_deref().unwrap_or("(no location)");
            let a = r.required(
                format_args!("inventory.available_qty at {loc}"),
                &row.available_qty,
                true,
            );
            let res = match &row.reserved_qty {
                Num::Value(v) => *v,
                other => {
                    r.note(|| format!("inventory.reserved_qty at {loc} is {}: shown as 0 (not used in the calculation)", other.describe()));
                    0.0
                }
            };
            let oo = r.optional(
                format_args!("inventory.on_order_qty at {loc}"),
                row.on_order_qty.as_ref(),
                0.0,
            );
            let ss = r.optional(
                format_args!("inventory.safety_stock at {loc}"),
                row.safety_stock.as_ref(),
                0.0,
            );
            avail = avail.zip(a).map(|(x, y)| x + y);
            on_order = on_order.zip(oo).map(|(x, y)| x + y);
            safety = safety.zip(ss).map(|(x, y)| x + y);
            reserved += res;
            r.step(|| {
                let available = a
                    .map(fmt_qty)
                    .unwrap_or_else(|| row.available_qty.describe());
                // available_qty already excludes what is reserved.
                let mut text = match a {
                    Some(a) if res != 0.0 => format!(
                        "Stock at {loc}: available {available} (on hand {} less {} reserved)",
                        fmt_qty(a + res),
                        fmt_qty(res)
                    ),
                    _ if res == 0.0 => {
                        format!("Stock at {loc}: available {available} (none reserved)")
                    }
                    _ => format!(
                        "Stock at {loc}: available {available}, reserved {}",
                        fmt_qty(res)
                    ),
                };
                if a.is_some_and(|a| a < 0.0) {
                    text.push_str(": a backorder");
                }
                if row.on_order_qty.is_some() {
                    text.push_str(&format!(
                        ", on order {}",
                        oo.map(fmt_qty).unwrap_or_else(|| "?".into())
                    ));
                }
                if row.safety_stock.is_some() {
                    text.push_str(&format!(
                        ", safety stock {}",
                        ss.map(fmt_qty).unwrap_or_else(|| "?".into())
                    ));
                }
                if let Some(u) = &row.updated_at {
                    text.push_str(&format!(" (updated {u})"));
                }
                Step::input("inventory.inventory", text)
            });
        }
        if inputs.inventory.len() > 1 {
            if let Some(a) = avail {
                r.step(|| {
                    let parts: Vec<String> = (inputs.inventory.iter())
                        .filter_map(|row| row.available_qty.value())
                        .map(|v| match v < 0.0 {
                            true => format!("({})", fmt_qty(v)),
                            false => fmt_qty(v),
                        })
                        .collect();
                    Step::input(
                        "inventory.inventory",
                        format!(
                            "Available at {} locations: {} = {}",
                            inputs.inventory.len(),
                            parts.join(" + "),
                            fmt_qty(a)
                        ),
                    )
                });
            }
        }
        available = avail;
        plan.available_qty = avail.into();
        plan.reserved_qty = Some(reserved).into();
        plan.safety_stock = safety.into();
        if let Some(oo) = on_order {
            let total = oo + own_open_po_qty;
            plan.on_order_qty = Some(total).into();
            if own_open_po_qty > 0.0 {
                r.step(|| {
                    Step::input(
                        "purchasing",
                        format!(
                            "Open buyerdesk POs = {} (on order total {})",
                            fmt_qty(own_open_po_qty),
                            fmt_qty(total)
                        ),
                    )
                });
            }
        }
    }

    // --- Suppliers: the active row with the lowest price wins ---------------
    let mut chosen: Option<Candidate> = None;
    if inputs.suppliers.is_empty() {
        r.flag(
            ExceptionCode::NoSupplier,
            "no supplier row for this product".into(),
        );
    } else {
        let mut candidates = Vec::new();
        let mut rejected = Vec::new();
        for row in &inputs.suppliers {
            let mut problems = Vec::new();
            match candidate(row, &mut problems) {
                Some(c) => candidates.push(c),
                None => rejected.push((row, problems)),
            }
        }
        candidates.sort_by(|a, b| {
            b.active
                .cmp(&a.active)
                .then(a.price.total_cmp(&b.price))
                .then(a.lead.total_cmp(&b.lead))
                .then(a.row.supplier_name.cmp(&b.row.supplier_name))
        });
        if candidates.is_empty() {
            for (_, problems) in &rejected {
                for p in problems {
                    r.flag(ExceptionCode::BadData, p.clone());
                }
            }
        } else {
            for (row, problems) in &rejected {
                r.note(|| {
                    format!(
                        "Supplier {} ignored: {}",
                        supplier_label(row),
                        problems.join("; ")
                    )
                });
            }
            let c = candidates.remove(0);
            r.step(|| {
                Step::input(
                    "supplier.suppliers",
                    format!(
                        "Supplier {}: unit price {}{}, MOQ {}, lead time {} days{}{}{}",
                        supplier_label(c.row),
                        fmt_qty(c.price),
                        c.row
                            .currency
                            .as_deref()
                            .map(|x| format!(" {x}"))
                            .unwrap_or_default(),
                        fmt_qty(c.moq),
                        fmt_qty(c.lead),
                        if c.multiple > 0.0 {
                            format!(", order multiple {}", fmt_qty(c.multiple))
                        } else {
                            String::new()
                        },
                        if c.review > 0.0 {
                            format!(", review period {} days", fmt_qty(c.review))
                        } else {
                            String::new()
                        },
                        if c.active { "" } else { ", INACTIVE" },
                    ),
                )
            });
            for other in &candidates {
                r.step(|| {
                    Step::input(
                        "supplier.suppliers",
                        format!(
                            "Not chosen: {} at {}, lead time {} days{}",
                            supplier_label(other.row),
                            fmt_qty(other.price),
                            fmt_qty(other.lead),
                            if other.active { "" } else { ", inactive" }
                        ),
                    )
                });
            }
            if !c.active {
                r.flag(
                    ExceptionCode::SupplierInactive,
                    format!("supplier {} is inactive: no order", supplier_label(c.row)),
                );
            }
            plan.supplier_id = c.row.supplier_id.clone();
            plan.supplier_name = c.row.supplier_name.clone();
            plan.currency = c.row.currency.clone();
            plan.unit_price = Some(c.price).into();
            plan.moq = Some(c.moq).into();
            plan.lead_time_days = Some(c.lead).into();
            plan.order_multiple = (c.multiple > 0.0).then_some(c.multiple).into();
            plan.review_period_days = Some(c.review).into();
            chosen = Some(c);
        }
    }

    // --- UOM: one purchase unit holds `factor` stock units ------------------
    let mut pack = None;
    match &inputs.uom[..] {
        [] => {
            r.flag(
                ExceptionCode::UomMissing,
                "no UOM conversion: ordering in stock units (pack 1)".into(),
            );
            pack = Some(1.0);
        }
        rows => {
            let row = &rows[0];
            if rows.len() > 1 {
                r.note(|| {
                    format!(
                        "{} UOM rows for this product: using the first ({} -> {})",
                        rows.len(),
                        row.from_uom.as_deref().unwrap_or("?"),
                        row.to_uom.as_deref().unwrap_or("?")
                    )
                });
            }
            plan.stock_uom = row.from_uom.clone();
            plan.purchase_uom = row.to_uom.clone();
            match &row.conversion_factor {
                Num::Value(f) if *f <= 0.0 => {
                    r.flag(
                        ExceptionCode::UomInvalid,
                        format!("conversion factor {} is not positive", fmt_qty(*f)),
                    );
                }
                Num::Value(f) => {
                    pack = Some(*f);
                    plan.conversion_factor = Some(*f).into();
                    r.step(|| {
                        Step::input(
                            "uom.uom_conversions",
                            format!(
                                "Pack: 1 {} holds {}",
                                unit_word(1.0, row.to_uom.as_deref().unwrap_or("?")),
                                fmt_units(*f, row.from_uom.as_deref())
                            ),
                        )
                    });
                }
                other => {
                    r.flag(
                        ExceptionCode::BadData,
                        format!("uom_conversions.conversion_factor is {}", other.describe()),
                    );
                }
            }
        }
    }
    if plan.purchase_uom.is_none() {
        plan.purchase_uom = plan.stock_uom.clone();
    }

    // --- Forecast: over the horizon L + R of the chosen supplier ----------
    let forecast = chosen.as_ref().map(|c| {
        let resolved = demand::resolve(
            lookup,
            inputs.history.as_deref(),
            demand::horizon_days(c.lead, c.review),
            silent,
        );
        if r.words {
            r.steps.extend(resolved.steps(demand.unwrap_or(0.0)));
        }
        resolved
    });

    let blocked = r.exceptions.iter().any(|e| e.code.blocks_order());
    let facts = match (
        demand,
        available,
        plan.on_order_qty.get(),
        plan.safety_stock.get(),
        &chosen,
        pack,
    ) {
        (Some(d), Some(a), Some(oo), Some(ss), Some(c), Some(pack)) if !blocked => {
            let f = (forecast
                .as_ref()
                .expect("a chosen supplier resolves the forecast"))
            .facts(d);
            Some(ProductFacts {
                product_id: inputs.product_id.to_string(),
                trend: plan.trend.as_deref().unwrap_or_default().to_string(),
                avg_daily_demand: d,
                demand_sigma: sigma,
                history_days,
                silent_days: silent.map_or(0.0, f64::from),
                forecast_daily: f.forecast_daily,
                forecast_method: f.forecast_method,
                forecast_mase: f.forecast_mase,
                sigma_horizon: f.sigma_horizon,
                demand_class: f.demand_class,
                abc_class: f.abc_class,
                xyz_class: f.xyz_class,
                available_qty: a,
                reserved_qty: plan.reserved_qty.unwrap_or(0.0),
                on_order_qty: oo,
                safety_stock: ss,
                lead_time_days: c.lead,
                review_period_days: c.review,
                moq: c.moq,
                order_multiple: c.multiple,
                pack_size: pack,
                unit_price: c.price,
                supplier_active: c.active,
            })
        }
        _ => None,
    };
    Prepared {
        plan,
        facts,
        steps: r.steps,
        exceptions: r.exceptions,
        forecast,
    }
}

/// The end of the "Demand history" step: the last sale and the days
/// without one since (the facts' `silent_days`). The day is the source's
/// text: made printable.
fn silence_words(last_sale: Option<&str>, silent: Option<u32>) -> String {
    match (last_sale, silent) {
        (Some(day), Some(0)) => format!(
            "last sale {}, no day without one since",
            crate::text::printable(day)
        ),
        (Some(day), Some(n)) => format!(
            "last sale {}, then {n} day{} without one (silent_days)",
            crate::text::printable(day),
            if n == 1 { "" } else { "s" }
        ),
        (None, Some(n)) => format!("no sale in it: {n} days without one (silent_days)"),
        (Some(day), None) => format!("last sale {}", crate::text::printable(day)),
        (None, None) => "no sale in it".to_string(),
    }
}
