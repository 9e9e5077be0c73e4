//! The purchase orders screens' state: the list of POs, the open PO, the
//! confirmation popup, the drafting result, and the sends under way. No
//! I/O: keys become `OrderRequest`s for the loop's tasks, and their answers
//! come back as `OrdersAnswer`s.

use std::collections::{BTreeMap, HashMap};

use crate::orders::{
    build_drafts, totals_by_currency, DraftOptions, DraftPlan, OrdersConfig, PoStatus, Progress,
    PurchaseOrder, SendAttempt, SendOutcome, Skipped,
};
use crate::plan::numbers::fmt_money;
use crate::plan::{ExceptionCode, ProductPlan};
use crate::tui::action::Action;
use crate::tui::popups::confirm::Confirm;
use crate::tui::popups::drafted::{plural, DraftedPanel};
use crate::tui::screens::order::PoDetail;

mod bulk;
mod draw;
mod update;

pub use bulk::*;
pub use draw::*;

/// Work for a purchase-order task, taken by the terminal loop.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderRequest {
    /// Every PO, newest first; answered by `OrdersAnswer::Listed`.
    List {
        request: u64,
    },
    /// One PO with its lines and send attempts (`OrdersAnswer::Loaded`).
    Load {
        request: u64,
        number: String,
    },
    /// Draft POs for these products from the plans on screen; products
    /// with stale data only when all their stale sources are among
    /// `allow_stale` (the buyer confirmed them).
    Draft {
        products: Vec<String>,
        allow_stale: Vec<String>,
    },
    Approve(String),
    /// Cancel this PO; with `true`, also one that may have reached its
    /// supplier (the buyer confirmed that risk).
    Cancel(String, bool),
    /// Send this PO; with the total (cents) the buyer confirmed, also a
    /// draft within the threshold, sent without approval as it was shown.
    Send(String, Option<i64>),
    /// Line `line` of PO `number` to `qty` purchase units.
    EditQty {
        number: String,
        line: u32,
        qty: f64,
    },
    RemoveLine {
        number: String,
        line: u32,
    },
    SetNote {
        number: String,
        note: String,
    },
    /// Everything still on order received.
    Receive(String),
    /// `qty` purchase units of line `line` received.
    ReceiveLine {
        number: String,
        line: u32,
        qty: f64,
    },
    /// Approve these POs, one after the other (each answered by
    /// `OrdersAnswer::Changed`).
    ApproveAll(Vec<String>),
    /// Send these POs, one after the other (each answered by
    /// `OrdersAnswer::Sent`); a draft within the threshold with the total
    /// (cents) the buyer confirmed, as `Send`.
    SendAll(Vec<(String, Option<i64>)>),
}

/// What a purchase-order task answered.
#[derive(Debug, Clone, PartialEq)]
pub enum OrdersAnswer {
    Listed {
        request: u64,
        result: Result<Vec<PurchaseOrder>, String>,
    },
    Loaded {
        request: u64,
        number: String,
        result: Result<(PurchaseOrder, Vec<SendAttempt>), String>,
    },
    /// The POs drafted for `products`, and the products left out.
    Drafted {
        products: Vec<String>,
        result: Result<(Vec<PurchaseOrder>, Vec<Skipped>), String>,
    },
    /// An approval or a cancellation.
    Changed {
        number: String,
        change: PoChange,
        result: Result<PurchaseOrder, String>,
    },
    /// A send under way reported.
    Progress(Progress),
    Sent {
        number: String,
        result: Result<SendOutcome, String>,
    },
    /// Sends a crash had cut off, finished at start.
    Recovered(Result<Vec<Recovered>, String>),
}

/// A send a crash cut off: the PO and how finishing it went.
pub type Recovered = (String, Result<SendOutcome, String>);

impl From<OrdersAnswer> for Action {
    fn from(answer: OrdersAnswer) -> Action {
        Action::Orders(Box::new(answer))
    }
}

