//! The fact schema the rules see (`Product.*`): which fields exist, which the
//! rules may write, and the values buyerdesk prepares for one product.

use std::collections::HashMap;

use rust_rule_engine::Value;

use super::steps::FactValue;

/// What kind of value a fact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    Number,
    Bool,
    Text,
}

/// One field of the `Product` fact.
#[derive(Debug, Clone, Copy)]
pub struct FactField {
    pub name: &'static str,
    pub kind: FactKind,
    /// Outputs are written by the rules; inputs are prepared by buyerdesk.
    pub writable: bool,
    pub doc: &'static str,
}

const fn input(name: &'static str, kind: FactKind, doc: &'static str) -> FactField {
    FactField {
        name,
        kind,
        writable: false,
        doc,
    }
}

const fn output(name: &'static str, kind: FactKind, doc: &'static str) -> FactField {
    FactField {
        name,
        kind,
        writable: true,
        doc,
    }
}

use FactKind::{Bool, Number, Text};

/// The documented schema. Rules may read every field and write only outputs.
pub const FACT_SCHEMA: &[FactField] = &[
    input("product_id", Text, "product id as stored in the sources"),
    input("trend", Text, "OMS trend: increasing, stable or decreasing"),
    input("avg_daily_demand", Number, "units per day (oms_history)"),
    input(
        "demand_sigma",
        Number,
        "standard deviation of daily demand (0 without history)",
    ),
    input("history_days", Number, "days of daily demand history"),
    input(
        "silent_days",
        Number,
        "days without a sale at the end of the daily history (0 without history)",
    ),
    input(
        "forecast_daily",
        Number,
        "forecast demand per day over L + R (avg_daily_demand without a usable forecast)",
    ),
    input(
        "forecast_method",
        Text,
        "method of the forecast: ets, croston_sba, tsb, mean_28 or oms_average",
    ),
    input(
        "forecast_mase",
        Number,
        "backtest MASE of the forecast against the 28-day mean (0 when unknown)",
    ),
    input(
        "sigma_horizon",
        Number,
        "standard deviation of demand over L + R, from the backtest (0 without a forecast)",
    ),
    input(
        "demand_class",
        Text,
        "smooth, erratic, intermittent, lumpy, or short (no usable forecast: the OMS average)",
    ),
    input(
        "abc_class",
        Text,
        "A, B or C by yearly consumption value (empty until ranked)",
    ),
    input(
        "xyz_class",
        Text,
        "X, Y or Z by the variation of weekly demand (empty when unknown)",
    ),
    input(
        "available_qty",
        Number,
        "on hand minus reserved, all locations",
    ),
    input("reserved_qty", Number, "reserved, all locations"),
    input(
        "on_order_qty",
        Number,
        "open supplier orders (inventory) + open buyerdesk POs",
    ),
    input("safety_stock", Number, "safety stock (0 when unknown)"),
    input("lead_time_days", Number, "supplier lead time in days"),
    input(
        "review_period_days",
        Number,
        "review period in days (0 when unknown)",
    ),
    input("moq", Number, "minimum order quantity, stock units"),
    input(
        "order_multiple",
        Number,
        "order multiple, stock units (0 when unknown)",
    ),
    input(
        "pack_size",
        Number,
        "stock units per purchase unit (1 without a UOM row)",
    ),
    input("unit_price", Number, "price per stock unit"),
    input("supplier_active", Bool, "the chosen supplier is active"),
    output(
        "demand_rate",
        Number,
        "demand per day the plan uses (the forecast, or the OMS average)",
    ),
    output(
        "service_level",
        Number,
        "service level aimed at (0.98 for 98%)",
    ),
    output(
        "service_z",
        Number,
        "z of the service level (normal quantile)",
    ),
    output(
        "service_safety_stock",
        Number,
        "safety stock of the service level: service_z x sigma_horizon",
    ),
    output(
        "safety_stock_used",
        Number,
        "safety stock the target uses (the larger of inventory's and the service level's)",
    ),
    output("inventory_position", Number, "available + on order"),
    output("demand_during_lead_time", Number, "demand x lead time"),
    output(
        "target_qty",
        Number,
        "stock to cover lead time, review period and safety stock",
    ),
    output("net_requirement", Number, "target - inventory position"),
    output(
        "rounding_multiple",
        Number,
        "multiple the order is rounded up to",
    ),
    output("order_qty", Number, "order quantity, stock units"),
    output("purchase_qty", Number, "order quantity, purchase units"),
    output("amount", Number, "order_qty x unit_price"),
    output("requires_approval", Bool, "the order needs an approval"),
];

/// The facts of a stored forecast (DOMAIN.md section 5; `history_days`
/// comes from the history's statistics).
pub const FORECAST_FIELDS: &[&str] = &[
    "forecast_daily",
    "forecast_method",
    "forecast_mase",
    "sigma_horizon",
    "demand_class",
    "abc_class",
    "xyz_class",
];

/// Inputs that come from the daily history's statistics; with
/// `FORECAST_FIELDS` (a stored forecast is checked against the history),
/// the fields that make the history load.
pub const HISTORY_STATS_FIELDS: &[&str] = &["demand_sigma", "history_days", "silent_days"];

