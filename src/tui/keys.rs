//! Keys to actions, through the App's keymap (`keymap.rs`): the screen on
//! top decides which bindings apply. Ctrl-C always quits; in the filter
//! prompt and the override popup, keys that are not bound type text.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use super::keymap::{Key, Screen};
use crate::tui::action::Action;
use crate::tui::state::App;

/// The screen keys go to: the top-most popup, else the screen.
pub fn screen(app: &App) -> Screen {
    if app.help_open {
        Screen::Help
    } else {
        screen_below_help(app)
    }
}

/// What the help describes: the screen `?` was pressed on.
pub fn screen_below_help(app: &App) -> Screen {
    if app.editor.is_some() && app.orders.confirm.is_none() {
        Screen::Editor
    } else if app.sources_open {
        Screen::Sources
    } else if app.form.is_some() {
        Screen::Override
    } else if app.orders.input.is_some() {
        Screen::PoInput
    } else if app.orders.confirm.is_some() {
        Screen::Confirm
    } else if app.orders.drafted.is_some() {
        Screen::Drafted
    } else if app.orders.open && app.orders.detail.is_some() {
        Screen::Order
    } else if app.orders.open {
        Screen::Orders
    } else if app.filter_editing {
        Screen::Filter
    } else if app.detail_open {
        Screen::Detail
    } else {
        Screen::List
    }
}

/// The action a key asks for in the current state, if any.
pub fn action_for(app: &App, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let key = Key::from_event(&event);
    if key == Key::CTRL_C {
        return Some(Action::Quit);
    }
    if app.too_small {
        // The screen only says how big it needs to be: nothing hidden
        // behind that message may be changed by a key.
        return (app.keymap.action(Screen::List, key) == Some(Action::Quit))
            .then_some(Action::Quit);
    }
    let screen = screen(app);
    if let Some(action) = app.keymap.action(screen, key) {
        return Some(action);
    }
    match (screen, key.code) {
        (Screen::Filter, KeyCode::Char(c)) if key.types_text() => Some(Action::FilterInput(c)),
        (Screen::Override | Screen::PoInput, KeyCode::Char(c)) if key.types_text() => {
            Some(Action::FormInput(c))
        }
        // The editor takes every key it is not bound to.
        (Screen::Editor, _) => Some(Action::EditorKey(event)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::Column;
    use ratatui::crossterm::event::KeyModifiers;

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

    /// Below 80x24 the screen only says so: no key reaches what it hides
    /// (here the override popup), except quit.
    #[test]
    fn keys_do_nothing_while_the_terminal_is_too_small() {
        let plans = crate::plan::plan_all(
            &crate::plan::join(crate::plan::fixtures::reference_rows()),
            &crate::plan::PlanContext::default(),
            &crate::plan::RuleSet::embedded(),
        );
        let mut app = App::new(plans);
        app.update(Action::OpenOverride);
        app.too_small = true;
        for k in [
            KeyCode::Char('7'),
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Backspace,
            KeyCode::Tab,
            KeyCode::Char('x'),
        ] {
            assert_eq!(action_for(&app, key(k)), None, "{k:?}");
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&app, ctrl_c), Some(Action::Quit));
        assert_eq!(
            action_for(&app, key(KeyCode::Char('q'))),
            Some(Action::Quit)
        );
        app.too_small = false;
        assert_eq!(
            action_for(&app, key(KeyCode::Char('7'))),
            Some(Action::FormInput('7'))
        );
    }

    #[test]
    fn shift_reported_or_not_and_key_releases() {
        let app = App::new(Vec::new());
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&app, shifted), Some(Action::Bottom));
        assert_eq!(
            action_for(&app, key(KeyCode::Char('G'))),
            Some(Action::Bottom)
        );
        let ctrl_f = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&app, ctrl_f), Some(Action::PageDown));
        let mut release = key(KeyCode::Char('j'));
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(&app, release), None);
    }

    /// Every key of every screen's table reaches its action, on the screen
    /// it belongs to.
    #[test]
    fn every_binding_is_reachable_on_its_screen() {
        for screen in Screen::ALL {
            let mut app = App::new(Vec::new());
            match screen {
                Screen::List => {}
                Screen::Detail => app.detail_open = true,
                Screen::Filter => app.filter_editing = true,
                Screen::Override => {
                    let plans = crate::plan::plan_all(
                        &crate::plan::join(crate::plan::fixtures::reference_rows()),
                        &crate::plan::PlanContext::default(),
                        &crate::plan::RuleSet::embedded(),
                    );
                    app.form = Some(crate::tui::popups::override_form::OverrideForm::new(
                        &plans[0],
                    ))
                }
                Screen::Help => app.help_open = true,
                Screen::Sources => app.sources_open = true,
                Screen::Editor => app.update(Action::OpenEditor),
                Screen::Orders => app.orders.open = true,
                Screen::Order => {
                    app.orders.open = true;
                    app.orders.detail = Some(crate::tui::screens::order::PoDetail {
                        number: "PO-000001".into(),
                        request: 0,
                        po: None,
                        attempts: Vec::new(),
                        loaded: false,
                        error: None,
                        scroll: 0,
                        selected_line: 0,
                    });
                }
                Screen::Confirm => {
                    app.orders.confirm = Some(crate::tui::popups::confirm::Confirm {
                        action: crate::tui::popups::confirm::ConfirmAction::DraftAll(Vec::new()),
                        question: String::new(),
                    })
                }
                Screen::Drafted => {
                    app.orders.drafted = Some(crate::tui::popups::drafted::DraftedPanel {
                        created: Vec::new(),
                        skipped: Vec::new(),
                        scroll: 0,
                    })
                }
                Screen::PoInput => {
                    use crate::tui::screens::order_edit::{PoInput, PoInputKind};
                    app.orders.input = Some(PoInput {
                        number: "PO-000001".into(),
                        kind: PoInputKind::Note,
                        text: String::new(),
                        about: String::new(),
                        error: None,
                    })
                }
            }
            assert_eq!(super::screen(&app), screen);
            for b in app.keymap.bindings(screen) {
                assert!(!b.keys.is_empty(), "{screen:?} {} has no key", b.name);
                for k in &b.keys {
                    let event = KeyEvent::new(k.code, k.modifiers);
                    assert_eq!(
                        action_for(&app, event),
                        Some(b.action.clone()),
                        "{screen:?}: {k} should do {}",
                        b.name
                    );
                }
            }
        }
    }
}
