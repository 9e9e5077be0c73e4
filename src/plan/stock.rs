//! The stock side of a plan: the demand and safety stock it stands on,
//! days of cover, the stock exceptions and what a product that cannot be
//! ordered needs (DOMAIN.md sections 3 and 5). Every figure here reads
//! `demand_per_day` and `safety_stock_in_use`, so a product planned from
//! its forecast is judged by the figures its plan used.

use super::numbers::{self, fmt_qty, fmt_units};
use super::{same_qty, Exception, ExceptionCode, ProductPlan, Step, StepKind, OVERSHOOT_DAYS};

impl ProductPlan {
    /// The demand per day this plan stands on: what the rules set as
    /// `demand_rate` (the forecast, or the OMS average for a `short`
    /// history), else, for rules that set none (rules/reference.grl), the
    /// OMS average. Days of cover, the stock exceptions, the projection, the
    /// chart and the list's demand column all read this one figure, so a
    /// product planned from its forecast is never judged by another
    /// (DOMAIN.md sections 3 and 5).
    pub fn demand_per_day(&self) -> Option<f64> {
        self.demand_rate.get().or(self.avg_daily_demand.get())
    }

    /// The safety stock this plan's target used: `safety_stock_used` as the
    /// rules set it (max of the inventory's and the service level's), else
    /// the inventory system's.
    pub fn safety_stock_in_use(&self) -> Option<f64> {
        self.safety_stock_used.get().or(self.safety_stock.get())
    }

    /// Whether the demand this plan stands on is its forecast's: a forecast
    /// in use (current or stale) by a method other than the OMS average,
    /// and the `demand_rate` the rules set equal to it. The list's `f`
    /// mark, the chart's words and `demand_source` all ask this.
    pub fn demand_is_forecast(&self) -> bool {
        let (Some(f), Some(rate)) = (self.forecast.as_deref(), self.demand_rate.get()) else {
            return false;
        };
        f.status.uses_forecast() && f.method != "oms_average" && same_qty(f.forecast_daily, rate)
    }

    /// Where `demand_per_day` came from, in words to put after the figure
    /// (" (forecast)"), empty for the OMS average: a message that prints a
    /// demand says which one it judged by.
    pub fn demand_source(&self) -> &'static str {
        let Some(rate) = self.demand_rate.get() else {
            return "";
        };
        if self.demand_is_forecast() {
            " (forecast)"
        } else if self
            .avg_daily_demand
            .get()
            .is_some_and(|a| same_qty(a, rate))
        {
            ""
        } else {
            " (the rules' demand_rate)"
        }
    }

    /// Where `safety_stock_in_use` came from, in words after the figure:
    /// " (service level 95%)" when the rules' service level raised it above
    /// the inventory's, empty for the inventory's.
    pub fn safety_stock_source(&self) -> String {
        let (Some(used), inventory) = (self.safety_stock_used.get(), self.safety_stock.get())
        else {
            return String::new();
        };
        if inventory.is_some_and(|i| same_qty(i, used)) {
            return String::new();
        }
        match self.forecast.as_deref().and_then(|f| f.service_level) {
            Some(level) => format!(" (service level {}%)", fmt_qty(level * 100.0)),
            None => " (the rules' safety_stock_used)".to_string(),
        }
    }
}

/// Why a product whose rules could not run cannot be ordered, and what it
/// needs as far as its known figures tell (DOMAIN.md section 3: never "no
/// order needed" for a product that cannot be ordered).
pub(super) fn cannot_order(plan: &ProductPlan, exceptions: &[Exception]) -> String {
    let mut codes: Vec<&str> = exceptions
        .iter()
        .filter(|e| e.code.blocks_order() || e.code == ExceptionCode::SupplierInactive)
        .map(|e| e.code.as_str())
        .collect();
    codes.dedup();
    let why = if codes.is_empty() {
        "the data above does not allow a calculation".to_string()
    } else {
        format!("{} (below)", codes.join(", "))
    };
    let units = |v: f64| fmt_units(v, plan.stock_uom.as_deref());
    let need = match (
        plan.demand_per_day(),
        plan.available_qty.get(),
        plan.lead_time_days.get(),
    ) {
        (Some(d), Some(avail), Some(lead)) => {
            let target = d * (lead + plan.review_period_days.unwrap_or(0.0))
                + plan.safety_stock_in_use().unwrap_or(0.0);
            let position = avail + plan.on_order_qty.unwrap_or(0.0);
            let short = target - position;
            if short > 0.0 {
                format!(
                    "needed by the default formula: target {} - position {} = {}",
                    fmt_qty(target),
                    fmt_qty(position),
                    units(short)
                )
            } else {
                "stock and open orders cover the default target".to_string()
            }
        }
        (Some(d), Some(avail), None) if d > 0.0 && avail <= 0.0 => format!(
            "stock is out ({} available, demand {}/day{}); the need cannot be computed without a lead time",
            fmt_qty(avail),
            fmt_qty(d),
            plan.demand_source()
        ),
        _ => "the need cannot be computed from the data".to_string(),
    };
    format!("Cannot order: {why}; rules not run; {need}")
}

