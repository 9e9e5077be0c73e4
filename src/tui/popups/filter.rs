//! The filters: the `/` prompt (the text typed, shown in the footer) and
//! the quick filters (needs an order, has exceptions, this supplier).

use crate::tui::action::{Action, QuickFilter};
use crate::tui::state::App;

impl App {
    /// A filter's key.
    pub(in crate::tui) fn update_filter(&mut self, action: Action) {
        match action {
            Action::StartFilter => self.filter_editing = true,
            Action::FilterInput(c) => {
                self.filter.push(c);
                self.rebuild_view();
            }
            Action::FilterBackspace => {
                self.filter.pop();
                self.rebuild_view();
            }
            Action::FilterDone => self.filter_editing = false,
            Action::ClearFilter => {
                self.filter.clear();
                self.filter_editing = false;
                self.quick = QuickFilter::All;
                self.rebuild_view();
            }
            Action::Quick(q) => {
                self.quick = if self.quick == q { QuickFilter::All } else { q };
                self.rebuild_view();
            }
            Action::ToggleSupplierFilter => {
                self.quick = match (
                    &self.quick,
                    self.selected_plan()
                        .and_then(|p| p.supplier_name.as_deref().map(str::to_string)),
                ) {
                    (QuickFilter::Supplier(_), _) | (_, None) => QuickFilter::All,
                    (_, Some(name)) => QuickFilter::Supplier(name),
                };
                self.rebuild_view();
            }
            _ => {}
        }
    }
}

/// The `/` prompt as the footer shows it while the buyer types.
pub(in crate::tui) fn prompt(app: &App) -> String {
    format!("/{}_   ", app.filter)
}
