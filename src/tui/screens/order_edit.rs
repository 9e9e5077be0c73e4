//! Changing the open PO on the screen: select a line (`]`/`[`), change its
//! quantity (`e`, a small input, purchase units), remove it (`D`, asks),
//! edit the note (`N`), receive the whole PO (`R`, asks) or the selected
//! line (`L`, a quantity input, then asks). The store does the work on a
//! task (`OrderRequest`), as for approving and sending; `po edit` and `po
//! receive` are the command-line twins.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::Frame;

use crate::orders::{printable, PoLine, PoStatus, PurchaseOrder};
use crate::plan::numbers::{fmt_qty, fmt_units};
use crate::tui::action::Action;
use crate::tui::keymap::Screen;
use crate::tui::popups::confirm::{Confirm, ConfirmAction};
use crate::tui::popups::draw_popup;
use crate::tui::screens::orders::OrderRequest;
use crate::tui::state::App;
use crate::tui::view::Place;

/// What the PO input asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum PoInputKind {
    /// A line's new quantity, in purchase units.
    Qty { line: u32 },
    /// The PO's note.
    Note,
    /// The quantity of a line received, in purchase units.
    Receive { line: u32 },
}

/// The small input over the PO screen.
#[derive(Debug, Clone, PartialEq)]
pub struct PoInput {
    pub number: String,
    pub kind: PoInputKind,
    /// What the buyer typed (a note starts with the PO's note).
    pub text: String,
    /// What the input says above the field ("PROD-001: 50 boxes ordered").
    pub about: String,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// The longest text the input takes.
const INPUT_LIMIT: usize = 2000;

impl App {
    /// The open PO, when its lines have been read.
    fn open_po(&self) -> Option<&PurchaseOrder> {
        self.orders
            .detail
            .as_ref()
            .filter(|d| d.loaded)
            .and_then(|d| d.po.as_ref())
    }

    fn selected_line(&self) -> Option<&PoLine> {
        let d = self.orders.detail.as_ref()?;
        self.open_po()?.lines.get(d.selected_line)
    }

    /// The PO-changing keys of the open PO; false when `action` is not one.
    pub(in crate::tui) fn update_po_edit(&mut self, action: &Action) -> bool {
        match action {
            Action::PoLine(next) => {
                let count = self.open_po().map_or(0, |p| p.lines.len());
                if let Some(d) = self.orders.detail.as_mut() {
                    d.selected_line = if *next {
                        (d.selected_line + 1).min(count.saturating_sub(1))
                    } else {
                        d.selected_line.saturating_sub(1)
                    };
                }
            }
            Action::EditPoLine => self.edit_line(),
            Action::RemovePoLine => self.remove_line(),
            Action::EditPoNote => self.edit_note(),
            Action::ReceivePo => self.receive_po(),
            Action::ReceivePoLine => self.receive_line(),
            _ => return false,
        }
        true
    }

    /// The refusal when the open PO cannot be edited (or is not read yet).
    fn not_editable(&self) -> Option<String> {
        let Some(po) = self.open_po() else {
            return Some("the PO's lines are still being read".into());
        };
        (!matches!(po.status, PoStatus::Draft | PoStatus::PendingApproval)).then(|| {
            format!(
                "{} is {}: only a draft or a PO pending approval can be changed",
                po.po_number, po.status
            )
        })
    }

    fn edit_line(&mut self) {
        if let Some(refusal) = self.not_editable() {
            self.message = Some(refusal);
            return;
        }
        let (Some(po), Some(l)) = (self.open_po(), self.selected_line()) else {
            return;
        };
        let input = PoInput {
            number: po.po_number.clone(),
            kind: PoInputKind::Qty { line: l.line_no },
            text: String::new(),
            about: format!(
                "Line {} {}: {} now; the new quantity in {} (whole)",
                l.line_no,
                printable(&l.product_id),
                fmt_units(l.qty_purchase, l.purchase_uom.as_deref()),
                printable(l.purchase_uom.as_deref().unwrap_or("purchase units"))
            ),
            error: None,
        };
        self.message = None;
        self.orders.input = Some(input);
    }

