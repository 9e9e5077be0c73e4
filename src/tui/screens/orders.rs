//! The purchase orders screens' state: the list of POs, the open PO, the
//! confirmation popup, the drafting result, and the sends under way. No
//! I/O: keys become `OrderRequest`s for the loop's tasks, and their answers
//! come back as `OrdersAnswer`s.

use std::collections::{BTreeMap, HashMap};

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use crate::orders::commands::age_text;
use crate::orders::{
    build_drafts, fmt_totals, printable, totals_by_currency, DraftOptions, DraftPlan, OrdersConfig,
    PoStatus, Progress, PurchaseOrder, SendAttempt, SendOutcome, Skipped,
};
use crate::plan::numbers::fmt_money;
use crate::plan::{ExceptionCode, ProductPlan};
use crate::tui::action::Action;
use crate::tui::keymap::Screen;
use crate::tui::popups::confirm::{Confirm, ConfirmAction};
use crate::tui::popups::drafted::{drafted_lines, draw_drafted, plural, DraftedPanel};
use crate::tui::screens::order::{draw_po, PoDetail};
use crate::tui::state::App;
use crate::tui::theme::Theme;

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
    Send(String),
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
}

/// The parts of `[orders]` that decide what a draft will be.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftSettings {
    /// The currency of a supplier whose rows name none.
    pub currency: String,
    pub approval_threshold: f64,
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
            approval_threshold: c.approval_threshold,
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
        approval_threshold: settings.approval_threshold,
        default_currency: settings.currency.clone(),
        open_products,
        allow_stale: allow_stale.to_vec(),
    };
    build_drafts(plans, &opts)
}

