//! The terminal loop: raw mode and the alternate screen (restored on exit
//! and on panic by `ratatui::init`), keys to actions, a redraw only after
//! something changed.

use std::time::Duration;

use anyhow::Result;
use ratatui::crossterm::event::{self, Event};

use super::keys::action_for;
use super::state::App;
use super::view;
use crate::plan::ProductPlan;

/// Runs the buyer's screen on a planned snapshot until the buyer quits.
pub fn run(plans: Vec<ProductPlan>) -> Result<()> {
    let mut app = App::new(plans);
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        let mut dirty = true;
        while !app.should_quit {
            if dirty {
                terminal.draw(|f| view::draw(f, &mut app))?;
                dirty = false;
            }
            // Nothing runs in the background yet: wait for the next event.
            if !event::poll(Duration::from_millis(500))? {
                continue;
            }
            match event::read()? {
                Event::Key(key) => {
                    if let Some(action) = action_for(&app, key) {
                        app.update(action);
                        dirty = true;
                    }
                }
                Event::Resize(_, _) => dirty = true,
                _ => {}
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}
