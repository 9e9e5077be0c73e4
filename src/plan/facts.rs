//! The fact schema the rules see (`Product.*`): which fields exist, which the
//! rules may write, and the values buyerdesk prepares for one product.

use std::collections::HashMap;

use rust_rule_engine::Value;

use super::rationale::FactValue;

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
        let n = FactValue::Number;
        match field.name {
            "product_id" => FactValue::Text(Box::new(self.product_id.clone())),
            "trend" => FactValue::Text(Box::new(self.trend.clone())),
            "avg_daily_demand" => n(self.avg_daily_demand),
            "demand_sigma" => n(self.demand_sigma),
            "history_days" => n(self.history_days),
            "available_qty" => n(self.available_qty),
            "reserved_qty" => n(self.reserved_qty),
            "on_order_qty" => n(self.on_order_qty),
            "safety_stock" => n(self.safety_stock),
            "lead_time_days" => n(self.lead_time_days),
            "review_period_days" => n(self.review_period_days),
            "moq" => n(self.moq),
            "order_multiple" => n(self.order_multiple),
            "pack_size" => n(self.pack_size),
            "unit_price" => n(self.unit_price),
            "supplier_active" => FactValue::Bool(self.supplier_active),
            _ => match field.kind {
                FactKind::Bool => FactValue::Bool(false),
                FactKind::Number => n(0.0),
                FactKind::Text => FactValue::Text(Box::default()),
            },
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
            .map(|f| {
                let v = match self.value_of(f) {
                    FactValue::Number(x) => Value::Number(x),
                    FactValue::Bool(b) => Value::Boolean(b),
                    FactValue::Text(t) => Value::String(*t),
                    FactValue::Null => Value::Null,
                };
                (f.name.to_string(), v)
            })
            .collect()
    }
}

/// Position of a field in `FACT_SCHEMA`.
pub fn schema_index(name: &str) -> Option<usize> {
    FACT_SCHEMA.iter().position(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_field_is_in_the_object_and_nothing_else() {
        let facts = ProductFacts {
            product_id: "P".into(),
            trend: "stable".into(),
            avg_daily_demand: 1.0,
            demand_sigma: 0.0,
            history_days: 0.0,
            available_qty: 0.0,
            reserved_qty: 0.0,
            on_order_qty: 0.0,
            safety_stock: 0.0,
            lead_time_days: 1.0,
            review_period_days: 0.0,
            moq: 1.0,
            order_multiple: 0.0,
            pack_size: 1.0,
            unit_price: 1.0,
            supplier_active: true,
        };
        let obj = facts.to_object();
        assert_eq!(obj.len(), FACT_SCHEMA.len());
        for f in FACT_SCHEMA {
            assert!(obj.contains_key(f.name), "missing fact {}", f.name);
        }
    }
}
