//! What the screen shows and how actions change it. No I/O, no drawing.

use std::collections::HashMap;

use chrono::{DateTime, Local};

use crate::live::{PlanUpdate, SourceStatus, TextRanks};
use crate::plan::{OverrideNote, ProductPlan};
use crate::tui::action::Action;
use crate::tui::action::Column;
use crate::tui::action::QuickFilter;
use crate::tui::action::StoreRequest;
use crate::tui::popups::override_form::OverrideForm;
use crate::tui::sort::changed_cells;
use crate::tui::sort::class_key;
use crate::tui::sort::compare_lists;
use crate::tui::sort::matches_text;
use crate::tui::sort::sort_listed;
use crate::tui::sort::Order;

/// The message while an `r` refresh runs (cleared by its plans).
pub const REFRESHING: &str = "Refreshing every source...";

/// How long a changed cell stays highlighted after a refresh.
pub const HIGHLIGHT_SECS: i64 = 3;

/// The state of the buyer's screen.
#[derive(Debug, Default)]
pub struct App {
    pub plans: Vec<ProductPlan>,
    /// Indices into `plans` that pass the filters, in display order.
    pub view: Vec<usize>,
    /// Position of the selection in `view`.
    pub selected: usize,
    /// First row of `view` on screen (kept by the view as it scrolls).
    pub offset: usize,
    pub sort: (Column, bool),
    pub filter: String,
    pub filter_editing: bool,
    /// What the text filter has that is not understood (an unknown class
    /// or filter word), in words; set with the view, shown in the header.
    pub filter_note: Option<String>,
    pub quick: QuickFilter,
    pub detail_open: bool,
    /// First line of the rationale shown in the detail pane.
    pub detail_scroll: u16,
    pub should_quit: bool,
    /// Rows of the list that fit on screen (set by the view; used to page).
    pub page: usize,
    pub form: Option<OverrideForm>,
    /// The terminal is below 80x24 (set by the last draw): keys other than
    /// quit do nothing while the screen only says so.
    pub too_small: bool,
    /// A request for the store, taken by the terminal loop.
    pub pending: Option<StoreRequest>,
    /// A one-line message for the buyer (saved, failed).
    pub message: Option<String>,
    /// Who the overrides are recorded for.
    pub user: String,
    pub theme: super::theme::Theme,
    pub help_open: bool,
    /// Products selected for ordering (by id, so a refresh keeps them).
    pub for_order: std::collections::BTreeSet<String>,
    /// The sources popup is open.
    pub sources_open: bool,
    /// The detail shows the charts instead of the steps.
    pub charts_open: bool,
    /// The buyer asked for a refresh; taken by the terminal loop.
    pub refresh_requested: bool,
    /// The five sources as the last report had them.
    pub sources: Vec<SourceStatus>,
    /// The first plans have arrived.
    pub loaded: bool,
    /// Position of each product in `plans`.
    pub index: HashMap<std::sync::Arc<str>, usize>,
    /// Each plan's rank by name and by supplier, made by the background
    /// task with the plans (`None`: ranked here when sorting).
    pub ranks: Option<std::sync::Arc<TextRanks>>,
    /// `plans` are sorted by id (kept so by `apply_update`): a sort need
    /// not check it by reading every id.
    in_id_order: bool,
    /// Cells changed by a refresh: when, and which columns (bits of
    /// `Column as u16`).
    pub changed: HashMap<std::sync::Arc<str>, (DateTime<Local>, u16)>,
    /// The clock the screen is drawn at (set by the loop before each draw).
    pub now: DateTime<Local>,
    /// Overrides saved here, with when: a refresh that began before the save
    /// does not know them yet, so they are put back on its plans.
    pub local_overrides: HashMap<String, (DateTime<Local>, Option<OverrideNote>)>,
    /// Counts of the last refresh, for the header.
    pub last_refresh: Option<RefreshSummary>,
    /// Daily demand of the product in the detail: the request id it answers
    /// and the answer (`None` while it is on its way).
    pub history: Option<DemandHistory>,
    /// A history request for the loop to send.
    pub history_wanted: Option<(u64, String)>,
    /// What the header showed at the last draw (ages), to redraw only when
    /// it changes.
    pub clock_text: String,
    /// Keys per screen: the built-in ones unless the config changed them.
    pub keymap: super::keymap::Keymap,
    /// Products that need an order, and products with exceptions (counted
    /// when the plans change, not on every frame).
    pub counts: (usize, usize),
    /// The rules in force: their text and where they came from.
    pub rules_text: String,
    pub rules_origin: String,
    /// The rule editor, when open.
    pub editor: Option<crate::tui::screens::editor::RuleEditor>,
    /// Edits not applied, kept when the editor was left.
    pub rules_draft: Option<String>,
    /// The rules file on disk has errors: the last good version is in
    /// force (or none: no plan); said on the message line until fixed, and
    /// `R` opens the broken text.
    pub rules_broken: Option<crate::live::BrokenRules>,
    /// The editor's rules versions panel (F9) and the versions asked for.
    pub rules_versions: crate::tui::screens::editor::history::VersionsState,
    /// Rules text to apply, and whether the author confirmed it past the
    /// guard; taken by the terminal loop.
    pub rules_apply_wanted: Option<(String, bool)>,
    /// Rules text to try (dry run) with its request id; taken by the loop.
    pub dry_run_wanted: Option<(u64, String)>,
    /// The last dry-run request id.
    pub dry_run_request: u64,
    /// Rules text to run the fixtures on, with its request id (the last
    /// one is `dry_run_request`'s counter too); taken by the loop.
    pub fixtures_wanted: Option<(u64, String)>,
    /// Rules text to backtest against the rules in force, with its request
    /// id (`dry_run_request`'s counter); taken by the loop.
    pub backtest_wanted: Option<(u64, String)>,
    /// $EDITOR on the rules file; taken by the loop.
    pub external_editor_wanted: bool,
    /// The suggested orders' amounts per currency (counted with `counts`),
    /// in the order the list groups currencies.
    pub totals: Vec<CurrencyTotal>,
    /// The listed amounts are in more than one currency: the Amount column
    /// names each one's currency.
    pub mixed_currencies: bool,
    /// The list's columns as the last frame drew them, and those the width
    /// left out (set by the view).
    pub list_columns: Vec<crate::tui::screens::list::ShownColumn>,
    pub hidden_columns: Vec<crate::tui::screens::list::Field>,
    /// First line of the help shown, and how many lines it shows (set by
    /// the view, which keeps the last screenful reachable and no further).
    pub help_scroll: u16,
    pub help_page: u16,
    /// The purchase orders screens, their popups and their sends.
    pub orders: crate::tui::screens::orders::OrdersState,
    /// Work for the purchase-order tasks; taken by the terminal loop.
    pub orders_wanted: Vec<crate::tui::screens::orders::OrderRequest>,
    /// Products on a draft or pending PO (ON_PO), counted with `counts`:
    /// ordered already, so neither "to order" nor in `n`.
    pub on_po: usize,
    /// `n` (and "to order") shows the products on a draft or pending PO
    /// too (`D`).
    pub show_on_po: bool,
}

