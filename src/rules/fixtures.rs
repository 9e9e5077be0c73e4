//! Rule fixtures: `rules/tests/*.toml` files of cases, each a product's
//! input figures as the sources give them (`given`) and the fields the
//! rules must leave (`expect`, any subset). A case becomes one row per
//! source and goes through the same code as the sources' rows
//! (`plan::join`, `plan::plan_product`), so a fixture tests the rules as
//! the buyer's screen runs them. Pure: the caller reads the files.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::plan::inputs::{InventoryRow, OmsRow, SupplierRow, UomRow};
use crate::plan::numbers::{fmt_money, fmt_qty, round_money, round_qty};
use crate::plan::{join, plan_product, Num, PlanContext, ProductPlan, RuleSet, SourceRows};

/// The fixtures shipped with the embedded rules (`rules/tests/`), by the
/// name they are shown with: used when no `tests/` folder sits beside the
/// rules file.
pub const SHIPPED: &[(&str, &str)] = &[(
    "rules/tests/reference.toml",
    include_str!("../../rules/tests/reference.toml"),
)];

/// A fixture file that cannot be read as one: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for FixtureError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(rename = "case", default)]
    cases: Vec<toml::Spanned<CaseToml>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseToml {
    name: String,
    given: Given,
    expect: Expect,
}

/// A product's figures as the sources give them. Required: demand, stock
/// and the supplier's price, MOQ and lead time. Optional columns left out
/// are absent, as on a source without them; `reserved_qty` defaults to 0;
/// without `conversion_factor` there is no UOM row (`UOM_MISSING`, pack 1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Given {
    pub product_id: Option<String>,
    pub product_name: Option<String>,
    // oms_history
    pub avg_daily_demand: f64,
    pub trend: Option<String>,
    // inventory
    pub available_qty: f64,
    #[serde(default)]
    pub reserved_qty: f64,
    pub warehouse_location: Option<String>,
    pub on_order_qty: Option<f64>,
    pub safety_stock: Option<f64>,
    // suppliers
    pub supplier_name: Option<String>,
    pub unit_price: f64,
    pub moq: f64,
    pub lead_time: f64,
    pub order_multiple: Option<f64>,
    pub is_active: Option<bool>,
    pub review_period_days: Option<f64>,
    pub currency: Option<String>,
    // uom_conversions
    pub conversion_factor: Option<f64>,
    pub from_uom: Option<String>,
    pub to_uom: Option<String>,
    /// Context: the open quantity of buyerdesk's own approved or sent POs.
    pub open_po_qty: Option<f64>,
    // oms_daily_demand and the stored forecast (DOMAIN.md section 5)
    /// Days of daily history (`oms_daily_demand`); without it (and without
    /// `demand_class`) the product has none.
    pub history_days: Option<f64>,
    /// Days without a sale at the end of that history (`silent_days`;
    /// default 0, or the whole history when its daily quantity,
    /// `forecast_daily` or else `avg_daily_demand`, is 0).
    pub silent_days: Option<f64>,
    /// The stored forecast's class (smooth, erratic, intermittent, lumpy,
    /// short); without it no forecast is stored (`not_ready` with history).
    pub demand_class: Option<String>,
    pub forecast_daily: Option<f64>,
    pub sigma_horizon: Option<f64>,
    /// ets (default), croston_sba, tsb, mean_28, oms_average.
    pub forecast_method: Option<String>,
    pub forecast_mase: Option<f64>,
    /// A, B or C; absent: not ranked yet.
    pub abc_class: Option<String>,
    /// X, Y or Z; absent: unknown.
    pub xyz_class: Option<String>,
    /// current (default) or stale: the stored forecast's fingerprint is an
    /// older history's.
    pub forecast_status: Option<String>,
}

/// The fields a case checks; those left out are not checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub order_qty: Option<f64>,
    pub purchase_qty: Option<f64>,
    pub amount: Option<f64>,
    pub requires_approval: Option<bool>,
    /// Every exception code the product gets, in any order.
    pub exceptions: Option<Vec<String>>,
    pub safety_stock: Option<f64>,
    pub inventory_position: Option<f64>,
    pub demand_during_lead_time: Option<f64>,
    pub target_qty: Option<f64>,
    pub net_requirement: Option<f64>,
    pub rounding_multiple: Option<f64>,
    /// The rules that fired, in order.
    pub rules_fired: Option<Vec<String>>,
    /// Demand per day the rules used, and the safety stock their target used.
    pub demand_rate: Option<f64>,
    pub safety_stock_used: Option<f64>,
    /// The service level and its z the rules chose.
    pub service_level: Option<f64>,
    pub service_z: Option<f64>,
}

