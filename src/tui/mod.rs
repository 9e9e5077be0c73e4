//! The buyer's screen (issue 3, in progress): state and its update function
//! (pure, driven by `Action`s), drawing (a pure function of the state), keys
//! and the terminal loop. Live refresh, source chips and overrides come next.

pub mod backend;
pub mod charts;
pub mod editor;
pub mod keymap;
pub mod keys;
pub mod list_view;
pub mod orders;
pub mod orders_view;
pub mod run;
pub mod state;
pub mod theme;
pub mod view;

pub use state::{Action, App, Column, QuickFilter, StoreRequest};