/// What a draft will make, in words: "3 POs, one per supplier (3
/// suppliers), 210,135.15 EUR + 9,300.00 USD; 2 need approval; 1 product
/// left out".
pub fn preview_text(preview: &DraftPlan) -> String {
    if preview.pos.is_empty() {
        return format!(
            "No PO: {} left out",
            plural(preview.skipped.len(), "product", "products")
        );
    }
    let mut per_supplier: BTreeMap<&str, usize> = BTreeMap::new();
    for po in &preview.pos {
        *per_supplier.entry(&po.supplier_name).or_default() += 1;
    }
    let counts: std::collections::BTreeSet<usize> = per_supplier.values().copied().collect();
    let suppliers = plural(per_supplier.len(), "supplier", "suppliers");
    let spread = match counts.iter().collect::<Vec<_>>()[..] {
        [1] => format!("one per supplier ({suppliers})"),
        [n] => format!("{n} per supplier, one per currency ({suppliers})"),
        _ => {
            let each: Vec<String> = per_supplier
                .iter()
                .map(|(name, n)| format!("{n} to {}", crate::orders::printable(name)))
                .collect();
            each.join(", ")
        }
    };
    let totals = totals_by_currency(
        preview
            .pos
            .iter()
            .map(|po| (po.currency.as_str(), po.total_cents)),
    );
    let mut text = format!(
        "{}, {spread}: {}",
        plural(preview.pos.len(), "PO", "POs"),
        fmt_totals(&totals)
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

impl App {
    /// `P` on the list.
    pub(in crate::tui) fn draft_orders(&mut self) {
        if self.orders.drafting {
            self.message = Some("Already drafting POs...".to_string());
            return;
        }
        if !self.for_order.is_empty() {
            let products: Vec<String> = self.for_order.iter().cloned().collect();
            let sources = self.stale_sources_among(&products);
            if sources.is_empty() {
                self.request_draft(products, Vec::new());
            } else {
                let question = format!("{} ({})", self.stale_question(&sources), self.yes_no());
                self.orders.confirm = Some(Confirm {
                    action: ConfirmAction::DraftStale { products, sources },
                    question,
                });
            }
            return;
        }
        // As `po draft --all-needed`: a suggested order, or a buyer's quantity.
        let products: Vec<String> = self
            .plans
            .iter()
            .filter(|p| p.needs_order() || p.override_qty.is_some_and(|q| q > 0.0))
            .map(|p| p.product_id.to_string())
            .collect();
        if products.is_empty() {
            self.message = Some("No product needs an order: nothing to draft".to_string());
            return;
        }
        let sources = self.stale_sources_among(&products);
        // What yes will make, from the plans on screen (with the stale
        // sources' last data when yes means that).
        let chosen: Vec<&ProductPlan> = products
            .iter()
            .filter_map(|id| self.plan_by_id(id))
            .collect();
        let preview = draft_preview(
            &chosen,
            &self.orders.settings,
            self.now.date_naive(),
            &sources,
        );
        let all = format!(
            "Draft POs for all {} that need an order? {}.",
            plural(products.len(), "product", "products"),
            preview_text(&preview)
        );
        let (action, question) = if sources.is_empty() {
            (
                ConfirmAction::DraftAll(products),
                format!("{all} ({})", self.yes_no()),
            )
        } else {
            let question = format!(
                "{all} {} ({})",
                self.stale_question(&sources),
                self.yes_no()
            );
            (ConfirmAction::DraftStale { products, sources }, question)
        };
        self.orders.confirm = Some(Confirm { action, question });
    }

    /// The stale sources (SOURCE_STALE) of these products' plans, sorted.
    pub(in crate::tui) fn stale_sources_among(&self, products: &[String]) -> Vec<String> {
        let mut sources: Vec<String> = products
            .iter()
            .filter_map(|id| self.plan_by_id(id))
            .flat_map(|p| {
                crate::plan::stale_sources_of(p)
                    .into_iter()
                    .map(str::to_string)
            })
            .collect();
        sources.sort();
        sources.dedup();
        sources
    }

    /// "inventory is stale (read 2m ago): draft from its last data
    /// anyway?", naming every stale source and the age of its data.
    pub(in crate::tui) fn stale_question(&self, sources: &[String]) -> String {
        let named: Vec<String> = sources
            .iter()
            .map(|name| {
                let read = self
                    .sources
                    .iter()
                    .find(|s| s.kind.name() == name)
                    .and_then(|s| s.last_ok)
                    .map(|t| {
                        format!(
                            " (read {} ago)",
                            crate::tui::view::age((self.now - t).num_seconds())
                        )
                    })
                    .unwrap_or_default();
                format!("{name}{read}")
            })
            .collect();
        if named.len() == 1 {
            format!("{} is stale: draft from its last data anyway?", named[0])
        } else {
            format!(
                "{} are stale: draft from their last data anyway?",
                named.join(", ")
            )
        }
    }

    pub(in crate::tui) fn request_draft(
        &mut self,
        products: Vec<String>,
        allow_stale: Vec<String>,
    ) {
        self.orders.drafting = true;
        self.message = Some(if allow_stale.is_empty() {
            format!(
                "Drafting POs for {}...",
                plural(products.len(), "product", "products")
            )
        } else {
            format!(
                "Drafting POs for {} (stale data confirmed: {})...",
                plural(products.len(), "product", "products"),
                allow_stale.join(", ")
            )
        });
        self.orders_wanted.push(OrderRequest::Draft {
            products,
            allow_stale,
        });
    }

    /// "y/n", as bound.
    pub(in crate::tui) fn yes_no(&self) -> String {
        let first = |name| {
            self.keymap
                .binding(Screen::Confirm, name)
                .and_then(|b| b.keys.first())
                .map(|k| k.label(&self.theme))
                .unwrap_or_default()
        };
        format!("{}/{}", first("yes"), first("no"))
    }

    /// `O` on the list: the POs, read again from the store.
    pub(in crate::tui) fn open_orders(&mut self) {
        self.orders.open = true;
        self.orders.detail = None;
        self.message = None;
        self.reload_orders();
    }

    pub(in crate::tui) fn reload_orders(&mut self) {
        self.orders.list_request += 1;
        self.orders_wanted.push(OrderRequest::List {
            request: self.orders.list_request,
        });
        if let Some(number) = self.orders.detail.as_ref().map(|d| d.number.clone()) {
            self.load_po(number);
        }
    }

    pub(in crate::tui) fn load_po(&mut self, number: String) {
        self.orders.load_request += 1;
        let request = self.orders.load_request;
        if let Some(d) = self.orders.detail.as_mut() {
            d.request = request;
        }
        self.orders_wanted
            .push(OrderRequest::Load { request, number });
    }

    /// Keys on the list of POs and on the open PO.
    pub(in crate::tui) fn update_orders(&mut self, action: Action) {
        if let Some(detail) = self.orders.detail.as_mut() {
            let page = u16::try_from(self.orders.page.max(1)).unwrap_or(u16::MAX);
            let scroll = match action {
                Action::Up => Some(detail.scroll.saturating_sub(1)),
                Action::Down => Some(detail.scroll.saturating_add(1)),
                Action::PageUp => Some(detail.scroll.saturating_sub(page)),
                Action::PageDown => Some(detail.scroll.saturating_add(page)),
                Action::Top => Some(0),
                Action::Bottom => Some(u16::MAX),
                _ => None,
            };
            if let Some(scroll) = scroll {
                detail.scroll = scroll;
                return;
            }
        }
        let o = &mut self.orders;
        let last = o.pos.len().saturating_sub(1);
        match action {
            Action::Up => o.selected = o.selected.saturating_sub(1),
            Action::Down => o.selected = (o.selected + 1).min(last),
            Action::PageUp => o.selected = o.selected.saturating_sub(o.page.max(1)),
            Action::PageDown => o.selected = (o.selected + o.page.max(1)).min(last),
            Action::Top => o.selected = 0,
            Action::Bottom => o.selected = last,
            Action::OpenDetail => {
                if let Some(po) = o.selected_po().cloned() {
                    o.detail = Some(PoDetail {
                        number: po.po_number.clone(),
                        request: 0,
                        po: Some(po.clone()),
                        attempts: Vec::new(),
                        loaded: false,
                        error: None,
                        scroll: 0,
                    });
                    self.load_po(po.po_number);
                }
            }
            Action::Back => {
                self.message = None;
                if self.orders.detail.take().is_none() {
                    self.orders.open = false;
                }
            }
            Action::Quit => self.should_quit = true,
            Action::ReloadOrders => self.reload_orders(),
            Action::ApprovePo => self.approve_po(),
            Action::SendPo => self.send_po(),
            Action::CancelPo => self.cancel_po(),
            _ => {}
        }
    }

    pub(in crate::tui) fn approve_po(&mut self) {
        let Some(po) = self.orders.target() else {
            return;
        };
        if !matches!(po.status, PoStatus::Draft | PoStatus::PendingApproval) {
            self.message = Some(format!(
                "{} is {}: only a draft or a PO waiting for approval is approved",
                po.po_number, po.status
            ));
            return;
        }
        let number = po.po_number.clone();
        let question = format!("Approve {number}: {}? {}", amount_to(po), self.yes_no());
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::Approve(number),
            question,
        });
    }

    pub(in crate::tui) fn cancel_po(&mut self) {
        let Some(po) = self.orders.target() else {
            return;
        };
        let number = po.po_number.clone();
        let refusal = match po.status {
            PoStatus::Draft | PoStatus::PendingApproval | PoStatus::Approved => None,
            PoStatus::Unconfirmed => {
                let question = format!(
                    "{number} may have reached {}: its last send ended without an answer ({}). Cancelling it here does not cancel it there: the supplier may deliver it while its products are ordered again. Ask the supplier first, or send it again (same key). Cancel anyway? {}",
                    crate::text::masked(&po.supplier_name),
                    crate::text::masked(po.last_error.as_deref().unwrap_or("no confirmation")),
                    self.yes_no()
                );
                self.orders.confirm = Some(Confirm {
                    action: ConfirmAction::CancelUnconfirmed(number),
                    question,
                });
                return;
            }
            PoStatus::Sending | PoStatus::Sent | PoStatus::Acknowledged => Some(format!(
                "{number} is {}: the supplier has it; cancel with the supplier, then close it (buyerdesk po close {number})",
                po.status
            )),
            _ => Some(format!("{number} is {}: nothing to cancel", po.status)),
        };
        if let Some(refusal) = refusal {
            self.message = Some(refusal);
            return;
        }
        let question = format!("Cancel {number}: {}? {}", amount_to(po), self.yes_no());
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::Cancel(number),
            question,
        });
    }

    pub(in crate::tui) fn send_po(&mut self) {
        let Some(po) = self.orders.target() else {
            return;
        };
        let number = po.po_number.clone();
        let refusal = if self.orders.sending.contains_key(&number) {
            Some(format!("{number} is being sent"))
        } else if needs_approval(po) {
            let screen = if self.orders.detail.is_some() {
                Screen::Order
            } else {
                Screen::Orders
            };
            let keys = self.keymap.keys_phrase(screen, "approve", &self.theme);
            Some(if keys.is_empty() {
                format!("{number} needs approval first")
            } else {
                format!("{number} needs approval first: {keys}")
            })
        } else {
            match po.status {
                PoStatus::Sent | PoStatus::Acknowledged | PoStatus::Received | PoStatus::Closed => {
                    Some(format!(
                        "{number} was sent at {}: it is never sent twice",
                        po.sent_at.as_deref().unwrap_or("?")
                    ))
                }
                PoStatus::Cancelled => Some(format!("{number} is cancelled")),
                _ => None,
            }
        };
        if let Some(refusal) = refusal {
            self.message = Some(refusal);
            return;
        }
        self.orders
            .sending
            .insert(number.clone(), "sending...".to_string());
        self.message = Some(format!("Sending {number}..."));
        self.orders_wanted.push(OrderRequest::Send(number));
    }

    /// An answer of a purchase-order task. Answers to older requests are
    /// dropped; after every draft, approval, send or cancellation the plan
    /// is refreshed (products on a PO show it).
    pub(in crate::tui) fn orders_answer(&mut self, answer: OrdersAnswer) {
        match answer {
            OrdersAnswer::Listed { request, result } => {
                if request != self.orders.list_request {
                    return;
                }
                match result {
                    Ok(pos) => {
                        let keep = self.orders.selected_po().map(|p| p.po_number.clone());
                        self.orders.pos = pos;
                        self.orders.loaded = true;
                        self.orders.error = None;
                        self.orders.select(keep.as_deref());
                    }
                    Err(e) => {
                        self.message = Some(format!("POs not read: {}", first_line(&e)));
                        self.orders.error = Some(e);
                    }
                }
            }
            OrdersAnswer::Loaded {
                request,
                number,
                result,
            } => {
                let Some(d) = self.orders.detail.as_mut() else {
                    return;
                };
                if d.request != request || d.number != number {
                    return;
                }
                match result {
                    Ok((po, attempts)) => {
                        d.attempts = attempts;
                        d.loaded = true;
                        d.error = None;
                        self.orders.replace(po);
                    }
                    Err(e) => d.error = Some(e),
                }
            }
            OrdersAnswer::Drafted { products, result } => {
                self.orders.drafting = false;
                self.refresh_requested = true;
                match result {
                    Ok((created, skipped)) => {
                        // The products now on a PO are no longer selected.
                        for id in &products {
                            if !skipped.iter().any(|s| &s.product_id == id) {
                                self.for_order.remove(id);
                            }
                        }
                        let panel = DraftedPanel {
                            created,
                            skipped,
                            scroll: 0,
                        };
                        self.message = Some(panel.summary());
                        let first = panel.created.first().map(|p| p.po_number.clone());
                        // Listed at once, newest first, until the list is read.
                        for po in &panel.created {
                            if !self.orders.pos.iter().any(|p| p.po_number == po.po_number) {
                                self.orders.pos.insert(0, po.clone());
                            }
                        }
                        self.orders.open = true;
                        self.orders.detail = None;
                        self.orders.loaded = true;
                        self.orders.select(first.as_deref());
                        if !panel.skipped.is_empty() {
                            self.orders.drafted = Some(panel);
                        }
                        self.orders.list_request += 1;
                        self.orders_wanted.push(OrderRequest::List {
                            request: self.orders.list_request,
                        });
                    }
                    Err(e) => {
                        self.message = Some(format!("No PO drafted: {}", first_line(&e)));
                    }
                }
            }
            OrdersAnswer::Changed {
                number,
                change,
                result,
            } => {
                self.refresh_requested = true;
                match result {
                    Ok(po) => {
                        self.message = Some(match change {
                            PoChange::Approve => format!(
                                "{number} approved by {}: {}",
                                po.approved_by.as_deref().unwrap_or("?"),
                                amount_to(&po)
                            ),
                            PoChange::Cancel => {
                                format!("{number} cancelled; its products are free for new POs")
                            }
                        });
                        self.orders.replace(po);
                    }
                    Err(e) => {
                        let what = match change {
                            PoChange::Approve => "not approved",
                            PoChange::Cancel => "not cancelled",
                        };
                        self.message = Some(format!("{number} {what}: {}", first_line(&e)));
                        self.reload_orders();
                    }
                }
            }
            OrdersAnswer::Progress(progress) => {
                let (number, note) = match progress {
                    Progress::Attempt {
                        po, attempt, of, ..
                    } => (po, format!("sending: attempt {attempt}/{of}")),
                    Progress::Retrying {
                        po, wait, reason, ..
                    } => (
                        po,
                        format!("retry in {:.1} s: {reason}", wait.as_secs_f64()),
                    ),
                };
                // Claimed by now: the store says sending.
                if let Some(row) = self.orders.row_mut(&number) {
                    if matches!(row.status, PoStatus::Draft | PoStatus::Approved) {
                        row.status = PoStatus::Sending;
                    }
                }
                self.orders.sending.insert(number, note);
            }
            OrdersAnswer::Sent { number, result } => {
                self.orders.sending.remove(&number);
                self.refresh_requested = true;
                match result {
                    Ok(o) => {
                        self.message = Some(format!(
                            "{number} sent via {} ({})",
                            o.channel,
                            plural(o.attempts as usize, "attempt", "attempts")
                        ));
                        if let Some(row) = self.orders.row_mut(&number) {
                            row.status = PoStatus::Sent;
                            row.last_error = None;
                            row.confirmation = Some(o.confirmation);
                        }
                    }
                    Err(e) => {
                        let e = first_line(&e).to_string();
                        // The store keeps why; the row shows it at once.
                        let prefix = format!("{number} not sent: ");
                        if let Some(reason) = e.strip_prefix(&prefix) {
                            if let Some(row) = self.orders.row_mut(&number) {
                                row.last_error = Some(reason.to_string());
                                if row.status == PoStatus::Sending {
                                    row.status = PoStatus::Approved;
                                }
                            }
                        }
                        self.message = Some(e);
                    }
                }
                self.reload_orders();
            }
            OrdersAnswer::Recovered(result) => match result {
                Ok(done) if done.is_empty() => {}
                Ok(done) => {
                    let said: Vec<String> = done
                        .into_iter()
                        .map(|(number, r)| {
                            self.orders.sending.remove(&number);
                            match r {
                                Ok(_) => {
                                    format!("{number}: send finished after a crash (same key)")
                                }
                                Err(e) => format!(
                                    "{number}: the send a crash cut off failed again: {}",
                                    first_line(&e)
                                ),
                            }
                        })
                        .collect();
                    self.message = Some(said.join("; "));
                    self.refresh_requested = true;
                    if self.orders.open {
                        self.reload_orders();
                    }
                }
                Err(e) => {
                    self.message = Some(format!(
                        "Sends cut off by a crash not checked: {}",
                        first_line(&e)
                    ));
                }
            },
        }
    }
}