/// Stock exceptions come from whatever inputs are known, even when the
/// rules could not run (a buyer must see a stock-out behind a bad UOM row).
/// They judge by the demand and safety stock the plan stands on
/// (`demand_per_day`, `safety_stock_in_use`: the forecast and the service
/// level's safety stock where the rules used them), and each message that
/// prints a demand says where it came from.
pub(super) fn raise_stock_exceptions(plan: &ProductPlan, exceptions: &mut Vec<Exception>) {
    let mut raise = |code, message: String| exceptions.push(Exception { code, message });
    let (Some(avail), Some(d)) = (plan.available_qty.get(), plan.demand_per_day()) else {
        return;
    };
    let from = plan.demand_source();
    if avail <= 0.0 && d > 0.0 {
        raise(
            ExceptionCode::Stockout,
            format!(
                "available {} with demand {}/day{from}",
                fmt_qty(avail),
                fmt_qty(d)
            ),
        );
    }
    if let Some(ss) = plan.safety_stock_in_use().filter(|ss| avail < *ss) {
        raise(
            ExceptionCode::BelowSafety,
            format!(
                "available {} is below safety stock {}{}",
                fmt_qty(avail),
                fmt_qty(ss),
                plan.safety_stock_source()
            ),
        );
    }
    if let Some(lead) = plan.lead_time_days.filter(|l| d > 0.0 && avail / d < *l) {
        raise(
            ExceptionCode::OrderLate,
            format!(
                "stock lasts {} days, the supplier needs {} days ({} available, demand {}/day{from})",
                fmt_qty(((avail / d).max(0.0) * 100.0).round() / 100.0),
                fmt_qty(lead),
                fmt_qty(avail),
                fmt_qty(d)
            ),
        );
    }
    if avail > 0.0 && d <= 0.0 {
        raise(
            ExceptionCode::NoDemand,
            format!("{} in stock, no demand{from}", fmt_qty(avail)),
        );
    }
    if plan.order_qty > 0.0 {
        let need = plan.net_requirement.unwrap_or(0.0).max(0.0);
        let extra = plan.order_qty - need;
        if extra > 0.0 && (d <= 0.0 || extra / d > OVERSHOOT_DAYS) {
            let cover = if d > 0.0 {
                format!(
                    "{} days of cover at {}/day{from}",
                    fmt_qty((extra / d * 10.0).round() / 10.0),
                    fmt_qty(d)
                )
            } else {
                format!("cover with no demand{from}")
            };
            raise(
                ExceptionCode::Overshoot,
                format!(
                    "rounding adds {} units beyond the need: {cover}",
                    fmt_qty(extra)
                ),
            );
        }
    }
}

/// Days of cover = available / the demand the plan stands on
/// (`demand_per_day`; DOMAIN.md section 3: "no demand" when it is 0, 0 with
/// a backorder, never negative), with its step of the rationale. Set after
/// the rules, which decide that demand.
pub(super) fn set_days_of_cover(plan: &mut ProductPlan) {
    let (Some(a), Some(d)) = (plan.available_qty.get(), plan.demand_per_day()) else {
        return;
    };
    let from = plan.demand_source();
    let (cover, text) = if d > 0.0 && a < 0.0 {
        // A backorder covers nothing: 0 days, never negative.
        (
            Some(0.0),
            format!(
                "Days of cover = 0: a backorder of {} (available {})",
                fmt_qty(-a),
                fmt_qty(a)
            ),
        )
    } else if d > 0.0 {
        let cover = a / d;
        (
            Some(cover),
            format!(
                "Days of cover{} = {} / {}/day = {:.2} days",
                // Before the formula, which stays one a reader can redo.
                match from {
                    "" => "",
                    " (forecast)" => " at the forecast's demand",
                    _ => " at the rules' demand_rate",
                },
                fmt_qty(a),
                fmt_qty(d),
                numbers::round_money(cover)
            ),
        )
    } else {
        (None, "Days of cover: no demand".to_string())
    };
    plan.days_of_cover = cover.into();
    plan.rationale
        .set_cover(Step::simple(StepKind::Derived, text));
}