/// One case of a fixture file.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: String,
    /// Where its `[[case]]` starts.
    pub line: usize,
    pub name: String,
    pub given: Given,
    pub expect: Expect,
}

/// A field whose value is not the expected one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub field: &'static str,
    pub expected: String,
    pub got: String,
    /// The rules that wrote the field for this product, in firing order;
    /// `None` for what buyerdesk, not a rule, decides (exceptions) or the
    /// list of rules fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written_by: Option<Vec<String>>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.field, self.expected, self.got
        )?;
        match self.written_by.as_deref() {
            None => Ok(()),
            Some([]) => f.write_str(" (no rule wrote it)"),
            Some(rules) => write!(f, " (written by {})", rules.join(", ")),
        }
    }
}

/// What one case gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub file: String,
    pub line: usize,
    pub name: String,
    pub mismatches: Vec<Mismatch>,
    pub rules_fired: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Exception codes a fixture may name.
const CODES: &[&str] = &[
    "STOCKOUT",
    "BELOW_SAFETY",
    "ORDER_LATE",
    "NO_SUPPLIER",
    "SUPPLIER_INACTIVE",
    "UOM_MISSING",
    "UOM_INVALID",
    "BAD_DATA",
    "NO_DEMAND",
    "OVERSHOOT",
    "OPEN_PO",
    "OVERRIDDEN",
    "SOURCE_STALE",
    "RULE_ERROR",
    "ON_PO",
];

/// Reads a fixture file: its cases, or the first thing wrong with it at
/// its line and column (an unknown key, a value of the wrong type, a
/// missing required key, an unknown exception code).
pub fn parse(text: &str, file: &str) -> Result<Vec<Case>, FixtureError> {
    let at = |offset: usize, message: String| {
        let (line, col) = line_col(text, offset);
        FixtureError {
            file: file.to_string(),
            line,
            col,
            message,
        }
    };
    let parsed: FileToml = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        at(offset, e.message().trim().to_string())
    })?;
    if parsed.cases.is_empty() {
        return Err(at(0, "no [[case]] in the file".into()));
    }
    let mut cases = Vec::with_capacity(parsed.cases.len());
    let mut names: HashMap<String, usize> = HashMap::new();
    for spanned in parsed.cases {
        let start = spanned.span().start;
        let c = spanned.into_inner();
        let line = line_col(text, start).0;
        if let Some(first) = names.insert(c.name.clone(), line) {
            return Err(at(
                start,
                format!("case \"{}\" is named twice (first at line {first})", c.name),
            ));
        }
        for code in c.expect.exceptions.iter().flatten() {
            if !CODES.contains(&code.as_str()) {
                return Err(at(
                    start,
                    format!(
                        "case \"{}\": expect.exceptions: unknown code \"{code}\" (known: {})",
                        c.name,
                        CODES.join(", ")
                    ),
                ));
            }
        }
        if let Err(e) = c.given.stored_forecast("check") {
            return Err(at(start, format!("case \"{}\": given.{e}", c.name)));
        }
        cases.push(Case {
            file: file.to_string(),
            line,
            name: c.name,
            given: c.given,
            expect: c.expect,
        });
    }
    Ok(cases)
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Given {
    /// One row per source, as a database holding these figures returns
    /// them, for the product `id`.
    pub fn rows(&self, id: &str) -> SourceRows {
        let id: Arc<str> = Arc::from(id);
        let text = |v: &Option<String>| v.as_deref().map(Arc::from);
        let mut rows = SourceRows::default();
        rows.oms.push(OmsRow {
            product_id: Arc::clone(&id),
            product_name: text(&self.product_name),
            avg_daily_demand: Num::Value(self.avg_daily_demand),
            trend: text(&self.trend),
        });
        rows.inventory.push(InventoryRow {
            product_id: Arc::clone(&id),
            available_qty: Num::Value(self.available_qty),
            reserved_qty: Num::Value(self.reserved_qty),
            warehouse_location: Some(Arc::from(
                self.warehouse_location.as_deref().unwrap_or("FIXTURE"),
            )),
            on_order_qty: self.on_order_qty.map(Num::Value),
            safety_stock: self.safety_stock.map(Num::Value),
            updated_at: None,
        });
        rows.suppliers.push(SupplierRow {
            product_id: Arc::clone(&id),
            supplier_name: Some(Arc::from(
                self.supplier_name.as_deref().unwrap_or("Fixture supplier"),
            )),
            unit_price: Num::Value(self.unit_price),
            moq: Num::Value(self.moq),
            lead_time: Num::Value(self.lead_time),
            supplier_id: None,
            order_multiple: self.order_multiple.map(Num::Value),
            is_active: self
                .is_active
                .map(|a| Some(Arc::from(if a { "true" } else { "false" }))),
            review_period_days: self.review_period_days.map(Num::Value),
            currency: text(&self.currency),
        });
        if let Some(h) = self.history() {
            rows.history = Some(vec![h.stats(&id)]);
        }
        if let Some(factor) = self.conversion_factor {
            rows.uom.push(UomRow {
                product_id: id,
                from_uom: Some(Arc::from(self.from_uom.as_deref().unwrap_or("unit"))),
                to_uom: Some(Arc::from(self.to_uom.as_deref().unwrap_or("pack"))),
                conversion_factor: Num::Value(factor),
            });
        }
        rows
    }
}

