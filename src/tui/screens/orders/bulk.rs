//! Approving and sending many POs at once on the orders screen: `Space`
//! marks POs, `A` and `S` act on the marked ones (none marked: on every
//! listed PO) after one question naming the count, the totals per currency
//! and the suppliers; the answers are counted ("sending 7/20") into one
//! result that names what failed.

use super::*;
use crate::tui::keymap::Screen;
use crate::tui::popups::confirm::{Confirm, ConfirmAction};
use crate::tui::state::App;

/// Approvals or sends under way for one question's POs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub change: BatchKind,
    /// The POs asked for, in order.
    pub numbers: Vec<String>,
    /// Those answered (done or failed).
    pub answered: usize,
    /// The POs that failed and why.
    pub failed: Vec<(String, String)>,
    /// POs the question left out, and why ("needs approval").
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BatchKind {
    #[default]
    Approve,
    Send,
}

/// Suppliers in a question: at most three named, then "and 17 more".
pub fn suppliers_text(pos: &[&PurchaseOrder]) -> String {
    let mut names: Vec<String> = Vec::new();
    for po in pos {
        let name = crate::text::printable(&po.supplier_name).into_owned();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

/// "1,234,567.89 USD, 45,000.00 EUR": one total per currency, never added.
pub fn totals_text(totals: &[(String, i64)]) -> String {
    totals
        .iter()
        .map(|(currency, cents)| {
            format!(
                "{} {}",
                fmt_money(*cents as f64 / 100.0),
                crate::text::printable(currency)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn totals_of(pos: &[&PurchaseOrder]) -> String {
    totals_text(&totals_by_currency(
        pos.iter().map(|p| (p.currency.as_str(), p.total_cents)),
    ))
}

/// A PO `A` approves.
pub fn approvable(po: &PurchaseOrder) -> bool {
    matches!(po.status, PoStatus::Draft | PoStatus::PendingApproval)
}

/// A PO `S` sends: approved (or sent before without an answer), or a
/// draft within the threshold (sent after the question, never approved).
pub fn sendable(po: &PurchaseOrder) -> bool {
    match po.status {
        PoStatus::Approved | PoStatus::Unconfirmed => true,
        PoStatus::Draft => !needs_approval(po),
        _ => false,
    }
}

impl OrdersState {
    /// The POs the bulk keys act on: the open one, else the marked ones,
    /// else every listed one.
    pub fn acted_on(&self) -> Vec<&PurchaseOrder> {
        if self.detail.is_some() {
            return self.target().into_iter().collect();
        }
        if self.marked.is_empty() {
            self.pos.iter().collect()
        } else {
            self.pos
                .iter()
                .filter(|p| self.marked.contains(&p.po_number))
                .collect()
        }
    }
}

impl App {
    /// `Space` on the list of POs: marks the highlighted PO (again:
    /// unmarks it) and moves down.
    pub(in crate::tui) fn toggle_po_mark(&mut self) {
        let o = &mut self.orders;
        let Some(number) = o.selected_po().map(|p| p.po_number.clone()) else {
            return;
        };
        if !o.marked.remove(&number) {
            o.marked.insert(number);
        }
        o.selected = (o.selected + 1).min(o.pos.len().saturating_sub(1));
        self.message = Some(match o.marked.len() {
            0 => "No PO selected: A and S act on every listed PO".to_string(),
            n => format!("{} selected", plural(n, "PO", "POs")),
        });
    }

    fn orders_screen(&self) -> Screen {
        if self.orders.detail.is_some() {
            Screen::Order
        } else {
            Screen::Orders
        }
    }

    /// `A`: one question for every PO acted on that waits for approval.
    pub(in crate::tui) fn approve_pos(&mut self) {
        let acted = self.orders.acted_on();
        if let [po] = acted[..] {
            let number = po.po_number.clone();
            return self.approve_po(&number);
        }
        let chosen: Vec<&PurchaseOrder> = acted.into_iter().filter(|p| approvable(p)).collect();
        match chosen[..] {
            [] => {
                self.message = Some("No draft or PO waiting for approval to approve".to_string());
            }
            [po] => {
                let number = po.po_number.clone();
                let question = format!("Approve {number}: {}? {}", amount_to(po), self.yes_no());
                self.orders.confirm = Some(Confirm {
                    action: ConfirmAction::Approve(number),
                    question,
                });
            }
            _ => {
                let question = format!(
                    "Approve {}: {} to {}? {}",
                    counted(chosen.len(), "PO", "POs"),
                    totals_of(&chosen),
                    suppliers_text(&chosen),
                    self.yes_no()
                );
                let numbers = chosen.iter().map(|p| p.po_number.clone()).collect();
                self.orders.confirm = Some(Confirm {
                    action: ConfirmAction::ApproveMany(numbers),
                    question,
                });
            }
        }
    }

    /// `S`: one question for every PO acted on that may be sent; POs
    /// waiting for approval are left out and named (one alone: refused).
    pub(in crate::tui) fn send_pos(&mut self) {
        let acted = self.orders.acted_on();
        if acted.len() == 1 {
            let po = acted[0];
            let busy = self.orders.sending.contains_key(&po.po_number);
            if po.status == PoStatus::Draft && !needs_approval(po) && !busy {
                let number = po.po_number.clone();
                let question = format!(
                    "Send {number}, {} {}, {}? {}",
                    fmt_money(po.total()),
                    po.currency,
                    crate::text::printable(&po.supplier_name),
                    self.yes_no()
                );
                // Sent as the buyer saw it: a draft whose total changed
                // meanwhile is refused by the store.
                let drafts = [(number.clone(), po.total_cents)].into();
                self.orders.confirm = Some(Confirm {
                    action: ConfirmAction::SendMany(vec![number], Vec::new(), drafts),
                    question,
                });
                return;
            }
            // Approved, failed or refused: as one PO always was.
            let number = po.po_number.clone();
            return self.send_po(&number);
        }
        let left_out: Vec<String> = acted
            .iter()
            .filter(|p| needs_approval(p))
            .map(|p| p.po_number.clone())
            .collect();
        let chosen: Vec<&PurchaseOrder> = acted
            .into_iter()
            .filter(|p| sendable(p) && !self.orders.sending.contains_key(&p.po_number))
            .collect();
        let approve = self
            .keymap
            .keys_phrase(self.orders_screen(), "approve", &self.theme);
        let waiting = (!left_out.is_empty()).then(|| {
            format!(
                "{} approval first ({approve}): {}",
                if left_out.len() == 1 {
                    "1 PO needs".to_string()
                } else {
                    format!("{} POs need", left_out.len())
                },
                short_list(&left_out)
            )
        });
        if chosen.is_empty() {
            self.message = Some(match waiting {
                Some(w) => format!("Nothing to send: {w}"),
                None => "Nothing to send: no approved PO or draft within the threshold".to_string(),
            });
            return;
        }
        let mut question = match chosen[..] {
            [po] => format!(
                "Send {}, {} {}, {}?",
                po.po_number,
                fmt_money(po.total()),
                po.currency,
                crate::text::printable(&po.supplier_name)
            ),
            _ => format!(
                "Send {}: {} to {}?",
                counted(chosen.len(), "PO", "POs"),
                totals_of(&chosen),
                suppliers_text(&chosen)
            ),
        };
        if let Some(w) = waiting {
            question = format!("{question} Left out, {w}.");
        }
        question = format!("{question} {}", self.yes_no());
        let numbers = chosen.iter().map(|p| p.po_number.clone()).collect();
        let drafts = chosen
            .iter()
            .filter(|p| p.status == PoStatus::Draft)
            .map(|p| (p.po_number.clone(), p.total_cents))
            .collect();
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::SendMany(numbers, left_out, drafts),
            question,
        });
    }

    /// Yes to a bulk question: the POs are asked of the store one by one.
    pub(in crate::tui) fn start_batch(
        &mut self,
        change: BatchKind,
        numbers: Vec<String>,
        left_out: Vec<String>,
        // Drafts within the threshold the buyer said yes to, with the total
        // (cents) the question showed.
        drafts: std::collections::HashMap<String, i64>,
    ) {
        let count = numbers.len();
        match change {
            BatchKind::Approve => {
                self.message = Some(match &numbers[..] {
                    [one] => format!("Approving {one}..."),
                    _ => format!("approving 0/{count} ..."),
                });
                self.orders_wanted.push(match &numbers[..] {
                    [one] => OrderRequest::Approve(one.clone()),
                    _ => OrderRequest::ApproveAll(numbers.clone()),
                });
            }
            BatchKind::Send => {
                let waiting = match count {
                    1 => "sending...",
                    _ => "waiting to be sent",
                };
                for n in &numbers {
                    self.orders.sending.insert(n.clone(), waiting.to_string());
                }
                self.message = Some(match &numbers[..] {
                    [one] => format!("Sending {one}..."),
                    _ => format!("sending 0/{count} ..."),
                });
                self.orders_wanted.push(match &numbers[..] {
                    [one] => OrderRequest::Send(one.clone(), drafts.get(one).copied()),
                    _ => OrderRequest::SendAll(
                        numbers
                            .iter()
                            .map(|n| (n.clone(), drafts.get(n).copied()))
                            .collect(),
                    ),
                });
            }
        }
        self.orders.marked.clear();
        self.orders.batch = Some(Batch {
            change,
            numbers,
            answered: 0,
            failed: Vec::new(),
            left_out,
        });
    }

    /// An approval or a send answered: counted in the batch it belongs to.
    /// True when it was one of the batch's (its message is the batch's).
    pub(in crate::tui) fn batch_answer(
        &mut self,
        change: BatchKind,
        number: &str,
        failure: Option<String>,
    ) -> bool {
        let Some(batch) = self.orders.batch.as_mut() else {
            return false;
        };
        if batch.change != change || !batch.numbers.iter().any(|n| n == number) {
            return false;
        }
        if batch.numbers.len() == 1 {
            // One PO: its own answer says it best.
            self.orders.batch = None;
            return false;
        }
        batch.answered += 1;
        if let Some(why) = failure {
            batch.failed.push((number.to_string(), why));
        }
        let total = batch.numbers.len();
        if batch.answered < total {
            let verb = match change {
                BatchKind::Approve => "approving",
                BatchKind::Send => "sending",
            };
            self.message = Some(format!("{verb} {}/{total} ...", batch.answered));
            return true;
        }
        let batch = self.orders.batch.take().unwrap_or_default();
        let verb = match change {
            BatchKind::Approve => "approved",
            BatchKind::Send => "sent",
        };
        let ok = total - batch.failed.len();
        let mut text = if batch.failed.is_empty() {
            format!("{} {verb}", plural(total, "PO", "POs"))
        } else {
            let failed: Vec<String> = batch
                .failed
                .iter()
                .map(|(n, why)| format!("{n} ({})", first_line(why)))
                .collect();
            format!(
                "{ok} of {total} {verb}; not {verb}: {}",
                short_list(&failed)
            )
        };
        if !batch.left_out.is_empty() {
            text += &format!(
                "; left out, needing approval: {}",
                short_list(&batch.left_out)
            );
        }
        self.message = Some(text);
        true
    }
}

/// "1,064 products": a count with thousands separators, as money is.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    let figure = fmt_money(n as f64);
    let figure = figure.trim_end_matches(".00");
    format!("{figure} {}", if n == 1 { one } else { many })
}

/// "PO-000001, PO-000002, PO-000003 and 4 more".
pub fn short_list(items: &[String]) -> String {
    match items.len() {
        0..=3 => items.join(", "),
        n => format!("{} and {} more", items[..3].join(", "), n - 3),
    }
}
