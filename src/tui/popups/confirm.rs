//! The yes/no question before an approval, a cancellation or a draft.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::tui::action::*;
use crate::tui::keymap::Screen;
use crate::tui::popups::*;
use crate::tui::screens::orders::*;
use crate::tui::state::*;

/// What `y` in the confirmation popup does.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmAction {
    Approve(String),
    Cancel(String),
    /// Cancel an unconfirmed PO, which the supplier may hold: the question
    /// names that risk.
    CancelUnconfirmed(String),
    /// Remove this line of this PO.
    RemoveLine(String, u32),
    /// Receive everything still on order on this PO.
    ReceiveAll(String),
    /// Receive this quantity of this line.
    ReceiveLine(String, u32, f64),
    /// Draft POs for these products (every one that needs an order).
    DraftAll(Vec<String>),
    /// Approve these POs (a bulk `A`).
    ApproveMany(Vec<String>),
    /// Send these POs (a bulk `S`, or a draft within the threshold); the
    /// second list: those left out, waiting for approval.
    SendMany(
        Vec<String>,
        Vec<String>,
        std::collections::HashMap<String, i64>,
    ),
    /// Draft POs for these products, some of whose data comes from these
    /// stale sources: yes drafts them from those sources' last data.
    DraftStale {
        products: Vec<String>,
        sources: Vec<String>,
    },
    /// Clear this product's override, as of the revision shown (the
    /// question names its quantity and reason).
    ClearOverride(String, Option<i64>),
    /// Apply these rules, which the guard refused (`rules::guard`): the
    /// question names what they would break.
    ApplyRules(String),
    /// Apply this text although the rules in force changed since the
    /// editor began (the question shows the difference); the second: the
    /// rules in force now, the editor's new base.
    ApplyOverNewer(String, String),
    /// Throw the rule editor's edits (and the draft) away (F8); the
    /// question names how many lines they changed.
    DiscardRuleEdits,
}

/// A yes/no question in a popup.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub action: ConfirmAction,
    pub question: String,
}

impl App {
    /// Keys while the confirmation popup is open: only yes and no (and
    /// Ctrl-C) do anything.
    pub(in crate::tui) fn update_confirm(&mut self, action: Action) {
        let yes = match action {
            Action::Confirm(yes) => yes,
            Action::Back => false,
            Action::Quit => {
                self.should_quit = true;
                return;
            }
            _ => return,
        };
        let Some(confirm) = self.orders.confirm.take() else {
            return;
        };
        if !yes {
            self.message = Some(match confirm.action {
                ConfirmAction::Approve(n) => format!("{n} not approved"),
                ConfirmAction::Cancel(n) | ConfirmAction::CancelUnconfirmed(n) => {
                    format!("{n} not cancelled")
                }
                ConfirmAction::RemoveLine(n, _) => format!("{n}: nothing removed"),
                ConfirmAction::ReceiveAll(n) | ConfirmAction::ReceiveLine(n, _, _) => {
                    format!("{n}: nothing received")
                }
                ConfirmAction::DraftAll(_) => "Nothing drafted".to_string(),
                ConfirmAction::ApproveMany(n) => format!("None of {} POs approved", n.len()),
                ConfirmAction::SendMany(n, ..) if n.len() == 1 => format!("{} not sent", n[0]),
                ConfirmAction::SendMany(n, ..) => format!("None of {} POs sent", n.len()),
                ConfirmAction::DraftStale { sources, .. } => {
                    format!("Nothing drafted: {} stale", sources.join(", "))
                }
                ConfirmAction::ClearOverride(id, _) => {
                    format!("The override of {} stays", crate::text::masked(&id))
                }
                ConfirmAction::ApplyRules(_) => {
                    if let Some(editor) = self.editor.as_mut() {
                        editor.status = Some(
                            "Not applied: the draft is kept; F5 shows every change".to_string(),
                        );
                    }
                    "Rules not applied".to_string()
                }
                ConfirmAction::ApplyOverNewer(..) => {
                    if let Some(editor) = self.editor.as_mut() {
                        editor.status = Some(
                            "Not applied: the rules in force changed since you began; F9 lists the versions"
                                .to_string(),
                        );
                    }
                    "Rules not applied".to_string()
                }
                ConfirmAction::DiscardRuleEdits => {
                    if let Some(editor) = self.editor.as_mut() {
                        editor.status = Some("Nothing discarded: the edits stay".to_string());
                    }
                    "Rule edits kept".to_string()
                }
            });
            return;
        }
        match confirm.action {
            ConfirmAction::Approve(number) => {
                self.message = Some(format!("Approving {number}..."));
                self.orders_wanted.push(OrderRequest::Approve(number));
            }
            ConfirmAction::Cancel(number) => {
                self.message = Some(format!("Cancelling {number}..."));
                self.orders_wanted.push(OrderRequest::Cancel(number, false));
            }
            ConfirmAction::CancelUnconfirmed(number) => {
                self.message = Some(format!("Cancelling {number}..."));
                self.orders_wanted.push(OrderRequest::Cancel(number, true));
            }
            ConfirmAction::RemoveLine(number, line) => {
                self.message = Some(format!("Removing {number} line {line}..."));
                self.orders_wanted
                    .push(OrderRequest::RemoveLine { number, line });
            }
            ConfirmAction::ReceiveAll(number) => {
                self.message = Some(format!("Receiving {number}..."));
                self.orders_wanted.push(OrderRequest::Receive(number));
            }
            ConfirmAction::ReceiveLine(number, line, qty) => {
                self.message = Some(format!("Receiving {number} line {line}..."));
                self.orders_wanted
                    .push(OrderRequest::ReceiveLine { number, line, qty });
            }
            ConfirmAction::DraftAll(products) => self.request_draft(products, Vec::new()),
            ConfirmAction::ApproveMany(numbers) => {
                self.start_batch(BatchKind::Approve, numbers, Vec::new(), Default::default())
            }
            ConfirmAction::SendMany(numbers, left_out, drafts) => {
                self.start_batch(BatchKind::Send, numbers, left_out, drafts)
            }
            ConfirmAction::DraftStale { products, sources } => {
                self.request_draft(products, sources)
            }
            ConfirmAction::ClearOverride(id, seen) => {
                self.message = Some(format!(
                    "Clearing the override of {}...",
                    crate::text::masked(&id)
                ));
                self.pending = Some(StoreRequest::Clear(id, seen));
            }
            ConfirmAction::ApplyRules(text) => {
                if let Some(editor) = self.editor.as_mut() {
                    editor.applying = true;
                    editor.status = Some("Applying...".to_string());
                }
                self.rules_apply_wanted = Some((text, true));
            }
            ConfirmAction::ApplyOverNewer(text, in_force) => {
                // Over the newer rules: they are the base now, and the
                // guard still tries the text against them.
                if let Some(editor) = self.editor.as_mut() {
                    editor.in_force = in_force;
                    editor.applying = true;
                    editor.status = Some("Applying...".to_string());
                }
                self.rules_apply_wanted = Some((text, false));
            }
            ConfirmAction::DiscardRuleEdits => self.discard_rule_edits(),
        }
    }
}

