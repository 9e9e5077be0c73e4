//! The buyer's screen, drawn into a TestBackend: snapshots at 80x24 and
//! 120x40 on the DOMAIN.md reference rows, and actions fed to `update`.

use buyerdesk::plan::inputs::{InventoryRow, OmsRow, SupplierRow, UomRow};
use buyerdesk::plan::{self, Num, PlanContext, ProductPlan, RuleSet, SourceRows};
use buyerdesk::tui::{view, Action, App, Column, QuickFilter};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The reference rows of DOMAIN.md section 1, planned with the shipped rules.
fn reference_plans() -> Vec<ProductPlan> {
    let s = |v: &str| Some(v.to_string());
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
        rows.oms.push(OmsRow {
            product_id: id.into(),
            product_name: s(name),
            avg_daily_demand: Num::Value(d),
            trend: s(trend),
        });
        rows.inventory.push(InventoryRow {
            product_id: id.into(),
            available_qty: Num::Value(avail),
            reserved_qty: Num::Value(res),
            warehouse_location: s(loc),
            on_order_qty: None,
            safety_stock: None,
            updated_at: None,
        });
        rows.suppliers.push(SupplierRow {
            product_id: id.into(),
            supplier_name: s(sup),
            unit_price: Num::Value(price),
            moq: Num::Value(moq),
            lead_time: Num::Value(lead),
            supplier_id: None,
            order_multiple: None,
            is_active: None,
            review_period_days: None,
            currency: None,
        });
        rows.uom.push(UomRow {
            product_id: id.into(),
            from_uom: s(from),
            to_uom: s(to),
            conversion_factor: Num::Value(f),
        });
    }
    // A quiet product, so that filters have something to leave out.
    rows.oms.push(OmsRow {
        product_id: "PROD-004".into(),
        product_name: s("Spare D"),
        avg_daily_demand: Num::Value(1.0),
        trend: s("stable"),
    });
    rows.inventory.push(InventoryRow {
        product_id: "PROD-004".into(),
        available_qty: Num::Value(400.0),
        reserved_qty: Num::Value(0.0),
        warehouse_location: s("WH-D-04"),
        on_order_qty: None,
        safety_stock: None,
        updated_at: None,
    });
    rows.suppliers.push(SupplierRow {
        product_id: "PROD-004".into(),
        supplier_name: s("ABC Supplies Co."),
        unit_price: Num::Value(3.0),
        moq: Num::Value(10.0),
        lead_time: Num::Value(5.0),
        supplier_id: None,
        order_multiple: None,
        is_active: None,
        review_period_days: None,
        currency: None,
    });
    rows.uom.push(UomRow {
        product_id: "PROD-004".into(),
        from_uom: s("pieces"),
        to_uom: s("pieces"),
        conversion_factor: Num::Value(1.0),
    });
    let inputs = plan::join(rows);
    plan::plan_all(&inputs, &PlanContext::default(), &RuleSet::embedded())
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

/// Every figure a buyer needs is on the list, whole (never cut to fit).
fn assert_reference_figures(screen: &str) {
    for figure in [
        "600",
        "50 box",
        "9,300.00",
        "850.98",
        "386 lb",
        "21,274.39",
        "4,200.25",
        "15,898 gallon",
        "179,560.76",
    ] {
        assert!(screen.contains(figure), "{figure} missing:\n{screen}");
    }
}

#[test]
fn list_80x24() {
    let mut app = App::new(reference_plans());
    let screen = render(&mut app, 80, 24);
    assert_reference_figures(&screen);
    insta::assert_snapshot!(screen);
}

