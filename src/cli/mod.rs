//! The command line: one file per command group (`plan`, `forecast`, `rules`, `po`,
//! `override`, `audit`, `doctor`), and the table, JSON and CSV writers they print with
//! (`report`). `main.rs` parses the arguments and calls these.

pub mod audit;
pub mod backtest;
pub mod demo;
pub mod doctor;
pub mod forecast;
pub mod overrides;
pub mod plan;
pub mod po;
pub mod po_edit;
pub mod report;
pub mod rules;
pub mod rules_fixtures;
pub mod rules_history;

/// Every command writes to stdout through this: a reader that stops early
/// (`| head`) ends the command quietly (main's `closed_pipe`), where
/// `println!` would panic.
pub fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}
