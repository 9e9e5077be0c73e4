//! What the screen shows and how actions change it. No I/O, no drawing.

use crate::plan::{ExceptionCode, ProductPlan};

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
    /// Close the top-most thing: the detail, then the filter.
    Back,
    Quit,
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
}

impl App {
    pub fn new(plans: Vec<ProductPlan>) -> App {
        let mut app = App {
            plans,
            sort: (Column::Exceptions, false),
            page: 10,
            ..Default::default()
        };
        app.rebuild_view();
        app
    }

    pub fn selected_plan(&self) -> Option<&ProductPlan> {
        self.view.get(self.selected).map(|&i| &self.plans[i])
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
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
                    self.selected_plan().and_then(|p| p.supplier_name.clone()),
                ) {
                    (QuickFilter::Supplier(_), _) | (_, None) => QuickFilter::All,
                    (_, Some(name)) => QuickFilter::Supplier(name),
                };
                self.rebuild_view();
            }
            Action::OpenDetail => {
                self.detail_open = self.selected_plan().is_some();
                self.detail_scroll = 0;
            }
            Action::Back => {
                if self.detail_open {
                    self.detail_open = false;
                } else if self.filter_editing {
                    self.filter_editing = false;
                }
            }
            Action::Quit => self.should_quit = true,
        }
    }

    /// Recomputes the filtered, sorted list, keeping the selected product
    /// selected when it is still listed.
    pub fn rebuild_view(&mut self) {
        let keep = self.selected_plan().map(|p| p.product_id.clone());
        let needle = self.filter.to_lowercase();
        let mut view: Vec<usize> = (0..self.plans.len())
            .filter(|&i| {
                let p = &self.plans[i];
                let quick = match &self.quick {
                    QuickFilter::All => true,
                    QuickFilter::NeedsOrder => p.needs_order(),
                    QuickFilter::HasExceptions => !p.exceptions.is_empty(),
                    QuickFilter::Supplier(s) => p.supplier_name.as_deref() == Some(s.as_str()),
                };
                quick && (needle.is_empty() || matches_text(p, &needle))
            })
            .collect();
        let (column, reverse) = self.sort;
        let plans = &self.plans;
        view.sort_by(|&a, &b| {
            let (a, b) = (&plans[a], &plans[b]);
            let ord = compare(column, a, b).then_with(|| a.product_id.cmp(&b.product_id));
            if reverse {
                ord.reverse()
            } else {
                ord
            }
        });
        self.view = view;
        self.selected = keep
            .and_then(|id| {
                self.view
                    .iter()
                    .position(|&i| self.plans[i].product_id == id)
            })
            .unwrap_or(0)
            .min(self.view.len().saturating_sub(1));
    }
}

fn matches_text(p: &ProductPlan, needle: &str) -> bool {
    [
        Some(&p.product_id),
        p.product_name.as_ref(),
        p.supplier_name.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.to_lowercase().contains(needle))
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

fn compare(column: Column, a: &ProductPlan, b: &ProductPlan) -> std::cmp::Ordering {
    let num = |x: Option<f64>, y: Option<f64>| {
        // Unknown values sort last.
        match (x, y) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    };
    match column {
        Column::Product => a.product_id.cmp(&b.product_id),
        Column::Name => a.product_name.cmp(&b.product_name),
        Column::Supplier => a.supplier_name.cmp(&b.supplier_name),
        Column::Demand => num(a.avg_daily_demand, b.avg_daily_demand).reverse(),
        Column::Available => num(a.available_qty, b.available_qty),
        Column::OnOrder => num(a.on_order_qty, b.on_order_qty).reverse(),
        Column::Cover => num(a.days_of_cover, b.days_of_cover),
        Column::Order => a.order_qty.total_cmp(&b.order_qty).reverse(),
        Column::Amount => a.amount.total_cmp(&b.amount).reverse(),
        Column::Exceptions => urgency(a).cmp(&urgency(b)),
    }
}