/// The last day of a fixture's daily history.
const FIXTURE_LAST_DAY: &str = "2026-06-30";

/// A fixture's daily history, summarised as the source gives it.
struct FixtureHistory {
    days: f64,
    daily: f64,
    /// Days without a sale at its end (`None`: the last day sold, or no
    /// day did when `daily` is 0).
    silent: Option<f64>,
}

impl FixtureHistory {
    fn first_day(&self) -> String {
        Self::days_before_last(self.days.max(1.0) - 1.0)
    }

    /// The day `n` days before the fixtures' last day.
    fn days_before_last(n: f64) -> String {
        let last = chrono::NaiveDate::parse_from_str(FIXTURE_LAST_DAY, "%Y-%m-%d").expect("a date");
        (last - chrono::Duration::days(n.max(0.0) as i64))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// The last day with a sale: `silent` days before the last day, none
    /// when the silence is the whole history or nothing sells.
    fn last_sale_day(&self) -> Option<String> {
        let silent = match self.silent {
            Some(s) if s >= self.days.max(1.0) => return None,
            Some(s) => s,
            None if self.daily <= 0.0 => return None,
            None => 0.0,
        };
        Some(Self::days_before_last(silent))
    }

    fn stats(&self, id: &Arc<str>) -> crate::plan::inputs::HistoryStats {
        crate::plan::inputs::HistoryStats {
            product_id: Arc::clone(id),
            days: Num::Value(self.days),
            sum_qty: Num::Value(self.daily * self.days),
            sum_sq_qty: Num::Value(self.daily * self.daily * self.days),
            first_day: Some(Arc::from(self.first_day())),
            last_day: Some(Arc::from(FIXTURE_LAST_DAY)),
            last_sale_day: self.last_sale_day().map(Arc::from),
        }
    }
}

impl Given {
    fn history(&self) -> Option<FixtureHistory> {
        if self.history_days.is_none() && self.demand_class.is_none() {
            return None;
        }
        Some(FixtureHistory {
            days: self.history_days.unwrap_or(365.0),
            daily: self.forecast_daily.unwrap_or(self.avg_daily_demand),
            silent: self.silent_days,
        })
    }

