//! What the screen shows and how actions change it. No I/O, no drawing.

use std::collections::HashMap;

use chrono::{DateTime, Local};

use crate::live::{PlanUpdate, SourceStatus, TextRanks};
use crate::plan::{ExceptionCode, OverrideNote, ProductPlan};
use crate::store::overrides::{parse_quantity, Override, OverrideUnit, ReasonCode};

/// The message while an `r` refresh runs (cleared by its plans).
pub const REFRESHING: &str = "Refreshing every source...";

/// How long a changed cell stays highlighted after a refresh.
pub const HIGHLIGHT_SECS: i64 = 3;

/// Sortable columns of the product list. The default order puts what needs
/// a buyer first (`Exceptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Column {
    Product,
    Name,
    Supplier,
    Demand,
    Available,
    OnOrder,
    Cover,
    Order,
    Amount,
    #[default]
    Exceptions,
}

impl Column {
    /// Every sortable column, in the order of the sort keys (1 to 9, 0).
    pub const ALL: [Column; 10] = [
        Column::Product,
        Column::Name,
        Column::Supplier,
        Column::Demand,
        Column::Available,
        Column::OnOrder,
        Column::Cover,
        Column::Order,
        Column::Amount,
        Column::Exceptions,
    ];
}

/// Quick filters on top of the text filter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum QuickFilter {
    #[default]
    All,
    NeedsOrder,
    HasExceptions,
    Supplier(String),
}

/// Everything a key can ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Sort by a column; the same column again reverses the order.
    SortBy(Column),
    StartFilter,
    FilterInput(char),
    FilterBackspace,
    /// Leave the filter prompt, keeping the filter.
    FilterDone,
    ClearFilter,
    Quick(QuickFilter),
    /// Only the selected product's supplier (again: all suppliers).
    ToggleSupplierFilter,
    OpenDetail,
    /// Close the top-most thing: the popup, the detail, then the filter.
    Back,
    Quit,
    /// Show or hide the key help.
    ToggleHelp,
    /// Open the override popup for the selected product.
    OpenOverride,
    /// Take the selected product's override off.
    ClearOverride,
    /// Reload every source now.
    Refresh,
    /// Select the product for ordering (or unselect it).
    ToggleSelect,
    /// Select every listed product that needs an order.
    SelectAllNeeded,
    /// Unselect everything.
    ClearSelection,
    /// Show or hide the sources popup (state, age, round trip, error).
    ToggleSources,
    /// In the detail: show the charts instead of the steps (narrow
    /// screens), or the steps again.
    ToggleCharts,
    /// Open the rule editor (on the draft, if one was left).
    OpenEditor,
    /// Leave the rule editor; the edited text stays as a draft.
    CloseEditor,
    /// A key for the editor's text.
    EditorKey(ratatui::crossterm::event::KeyEvent),
    /// Move to the next error (then warning) in the editor.
    NextProblem,
    /// Apply the edited rules (refused while they have errors).
    ApplyRules,
    /// Try the edited rules on every product, changing nothing.
    DryRun,
    /// Throw the edits (and the draft) away: back to the rules in force.
    DiscardEdits,
    /// Edit the rules file in $EDITOR, the screen suspended meanwhile.
    ExternalEditor,
    FormInput(char),
    FormBackspace,
    FormNextField,
    FormPrevField,
    /// Change the unit or the reason (left/right).
    FormChoice(bool),
    FormSubmit,
    /// The store answered a request.
    StoreDone {
        product_id: String,
        result: Result<Option<Override>, String>,
    },
    /// Draft POs from the products selected for ordering (none selected:
    /// every product that needs an order, after a confirmation).
    DraftOrders,
    /// The purchase orders screen.
    OpenOrders,
    /// Read the POs (and the open PO) from the store again.
    ReloadOrders,
    /// Approve the highlighted or open PO (after a confirmation).
    ApprovePo,
    /// Send the highlighted or open PO to its supplier.
    SendPo,
    /// Cancel the highlighted or open PO (after a confirmation).
    CancelPo,
    /// The answer to the confirmation popup: yes or no.
    Confirm(bool),
    /// A purchase-order task answered (boxed: it holds whole POs).
    Orders(Box<super::orders::OrdersAnswer>),
}

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

