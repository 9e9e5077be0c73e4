//! The terminal loop: raw mode and the alternate screen (restored on exit
//! and on panic by `ratatui::init`), keys to actions, a redraw only after
//! something changed.

use std::sync::mpsc;
use std::time::Duration;

use anyhow::Result;
use ratatui::crossterm::event::{self, Event};

use super::keys::action_for;
use super::state::{Action, App, StoreRequest};
use super::view;
use crate::plan::ProductPlan;
use crate::store::Store;

/// Runs a store request on a task; the answer comes back as an action.
fn send(
    runtime: &tokio::runtime::Handle,
    store: &Store,
    request: StoreRequest,
    done: mpsc::Sender<Action>,
) {
    let store = store.clone();
    runtime.spawn(async move {
        let (product_id, result) = match request {
            StoreRequest::Set(o) => {
                let id = o.product_id.clone();
                (id, store.set_override(&o).await.map(|_| Some(o)))
            }
            StoreRequest::Clear(id) => {
                let r = store.clear_override(&id).await.map(|_| None);
                (id, r)
            }
        };
        let result = result.map_err(|e| format!("{e:#}"));
        if let Err(e) = &result {
            tracing::warn!(product = %product_id, "purchasing store: {e}");
        }
        let _ = done.send(Action::StoreDone { product_id, result });
    });
}

/// Runs the buyer's screen on a planned snapshot until the buyer quits.
/// Store work runs on `runtime`, never in the loop.
pub fn run(
    plans: Vec<ProductPlan>,
    store: Store,
    runtime: tokio::runtime::Handle,
    theme: super::theme::Theme,
    keymap: super::keymap::Keymap,
) -> Result<()> {
    let mut app = App::new(plans);
    app.theme = theme;
    app.keymap = keymap;
    app.user = store.user.clone();
    let (done_tx, done_rx) = mpsc::channel();
    let mut in_flight = 0usize;
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        let mut dirty = true;
        while !app.should_quit {
            if dirty {
                terminal.draw(|f| view::draw(f, &mut app))?;
                dirty = false;
            }
            if let Some(request) = app.pending.take() {
                send(&runtime, &store, request, done_tx.clone());
                in_flight += 1;
            }
            while let Ok(answer) = done_rx.try_recv() {
                in_flight -= 1;
                app.update(answer);
                dirty = true;
            }
            if dirty {
                continue;
            }
            // Wait for a key; briefly while the store is working.
            let wait = if in_flight > 0 { 50 } else { 500 };
            if !event::poll(Duration::from_millis(wait))? {
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