    /// The stored forecast the case gives, with the fingerprint of its
    /// history (or an older one's when `forecast_status = "stale"`).
    pub fn stored_forecast(
        &self,
        id: &str,
    ) -> Result<Option<crate::forecast::StoredForecast>, String> {
        use crate::forecast::{Abc, DemandClass, Forecast, Method, StoredForecast};
        if let Some(s) = self.silent_days {
            let Some(h) = self.history() else {
                return Err(format!(
                    "silent_days {s} without a history: give history_days (or demand_class) too"
                ));
            };
            if !(s >= 0.0 && s <= h.days && s.fract() == 0.0) {
                return Err(format!(
                    "silent_days {s} is not a whole number of days from 0 to history_days ({})",
                    h.days
                ));
            }
        }
        let (Some(h), Some(class)) = (self.history(), &self.demand_class) else {
            return Ok(None);
        };
        let class = DemandClass::parse(class)
            .ok_or_else(|| format!("demand_class '{class}' is not a demand class"))?;
        let method = match &self.forecast_method {
            None => Method::Ets,
            Some(m) => {
                Method::parse(m).ok_or_else(|| format!("forecast_method '{m}' is not a method"))?
            }
        };
        let abc = match self.abc_class.as_deref() {
            None => None,
            Some("A") => Some(Abc::A),
            Some("B") => Some(Abc::B),
            Some("C") => Some(Abc::C),
            Some(other) => return Err(format!("abc_class '{other}' is not A, B or C")),
        };
        let weekly_cv = match self.xyz_class.as_deref() {
            None => None,
            Some("X") => Some(0.25),
            Some("Y") => Some(0.75),
            Some("Z") => Some(1.5),
            Some(other) => return Err(format!("xyz_class '{other}' is not X, Y or Z")),
        };
        let horizon = crate::plan::demand::horizon_days(
            self.lead_time,
            self.review_period_days.unwrap_or(0.0),
        );
        let fingerprint = match self.forecast_status.as_deref() {
            None | Some("current") => {
                let s = h.stats(&Arc::from(id));
                crate::forecast::fingerprint(
                    h.days,
                    s.sum_qty.value().unwrap_or(0.0),
                    s.sum_sq_qty.value().unwrap_or(0.0),
                    &h.first_day(),
                    FIXTURE_LAST_DAY,
                    FIXTURE_LAST_DAY,
                    horizon,
                )
            }
            Some("stale") => "an older history".to_string(),
            Some(other) => {
                return Err(format!("forecast_status '{other}' is not current or stale"))
            }
        };
        let label = match method {
            Method::Ets => "ETS",
            Method::CrostonSba => "Croston SBA",
            Method::Tsb => "TSB",
            Method::OmsAverage => "OMS average",
            Method::Mean28 => "28-day mean",
        };
        Ok(Some(StoredForecast {
            forecast: Forecast {
                history_days: h.days as u32,
                class,
                adi: None,
                cv2: None,
                method,
                method_label: label.into(),
                forecast_daily: h.daily,
                horizon_days: horizon,
                sigma_horizon: self.sigma_horizon.unwrap_or(0.0),
                mae: None,
                mase: self.forecast_mase,
                candidates: Vec::new(),
                origins: 0,
                weekly_cv,
                yearly_qty: h.daily * h.days.min(365.0),
                path: Vec::new(),
                note: None,
            },
            fingerprint,
            abc,
            abc_value: None,
            currency: None,
            computed_at: "fixture".into(),
        }))
    }
}

impl Case {
    /// The product's id: the given one, else one naming the case's line.
    pub fn product_id(&self) -> String {
        self.given
            .product_id
            .clone()
            .unwrap_or_else(|| format!("FIXTURE-{}", self.line))
    }