/// Whether `field` comes from the daily history (its statistics or the
/// stored forecast checked against it).
pub fn from_history(field: &str) -> bool {
    HISTORY_STATS_FIELDS.contains(&field) || FORECAST_FIELDS.contains(&field)
}

pub fn schema_field(name: &str) -> Option<&'static FactField> {
    FACT_SCHEMA.iter().find(|f| f.name == name)
}

/// The inputs buyerdesk prepares for one product, all numbers as f64.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFacts {
    pub product_id: String,
    pub trend: String,
    pub avg_daily_demand: f64,
    pub demand_sigma: f64,
    pub history_days: f64,
    pub silent_days: f64,
    pub forecast_daily: f64,
    pub forecast_method: &'static str,
    pub forecast_mase: f64,
    pub sigma_horizon: f64,
    pub demand_class: &'static str,
    pub abc_class: &'static str,
    pub xyz_class: &'static str,
    pub available_qty: f64,
    pub reserved_qty: f64,
    pub on_order_qty: f64,
    pub safety_stock: f64,
    pub lead_time_days: f64,
    pub review_period_days: f64,
    pub moq: f64,
    pub order_multiple: f64,
    pub pack_size: f64,
    pub unit_price: f64,
    pub supplier_active: bool,
}

impl ProductFacts {
    /// One field's value; outputs start at 0 / false.
    pub fn value_of(&self, field: &FactField) -> FactValue {
        match input_reader(field.name) {
            Some(read) => read(self),
            None => start_value(field.kind),
        }
    }

    /// Every field in schema order (the rationale's view of the facts).
    pub fn values(&self) -> Vec<FactValue> {
        FACT_SCHEMA.iter().map(|f| self.value_of(f)).collect()
    }

    /// The `Product` object handed to the engine.
    pub fn to_object(&self) -> HashMap<String, Value> {
        FACT_SCHEMA
            .iter()
            .map(|f| (f.name.to_string(), engine_value(self.value_of(f))))
            .collect()
    }
}

/// The value an output starts at.
fn start_value(kind: FactKind) -> FactValue {
    match kind {
        FactKind::Bool => FactValue::Bool(false),
        FactKind::Number => FactValue::Number(0.0),
        FactKind::Text => FactValue::Text(Box::default()),
    }
}

/// How an input field is read from `ProductFacts`.
type Reader = fn(&ProductFacts) -> FactValue;

/// The reader of an input field; `None` for an output (or no field).
fn input_reader(name: &str) -> Option<Reader> {
    let read: Reader = match name {
        "product_id" => |f| FactValue::Text(Box::new(f.product_id.clone())),
        "trend" => |f| FactValue::Text(Box::new(f.trend.clone())),
        "avg_daily_demand" => |f| FactValue::Number(f.avg_daily_demand),
        "demand_sigma" => |f| FactValue::Number(f.demand_sigma),
        "history_days" => |f| FactValue::Number(f.history_days),
        "silent_days" => |f| FactValue::Number(f.silent_days),
        "forecast_daily" => |f| FactValue::Number(f.forecast_daily),
        "forecast_method" => |f| FactValue::Text(Box::new(f.forecast_method.to_string())),
        "forecast_mase" => |f| FactValue::Number(f.forecast_mase),
        "sigma_horizon" => |f| FactValue::Number(f.sigma_horizon),
        "demand_class" => |f| FactValue::Text(Box::new(f.demand_class.to_string())),
        "abc_class" => |f| FactValue::Text(Box::new(f.abc_class.to_string())),
        "xyz_class" => |f| FactValue::Text(Box::new(f.xyz_class.to_string())),
        "available_qty" => |f| FactValue::Number(f.available_qty),
        "reserved_qty" => |f| FactValue::Number(f.reserved_qty),
        "on_order_qty" => |f| FactValue::Number(f.on_order_qty),
        "safety_stock" => |f| FactValue::Number(f.safety_stock),
        "lead_time_days" => |f| FactValue::Number(f.lead_time_days),
        "review_period_days" => |f| FactValue::Number(f.review_period_days),
        "moq" => |f| FactValue::Number(f.moq),
        "order_multiple" => |f| FactValue::Number(f.order_multiple),
        "pack_size" => |f| FactValue::Number(f.pack_size),
        "unit_price" => |f| FactValue::Number(f.unit_price),
        "supplier_active" => |f| FactValue::Bool(f.supplier_active),
        _ => return None,
    };
    Some(read)
}

fn engine_value(v: FactValue) -> Value {
    match v {
        FactValue::Number(x) => Value::Number(x),
        FactValue::Bool(b) => Value::Boolean(b),
        FactValue::Text(t) => Value::String(*t),
        FactValue::Null => Value::Null,
    }
}

