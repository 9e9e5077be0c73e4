//! The buyer's screen. `state` holds what it shows (`App`) and its update
//! function, driven by `action::Action`s (keys, and background results as
//! messages); drawing is a pure function of the state (`view` lays out the
//! frame, each of `screens/` and `popups/` draws itself and owns its slice
//! of state and keys); `keymap` is the key bindings as data and `keys`
//! turns a key into an action; `run` is the terminal loop, the only part
//! that does I/O (through tasks whose answers come back as actions).

pub mod action;
pub mod backend;
pub mod keymap;
pub mod keys;
pub mod popups;
pub mod run;
pub mod screens;
pub mod sort;
pub mod state;
pub mod theme;
pub mod view;
pub mod widgets;

pub use action::{Action, Column, QuickFilter, StoreRequest};
pub use state::App;
