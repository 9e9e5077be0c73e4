//! Purchase orders (DOMAIN.md section 4): drafted per supplier from the
//! plan, approved above a threshold, kept in the purchasing database, and
//! sent exactly once through each supplier's channel.

pub mod commands;
pub mod document;
pub mod draft;
pub mod send;
pub mod settings;
mod store;

use serde::Serialize;

pub use draft::{build_drafts, DraftOptions, DraftPlan, PoDraft, Skipped};
pub use send::{Progress, SendError, SendOutcome, Sender, TakenElsewhere};
pub use settings::{Channel, ChannelKind, OrdersConfig, SupplierChannel};
pub use store::{AuditEntry, DraftOutcome, OpenPo, SendAttempt};

/// Where a PO is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Drafted, within the threshold: sending approves it.
    Draft,
    /// Above the threshold: waits for an explicit approval.
    PendingApproval,
    Approved,
    /// A send is under way (or was cut off; recovered on the next start).
    Sending,
    Sent,
    Acknowledged,
    Received,
    Closed,
    Cancelled,
}

impl PoStatus {
    pub const ALL: [PoStatus; 9] = [
        PoStatus::Draft,
        PoStatus::PendingApproval,
        PoStatus::Approved,
        PoStatus::Sending,
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

    /// Counted as on order by the plan (approved or sent, not received,
    /// closed or cancelled).
    pub fn counts_on_order(self) -> bool {
        matches!(
            self,
            PoStatus::Approved | PoStatus::Sending | PoStatus::Sent | PoStatus::Acknowledged
        )
    }
}

impl std::fmt::Display for PoStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product on a PO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoLine {
    pub line_no: u32,
    pub product_id: String,
    pub product_name: Option<String>,
    /// Quantity in stock units.
    pub qty_stock: f64,
    pub stock_uom: Option<String>,
    /// Quantity in purchase units (whole).
    pub qty_purchase: f64,
    pub purchase_uom: Option<String>,
    /// Stock units per purchase unit (1 without a UOM row).
    pub pack: f64,
    /// Price per stock unit.
    pub unit_price: f64,
    /// qty_stock x unit_price, in cents.
    pub amount_cents: i64,
    pub lead_time_days: f64,
    /// Today + lead time, when drafted (YYYY-MM-DD).
    pub expected_delivery: String,
    /// The plan's suggestion when drafted (stock units).
    pub suggested_qty: f64,
    /// The buyer's quantity was used instead of the suggestion.
    pub overridden: bool,
}

/// A purchase order as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchaseOrder {
    pub po_number: String,
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
    /// The lines (empty in lists; `Store::po` fills them).
    pub lines: Vec<PoLine>,
}

impl PurchaseOrder {
    pub fn total(&self) -> f64 {
        self.total_cents as f64 / 100.0
    }
}

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