/// The list of POs, or the open PO over it; after a draft, what it did in
/// a panel below the list.
pub fn draw_orders(frame: &mut Frame, app: &mut App, area: Rect) {
    if app.orders.detail.is_some() {
        draw_po(frame, app, area);
    } else if app.orders.drafted.is_some() {
        let lines = drafted_lines(app, usize::from(area.width));
        let height = (lines.len() as u16 + 1).min(area.height * 3 / 5);
        let [list, panel] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(height)]).areas(area);
        draw_po_list(frame, app, list);
        draw_drafted(frame, app, panel, lines);
    } else {
        draw_po_list(frame, app, area);
    }
}

pub(in crate::tui) fn now_utc(app: &App) -> chrono::DateTime<chrono::Utc> {
    app.now.with_timezone(&chrono::Utc)
}

/// `text` in at most `width` characters, cut with an ellipsis after a
/// whole word, so that no figure shows in part ("total 21,274.…" would
/// read as another number); a single word too long is cut.
pub(in crate::tui) fn fit(theme: &Theme, text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let more = theme.sym("…", "~");
    let keep = width.saturating_sub(1);
    let cut: String = text.chars().take(keep).collect();
    // The first character dropped starts a new word: the cut is whole.
    let whole = text.chars().nth(keep) == Some(' ');
    match cut.rfind(' ') {
        _ if whole => cut.trim_end().to_string() + more,
        Some(i) if i > 0 => cut[..i].trim_end().to_string() + " " + more,
        _ => cut + more,
    }
}

