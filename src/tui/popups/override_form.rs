//! The override popup: the form's state, its keys and drawing.

use crate::plan::numbers::fmt_units;
use crate::store::overrides::{parse_quantity, Override};
use crate::store::overrides::{OverrideUnit, ReasonCode};
use crate::text::masked;
use crate::tui::action::*;
use crate::tui::popups::draw_popup;
use crate::tui::state::App;
use crate::tui::view::*;
use chrono::Local;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::Frame;

/// The fields of the override popup, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Quantity,
    Unit,
    Reason,
    Note,
}

/// The override popup.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideForm {
    pub product_id: String,
    pub quantity: String,
    pub unit: OverrideUnit,
    pub reason: ReasonCode,
    pub note: String,
    pub field: FormField,
    /// What is wrong with the input, shown in the popup.
    pub error: Option<String>,
    /// Sent to the store; waiting for its answer.
    pub saving: bool,
}

impl App {
    pub(in crate::tui) fn update_form(&mut self, action: Action) {
        let Some(form) = self.form.as_mut() else {
            return;
        };
        if form.saving {
            // Keys wait while the store works; Esc still closes.
            if matches!(action, Action::Back | Action::Quit) {
                self.form = None;
            }
            return;
        }
        const FIELDS: [FormField; 4] = [
            FormField::Quantity,
            FormField::Unit,
            FormField::Reason,
            FormField::Note,
        ];
        let at = FIELDS.iter().position(|f| *f == form.field).unwrap_or(0);
        match action {
            Action::Back | Action::Quit => self.form = None,
            Action::FormNextField => form.field = FIELDS[(at + 1) % FIELDS.len()],
            Action::FormPrevField => form.field = FIELDS[(at + FIELDS.len() - 1) % FIELDS.len()],
            Action::FormInput(c) => match form.field {
                FormField::Quantity => form.quantity.push(c),
                FormField::Note => form.note.push(c),
                FormField::Unit | FormField::Reason => {
                    if c == ' ' {
                        self.update_form(Action::FormChoice(true));
                    }
                }
            },
            Action::FormBackspace => match form.field {
                FormField::Quantity => {
                    form.quantity.pop();
                }
                FormField::Note => {
                    form.note.pop();
                }
                _ => {}
            },
            Action::FormChoice(forward) => match form.field {
                FormField::Unit => {
                    form.unit = match form.unit {
                        OverrideUnit::Stock => OverrideUnit::Purchase,
                        OverrideUnit::Purchase => OverrideUnit::Stock,
                    }
                }
                FormField::Reason => {
                    let all = ReasonCode::ALL;
                    let i = all.iter().position(|r| *r == form.reason).unwrap_or(0);
                    let next = if forward {
                        (i + 1) % all.len()
                    } else {
                        (i + all.len() - 1) % all.len()
                    };
                    form.reason = all[next];
                }
                _ => {}
            },
            Action::FormSubmit => self.submit_form(),
            _ => {}
        }
    }

    /// Checks the popup's input; a good one becomes a request for the store.
    pub(in crate::tui) fn submit_form(&mut self) {
        let Some(form) = self.form.as_ref() else {
            return;
        };
        let Some(plan) = self.plan_by_id(&form.product_id) else {
            self.form = None;
            return;
        };
        let result = parse_quantity(&form.quantity, form.unit, plan)
            .map_err(|e| e.message)
            .and_then(|qty| {
                let note = form.note.trim();
                if form.reason == ReasonCode::Other && note.is_empty() {
                    return Err("reason OTHER needs a note".to_string());
                }
                Ok(Override {
                    product_id: form.product_id.clone(),
                    order_qty: qty,
                    entered_qty: form.quantity.trim().parse().unwrap_or(qty),
                    entered_unit: form.unit,
                    suggested_qty: plan.order_qty,
                    reason: form.reason,
                    note: (!note.is_empty()).then(|| note.to_string()),
                    user: self.user.clone(),
                    set_at: crate::store::now(),
                })
            });
        let form = self.form.as_mut().expect("checked above");
        match result {
            Ok(o) => {
                form.error = None;
                form.saving = true;
                self.pending = Some(StoreRequest::Set(o));
            }
            Err(message) => form.error = Some(message),
        }
    }

    /// The store's answer: the plan shows the override, or the popup says
    /// what failed (nothing is marked saved that was not).
    pub(in crate::tui) fn store_done(
        &mut self,
        product_id: &str,
        result: Result<Option<Override>, String>,
    ) {
        match result {
            Ok(saved) => {
                let note = saved.map(|o| o.note_for_plan());
                self.local_overrides
                    .insert(product_id.to_string(), (Local::now(), note.clone()));
                if let Some(plan) = self.index.get(product_id).map(|&i| &mut self.plans[i]) {
                    plan.apply_override(note.as_ref());
                    self.message = Some(match plan.override_qty.get() {
                        Some(q) => {
                            format!("Saved: {product_id} {}", crate::plan::numbers::fmt_qty(q))
                        }
                        None => format!("Cleared the override of {product_id}"),
                    });
                }
                self.recount();
                if self
                    .form
                    .as_ref()
                    .is_some_and(|f| f.product_id == product_id)
                {
                    self.form = None;
                }
            }
            Err(e) => match self.form.as_mut().filter(|f| f.product_id == product_id) {
                Some(form) => {
                    form.saving = false;
                    form.error = Some(format!("not saved: {e}"));
                }
                None => self.message = Some(format!("{product_id}: not saved: {e}")),
            },
        }
    }
}

pub(in crate::tui) fn draw_override(frame: &mut Frame, app: &App, form: &OverrideForm, body: Rect) {
    let Some(p) = app.plan_by_id(&form.product_id) else {
        return;
    };
    let stock = masked(p.stock_uom.as_deref().unwrap_or("units"));
    let purchase = masked(p.purchase_uom.as_deref().unwrap_or(&stock)).into_owned();
    let mark = |f: FormField| if form.field == f { "> " } else { "  " };
    let unit = match form.unit {
        OverrideUnit::Stock => format!("[{stock}]  {purchase} "),
        OverrideUnit::Purchase => format!(" {stock}  [{purchase}]"),
    };
    let reasons: Vec<String> = ReasonCode::ALL
        .iter()
        .filter(|r| **r == form.reason)
        .map(|r| format!("< {} >", r.as_str()))
        .collect();
    let mut lines = vec![
        Line::from(format!(
            "Suggested: {} = {}",
            masked(&fmt_units(p.order_qty, p.stock_uom.as_deref())),
            masked(&fmt_units(p.purchase_qty, Some(&purchase)))
        )),
        Line::from(format!(
            "{}Quantity: {}_",
            mark(FormField::Quantity),
            form.quantity
        )),
        Line::from(format!("{}Unit:     {unit}", mark(FormField::Unit))),
        Line::from(format!(
            "{}Reason:   {}",
            mark(FormField::Reason),
            reasons.join("")
        )),
        Line::from(format!("{}Note:     {}_", mark(FormField::Note), form.note)),
        Line::from(""),
    ];
    match (&form.error, form.saving) {
        (Some(e), _) => lines.push(Line::styled(
            e.clone(),
            app.theme.danger().add_modifier(Modifier::BOLD),
        )),
        (None, true) => lines.push(Line::from("Saving...")),
        (None, false) => lines.push(Line::from("")),
    }
    // Its keys are in the footer, built from the keymap.
    let place = Place {
        width: 72,
        height: 10,
        top: 1,
    };
    draw_popup(
        frame,
        body,
        place,
        &app.theme,
        format!(" Override {} ", masked(&p.product_id)),
        lines,
    );
}
