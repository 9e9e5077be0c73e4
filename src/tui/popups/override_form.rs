//! The override popup: the form's state, its keys and drawing. The
//! quantity starts as the current figure, selected: the first character
//! typed replaces it. Switching the unit converts the figure (the stock
//! quantity is kept exact behind the text). The reason starts unset. A
//! quantity between packs shows the nearest whole packs, taken with
//! `PgDn` and `PgUp`; a save refused because another workstation changed the
//! override shows who, what and when, and `Ctrl-O` saves over it.

use crate::plan::numbers::{fmt_money, fmt_qty, fmt_units, round_money};
use crate::plan::ProductPlan;
use crate::store::overrides::{parse_quantity, quantity_words, Base, Conflict, Override};
use crate::store::overrides::{OverrideUnit, ReasonCode};
use crate::store::quantity::{pack_of, purchase_unit};
use crate::text::masked;
use crate::tui::action::*;
use crate::tui::keymap::Screen;
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
    /// The quantity is the prefilled (or converted, or offered) figure:
    /// the first character typed replaces it.
    pub replace_on_type: bool,
    /// The exact stock quantity behind `quantity` while it shows a
    /// conversion (58.33 boxes is 700 pieces); dropped on an edit.
    pub stock_qty: Option<f64>,
    pub unit: OverrideUnit,
    /// Unset until the buyer chooses: there is no default reason.
    pub reason: Option<ReasonCode>,
    pub note: String,
    pub field: FormField,
    /// The revision of the override the buyer started from (`None`: none
    /// applied): a save over a newer change is refused.
    pub base: Option<i64>,
    /// What is wrong with the input, shown in the popup.
    pub error: Option<String>,
    /// The save was refused: another workstation changed the override.
    pub conflict: Option<Conflict>,
    /// Sent to the store; waiting for its answer.
    pub saving: bool,
}

impl OverrideForm {
    /// The popup for `plan`, starting from the buyer's quantity (else the
    /// suggestion) in stock units, no reason chosen.
    pub fn new(plan: &ProductPlan) -> OverrideForm {
        let current = plan.override_qty.unwrap_or(plan.order_qty);
        OverrideForm {
            product_id: plan.product_id.to_string(),
            quantity: fmt_qty(current),
            replace_on_type: true,
            stock_qty: None,
            unit: OverrideUnit::Stock,
            reason: None,
            note: String::new(),
            field: FormField::Quantity,
            base: plan.override_revision,
            error: None,
            conflict: None,
            saving: false,
        }
    }

