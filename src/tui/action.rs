//! What a key or a background result asks of the screen (`Action`), and the
//! list's columns and quick filters it names.

use crate::store::overrides::{Base, Conflict, Override};

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
    /// ABC, then XYZ, then the demand class (DOMAIN.md section 5);
    /// unranked last.
    Class,
}

impl Column {
    /// Every sortable column, in the order of the sort keys (1 to 9, 0,
    /// then C for the classes).
    pub const ALL: [Column; 11] = [
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
        Column::Class,
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
    /// Run the rule fixtures (rules/tests/*.toml) on the edited rules.
    RunFixtures,
    /// The fixtures' results for the editor's request.
    FixturesDone {
        request: u64,
        result: Result<crate::live::fixtures::FixturesOutcome, String>,
    },
    /// Replay the history with the rules in force and the edited rules
    /// (the policy backtest, `rules::backtest`).
    RunBacktest,
    /// The backtest's answer for the editor's request.
    BacktestDone {
        request: u64,
        result: Result<std::sync::Arc<crate::rules::backtest::Comparison>, String>,
    },
    /// Throw the edits (and the draft) away: back to the rules in force.
    DiscardEdits,
    /// The rules versions kept (F9 in the editor): Enter loads one.
    RulesVersions,
    /// Edit the rules file in $EDITOR, the screen suspended meanwhile.
    ExternalEditor,
    /// The rule editor's undo, redo, search, go-to-line, first/last line,
    /// completion.
    Editor(crate::tui::screens::editor::EditorCommand),
    FormInput(char),
    FormBackspace,
    FormNextField,
    FormPrevField,
    /// Change the unit or the reason (left/right).
    FormChoice(bool),
    /// Empty the field (Ctrl-U).
    FormClear,
    /// Take the lower (false) or upper (true) whole-pack quantity offered.
    FormOffer(bool),
    /// Save over the other workstation's change the popup shows.
    FormOverwrite,
    FormSubmit,
    /// The store answered a request: the override saved with its
    /// revision, or `None` for a clear.
    StoreDone {
        product_id: String,
        result: Result<Option<(Override, i64)>, String>,
    },
    /// The store refused a save: the override changed since the popup
    /// opened.
    StoreConflict {
        product_id: String,
        conflict: Conflict,
    },
    /// Scroll the detail's steps by a line (up and down move between
    /// products there).
    ScrollUp,
    ScrollDown,
    /// Products on a draft or pending PO in `n` and "to order" too, or
    /// not (the default: they are ordered already).
    ToggleOnPo,
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
    /// The open PO: select the next (true) or previous line.
    PoLine(bool),
    /// The open PO: change the selected line's quantity.
    EditPoLine,
    /// The open PO: remove the selected line (after a confirmation).
    RemovePoLine,
    /// The open PO: edit its note.
    EditPoNote,
    /// The open PO: receive everything still on order (after a confirmation).
    ReceivePo,
    /// The open PO: receive part of the selected line.
    ReceivePoLine,
    /// A purchase-order task answered (boxed: it holds whole POs).
    Orders(Box<crate::tui::screens::orders::OrdersAnswer>),
}

/// Work for the purchasing store, done by a task outside the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreRequest {
    /// Save, checked against what the buyer started from.
    Set(Override, Base),
    /// Clear, checked against the revision the buyer saw.
    Clear(String, Option<i64>),
}
