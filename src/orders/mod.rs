//! Purchase orders (DOMAIN.md section 4): drafted per supplier from the
//! plan, approved above a threshold, kept in the purchasing database, and
//! sent exactly once through each supplier's channel.

pub mod document;
pub mod draft;
pub mod drafting;
pub mod edit;
pub mod exact;
pub mod send;
pub mod settings;
mod store;

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::Serialize;

pub use draft::{approval_reason, build_drafts, DraftOptions, DraftPlan, PoDraft, Skipped};
pub use edit::QtyUnit;
pub use exact::Exact;
pub use send::{Progress, SendError, SendOutcome, Sender, TakenElsewhere};
pub use settings::{ApprovalThreshold, Channel, ChannelKind, OrdersConfig, SupplierChannel};
pub use store::{ApprovalOutcome, AuditEntry, DraftOutcome, OpenPo, SendAttempt};

/// Where a PO is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Drafted, within the threshold: it may be sent (on the buyer's
    /// confirmation) without an approval; sending never approves it.
    Draft,
    /// Above the threshold: waits for an explicit approval.
    PendingApproval,
    Approved,
    /// A send is under way (or was cut off; recovered on the next start).
    Sending,
    /// A send ended without the supplier's confirmation after an attempt
    /// that may have reached it (timed out or cut off after the order went
    /// out, a 5xx other than 503): the supplier may hold it. Sent again
    /// with the same key (a 409 then confirms it); cancelled only with an
    /// explicit confirmation that names the risk.
    Unconfirmed,
    Sent,
    Acknowledged,
    Received,
    Closed,
    Cancelled,
}

impl PoStatus {
    pub const ALL: [PoStatus; 10] = [
        PoStatus::Draft,
        PoStatus::PendingApproval,
        PoStatus::Approved,
        PoStatus::Sending,
        PoStatus::Unconfirmed,
        PoStatus::Sent,
        PoStatus::Acknowledged,
        PoStatus::Received,
        PoStatus::Closed,
        PoStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::PendingApproval => "pending_approval",
            PoStatus::Approved => "approved",
            PoStatus::Sending => "sending",
            PoStatus::Unconfirmed => "unconfirmed",
            PoStatus::Sent => "sent",
            PoStatus::Acknowledged => "acknowledged",
            PoStatus::Received => "received",
            PoStatus::Closed => "closed",
            PoStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PoStatus> {
        PoStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Not yet received, closed or cancelled: its products cannot be put
    /// on another PO.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            PoStatus::Received | PoStatus::Closed | PoStatus::Cancelled
        )
    }

    /// Drafted, not yet approved: the plan names it (ON_PO) without
    /// counting it as on order.
    pub fn is_unapproved(self) -> bool {
        matches!(self, PoStatus::Draft | PoStatus::PendingApproval)
    }

    /// Counted as on order by the plan (approved or sent, not received,
    /// closed or cancelled; an unconfirmed PO may be with the supplier).
    pub fn counts_on_order(self) -> bool {
        matches!(
            self,
            PoStatus::Approved
                | PoStatus::Sending
                | PoStatus::Unconfirmed
                | PoStatus::Sent
                | PoStatus::Acknowledged
        )
    }
}

/// A send attempt's outcome when it certainly did not reach the supplier
/// (no connection; 408, 429 or 503: the supplier says it did not take it).
pub const NOT_REACHED: &str = "not_reached";
/// A send attempt's outcome when the supplier refused the PO (a 4xx, a
/// redirect) or the channel could not take it (a file not written).
pub const REJECTED: &str = "rejected";

/// Whether an attempt with this logged outcome may have delivered the PO:
/// everything but `not_reached` and `rejected` (`unknown`, `cut_off`,
/// `started`, `ok`, and the `retry`/`failed` of versions before the
/// distinction, which are taken as may-have).
pub fn may_have_reached(outcome: &str) -> bool {
    !matches!(outcome, NOT_REACHED | REJECTED)
}

