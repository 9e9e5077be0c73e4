//! buyerdesk: a terminal buyer workstation. Sources -> snapshot -> plan ->
//! screen; see README.md for the layout.

pub mod plan;