/// A product on a draft or pending buyerdesk PO (ON_PO): ordered already,
/// left out of "to order" and `n` unless the buyer shows them (`D`).
pub fn on_a_po(p: &ProductPlan) -> bool {
    p.has(crate::plan::ExceptionCode::OnPo)
}

/// A product the buyer still has to order: a suggestion, not on a draft
/// or pending PO.
pub fn to_order(p: &ProductPlan) -> bool {
    ordering(p) && !on_a_po(p)
}

/// Something will be ordered: the buyer's quantity where there is one
/// (an override of 0 orders nothing), else the suggestion; as drafting
/// takes it.
pub fn ordering(p: &ProductPlan) -> bool {
    p.ordered().0 > 0.0
}

/// The daily demand of one product, asked of the OMS for the detail.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandHistory {
    /// The request this answers (older answers are dropped).
    pub request: u64,
    pub product_id: String,
    /// Days and quantities, oldest first; `None` while on the way.
    pub days: Option<Result<Vec<(String, f64)>, String>>,
}

/// The suggested orders of one currency: their amount and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// `None`: the supplier source gave no currency.
    pub currency: Option<std::sync::Arc<str>>,
    /// In cents: amounts are rounded to cents, and cents add up exactly.
    pub cents: i64,
    pub products: usize,
}