impl std::fmt::Display for PoStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product on a PO.
#[derive(Debug, Clone, PartialEq)]
pub struct PoLine {
    pub line_no: u32,
    pub product_id: String,
    pub product_name: Option<String>,
    /// Quantity in stock units (`qty_purchase` x `pack`).
    pub qty_stock: f64,
    pub stock_uom: Option<String>,
    /// Quantity in purchase units (whole).
    pub qty_purchase: f64,
    pub purchase_uom: Option<String>,
    /// Stock units per purchase unit (1 without a UOM row).
    pub pack: f64,
    /// Price per STOCK unit, as the supplier source holds it. The price a
    /// supplier reads is per purchase unit: `figures().unit_price`.
    pub stock_unit_price: f64,
    /// `qty_purchase` x the price per purchase unit, in cents (see
    /// `LineFigures`).
    pub amount_cents: i64,
    pub lead_time_days: f64,
    /// Today + lead time, when drafted (YYYY-MM-DD).
    pub expected_delivery: String,
    /// The plan's suggestion when drafted (stock units).
    pub suggested_qty: f64,
    /// The buyer's quantity was used instead of the suggestion.
    pub overridden: bool,
    /// The rules asked an approval for this product when it was drafted
    /// (`requires_approval`; false on lines drafted before schema 7).
    pub requires_approval: bool,
    /// Purchase units received so far (partial receipts); the rest is
    /// still on order.
    pub qty_received: f64,
}

/// Decimals a price per purchase unit keeps at most. pack x price needs
/// the decimals of both: 0.2642 x 42.75 = 11.29455 (5); pack sizes and
/// price lists stay far below 9. Only a pack stored with float noise
/// (0.3333333333333333) needs more: its price is then rounded to 9
/// decimals, and the amount is still worked out from that printed price.
pub const PRICE_DECIMALS: u32 = 9;

/// Decimals a quantity keeps (as `plan::numbers::round_qty`): exact for
/// any pack a UOM table holds; a pack with float noise gives no noise.
pub const QTY_DECIMALS: u32 = 6;

/// A line's figures as a supplier reads them, in exact decimals, so that
/// each identity a supplier may check holds to the cent:
///
/// - `quantity`, `unit` and `unit_price` are all per PURCHASE unit
///   (15898 gallon at 11.29455 a gallon);
/// - `amount = quantity x unit_price`, rounded half away from zero to the
///   cent (179,560.7559 -> 179,560.76);
/// - `stock_quantity = quantity x pack` (15898 x 0.2642 = 4200.2516 liter),
///   and `stock_quantity x stock_unit_price` gives the same amount.
///
/// Why the price is printed exactly rather than rounded to cents: a price
/// per purchase unit rounded to the cent (11.29) multiplied by 15,898
/// gallons misses the amount by 72.50; printed exactly (pack x price per
/// stock unit, a finite decimal), the product a supplier works out is the
/// amount before rounding, and the amount the buyer was shown in the plan
/// (order_qty x unit_price per stock unit) is the same figure. The amount
/// is worked out from these printed figures, never from `f64` products, so
/// a half cent rounds as a person rounds it (1.005 -> 1.01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFigures {
    /// In purchase units (whole).
    pub quantity: Exact,
    /// Per purchase unit: pack x stock_unit_price (at most `PRICE_DECIMALS`).
    pub unit_price: Exact,
    /// quantity x unit_price, to the cent.
    pub amount: Exact,
    /// Stock units per purchase unit.
    pub pack: Exact,
    /// quantity x pack (to `QTY_DECIMALS`, as every quantity).
    pub stock_quantity: Exact,
    /// Per stock unit, as the supplier source holds it.
    pub stock_unit_price: Exact,
}

impl LineFigures {
    /// From the purchase quantity, the pack and the price per stock unit;
    /// `None` when a figure is not finite or out of range (38 digits).
    pub fn new(qty_purchase: f64, pack: f64, stock_unit_price: f64) -> Option<LineFigures> {
        let quantity = Exact::from_f64(qty_purchase)?;
        let pack = Exact::from_f64(pack)?;
        let stock_unit_price = Exact::from_f64(stock_unit_price)?;
        let unit_price = pack.checked_mul(stock_unit_price)?.round_to(PRICE_DECIMALS);
        let amount = quantity.checked_mul(unit_price)?.round_to(2);
        Some(LineFigures {
            quantity,
            unit_price,
            amount,
            pack,
            stock_quantity: quantity.checked_mul(pack)?.round_to(QTY_DECIMALS),
            stock_unit_price,
        })
    }

    pub fn amount_cents(&self) -> Option<i64> {
        self.amount.cents()
    }
}

impl PoLine {
    /// The line as a supplier reads it (`None` only for a stored line with
    /// figures out of range).
    pub fn figures(&self) -> Option<LineFigures> {
        LineFigures::new(self.qty_purchase, self.pack, self.stock_unit_price)
    }