/// A status change asked of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoChange {
    Approve,
    Cancel,
    /// A line's quantity, a line removed, the note.
    Edit,
    Receive,
}

/// The purchase orders screens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrdersState {
    /// The list of POs is on screen (with the detail over it when open).
    pub open: bool,
    pub pos: Vec<PurchaseOrder>,
    /// The list has been read at least once.
    pub loaded: bool,
    /// Why the last read failed.
    pub error: Option<String>,
    pub selected: usize,
    /// First row on screen (kept by the view).
    pub offset: usize,
    /// Rows that fit (set by the view; used to page).
    pub page: usize,
    pub detail: Option<PoDetail>,
    pub confirm: Option<Confirm>,
    /// The small input of the open PO (a quantity, the note).
    pub input: Option<crate::tui::screens::order_edit::PoInput>,
    pub drafted: Option<DraftedPanel>,
    /// A draft is under way.
    pub drafting: bool,
    /// POs being sent here, with what the send last said.
    pub sending: BTreeMap<String, String>,
    /// The last request ids, to drop older answers.
    pub list_request: u64,
    pub load_request: u64,
    /// What drafting here uses (`[orders]`), for the drafting question.
    pub settings: DraftSettings,
    /// POs marked with `Space` for `A` and `S`.
    pub marked: std::collections::BTreeSet<String>,
    /// Approvals or sends of one question under way.
    pub batch: Option<Batch>,
}

/// The parts of `[orders]` that decide what a draft will be.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftSettings {
    /// The currency of a supplier whose rows name none.
    pub currency: String,
    pub approval_threshold: crate::orders::ApprovalThreshold,
}

impl Default for DraftSettings {
    fn default() -> DraftSettings {
        DraftSettings::from(&OrdersConfig::default())
    }
}

impl From<&OrdersConfig> for DraftSettings {
    fn from(c: &OrdersConfig) -> DraftSettings {
        DraftSettings {
            currency: c.currency.clone(),
            approval_threshold: c.approval_threshold.clone(),
        }
    }
}

impl OrdersState {
    pub fn selected_po(&self) -> Option<&PurchaseOrder> {
        self.pos.get(self.selected)
    }

    /// The PO the keys act on: the open one, else the highlighted one.
    pub fn target(&self) -> Option<&PurchaseOrder> {
        match &self.detail {
            Some(d) => self
                .pos
                .iter()
                .find(|p| p.po_number == d.number)
                .or(d.po.as_ref()),
            None => self.selected_po(),
        }
    }

    /// The note beside a PO: the send under way, else the last failure,
    /// else why it waits for an approval.
    pub fn note(&self, po: &PurchaseOrder) -> String {
        if let Some(progress) = self.sending.get(&po.po_number) {
            return progress.clone();
        }
        if let Some(e) = &po.last_error {
            if po.status == PoStatus::Unconfirmed {
                return format!("may have reached the supplier, send again (same key): {e}");
            }
            return format!("send failed: {e}");
        }
        if needs_approval(po) {
            return format!(
                "needs approval: {}",
                po.approval_reason
                    .as_deref()
                    .unwrap_or("above the threshold")
            );
        }
        if po.status == PoStatus::Sending {
            return "being sent elsewhere (or cut off)".to_string();
        }
        String::new()
    }

    /// Puts a PO the store returned in place of its row (and the detail).
    pub(in crate::tui) fn replace(&mut self, po: PurchaseOrder) {
        if let Some(row) = self.pos.iter_mut().find(|p| p.po_number == po.po_number) {
            *row = po.clone();
        }
        if let Some(d) = self.detail.as_mut().filter(|d| d.number == po.po_number) {
            d.po = Some(po);
        }
    }

    /// The PO `number`, listed or open.
    pub fn find(&self, number: &str) -> Option<&PurchaseOrder> {
        self.pos.iter().find(|p| p.po_number == number).or_else(|| {
            self.detail
                .as_ref()
                .filter(|d| d.number == number)
                .and_then(|d| d.po.as_ref())
        })
    }

