-- buyerdesk data contract (sqlite): the tables `buyerdesk demo` creates.
-- Generated from src/demo.rs; a test keeps this file in step.
-- oms_history and oms_daily_demand belong to the OMS database, inventory,
-- suppliers and uom_conversions each to their own. Columns after the
-- required ones are optional (see README.md).

CREATE TABLE oms_history (
    product_id VARCHAR(64),
    product_name TEXT,
    avg_daily_demand NUMERIC,
    trend TEXT
);

CREATE TABLE oms_daily_demand (
    product_id VARCHAR(64),
    day DATE,
    qty NUMERIC
);

CREATE TABLE inventory (
    product_id VARCHAR(64),
    available_qty INTEGER,
    reserved_qty INTEGER,
    warehouse_location TEXT,
    on_order_qty INTEGER,
    safety_stock NUMERIC,
    updated_at TIMESTAMP
);

CREATE TABLE suppliers (
    product_id VARCHAR(64),
    supplier_id TEXT,
    supplier_name TEXT,
    unit_price NUMERIC,
    moq INTEGER,
    lead_time INTEGER,
    order_multiple INTEGER,
    is_active BOOLEAN,
    review_period_days INTEGER,
    currency TEXT
);

CREATE TABLE uom_conversions (
    product_id VARCHAR(64),
    from_uom TEXT,
    to_uom TEXT,
    conversion_factor REAL
);