    /// The price per purchase unit, exact (else the nearest `f64`, rounded
    /// to `PRICE_DECIMALS`).
    pub fn unit_price(&self) -> Exact {
        self.figures().map(|f| f.unit_price).unwrap_or_else(|| {
            Exact::from_f64(self.pack * self.stock_unit_price)
                .map_or(Exact::ZERO, |e| e.round_to(PRICE_DECIMALS))
        })
    }

    /// The quantity in stock units, exact (`qty_purchase` x `pack`).
    pub fn stock_quantity(&self) -> Exact {
        self.figures()
            .map(|f| f.stock_quantity)
            .or_else(|| Exact::from_f64(self.qty_stock))
            .unwrap_or(Exact::ZERO)
    }
}

/// A figure as a JSON number (`f64`, as every JSON reader reads it).
fn json_number(e: Exact) -> f64 {
    e.to_f64()
}

/// As the store keeps it, with the price per purchase unit beside the
/// price per stock unit (`unit_price` is per `purchase_uom`, as in the
/// documents).
impl Serialize for PoLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PoLine", 18)?;
        st.serialize_field("line_no", &self.line_no)?;
        st.serialize_field("product_id", &self.product_id)?;
        st.serialize_field("product_name", &self.product_name)?;
        st.serialize_field("qty_purchase", &self.qty_purchase)?;
        st.serialize_field("purchase_uom", &self.purchase_uom)?;
        st.serialize_field("unit_price", &json_number(self.unit_price()))?;
        st.serialize_field("amount_cents", &self.amount_cents)?;
        st.serialize_field("qty_stock", &json_number(self.stock_quantity()))?;
        st.serialize_field("stock_uom", &self.stock_uom)?;
        st.serialize_field("stock_unit_price", &self.stock_unit_price)?;
        st.serialize_field("pack", &self.pack)?;
        st.serialize_field("lead_time_days", &self.lead_time_days)?;
        st.serialize_field("expected_delivery", &self.expected_delivery)?;
        st.serialize_field("suggested_qty", &self.suggested_qty)?;
        st.serialize_field("overridden", &self.overridden)?;
        st.serialize_field("requires_approval", &self.requires_approval)?;
        st.serialize_field("qty_received", &self.qty_received)?;
        st.end()
    }
}

/// A purchase order as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchaseOrder {
    pub po_number: String,
    /// What the supplier deduplicates by: the HTTP `Idempotency-Key`, the
    /// JSON's `idempotency_key`, the outbox's file names. The number and
    /// the purchasing database's identity (`PO-000001-7QK2M9XA3B`), written
    /// when the PO is drafted; the number alone for a PO drafted before.
    pub send_key: String,
    pub supplier_id: Option<String>,
    pub supplier_name: String,
    pub currency: String,
    pub total_cents: i64,
    pub status: PoStatus,
    /// Why it needs an approval (`None`: within the threshold).
    pub approval_reason: Option<String>,
    pub buyer: String,
    pub created_at: String,
    pub expected_delivery: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub sent_at: Option<String>,
    /// What the channel answered when it took the PO.
    pub confirmation: Option<String>,
    /// Why the last send failed (cleared once sent).
    pub last_error: Option<String>,
    /// The process sending it (`host:pid:nonce`) while `sending`.
    pub claim: Option<String>,
    pub claimed_at: Option<String>,
    pub updated_at: String,
    pub line_count: usize,
    /// The buyer's note (`po edit --note`).
    pub note: Option<String>,
    /// The lines (empty in lists; `Store::po` fills them).
    pub lines: Vec<PoLine>,
}

impl PurchaseOrder {
    pub fn total(&self) -> f64 {
        self.total_cents as f64 / 100.0
    }
}

/// Amounts summed per currency, never across: currency -> cents, in the
/// order of the currency codes.
pub fn totals_by_currency<'a>(
    amounts: impl IntoIterator<Item = (&'a str, i64)>,
) -> Vec<(String, i64)> {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for (currency, cents) in amounts {
        *totals.entry(currency).or_default() += cents;
    }
    totals
        .into_iter()
        .map(|(c, cents)| (c.to_string(), cents))
        .collect()
}

