//! buyerdesk: a terminal buyer workstation. Sources -> snapshot -> plan ->
//! screen; see README.md for the layout.

pub mod app;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod plan;
pub mod report;
pub mod sources;
