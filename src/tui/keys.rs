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
    let action = match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('b') if ctrl => Action::PageUp,
        KeyCode::Char('f') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter | KeyCode::Char('l') | KeyCode::Right => Action::OpenDetail,
        KeyCode::Esc | KeyCode::Char('h') | KeyCode::Left => Action::Back,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char('c') => Action::ClearFilter,
        KeyCode::Char('n') => Action::Quick(QuickFilter::NeedsOrder),
        KeyCode::Char('e') => Action::Quick(QuickFilter::HasExceptions),
        KeyCode::Char('s') => Action::ToggleSupplierFilter,
        KeyCode::Char('o') => Action::OpenOverride,
        KeyCode::Char('x') => Action::ClearOverride,
        KeyCode::Char(d @ '1'..='9') => Action::SortBy(sort_column(d)?),
        KeyCode::Char('0') => Action::SortBy(Column::Exceptions),
        _ => return None,
    };
    Some(action)
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