/// "12,000.00 EUR + 3,400.50 USD" (one term per currency; "0.00" for none).
pub fn fmt_totals(totals: &[(String, i64)]) -> String {
    if totals.is_empty() {
        return "0.00".to_string();
    }
    totals
        .iter()
        .map(|(currency, cents)| {
            format!(
                "{} {}",
                crate::plan::numbers::fmt_money(*cents as f64 / 100.0),
                printable(currency)
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Text from a source, a supplier or a config as it may reach a terminal
/// or a CSV cell (`crate::text::printable`).
pub use crate::text::printable;

/// Cents as an amount with two decimals (no float noise).
pub fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// "PO-000123".
pub fn po_number(seq: i64) -> String {
    format!("PO-{seq:06}")
}

/// Reads "PO-000123", "po-123" or "123" as the canonical number.
pub fn parse_po_number(s: &str) -> Option<String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("PO-")
        .or_else(|| t.strip_prefix("po-"))
        .unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 18 {
        return None;
    }
    digits.parse::<i64>().ok().filter(|n| *n > 0).map(po_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn po_numbers_are_read_in_any_case_and_written_with_six_digits() {
        assert_eq!(po_number(123), "PO-000123");
        assert_eq!(po_number(1234567), "PO-1234567");
        assert_eq!(parse_po_number("PO-000123").as_deref(), Some("PO-000123"));
        assert_eq!(parse_po_number(" po-123 ").as_deref(), Some("PO-000123"));
        assert_eq!(parse_po_number("123").as_deref(), Some("PO-000123"));
        for bad in ["", "PO-", "PO-12a", "PO-0", "-5", "PO--1"] {
            assert_eq!(parse_po_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn amounts_are_written_from_cents_without_float_noise() {
        assert_eq!(cents_text(930000), "9300.00");
        assert_eq!(cents_text(159999), "1599.99");
        assert_eq!(cents_text(5), "0.05");
        assert_eq!(cents_text(-250), "-2.50");
    }

    #[test]
    fn a_line_states_its_price_per_purchase_unit_and_multiplies_out() {
        // PROD-003: 15898 gallons of 0.2642 liter at 42.75 a liter.
        let f = LineFigures::new(15898.0, 0.2642, 42.75).unwrap();
        assert_eq!(f.unit_price.to_string(), "11.29455");
        assert_eq!(f.stock_quantity.to_string(), "4200.2516");
        assert_eq!(f.amount_cents(), Some(17_956_076));
        // By hand from the printed figures: 15898 x 11.29455 = 179,560.7559.
        assert_eq!(15898_i64 * 1_129_455, 17_956_075_590);
        // A half cent rounds up, as a person rounds (f64: 1.00).
        let f = LineFigures::new(1.0, 1.0, 1.005).unwrap();
        assert_eq!(f.amount_cents(), Some(101));
        // A pack stored with float noise: the price is rounded to 9
        // decimals and the amount follows the printed price.
        let f = LineFigures::new(3.0, 1.0 / 3.0, 2.0).unwrap();
        assert_eq!(f.unit_price.to_string(), "0.666666667");
        assert_eq!(f.stock_quantity.to_string(), "1");
        assert_eq!(f.amount_cents(), Some(200));
        assert_eq!(LineFigures::new(f64::NAN, 1.0, 1.0), None);
    }

    #[test]
    fn totals_are_per_currency_never_one_sum() {
        let totals = totals_by_currency([("USD", 340_050), ("EUR", 1_200_000), ("USD", 100)]);
        assert_eq!(
            totals,
            [("EUR".to_string(), 1_200_000), ("USD".to_string(), 340_150)]
        );
        assert_eq!(fmt_totals(&totals), "12,000.00 EUR + 3,401.50 USD");
        assert_eq!(fmt_totals(&[]), "0.00");
    }

    #[test]
    fn only_approved_and_sent_orders_count_as_on_order() {
        let counted: Vec<_> = PoStatus::ALL
            .into_iter()
            .filter(|s| s.counts_on_order())
            .collect();
        assert_eq!(
            counted,
            [
                PoStatus::Approved,
                PoStatus::Sending,
                PoStatus::Unconfirmed,
                PoStatus::Sent,
                PoStatus::Acknowledged
            ]
        );
        assert!(PoStatus::Draft.is_open() && !PoStatus::Received.is_open());
        for s in PoStatus::ALL {
            assert_eq!(PoStatus::parse(s.as_str()), Some(s));
        }
    }
}
