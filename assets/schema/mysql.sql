-- buyerdesk data contract (mysql): the tables `buyerdesk demo` creates.
-- Generated from src/demo.rs; a test keeps this file in step.
-- oms_history and oms_daily_demand belong to the OMS database, inventory,
-- suppliers and uom_conversions each to their own. Columns after the
-- required ones are optional (see README.md).

CREATE TABLE oms_history (
    product_id VARCHAR(64),
    product_name VARCHAR(128),
    avg_daily_demand DECIMAL(14,4),
    trend VARCHAR(128)
);

CREATE TABLE oms_daily_demand (
    product_id VARCHAR(64),
    day DATE,
    qty DECIMAL(14,4)
);

CREATE TABLE inventory (
    product_id VARCHAR(64),
    available_qty INTEGER,
    reserved_qty INTEGER,
    warehouse_location VARCHAR(128),
    on_order_qty INTEGER,
    safety_stock DECIMAL(14,4),
    updated_at DATETIME
);

CREATE TABLE suppliers (
    product_id VARCHAR(64),
    supplier_id VARCHAR(128),
    supplier_name VARCHAR(128),
    unit_price DECIMAL(14,4),
    moq INTEGER,
    lead_time INTEGER,
    order_multiple INTEGER,
    is_active BOOLEAN,
    review_period_days INTEGER,
    currency VARCHAR(128)
);

CREATE TABLE uom_conversions (
    product_id VARCHAR(64),
    from_uom VARCHAR(128),
    to_uom VARCHAR(128),
    conversion_factor DOUBLE
);