    pub(in crate::tui) fn row_mut(&mut self, number: &str) -> Option<&mut PurchaseOrder> {
        self.pos.iter_mut().find(|p| p.po_number == number)
    }

    /// Keeps the highlight on the PO `number` when it is listed.
    pub(in crate::tui) fn select(&mut self, number: Option<&str>) {
        let at = number.and_then(|n| self.pos.iter().position(|p| p.po_number == n));
        self.selected = at
            .unwrap_or(self.selected)
            .min(self.pos.len().saturating_sub(1));
    }
}

/// The POs that drafting `plans` would make, worked out as `po draft`
/// does (one per supplier and currency), from the plans on screen.
/// Products already on a PO (OPEN_PO, ON_PO) are left out, as the store
/// will.
pub fn draft_preview(
    plans: &[&ProductPlan],
    settings: &DraftSettings,
    today: chrono::NaiveDate,
    allow_stale: &[String],
) -> DraftPlan {
    let open_products: HashMap<String, String> = plans
        .iter()
        .filter_map(|p| {
            let e = p
                .exception_details
                .iter()
                .find(|e| matches!(e.code, ExceptionCode::OpenPo | ExceptionCode::OnPo))?;
            Some((p.product_id.to_string(), e.message.clone()))
        })
        .collect();
    let opts = DraftOptions {
        today,
        approval_threshold: settings.approval_threshold.clone(),
        default_currency: settings.currency.clone(),
        open_products,
        allow_stale: allow_stale.to_vec(),
    };
    build_drafts(plans, &opts)
}

/// What a draft will make, in words: "Draft 20 POs for 1,064 products
/// from 20 suppliers: 1,234,567.89 USD, 45,000.00 EUR; 2 need approval;
/// 3 products left out" (the question adds its ending).
pub fn preview_text(preview: &DraftPlan) -> String {
    if preview.pos.is_empty() {
        return format!(
            "No PO: {} left out",
            plural(preview.skipped.len(), "product", "products")
        );
    }
    let suppliers: std::collections::BTreeSet<&str> = preview
        .pos
        .iter()
        .map(|po| po.supplier_name.as_str())
        .collect();
    let products: std::collections::BTreeSet<&str> = preview
        .pos
        .iter()
        .flat_map(|po| po.lines.iter().map(|l| l.product_id.as_str()))
        .collect();
    let totals = totals_by_currency(
        preview
            .pos
            .iter()
            .map(|po| (po.currency.as_str(), po.total_cents)),
    );
    let mut text = format!(
        "Draft {} for {} from {}: {}",
        counted(preview.pos.len(), "PO", "POs"),
        counted(products.len(), "product", "products"),
        counted(suppliers.len(), "supplier", "suppliers"),
        totals_text(&totals)
    );
    let approval = preview
        .pos
        .iter()
        .filter(|po| po.approval_reason.is_some())
        .count();
    if approval > 0 {
        text += &format!(
            "; {} approval",
            if approval == 1 {
                "1 needs".to_string()
            } else {
                format!("{approval} need")
            }
        );
    }
    if !preview.skipped.is_empty() {
        text += &format!(
            "; {} left out",
            plural(preview.skipped.len(), "product", "products")
        );
    }
    text
}

/// A PO that may not be sent before someone approves it.
pub fn needs_approval(po: &PurchaseOrder) -> bool {
    po.status == PoStatus::PendingApproval
        || (po.status == PoStatus::Draft && po.approval_reason.is_some())
}

/// "21,274.39 USD to XYZ Manufacturing".
pub(in crate::tui) fn amount_to(po: &PurchaseOrder) -> String {
    format!(
        "{} {} to {}",
        fmt_money(po.total()),
        po.currency,
        po.supplier_name
    )
}

/// The first line of an error, for the message line.
pub(in crate::tui) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
