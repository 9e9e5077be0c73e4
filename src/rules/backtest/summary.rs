//! A backtest's figures per class and in total, each summed from the
//! products' own: demand and served added (so a group's fill rate is
//! weighted by demand), the average stock of the products added (the
//! stock the group holds on average), its value per currency.

use std::sync::Arc;

use serde::Serialize;

use super::ProductResult;
use crate::plan::numbers::{ser_money, ser_qty};

/// An amount in one currency (`None`: the source gave none).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    pub currency: Option<Arc<str>>,
    #[serde(serialize_with = "ser_money")]
    pub amount: f64,
}

/// The figures of a group of products.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The class (`smooth`, ..., `A`, ..., `none` where unknown) or `total`.
    pub key: String,
    pub products: u32,
    #[serde(serialize_with = "ser_qty")]
    pub demand: f64,
    #[serde(serialize_with = "ser_qty")]
    pub served: f64,
    /// served / demand over the group; `None` without demand.
    pub fill_rate: Option<f64>,
    /// The products' average stocks added (units).
    #[serde(serialize_with = "ser_qty")]
    pub avg_stock: f64,
    /// The products' average stock values added, per currency (products
    /// without a price are left out).
    pub avg_stock_value: Vec<Money>,
    pub orders: u32,
    pub stockout_days: u32,
    pub rule_errors: u32,
}

impl Group {
    fn new(key: &str) -> Group {
        Group {
            key: key.to_string(),
            products: 0,
            demand: 0.0,
            served: 0.0,
            fill_rate: None,
            avg_stock: 0.0,
            avg_stock_value: Vec::new(),
            orders: 0,
            stockout_days: 0,
            rule_errors: 0,
        }
    }

    fn add(&mut self, p: &ProductResult) {
        self.products += 1;
        self.demand += p.demand;
        self.served += p.served;
        self.avg_stock += p.avg_stock;
        self.orders += p.orders.len() as u32;
        self.stockout_days += p.stockout_days;
        self.rule_errors += p.rule_errors;
        if let Some(v) = p.avg_stock_value.get() {
            match (self.avg_stock_value.iter_mut()).find(|m| m.currency == p.currency) {
                Some(m) => m.amount += v,
                None => self.avg_stock_value.push(Money {
                    currency: p.currency.clone(),
                    amount: v,
                }),
            }
        }
        self.fill_rate = (self.demand > 0.0).then(|| self.served / self.demand);
    }

    /// The value held in `currency`, 0 when none.
    pub fn value_in(&self, currency: Option<&str>) -> f64 {
        (self.avg_stock_value.iter())
            .find(|m| m.currency.as_deref() == currency)
            .map_or(0.0, |m| m.amount)
    }
}

/// Per demand class, per ABC class and in total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub by_class: Vec<Group>,
    pub by_abc: Vec<Group>,
    pub total: Group,
}

/// The order classes are listed in.
const CLASSES: [&str; 6] = [
    "smooth",
    "erratic",
    "intermittent",
    "lumpy",
    "short",
    "none",
];
const ABC: [&str; 4] = ["A", "B", "C", "none"];

impl Summary {
    pub fn of(products: &[ProductResult]) -> Summary {
        let mut by_class: Vec<Group> = CLASSES.iter().map(|k| Group::new(k)).collect();
        let mut by_abc: Vec<Group> = ABC.iter().map(|k| Group::new(k)).collect();
        let mut total = Group::new("total");
        for p in products {
            let class = p.demand_class.map_or("none", |c| c.as_str());
            let abc = p.abc.map_or("none", |c| c.as_str());
            for (groups, key) in [(&mut by_class, class), (&mut by_abc, abc)] {
                if let Some(g) = groups.iter_mut().find(|g| g.key == key) {
                    g.add(p);
                }
            }
            total.add(p);
        }
        by_class.retain(|g| g.products > 0);
        by_abc.retain(|g| g.products > 0);
        for g in by_class.iter_mut().chain(&mut by_abc).chain([&mut total]) {
            g.avg_stock_value
                .sort_by(|a, b| a.currency.cmp(&b.currency));
        }
        Summary {
            by_class,
            by_abc,
            total,
        }
    }
}

/// A fill rate for people: `97.3%` (one decimal), `-` without demand.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "-".to_string(),
    }
}

/// The change of a fill rate in percentage points, `+1.2 pts` (`-` when
/// either side has no demand).
pub fn points(before: Option<f64>, after: Option<f64>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("{:+.1} pts", (a - b) * 100.0),
        _ => "-".to_string(),
    }
}