/// A status in the list: `pending_approval` is long for 80 columns.
pub(in crate::tui) fn status_text(status: PoStatus, wide: bool) -> &'static str {
    match status {
        PoStatus::PendingApproval if !wide => "pending",
        PoStatus::Acknowledged if !wide => "acked",
        s => s.as_str(),
    }
}

pub(in crate::tui) fn is_trouble(orders: &OrdersState, po: &PurchaseOrder) -> bool {
    !orders.sending.contains_key(&po.po_number) && po.last_error.is_some()
}

pub(in crate::tui) struct PoColumn {
    title: &'static str,
    /// Shares what is left with the other filled columns.
    fill: Option<u16>,
    right: bool,
}

pub(in crate::tui) fn po_columns(wide: bool) -> Vec<PoColumn> {
    let c = |title, fill, right| PoColumn { title, fill, right };
    let mut cols = vec![
        c("PO", None, false),
        c("Status", None, false),
        c("Supplier", Some(1), false),
    ];
    if wide {
        cols.push(c("Lines", None, true));
    }
    cols.push(c("Total", None, true));
    cols.push(c("Cur", None, false));
    if wide {
        cols.push(c("Delivery", None, false));
        cols.push(c("Age", None, true));
    }
    cols.push(c("Note", Some(1), false));
    cols
}

