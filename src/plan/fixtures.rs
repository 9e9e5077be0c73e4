//! The DOMAIN.md reference rows as source rows, for tests and examples that
//! need real products without a database.

use super::inputs::{InventoryRow, OmsRow, SourceRows, SupplierRow, UomRow};
use super::numbers::Num;

/// PROD-001..003 exactly as DOMAIN.md section 1 gives them (only the
/// required columns).
pub fn reference_rows() -> SourceRows {
    let mut rows = SourceRows::default();
    for (id, name, d, trend, avail, res, loc, sup, price, moq, lead, from, to, f) in [
        (
            "PROD-001",
            "Widget A (pieces)",
            150.0,
            "increasing",
            500.0,
            100.0,
            "WH-A-01",
            "ABC Supplies Co.",
            15.5,
            100.0,
            7.0,
            "pieces",
            "box",
            12.0,
        ),
        (
            "PROD-002",
            "Resin B (kg)",
            80.5,
            "stable",
            300.0,
            50.0,
            "WH-B-02",
            "XYZ Manufacturing",
            25.0,
            50.0,
            14.0,
            "kg",
            "lb",
            2.2046,
        ),
        (
            "PROD-003",
            "Solvent C (liter)",
            200.0,
            "decreasing",
            150.0,
            0.0,
            "WH-C-03",
            "Global Parts Ltd.",
            42.75,
            200.0,
            21.0,
            "liter",
            "gallon",
            0.2642,
        ),
    ] {
        add_product(
            &mut rows,
            id,
            name,
            d,
            trend,
            (avail, res, loc),
            (sup, price, moq, lead),
            (from, to, f),
        );
    }
    rows
}

/// A supplier row with its name, `[unit_price, moq, lead_time]` and no
/// optional column.
pub fn supplier_row(id: &str, supplier: &str, [price, moq, lead]: [Num; 3]) -> SupplierRow {
    SupplierRow {
        product_id: id.into(),
        supplier_name: Some(supplier.into()),
        unit_price: price,
        moq,
        lead_time: lead,
        supplier_id: None,
        order_multiple: None,
        is_active: None,
        review_period_days: None,
        currency: None,
    }
}

/// Adds one product with one row per source.
#[allow(clippy::too_many_arguments)]
pub fn add_product(
    rows: &mut SourceRows,
    id: &str,
    name: &str,
    demand: f64,
    trend: &str,
    (available, reserved, location): (f64, f64, &str),
    (supplier, price, moq, lead): (&str, f64, f64, f64),
    (from, to, factor): (&str, &str, f64),
) {
    let s = |v: &str| Some(v.into());
    rows.oms.push(OmsRow {
        product_id: id.into(),
        product_name: s(name),
        avg_daily_demand: Num::Value(demand),
        trend: s(trend),
    });
    rows.inventory.push(InventoryRow {
        product_id: id.into(),
        available_qty: Num::Value(available),
        reserved_qty: Num::Value(reserved),
        warehouse_location: s(location),
        on_order_qty: None,
        safety_stock: None,
        updated_at: None,
    });
    rows.suppliers.push(supplier_row(
        id,
        supplier,
        [price, moq, lead].map(Num::Value),
    ));
    rows.uom.push(UomRow {
        product_id: id.into(),
        from_uom: s(from),
        to_uom: s(to),
        conversion_factor: Num::Value(factor),
    });
}
