//! Drawing pieces the screens share.

pub mod charts;
pub mod table;