#[test]
fn list_120x40() {
    let mut app = App::new(reference_plans());
    let screen = render(&mut app, 120, 40);
    assert_reference_figures(&screen);
    assert!(
        screen.contains("Widget A (pieces)") && screen.contains("XYZ Manufacturing"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

fn detail_of_prod_001() -> App {
    let mut app = App::new(reference_plans());
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    assert_eq!(app.selected_plan().unwrap().product_id, "PROD-001");
    app.update(Action::OpenDetail);
    app
}

#[test]
fn detail_80x24() {
    let mut app = detail_of_prod_001();
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Suggested order: 600 pieces = 50 box, 9,300.00"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn detail_120x40() {
    let mut app = detail_of_prod_001();
    let screen = render(&mut app, 120, 40);
    assert!(
        screen.contains(
            "demand_during_lead_time = avg_daily_demand * lead_time_days = 150 * 7 = 1050"
        ),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn a_terminal_below_80x24_is_told_so() {
    let mut app = App::new(reference_plans());
    let screen = render(&mut app, 79, 24);
    assert!(
        screen.contains("The terminal is 79x24; buyerdesk needs at least 80x24."),
        "{screen}"
    );
}

fn ids(app: &App) -> Vec<&str> {
    app.view
        .iter()
        .map(|&i| app.plans[i].product_id.as_str())
        .collect()
}

#[test]
fn default_order_puts_products_needing_a_buyer_first() {
    let app = App::new(reference_plans());
    let order = ids(&app);
    assert_eq!(
        order.last(),
        Some(&"PROD-004"),
        "the quiet product comes last: {order:?}"
    );
}

#[test]
fn sorting_by_a_column_and_reversing_it() {
    let mut app = App::new(reference_plans());
    app.update(Action::SortBy(Column::Amount));
    assert_eq!(
        ids(&app),
        ["PROD-003", "PROD-002", "PROD-001", "PROD-004"],
        "largest amount first"
    );
    app.update(Action::SortBy(Column::Amount));
    assert_eq!(ids(&app), ["PROD-004", "PROD-001", "PROD-002", "PROD-003"]);
    app.update(Action::SortBy(Column::Product));
    assert_eq!(ids(&app), ["PROD-001", "PROD-002", "PROD-003", "PROD-004"]);
}

#[test]
fn text_and_quick_filters_keep_the_selection() {
    let mut app = App::new(reference_plans());
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Down);
    assert_eq!(app.selected_plan().unwrap().product_id, "PROD-002");
    app.update(Action::StartFilter);
    for c in "xyz".chars() {
        app.update(Action::FilterInput(c));
    }
    assert_eq!(
        ids(&app),
        ["PROD-002"],
        "matches the supplier name, case-insensitive"
    );
    app.update(Action::FilterBackspace);
    app.update(Action::FilterBackspace);
    app.update(Action::FilterBackspace);
    app.update(Action::FilterDone);
    assert_eq!(app.view.len(), 4);
    assert_eq!(
        app.selected_plan().unwrap().product_id,
        "PROD-002",
        "selection kept"
    );

    app.update(Action::Quick(QuickFilter::NeedsOrder));
    assert_eq!(ids(&app), ["PROD-001", "PROD-002", "PROD-003"]);
    app.update(Action::Quick(QuickFilter::NeedsOrder));
    assert_eq!(
        app.view.len(),
        4,
        "the same quick filter again turns it off"
    );

    app.update(Action::Top);
    app.update(Action::ToggleSupplierFilter);
    assert_eq!(ids(&app), ["PROD-001", "PROD-004"], "ABC Supplies Co. only");
    app.update(Action::ClearFilter);
    assert_eq!(app.view.len(), 4);
}

#[test]
fn navigation_stays_inside_the_list() {
    let mut app = App::new(reference_plans());
    app.update(Action::Up);
    assert_eq!(app.selected, 0);
    app.update(Action::Bottom);
    assert_eq!(app.selected, 3);
    app.update(Action::Down);
    assert_eq!(app.selected, 3);
    app.update(Action::PageUp);
    assert_eq!(app.selected, 0);
    app.update(Action::OpenDetail);
    assert!(app.detail_open);
    app.update(Action::Back);
    assert!(!app.detail_open);
    app.update(Action::Quit);
    assert!(app.should_quit);
}

#[test]
fn the_rationale_scrolls_to_its_end_and_no_further() {
    let mut app = detail_of_prod_001();
    let first = render(&mut app, 80, 24);
    assert!(first.contains(" 1. Average daily demand"), "{first}");
    assert!(
        !first.contains("ORDER_LATE: stock lasts"),
        "the last step is below the fold at 80x24"
    );
    for _ in 0..5 {
        app.update(Action::PageDown);
        render(&mut app, 80, 24);
    }
    let end = render(&mut app, 80, 24);
    assert!(
        end.contains("ORDER_LATE: stock lasts 3.33 days, the supplier needs 7 days"),
        "{end}"
    );
    let scrolled = app.detail_scroll;
    app.update(Action::Down);
    render(&mut app, 80, 24);
    assert_eq!(app.detail_scroll, scrolled, "no scrolling past the end");
    app.update(Action::Top);
    assert!(render(&mut app, 80, 24).contains(" 1. Average daily demand"));
    app.update(Action::Back);
    assert!(!app.detail_open);
}

#[test]
fn an_overridden_quantity_shows_beside_the_suggestion() {
    let mut plans = reference_plans();
    let p = plans
        .iter_mut()
        .find(|p| p.product_id == "PROD-001")
        .unwrap();
    p.override_qty = Some(700.0);
    let mut app = App::new(plans);
    let screen = render(&mut app, 80, 24);
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    assert!(row.contains("600→700"), "{row}");
}