pub(in crate::tui) fn draw_confirm(frame: &mut Frame, app: &App, body: Rect) {
    let Some(confirm) = &app.orders.confirm else {
        return;
    };
    let theme = &app.theme;
    let yes = app.keymap.keys_phrase(Screen::Confirm, "yes", theme);
    let no = app.keymap.keys_phrase(Screen::Confirm, "no", theme);
    let (title, does) = match &confirm.action {
        ConfirmAction::Approve(n) => (format!(" Approve {n} "), "approves"),
        ConfirmAction::Cancel(n) => (format!(" Cancel {n} "), "cancels it"),
        ConfirmAction::CancelUnconfirmed(n) => (
            format!(" Cancel {n}: the supplier may have it "),
            "cancels it here only",
        ),
        ConfirmAction::RemoveLine(n, line) => (format!(" {n}: remove line {line} "), "removes it"),
        ConfirmAction::ReceiveAll(n) => (format!(" Receive {n} "), "receives it"),
        ConfirmAction::ReceiveLine(n, line, _) => {
            (format!(" {n}: receive line {line} "), "records the receipt")
        }
        ConfirmAction::DraftAll(_) => (" Draft POs ".to_string(), "drafts them"),
        ConfirmAction::ApproveMany(n) => (format!(" Approve {} POs ", n.len()), "approves them"),
        ConfirmAction::SendMany(n, ..) if n.len() == 1 => (format!(" Send {} ", n[0]), "sends it"),
        ConfirmAction::SendMany(n, ..) => (format!(" Send {} POs ", n.len()), "sends them"),
        ConfirmAction::DraftStale { .. } => (
            " Draft POs from stale data ".to_string(),
            "drafts them from the last data",
        ),
        ConfirmAction::ClearOverride(id, _) => (
            format!(" Clear the override of {} ", crate::text::masked(id)),
            "clears it",
        ),
        ConfirmAction::ApplyRules(_) => (
            " Apply rules that hurt the plan? ".to_string(),
            "applies them",
        ),
        ConfirmAction::ApplyOverNewer(..) => (
            " The rules in force changed since you began ".to_string(),
            "applies yours over them (tried first)",
        ),
        ConfirmAction::DiscardRuleEdits => {
            (" Discard the rule edits? ".to_string(), "discards them")
        }
    };
    // A question of several lines (the guarded apply's summary) keeps them.
    let mut lines: Vec<Line> = (confirm.question.lines())
        .map(|l| Line::styled(l.to_string(), Style::new().add_modifier(Modifier::BOLD)))
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(format!("{yes} {does}; {no}: nothing changes")));
    let width = body.width.min(70);
    // Room for the question, wrapped as the popup wraps it.
    let question_lines = u16::try_from(
        Paragraph::new(confirm.question.as_str())
            .wrap(Wrap { trim: false })
            .line_count(width.saturating_sub(2)),
    )
    .unwrap_or(u16::MAX);
    let height = question_lines.saturating_add(4);
    // Below the middle (the highlighted row stays in sight), unless the
    // question needs the room.
    let place = Place {
        width,
        height,
        top: (body.height / 2).min(body.height.saturating_sub(height)),
    };
    draw_popup(frame, body, place, theme, title, lines);
}