/// The order currencies are listed and grouped in: by code, none last.
pub fn currency_order(a: Option<&str>, b: Option<&str>) -> std::cmp::Ordering {
    (a.is_none(), a).cmp(&(b.is_none(), b))
}

/// What the last refresh did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefreshSummary {
    pub at: DateTime<Local>,
    pub changed: usize,
    pub full: bool,
}

impl App {
    /// A screen showing these plans (tests, benchmarks).
    pub fn new(plans: Vec<ProductPlan>) -> App {
        let mut app = App::waiting();
        app.loaded = true;
        app.plans = plans;
        app.in_id_order = app.plans.is_sorted_by(|a, b| a.product_id < b.product_id);
        app.reindex();
        app.recount();
        app.rebuild_view();
        app
    }

    /// A screen waiting for its first plans: it draws at once and fills in
    /// when the sources answer.
    pub fn waiting() -> App {
        App {
            sort: (Column::Exceptions, false),
            page: 10,
            now: Local::now(),
            ..Default::default()
        }
    }

    /// Counts the header's figures again after the plans changed: the
    /// counts, and the suggested orders' amounts per currency (never added
    /// across currencies).
    pub(in crate::tui) fn recount(&mut self) {
        self.on_po = self
            .plans
            .iter()
            .filter(|p| ordering(p) && on_a_po(p))
            .count();
        self.counts = (
            self.plans.iter().filter(|p| to_order(p)).count(),
            self.plans
                .iter()
                .filter(|p| !p.exceptions.is_empty())
                .count(),
        );
        let mut totals: Vec<CurrencyTotal> = Vec::new();
        for p in self.plans.iter().filter(|p| to_order(p)) {
            // What will be ordered: the buyer's quantity where there is one.
            let amount = p.ordered().2;
            let cents = (crate::plan::numbers::round_money(amount) * 100.0).round() as i64;
            // Few currencies: a look along the list beats hashing.
            match totals
                .iter_mut()
                .find(|t| t.currency.as_deref() == p.currency.as_deref())
            {
                Some(t) => {
                    t.cents += cents;
                    t.products += 1;
                }
                None => totals.push(CurrencyTotal {
                    currency: p.currency.clone(),
                    cents,
                    products: 1,
                }),
            }
        }
        totals.sort_by(|a, b| currency_order(a.currency.as_deref(), b.currency.as_deref()));
        self.totals = totals;
    }

    fn reindex(&mut self) {
        self.index = self
            .plans
            .iter()
            .enumerate()
            .map(|(i, p)| (p.product_id.clone(), i))
            .collect();
    }

    /// The sources' state changed.
    pub fn apply_sources(&mut self, sources: Vec<SourceStatus>) {
        self.sources = sources;
    }