    /// The case planned with `rules`, through the sources' path.
    pub fn plan(&self, planner: &mut crate::plan::Planner) -> ProductPlan {
        let id = self.product_id();
        let inputs = join(self.given.rows(&id));
        let mut ctx = PlanContext::default();
        if let Some(qty) = self.given.open_po_qty.filter(|q| *q > 0.0) {
            ctx.own_open_po_qty.insert(id.clone(), qty);
        }
        if self.given.history().is_some() {
            ctx.history_last_day = Some(FIXTURE_LAST_DAY.into());
        }
        // A case's forecast fields were checked when the file was read.
        if let Ok(Some(stored)) = self.given.stored_forecast(&id) {
            ctx.forecasts.insert(id.clone(), Arc::new(stored));
        }
        let product = inputs.first().expect("a case's rows make one product");
        plan_product(product, &ctx, planner)
    }
}

/// Runs every case with `rules`, in order.
pub fn run(cases: &[Case], rules: &RuleSet) -> Vec<CaseResult> {
    let mut planner = rules.engine();
    cases
        .iter()
        .map(|case| check(case, &case.plan(&mut planner)))
        .collect()
}

/// Reads and runs one fixture file.
pub fn run_text(text: &str, file: &str, rules: &RuleSet) -> Result<Vec<CaseResult>, FixtureError> {
    Ok(run(&parse(text, file)?, rules))
}

/// Compares a case's plan with what it expects.
pub fn check(case: &Case, plan: &ProductPlan) -> CaseResult {
    let e = &case.expect;
    let mut mismatches = Vec::new();
    let writers = |field: &str| -> Option<Vec<String>> {
        Some(
            (plan.rationale.writers(field).iter())
                .map(|r| r.to_string())
                .collect(),
        )
    };
    let mut qty = |field: &'static str, expected: Option<f64>, got: Option<f64>| {
        let Some(expected) = expected else { return };
        let same = got.is_some_and(|g| round_qty(g) == round_qty(expected));
        if !same {
            mismatches.push(Mismatch {
                field,
                expected: fmt_qty(expected),
                got: got.map_or_else(|| "nothing".to_string(), fmt_qty),
                written_by: writers(field),
            });
        }
    };
    qty("order_qty", e.order_qty, Some(plan.order_qty));
    qty("purchase_qty", e.purchase_qty, Some(plan.purchase_qty));
    qty("safety_stock", e.safety_stock, plan.safety_stock.get());
    qty(
        "inventory_position",
        e.inventory_position,
        plan.inventory_position.get(),
    );
    qty(
        "demand_during_lead_time",
        e.demand_during_lead_time,
        plan.demand_during_lead_time.get(),
    );
    qty("target_qty", e.target_qty, plan.target_qty.get());
    qty(
        "net_requirement",
        e.net_requirement,
        plan.net_requirement.get(),
    );
    qty(
        "rounding_multiple",
        e.rounding_multiple,
        plan.rounding_multiple.get(),
    );
    qty("demand_rate", e.demand_rate, plan.demand_rate.get());
    qty(
        "safety_stock_used",
        e.safety_stock_used,
        plan.safety_stock_used.get(),
    );
    let service = plan.forecast.as_ref();
    qty(
        "service_level",
        e.service_level,
        service.and_then(|f| f.service_level),
    );
    qty("service_z", e.service_z, service.and_then(|f| f.z));
    if let Some(expected) = e.amount {
        if round_money(expected) != round_money(plan.amount) {
            mismatches.push(Mismatch {
                field: "amount",
                expected: fmt_money(expected),
                got: fmt_money(plan.amount),
                written_by: writers("amount"),
            });
        }
    }
    if let Some(expected) = e.requires_approval {
        if expected != plan.requires_approval {
            mismatches.push(Mismatch {
                field: "requires_approval",
                expected: expected.to_string(),
                got: plan.requires_approval.to_string(),
                written_by: writers("requires_approval"),
            });
        }
    }
    if let Some(expected) = &e.exceptions {
        let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
        let mut got: Vec<&str> = plan.exceptions.iter().map(|c| c.as_str()).collect();
        want.sort_unstable();
        want.dedup();
        got.sort_unstable();
        got.dedup();
        if want != got {
            mismatches.push(Mismatch {
                field: "exceptions",
                expected: list(&want),
                got: list(&got),
                written_by: None,
            });
        }
    }
    let fired: Vec<String> = plan.rules_fired.iter().map(|r| r.to_string()).collect();
    if let Some(expected) = &e.rules_fired {
        if *expected != fired {
            mismatches.push(Mismatch {
                field: "rules_fired",
                expected: list(expected),
                got: list(&fired),
                written_by: None,
            });
        }
    }
    CaseResult {
        file: case.file.clone(),
        line: case.line,
        name: case.name.clone(),
        mismatches,
        rules_fired: fired,
    }
}

/// `[A, B]`, `[]`.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", items.join(", "))
}

/// "3 passed, 1 failed".
pub fn summary(results: &[CaseResult]) -> String {
    let failed = results.iter().filter(|r| !r.passed()).count();
    format!("{} passed, {failed} failed", results.len() - failed)
}

#[cfg(test)]
mod tests;
