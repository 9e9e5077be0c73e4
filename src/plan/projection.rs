//! Projected stock per day for the detail's chart: what is available today,
//! used up at the plan's daily demand (`ProductPlan::demand_per_day`), with
//! and without the suggested (or the buyer's) order arriving after the lead
//! time. Stock does not go below
//! zero: demand that finds no stock is lost, not back-ordered.

use super::ProductPlan;

/// Stock day by day from today (day 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Stock at the end of each day without the order.
    pub without_order: Vec<f64>,
    /// Stock at the end of each day with the order arriving on
    /// `arrival_day`.
    pub with_order: Vec<f64>,
    /// The day the order arrives (lead time, rounded up to a whole day).
    pub arrival_day: Option<usize>,
    /// The quantity ordered (the buyer's, else the suggestion).
    pub order_qty: f64,
    /// When the stock runs out without the order (fractional day).
    pub runs_out: Option<f64>,
    /// The first day with no stock although the order was placed today.
    pub short_with_order: Option<usize>,
    pub safety_stock: f64,
    /// Quantity already on order (its arrival dates are not known, so it is
    /// not drawn).
    pub on_order: f64,
}

/// Longest projection drawn.
const MAX_DAYS: usize = 365;

/// The projection of a plan, or `None` when its demand or stock is unknown.
pub fn project(plan: &ProductPlan) -> Option<Projection> {
    // The demand and safety stock the plan stands on (the forecast and the
    // service level's where the rules used them), as cover and exceptions.
    let d = plan
        .demand_per_day()
        .filter(|d| d.is_finite() && *d >= 0.0)?;
    let available = plan.available_qty.filter(|a| a.is_finite())?.max(0.0);
    let lead = plan.lead_time_days.filter(|l| l.is_finite() && *l >= 0.0);
    let review = plan
        .review_period_days
        .filter(|r| r.is_finite())
        .unwrap_or(0.0);
    let order_qty = plan.override_qty.unwrap_or(plan.order_qty);
    let arrival_day = lead.map(|l| (l.ceil() as usize).min(MAX_DAYS));
    let runs_out = (d > 0.0).then(|| available / d);
    // Two cycles of lead time and review, and past the stock-out, within
    // 14..=365 days.
    let cycle = lead.unwrap_or(0.0) + review;
    let horizon = (2.0 * cycle)
        .max(runs_out.map_or(0.0, |r| r + 2.0))
        .clamp(14.0, MAX_DAYS as f64)
        .ceil() as usize;
    let mut without_order = Vec::with_capacity(horizon + 1);
    let mut with_order = Vec::with_capacity(horizon + 1);
    let (mut s, mut w) = (available, available);
    let mut short_with_order = None;
    for day in 0..=horizon {
        if day > 0 {
            s = (s - d).max(0.0);
            w = (w - d).max(0.0);
        }
        if Some(day) == arrival_day && order_qty > 0.0 {
            w += order_qty;
        }
        if w <= 0.0 && d > 0.0 && short_with_order.is_none() {
            short_with_order = Some(day);
        }
        without_order.push(s);
        with_order.push(w);
    }
    Some(Projection {
        without_order,
        with_order,
        arrival_day,
        order_qty,
        runs_out,
        short_with_order,
        safety_stock: plan.safety_stock_in_use().unwrap_or(0.0),
        on_order: plan.on_order_qty.unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{fixtures, join, plan_all, PlanContext, RuleSet};

    fn reference(id: &str) -> ProductPlan {
        plan_all(
            &join(fixtures::reference_rows()),
            &PlanContext::default(),
            &RuleSet::embedded(),
        )
        .into_iter()
        .find(|p| *p.product_id == *id)
        .unwrap()
    }

    #[test]
    fn prod_001_runs_out_on_day_3_and_the_order_arrives_on_day_7() {
        let p = reference("PROD-001");
        let proj = project(&p).unwrap();
        // 500 available, 150/day: 3.33 days.
        assert!((proj.runs_out.unwrap() - 500.0 / 150.0).abs() < 1e-9);
        assert_eq!(proj.arrival_day, Some(7));
        assert_eq!(proj.order_qty, 600.0);
        assert_eq!(proj.without_order[0], 500.0);
        assert_eq!(proj.without_order[3], 50.0);
        assert_eq!(proj.without_order[4], 0.0, "no stock below zero");
        // Out from day 4 to day 6, then 600 arrive on day 7.
        assert_eq!(proj.with_order[6], 0.0);
        assert_eq!(proj.with_order[7], 600.0);
        assert_eq!(proj.with_order[8], 450.0);
        assert_eq!(proj.short_with_order, Some(4), "the order comes late");
        assert_eq!(proj.without_order.len(), 15, "14 days at least");
    }

    #[test]
    fn the_buyers_quantity_is_projected_and_unknown_demand_gives_none() {
        let mut p = reference("PROD-001");
        p.override_qty = Some(700.0).into();
        assert_eq!(project(&p).unwrap().with_order[7], 700.0);
        p.avg_daily_demand = None.into();
        p.demand_rate = None.into();
        assert!(project(&p).is_none());
        let mut p = reference("PROD-001");
        p.demand_rate = Some(0.0).into();
        let flat = project(&p).unwrap();
        assert!(flat.runs_out.is_none() && flat.short_with_order.is_none());
        assert!(flat.without_order.iter().all(|s| *s == 500.0));
    }

    #[test]
    fn the_demand_and_safety_stock_the_rules_used_are_projected() {
        // Planned from a forecast of 40/day with a service level's safety
        // stock of 80, though the OMS says 150/day and the inventory 0.
        let mut p = reference("PROD-001");
        assert_eq!(p.demand_rate.get(), Some(150.0));
        p.demand_rate = Some(40.0).into();
        p.safety_stock_used = Some(80.0).into();
        let proj = project(&p).unwrap();
        assert_eq!(proj.runs_out, Some(500.0 / 40.0));
        assert_eq!(proj.without_order[1], 460.0);
        assert_eq!(proj.safety_stock, 80.0);
        // Rules that set no demand_rate (rules/reference.grl): the OMS's.
        p.demand_rate = None.into();
        p.safety_stock_used = None.into();
        let proj = project(&p).unwrap();
        assert_eq!(proj.without_order[1], 350.0);
        assert_eq!(proj.safety_stock, 0.0);
    }
}