/// Work for the purchasing store, done by a task outside the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreRequest {
    Set(Override),
    Clear(String),
}

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
    pub quick: QuickFilter,
    pub detail_open: bool,
    /// First line of the rationale shown in the detail pane.
    pub detail_scroll: u16,
    pub should_quit: bool,
    /// Rows of the list that fit on screen (set by the view; used to page).
    pub page: usize,
    pub form: Option<OverrideForm>,
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
    pub editor: Option<super::editor::RuleEditor>,
    /// Edits not applied, kept when the editor was left.
    pub rules_draft: Option<String>,
    /// Rules text to apply; taken by the terminal loop.
    pub rules_apply_wanted: Option<String>,
    /// Rules text to try (dry run) with its request id; taken by the loop.
    pub dry_run_wanted: Option<(u64, String)>,
    /// The last dry-run request id.
    pub dry_run_request: u64,
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
    pub list_columns: Vec<super::list_view::ShownColumn>,
    pub hidden_columns: Vec<super::list_view::Field>,
    /// First line of the help shown, and how many lines it shows (set by
    /// the view, which keeps the last screenful reachable and no further).
    pub help_scroll: u16,
    pub help_page: u16,
    /// The purchase orders screens, their popups and their sends.
    pub orders: super::orders::OrdersState,
    /// Work for the purchase-order tasks; taken by the terminal loop.
    pub orders_wanted: Vec<super::orders::OrderRequest>,
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
    fn recount(&mut self) {
        self.counts = (
            self.plans.iter().filter(|p| p.needs_order()).count(),
            self.plans
                .iter()
                .filter(|p| !p.exceptions.is_empty())
                .count(),
        );
        let mut totals: Vec<CurrencyTotal> = Vec::new();
        for p in self.plans.iter().filter(|p| p.needs_order()) {
            let cents = (crate::plan::numbers::round_money(p.amount) * 100.0).round() as i64;
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
        let text = super::view::clock_text(self);
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
        if self.editor.is_some() {
            self.update_editor(action);
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
            // In the detail pane the moving keys scroll the rationale.
            let page = u16::try_from(self.page.max(1)).unwrap_or(u16::MAX);
            let scroll = match action {
                Action::Up => Some(self.detail_scroll.saturating_sub(1)),
                Action::Down => Some(self.detail_scroll.saturating_add(1)),
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
            Action::OpenDetail => {
                self.detail_open = self.selected_plan().is_some();
                self.detail_scroll = 0;
                if let Some(id) = self.selected_plan().map(|p| p.product_id.to_string()) {
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
                    if self.plans[i].needs_order() {
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
            Action::DraftOrders => self.draft_orders(),
            Action::OpenOrders => self.open_orders(),
            Action::ExternalEditor => self.external_editor_wanted = true,
            Action::OpenEditor => {
                let text = self.rules_draft.clone().unwrap_or(self.rules_text.clone());
                let mut editor =
                    super::editor::RuleEditor::open(&text, &self.rules_origin, &self.rules_text);
                if self.rules_draft.is_some() {
                    editor.status = Some(
                        "Your unapplied edits (a draft) are back; F8 discards them".to_string(),
                    );
                }
                self.editor = Some(editor);
            }
            Action::OpenOverride => {
                if let Some(p) = self.selected_plan() {
                    let current = p.override_qty.unwrap_or(p.order_qty);
                    self.form = Some(OverrideForm {
                        product_id: p.product_id.to_string(),
                        quantity: crate::plan::numbers::fmt_qty(current),
                        unit: OverrideUnit::Stock,
                        reason: ReasonCode::Promo,
                        note: String::new(),
                        field: FormField::Quantity,
                        error: None,
                        saving: false,
                    });
                }
            }
            Action::ClearOverride => {
                let Some(p) = self.selected_plan() else {
                    return;
                };
                let id = p.product_id.to_string();
                if p.override_qty.is_some() {
                    self.message = Some(format!("Clearing the override of {id}..."));
                    self.pending = Some(StoreRequest::Clear(id));
                } else {
                    self.message = Some(format!("{id} has no override"));
                }
            }
            _ => {}
        }
    }

    fn update_editor(&mut self, action: Action) {
        let now = self.now;
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        match action {
            Action::CloseEditor | Action::Quit => {
                // Edits are kept, never lost by leaving.
                self.rules_draft = editor.is_edited().then(|| editor.text());
                self.editor = None;
                if self.rules_draft.is_some() {
                    self.message = Some("Rule edits kept as a draft (R reopens them)".to_string());
                }
                if action == Action::Quit {
                    self.should_quit = true;
                }
            }
            Action::EditorKey(key) if editor.textarea.input(key) => editor.changed(now),
            Action::NextProblem => {
                if editor.edited.is_some() {
                    editor.validate();
                }
                editor.status = match editor.next_problem() {
                    Some(d) => Some(format!("{}:{}: {}", d.line, d.col, d.message)),
                    None => Some("No errors or warnings".to_string()),
                };
            }
            Action::DiscardEdits => {
                let in_force = editor.in_force.clone();
                let origin = editor.origin.clone();
                let mut fresh = super::editor::RuleEditor::open(&in_force, &origin, &in_force);
                fresh.status = Some("Edits discarded: these are the rules in force".to_string());
                *editor = fresh;
                self.rules_draft = None;
            }
            Action::DryRun => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Not tried: {errors} error(s); F2 goes to the next one"
                    ));
                } else {
                    self.dry_run_request += 1;
                    editor.dry_run =
                        Some(super::editor::DryRunState::Running(self.dry_run_request));
                    editor.status = Some("Trying the rules on every product...".to_string());
                    self.dry_run_wanted = Some((self.dry_run_request, editor.text()));
                }
            }
            Action::ApplyRules => {
                editor.validate();
                let errors = editor.errors();
                if errors > 0 {
                    editor.status = Some(format!(
                        "Not applied: {errors} error(s); F2 goes to the next one"
                    ));
                } else if !editor.is_edited() {
                    editor.status =
                        Some("Nothing to apply: these are the rules in force".to_string());
                } else {
                    editor.applying = true;
                    editor.status = Some("Applying...".to_string());
                    self.rules_apply_wanted = Some(editor.text());
                }
            }
            _ => {}
        }
    }

    /// The answer to applying the editor's rules: in force (the plan is
    /// re-made with them; the draft goes), or why not (the editor stays
    /// open with the text).
    pub fn rules_applied(&mut self, result: Result<String, String>) {
        let Some(editor) = self.editor.as_mut() else {
            // Left meanwhile: say it on the list.
            self.message = Some(match result {
                Ok(summary) => format!("Rules applied: {summary}"),
                Err(e) => format!("Rules not applied: {}", first_line(&e)),
            });
            return;
        };
        editor.applying = false;
        match result {
            Ok(summary) => {
                self.rules_text = editor.text();
                editor.in_force = self.rules_text.clone();
                self.rules_draft = None;
                editor.status = Some(format!(
                    "Applied: {summary}; the plan is being re-made with them"
                ));
            }
            Err(e) => {
                editor.status = Some(format!("Not applied: {}", first_line(&e)));
            }
        }
    }

    /// A dry run answered; an answer to an older request (the text changed
    /// since) is dropped.
    pub fn dry_run_done(
        &mut self,
        request: u64,
        result: Result<crate::live::SharedDryRun, String>,
    ) {
        use super::editor::DryRunState;
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        if editor.dry_run != Some(DryRunState::Running(request)) {
            return;
        }
        editor.status = None;
        editor.dry_run = Some(match result {
            Ok(d) => DryRunState::Done(d),
            Err(e) => DryRunState::Failed(e),
        });
    }

    /// The rules file changed on disk: now in force (`text` read from it),
    /// or refused (the rules in force stay).
    pub fn rules_reloaded(&mut self, result: Result<(String, String), String>) {
        self.message = Some(match result {
            Ok((path, text)) => {
                self.rules_text = text;
                format!("Rules reloaded from {path}; the plan is being re-made")
            }
            Err(e) => format!("Rules on disk not used: {}", first_line(&e)),
        });
    }

    /// What the draft file should hold now: the open editor's edits, else
    /// the edits left when it was closed.
    pub fn draft_text(&self) -> Option<String> {
        match &self.editor {
            Some(e) => e.is_edited().then(|| e.text()),
            None => self.rules_draft.clone(),
        }
    }

    /// Validates the editor's text if typing paused long enough; true when
    /// it did (the screen changes).
    pub fn validate_editor_if_due(&mut self, now: DateTime<Local>) -> bool {
        match self.editor.as_mut() {
            Some(editor) if editor.validation_due(now) => {
                editor.validate();
                true
            }
            _ => false,
        }
    }

    fn update_form(&mut self, action: Action) {
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
    fn submit_form(&mut self) {
        let Some(form) = self.form.as_ref() else {
            return;
        };
        let Some(plan) = self.plan_by_id(&form.product_id) else {
            self.form = None;
            return;
        };
        let result = parse_quantity(&form.quantity, form.unit, plan).and_then(|qty| {
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
    fn store_done(&mut self, product_id: &str, result: Result<Option<Override>, String>) {
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

    /// Recomputes the filtered, sorted list, keeping the selected product
    /// selected when it is still listed.
    pub fn rebuild_view(&mut self) {
        // The selected product by its index in `plans`, which a rebuild
        // does not change.
        let keep = self.view.get(self.selected).copied();
        let needle = self.filter.to_lowercase();
        let plans = &self.plans;
        let listed: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i];
                let quick = match &self.quick {
                    QuickFilter::All => true,
                    QuickFilter::NeedsOrder => p.needs_order(),
                    QuickFilter::HasExceptions => !p.exceptions.is_empty(),
                    QuickFilter::Supplier(s) => p.supplier_name.as_deref() == Some(s.as_str()),
                };
                quick && (needle.is_empty() || matches_text(p, &needle))
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

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Which list columns differ between two plans of one product (bits of
/// `Column as u16`).
pub fn changed_cells(old: &ProductPlan, new: &ProductPlan) -> u16 {
    let mut mask = 0u16;
    let mut mark = |column: Column, differs: bool| {
        if differs {
            mask |= 1 << column as u16;
        }
    };
    mark(
        Column::Demand,
        old.avg_daily_demand != new.avg_daily_demand || old.trend != new.trend,
    );
    mark(Column::Available, old.available_qty != new.available_qty);
    mark(Column::OnOrder, old.on_order_qty != new.on_order_qty);
    mark(Column::Cover, old.days_of_cover != new.days_of_cover);
    mark(
        Column::Order,
        old.order_qty != new.order_qty
            || old.override_qty != new.override_qty
            || old.purchase_qty != new.purchase_qty,
    );
    mark(Column::Amount, old.amount != new.amount);
    mark(
        Column::Exceptions,
        old.exceptions != new.exceptions || old.requires_approval != new.requires_approval,
    );
    mark(Column::Name, old.product_name != new.product_name);
    mark(Column::Supplier, old.supplier_name != new.supplier_name);
    mask
}

/// The listed products (indices into `plans`, in `plans` order) in the
/// list's order: by the column, ties by id, all reversed when `reverse`.
///
/// Each product's key is read from its plan once: comparing through the
/// plans themselves (large, spread over memory) took most of a sort or
/// filter key press with 100,000 products (docs/BENCHMARKS.md).
fn sort_listed(
    plans: &[ProductPlan],
    order: Order,
    listed: Vec<usize>,
    (column, reverse): (Column, bool),
) -> Vec<usize> {
    let mut sorted = match sort_packed(plans, order, &listed, column) {
        Some(sorted) => sorted,
        None => sort_compared(plans, listed, column),
    };
    // Ties go by id, so the order is total: reversed, it is the order of
    // the reversed comparison.
    if reverse {
        sorted.reverse();
    }
    sorted
}

/// The numeric columns, the default order and the id, when the listed
/// plans are in id order (as planning hands them over): each product
/// becomes one integer, its column value above its index, and integers sort
/// about four times faster than keys compared one by one. `None` when this
/// does not apply.
fn sort_packed(
    plans: &[ProductPlan],
    order: Order,
    listed: &[usize],
    column: Column,
) -> Option<Vec<usize>> {
    let ranks_made = order.ranks;
    let descending = matches!(
        column,
        Column::Demand | Column::OnOrder | Column::Order | Column::Amount
    );
    fn text_of(p: &ProductPlan, column: Column) -> Option<&str> {
        match column {
            Column::Name => p.product_name.as_deref(),
            _ => p.supplier_name.as_deref(),
        }
    }
    let text = |p| text_of(p, column);
    // A text column with few distinct texts (suppliers): each text's rank
    // among them, so the sort compares integers instead of tied strings.
    // One hash per product (FxHash: the texts are ours, not an attacker's).
    let mut ranks: Vec<u64> = Vec::new();
    // Ranked with the plans: no text read at all.
    let made = ranks_made
        .map(|r| match column {
            Column::Name => &r.name,
            _ => &r.supplier,
        })
        .filter(|r| r.len() == plans.len());
    if let (Some(made), Column::Name | Column::Supplier) = (made, column) {
        ranks.extend(listed.iter().map(|&i| u64::from(made[i])));
    } else if matches!(column, Column::Name | Column::Supplier) {
        let mut seen: rustc_hash::FxHashMap<&str, u32> = Default::default();
        let mut distinct: Vec<&str> = Vec::new();
        ranks.reserve(listed.len());
        for &i in listed {
            let provisional = match text(&plans[i]) {
                None => u32::MAX,
                Some(t) => *seen.entry(t).or_insert_with(|| {
                    distinct.push(t);
                    (distinct.len() - 1) as u32
                }),
            };
            // Mostly distinct (names): comparing is as good.
            if distinct.len() > 4096 {
                return None;
            }
            ranks.push(u64::from(provisional));
        }
        let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
        order.sort_unstable_by_key(|&d| distinct[d as usize]);
        let mut rank_of = vec![0u64; distinct.len()];
        for (rank, d) in order.into_iter().enumerate() {
            rank_of[d as usize] = rank as u64 + 1;
        }
        // No text sorts first, as `None < Some` does.
        for r in &mut ranks {
            *r = if *r == u64::from(u32::MAX) {
                0
            } else {
                rank_of[*r as usize]
            };
        }
    }
    if !order.in_id_order {
        // In id order, the index breaks ties as the id does.
        let ids = listed.iter().map(|&i| &*plans[i].product_id);
        if !ids.is_sorted_by(|a, b| a < b) {
            return None;
        }
    }
    if column == Column::Product {
        return Some(listed.to_vec());
    }
    u32::try_from(plans.len()).ok()?;
    // Ranks (texts, the default order) fit with the index in 64 bits,
    // which sort faster than 128.
    if let Column::Name | Column::Supplier | Column::Exceptions = column {
        let mut packed: Vec<u64> = Vec::with_capacity(listed.len());
        for (k, &i) in listed.iter().enumerate() {
            let key = match column {
                Column::Exceptions => {
                    let (rank, fewer) = urgency(&plans[i]);
                    // More exceptions first: `fewer` is usize::MAX - count.
                    let more = (usize::MAX - fewer).min(0xFF_FFFF) as u64;
                    (u64::from(rank) << 24) | (0xFF_FFFF - more)
                }
                _ => ranks[k],
            };
            packed.push((key << 32) | i as u64);
        }
        packed.sort_unstable();
        return Some(packed.into_iter().map(|k| k as u32 as usize).collect());
    }
    // By amount: grouped by currency (each currency's rank, none last),
    // the amounts ordered within each; never one currency against another.
    let mut currency_rank: rustc_hash::FxHashMap<Option<&str>, u128> = Default::default();
    if column == Column::Amount {
        for &i in listed {
            currency_rank
                .entry(plans[i].currency.as_deref())
                .or_insert(0);
        }
        if currency_rank.len() > usize::from(u16::MAX) {
            return None;
        }
        let mut currencies: Vec<Option<&str>> = currency_rank.keys().copied().collect();
        currencies.sort_by(|a, b| currency_order(*a, *b));
        for (rank, c) in currencies.into_iter().enumerate() {
            currency_rank.insert(c, rank as u128);
        }
    }
    let mut last_currency: Option<(Option<&str>, u128)> = None;
    let mut packed: Vec<u128> = Vec::with_capacity(listed.len());
    for &i in listed {
        let p = &plans[i];
        let (rank, value) = match column {
            Column::Product | Column::Name | Column::Supplier | Column::Exceptions => (0, 0),
            Column::Demand => number_key(p.avg_daily_demand.get()),
            Column::Available => number_key(p.available_qty.get()),
            Column::OnOrder => number_key(p.on_order_qty.get()),
            Column::Cover => number_key(p.days_of_cover.get()),
            Column::Order => number_key(Some(p.order_qty)),
            Column::Amount => number_key(Some(p.amount)),
        };
        // 16 bits of currency (amounts only), 8 of rank and 64 of value,
        // then 32 of index; a descending column flips rank and value, not
        // the currency.
        let key = (u128::from(rank) << 64) | u128::from(value);
        let key = if descending {
            !key & ((1 << 72) - 1)
        } else {
            key
        };
        let key = match column {
            Column::Amount => {
                // Neighbours mostly share a currency: no hashing for them.
                let currency = p.currency.as_deref();
                let rank = match last_currency {
                    Some((c, rank)) if c == currency => rank,
                    _ => currency_rank[&currency],
                };
                last_currency = Some((currency, rank));
                (rank << 72) | key
            }
            _ => key,
        };
        packed.push((key << 32) | u128::from(u32::try_from(i).ok()?));
    }
    packed.sort_unstable();
    Some(packed.into_iter().map(|k| k as u32 as usize).collect())
}

/// What is known of the plans' order beyond the plans themselves.
#[derive(Clone, Copy)]
struct Order<'a> {
    /// Ranks by name and supplier, made with the plans.
    ranks: Option<&'a TextRanks>,
    /// The plans are sorted by id.
    in_id_order: bool,
}

/// Whether `new` lists the same products as `old`, in the same order, and
/// if so which cells of which products changed (indices, `changed_cells`);
/// on two threads for a long list (the background task is done planning).
fn compare_lists(old: &[ProductPlan], new: &[ProductPlan]) -> Option<Vec<(usize, u16)>> {
    if old.len() != new.len() || old.is_empty() {
        return None;
    }
    fn part(start: usize, old: &[ProductPlan], new: &[ProductPlan]) -> Option<Vec<(usize, u16)>> {
        let mut changed = Vec::new();
        for (k, (o, n)) in old.iter().zip(new).enumerate() {
            if o.product_id != n.product_id {
                return None;
            }
            let mask = changed_cells(o, n);
            if mask != 0 {
                changed.push((start + k, mask));
            }
        }
        Some(changed)
    }
    if old.len() < 20_000 {
        return part(0, old, new);
    }
    let mid = old.len() / 2;
    std::thread::scope(|scope| {
        let second = scope.spawn(|| part(mid, &old[mid..], &new[mid..]));
        let first = part(0, &old[..mid], &new[..mid]);
        let second = second.join().ok().flatten();
        let mut first = first?;
        first.extend(second?);
        Some(first)
    })
}

/// Unknown values after known ones (before them where the column is
/// descending); known ones in `f64::total_cmp`'s order, as unsigned
/// integers: negative numbers with all bits flipped, positive ones with the
/// sign bit set.
fn number_key(x: Option<f64>) -> (u8, u64) {
    match x {
        Some(v) => {
            let bits = v.to_bits();
            (
                0,
                if bits >> 63 == 1 {
                    !bits
                } else {
                    bits | 1 << 63
                },
            )
        }
        None => (1, 0),
    }
}

/// Any column, any order of the plans: keys compared one by one.
fn sort_compared(plans: &[ProductPlan], listed: Vec<usize>, column: Column) -> Vec<usize> {
    let mut keyed: Vec<(SortKey, Text, usize)> = (listed.into_iter())
        .map(|i| (sort_key(column, &plans[i]), text(&plans[i].product_id), i))
        .collect();
    keyed.sort_unstable_by(|a, b| compare(column, &a.0, &b.0).then_with(|| a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

fn matches_text(p: &ProductPlan, needle: &str) -> bool {
    [
        Some(&p.product_id),
        p.product_name.as_ref(),
        p.supplier_name.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| contains_lowercased(s, needle))
}

/// Whether `text`, lowercased, contains `needle` (already lowercase).
/// ASCII text is compared in place: lowercasing a copy of three texts per
/// product was a tenth of a filter key press on 100,000 products.
fn contains_lowercased(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() {
        // Only A-Z change; a needle that is not ASCII cannot match.
        let needle = needle.as_bytes();
        return (text.as_bytes().windows(needle.len())).any(|w| w.eq_ignore_ascii_case(needle));
    }
    text.to_lowercase().contains(needle)
}

/// The default order puts what needs a buyer first: products with
/// exceptions or an order, the most urgent exceptions first.
fn urgency(p: &ProductPlan) -> (u8, usize) {
    let blocking = p.exceptions.iter().any(|c| {
        matches!(
            c,
            ExceptionCode::Stockout | ExceptionCode::BadData | ExceptionCode::RuleError
        )
    });
    let rank = if blocking {
        0
    } else if p.needs_order() || !p.exceptions.is_empty() {
        1
    } else {
        2
    };
    (rank, usize::MAX - p.exceptions.len())
}

/// What a product is sorted by, read from its plan once per rebuild.
enum SortKey<'a> {
    Text(Option<Text<'a>>),
    Number(Option<f64>),
    /// An amount in its currency.
    Money(Option<&'a str>, f64),
    Urgency((u8, usize)),
}

/// A text to sort by and its first 16 bytes as a number, which orders
/// as the bytes do: most comparisons (ids, names) end there instead of in
/// a call to `memcmp` (a third of a sort of 100,000 products).
type Text<'a> = (u128, &'a str);

fn text(s: &str) -> Text<'_> {
    let mut head = [0u8; 16];
    let n = s.len().min(16);
    head[..n].copy_from_slice(&s.as_bytes()[..n]);
    (u128::from_be_bytes(head), s)
}

fn sort_key(column: Column, p: &ProductPlan) -> SortKey<'_> {
    match column {
        Column::Product => SortKey::Text(Some(text(&p.product_id))),
        Column::Name => SortKey::Text(p.product_name.as_deref().map(text)),
        Column::Supplier => SortKey::Text(p.supplier_name.as_deref().map(text)),
        Column::Demand => SortKey::Number(p.avg_daily_demand.get()),
        Column::Available => SortKey::Number(p.available_qty.get()),
        Column::OnOrder => SortKey::Number(p.on_order_qty.get()),
        Column::Cover => SortKey::Number(p.days_of_cover.get()),
        Column::Order => SortKey::Number(Some(p.order_qty)),
        Column::Amount => SortKey::Money(p.currency.as_deref(), p.amount),
        Column::Exceptions => SortKey::Urgency(urgency(p)),
    }
}

fn compare(column: Column, a: &SortKey, b: &SortKey) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // The biggest demand, order and amount first.
    let descending = matches!(
        column,
        Column::Demand | Column::OnOrder | Column::Order | Column::Amount
    );
    // Unknown values sort last (first where the column is descending).
    let numbers = |x: &Option<f64>, y: &Option<f64>| {
        let ord = match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if descending {
            ord.reverse()
        } else {
            ord
        }
    };
    match (a, b) {
        (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
        (SortKey::Number(x), SortKey::Number(y)) => numbers(x, y),
        // Grouped by currency, then by amount within it.
        (SortKey::Money(c, x), SortKey::Money(d, y)) => {
            currency_order(*c, *d).then_with(|| numbers(&Some(*x), &Some(*y)))
        }
        (SortKey::Urgency(x), SortKey::Urgency(y)) => x.cmp(y),
        // The keys of one sort are all of one column.
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{self, PlanContext, RuleSet};

    /// The list's order as it was when the sort compared the plans
    /// themselves, ties by id, reversed as a whole.
    fn order_comparing_plans(plans: &[ProductPlan], column: Column, reverse: bool) -> Vec<&str> {
        let num = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        let mut list: Vec<&ProductPlan> = plans.iter().collect();
        list.sort_by(|a, b| {
            let ord = match column {
                Column::Product => a.product_id.cmp(&b.product_id),
                Column::Name => a.product_name.cmp(&b.product_name),
                Column::Supplier => a.supplier_name.cmp(&b.supplier_name),
                Column::Demand => num(a.avg_daily_demand.get(), b.avg_daily_demand.get()).reverse(),
                Column::Available => num(a.available_qty.get(), b.available_qty.get()),
                Column::OnOrder => num(a.on_order_qty.get(), b.on_order_qty.get()).reverse(),
                Column::Cover => num(a.days_of_cover.get(), b.days_of_cover.get()),
                Column::Order => a.order_qty.total_cmp(&b.order_qty).reverse(),
                Column::Amount => currency_order(a.currency.as_deref(), b.currency.as_deref())
                    .then_with(|| a.amount.total_cmp(&b.amount).reverse()),
                Column::Exceptions => urgency(a).cmp(&urgency(b)),
            }
            .then_with(|| a.product_id.cmp(&b.product_id));
            if reverse {
                ord.reverse()
            } else {
                ord
            }
        });
        list.into_iter().map(|p| p.product_id.as_ref()).collect()
    }

    #[test]
    fn texts_order_by_their_head_as_by_their_bytes() {
        let words = [
            "",
            "A",
            "AB",
            "AB\0",
            "AB\0x",
            "ABC",
            "Ab",
            "SKU-0000004",
            "SKU-0000010",
            "Steel Bolt 1000000",
            "Steel Bolt 1000001",
            "Steel Bolt 100000",
            "é",
            "e",
        ];
        for a in words {
            for b in words {
                assert_eq!(text(a).cmp(&text(b)), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn numbers_become_integers_in_the_order_of_total_cmp() {
        let numbers = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            2.5,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in numbers {
            for b in numbers {
                assert_eq!(
                    number_key(Some(a)).cmp(&number_key(Some(b))),
                    a.total_cmp(&b),
                    "{a:?} against {b:?}"
                );
            }
            assert!(
                number_key(Some(a)) < number_key(None),
                "{a:?} before unknown"
            );
        }
    }

    #[test]
    fn the_filter_ignores_case_in_ascii_and_other_text() {
        for (text, needle, found) in [
            ("SKU-0000042", "sku-00", true),
            ("Steel Bolt 42", "bolt", true),
            ("Steel Bolt 42", "bolts", false),
            ("ABC", "abcd", false),
            ("ABC", "", true),
            ("Ölfilter", "öl", true),
            ("Ölfilter", "ol", false),
            ("Café", "é", true),
            // The Kelvin sign lowercases to an ASCII k.
            ("\u{212A}ettle", "ke", true),
        ] {
            assert_eq!(
                contains_lowercased(text, needle),
                found,
                "{text:?} contains {needle:?}"
            );
            assert_eq!(found, text.to_lowercase().contains(needle), "{text:?}");
        }
    }

    #[test]
    fn every_column_sorts_both_ways_as_comparing_the_plans_did() {
        let rows = crate::demo::generate(400, 7, crate::sources::Backend::Sqlite);
        let inputs = plan::join(rows.into_source_rows());
        let mut plans = plan::plan_all(&inputs, &PlanContext::default(), &RuleSet::embedded());
        // Unknown values and ties are there to be ordered, and amounts in
        // several currencies (and none).
        assert!(plans.iter().any(|p| p.avg_daily_demand.is_none()));
        let currencies: std::collections::BTreeSet<Option<&str>> =
            plans.iter().map(|p| p.currency.as_deref()).collect();
        assert!(currencies.len() >= 3, "{currencies:?}");
        assert!(plans.iter().filter(|p| p.order_qty == 0.0).count() > 1);
        let in_id_order = plans.clone();
        plans.reverse();
        // Planning's id order (integers sorted), and another (keys compared).
        for (plans, packed) in [(in_id_order, true), (plans, false)] {
            let all: Vec<usize> = (0..plans.len()).collect();
            assert_eq!(
                sort_packed(
                    &plans,
                    Order {
                        ranks: None,
                        in_id_order: false
                    },
                    &all,
                    Column::Order
                )
                .is_some(),
                packed,
                "integers sorted only for plans in id order"
            );
            let mut app = App::new(plans);
            // Texts ranked here, and ranked with the plans (live task).
            for ranked in [false, true] {
                app.ranks = ranked.then(|| std::sync::Arc::new(TextRanks::of(&app.plans)));
                for column in Column::ALL {
                    for reverse in [false, true] {
                        app.sort = (column, reverse);
                        app.rebuild_view();
                        let listed: Vec<&str> = (app.view.iter())
                            .map(|&i| app.plans[i].product_id.as_ref())
                            .collect();
                        assert_eq!(
                            listed,
                            order_comparing_plans(&app.plans, column, reverse),
                            "list sorted by {column:?}, reversed: {reverse}, ranked: {ranked}"
                        );
                    }
                }
            }
        }
    }
}