/// Makes `Product` objects faster than `ProductFacts::to_object`: a copy
/// of a ready map with every field (a map's copy keeps its layout, so
/// nothing is hashed), whose inputs are then written in place in the
/// map's own order. One per worker thread.
#[derive(Clone)]
pub struct ObjectTemplate {
    map: HashMap<String, Value>,
    /// For each entry of `map`, in its iteration order: the field's name
    /// and the reader of its value (`None`: an output, which keeps the
    /// template's 0 / false).
    slots: Vec<(&'static str, Option<Reader>)>,
}

impl Default for ObjectTemplate {
    fn default() -> Self {
        let map: HashMap<String, Value> = FACT_SCHEMA
            .iter()
            .map(|f| {
                let start = match input_reader(f.name) {
                    Some(_) => Value::Null,
                    None => engine_value(start_value(f.kind)),
                };
                (f.name.to_string(), start)
            })
            .collect();
        let slots = map
            .keys()
            .filter_map(|k| schema_field(k))
            .map(|f| (f.name, input_reader(f.name)))
            .collect();
        ObjectTemplate { map, slots }
    }
}

impl ObjectTemplate {
    /// The `Product` object for `facts`, equal to `facts.to_object()`.
    pub fn object(&self, facts: &ProductFacts) -> HashMap<String, Value> {
        let mut map = self.map.clone();
        for ((key, value), (name, read)) in map.iter_mut().zip(&self.slots) {
            // A copy laid out differently (not so in any std to date) is
            // never filled wrongly: it is built the slow way instead.
            if key != name {
                return facts.to_object();
            }
            if let Some(read) = read {
                *value = engine_value(read(facts));
            }
        }
        map
    }
}

/// Position of a field in `FACT_SCHEMA`.
pub fn schema_index(name: &str) -> Option<usize> {
    FACT_SCHEMA.iter().position(|f| f.name == name)
}

/// A product for tests: one a day, nothing in stock or on order, a lead
/// time of one day, MOQ `moq`, pack 1, price 2, supplier active.
#[cfg(test)]
impl ProductFacts {
    pub(crate) fn for_test(trend: &str, moq: f64) -> ProductFacts {
        ProductFacts {
            product_id: "P".into(),
            trend: trend.into(),
            avg_daily_demand: 1.0,
            demand_sigma: 0.0,
            history_days: 0.0,
            silent_days: 0.0,
            forecast_daily: 1.0,
            forecast_method: "oms_average",
            forecast_mase: 0.0,
            sigma_horizon: 0.0,
            demand_class: "short",
            abc_class: "",
            xyz_class: "",
            available_qty: 0.0,
            reserved_qty: 0.0,
            on_order_qty: 0.0,
            safety_stock: 0.0,
            lead_time_days: 1.0,
            review_period_days: 0.0,
            moq,
            order_multiple: 0.0,
            pack_size: 1.0,
            unit_price: 2.0,
            supplier_active: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_field_is_in_the_object_and_nothing_else() {
        let facts = ProductFacts {
            unit_price: 1.0,
            ..ProductFacts::for_test("stable", 1.0)
        };
        let obj = facts.to_object();
        assert_eq!(obj.len(), FACT_SCHEMA.len());
        for f in FACT_SCHEMA {
            assert!(obj.contains_key(f.name), "missing fact {}", f.name);
        }
    }

    #[test]
    fn the_template_makes_the_same_object_with_every_input_in_its_place() {
        // Every input a different value, so a reader on the wrong field shows.
        let facts = ProductFacts {
            product_id: "P-1".into(),
            trend: "rising".into(),
            avg_daily_demand: 1.5,
            demand_sigma: 2.5,
            history_days: 3.0,
            silent_days: 3.125,
            forecast_daily: 3.5,
            forecast_method: "ets",
            forecast_mase: 0.75,
            sigma_horizon: 3.25,
            demand_class: "smooth",
            abc_class: "A",
            xyz_class: "Y",
            available_qty: 4.0,
            reserved_qty: 5.0,
            on_order_qty: 6.0,
            safety_stock: 7.0,
            lead_time_days: 8.0,
            review_period_days: 9.0,
            moq: 10.0,
            order_multiple: 11.0,
            pack_size: 12.0,
            unit_price: 13.0,
            supplier_active: true,
        };
        let template = ObjectTemplate::default();
        let obj = template.object(&facts);
        assert_eq!(obj, facts.to_object());
        assert_eq!(obj["moq"], Value::Number(10.0));
        assert_eq!(obj["trend"], Value::String("rising".into()));
        assert_eq!(obj["order_qty"], Value::Number(0.0));
        assert_eq!(obj["requires_approval"], Value::Boolean(false));
        // What makes it fast: a copy of the map iterates in the template's
        // order, so `object` fills it without hashing (and does not fall
        // back to `to_object`).
        let copy = template.map.clone();
        let names: Vec<&str> = copy.keys().map(String::as_str).collect();
        let slots: Vec<&str> = template.slots.iter().map(|s| s.0).collect();
        assert_eq!(names, slots);
        // A second product on the same template shares nothing with the first.
        let other = ProductFacts {
            moq: 99.0,
            ..facts.clone()
        };
        assert_eq!(template.object(&other)["moq"], Value::Number(99.0));
        assert_eq!(obj["moq"], Value::Number(10.0));
    }
}