    fn remove_line(&mut self) {
        if let Some(refusal) = self.not_editable() {
            self.message = Some(refusal);
            return;
        }
        let (Some(po), Some(l)) = (self.open_po(), self.selected_line()) else {
            return;
        };
        if po.lines.len() == 1 {
            self.message = Some(format!(
                "{} line {} is its only line: cancel the PO instead",
                po.po_number, l.line_no
            ));
            return;
        }
        let number = po.po_number.clone();
        let question = format!(
            "Remove line {} {} ({}, {} {}) from {number}? {}",
            l.line_no,
            printable(&l.product_id),
            fmt_units(l.qty_purchase, l.purchase_uom.as_deref()),
            crate::orders::cents_text(l.amount_cents),
            printable(&po.currency),
            self.yes_no()
        );
        let line = l.line_no;
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::RemoveLine(number, line),
            question,
        });
    }

    fn edit_note(&mut self) {
        if let Some(refusal) = self.not_editable() {
            self.message = Some(refusal);
            return;
        }
        let Some(po) = self.open_po() else {
            return;
        };
        let input = PoInput {
            number: po.po_number.clone(),
            kind: PoInputKind::Note,
            text: po.note.clone().unwrap_or_default(),
            about: format!("The note of {} (empty: none)", po.po_number),
            error: None,
        };
        self.message = None;
        self.orders.input = Some(input);
    }

    /// The refusal when the open PO cannot be received.
    fn not_receivable(&self) -> Option<String> {
        let Some(po) = self.open_po() else {
            return Some("the PO's lines are still being read".into());
        };
        (!matches!(po.status, PoStatus::Sent | PoStatus::Acknowledged)).then(|| {
            format!(
                "{} is {}: only a sent or acknowledged PO is received",
                po.po_number, po.status
            )
        })
    }

    fn receive_po(&mut self) {
        if let Some(refusal) = self.not_receivable() {
            self.message = Some(refusal);
            return;
        }
        let Some(po) = self.open_po() else {
            return;
        };
        let number = po.po_number.clone();
        let open: Vec<String> = po
            .lines
            .iter()
            .filter(|l| crate::orders::edit::outstanding(l) > 0.0)
            .map(|l| {
                format!(
                    "{} {}",
                    printable(&l.product_id),
                    fmt_units(
                        crate::orders::edit::outstanding(l),
                        l.purchase_uom.as_deref()
                    )
                )
            })
            .collect();
        let question = format!(
            "Receive everything still on order on {number} ({})? {}",
            open.join(", "),
            self.yes_no()
        );
        self.orders.confirm = Some(Confirm {
            action: ConfirmAction::ReceiveAll(number),
            question,
        });
    }

    fn receive_line(&mut self) {
        if let Some(refusal) = self.not_receivable() {
            self.message = Some(refusal);
            return;
        }
        let (Some(po), Some(l)) = (self.open_po(), self.selected_line()) else {
            return;
        };
        let uom = l.purchase_uom.as_deref();
        let input = PoInput {
            number: po.po_number.clone(),
            kind: PoInputKind::Receive { line: l.line_no },
            text: String::new(),
            about: format!(
                "Line {} {}: {} of {} received; how many {} came?",
                l.line_no,
                printable(&l.product_id),
                fmt_qty(l.qty_received),
                fmt_units(l.qty_purchase, uom),
                printable(uom.unwrap_or("purchase units"))
            ),
            error: None,
        };
        self.message = None;
        self.orders.input = Some(input);
    }

    /// Keys while the PO input is open: typing, Backspace, Enter, Esc.
    pub(in crate::tui) fn update_po_input(&mut self, action: Action) {
        let Some(input) = self.orders.input.as_mut() else {
            return;
        };
        match action {
            Action::FormInput(c) => {
                if input.text.chars().count() < INPUT_LIMIT {
                    input.text.push(c);
                }
                input.error = None;
            }
            Action::FormBackspace => {
                input.text.pop();
                input.error = None;
            }
            Action::Back => {
                self.orders.input = None;
                self.message = Some("Nothing changed".into());
            }
            Action::FormSubmit => self.submit_po_input(),
            Action::Quit => self.should_quit = true,
            _ => {}
        }
    }

    fn submit_po_input(&mut self) {
        let Some(input) = self.orders.input.as_mut() else {
            return;
        };
        let number = input.number.clone();
        let qty = || {
            let t = input.text.trim();
            t.parse::<f64>()
                .ok()
                .filter(|q| q.is_finite() && *q > 0.0)
                .ok_or_else(|| format!("'{}' is not a quantity above 0", printable(t)))
        };
        match input.kind.clone() {
            PoInputKind::Qty { line } => match qty() {
                Ok(qty) => {
                    self.orders.input = None;
                    self.message = Some(format!("Changing {number} line {line}..."));
                    self.orders_wanted
                        .push(OrderRequest::EditQty { number, line, qty });
                }
                Err(e) => input.error = Some(e),
            },
            PoInputKind::Note => {
                let note = input.text.trim().to_string();
                self.orders.input = None;
                self.message = Some(format!("Saving the note of {number}..."));
                self.orders_wanted
                    .push(OrderRequest::SetNote { number, note });
            }
            PoInputKind::Receive { line } => match qty() {
                Ok(qty) => {
                    self.orders.input = None;
                    let question = format!(
                        "Receive {} on {number} line {line}? {}",
                        fmt_qty(qty),
                        self.yes_no()
                    );
                    self.orders.confirm = Some(Confirm {
                        action: ConfirmAction::ReceiveLine(number, line, qty),
                        question,
                    });
                }
                Err(e) => input.error = Some(e),
            },
        }
    }
}

/// The PO input over the PO screen.
pub(in crate::tui) fn draw_po_input(frame: &mut Frame, app: &App, body: Rect) {
    let Some(input) = &app.orders.input else {
        return;
    };
    let theme = &app.theme;
    let save = app.keymap.keys_phrase(Screen::PoInput, "save", theme);
    let cancel = app.keymap.keys_phrase(Screen::PoInput, "cancel", theme);
    let title = match input.kind {
        PoInputKind::Qty { line } => format!(" {} line {line}: quantity ", input.number),
        PoInputKind::Note => format!(" {}: note ", input.number),
        PoInputKind::Receive { line } => format!(" {} line {line}: received ", input.number),
    };
    let mut lines = vec![
        Line::from(input.about.clone()),
        Line::styled(
            format!("> {}_", printable(&input.text)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ];
    if let Some(e) = &input.error {
        lines.push(Line::styled(e.clone(), theme.danger()));
    }
    lines.push(Line::from(format!(
        "{save} saves; {cancel}: nothing changes"
    )));
    let width = body.width.min(70);
    // The lines and the frame.
    let height = (lines.len() as u16 + 2).min(body.height);
    let place = Place {
        width,
        height,
        top: (body.height / 2).min(body.height.saturating_sub(height)),
    };
    draw_popup(frame, body, place, theme, title, lines);
}
