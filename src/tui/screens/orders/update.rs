//! The keys of the purchase orders screens and what their tasks answer:
//! drafting, approving, sending, cancelling, loading.

use super::*;
use crate::orders::{PoStatus, Progress};
use crate::plan::ProductPlan;
use crate::tui::action::Action;
use crate::tui::keymap::Screen;
use crate::tui::popups::confirm::{Confirm, ConfirmAction};
use crate::tui::popups::drafted::{plural, DraftedPanel};
use crate::tui::screens::order::PoDetail;
use crate::tui::state::App;

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
            // Ordered already, on a draft or pending PO.
            .filter(|p| !crate::tui::state::on_a_po(p))
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
        let all = preview_text(&preview);
        let (action, question) = if sources.is_empty() {
            (
                ConfirmAction::DraftAll(products),
                format!("{all}? {}", self.yes_no()),
            )
        } else {
            let question = format!(
                "{all}. {} ({})",
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
        if self.orders.detail.is_some() && self.update_po_edit(&action) {
            return;
        }
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
                        selected_line: 0,
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
            Action::ApprovePo => self.approve_pos(),
            Action::SendPo => self.send_pos(),
            Action::ToggleSelect if self.orders.detail.is_none() => self.toggle_po_mark(),
            Action::CancelPo => self.cancel_po(),
            _ => {}
        }
    }

    pub(in crate::tui) fn approve_po(&mut self, number: &str) {
        let Some(po) = self.orders.find(number) else {
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

    pub(in crate::tui) fn send_po(&mut self, number: &str) {
        let Some(po) = self.orders.find(number) else {
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
        // A draft within the threshold is asked about first (`send_pos`);
        // one reaching here is refused by the sender (never approved).
        self.request_send(number, None);
    }

    /// Sends a PO on a task; `confirmed_total`: the buyer said yes to
    /// sending a draft of this total (cents) without approval.
    pub(in crate::tui) fn request_send(&mut self, number: String, confirmed_total: Option<i64>) {
        self.orders
            .sending
            .insert(number.clone(), "sending...".to_string());
        self.message = Some(format!("Sending {number}..."));
        self.orders_wanted
            .push(OrderRequest::Send(number, confirmed_total));
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
                        // Selected POs stay selected while listed.
                        let listed: std::collections::BTreeSet<&str> = self
                            .orders
                            .pos
                            .iter()
                            .map(|p| p.po_number.as_str())
                            .collect();
                        self.orders.marked.retain(|n| listed.contains(n.as_str()));
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
                        // Listed at once, newest (the last drafted) first,
                        // until the list is read; the list opens at the top.
                        for po in &panel.created {
                            if !self.orders.pos.iter().any(|p| p.po_number == po.po_number) {
                                self.orders.pos.insert(0, po.clone());
                            }
                        }
                        self.orders.open = true;
                        self.orders.detail = None;
                        self.orders.loaded = true;
                        self.orders.selected = 0;
                        self.orders.offset = 0;
                        self.orders.marked.clear();
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
                let failure = result.as_ref().err().cloned();
                let batched = change == PoChange::Approve
                    && self.batch_answer(BatchKind::Approve, &number, failure);
                // A batch's plans are refreshed once, after its last answer.
                self.refresh_requested |= self.orders.batch.is_none();
                match result {
                    Ok(po) if batched => self.orders.replace(po),
                    Err(_) if batched => self.reload_orders(),
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
                            PoChange::Edit => format!(
                                "{number} changed: {} {}, {}",
                                fmt_money(po.total()),
                                po.currency,
                                po.status
                            ),
                            PoChange::Receive => format!(
                                "{number} {}",
                                if po.status == PoStatus::Received {
                                    "received in full; its products are free for new POs"
                                } else {
                                    "received in part; the rest stays on order"
                                }
                            ),
                        });
                        self.orders.replace(po);
                    }
                    Err(e) => {
                        let what = match change {
                            PoChange::Approve => "not approved",
                            PoChange::Cancel => "not cancelled",
                            PoChange::Edit => "not changed",
                            PoChange::Receive => "not received",
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
                let failure = result.as_ref().err().cloned();
                let batched = self.batch_answer(BatchKind::Send, &number, failure);
                self.refresh_requested |= self.orders.batch.is_none();
                match result {
                    Ok(o) => {
                        if !batched {
                            self.message = Some(format!(
                                "{number} sent via {} ({})",
                                o.channel,
                                plural(o.attempts as usize, "attempt", "attempts")
                            ));
                        }
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
                                    // Back where it was: a draft sent on
                                    // the buyer's yes stays a draft.
                                    row.status = if row.approved_by.is_some() {
                                        PoStatus::Approved
                                    } else {
                                        PoStatus::Draft
                                    };
                                }
                            }
                        }
                        if !batched {
                            self.message = Some(e);
                        }
                    }
                }
                // Read again once, when the last of a batch answered.
                if self.orders.batch.is_none() {
                    self.reload_orders();
                }
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
