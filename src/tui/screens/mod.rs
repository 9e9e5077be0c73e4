//! The screens: the product list, one product's detail, the purchase
//! orders, one order, the rule editor. Each draws itself from the state
//! and handles its keys.

pub mod detail;
pub mod editor;
pub mod list;
pub mod order;
pub mod order_edit;
pub mod orders;