    /// The stock quantity the popup holds now: exact behind a conversion,
    /// else the text read in its unit (`None`: not a number).
    fn stock_now(&self, plan: &ProductPlan) -> Option<f64> {
        if let Some(q) = self.stock_qty {
            return Some(q);
        }
        let typed: f64 = self
            .quantity
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())?;
        Some(match self.unit {
            OverrideUnit::Stock => typed,
            OverrideUnit::Purchase => typed * pack_of(plan).0,
        })
    }

    /// Shows `stock` in the popup's unit, kept exact behind the text.
    fn show_stock(&mut self, stock: f64, plan: &ProductPlan) {
        let shown = match self.unit {
            OverrideUnit::Stock => stock,
            OverrideUnit::Purchase => stock / pack_of(plan).0,
        };
        // Two decimals for people; the exact figure stays behind them.
        let text = fmt_qty((shown * 100.0).round() / 100.0);
        self.stock_qty = (text.parse::<f64>().ok() != Some(shown)).then_some(stock);
        self.quantity = text;
        self.replace_on_type = true;
    }

    /// What `Enter` would save, in stock units: the text read in its unit,
    /// or the exact figure behind a conversion.
    fn checked(&self, plan: &ProductPlan) -> Result<f64, crate::store::overrides::QtyError> {
        match self.stock_qty {
            Some(stock) => parse_quantity(&stock.to_string(), OverrideUnit::Stock, plan),
            None => parse_quantity(&self.quantity, self.unit, plan),
        }
    }

    /// An edit of the quantity: the figure is now what is typed.
    fn edit_quantity(&mut self) {
        if self.replace_on_type {
            self.quantity.clear();
        }
        self.replace_on_type = false;
        self.stock_qty = None;
    }
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
        let plan = self
            .index
            .get(form.product_id.as_str())
            .map(|&i| &self.plans[i]);
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
                FormField::Quantity => {
                    form.edit_quantity();
                    form.quantity.push(c);
                }
                FormField::Note => form.note.push(c),
                FormField::Unit | FormField::Reason => {
                    if c == ' ' {
                        self.update_form(Action::FormChoice(true));
                    }
                }
            },
            Action::FormBackspace => match form.field {
                FormField::Quantity => {
                    // Backspace edits the figure shown (it does not
                    // replace it).
                    form.replace_on_type = false;
                    form.edit_quantity();
                    form.quantity.pop();
                }
                FormField::Note => {
                    form.note.pop();
                }
                _ => {}
            },
            Action::FormClear => match form.field {
                FormField::Quantity => {
                    form.edit_quantity();
                    form.quantity.clear();
                }
                FormField::Note => form.note.clear(),
                _ => {}
            },
            Action::FormOffer(upper) => {
                // Between packs: the whole packs either side; on whole
                // packs: one pack less or more.
                let target = plan.and_then(|p| {
                    let pack = pack_of(p).0;
                    let stock = match form.checked(p) {
                        Ok(q) if upper => q + pack,
                        Ok(q) => (q - pack).max(0.0),
                        Err(e) => {
                            let o = e.offers?;
                            if upper {
                                o.upper
                            } else {
                                o.lower
                            }
                        }
                    };
                    Some((p, crate::plan::numbers::round_qty(stock)))
                });
                if let Some((p, stock)) = target {
                    form.show_stock(stock, p);
                    form.error = None;
                }
            }
            Action::FormChoice(forward) => match form.field {
                FormField::Unit => {
                    let stock = plan.and_then(|p| form.stock_now(p).map(|q| (p, q)));
                    form.unit = match form.unit {
                        OverrideUnit::Stock => OverrideUnit::Purchase,
                        OverrideUnit::Purchase => OverrideUnit::Stock,
                    };
                    match stock {
                        Some((p, q)) => form.show_stock(q, p),
                        None => form.stock_qty = None,
                    }
                }
                FormField::Reason => {
                    let all = ReasonCode::ALL;
                    form.reason = Some(match form.reason {
                        None if forward => all[0],
                        None => all[all.len() - 1],
                        Some(r) => {
                            let i = all.iter().position(|x| *x == r).unwrap_or(0);
                            all[if forward {
                                (i + 1) % all.len()
                            } else {
                                (i + all.len() - 1) % all.len()
                            }]
                        }
                    });
                }
                _ => {}
            },
            Action::FormOverwrite => {
                if let Some(c) = form.conflict.take() {
                    // Knowingly: over exactly the change shown.
                    form.base = Some(c.revision);
                    self.submit_form();
                }
            }
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
        let result = form.checked(plan).map_err(|e| e.message).and_then(|qty| {
            let note = form.note.trim();
            let Some(reason) = form.reason else {
                return Err("choose a reason (Tab to Reason, then Left/Right)".to_string());
            };
            if reason == ReasonCode::Other && note.is_empty() {
                return Err("reason OTHER needs a note".to_string());
            }
            let entered = match form.unit {
                OverrideUnit::Stock => qty,
                OverrideUnit::Purchase => crate::store::quantity::in_packs(qty, plan),
            };
            Ok(Override {
                product_id: form.product_id.clone(),
                order_qty: qty,
                entered_qty: entered,
                entered_unit: form.unit,
                suggested_qty: plan.order_qty,
                reason,
                note: (!note.is_empty()).then(|| note.to_string()),
                user: self.user.clone(),
                set_at: crate::store::now(),
            })
        });
        let form = self.form.as_mut().expect("checked above");
        match result {
            Ok(o) => {
                form.error = None;
                form.conflict = None;
                form.saving = true;
                self.pending = Some(StoreRequest::Set(o, Base::Seen(form.base)));
            }
            Err(message) => form.error = Some(message),
        }
    }

    /// The store refused the save: the popup shows the other change.
    pub(in crate::tui) fn store_conflict(&mut self, product_id: &str, conflict: Conflict) {
        match self.form.as_mut().filter(|f| f.product_id == product_id) {
            Some(form) => {
                form.saving = false;
                form.error = None;
                form.conflict = Some(conflict);
            }
            // A clear refused: the override changed since it was shown.
            None => {
                self.message = Some(format!(
                    "Not cleared: {} {} at {}, after it was shown",
                    masked(&conflict.user),
                    masked(&conflict.what),
                    conflict.at.replace('T', " ").replace('Z', " UTC")
                ))
            }
        }
    }

    /// The store's answer: the plan shows the override, or the popup says
    /// what failed (nothing is marked saved that was not).
    pub(in crate::tui) fn store_done(
        &mut self,
        product_id: &str,
        result: Result<Option<(Override, i64)>, String>,
    ) {
        match result {
            Ok(saved) => {
                let note = saved.map(|(o, revision)| crate::plan::OverrideNote {
                    revision: Some(revision),
                    ..o.note_for_plan()
                });
                self.local_overrides
                    .insert(product_id.to_string(), (Local::now(), note.clone()));
                if let Some(plan) = self.index.get(product_id).map(|&i| &mut self.plans[i]) {
                    plan.apply_override(note.as_ref());
                    self.message = Some(match plan.override_qty.get() {
                        Some(q) => format!("Saved: {product_id} {}", fmt_qty(q)),
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

/// "10,974.00 USD" for `stock` of `plan` (no price: none).
fn amount_text(stock: f64, plan: &ProductPlan) -> Option<String> {
    let price = plan.unit_price.get()?;
    Some(format!(
        "{}{}",
        fmt_money(round_money(stock * price)),
        plan.currency
            .as_deref()
            .map(|c| format!(" {}", masked(c)))
            .unwrap_or_default()
    ))
}

pub(in crate::tui) fn draw_override(frame: &mut Frame, app: &App, form: &OverrideForm, body: Rect) {
    let Some(p) = app.plan_by_id(&form.product_id) else {
        return;
    };
    let theme = &app.theme;
    let stock = masked(p.stock_uom.as_deref().unwrap_or("units"));
    let purchase = masked(purchase_unit(p)).into_owned();
    let mark = |f: FormField| if form.field == f { "> " } else { "  " };
    let unit = match form.unit {
        OverrideUnit::Stock => format!("[{stock}]  {purchase} "),
        OverrideUnit::Purchase => format!(" {stock}  [{purchase}]"),
    };
    let reason = match form.reason {
        Some(r) => format!("< {} >", r.as_str()),
        None => "< choose a reason >".to_string(),
    };
    // The figure shown selected until something is typed.
    let quantity = if form.replace_on_type && form.field == FormField::Quantity {
        ratatui::text::Span::styled(
            form.quantity.clone(),
            ratatui::style::Style::new().add_modifier(Modifier::REVERSED),
        )
    } else {
        ratatui::text::Span::raw(format!("{}_", form.quantity))
    };
    let exact = form
        .stock_qty
        .map(|q| format!("  (= {})", masked(&fmt_units(q, p.stock_uom.as_deref()))))
        .unwrap_or_default();
    let suggested = format!(
        "Suggested: {} = {}{}",
        masked(&fmt_units(p.order_qty, p.stock_uom.as_deref())),
        masked(&fmt_units(p.purchase_qty, Some(&purchase))),
        amount_text(p.order_qty, p)
            .map(|a| format!(", {a}"))
            .unwrap_or_default()
    );
    let mut lines = vec![
        Line::from(suggested),
        Line::from(vec![
            ratatui::text::Span::raw(format!("{}Quantity: ", mark(FormField::Quantity))),
            quantity,
            ratatui::text::Span::raw(exact),
        ]),
        Line::from(format!("{}Unit:     {unit}", mark(FormField::Unit))),
        Line::from(format!("{}Reason:   {reason}", mark(FormField::Reason))),
        Line::from(format!(
            "{}Note:     {}_",
            mark(FormField::Note),
            masked(&form.note)
        )),
        Line::from(""),
    ];
    // What the buyer's quantity is and costs, or the whole packs nearest.
    let checked = form.checked(p);
    match (&checked, form.stock_now(p)) {
        (Ok(q), _) => lines.push(Line::from(format!(
            "Yours:     {}{}",
            masked(&quantity_words(*q, p)),
            amount_text(*q, p)
                .map(|a| format!(", {a}"))
                .unwrap_or_default()
        ))),
        (Err(e), Some(q)) if e.offers.is_some() => {
            let o = e.offers.expect("checked");
            lines.push(Line::from(format!(
                "Yours:     {}{}: not whole {}",
                masked(&fmt_units(q, p.stock_uom.as_deref())),
                amount_text(q, p)
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default(),
                masked(&crate::plan::numbers::unit_word(2.0, &purchase))
            )));
            let keys = |name| app.keymap.keys_phrase(Screen::Override, name, theme);
            lines.push(Line::from(format!(
                "Offers:    {} {} ({})   {} {} ({})",
                keys("lower_offer"),
                fmt_qty(o.lower),
                masked(&fmt_units(o.lower_packs, Some(&purchase))),
                keys("upper_offer"),
                fmt_qty(o.upper),
                masked(&fmt_units(o.upper_packs, Some(&purchase)))
            )));
        }
        _ => lines.push(Line::from("")),
    }
    let danger = theme.danger().add_modifier(Modifier::BOLD);
    let width: u16 = 76;
    let wrapped = |text: &str| crate::text::wrap(text, usize::from(width - 2));
    match (&form.conflict, &form.error, form.saving) {
        (Some(c), _, _) => {
            let said = format!(
                "Not saved: {} {} at {}, after you opened this.",
                c.user,
                c.what,
                c.at.replace('T', " ").replace('Z', " UTC")
            );
            for l in wrapped(&masked(&said)) {
                lines.push(Line::styled(l, danger));
            }
            lines.push(Line::from(format!(
                "{} saves yours over it; {} cancels",
                app.keymap.keys_phrase(Screen::Override, "overwrite", theme),
                app.keymap.keys_phrase(Screen::Override, "cancel", theme)
            )));
        }
        (None, Some(e), _) => {
            for l in wrapped(&masked(e)) {
                lines.push(Line::styled(l, danger));
            }
        }
        (None, None, true) => lines.push(Line::from("Saving...")),
        (None, None, false) => lines.push(Line::from("")),
    }
    // Its keys are in the footer, built from the keymap.
    let place = Place {
        width,
        height: lines.len() as u16 + 2,
        top: 1,
    };
    draw_popup(
        frame,
        body,
        place,
        theme,
        format!(" Override {} ", masked(&p.product_id)),
        lines,
    );
}
