//! Drafting: the plans of the chosen products become one PO per supplier
//! (and currency), one line per product. Pure: the store numbers and saves
//! the drafts.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::{cents_text, ApprovalThreshold, LineFigures, PoLine};
use crate::plan::numbers::{fmt_money, fmt_qty, round_qty};
use crate::plan::packs::{not_whole, whole_packs, Typed};
use crate::plan::{stale_sources_of, ExceptionCode, ProductPlan};

/// What drafting needs besides the plans.
#[derive(Debug, Clone)]
pub struct DraftOptions {
    pub today: NaiveDate,
    /// A PO whose total is above the threshold of its currency waits for
    /// an approval.
    pub approval_threshold: ApprovalThreshold,
    /// The currency of a product whose supplier row names none.
    pub default_currency: String,
    /// Products already on an open PO: product id -> "PO-000123 (sent)".
    pub open_products: HashMap<String, String>,
    /// Sources whose last data the buyer confirmed drafting from while
    /// they are stale (by name: oms, inventory, supplier, uom). A product
    /// with SOURCE_STALE is drafted only when every one of its stale
    /// sources is named here; otherwise it is left out, as by default.
    pub allow_stale: Vec<String>,
}

/// A PO before the store gives it a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoDraft {
    pub supplier_id: Option<String>,
    pub supplier_name: String,
    pub currency: String,
    pub lines: Vec<PoLine>,
    pub total_cents: i64,
    /// The latest of the lines' delivery dates.
    pub expected_delivery: String,
    /// Why it needs an approval (`None`: within the threshold).
    pub approval_reason: Option<String>,
}

/// A product left out of the drafts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub product_id: String,
    pub reason: String,
}

/// The drafts, by supplier, and the products left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DraftPlan {
    pub pos: Vec<PoDraft>,
    pub skipped: Vec<Skipped>,
    /// The thresholds the drafts were worked out with: the store works a
    /// PO's approval out again when a product is taken by another PO
    /// meanwhile (`None`: the drafts' reasons are kept as they are).
    #[serde(skip)]
    pub approval_threshold: Option<ApprovalThreshold>,
}

/// Exceptions that forbid ordering a product, with the words for them.
const BLOCKING: [(ExceptionCode, &str); 6] = [
    (ExceptionCode::SourceStale, "its data is stale"),
    (ExceptionCode::BadData, "its data is bad"),
    (ExceptionCode::NoSupplier, "it has no supplier"),
    (ExceptionCode::SupplierInactive, "its supplier is inactive"),
    (ExceptionCode::UomInvalid, "its pack size is invalid"),
    (ExceptionCode::RuleError, "the rules failed on it"),
];

/// The longest text each PO column of the purchasing database keeps, in
/// characters (`store` migrations: VARCHAR(n) on PostgreSQL and MariaDB).
pub const COLUMN_LIMITS: [(&str, usize); 6] = [
    ("product_id", 64),
    ("product_name", 400),
    ("stock_uom", 32),
    ("purchase_uom", 32),
    ("supplier_name", 200),
    ("supplier_id", 200),
];

/// The largest line amount a PO takes, in cents (10,000,000,000,000.00):
/// far beyond any real order, and small enough that the total of
/// thousands of lines stays exact in 64 bits.
pub const MAX_LINE_CENTS: i64 = 1_000_000_000_000_000;

/// Why a value of `plan` does not fit the purchasing database, if one does
/// not: that product alone is left out, never the whole draft.
fn too_long(plan: &ProductPlan) -> Option<String> {
    let values = [
        Some(&*plan.product_id),
        plan.product_name.as_deref(),
        plan.stock_uom.as_deref(),
        plan.purchase_uom.as_deref(),
        plan.supplier_name.as_deref(),
        plan.supplier_id.as_deref(),
    ];
    COLUMN_LIMITS
        .iter()
        .zip(values)
        .find_map(|((column, limit), value)| {
            let n = value?.chars().count();
            (n > *limit).then(|| {
                format!(
                    "its {column} is {n} characters long; the purchasing database keeps {limit}"
                )
            })
        })
}