    /// New and changed plans from a refresh: replaced in place, the changed
    /// cells noted for highlighting, the selection kept on its product.
    pub fn apply_update(&mut self, update: PlanUpdate) {
        let highlight = self.loaded;
        let now = self.now;
        // The selection follows its product, wherever it moves in `plans`.
        let keep = self.selected_plan().map(|p| p.product_id.clone());
        let mut added = false;
        if !update.removed.is_empty() {
            let gone: std::collections::HashSet<&str> =
                update.removed.iter().map(String::as_str).collect();
            self.plans.retain(|p| !gone.contains(&*p.product_id));
            for id in &update.removed {
                self.changed.remove(id.as_str());
            }
            self.reindex();
        }
        let mut replaced = Vec::new();
        let mut update = update;
        if !self.loaded && self.plans.is_empty() && self.local_overrides.is_empty() {
            // The first plans are taken whole, not moved one by one into a
            // second list of 100,000 plans.
            self.plans = std::mem::take(&mut update.plans);
            self.reindex();
            added = !self.plans.is_empty();
        } else if !self.loaded {
            self.plans.reserve(update.plans.len());
        }
        // Every product again, the same ones (a source went stale or came
        // back): the new list takes the old one's place whole.
        self.ranks = update.ranks.take();
        let whole = match self.local_overrides.is_empty() {
            true => compare_lists(&self.plans, &update.plans),
            false => None,
        };
        if let Some(changed) = whole {
            if highlight {
                for (i, mask) in changed {
                    let id = update.plans[i].product_id.clone();
                    self.changed.insert(id, (now, mask));
                }
            }
            replaced = std::mem::replace(&mut self.plans, std::mem::take(&mut update.plans));
        }
        // Updates come in id order, as the plans are kept: the next plan is
        // usually the one after the last, found without hashing its id.
        let mut next = 0;
        for mut plan in update.plans {
            if !self.local_overrides.is_empty() {
                if let Some((saved_at, note)) = self.local_overrides.get(&*plan.product_id) {
                    if *saved_at > update.started {
                        plan.apply_override(note.as_ref());
                    }
                }
            }
            let at = match self.plans.get(next) {
                Some(p) if p.product_id == plan.product_id => Some(next),
                _ => self.index.get(&plan.product_id).copied(),
            };
            match at {
                Some(i) => {
                    next = i + 1;
                    let mask = changed_cells(&self.plans[i], &plan);
                    if highlight && mask != 0 {
                        self.changed.insert(plan.product_id.clone(), (now, mask));
                    }
                    replaced.push(std::mem::replace(&mut self.plans[i], plan));
                }
                None => {
                    if highlight {
                        self.changed
                            .insert(plan.product_id.clone(), (now, u16::MAX));
                    }
                    self.index.insert(plan.product_id.clone(), self.plans.len());
                    self.plans.push(plan);
                    added = true;
                }
            }
        }
        // The list sorts fastest with the plans in id order, as planning
        // hands them over; new products are put in their place.
        if added {
            if !self.plans.is_sorted_by(|a, b| a.product_id < b.product_id) {
                self.plans.sort_by(|a, b| a.product_id.cmp(&b.product_id));
                self.reindex();
            }
            self.in_id_order = true;
        }
        self.local_overrides
            .retain(|_, (saved_at, _)| *saved_at > update.started);
        self.loaded = true;
        self.last_refresh = Some(RefreshSummary {
            at: now,
            changed: update.changed,
            full: update.full,
        });
        self.recount();
        self.rebuild_view();
        if let Some(at) = keep.and_then(|id| self.index.get(&id).copied()) {
            if let Some(position) = self.view.iter().position(|&i| i == at) {
                self.selected = position;
            }
        }
        // Freeing many plans takes a while; not on the screen's time.
        if replaced.len() > 1000 {
            std::thread::spawn(move || drop(replaced));
        }
    }

    /// The daily demand answered a request; an answer to an older request
    /// (another product) is dropped.
    pub fn apply_history(
        &mut self,
        request: u64,
        product_id: String,
        days: Result<Vec<(String, f64)>, String>,
    ) {
        if let Some(h) = self.history.as_mut() {
            if h.request == request && h.product_id == product_id {
                h.days = Some(days);
            }
        }
    }

    /// Whether a cell of this product in this column is highlighted now.
    pub fn is_changed(&self, product_id: &str, column: Column) -> bool {
        self.changed.get(product_id).is_some_and(|(at, mask)| {
            mask & (1 << column as u16) != 0 && (self.now - *at).num_seconds() < HIGHLIGHT_SECS
        })
    }

    /// The clock moved on: drops expired highlights. True when the screen
    /// would look different (a highlight ended, an age changed).
    pub fn tick(&mut self, now: DateTime<Local>) -> bool {
        self.now = now;
        let before = self.changed.len();
        self.changed
            .retain(|_, (at, _)| (now - *at).num_seconds() < HIGHLIGHT_SECS);
        let text = crate::tui::view::clock_text(self);
        let aged = text != self.clock_text;
        self.clock_text = text;
        aged || self.changed.len() != before
    }