pub(in crate::tui) fn po_cell(
    title: &str,
    po: &PurchaseOrder,
    orders: &OrdersState,
    now: chrono::DateTime<chrono::Utc>,
    wide: bool,
) -> String {
    match title {
        "PO" => po.po_number.clone(),
        "Status" => status_text(po.status, wide).to_string(),
        "Supplier" => printable(&po.supplier_name).into_owned(),
        "Lines" => po.line_count.to_string(),
        "Total" => fmt_money(po.total()),
        "Cur" => po.currency.clone(),
        "Delivery" => po.expected_delivery.clone(),
        "Age" => age_text(&po.created_at, now),
        _ => orders.note(po),
    }
}

pub(in crate::tui) fn draw_po_list(frame: &mut Frame, app: &mut App, area: Rect) {
    let theme = app.theme;
    let orders = &app.orders;
    let title = if orders.loaded {
        format!(" Purchase orders: {}, newest first ", orders.pos.len())
    } else {
        " Purchase orders: reading... ".to_string()
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if orders.pos.is_empty() {
        let text = match (&orders.error, orders.loaded) {
            (Some(e), _) => format!("The POs could not be read: {e}"),
            (None, false) => "Reading the POs...".to_string(),
            (None, true) => {
                let select = app
                    .keymap
                    .keys_phrase(Screen::List, "toggle_select", &theme);
                let draft = app.keymap.keys_phrase(Screen::List, "draft_orders", &theme);
                format!(
                    "No purchase orders yet. On the product list, select products ({select}) and draft POs ({draft})."
                )
            }
        };
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
        return;
    }
    // The highlighted PO in a sentence below the table: what narrow
    // screens leave out, and its note in full (cut in its cell).
    let now = now_utc(app);
    let about = orders.selected_po().map(|po| {
        let note = orders.note(po);
        let mut text = format!(
            "{}: {}, drafted by {} {} ago, delivery {}",
            po.po_number,
            if po.line_count == 1 {
                "1 line".to_string()
            } else {
                format!("{} lines", po.line_count)
            },
            po.buyer,
            age_text(&po.created_at, now),
            po.expected_delivery
        );
        if !note.is_empty() {
            text = format!("{text}; {note}");
        }
        let style = if is_trouble(orders, po) {
            theme.danger()
        } else {
            Style::new()
        };
        Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: false })
    });
    let about_height = about
        .as_ref()
        .map_or(0, |p| p.line_count(inner.width).clamp(1, 3) as u16);
    // What the open POs add up to, per currency (never one sum).
    let totals = Paragraph::new(open_totals_text(&orders.pos)).wrap(Wrap { trim: true });
    let totals_height = (totals.line_count(inner.width) as u16).clamp(1, 3);
    let [table_area, totals_area, note_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(totals_height),
        Constraint::Length(about_height),
    ])
    .areas(inner);
    let wide = area.width >= 120;
    let cols = po_columns(wide);
    let height = usize::from(table_area.height.saturating_sub(1));
    let orders = &mut app.orders;
    orders.page = height.max(1);
    if orders.selected < orders.offset {
        orders.offset = orders.selected;
    } else if orders.selected >= orders.offset + height {
        orders.offset = orders.selected + 1 - height;
    }
    let orders = &app.orders;
    let end = (orders.offset + height).min(orders.pos.len());
    let visible: Vec<Vec<String>> = orders.pos[orders.offset..end]
        .iter()
        .map(|po| {
            cols.iter()
                .map(|c| po_cell(c.title, po, orders, now, wide))
                .collect()
        })
        .collect();
    // Fixed columns as wide as their widest visible cell; the rest is
    // shared by the supplier and the note.
    let mut widths: Vec<u16> = cols
        .iter()
        .enumerate()
        .map(|(k, c)| {
            visible
                .iter()
                .map(|cells| cells[k].chars().count())
                .max()
                .unwrap_or(0)
                .max(c.title.len()) as u16
        })
        .collect();
    let fixed: u16 = cols
        .iter()
        .zip(&widths)
        .filter(|(c, _)| c.fill.is_none())
        .map(|(_, w)| *w)
        .sum::<u16>()
        + cols.len() as u16
        - 1;
    let room = table_area.width.saturating_sub(fixed);
    let shares: u16 = cols.iter().filter_map(|c| c.fill).sum();
    let mut left = room;
    for (k, c) in cols.iter().enumerate() {
        if let Some(share) = c.fill {
            // The supplier needs no more than its longest name; the note
            // takes the rest.
            let w = if c.title == "Note" {
                left
            } else {
                (room * share / shares).min(widths[k])
            };
            widths[k] = w;
            left = left.saturating_sub(w);
        }
    }
    let header = Row::new(cols.iter().map(|c| {
        let line = Line::from(c.title);
        Cell::from(if c.right { line.right_aligned() } else { line })
    }))
    .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let rows = visible.into_iter().enumerate().map(|(i, cells)| {
        let po = &orders.pos[orders.offset + i];
        let row = Row::new(cols.iter().zip(cells).zip(&widths).map(|((c, t), w)| {
            let line = Line::from(fit(&theme, &t, usize::from(*w)));
            Cell::from(if c.right { line.right_aligned() } else { line })
        }));
        if orders.offset + i == orders.selected {
            row.style(Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD))
        } else if is_trouble(orders, po) {
            row.style(theme.danger())
        } else if matches!(po.status, PoStatus::Cancelled | PoStatus::Closed) {
            row.style(Style::new().add_modifier(Modifier::DIM))
        } else {
            row
        }
    });
    let constraints: Vec<Constraint> = widths.iter().map(|w| Constraint::Length(*w)).collect();
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        table_area,
    );
    frame.render_widget(totals, totals_area);
    if let Some(about) = about {
        frame.render_widget(about, note_area);
    }
}

/// "5 open POs: 53,224.90 EUR + 21,274.39 USD; not counted: 1 cancelled":
/// the open POs' totals, per currency.
pub fn open_totals_text(pos: &[PurchaseOrder]) -> String {
    let open: Vec<&PurchaseOrder> = pos.iter().filter(|p| p.status.is_open()).collect();
    let totals = totals_by_currency(open.iter().map(|p| (p.currency.as_str(), p.total_cents)));
    let mut text = match open.len() {
        0 => "No open PO".to_string(),
        1 => format!("1 open PO: {}", fmt_totals(&totals)),
        n => format!("{n} open POs: {}", fmt_totals(&totals)),
    };
    // The others, by status: "not counted: 1 cancelled, 2 received".
    let mut done: BTreeMap<PoStatus, usize> = BTreeMap::new();
    for p in pos.iter().filter(|p| !p.status.is_open()) {
        *done.entry(p.status).or_default() += 1;
    }
    if !done.is_empty() {
        let each: Vec<String> = done.iter().map(|(s, n)| format!("{n} {s}")).collect();
        text += &format!("; not counted: {}", each.join(", "));
    }
    text
}