/// Why `plan` cannot go on a PO, if it cannot.
fn blocked(plan: &ProductPlan, opts: &DraftOptions) -> Option<String> {
    if let Some(po) = opts.open_products.get(&*plan.product_id) {
        return Some(format!("already on {po}"));
    }
    for (code, words) in BLOCKING {
        if code == ExceptionCode::SourceStale && stale_confirmed(plan, opts) {
            continue;
        }
        if plan.has(code) {
            let detail = plan
                .exception_details
                .iter()
                .find(|e| e.code == code)
                .map(|e| e.message.as_str())
                .unwrap_or("");
            return Some(format!("{} ({}): {detail}", words, code.as_str()));
        }
    }
    None
}

/// The plan is stale only from sources the buyer confirmed.
fn stale_confirmed(plan: &ProductPlan, opts: &DraftOptions) -> bool {
    let stale = stale_sources_of(plan);
    !stale.is_empty()
        && stale
            .iter()
            .all(|s| opts.allow_stale.iter().any(|a| a.eq_ignore_ascii_case(s)))
}

/// Builds the drafts for `plans` (each product once). The buyer's quantity
/// wins over the suggestion; a product with nothing to order, or that may
/// not be ordered, is left out with the reason.
pub fn build_drafts(plans: &[&ProductPlan], opts: &DraftOptions) -> DraftPlan {
    /// (supplier key, currency) -> supplier id, name, lines.
    type Group<'a> = (Option<String>, String, Vec<(&'a ProductPlan, PoLine)>);
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &plan in plans {
        if !seen.insert(&*plan.product_id) {
            continue;
        }
        let skip = |reason: String| Skipped {
            product_id: plan.product_id.to_string(),
            reason,
        };
        if let Some(reason) = blocked(plan, opts).or_else(|| too_long(plan)) {
            skipped.push(skip(reason));
            continue;
        }
        let qty = plan.override_qty.unwrap_or(plan.order_qty);
        if !(qty.is_finite() && qty > 0.0) {
            skipped.push(skip(match plan.override_qty.get() {
                Some(_) => "nothing to order: the buyer's quantity is 0".into(),
                None => "nothing to order: the suggestion is 0".into(),
            }));
            continue;
        }
        let (Some(supplier_name), Some(unit_price)) = (&plan.supplier_name, plan.unit_price.get())
        else {
            skipped.push(skip("no supplier or no unit price".into()));
            continue;
        };
        let pack = plan.conversion_factor.filter(|f| *f > 0.0).unwrap_or(1.0);
        let purchase = match whole_packs(qty, pack) {
            Ok(packs) => packs,
            Err(offers) => {
                skipped.push(skip(not_whole(
                    Typed {
                        qty,
                        in_stock: true,
                        stock_uom: plan.stock_uom.as_deref(),
                        purchase_uom: plan.purchase_uom.as_deref().unwrap_or("purchase units"),
                        zero: false,
                    },
                    &offers,
                )));
                continue;
            }
        };
        // The figures the supplier will read, worked out exactly: the
        // amount is quantity x price per purchase unit (see LineFigures),
        // the stock quantity is quantity x pack.
        let Some((figures, amount_cents)) = LineFigures::new(purchase.round(), pack, unit_price)
            .and_then(|f| Some((f, f.amount_cents()?)))
            .filter(|(_, cents)| (0..=MAX_LINE_CENTS).contains(cents))
        else {
            skipped.push(skip(format!(
                "its figures are out of range: {} x {} x {}",
                fmt_qty(purchase),
                fmt_qty(pack),
                unit_price
            )));
            continue;
        };
        let lead = plan.lead_time_days.unwrap_or(0.0).max(0.0);
        let delivery = opts.today + chrono::Days::new(lead.ceil() as u64);
        let currency = plan
            .currency
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map_or_else(|| opts.default_currency.clone(), str::to_string);
        let line = PoLine {
            line_no: 0,
            product_id: plan.product_id.to_string(),
            product_name: plan.product_name.as_deref().map(str::to_string),
            qty_stock: figures.stock_quantity.to_f64(),
            stock_uom: plan.stock_uom.as_deref().map(str::to_string),
            qty_purchase: purchase.round(),
            purchase_uom: (plan.purchase_uom.as_deref())
                .or(plan.stock_uom.as_deref())
                .map(str::to_string),
            pack,
            stock_unit_price: unit_price,
            amount_cents,
            lead_time_days: lead,
            expected_delivery: delivery.format("%Y-%m-%d").to_string(),
            suggested_qty: round_qty(plan.order_qty),
            overridden: plan.override_qty.is_some(),
            requires_approval: plan.requires_approval,
            qty_received: 0.0,
        };
        let key = (
            plan.supplier_id
                .as_deref()
                .unwrap_or(supplier_name)
                .to_string(),
            currency.clone(),
        );
        groups
            .entry(key)
            .or_insert_with(|| {
                let supplier_id = plan.supplier_id.as_deref().map(str::to_string);
                (supplier_id, supplier_name.to_string(), Vec::new())
            })
            .2
            .push((plan, line));
    }
    let pos = groups
        .into_iter()
        .filter_map(|((_, currency), (supplier_id, supplier_name, mut lines))| {
            lines.sort_by(|a, b| a.1.product_id.cmp(&b.1.product_id));
            // Lines are taken while the total stays exact in 64 bits; the
            // rest are left out with the reason (never a total that wrapped).
            let mut total_cents: i64 = 0;
            lines.retain(|(p, l)| match total_cents.checked_add(l.amount_cents) {
                Some(t) => {
                    total_cents = t;
                    true
                }
                None => {
                    skipped.push(Skipped {
                        product_id: p.product_id.to_string(),
                        reason: "the PO's total would pass the largest amount the purchasing database keeps".into(),
                    });
                    false
                }
            });
            if lines.is_empty() {
                return None;
            }
            let approval_reason = approval_reason(
                total_cents,
                &currency,
                &opts.approval_threshold,
                lines.iter().map(|(_, l)| l),
            );
            let expected_delivery = lines
                .iter()
                .map(|(_, l)| l.expected_delivery.clone())
                .max()
                .unwrap_or_default();
            let lines: Vec<PoLine> = lines
                .into_iter()
                .enumerate()
                .map(|(i, (_, mut l))| {
                    l.line_no = i as u32 + 1;
                    l
                })
                .collect();
            Some(PoDraft {
                supplier_id,
                supplier_name,
                currency,
                lines,
                total_cents,
                expected_delivery,
                approval_reason,
            })
        })
        .collect();
    DraftPlan {
        pos,
        skipped,
        approval_threshold: Some(opts.approval_threshold.clone()),
    }
}

