//! The buyer's screen (issue 3, in progress): state and its update function
//! (pure, driven by `Action`s) and drawing (a pure function of the state).
//! The terminal loop, live refresh and overrides come next; until then
//! `buyerdesk` without a subcommand prints the plan table.

pub mod state;
pub mod view;

pub use state::{Action, App, Column, QuickFilter};
