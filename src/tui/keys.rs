//! Keys to actions. Arrows and vim keys both; while the filter prompt is
//! open, printable keys type into it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::{Action, App, Column, QuickFilter};

/// The action a key asks for in the current state, if any.
pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.form.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Enter => Some(Action::FormSubmit),
            KeyCode::Tab | KeyCode::Down => Some(Action::FormNextField),
            KeyCode::BackTab | KeyCode::Up => Some(Action::FormPrevField),
            KeyCode::Left => Some(Action::FormChoice(false)),
            KeyCode::Right => Some(Action::FormChoice(true)),
            KeyCode::Backspace => Some(Action::FormBackspace),
            KeyCode::Char(c) if !ctrl => Some(Action::FormInput(c)),
            _ => None,
        };
    }
    if app.help_open {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') => Some(Action::ToggleHelp),
            _ => None,
        };
    }
    if app.sources_open {
        return match key.code {
            KeyCode::Esc | KeyCode::Char('i') | KeyCode::Char('q') => Some(Action::ToggleSources),
            _ => None,
        };
    }
    if app.filter_editing {
        return match key.code {
            KeyCode::Enter => Some(Action::FilterDone),
            KeyCode::Esc => Some(Action::ClearFilter),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char(c) if !ctrl => Some(Action::FilterInput(c)),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Down => Some(Action::Down),
            _ => None,
        };
    }
    for binding in list_bindings() {
        if binding.codes.contains(&(key.code, ctrl)) {
            return Some(binding.action);
        }
    }
    match key.code {
        KeyCode::Char(d) if !ctrl => sort_column(d).map(Action::SortBy),
        _ => None,
    }
}

/// One key of the list screen: the keys, the action, and what the help
/// says. The help popup is built from this table, so it shows the keys
/// really bound.
pub struct Binding {
    /// As the help shows them, Unicode and ASCII.
    pub label: (&'static str, &'static str),
    codes: Vec<(KeyCode, bool)>,
    pub action: Action,
    pub help: &'static str,
}

fn bind(
    label: (&'static str, &'static str),
    codes: &[KeyCode],
    action: Action,
    help: &'static str,
) -> Binding {
    Binding {
        label,
        codes: codes.iter().map(|c| (*c, false)).collect(),
        action,
        help,
    }
}

/// The keys of the list (and, for moving and Esc, the detail pane).
pub fn list_bindings() -> Vec<Binding> {
    use KeyCode::{Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Up};
    let mut page_up = bind(("PgUp ^B", "PgUp ^B"), &[PageUp], Action::PageUp, "page up");
    page_up.codes.push((Char('b'), true));
    let mut page_down = bind(
        ("PgDn ^F", "PgDn ^F"),
        &[PageDown],
        Action::PageDown,
        "page down",
    );
    page_down.codes.push((Char('f'), true));
    vec![
        bind(
            ("↑ k", "Up k"),
            &[Up, Char('k')],
            Action::Up,
            "up (in the detail: scroll)",
        ),
        bind(
            ("↓ j", "Down j"),
            &[Down, Char('j')],
            Action::Down,
            "down (in the detail: scroll)",
        ),
        page_up,
        page_down,
        bind(
            ("Home g", "Home g"),
            &[Home, Char('g')],
            Action::Top,
            "first product",
        ),
        bind(
            ("End G", "End G"),
            &[End, Char('G')],
            Action::Bottom,
            "last product",
        ),
        bind(
            ("Enter l →", "Enter l Right"),
            &[Enter, Char('l'), Right],
            Action::OpenDetail,
            "why: the rationale",
        ),
        bind(
            ("Esc h ←", "Esc h Left"),
            &[Esc, Char('h'), Left],
            Action::Back,
            "back",
        ),
        bind(
            ("/", "/"),
            &[Char('/')],
            Action::StartFilter,
            "filter: id, name, supplier",
        ),
        bind(
            ("n", "n"),
            &[Char('n')],
            Action::Quick(QuickFilter::NeedsOrder),
            "only those needing an order",
        ),
        bind(
            ("e", "e"),
            &[Char('e')],
            Action::Quick(QuickFilter::HasExceptions),
            "only those with exceptions",
        ),
        bind(
            ("s", "s"),
            &[Char('s')],
            Action::ToggleSupplierFilter,
            "only this product's supplier",
        ),
        bind(
            ("c", "c"),
            &[Char('c')],
            Action::ClearFilter,
            "clear the filters",
        ),
        bind(
            ("o", "o"),
            &[Char('o')],
            Action::OpenOverride,
            "override the quantity",
        ),
        bind(
            ("x", "x"),
            &[Char('x')],
            Action::ClearOverride,
            "clear the override",
        ),
        bind(
            ("Space", "Space"),
            &[Char(' ')],
            Action::ToggleSelect,
            "select / unselect to order",
        ),
        bind(
            ("a", "a"),
            &[Char('a')],
            Action::SelectAllNeeded,
            "select all needing an order",
        ),
        bind(
            ("u", "u"),
            &[Char('u')],
            Action::ClearSelection,
            "unselect all",
        ),
        bind(
            ("r", "r"),
            &[Char('r')],
            Action::Refresh,
            "refresh every source now",
        ),
        bind(
            ("i", "i"),
            &[Char('i')],
            Action::ToggleSources,
            "sources: state, age, errors",
        ),
        bind(
            ("v", "v"),
            &[Char('v')],
            Action::ToggleCharts,
            "detail: charts or steps",
        ),
        bind(("?", "?"), &[Char('?')], Action::ToggleHelp, "this help"),
        bind(("q ^C", "q ^C"), &[Char('q')], Action::Quit, "quit"),
    ]
}

/// The sort keys, for the help: digit and column.
pub fn sort_keys() -> Vec<(char, Column)> {
    "1234567890"
        .chars()
        .filter_map(|d| sort_column(d).map(|c| (d, c)))
        .collect()
}

/// Number keys sort by the list's columns, left to right.
fn sort_column(digit: char) -> Option<Column> {
    Some(match digit {
        '1' => Column::Product,
        '2' => Column::Name,
        '3' => Column::Supplier,
        '4' => Column::Demand,
        '5' => Column::Available,
        '6' => Column::OnOrder,
        '7' => Column::Cover,
        '8' => Column::Order,
        '9' => Column::Amount,
        '0' => Column::Exceptions,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn vim_keys_and_arrows_move_and_the_filter_prompt_takes_letters() {
        let mut app = App::new(Vec::new());
        assert_eq!(
            action_for(&app, key(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(action_for(&app, key(KeyCode::Down)), Some(Action::Down));
        assert_eq!(
            action_for(&app, key(KeyCode::Char('q'))),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(&app, key(KeyCode::Char('8'))),
            Some(Action::SortBy(Column::Order))
        );
        app.update(Action::StartFilter);
        assert_eq!(
            action_for(&app, key(KeyCode::Char('q'))),
            Some(Action::FilterInput('q'))
        );
        assert_eq!(
            action_for(&app, key(KeyCode::Esc)),
            Some(Action::ClearFilter)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&app, ctrl_c), Some(Action::Quit));
    }
}