/// Why a PO of these lines, `total_cents` in `currency`, needs an
/// approval (`None`: it does not): both levels when both apply, "total
/// 12,000.00 EUR is above the EUR threshold 9,000.00; the rules ask
/// approval for PROD-002". Drafting and every edit of a draft say it the
/// same way.
pub fn approval_reason<'a>(
    total_cents: i64,
    currency: &str,
    threshold: &ApprovalThreshold,
    lines: impl IntoIterator<Item = &'a PoLine>,
) -> Option<String> {
    let limit = threshold.of(currency);
    let limit_cents = (limit * 100.0).round() as i64;
    let currency = crate::text::printable(currency);
    let mut reasons = Vec::new();
    if total_cents > limit_cents {
        reasons.push(format!(
            "total {} {currency} is above the {currency} threshold {}",
            fmt_money(total_cents as f64 / 100.0),
            fmt_money(limit)
        ));
    }
    let flagged: Vec<&str> = lines
        .into_iter()
        .filter(|l| l.requires_approval)
        .map(|l| l.product_id.as_str())
        .collect();
    if !flagged.is_empty() {
        reasons.push(format!("the rules ask approval for {}", flagged.join(", ")));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

impl PoDraft {
    /// "ABC Supplies Co.: 2 lines, 9300.00 EUR".
    pub fn summary(&self) -> String {
        format!(
            "{}: {} line{}, {} {}",
            self.supplier_name,
            self.lines.len(),
            if self.lines.len() == 1 { "" } else { "s" },
            cents_text(self.total_cents),
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{self, OverrideNote, PlanContext, RuleSet, StaleSource};

    fn reference_plans(ctx: &PlanContext) -> Vec<ProductPlan> {
        let inputs = plan::join(plan::fixtures::reference_rows());
        plan::plan_all(&inputs, ctx, &RuleSet::embedded())
    }

    fn opts() -> DraftOptions {
        DraftOptions {
            today: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            approval_threshold: 10_000.0.into(),
            default_currency: "EUR".into(),
            open_products: HashMap::new(),
            allow_stale: Vec::new(),
        }
    }

    fn find<'a>(plans: &'a [ProductPlan], id: &str) -> &'a ProductPlan {
        plans.iter().find(|p| *p.product_id == *id).unwrap()
    }

    #[test]
    fn one_po_per_supplier_with_quantities_in_both_units_and_the_delivery_date() {
        let plans = reference_plans(&PlanContext::default());
        let all: Vec<&ProductPlan> = plans.iter().collect();
        let d = build_drafts(&all, &opts());
        let abc = d
            .pos
            .iter()
            .find(|p| p.supplier_name == "ABC Supplies Co.")
            .expect("PROD-001's supplier has a PO");
        assert_eq!(abc.lines.len(), 1);
        let l = &abc.lines[0];
        assert_eq!((l.product_id.as_str(), l.line_no), ("PROD-001", 1));
        assert_eq!((l.qty_stock, l.qty_purchase, l.pack), (600.0, 50.0, 12.0));
        assert_eq!(l.purchase_uom.as_deref(), Some("box"));
        assert_eq!(l.amount_cents, 930_000);
        assert_eq!(abc.total_cents, 930_000);
        assert_eq!(abc.currency, "EUR");
        assert_eq!(abc.expected_delivery, "2026-11-28", "today + 7 days");
        assert_eq!(abc.approval_reason, None, "9,300.00 is within 10,000");
        // Every product with an order is on a PO, or said why not.
        for p in plans.iter().filter(|p| p.needs_order()) {
            let on_po = d
                .pos
                .iter()
                .any(|po| po.lines.iter().any(|l| *l.product_id == *p.product_id));
            let left_out = d.skipped.iter().any(|s| *s.product_id == *p.product_id);
            assert!(on_po ^ left_out, "{}", p.product_id);
        }
    }

    #[test]
    fn a_value_too_long_or_an_amount_out_of_range_leaves_that_product_out_alone() {
        let plans = reference_plans(&PlanContext::default());
        let mut long_id = find(&plans, "PROD-001").clone();
        long_id.product_id = format!("PROD-{}", "9".repeat(70)).into();
        let mut long_name = find(&plans, "PROD-002").clone();
        long_name.product_name = Some("N".repeat(401).into());
        let mut huge = find(&plans, "PROD-003").clone();
        huge.order_qty = 600e15;
        huge.purchase_qty = huge.order_qty / 0.2642;
        let fine = find(&plans, "PROD-001");
        let d = build_drafts(&[&long_id, &long_name, &huge, fine], &opts());
        let on_po: Vec<&str> = (d.pos.iter())
            .flat_map(|po| po.lines.iter().map(|l| l.product_id.as_str()))
            .collect();
        assert_eq!(
            on_po,
            ["PROD-001"],
            "the others are left out, not the draft"
        );
        let reasons: Vec<&str> = d.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons[0],
            "its product_id is 75 characters long; the purchasing database keeps 64"
        );
        assert_eq!(
            reasons[1],
            "its product_name is 401 characters long; the purchasing database keeps 400"
        );
        assert!(
            reasons[2].starts_with("its figures are out of range"),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_po_total_that_would_pass_64_bits_leaves_the_last_lines_out() {
        let plans = reference_plans(&PlanContext::default());
        let base = find(&plans, "PROD-001");
        // 9,700 lines of 9.6 x 10^14 cents each (under MAX_LINE_CENTS) from
        // one supplier: 64 bits hold 9.2 x 10^18 cents, about 9,600 lines.
        const N: usize = 9_700;
        let many: Vec<ProductPlan> = (0..N)
            .map(|i| {
                let mut p = base.clone();
                p.product_id = format!("BIG-{i:05}").into();
                p.order_qty = 96_000_000_000.0;
                p.purchase_qty = 8_000_000_000.0;
                p.unit_price = Some(100.0).into();
                p
            })
            .collect();
        let mut o = opts();
        o.approval_threshold = 1e20.into();
        let refs: Vec<&ProductPlan> = many.iter().collect();
        let d = build_drafts(&refs, &o);
        let lines: usize = d.pos.iter().map(|p| p.lines.len()).sum();
        assert!(
            lines > 9_000 && lines < N,
            "{lines} lines; {:?}",
            d.skipped.first()
        );
        assert_eq!(
            i128::from(d.pos[0].total_cents),
            (d.pos[0].lines.iter())
                .map(|l| i128::from(l.amount_cents))
                .sum::<i128>()
        );
        assert!(
            d.skipped
                .iter()
                .all(|s| s.reason.starts_with("the PO's total would pass")),
            "{:?}",
            d.skipped
        );
        assert_eq!(d.skipped.len() + lines, N);
    }

    #[test]
    fn a_po_above_the_threshold_or_flagged_by_the_rules_waits_for_approval() {
        let plans = reference_plans(&PlanContext::default());
        let p2 = find(&plans, "PROD-002");
        let d = build_drafts(&[p2], &opts());
        let reason = d.pos[0].approval_reason.as_deref().expect("needs approval");
        assert!(
            reason.contains("total 21,274.39 EUR is above the EUR threshold 10,000.00"),
            "{reason}"
        );
        assert!(
            reason.contains("the rules ask approval for PROD-002"),
            "{reason}"
        );
        let mut high = opts();
        high.approval_threshold = 1e9.into();
        let p1 = find(&plans, "PROD-001");
        assert_eq!(build_drafts(&[p1], &high).pos[0].approval_reason, None);
        let mut low = opts();
        low.approval_threshold = 9_299.99.into();
        assert!(build_drafts(&[p1], &low).pos[0].approval_reason.is_some());
        // Per currency: PROD-001's PO is in its supplier's currency; a
        // threshold for another currency leaves it to the default.
        let currency = build_drafts(&[p1], &opts()).pos[0].currency.clone();
        let total = build_drafts(&[p1], &opts()).pos[0].total_cents;
        let mut per = opts();
        per.approval_threshold = ApprovalThreshold {
            default: 1e9,
            currencies: [(currency.clone(), (total - 1) as f64 / 100.0)].into(),
        };
        let reason = build_drafts(&[p1], &per).pos[0]
            .approval_reason
            .clone()
            .expect("above its currency's threshold");
        assert_eq!(
            reason,
            format!(
                "total {} {currency} is above the {currency} threshold {}",
                fmt_money(total as f64 / 100.0),
                fmt_money((total - 1) as f64 / 100.0)
            )
        );
        per.approval_threshold.currencies = [("ZZZ".to_string(), 0.0)].into();
        assert_eq!(build_drafts(&[p1], &per).pos[0].approval_reason, None);
    }

    #[test]
    fn the_buyers_quantity_wins_and_must_be_whole_packs() {
        let mut ctx = PlanContext::default();
        ctx.overrides.insert(
            "PROD-001".into(),
            OverrideNote {
                revision: None,
                used_by: None,
                order_qty: 720.0,
                reason: "PROMO".into(),
            },
        );
        let plans = reference_plans(&ctx);
        let d = build_drafts(&[find(&plans, "PROD-001")], &opts());
        let l = &d.pos[0].lines[0];
        assert_eq!(
            (l.qty_stock, l.qty_purchase, l.suggested_qty),
            (720.0, 60.0, 600.0)
        );
        assert!(l.overridden);
        assert_eq!(l.amount_cents, 1_116_000);

        ctx.overrides.get_mut("PROD-001").unwrap().order_qty = 700.0;
        let plans = reference_plans(&ctx);
        let d = build_drafts(&[find(&plans, "PROD-001")], &opts());
        assert!(d.pos.is_empty());
        assert_eq!(
            d.skipped[0].reason,
            "700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"
        );

        ctx.overrides.get_mut("PROD-001").unwrap().order_qty = 0.0;
        let plans = reference_plans(&ctx);
        let d = build_drafts(&[find(&plans, "PROD-001")], &opts());
        assert_eq!(
            d.skipped[0].reason,
            "nothing to order: the buyer's quantity is 0"
        );
    }

    #[test]
    fn stale_data_bad_data_and_open_pos_are_left_out_with_the_reason() {
        let ctx = PlanContext {
            stale_sources: vec![StaleSource {
                source: "inventory".into(),
                as_of: "10:31:50".into(),
                error: "timed out".into(),
            }],
            ..Default::default()
        };
        let plans = reference_plans(&ctx);
        let d = build_drafts(&[find(&plans, "PROD-001")], &opts());
        assert!(d.pos.is_empty());
        assert!(
            d.skipped[0]
                .reason
                .starts_with("its data is stale (SOURCE_STALE): inventory did not answer"),
            "{}",
            d.skipped[0].reason
        );

        // Drafted from stale data only when the buyer confirmed that very
        // source; a confirmation of another source is not enough.
        let mut confirmed = opts();
        confirmed.allow_stale = vec!["uom".into()];
        let d = build_drafts(&[find(&plans, "PROD-001")], &confirmed);
        assert!(d.pos.is_empty(), "uom was confirmed, inventory is stale");
        confirmed.allow_stale = vec!["uom".into(), "inventory".into()];
        let d = build_drafts(&[find(&plans, "PROD-001")], &confirmed);
        assert_eq!(d.pos.len(), 1, "{:?}", d.skipped);
        assert_eq!(d.pos[0].lines[0].qty_stock, 600.0);
        // Two stale sources: both must be confirmed.
        let two = PlanContext {
            stale_sources: vec![
                ctx.stale_sources[0].clone(),
                StaleSource {
                    source: "supplier".into(),
                    as_of: "10:30:00".into(),
                    error: "connection refused".into(),
                },
            ],
            ..Default::default()
        };
        let plans = reference_plans(&two);
        assert_eq!(
            stale_sources_of(find(&plans, "PROD-001")),
            ["inventory", "supplier"]
        );
        let d = build_drafts(&[find(&plans, "PROD-001")], &confirmed);
        assert!(d.pos.is_empty());
        assert!(d.skipped[0].reason.contains("SOURCE_STALE"));
        confirmed.allow_stale.push("supplier".into());
        assert_eq!(
            build_drafts(&[find(&plans, "PROD-001")], &confirmed)
                .pos
                .len(),
            1
        );

        let plans = reference_plans(&PlanContext::default());
        let mut o = opts();
        o.open_products
            .insert("PROD-001".into(), "PO-000007 (sent)".into());
        let d = build_drafts(&[find(&plans, "PROD-001")], &o);
        assert_eq!(d.skipped[0].reason, "already on PO-000007 (sent)");

        let mut bad = find(&plans, "PROD-003").clone();
        bad.set_exceptions(vec![crate::plan::Exception {
            code: ExceptionCode::BadData,
            message: "unit_price is NULL".into(),
        }]);
        let d = build_drafts(&[&bad], &opts());
        assert_eq!(
            d.skipped[0].reason,
            "its data is bad (BAD_DATA): unit_price is NULL"
        );
    }
}