    pub fn plan_by_id(&self, id: &str) -> Option<&ProductPlan> {
        self.index.get(id).map(|&i| &self.plans[i])
    }

    pub fn selected_plan(&self) -> Option<&ProductPlan> {
        self.view.get(self.selected).map(|&i| &self.plans[i])
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        let action = match action {
            Action::StoreConflict {
                product_id,
                conflict,
            } => {
                self.store_conflict(&product_id, conflict);
                return;
            }
            Action::StoreDone { product_id, result } => {
                self.store_done(&product_id, result);
                return;
            }
            Action::Orders(answer) => {
                self.orders_answer(*answer);
                return;
            }
            action => action,
        };
        if action == Action::ToggleHelp {
            self.help_open = !self.help_open;
            self.help_scroll = 0;
            return;
        }
        if self.help_open {
            // The view stops the scroll at the last screenful.
            let page = self.help_page.max(1);
            let scroll = &mut self.help_scroll;
            match action {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll = scroll.saturating_add(1),
                Action::PageUp => *scroll = scroll.saturating_sub(page),
                Action::PageDown => *scroll = scroll.saturating_add(page),
                Action::Top => *scroll = 0,
                Action::Bottom => *scroll = u16::MAX,
                _ => {}
            }
            if matches!(
                action,
                Action::Up
                    | Action::Down
                    | Action::PageUp
                    | Action::PageDown
                    | Action::Top
                    | Action::Bottom
            ) {
                return;
            }
        }
        if action == Action::ToggleSources {
            self.sources_open = !self.sources_open;
            return;
        }
        if self.form.is_some() {
            self.update_form(action);
            return;
        }
        // The guarded apply's question, over the editor.
        if self.editor.is_some() && self.orders.confirm.is_none() {
            self.update_editor(action);
            return;
        }
        if self.orders.input.is_some() {
            self.update_po_input(action);
            return;
        }
        if self.orders.confirm.is_some() {
            self.update_confirm(action);
            return;
        }
        if self.orders.drafted.is_some() {
            self.update_drafted(action);
            return;
        }
        if self.orders.open {
            self.update_orders(action);
            return;
        }
        let last = self.view.len().saturating_sub(1);
        if self.detail_open {
            // In the detail up and down go to the product before and after
            // (the list's order); the pages scroll the rationale.
            let page = u16::try_from(self.page.max(1)).unwrap_or(u16::MAX);
            let moved = match action {
                Action::Up => Some(self.selected.saturating_sub(1)),
                Action::Down => Some((self.selected + 1).min(last)),
                _ => None,
            };
            if let Some(at) = moved {
                if at != self.selected {
                    self.selected = at;
                    self.detail_scroll = 0;
                    self.ask_history();
                }
                return;
            }
            let scroll = match action {
                Action::ScrollUp => Some(self.detail_scroll.saturating_sub(1)),
                Action::ScrollDown => Some(self.detail_scroll.saturating_add(1)),
                Action::PageUp => Some(self.detail_scroll.saturating_sub(page)),
                Action::PageDown => Some(self.detail_scroll.saturating_add(page)),
                Action::Top => Some(0),
                // The view stops it at the last screenful.
                Action::Bottom => Some(u16::MAX),
                _ => None,
            };
            if let Some(scroll) = scroll {
                self.detail_scroll = scroll;
                return;
            }
        }
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page.max(1)),
            Action::PageDown => self.selected = (self.selected + self.page.max(1)).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::SortBy(column) => {
                self.sort = if self.sort.0 == column {
                    (column, !self.sort.1)
                } else {
                    (column, false)
                };
                self.rebuild_view();
            }
            a @ (Action::StartFilter
            | Action::FilterInput(_)
            | Action::FilterBackspace
            | Action::FilterDone
            | Action::ClearFilter
            | Action::Quick(_)
            | Action::ToggleSupplierFilter) => self.update_filter(a),
            Action::OpenDetail => {
                self.detail_open = self.selected_plan().is_some();
                self.detail_scroll = 0;
                self.ask_history();
            }
            Action::Back => {
                self.message = None;
                if self.detail_open {
                    self.detail_open = false;
                } else if self.filter_editing {
                    self.filter_editing = false;
                }
            }
            Action::Quit => self.should_quit = true,
            Action::Refresh => {
                self.refresh_requested = true;
                self.message = Some(REFRESHING.to_string());
            }
            Action::ToggleSelect => {
                if let Some(id) = self.selected_plan().map(|p| p.product_id.to_string()) {
                    if !self.for_order.remove(&id) {
                        self.for_order.insert(id);
                    }
                    self.selected = (self.selected + 1).min(last);
                }
            }
            Action::SelectAllNeeded => {
                let before = self.for_order.len();
                for &i in &self.view {
                    if to_order(&self.plans[i]) {
                        self.for_order.insert(self.plans[i].product_id.to_string());
                    }
                }
                self.message = Some(format!(
                    "{} selected for ordering ({} added)",
                    self.for_order.len(),
                    self.for_order.len() - before
                ));
            }
            Action::ClearSelection => {
                self.for_order.clear();
                self.message = Some("Nothing selected".to_string());
            }
            Action::ToggleCharts => self.charts_open = !self.charts_open,
            Action::ToggleOnPo => {
                self.show_on_po = !self.show_on_po;
                self.rebuild_view();
                self.message = Some(match self.show_on_po {
                    true => format!(
                        "{} on draft or pending POs listed with those to order",
                        self.on_po
                    ),
                    false => format!(
                        "{} on draft or pending POs left out of those to order",
                        self.on_po
                    ),
                });
            }
            Action::DraftOrders => self.draft_orders(),
            Action::OpenOrders => self.open_orders(),
            Action::ExternalEditor => self.external_editor_wanted = true,
            Action::OpenEditor => {
                // A broken rules file on disk opens with its text (to fix).
                let broken = self
                    .rules_broken
                    .as_ref()
                    .filter(|_| self.rules_draft.is_none());
                let text = match broken {
                    Some(b) => b.text.clone(),
                    None => self.rules_draft.clone().unwrap_or(self.rules_text.clone()),
                };
                let origin = match broken {
                    Some(b) => b.path.display().to_string(),
                    None => self.rules_origin.clone(),
                };
                let mut editor =
                    crate::tui::screens::editor::RuleEditor::open(&text, &origin, &self.rules_text);
                if let Some(b) = broken {
                    editor.status = Some(format!(
                        "The file on disk, broken: fix it and Ctrl-S applies it ({})",
                        crate::text::printable(&b.first_error)
                    ));
                } else if let Some(b) = &self.rules_broken {
                    // The draft wins over the broken file (edits are never
                    // dropped), but the author is told which one is shown.
                    editor.status = Some(format!(
                        "Your draft is back, not the broken file on disk ({}): Ctrl-S applies the draft over it; F8 discards the draft",
                        crate::text::printable(&b.first_error)
                    ));
                } else if self.rules_draft.is_some() {
                    editor.status = Some(
                        "Your unapplied edits (a draft) are back; F8 discards them".to_string(),
                    );
                }
                self.editor = Some(editor);
            }
            Action::OpenOverride => {
                if let Some(p) = self.selected_plan() {
                    self.form = Some(OverrideForm::new(p));
                }
            }
            Action::ClearOverride => {
                let Some(p) = self.selected_plan() else {
                    return;
                };
                let id = p.product_id.to_string();
                match p.override_qty.get() {
                    Some(q) => {
                        // Named in full before anything is cleared: the
                        // quantity and the reason (with its note and who).
                        let reason = p
                            .exception_details
                            .iter()
                            .find(|e| e.code == crate::plan::ExceptionCode::Overridden)
                            .and_then(|e| e.message.split_once("): ").map(|(_, r)| r.to_string()))
                            .unwrap_or_default();
                        let question = format!(
                            "Clear the override of {}: {}, {}? y/n",
                            crate::text::masked(&id),
                            crate::text::masked(&crate::plan::numbers::fmt_units(
                                q,
                                p.stock_uom.as_deref()
                            )),
                            crate::text::masked(&reason)
                        );
                        self.orders.confirm = Some(crate::tui::popups::confirm::Confirm {
                            action: crate::tui::popups::confirm::ConfirmAction::ClearOverride(
                                id,
                                p.override_revision,
                            ),
                            question,
                        });
                    }
                    None => self.message = Some(format!("{id} has no override")),
                }
            }
            _ => {}
        }
    }

    /// Asks for the daily demand of the selected product (the detail's
    /// chart), unless it is here already.
    fn ask_history(&mut self) {
        let Some(id) = self.selected_plan().map(|p| p.product_id.to_string()) else {
            return;
        };
        let fresh = self
            .history
            .as_ref()
            .is_some_and(|h| *h.product_id == *id && h.days.is_some());
        if !fresh {
            let request = self.history.as_ref().map_or(1, |h| h.request + 1);
            self.history = Some(DemandHistory {
                request,
                product_id: id.clone(),
                days: None,
            });
            self.history_wanted = Some((request, id));
        }
    }

    /// Recomputes the filtered, sorted list, keeping the selected product
    /// selected when it is still listed.
    pub fn rebuild_view(&mut self) {
        // The selected product by its index in `plans`, which a rebuild
        // does not change.
        let keep = self.view.get(self.selected).copied();
        let parsed = crate::tui::popups::filter::ParsedFilter::parse(&self.filter);
        self.filter_note = (!parsed.problems.is_empty()).then(|| parsed.problems.join("; "));
        let needle = parsed.needle.as_str();
        let classes = parsed.on_classes();
        let plans = &self.plans;
        let listed: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i];
                let quick = match &self.quick {
                    QuickFilter::All => true,
                    QuickFilter::NeedsOrder => ordering(p) && (self.show_on_po || !on_a_po(p)),
                    QuickFilter::HasExceptions => !p.exceptions.is_empty(),
                    QuickFilter::Supplier(s) => p.supplier_name.as_deref() == Some(s.as_str()),
                };
                quick
                    && (!classes || parsed.classes_match(class_key(p)))
                    && (needle.is_empty() || matches_text(p, needle))
            })
            .collect();
        let order = Order {
            ranks: self.ranks.as_deref(),
            in_id_order: self.in_id_order,
        };
        // The Amount column names currencies when the listed amounts are
        // in more than one.
        let mut first: Option<Option<&str>> = None;
        self.mixed_currencies = listed.iter().any(|&i| {
            let p = &plans[i];
            if p.amount <= 0.0 {
                return false;
            }
            let currency = p.currency.as_deref();
            *first.get_or_insert(currency) != currency
        });
        self.view = sort_listed(plans, order, listed, self.sort);
        self.selected = keep
            .and_then(|k| self.view.iter().position(|&i| i == k))
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }
}

pub(in crate::tui) fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

impl App {
    /// The message line: the last message, else the broken rules file's
    /// banner (kept until the file is fixed), else what the filter has that
    /// is not understood.
    pub fn footer_message(&self) -> Option<String> {
        self.message
            .clone()
            .or_else(|| {
                self.rules_broken
                    .as_ref()
                    .map(crate::live::BrokenRules::banner)
            })
            // A filter word not understood, in full (the header may have
            // no room for it).
            .or_else(|| self.filter_note.as_ref().map(|n| format!("Filter: {n}")))
    }

    /// The screen starts with a broken rules file (`live::screen_rules`):
    /// the banner, and without a good version the editor on it at once.
    pub fn start_with_broken_rules(&mut self, broken: Option<crate::live::BrokenRules>) {
        self.rules_broken = broken;
        if self.without_rules() {
            self.update(crate::tui::action::Action::OpenEditor);
        }
    }

    /// The rules file is broken and no good version is kept: no plan is
    /// shown until rules are applied (plans from the live task are
    /// dropped; the one after an apply is full).
    pub fn without_rules(&self) -> bool {
        self.rules_broken
            .as_ref()
            .is_some_and(|b| b.version.is_none())
    }
}
