//! The buyer's screen, drawn into a TestBackend: snapshots at 80x24 and
//! 120x40 on the DOMAIN.md reference rows, and actions fed to `update`.

use buyerdesk::config::SourceKind;
use buyerdesk::live::{LinkState, SourceStatus};
use buyerdesk::plan::{self, fixtures, PlanContext, ProductPlan, RuleSet};
use buyerdesk::sources::Backend;
use buyerdesk::tui::keymap::Screen;
use buyerdesk::tui::keys::action_for;
use buyerdesk::tui::{view, Action, App, Column, QuickFilter};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

/// The reference rows of DOMAIN.md section 1 and a quiet product (so that
/// filters have something to leave out).
fn reference_rows() -> plan::SourceRows {
    let mut rows = fixtures::reference_rows();
    fixtures::add_product(
        &mut rows,
        "PROD-004",
        "Spare D",
        1.0,
        "stable",
        (400.0, 0.0, "WH-D-04"),
        ("ABC Supplies Co.", 3.0, 10.0, 5.0),
        ("pieces", "pieces", 1.0),
    );
    rows
}

/// The reference rows, planned with the shipped rules.
fn reference_plans() -> Vec<ProductPlan> {
    plan::plan_all(
        &plan::join(reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
    )
}

/// A fixed clock for the screens: ages and highlights do not depend on when
/// the test runs.
fn clock() -> chrono::DateTime<chrono::Local> {
    use chrono::TimeZone;
    chrono::Local
        .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
        .single()
        .unwrap()
}

/// The five sources as a healthy refresh reports them, 4 s ago.
fn healthy_sources() -> Vec<SourceStatus> {
    let at = clock() - chrono::Duration::seconds(4);
    SourceKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &kind)| SourceStatus {
            kind,
            backend: Some(Backend::Sqlite),
            url: format!("sqlite:///data/demo/{}.sqlite", kind.name()),
            state: LinkState::Up,
            last_ok: Some(at),
            rtt: Some(std::time::Duration::from_millis(3 + i as u64)),
            rows: Some(4),
            unchanged: false,
            error: None,
            retry_at: None,
        })
        .collect()
}

/// The reference plans on a screen whose sources answered 4 s ago.
fn reference_app() -> App {
    let mut app = App::new(reference_plans());
    app.now = clock();
    app.apply_sources(healthy_sources());
    app
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
        "50 boxes",
        "9,300.00",
        "850.98",
        "386 lb",
        "21,274.39",
        "4,200.25",
        "15,898 gallons",
        "179,560.76",
    ] {
        assert!(screen.contains(figure), "{figure} missing:\n{screen}");
    }
}

#[test]
fn list_80x24() {
    let mut app = reference_app();
    let screen = render(&mut app, 80, 24);
    assert_reference_figures(&screen);
    let buffer = buffer_of(&mut app, 80, 24);
    assert_list_matches_plans(&app, &buffer, "reference 80x24");
    assert!(
        screen.contains("To order: 210,135.15 (3 products)"),
        "one total, no currency given:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn list_120x40() {
    let mut app = reference_app();
    let screen = render(&mut app, 120, 40);
    assert_reference_figures(&screen);
    let buffer = buffer_of(&mut app, 120, 40);
    assert_list_matches_plans(&app, &buffer, "reference 120x40");
    assert!(
        // Shortened where the class column needs the room.
        screen.contains("Widget A (piece") && screen.contains("XYZ Manufactur"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

fn detail_of_prod_001() -> App {
    let mut app = reference_app();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-001");
    app.update(Action::OpenDetail);
    // The detail asks the OMS for the daily history; answer it as the live
    // task would: 30 days around 150/day.
    let (request, product) = app.history_wanted.take().expect("history asked for");
    assert_eq!(product, "PROD-001");
    let days = (1..=30)
        .map(|d| (format!("2026-10-{d:02}"), 120.0 + f64::from(d % 7) * 10.0))
        .collect();
    app.apply_history(request, product, Ok(days));
    app
}

#[test]
fn detail_80x24() {
    let mut app = detail_of_prod_001();
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Suggested order: 600 pieces = 50 boxes, 9,300.00"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // v: the charts instead of the steps on a narrow screen.
    app.update(Action::ToggleCharts);
    let charts = render(&mut app, 80, 24);
    for text in [
        "Daily demand",
        "30 days, 2026-10-01 to 2026-10-30",
        "min 120, max 180",
        "The plan uses 150/day",
        "Stock projection",
        "Without an order the stock runs out on day 3.3.",
        "The order (600 pieces) arrives on day 7; out of stock from day 4 until then.",
    ] {
        assert!(charts.contains(text), "{text:?} missing:\n{charts}");
    }
    insta::assert_snapshot!("detail_charts_80x24", charts);
}

/// The text of the screen right of column `from` (a pane beside
/// another), its lines joined and its spaces squeezed: a wrapped sentence
/// reads whole.
fn pane_text(screen: &str, from: usize) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches('"').chars().skip(from).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn detail_120x40() {
    let mut app = detail_of_prod_001();
    let screen = render(&mut app, 120, 40);
    // Side by side: the list on the left, the product highlighted; the
    // detail on the right.
    let row = screen
        .lines()
        .find(|l| l.contains(" PROD-002 "))
        .expect("the list beside the detail");
    assert!(row.find("PROD-002").unwrap() < 10, "{screen}");
    // Every product's row in the left pane, its id whole and its order.
    for p in &app.plans {
        let id = &*p.product_id;
        let row = screen
            .lines()
            .map(|l| l.trim_matches('"'))
            .find(|l| l.starts_with(&format!(" {id} ")))
            .unwrap_or_else(|| panic!("{id} whole in the list:\n{screen}"));
        let left: String = row.chars().take(54).collect();
        if p.order_qty > 0.0 {
            let order = buyerdesk::plan::numbers::fmt_qty_short(p.order_qty);
            assert!(left.contains(&order), "{id}: {order} in {left:?}");
        }
    }
    let pane = pane_text(&screen, 55);
    assert!(
        pane.contains("demand_during_lead_time = demand_rate * lead_time_days = 150 * 7 = 1050"),
        "{pane}\n{screen}"
    );
    assert!(
        screen.contains("[oms.oms_history, 4s ago]"),
        "inputs with their source and age:\n{screen}"
    );
    insta::assert_snapshot!(screen);
    // The charts in the pane on v, as at 80x24.
    app.update(Action::ToggleCharts);
    let charts = render(&mut app, 120, 40);
    assert!(
        charts.contains("Stock projection") && charts.contains("Daily demand"),
        "the charts in the detail's pane:\n{charts}"
    );
    insta::assert_snapshot!("detail_charts_120x40", charts);
    app.update(Action::ToggleCharts);
    // Moving in the detail moves in the list beside it: the detail follows.
    app.update(Action::Down);
    let next = render(&mut app, 120, 40);
    assert!(
        pane_text(&next, 55).contains("PROD-002 "),
        "the detail of the next product:\n{next}"
    );
    let row = next
        .lines()
        .find(|l| l.trim_matches('"').starts_with(" PROD-002 "))
        .unwrap();
    assert!(row.contains("850.98"), "{next}");
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-002");
    // Below 120 columns the detail replaces the list.
    let narrow = render(&mut app, 119, 40);
    assert!(!narrow.contains(" PROD-001 "), "{narrow}");
}

#[test]
fn a_terminal_below_80x24_is_told_so() {
    let mut app = reference_app();
    let screen = render(&mut app, 79, 24);
    assert!(
        screen.contains("The terminal is 79x24; buyerdesk needs at least 80x24."),
        "{screen}"
    );
}

fn ids(app: &App) -> Vec<&str> {
    app.view
        .iter()
        .map(|&i| app.plans[i].product_id.as_ref())
        .collect()
}

#[test]
fn default_order_puts_products_needing_a_buyer_first() {
    let app = reference_app();
    let order = ids(&app);
    assert_eq!(
        order.last(),
        Some(&"PROD-004"),
        "the quiet product comes last: {order:?}"
    );
}

#[test]
fn sorting_by_a_column_and_reversing_it() {
    let mut app = reference_app();
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
    let mut app = reference_app();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Down);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-002");
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
        &*app.selected_plan().unwrap().product_id,
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
    let mut app = reference_app();
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
    app.update(Action::ScrollDown);
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
        .find(|p| &*p.product_id == "PROD-001")
        .unwrap();
    p.override_qty = Some(700.0).into();
    let mut app = App::new(plans);
    let screen = render(&mut app, 80, 24);
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    assert!(row.contains("600→700"), "{row}");
}

use buyerdesk::store::overrides::{Base, Override, OverrideUnit, ReasonCode};
use buyerdesk::tui::StoreRequest;

/// PROD-001 selected, its override popup open.
fn override_popup() -> App {
    let mut app = reference_app();
    app.user = "alice".into();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    app.update(Action::OpenOverride);
    let form = app.form.as_ref().unwrap();
    assert_eq!(form.quantity, "600", "starts from the suggestion");
    assert_eq!(form.reason, None, "no default reason");
    app
}

/// Types `text` into the quantity (which replaces the prefilled figure).
fn type_quantity(app: &mut App, text: &str) {
    app.update(Action::FormClear);
    for c in text.chars() {
        app.update(Action::FormInput(c));
    }
}

/// Chooses `reason` in the popup, from the Reason field, and goes back
/// to the quantity.
fn choose_reason(app: &mut App, reason: ReasonCode) {
    while app.form.as_ref().unwrap().field
        != buyerdesk::tui::popups::override_form::FormField::Reason
    {
        app.update(Action::FormNextField);
    }
    while app.form.as_ref().unwrap().reason != Some(reason) {
        app.update(Action::FormChoice(true));
    }
    while app.form.as_ref().unwrap().field
        != buyerdesk::tui::popups::override_form::FormField::Quantity
    {
        app.update(Action::FormNextField);
    }
}

#[test]
fn a_bad_quantity_is_refused_in_the_popup_and_nothing_is_sent() {
    let mut app = override_popup();
    choose_reason(&mut app, ReasonCode::Promo);
    for (input, message) in [
        ("7OO", "'7OO' is not a number"),
        ("-5", "cannot be negative"),
        ("9999999", "ten years of demand"),
    ] {
        type_quantity(&mut app, input);
        app.update(Action::FormSubmit);
        let form = app.form.as_ref().expect("the popup stays open");
        assert!(
            form.error.as_deref().unwrap_or("").contains(message),
            "{input}: {:?}",
            form.error
        );
        assert!(app.pending.is_none(), "{input}: nothing sent to the store");
    }
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("more than ten years of demand"), "{screen}");
    insta::assert_snapshot!("override_popup_80x24", screen);
    insta::assert_snapshot!("override_popup_120x40", render(&mut app, 120, 40));
    // OTHER needs a note.
    type_quantity(&mut app, "720");
    choose_reason(&mut app, ReasonCode::Other);
    app.update(Action::FormSubmit);
    assert!(app
        .form
        .as_ref()
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("OTHER needs a note"));
    assert!(app.pending.is_none());
}

/// The figure starts selected: the first key typed replaces it (not
/// `600` + `7`); Backspace edits; Ctrl-U empties the field.
#[test]
fn typing_replaces_the_prefilled_figure_and_ctrl_u_clears_it() {
    let mut app = override_popup();
    for c in "708".chars() {
        app.update(Action::FormInput(c));
    }
    assert_eq!(app.form.as_ref().unwrap().quantity, "708");
    app.update(Action::FormBackspace);
    app.update(Action::FormInput('0'));
    assert_eq!(app.form.as_ref().unwrap().quantity, "700");
    // Through the real keys.
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(app.form.as_ref().unwrap().quantity, "");
    let mut again = override_popup();
    press(&mut again, KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(
        again.form.as_ref().unwrap().quantity,
        "60",
        "Backspace edits"
    );
}

/// No reason chosen: the save is refused in the popup.
#[test]
fn saving_without_a_reason_is_refused() {
    let mut app = override_popup();
    type_quantity(&mut app, "708");
    app.update(Action::FormSubmit);
    let form = app.form.as_ref().unwrap();
    assert!(
        form.error.as_deref().unwrap().contains("choose a reason"),
        "{form:?}"
    );
    assert!(app.pending.is_none());
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("< choose a reason >"), "{screen}");
}

/// 700 pieces is 58.33 boxes: the popup shows the amount of what is
/// typed and offers 696 and 708; PgUp takes 708, whose amount it shows.
#[test]
fn a_quantity_between_packs_shows_the_offers_and_a_key_takes_one() {
    let mut app = override_popup();
    choose_reason(&mut app, ReasonCode::Promo);
    type_quantity(&mut app, "700");
    let screen = render(&mut app, 80, 24);
    let yours = screen
        .lines()
        .find(|l| l.contains("Yours:"))
        .expect(&screen);
    // 700 x 15.50 = 10,850.00
    assert!(
        yours.contains("700 pieces, 10,850.00: not whole boxes"),
        "{yours}"
    );
    let offers = screen
        .lines()
        .find(|l| l.contains("Offers:"))
        .expect(&screen);
    assert!(
        offers.contains("PgDn 696 (58 boxes)") && offers.contains("PgUp 708 (59 boxes)"),
        "{offers}"
    );
    assert_eq!(58.0 * 12.0, 696.0);
    insta::assert_snapshot!("override_offers_80x24", screen);
    insta::assert_snapshot!("override_offers_120x40", render(&mut app, 120, 40));
    app.update(Action::FormSubmit);
    let error = app.form.as_ref().unwrap().error.clone().unwrap();
    assert_eq!(
        error,
        "700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"
    );
    assert!(app.pending.is_none());
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(app.form.as_ref().unwrap().quantity, "708");
    let screen = render(&mut app, 80, 24);
    let yours = screen
        .lines()
        .find(|l| l.contains("Yours:"))
        .expect(&screen);
    let amount: f64 = yours
        .split_once("boxes, ")
        .expect(yours)
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .expect(yours);
    assert_eq!(amount, 708.0 * 15.5, "{yours}");
    assert!(yours.contains("708 pieces = 59 boxes"), "{yours}");
    press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(app.form.as_ref().unwrap().quantity, "696");
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    app.update(Action::FormSubmit);
    let Some(StoreRequest::Set(o, base)) = app.pending.take() else {
        panic!("a save request")
    };
    assert_eq!((o.order_qty, o.reason), (708.0, ReasonCode::Promo));
    assert_eq!(base, Base::Seen(None), "started from no override");
}

#[test]
fn a_good_override_is_sent_and_shown_only_once_the_store_says_saved() {
    let mut app = override_popup();
    choose_reason(&mut app, ReasonCode::Promo);
    type_quantity(&mut app, "708");
    app.update(Action::FormSubmit);
    let Some(StoreRequest::Set(o, _)) = app.pending.take() else {
        panic!("a save request")
    };
    assert_eq!(
        (o.order_qty, o.suggested_qty, o.reason, o.user.as_str()),
        (708.0, 600.0, ReasonCode::Promo, "alice")
    );
    assert!(app.form.as_ref().unwrap().saving);
    assert_eq!(
        app.selected_plan().unwrap().override_qty,
        None,
        "not shown before it is saved"
    );

    // The store fails: the buyer is told, nothing is marked saved.
    app.update(Action::StoreDone {
        product_id: "PROD-001".into(),
        result: Err("purchasing source: connection refused".into()),
    });
    let form = app.form.as_ref().expect("popup still open for a retry");
    assert!(
        !form.saving
            && form
                .error
                .as_deref()
                .unwrap()
                .contains("not saved: purchasing source"),
        "{form:?}"
    );
    assert_eq!(app.selected_plan().unwrap().override_qty, None);

    // Retry succeeds.
    app.update(Action::FormSubmit);
    let Some(StoreRequest::Set(o, _)) = app.pending.take() else {
        panic!("a save request")
    };
    // A fixed time: the question below names it.
    let o = Override {
        set_at: "2026-11-21T09:58:00Z".into(),
        ..o
    };
    app.update(Action::StoreDone {
        product_id: "PROD-001".into(),
        result: Ok(Some((o, 3))),
    });
    assert!(app.form.is_none());
    let p = app.selected_plan().unwrap();
    assert_eq!((p.order_qty, p.override_qty.get()), (600.0, Some(708.0)));
    assert_eq!(p.override_revision, Some(3), "the next save starts from it");
    assert!(p.has(buyerdesk::plan::ExceptionCode::Overridden));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("600→708") && screen.contains("Saved: PROD-001 708"),
        "{screen}"
    );
    // The row shows the buyer's purchase quantity and its amount.
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    let at = cells.iter().position(|c| *c == "600→708").expect(row);
    assert_eq!((cells[at + 1], cells[at + 2]), ("59", "boxes"), "{row}");
    assert_eq!(59.0 * 12.0, 708.0);
    let amount: f64 = cells[at + 3].replace(',', "").parse().expect(row);
    assert_eq!(amount, 708.0 * 15.5, "{row}");
    // The header's total is what will be ordered: the buyer's amount for
    // PROD-001, the suggestions' for the rest.
    let summary = screen
        .lines()
        .find(|l| l.contains("To order: "))
        .expect("the totals line");
    let total: f64 = summary
        .split("To order: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .expect(summary);
    let expected: f64 = app
        .plans
        .iter()
        .filter(|p| p.needs_order())
        .map(|p| p.ordered().2)
        .sum();
    assert!((total - expected).abs() < 0.005, "{summary} vs {expected}");
    let suggested: f64 = (app.plans.iter())
        .filter(|p| p.needs_order())
        .map(|p| p.amount)
        .sum();
    assert!(
        (total - suggested - (708.0 * 15.5 - 9_300.0)).abs() < 0.005,
        "{summary}: the suggestions' {suggested} with PROD-001's 9,300.00 replaced by 10,974.00"
    );
    app.update(Action::OpenOverride);
    assert_eq!(app.form.as_ref().unwrap().quantity, "708");
    assert_eq!(app.form.as_ref().unwrap().base, Some(3));
    app.update(Action::Back);

    // x asks first, naming the quantity and the reason; n keeps it.
    app.update(Action::ClearOverride);
    assert_eq!(app.pending, None, "nothing cleared before the answer");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Clear the override of PROD-001: 708 pieces, PROMO, by alice"),
        "{screen}"
    );
    insta::assert_snapshot!("clear_override_question_80x24", screen);
    insta::assert_snapshot!("clear_override_question_120x40", render(&mut app, 120, 40));
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert_eq!(app.pending, None);
    assert_eq!(app.selected_plan().unwrap().override_qty, Some(708.0));
    // y clears it once the store confirms.
    app.update(Action::ClearOverride);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        app.pending.take(),
        Some(StoreRequest::Clear("PROD-001".into(), Some(3))),
        "cleared as of the revision shown"
    );
    app.update(Action::StoreDone {
        product_id: "PROD-001".into(),
        result: Ok(None),
    });
    let p = app.selected_plan().unwrap();
    assert_eq!(p.override_qty, None);
    assert!(!p.has(buyerdesk::plan::ExceptionCode::Overridden));
}

/// Another workstation saved first: the popup says who, what and when,
/// and Ctrl-O saves over exactly that change.
#[test]
fn a_save_refused_by_another_workstations_change_can_be_overwritten_knowingly() {
    use buyerdesk::store::overrides::Conflict;
    let mut app = override_popup();
    choose_reason(&mut app, ReasonCode::CustomerOrder);
    type_quantity(&mut app, "504");
    app.update(Action::FormSubmit);
    let Some(StoreRequest::Set(_, base)) = app.pending.take() else {
        panic!("a save request")
    };
    assert_eq!(base, Base::Seen(None));
    app.update(Action::StoreConflict {
        product_id: "PROD-001".into(),
        conflict: Conflict {
            product_id: "PROD-001".into(),
            user: "buyer2".into(),
            what: "set 228 (PROMO)".into(),
            at: "2026-11-21T09:59:03Z".into(),
            revision: 7,
        },
    });
    let form = app.form.as_ref().expect("the popup stays");
    assert!(!form.saving && form.conflict.is_some());
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Not saved: buyer2 set 228 (PROMO) at 2026-11-21 09:59:03 UTC,"),
        "{screen}"
    );
    assert!(screen.contains("^O saves yours over it"), "{screen}");
    insta::assert_snapshot!("override_conflict_80x24", screen);
    insta::assert_snapshot!("override_conflict_120x40", render(&mut app, 120, 40));
    press(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    let Some(StoreRequest::Set(o, base)) = app.pending.take() else {
        panic!("the knowing save")
    };
    assert_eq!((o.order_qty, base), (504.0, Base::Seen(Some(7))));
}

/// Switching the unit converts the figure and keeps the exact stock
/// quantity behind a rounded one: 700 pieces shows as 58.33 boxes and
/// comes back as 700.
#[test]
fn purchase_units_are_converted_to_stock_units() {
    let mut app = override_popup();
    choose_reason(&mut app, ReasonCode::Promo);
    type_quantity(&mut app, "700");
    app.update(Action::FormNextField);
    app.update(Action::FormChoice(true));
    let form = app.form.as_ref().unwrap();
    assert_eq!(form.unit, OverrideUnit::Purchase);
    assert_eq!(
        (form.quantity.as_str(), form.stock_qty),
        ("58.33", Some(700.0))
    );
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("58.33_  (= 700 pieces)"), "{screen}");
    app.update(Action::FormChoice(true));
    assert_eq!(
        app.form.as_ref().unwrap().quantity,
        "700",
        "and back, exactly"
    );
    app.update(Action::FormChoice(true));
    app.update(Action::FormPrevField);
    type_quantity(&mut app, "60");
    app.update(Action::FormSubmit);
    let Some(StoreRequest::Set(
        Override {
            order_qty,
            entered_qty,
            entered_unit,
            ..
        },
        _,
    )) = app.pending.take()
    else {
        panic!("a save request")
    };
    assert_eq!(
        (order_qty, entered_qty, entered_unit),
        (720.0, 60.0, OverrideUnit::Purchase),
        "60 boxes of 12"
    );
}

/// Below 80x24 the screen only says so, and keys do nothing to what it
/// hides; back at 80x24 the popup is as it was.
#[test]
fn keys_do_nothing_while_the_terminal_is_too_small() {
    let mut app = override_popup();
    let screen = render(&mut app, 70, 20);
    assert!(screen.contains("needs at least 80x24"), "{screen}");
    for c in ['7', '0', '8'] {
        press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    render(&mut app, 80, 24);
    let form = app.form.as_ref().expect("still open");
    assert_eq!(form.quantity, "600", "untouched");
    assert!(app.pending.is_none());
}

use buyerdesk::tui::theme::Theme;

fn buffer_of(app: &mut App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

#[test]
fn ascii_mode_draws_only_ascii_on_every_screen() {
    let mut app = reference_app();
    app.theme = Theme {
        color: true,
        ascii: true,
    };
    let mut screens = vec![render(&mut app, 80, 24)];
    app.update(Action::OpenDetail);
    screens.push(render(&mut app, 80, 24));
    app.update(Action::Back);
    app.update(Action::OpenOverride);
    screens.push(render(&mut app, 120, 40));
    for screen in &screens {
        let odd: Vec<char> = screen.chars().filter(|c| !c.is_ascii()).collect();
        assert!(odd.is_empty(), "non-ASCII {odd:?} in:\n{screen}");
    }
    assert!(
        screens[0].contains("150^") && screens[2].contains("+ Override PROD-001 -"),
        "{}",
        screens[2]
    );
}

#[test]
fn no_color_leaves_every_cell_uncoloured_but_keeps_emphasis() {
    let mut plans = reference_plans();
    // A stock-out row, drawn as "needs attention".
    let mut codes = plans[0].exceptions.to_vec();
    codes.push(buyerdesk::plan::ExceptionCode::Stockout);
    plans[0].exceptions = codes.into();
    let mut app = App::new(plans);
    app.theme = Theme {
        color: false,
        ascii: false,
    };
    app.update(Action::Bottom);
    let buffer = buffer_of(&mut app, 120, 40);
    for cell in buffer.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "a coloured cell {:?}",
            cell.symbol()
        );
    }
    let bold_rows = (0..buffer.area.height)
        .filter(|&y| {
            buffer[(0, y)]
                .modifier
                .contains(ratatui::style::Modifier::BOLD)
        })
        .count();
    assert!(
        bold_rows >= 3,
        "header, selection and the flagged row stand out without colour"
    );
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// The last line of a screen (as TestBackend writes it, in quotes): the
/// footer.
fn footer(screen: &str) -> &str {
    screen.lines().last().unwrap().trim_matches('"')
}

/// The message line, just above the footer's keys.
fn message_line(screen: &str) -> &str {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len() - 2].trim_matches('"')
}

#[test]
fn help_lists_the_keys_really_bound() {
    let mut app = reference_app();
    assert_eq!(
        action_for(&app, key(KeyCode::Char('?'))),
        Some(Action::ToggleHelp)
    );
    app.update(Action::ToggleHelp);
    let screen = render(&mut app, 80, 24);
    for b in app.keymap.bindings(Screen::List) {
        assert!(
            screen.contains(b.help),
            "help lacks {:?}:\n{screen}",
            b.help
        );
    }
    assert!(
        screen.contains("8 order") && screen.contains("0 needs"),
        "{screen}"
    );
    insta::assert_snapshot!("help_80x24", screen);
    insta::assert_snapshot!("help_120x40", render(&mut app, 120, 40));
    // While the help is open, keys do not reach the list (j scrolls the
    // help); ? or Esc close it.
    let selected = app.selected;
    app.update(action_for(&app, key(KeyCode::Char('j'))).unwrap());
    assert_eq!(app.selected, selected);
    assert!(app.help_open);
    assert_eq!(action_for(&app, key(KeyCode::Char('o'))), None);
    app.update(action_for(&app, key(KeyCode::Esc)).unwrap());
    assert!(!app.help_open);
}

#[test]
fn help_and_footer_follow_the_screen_they_are_on() {
    let mut app = reference_app();
    let list = render(&mut app, 80, 24);
    assert!(footer(&list).contains("Enter why"), "{list}");

    app.update(Action::OpenDetail);
    let detail = render(&mut app, 80, 24);
    assert!(
        footer(&detail)
            .starts_with("↑↓ product  Space select  P draft  PgUp PgDn scroll  v charts"),
        "{detail}"
    );
    app.update(action_for(&app, key(KeyCode::Char('?'))).unwrap());
    let help = render(&mut app, 80, 24);
    assert!(
        help.contains("Keys of the detail") && help.contains("next product"),
        "{help}"
    );
    assert!(!help.contains("only those needing an order"), "{help}");
    app.update(action_for(&app, key(KeyCode::Esc)).unwrap());
    assert!(app.detail_open && !app.help_open);

    // In the override popup letters type, so F1 opens its help, and Esc
    // then closes the help, not the popup.
    app.update(Action::Back);
    app.update(Action::OpenOverride);
    assert_eq!(
        action_for(&app, key(KeyCode::Char('?'))),
        Some(Action::FormInput('?'))
    );
    let popup = render(&mut app, 80, 24);
    assert!(
        footer(&popup).starts_with(
            "Enter save  Tab next  ←→ change  ^U clear  PgDn PgUp packs  Esc cancel  F1 help"
        ),
        "{popup}"
    );
    app.update(action_for(&app, key(KeyCode::F(1))).unwrap());
    let help = render(&mut app, 80, 24);
    assert!(
        help.contains("Keys of the override popup")
            && help.contains("Other keys type into the field"),
        "{help}"
    );
    app.update(action_for(&app, key(KeyCode::Esc)).unwrap());
    assert!(app.form.is_some() && !app.help_open);
    app.update(action_for(&app, key(KeyCode::Esc)).unwrap());
    assert!(app.form.is_none());

    // The filter prompt: its keys after the prompt.
    app.update(Action::StartFilter);
    app.update(action_for(&app, key(KeyCode::Char('w'))).unwrap());
    let prompt = render(&mut app, 80, 24);
    assert_eq!(
        footer(&prompt).trim_end(),
        "/w_   Enter keep  Esc cancel  F1 help"
    );
}

/// A remap in the config changes what the key does, the footer and the
/// help, and nothing else.
#[test]
fn a_remapped_key_changes_keys_footer_and_help_and_only_them() {
    let config = buyerdesk::config::parse("[keys]\ndown = [\"ctrl-n\"]\n", "test.toml").unwrap();
    let mut app = reference_app();
    app.keymap = buyerdesk::tui::keymap::Keymap::from_file(&config, "test.toml").unwrap();

    assert_eq!(action_for(&app, ctrl('n')), Some(Action::Down));
    assert_eq!(action_for(&app, key(KeyCode::Char('j'))), None);
    assert_eq!(action_for(&app, key(KeyCode::Down)), None);
    // Everything else as before.
    let default = App::new(Vec::new());
    for b in default.keymap.bindings(Screen::List) {
        if b.name == "down" {
            continue;
        }
        for k in &b.keys {
            let event = KeyEvent::new(k.code, k.modifiers);
            assert_eq!(action_for(&app, event), Some(b.action.clone()), "{k}");
        }
    }

    let screen = render(&mut app, 80, 24);
    assert!(
        footer(&screen).starts_with("↑ ^N move  Space select  P draft  O POs  Enter why"),
        "{screen}"
    );
    app.update(Action::ToggleHelp);
    let help = render(&mut app, 80, 24);
    let line = help
        .lines()
        .find(|l| l.contains("^N"))
        .expect("^N in the help");
    let after = line.split("^N").nth(1).unwrap().trim_start();
    assert!(after.starts_with("down "), "{line}");
    assert!(!help.contains("↓ j"), "{help}");
    assert!(help.contains("↑ k"), "up keeps its keys:\n{help}");

    // In the detail too (an entry at the top of [keys]); the filter prompt
    // keeps its Down.
    app.update(Action::ToggleHelp);
    app.update(Action::OpenDetail);
    assert!(footer(&render(&mut app, 80, 24)).starts_with("↑ ^N product"));
    app.update(Action::Back);
    app.update(Action::StartFilter);
    assert_eq!(action_for(&app, key(KeyCode::Down)), Some(Action::Down));
}

#[test]
fn the_vim_preset_scrolls_the_detail_with_ctrl_e_and_pages_with_ctrl_d() {
    let config = buyerdesk::config::parse("[keys]\npreset = \"vim\"\n", "test.toml").unwrap();
    let mut app = detail_of_prod_001();
    app.keymap = buyerdesk::tui::keymap::Keymap::from_file(&config, "test.toml").unwrap();
    render(&mut app, 80, 24);
    app.update(action_for(&app, ctrl('e')).unwrap());
    assert_eq!(app.detail_scroll, 1);
    app.update(action_for(&app, ctrl('y')).unwrap());
    assert_eq!(app.detail_scroll, 0);
    app.update(action_for(&app, ctrl('d')).unwrap());
    // 24 rows less the two header lines, the footer and the pane's title.
    assert_eq!(app.detail_scroll, 20, "a page: the pane's height");
    // j goes to the next product, its steps from the top.
    app.update(action_for(&app, key(KeyCode::Char('j'))).unwrap());
    assert_eq!(
        (app.selected, app.detail_scroll),
        (1, 0),
        "j: the next product"
    );
    assert!(app.detail_open);
    app.update(Action::ToggleHelp);
    let help = render(&mut app, 80, 24);
    assert!(help.contains("⇧↓ ^E") || help.contains("^E"), "{help}");
}

#[test]
fn end_scrolls_the_detail_to_its_last_step_and_keeps_the_product() {
    let mut app = detail_of_prod_001();
    render(&mut app, 80, 24);
    app.update(action_for(&app, key(KeyCode::End)).unwrap());
    let end = render(&mut app, 80, 24);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-001");
    assert!(
        end.contains("ORDER_LATE: stock lasts 3.33 days, the supplier needs 7 days"),
        "{end}"
    );
}

#[test]
fn space_selects_for_ordering_and_a_selects_all_that_need_an_order() {
    let mut app = reference_app();
    let first = ids(&app)[0].to_string();
    app.update(Action::ToggleSelect);
    assert!(app.for_order.contains(&first), "space selects {first}");
    // The cursor moved on, so space again selects the next product.
    assert_eq!(app.selected, 1);
    app.update(Action::Up);
    app.update(Action::ToggleSelect);
    assert!(!app.for_order.contains(&first), "space again unselects it");

    let screen = render(&mut app, 120, 40);
    assert!(!screen.contains('✓'), "nothing marked:\n{screen}");
    app.update(Action::SelectAllNeeded);
    let needed: Vec<String> = app
        .plans
        .iter()
        .filter(|p| p.needs_order())
        .map(|p| p.product_id.to_string())
        .collect();
    assert_eq!(needed.len(), 3, "PROD-001..003 need an order");
    assert_eq!(app.for_order.iter().cloned().collect::<Vec<_>>(), needed);
    let screen = render(&mut app, 120, 40);
    for id in &needed {
        let line = screen.lines().find(|l| l.contains(id.as_str())).unwrap();
        assert!(line.contains('✓'), "{id} marked: {line}");
    }
    let quiet = screen.lines().find(|l| l.contains("PROD-004")).unwrap();
    assert!(!quiet.contains('✓'), "PROD-004 needs nothing: {quiet}");

    // Only the listed products: with a filter, the others stay as they are.
    app.update(Action::ClearSelection);
    app.update(Action::StartFilter);
    for c in "PROD-002".chars() {
        app.update(Action::FilterInput(c));
    }
    app.update(Action::SelectAllNeeded);
    assert_eq!(
        app.for_order.iter().cloned().collect::<Vec<_>>(),
        vec!["PROD-002".to_string()]
    );
}

#[test]
fn before_the_first_plans_the_screen_says_what_each_source_is_doing() {
    let mut app = App::waiting();
    app.now = clock();
    let mut sources = healthy_sources();
    sources[0].state = LinkState::Connecting;
    sources[0].last_ok = None;
    sources[0].rtt = None;
    sources[1].state = LinkState::Down;
    sources[1].last_ok = None;
    sources[1].error = Some(
        "inventory source (postgres://buyer:***@inv-db:5432/inventory): connection refused".into(),
    );
    app.apply_sources(sources);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("loading..."), "{screen}");
    assert!(screen.contains("oms        connecting..."), "{screen}");
    assert!(screen.contains("DOWN: inventory source"), "{screen}");
    insta::assert_snapshot!("waiting_80x24", screen);
    insta::assert_snapshot!("waiting_120x40", render(&mut app, 120, 40));
}

/// A source that failed after an earlier read: its chip says STALE with the
/// age of its data; `i` shows the error with the URL redacted.
#[test]
fn a_stale_source_shows_on_its_chip_and_its_error_on_demand() {
    let mut app = reference_app();
    let mut sources = healthy_sources();
    sources[1].state = LinkState::Down;
    sources[1].last_ok = Some(clock() - chrono::Duration::seconds(125));
    sources[1].error = Some(
        "inventory source (postgres://buyer:***@inv-db:5432/inventory): pool timed out".into(),
    );
    app.apply_sources(sources);
    let screen = render(&mut app, 80, 24);
    let chips = screen.lines().nth(1).unwrap();
    assert!(
        chips.contains("inv") && chips.contains("STALE 2m"),
        "{chips}"
    );
    assert!(chips.contains("oms") && chips.contains("up 4s"), "{chips}");
    insta::assert_snapshot!("stale_chips_80x24", screen);
    let wide = render(&mut app, 120, 40);
    let chips = wide.lines().nth(1).unwrap();
    for rtt in ["3ms", "5ms", "6ms", "7ms"] {
        assert!(chips.contains(rtt), "round trips on a wide screen: {chips}");
    }
    app.update(Action::ToggleSources);
    let screen = render(&mut app, 80, 24);
    assert!(chips.contains("oms") && chips.contains("4s"), "{chips}");
    assert!(
        screen.contains("***"),
        "the URL is shown redacted: {screen}"
    );
    insta::assert_snapshot!("sources_popup_80x24", screen);
    insta::assert_snapshot!("sources_popup_120x40", render(&mut app, 120, 40));
    // A source whose fingerprint showed no change says so.
    let mut sources = app.sources.clone();
    sources[SourceKind::Supplier as usize].unchanged = true;
    app.apply_sources(sources);
    let screen = render(&mut app, 120, 40);
    let supplier = screen.lines().find(|l| l.contains("supplier (")).unwrap();
    assert!(supplier.contains("4 rows, unchanged"), "{supplier}");
    let oms = screen.lines().find(|l| l.contains("oms (")).unwrap();
    assert!(!oms.contains("unchanged"), "{oms}");
}

/// A refresh replaces the changed plans, keeps the selection on its product
/// and highlights the changed cells for a moment.
#[test]
fn a_refresh_highlights_what_changed_for_a_moment() {
    use buyerdesk::live::PlanUpdate;
    let mut app = reference_app();
    app.update(Action::Down);
    let selected = app.selected_plan().unwrap().product_id.clone();
    let mut changed = app.plan_by_id("PROD-004").unwrap().clone();
    changed.available_qty = Some(10.0).into();
    changed.days_of_cover = Some(10.0).into();
    app.apply_update(PlanUpdate {
        started: clock(),
        full: false,
        plans: vec![changed],
        removed: vec![],
        changed: 1,
        load: std::time::Duration::ZERO,
        planning: std::time::Duration::ZERO,
        ranks: None,
    });
    assert_eq!(app.selected_plan().unwrap().product_id, selected);
    assert!(app.is_changed("PROD-004", Column::Available));
    assert!(app.is_changed("PROD-004", Column::Cover));
    assert!(!app.is_changed("PROD-004", Column::Order));
    assert!(!app.is_changed("PROD-001", Column::Available));
    let buffer = buffer_of(&mut app, 120, 40);
    let row = (0..40)
        .find(|&y| {
            (0..20)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("PROD-004")
        })
        .unwrap();
    let styled: Vec<bool> = (0..120)
        .map(|x| {
            buffer[(x, row)]
                .modifier
                .contains(ratatui::style::Modifier::BOLD)
        })
        .collect();
    assert!(styled.iter().any(|b| *b), "changed cells stand out");
    // Three seconds later the highlight is gone, and the tick says redraw.
    assert!(app.tick(clock() + chrono::Duration::seconds(4)));
    assert!(!app.is_changed("PROD-004", Column::Available));
    assert!(app.changed.is_empty());
}

/// An override saved here after a refresh began is not undone by that
/// refresh's (older) plans.
#[test]
fn a_refresh_that_began_before_an_override_was_saved_keeps_it() {
    use buyerdesk::live::PlanUpdate;
    use buyerdesk::store::{Override, OverrideUnit, ReasonCode};
    let mut app = reference_app();
    let before_save = chrono::Local::now() - chrono::Duration::seconds(1);
    let stale_plan = app.plan_by_id("PROD-001").unwrap().clone();
    app.update(Action::StoreDone {
        product_id: "PROD-001".into(),
        result: Ok(Some((
            Override {
                product_id: "PROD-001".into(),
                order_qty: 700.0,
                entered_qty: 700.0,
                entered_unit: OverrideUnit::Stock,
                suggested_qty: 600.0,
                reason: ReasonCode::Promo,
                note: None,
                user: "alice".into(),
                set_at: "2026-11-21T10:00:00Z".into(),
            },
            1,
        ))),
    });
    assert_eq!(
        app.plan_by_id("PROD-001").unwrap().override_qty,
        Some(700.0)
    );
    let update = |started, plan| PlanUpdate {
        started,
        full: false,
        plans: vec![plan],
        removed: vec![],
        changed: 1,
        load: std::time::Duration::ZERO,
        planning: std::time::Duration::ZERO,
        ranks: None,
    };
    app.apply_update(update(before_save, stale_plan.clone()));
    assert_eq!(
        app.plan_by_id("PROD-001").unwrap().override_qty,
        Some(700.0),
        "the older refresh does not undo the save"
    );
    // A refresh that began after the save is believed (here: another
    // workstation cleared it meanwhile).
    app.apply_update(update(chrono::Local::now(), stale_plan));
    assert_eq!(app.plan_by_id("PROD-001").unwrap().override_qty, None);
}

/// Products that come and go in a refresh: the selection stays on its
/// product, a new product is listed in its place, a removed one is gone.
#[test]
fn a_refresh_that_adds_and_removes_products_keeps_the_selection() {
    use buyerdesk::live::PlanUpdate;
    let mut app = reference_app();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-003");
    let mut new = app.plan_by_id("PROD-004").unwrap().clone();
    new.product_id = "PROD-000".into();
    app.apply_update(PlanUpdate {
        started: clock(),
        full: false,
        plans: vec![new],
        removed: vec!["PROD-002".into()],
        changed: 1,
        load: std::time::Duration::ZERO,
        planning: std::time::Duration::ZERO,
        ranks: None,
    });
    assert_eq!(
        ids(&app),
        vec!["PROD-000", "PROD-001", "PROD-003", "PROD-004"]
    );
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-003");
    assert!(app.plan_by_id("PROD-002").is_none());
    assert!(
        app.is_changed("PROD-000", Column::Product),
        "a new row stands out"
    );
    let ordered: Vec<&str> = app.plans.iter().map(|p| p.product_id.as_ref()).collect();
    assert_eq!(
        ordered,
        vec!["PROD-000", "PROD-001", "PROD-003", "PROD-004"]
    );
}

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    let event = KeyEvent::new(code, modifiers);
    if let Some(action) = action_for(app, event) {
        app.update(action);
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        press(app, code, KeyModifiers::NONE);
    }
}

/// The rule editor: opened from the list with R on the rules in force,
/// validated as the author types (after a pause), errors listed and marked,
/// F2 to the error, Ctrl-S refused while there are errors, Esc keeps the
/// edits as a draft that R brings back, and a good edit asked to be applied.
#[test]
fn the_rule_editor_checks_as_you_type_and_applies_only_good_rules() {
    use buyerdesk::tui::screens::editor::VALIDATE_AFTER_MS;
    let mut app = reference_app();
    let rules = RuleSet::embedded();
    app.rules_text = rules.text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let editor = app.editor.as_ref().expect("R opens the editor");
    assert_eq!(editor.text(), app.rules_text, "on the rules in force");
    assert_eq!(editor.diagnostics.len(), 0, "{:?}", editor.diagnostics);
    assert_eq!(buyerdesk::tui::keys::screen(&app), Screen::Editor);

    // Text outside any rule, typed at the top: checked once typing pauses.
    type_text(&mut app, "oops ");
    let editor = app.editor.as_ref().unwrap();
    assert!(
        editor.text().starts_with("oops //"),
        "{}",
        &editor.text()[..20]
    );
    assert!(editor.diagnostics.is_empty(), "not checked while typing");
    let later = app.now + chrono::Duration::milliseconds(VALIDATE_AFTER_MS + 1);
    assert!(app.validate_editor_if_due(later));
    let editor = app.editor.as_ref().unwrap();
    let error = editor
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .expect("an error for the stray text");
    assert_eq!((error.line, error.col), (1, 1), "{error:?}");

    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("1:1: error:"), "{screen}");
    assert!(screen.contains("● "), "the line is marked:\n{screen}");
    insta::assert_snapshot!("editor_80x24", screen);
    insta::assert_snapshot!("editor_120x40", render(&mut app, 120, 40));

    // F2 goes to it; Ctrl-S is refused.
    press(&mut app, KeyCode::End, KeyModifiers::NONE);
    press(&mut app, KeyCode::F(2), KeyModifiers::NONE);
    assert_eq!(app.editor.as_ref().unwrap().textarea.cursor(), (0, 0));
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(
        app.rules_apply_wanted, None,
        "rules with errors are not applied"
    );
    let status = app.editor.as_ref().unwrap().status.clone().unwrap();
    assert!(status.starts_with("Not applied: 1 error"), "{status}");

    // Esc keeps the edit as a draft; R brings it back.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.editor.is_none());
    assert!(app.rules_draft.as_deref().unwrap().starts_with("oops //"));
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let editor = app.editor.as_ref().unwrap();
    assert!(editor.text().starts_with("oops //"), "the draft is back");
    assert!(editor.status.as_deref().unwrap().contains("draft"));

    // F8 throws the draft away (y to its question); Esc and R: the rules
    // in force again.
    press(&mut app, KeyCode::F(8), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_some(), "F8 asks first");
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(app.editor.as_ref().unwrap().text(), app.rules_text);
    assert_eq!(app.rules_draft, None);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.rules_draft, None, "nothing kept");
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert_eq!(app.editor.as_ref().unwrap().text(), app.rules_text);
    type_text(&mut app, "oops ");
    press(&mut app, KeyCode::Home, KeyModifiers::NONE);

    // Undone: nothing to apply. A comment added at the end: applied.
    for _ in 0..5 {
        press(&mut app, KeyCode::Delete, KeyModifiers::NONE);
    }
    assert_eq!(app.editor.as_ref().unwrap().text(), app.rules_text);
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.rules_apply_wanted, None);
    let lines = app.editor.as_ref().unwrap().textarea.lines().len();
    for _ in 0..lines {
        press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    }
    press(&mut app, KeyCode::End, KeyModifiers::NONE);
    type_text(&mut app, "\n// checked by the buyers' lead");
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let (wanted, confirmed) = app
        .rules_apply_wanted
        .clone()
        .expect("good rules are applied");
    assert!(
        wanted.ends_with("}\n// checked by the buyers' lead\n"),
        "{wanted:?}"
    );
    assert!(!confirmed, "sent unconfirmed: the guard runs first");
    assert!(app.editor.as_ref().unwrap().applying);
}

/// The words inside the popup whose top border starts with `top`, read
/// row by row between its borders (what is beside it left out).
fn popup_words(screen: &str, top: &str) -> String {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let (first, line) = (screen.lines().enumerate())
        .find(|(_, l)| l.contains(top))
        .unwrap_or_else(|| panic!("no popup {top:?} in:\n{screen}"));
    let left = line.chars().position(|c| c == '┌').unwrap();
    let right = left
        + 1
        + rows[first][left + 1..]
            .iter()
            .position(|&c| c == '┐')
            .unwrap();
    let mut text = String::new();
    for row in &rows[first + 1..] {
        if row[left] == '└' {
            break;
        }
        text.extend(&row[left + 1..right]);
        text.push(' ');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The issue's example: a rule that zeroes every order. Ctrl-S sends it
/// unconfirmed; the guard's refusal opens a question with the summary (the
/// dry run's orders before -> after, the first failing products); n keeps
/// the draft, y applies it confirmed.
#[test]
fn the_editor_asks_before_applying_rules_the_guard_refuses() {
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    let text = format!(
        "{}rule \"SafetyMargin\" salience 65 {{ when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }}\n",
        app.rules_text
    );
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &text,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.rules_apply_wanted.take(), Some((text.clone(), false)));
    // What the live task answers: the guard on the real dry run.
    let candidate = buyerdesk::rules::load(&text, "candidate.grl").unwrap();
    let dry_run = buyerdesk::rules::dry_run(
        &plan::join(reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    );
    let refusal = buyerdesk::rules::guard(&dry_run).expect_err("refused");
    let (before, after) = (dry_run.summary.orders_before, dry_run.summary.orders_after);
    assert!(before > 0 && after * 2 < before, "{before} -> {after}");
    app.rules_apply_refused(text.clone(), refusal.to_string());

    let screen = render(&mut app, 80, 24);
    let words = popup_words(&screen, "┌ Apply rules that hurt the plan?");
    assert!(
        words.contains("These rules would hurt the plan"),
        "{screen}"
    );
    assert!(
        words.contains(&format!("Orders {before} -> {after}")),
        "{screen}"
    );
    let failing = dry_run.summary.failed_products;
    assert!(failing > 0);
    assert!(
        words.contains(&format!("RULE_ERROR) on {failing} product")),
        "{screen}"
    );
    assert!(
        words.contains("PROD-001 (rule \"SafetyMargin\")"),
        "{screen}"
    );
    assert!(words.contains("Apply them anyway?"), "{screen}");
    insta::assert_snapshot!("editor_guarded_apply_80x24", screen);
    insta::assert_snapshot!("editor_guarded_apply_120x40", render(&mut app, 120, 40));

    // n: nothing applied, the draft kept in the editor.
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none());
    assert_eq!(app.rules_apply_wanted, None);
    let editor = app.editor.as_ref().expect("the editor stays");
    assert_eq!(editor.text(), text);
    assert!(!editor.applying);
    assert!(
        editor
            .status
            .as_deref()
            .unwrap()
            .contains("the draft is kept"),
        "{:?}",
        editor.status
    );

    // Again, and y: sent confirmed (the guard is not asked twice).
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.rules_apply_wanted.take(), Some((text.clone(), false)));
    app.rules_apply_refused(text.clone(), refusal.to_string());
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none());
    assert_eq!(app.rules_apply_wanted, Some((text, true)));
    assert!(app.editor.as_ref().unwrap().applying);
}

/// A rules file changed on disk (another editor, `e`) that the guard
/// refuses: the rules in force stay and the message line says why, with
/// the orders before -> after.
#[test]
fn rules_on_disk_refused_by_the_guard_leave_the_rules_in_force_and_say_why() {
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    let text = format!(
        "{}rule \"SafetyMargin\" salience 65 {{ when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05 + Product.moq; }}\n",
        app.rules_text
    );
    let candidate = buyerdesk::rules::load(&text, "/data/purchasing.grl").unwrap();
    let dry_run = buyerdesk::rules::dry_run(
        &plan::join(reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    );
    let refusal = buyerdesk::rules::guard(&dry_run).expect_err("refused");
    // As the live task words it (`Worker::reload_rules`).
    let error = format!(
        "/data/purchasing.grl: refused, these rules would hurt the plan: {}\nthe rules in force stay",
        refusal.to_string().replace('\n', "; ")
    );
    app.rules_reloaded(Err(error));
    assert_eq!(app.rules_text, RuleSet::embedded().text.to_string());
    let screen = render(&mut app, 120, 40);
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let (before, after) = (dry_run.summary.orders_before, dry_run.summary.orders_after);
    assert!(
        words.contains(&format!(
            "Rules on disk not used: /data/purchasing.grl: refused, these rules would hurt the plan: Orders {before} -> {after}"
        )),
        "{screen}"
    );
}

/// F5 in the editor asks for a dry run of the edited rules; the answer is
/// shown in the panel (summary, then old -> new per product) and dropped
/// once the text changes.
#[test]
fn the_editor_shows_a_dry_run_of_the_edited_rules() {
    use buyerdesk::live::SharedDryRun;
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    // Errors first: nothing is tried.
    type_text(&mut app, "oops ");
    press(&mut app, KeyCode::F(5), KeyModifiers::NONE);
    assert_eq!(app.dry_run_wanted, None);
    for _ in 0..5 {
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    }
    // The threshold at 50,000: tried on the reference products.
    let text = app
        .rules_text
        .replace("Product.amount > 10000", "Product.amount > 50000");
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &text,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::F(5), KeyModifiers::NONE);
    let (request, wanted) = app.dry_run_wanted.take().expect("a dry run asked for");
    assert_eq!(wanted, text);
    let candidate = buyerdesk::rules::load(&text, "candidate.grl").unwrap();
    let mut result = buyerdesk::rules::dry_run(
        &plan::join(reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    );
    // As the live task does: the POs needing approval under [orders]
    // approval_threshold (10,000 in every currency).
    result.po_approvals("EUR", |_| 10_000.0);
    let pos = result.summary.po_approvals.unwrap();
    // An older request's answer is dropped.
    app.dry_run_done(
        request - 1,
        Ok(SharedDryRun(std::sync::Arc::new(result.clone()))),
    );
    assert!(render(&mut app, 80, 24).contains("Trying the rules"));
    app.dry_run_done(request, Ok(SharedDryRun(std::sync::Arc::new(result))));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Dry run: 1 of 4 products change"),
        "{screen}"
    );
    let row = screen
        .lines()
        .find(|l| l.contains("PROD-002"))
        .expect("PROD-002's change listed");
    assert!(row.contains("approval yes -> no"), "{row}");
    // PROD-002 is no longer flagged, but its PO still waits for the
    // configured threshold: the panel says so.
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!(
            "POs needing approval {} -> {} of {} ({} above [orders] approval_threshold)",
            pos.before.pending, pos.after.pending, pos.after.pos, pos.after.above_threshold
        )),
        "{screen}"
    );
    assert!(pos.after.above_threshold >= 1, "{pos:?}");
    insta::assert_snapshot!("editor_dry_run_80x24", screen);
    insta::assert_snapshot!("editor_dry_run_120x40", render(&mut app, 120, 40));
    // Typing makes the result stale: it goes.
    type_text(&mut app, " ");
    assert!(!render(&mut app, 80, 24).contains("Dry run:"));
}

// ---------------------------------------------------------------------------
// The rule editor's basics: undo/redo, search, go-to-line, the first and
// last line, completion after `Product.`, F8's question, the marks and the
// line numbers whatever the scroll.

use buyerdesk::plan::facts::FACT_SCHEMA;

/// The editor on the embedded rules, as R opens it.
fn editor_app() -> App {
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert!(app.editor.is_some());
    app
}

fn press_ctrl(app: &mut App, c: char) {
    press(app, KeyCode::Char(c), KeyModifiers::CONTROL);
}

/// The text box's rows as drawn: (mark, line number, text) read from the
/// gutter, between the box's borders.
fn text_rows(screen: &str) -> Vec<(char, usize, String)> {
    let lines: Vec<&str> = screen.lines().collect();
    let top = (lines.iter())
        .position(|l| l.contains("┌ Rules:"))
        .unwrap_or_else(|| panic!("no editor in:\n{screen}"));
    // The gutter is as wide as the shipped rules' last line number.
    let digits = buyerdesk::plan::DEFAULT_RULES
        .lines()
        .count()
        .to_string()
        .len();
    let mut rows = Vec::new();
    for line in &lines[top + 1..] {
        let chars: Vec<char> = line.trim_matches('"').chars().collect();
        if chars[0] != '│' {
            break;
        }
        let number: String = chars[2..2 + digits].iter().collect();
        let Ok(number) = number.trim().parse::<usize>() else {
            break; // the prompt's row
        };
        let text: String = chars[3 + digits..chars.len() - 1].iter().collect();
        rows.push((chars[1], number, text));
    }
    rows
}

/// Every row's number follows the one before; a row is marked `●` exactly
/// when an error is on its line.
fn assert_gutter(app: &App, screen: &str) -> Vec<(char, usize, String)> {
    let rows = text_rows(screen);
    assert!(!rows.is_empty(), "{screen}");
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(rows[0].1, editor.view.top + 1, "{screen}");
    for pair in rows.windows(2) {
        assert_eq!(pair[1].1, pair[0].1 + 1, "numbers in order:\n{screen}");
    }
    for (mark, number, _) in &rows {
        let error = (editor.diagnostics.iter()).any(|d| d.is_error() && d.line == *number);
        assert_eq!(*mark == '●', error, "line {number}:\n{screen}");
    }
    rows
}

/// The cursor's (row, col), 0-based, where `needle` occurs for the `n`th
/// time in `text` (case ignored), counted here apart from the editor.
fn nth_occurrence(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let needle = needle.to_lowercase();
    let found: Vec<(usize, usize)> = (text.lines().enumerate())
        .flat_map(|(row, line)| {
            let line = line.to_lowercase();
            line.match_indices(&needle)
                .map(|(byte, _)| (row, line[..byte].chars().count()))
                .collect::<Vec<_>>()
        })
        .collect();
    found[n]
}

/// Ctrl-F: the matches highlighted, the cursor on the first after it, F3
/// and Shift-F3 (and Enter) move between them, wrapping round; Esc closes
/// and the keywords are bold again.
#[test]
fn the_editors_search_highlights_matches_and_moves_between_them() {
    let mut app = editor_app();
    let text = app.rules_text.clone();
    let query = "product.order_qty";
    let total = text.to_lowercase().matches(query).count();
    assert!(total > 3, "{total}");
    press_ctrl(&mut app, 'f');
    type_text(&mut app, query);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), text, "typed into the prompt only");
    assert_eq!(editor.textarea.cursor(), nth_occurrence(&text, query, 0));
    assert_eq!(editor.search_matches().map(|m| m.len()), Some(total));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains(&format!("Find: {query}")) && screen.contains(&format!("1 of {total}")),
        "{screen}"
    );
    assert_gutter(&app, &screen);
    insta::assert_snapshot!("editor_search_80x24", screen);
    insta::assert_snapshot!("editor_search_120x40", render(&mut app, 120, 40));

    press(&mut app, KeyCode::F(3), KeyModifiers::NONE);
    let cursor = |app: &App| app.editor.as_ref().unwrap().textarea.cursor();
    assert_eq!(cursor(&app), nth_occurrence(&text, query, 1));
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(cursor(&app), nth_occurrence(&text, query, 2));
    press(&mut app, KeyCode::F(3), KeyModifiers::SHIFT);
    assert_eq!(cursor(&app), nth_occurrence(&text, query, 1));
    assert!(render(&mut app, 80, 24).contains(&format!("2 of {total}")));
    // Back from the first: the last (Ctrl-P: where Shift-F3 never comes).
    press_ctrl(&mut app, 'p');
    press_ctrl(&mut app, 'p');
    assert_eq!(cursor(&app), nth_occurrence(&text, query, total - 1));
    // Esc closes the prompt, not the editor; the cursor stays.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    let editor = app.editor.as_ref().expect("still in the editor");
    assert_eq!(editor.prompt, None);
    assert_eq!(editor.search_matches(), None, "keywords highlighted again");
    assert_eq!(
        editor.textarea.cursor(),
        nth_occurrence(&text, query, total - 1)
    );
    // F3 goes on with the last search; a missing text is said.
    press(&mut app, KeyCode::F(3), KeyModifiers::NONE);
    assert_eq!(cursor(&app), nth_occurrence(&text, query, 0));
    press_ctrl(&mut app, 'f');
    for _ in 0..query.len() {
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    }
    type_text(&mut app, "nowhere_at_all");
    assert!(render(&mut app, 80, 24).contains("\"nowhere_at_all\": not found"));
}

/// Ctrl-G: a number goes to its line; a bad one is said and the prompt
/// stays. Ctrl-End and Ctrl-Home: the last and the first line.
#[test]
fn the_editor_goes_to_a_line_and_to_the_first_and_last() {
    let mut app = editor_app();
    let lines = app.rules_text.lines().count();
    press_ctrl(&mut app, 'g');
    type_text(&mut app, "999");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let message = format!("No line 999: lines are 1 to {lines}");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("Go to line: 999"), "{screen}");
    assert!(screen.contains(&message), "{screen}");
    assert_eq!(app.editor.as_ref().unwrap().textarea.cursor(), (0, 0));
    insta::assert_snapshot!("editor_go_to_line_80x24", screen);
    insta::assert_snapshot!("editor_go_to_line_120x40", render(&mut app, 120, 40));
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    }
    type_text(&mut app, "40\n");
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.prompt, None);
    assert_eq!(editor.textarea.cursor(), (39, 0));
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains(&format!(" 40:1 of {lines} ")), "{screen}");
    let rows = assert_gutter(&app, &screen);
    assert!(rows.iter().any(|r| r.1 == 40), "line 40 in view:\n{screen}");

    press(&mut app, KeyCode::End, KeyModifiers::CONTROL);
    let last = app.rules_text.lines().last().unwrap().chars().count();
    assert_eq!(
        app.editor.as_ref().unwrap().textarea.cursor(),
        (lines - 1, last)
    );
    let screen = render(&mut app, 80, 24);
    let rows = assert_gutter(&app, &screen);
    assert_eq!(rows.last().unwrap().1, lines, "the last line at the bottom");
    press(&mut app, KeyCode::Home, KeyModifiers::CONTROL);
    assert_eq!(app.editor.as_ref().unwrap().textarea.cursor(), (0, 0));
}

/// After `Product.`, Ctrl-Space (or Tab) lists the fact's fields that
/// hold what is typed, with their descriptions; Down and Enter insert one;
/// elsewhere Tab indents.
#[test]
fn the_editor_completes_field_names_after_product() {
    let mut app = editor_app();
    press(&mut app, KeyCode::End, KeyModifiers::CONTROL);
    type_text(&mut app, "\n// Product.or");
    press_ctrl(&mut app, ' ');
    let editor = app.editor.as_ref().unwrap();
    assert!(editor.completion.is_some(), "the list is open");
    let expected: Vec<_> = (FACT_SCHEMA.iter())
        .filter(|f| f.name.starts_with("or"))
        .chain(
            FACT_SCHEMA
                .iter()
                .filter(|f| !f.name.starts_with("or") && f.name.contains("or")),
        )
        .collect();
    assert!(expected.len() >= 3);
    let screen = render(&mut app, 120, 40);
    for f in expected.iter().take(6) {
        assert!(screen.contains(f.name), "{} listed:\n{screen}", f.name);
        assert!(screen.contains(f.doc), "{} described:\n{screen}", f.name);
    }
    assert!(
        screen.contains(&format!("Product.or (1 of {})", expected.len())),
        "{screen}"
    );
    insta::assert_snapshot!("editor_completion_120x40", screen);
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains(expected[0].name), "{screen}");
    insta::assert_snapshot!("editor_completion_80x24", screen);

    // Typing filters; Down then Enter inserts the second.
    type_text(&mut app, "der_");
    let editor = app.editor.as_ref().unwrap();
    let (typed, found) = editor.completion_candidates().unwrap();
    assert_eq!(typed, "order_");
    assert_eq!(found[1].name, "order_qty");
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.completion, None);
    assert_eq!(
        editor.textarea.lines().last().unwrap(),
        "// Product.order_qty"
    );
    // One undo takes the completion back.
    press_ctrl(&mut app, 'z');
    let last = |app: &App| {
        app.editor
            .as_ref()
            .unwrap()
            .textarea
            .lines()
            .last()
            .unwrap()
            .clone()
    };
    assert_eq!(last(&app), "// Product.order_");
    press_ctrl(&mut app, 'y');
    assert_eq!(last(&app), "// Product.order_qty");
    // Esc closes the list, not the editor; Tab away from `Product.` indents.
    type_text(&mut app, " Product.");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert!(app.editor.as_ref().unwrap().completion.is_some());
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    let editor = app.editor.as_ref().expect("still in the editor");
    assert_eq!(editor.completion, None);
    type_text(&mut app, " ");
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    let last = app
        .editor
        .as_ref()
        .unwrap()
        .textarea
        .lines()
        .last()
        .unwrap()
        .clone();
    let before = "// Product.order_qty Product. ";
    let indent = 4 - before.len() % 4;
    assert_eq!(
        last,
        format!("{before}{}", " ".repeat(indent)),
        "Tab indents"
    );
}

/// F8 asks first, naming the lines the edits changed; n keeps everything,
/// y throws the edits away. Ctrl-Z undoes and Ctrl-Y redoes in the editor.
#[test]
fn the_editor_asks_before_discarding_and_undoes() {
    let mut app = editor_app();
    let text = app.rules_text.clone();
    type_text(&mut app, "// a note\n");
    press_ctrl(&mut app, 'g');
    type_text(&mut app, "5\n");
    type_text(&mut app, "x");
    let edited = app.editor.as_ref().unwrap().text();
    // One line in, line 4 of the rules changed: 2 in, 1 out, counted here.
    let old: Vec<&str> = text.lines().collect();
    let new: Vec<&str> = edited.lines().collect();
    assert_eq!(new.len(), old.len() + 1);
    let differ = (0..old.len()).filter(|&i| old[i] != new[i + 1]).count();
    assert_eq!(differ, 1);
    press(&mut app, KeyCode::F(8), KeyModifiers::NONE);
    let screen = render(&mut app, 80, 24);
    let words = popup_words(&screen, "┌ Discard the rule edits?");
    assert!(
        words.contains(
            "Discard your edits: 2 lines added, 1 line removed against the rules in force?"
        ),
        "{screen}"
    );
    insta::assert_snapshot!("editor_discard_question_80x24", screen);
    insta::assert_snapshot!("editor_discard_question_120x40", render(&mut app, 120, 40));
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none());
    assert_eq!(
        app.editor.as_ref().unwrap().text(),
        edited,
        "n keeps everything"
    );

    // Undo: the x, then the note; redo: the note again.
    press_ctrl(&mut app, 'z');
    assert_eq!(app.editor.as_ref().unwrap().textarea.lines()[4], old[3]);
    for _ in 0.."// a note\n".len() {
        press_ctrl(&mut app, 'z');
    }
    assert_eq!(app.editor.as_ref().unwrap().text(), text);
    press_ctrl(&mut app, 'y');
    assert_ne!(app.editor.as_ref().unwrap().text(), text);

    press(&mut app, KeyCode::F(8), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), text);
    assert_eq!(app.rules_draft, None);
    // Nothing edited: F8 asks nothing.
    press(&mut app, KeyCode::F(8), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none());
}

/// The mark of an error stands on its line whatever the scroll: PageDown
/// and PageUp move the view by pages (not just the cursor), and the gutter
/// is drawn from the view the editor keeps.
#[test]
fn the_error_mark_stays_on_its_line_after_paging() {
    use buyerdesk::tui::screens::editor::VALIDATE_AFTER_MS;
    let mut app = editor_app();
    let line = 1
        + (app.rules_text.lines())
            .position(|l| l.trim() == "Product.amount > 10000")
            .unwrap();
    press_ctrl(&mut app, 'g');
    type_text(&mut app, &format!("{line}\n"));
    press(&mut app, KeyCode::End, KeyModifiers::NONE);
    for _ in 0..5 {
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    }
    type_text(&mut app, "10_000");
    let later = app.now + chrono::Duration::milliseconds(VALIDATE_AFTER_MS + 1);
    assert!(app.validate_editor_if_due(later));
    let error = (app.editor.as_ref().unwrap().diagnostics.iter())
        .find(|d| d.is_error())
        .expect("10_000 is an error")
        .clone();
    assert_eq!(error.line, line, "{error:?}");

    press(&mut app, KeyCode::Home, KeyModifiers::CONTROL);
    render(&mut app, 80, 24);
    // Page down until the error's line shows (the file's length decides
    // how many pages), then one up and one down again.
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
        let screen = render(&mut app, 80, 24);
        if text_rows(&screen).iter().any(|r| r.1 == error.line) {
            break;
        }
    }
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    render(&mut app, 80, 24);
    press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    let screen = render(&mut app, 80, 24);
    let rows = assert_gutter(&app, &screen);
    let marked: Vec<usize> = rows.iter().filter(|r| r.0 == '●').map(|r| r.1).collect();
    assert_eq!(marked, [error.line], "{screen}");
    let editor = app.editor.as_ref().unwrap();
    let (row, _) = editor.textarea.cursor();
    assert!(
        editor.view.top > 0 && row != editor.view.top + rows.len() - 1,
        "a view the cursor did not make: {:?} {row}",
        editor.view
    );
    let marked_row = rows.iter().find(|r| r.0 == '●').unwrap();
    assert!(marked_row.2.contains("10_000"), "{screen}");
    insta::assert_snapshot!("editor_mark_after_paging_80x24", screen);
    let screen = render(&mut app, 120, 40);
    assert_gutter(&app, &screen);
    insta::assert_snapshot!("editor_mark_after_paging_120x40", screen);
}

/// A line wider than the screen: the text scrolls sideways under a gutter
/// that stays, the numbers and the marks in place.
#[test]
fn line_numbers_stay_when_the_text_scrolls_sideways() {
    let mut app = editor_app();
    let long = format!("// {}", "wide ".repeat(40));
    press_ctrl(&mut app, 'g');
    type_text(&mut app, "2\n");
    press(&mut app, KeyCode::End, KeyModifiers::NONE);
    type_text(&mut app, &long[2..]);
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, width, height);
        let rows = assert_gutter(&app, &screen);
        let editor = app.editor.as_ref().unwrap();
        assert!(editor.view.left > 0, "scrolled sideways at {width}");
        assert_eq!(rows[0].1, 1);
        // The cursor's line shows the end of what was typed.
        let row = rows.iter().find(|r| r.1 == 2).unwrap();
        assert!(row.2.contains("wide wide"), "{screen}");
        insta::assert_snapshot!(format!("editor_sideways_{width}x{height}"), screen);
    }
}

// ---------------------------------------------------------------------------
// Purchase orders: the list of POs, one PO, the y/n question and the
// drafting result, fed to `update` as the loop feeds the tasks' answers.

use buyerdesk::orders::{PoLine, PoStatus, Progress, PurchaseOrder, SendAttempt, Skipped};
use buyerdesk::tui::screens::orders::{OrderRequest, OrdersAnswer};

/// A fixed instant (10:00 UTC): the POs' times are UTC, so their ages do
/// not depend on the time zone the test runs in.
fn orders_clock() -> chrono::DateTime<chrono::Local> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Local)
}

/// A PO line: (purchase qty, its unit, stock qty, its unit) at `price` a
/// stock unit.
fn po_line(
    line_no: u32,
    product: &str,
    name: &str,
    qty: (f64, &str, f64, &str),
    price: f64,
) -> PoLine {
    let (purchase, purchase_uom, stock, stock_uom) = qty;
    PoLine {
        line_no,
        product_id: product.into(),
        product_name: Some(name.into()),
        qty_stock: stock,
        stock_uom: Some(stock_uom.into()),
        qty_purchase: purchase,
        purchase_uom: Some(purchase_uom.into()),
        pack: stock / purchase,
        stock_unit_price: price,
        amount_cents: (stock * price * 100.0).round() as i64,
        lead_time_days: 7.0,
        expected_delivery: "2026-11-28".into(),
        suggested_qty: stock,
        overridden: false,
        requires_approval: false,
        qty_received: 0.0,
    }
}

/// A PO as the store lists it (no lines), drafted `minutes` before 10:00.
fn po(number: u32, status: PoStatus, supplier: &str, cents: i64, minutes: u32) -> PurchaseOrder {
    PurchaseOrder {
        po_number: format!("PO-{number:06}"),
        send_key: format!("PO-{number:06}-7QK2M9XA3B"),
        supplier_id: None,
        supplier_name: supplier.into(),
        currency: if supplier.starts_with("XYZ") {
            "USD"
        } else {
            "EUR"
        }
        .into(),
        total_cents: cents,
        status,
        approval_reason: None,
        buyer: "alice".into(),
        created_at: (orders_clock() - chrono::Duration::minutes(i64::from(minutes)))
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        expected_delivery: "2026-11-28".into(),
        approved_by: None,
        approved_at: None,
        sent_at: None,
        confirmation: None,
        last_error: None,
        claim: None,
        claimed_at: None,
        updated_at: "2026-11-21T09:59:00Z".into(),
        line_count: 1,
        note: None,
        lines: Vec::new(),
    }
}

const XYZ_REASON: &str = "total 21,274.39 USD is above the approval threshold 10,000.00; the rules ask approval for PROD-002";

/// POs in several states, newest first: one being sent, one whose send
/// failed, one waiting for approval, a draft, a sent one and a cancelled one.
fn reference_pos() -> Vec<PurchaseOrder> {
    let mut sending = po(6, PoStatus::Approved, "Delta Chemicals GmbH", 1_245_000, 2);
    sending.approved_by = Some("alice".into());
    sending.approved_at = Some("2026-11-21T09:59:00Z".into());
    let mut failed = po(5, PoStatus::Approved, "Gamma Tools Ltd.", 47_490, 40);
    failed.line_count = 3;
    failed.approved_by = Some("alice".into());
    failed.approved_at = Some("2026-11-21T09:30:00Z".into());
    failed.last_error = Some("HTTP 503: upstream unavailable (gave up after 5 attempts)".into());
    let mut pending = po(
        2,
        PoStatus::PendingApproval,
        "XYZ Manufacturing",
        2_127_439,
        1500,
    );
    pending.approval_reason = Some(XYZ_REASON.into());
    let draft = po(1, PoStatus::Draft, "ABC Supplies Co.", 930_000, 1560);
    let mut sent = po(4, PoStatus::Sent, "ABC Supplies Co.", 3_100_000, 180);
    sent.line_count = 3;
    sent.sent_at = Some("2026-11-21T07:05:00Z".into());
    sent.approved_by = Some("bob".into());
    sent.approved_at = Some("2026-11-21T07:04:00Z".into());
    sent.confirmation = Some("wrote PO-000004.json and PO-000004.csv in /data/outbox".into());
    let cancelled = po(3, PoStatus::Cancelled, "Solvents United", 17_956_076, 300);
    vec![sending, failed, sent, cancelled, pending, draft]
}

/// The product list with healthy sources, at `orders_clock`.
fn orders_app() -> App {
    let mut app = App::new(reference_plans());
    app.now = orders_clock();
    let mut sources = healthy_sources();
    for s in &mut sources {
        s.last_ok = Some(orders_clock() - chrono::Duration::seconds(4));
    }
    app.apply_sources(sources);
    app
}

/// The requests the loop would take, taken.
fn requests(app: &mut App) -> Vec<OrderRequest> {
    std::mem::take(&mut app.orders_wanted)
}

/// `O`, and the store's answer: the POs on screen.
fn orders_screen() -> App {
    let mut app = orders_app();
    press(&mut app, KeyCode::Char('O'), KeyModifiers::SHIFT);
    assert!(app.orders.open, "O opens the purchase orders");
    let wanted = requests(&mut app);
    let [OrderRequest::List { request }] = wanted[..] else {
        panic!("the POs asked for: {wanted:?}");
    };
    app.update(Action::from(OrdersAnswer::Listed {
        request,
        result: Ok(reference_pos()),
    }));
    app
}

/// PO-000006 is being sent: attempt 2 of 5 failed, the next one follows.
fn with_a_send_under_way(app: &mut App) {
    for progress in [
        Progress::Attempt {
            po: "PO-000006".into(),
            attempt: 1,
            of: 5,
            channel: "http https://hub.example/po".into(),
        },
        Progress::Retrying {
            po: "PO-000006".into(),
            attempt: 1,
            wait: std::time::Duration::from_secs(1),
            reason: "HTTP 503".into(),
        },
        Progress::Attempt {
            po: "PO-000006".into(),
            attempt: 2,
            of: 5,
            channel: "http https://hub.example/po".into(),
        },
        Progress::Retrying {
            po: "PO-000006".into(),
            attempt: 2,
            wait: std::time::Duration::from_secs(2),
            reason: "HTTP 503".into(),
        },
    ] {
        app.update(OrdersAnswer::Progress(progress).into());
    }
}

fn line_of<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text:?} not on the screen:\n{screen}"))
}

#[test]
fn the_purchase_orders_list_at_80x24_and_120x40() {
    let mut app = orders_screen();
    with_a_send_under_way(&mut app);
    let screen = render(&mut app, 80, 24);
    assert!(
        line_of(&screen, "PO-000006").contains("retry in 2.0 s: HTTP 503"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "PO-000006").contains("sending"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "PO-000002").contains("21,274.39 USD"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "PO-000005").contains("send failed"),
        "{screen}"
    );
    assert!(
        footer(&screen)
            .starts_with("↑↓ move  Enter open  Space select  A approve  S send  X cancel"),
        "{screen}"
    );
    insta::assert_snapshot!("orders_80x24", screen);
    let wide = render(&mut app, 120, 40);
    for text in ["pending_approval", "179,560.76", "2026-11-28", "Lines"] {
        assert!(wide.contains(text), "{text:?} missing:\n{wide}");
    }
    insta::assert_snapshot!("orders_120x40", wide);
    // The highlighted PO's note in full, below the table.
    app.update(Action::Down);
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("gave up after 5 attempts"),
        "the failed send's note in full:\n{screen}"
    );
}

#[test]
fn progress_updates_the_row_and_the_result_of_a_send_shows() {
    let mut app = orders_screen();
    app.update(Action::Bottom);
    assert_eq!(app.orders.selected_po().unwrap().po_number, "PO-000001");
    // Selected alone: a draft within the threshold is sent after one
    // question, never approved on the way.
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    assert!(app.orders.marked.contains("PO-000001"));
    let screen = render(&mut app, 80, 24);
    assert!(
        line_of(&screen, "PO-000001").contains("✓ PO-000001 draft"),
        "the row shows the mark:\n{screen}"
    );
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty(), "nothing before the answer");
    assert_eq!(
        app.orders.confirm.as_ref().map(|c| c.question.as_str()),
        Some("Send PO-000001, 9,300.00 EUR, ABC Supplies Co.? y/n")
    );
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Send("PO-000001".into(), Some(930_000))],
        "the draft sent as the question showed it"
    );
    let note = |app: &App| {
        let po = app.orders.selected_po().unwrap();
        app.orders.note(po)
    };
    assert_eq!(note(&app), "sending...");
    // S again while it is sent: no second send.
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty());
    assert_eq!(app.message.as_deref(), Some("PO-000001 is being sent"));
    app.update(Action::from(OrdersAnswer::Progress(Progress::Attempt {
        po: "PO-000001".into(),
        attempt: 2,
        of: 5,
        channel: "http https://hub.example/po".into(),
    })));
    assert_eq!(note(&app), "sending: attempt 2/5");
    assert_eq!(app.orders.selected_po().unwrap().status, PoStatus::Sending);
    assert!(line_of(&render(&mut app, 80, 24), "PO-000001").contains("sending: attempt 2/5"));
    app.update(Action::from(OrdersAnswer::Progress(Progress::Retrying {
        po: "PO-000001".into(),
        attempt: 2,
        wait: std::time::Duration::from_millis(2000),
        reason: "HTTP 503".into(),
    })));
    assert_eq!(note(&app), "retry in 2.0 s: HTTP 503");

    // It fails: the reason on the message line and on the row; the plan
    // and the POs are read again.
    app.refresh_requested = false;
    app.update(Action::from(OrdersAnswer::Sent {
        number: "PO-000001".into(),
        result: Err("PO-000001 not sent: HTTP 503 (gave up after 5 attempts)".into()),
    }));
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000001 not sent: HTTP 503 (gave up after 5 attempts)")
    );
    assert_eq!(
        note(&app),
        "send failed: HTTP 503 (gave up after 5 attempts)"
    );
    assert_eq!(
        app.orders.selected_po().unwrap().status,
        PoStatus::Draft,
        "a draft whose send failed is a draft again: sending never approves"
    );
    assert!(app.refresh_requested, "the plan is refreshed");
    assert!(matches!(
        requests(&mut app)[..],
        [OrderRequest::List { .. }]
    ));
    let screen = render(&mut app, 80, 24);
    assert!(
        message_line(&screen).starts_with("PO-000001 not sent: HTTP 503"),
        "{screen}"
    );
    assert!(
        footer(&screen).starts_with("↑↓ move  Enter open  Space select  A approve  S send"),
        "the keys stay under the message:\n{screen}"
    );

    // S again (and y) retries; this time it goes.
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Send("PO-000001".into(), Some(930_000))]
    );
    app.update(Action::from(OrdersAnswer::Sent {
        number: "PO-000001".into(),
        result: Ok(buyerdesk::orders::SendOutcome {
            po_number: "PO-000001".into(),
            channel: "file /data/outbox".into(),
            confirmation: "wrote PO-000001.json and PO-000001.csv in /data/outbox".into(),
            attempts: 1,
            took_over_from: None,
        }),
    }));
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000001 sent via file /data/outbox (1 attempt)")
    );
    let po = app.orders.selected_po().unwrap();
    assert_eq!(
        (po.status, app.orders.note(po).as_str()),
        (PoStatus::Sent, "")
    );
}

#[test]
fn s_on_a_po_waiting_for_approval_says_so_and_sends_nothing() {
    let mut app = orders_screen();
    for _ in 0..4 {
        app.update(Action::Down);
    }
    assert_eq!(app.orders.selected_po().unwrap().po_number, "PO-000002");
    // Selected alone: refused, no question.
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty());
    assert!(app.orders.confirm.is_none());
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000002 needs approval first: A")
    );
    // Cancelled and sent POs are not sent either.
    app.update(Action::Up);
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    app.update(Action::Up);
    app.update(Action::Up);
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    assert_eq!(app.orders.marked.iter().collect::<Vec<_>>(), ["PO-000003"]);
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty());
    assert_eq!(app.message.as_deref(), Some("PO-000003 is cancelled"));
}

#[test]
fn approving_always_asks_first_and_only_y_approves() {
    let mut app = orders_screen();
    for _ in 0..4 {
        app.update(Action::Down);
    }
    // PO-000002 alone.
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    app.update(Action::Up);
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    let confirm = app.orders.confirm.as_ref().expect("A asks first");
    assert_eq!(
        confirm.question,
        "Approve PO-000002: 21,274.39 USD to XYZ Manufacturing? y/n"
    );
    assert_eq!(buyerdesk::tui::keys::screen(&app), Screen::Confirm);
    assert!(requests(&mut app).is_empty(), "nothing before y");
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Approve PO-000002: 21,274.39 USD to XYZ Manufacturing? y/n"),
        "{screen}"
    );
    insta::assert_snapshot!("approve_confirmation_80x24", screen);
    insta::assert_snapshot!("approve_confirmation_120x40", render(&mut app, 120, 40));
    // Other keys do nothing while it asks; n and Esc say no.
    for code in [KeyCode::Char('S'), KeyCode::Enter, KeyCode::Char('j')] {
        press(&mut app, code, KeyModifiers::NONE);
    }
    assert!(app.orders.confirm.is_some() && requests(&mut app).is_empty());
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none() && requests(&mut app).is_empty());
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.orders.confirm.is_none() && requests(&mut app).is_empty());
    assert!(app.orders.open, "Esc closed the question, not the screen");
    // y: the approval is asked of the store; its answer shows.
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Approve("PO-000002".into())]
    );
    let mut approved = reference_pos()[4].clone();
    approved.status = PoStatus::Approved;
    approved.approved_by = Some("alice".into());
    app.update(Action::from(OrdersAnswer::Changed {
        number: "PO-000002".into(),
        change: buyerdesk::tui::screens::orders::PoChange::Approve,
        result: Ok(approved),
    }));
    assert_eq!(app.orders.selected_po().unwrap().status, PoStatus::Approved);
    assert!(app.refresh_requested);
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000002 approved by alice: 21,274.39 USD to XYZ Manufacturing")
    );
    // A store error is a message, never a panic.
    press(&mut app, KeyCode::Char('X'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Cancel("PO-000002".into(), false)]
    );
    app.update(Action::from(OrdersAnswer::Changed {
        number: "PO-000002".into(),
        change: buyerdesk::tui::screens::orders::PoChange::Cancel,
        result: Err("purchasing store: database is locked".into()),
    }));
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000002 not cancelled: purchasing store: database is locked")
    );
}

#[test]
fn cancelling_an_unconfirmed_po_asks_a_question_that_names_the_risk() {
    let mut app = orders_app();
    press(&mut app, KeyCode::Char('O'), KeyModifiers::SHIFT);
    let wanted = requests(&mut app);
    let [OrderRequest::List { request }] = wanted[..] else {
        panic!("the POs asked for: {wanted:?}");
    };
    let mut unsure = po(7, PoStatus::Unconfirmed, "Gamma Tools Ltd.", 47_490, 40);
    unsure.last_error =
        Some("no answer within 30s (send_timeout_secs) (gave up after 5 attempts)".into());
    app.update(Action::from(OrdersAnswer::Listed {
        request,
        result: Ok(vec![unsure]),
    }));
    press(&mut app, KeyCode::Char('X'), KeyModifiers::SHIFT);
    let question = app
        .orders
        .confirm
        .as_ref()
        .expect("X asks first")
        .question
        .clone();
    for words in [
        "PO-000007 may have reached Gamma Tools Ltd.",
        "no answer within 30s",
        "Cancelling it here does not cancel it there",
        "Cancel anyway?",
    ] {
        assert!(question.contains(words), "{words:?} in {question:?}");
    }
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, w, h);
        // The popup shows the whole question (wrapped), its title the risk.
        let joined: String = screen
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '│' || c == '|' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains("the supplier may have it"),
            "{w}x{h}: title\n{screen}"
        );
        assert!(
            joined.contains("Cancel anyway?"),
            "{w}x{h}: question whole\n{screen}"
        );
        insta::assert_snapshot!(format!("cancel_unconfirmed_{w}x{h}"), screen);
    }
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Cancel("PO-000007".into(), true)],
        "yes: the cancel carries the buyer's word"
    );
    // n: nothing asked of the store.
    press(&mut app, KeyCode::Char('X'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(requests(&mut app).is_empty());
}

/// The open PO with its lines and attempts, as the store answers.
fn po_detail() -> App {
    let mut app = orders_screen();
    app.update(Action::Down);
    assert_eq!(app.orders.selected_po().unwrap().po_number, "PO-000005");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let wanted = requests(&mut app);
    let [OrderRequest::Load {
        request,
        ref number,
    }] = wanted[..]
    else {
        panic!("the PO asked for: {wanted:?}");
    };
    assert_eq!(number, "PO-000005");
    let mut po = reference_pos()[1].clone();
    po.supplier_id = Some("SUP-GAMMA".into());
    po.approval_reason = None;
    po.lines = vec![
        po_line(
            1,
            "SKU-0000012",
            "Sealed Gasket 12, heat resistant, pack of 12",
            (20.0, "box", 240.0, "pieces"),
            1.25,
        ),
        po_line(
            2,
            "SKU-0000044",
            "Hex Nut M8",
            (15.0, "bag", 1500.0, "pieces"),
            0.0848,
        ),
        po_line(
            3,
            "SKU-0000107",
            "Cutting Fluid 5",
            (12.0, "gallon", 45.4249, "liter"),
            1.05,
        ),
    ];
    po.lines[0].overridden = true;
    assert_eq!(
        po.lines.iter().map(|l| l.amount_cents).sum::<i64>(),
        po.total_cents,
        "the lines add up to the total"
    );
    let attempts = (1..=5)
        .map(|n| SendAttempt {
            attempt: n,
            at: format!("2026-11-21T09:3{n}:00Z"),
            user: "alice".into(),
            claim: "desk-7:4242:0badcafe".into(),
            channel: "http https://hub.example/po".into(),
            outcome: if n < 5 { "retry" } else { "failed" }.into(),
            detail: Some("HTTP 503: upstream unavailable".into()),
            finished_at: Some(format!("2026-11-21T09:3{n}:10Z")),
        })
        .collect();
    app.update(Action::from(OrdersAnswer::Loaded {
        request,
        number: "PO-000005".into(),
        result: Ok((po, attempts)),
    }));
    app
}

#[test]
fn the_po_detail_at_80x24_and_120x40() {
    let mut app = po_detail();
    assert_eq!(buyerdesk::tui::keys::screen(&app), Screen::Order);
    let screen = render(&mut app, 80, 24);
    for text in [
        "PO-000005  approved  Gamma Tools Ltd. (SUP-GAMMA)",
        "Last send failed: HTTP 503",
        "20 box",
        "12 gallon",
        "45.4249",
        "300.00",
        "127.20",
    ] {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
    insta::assert_snapshot!("po_detail_80x24", screen);
    let wide = render(&mut app, 120, 40);
    for text in ["Hex Nut M8", "#5  failed", "Send attempts"] {
        assert!(wide.contains(text), "{text:?} missing:\n{wide}");
    }
    insta::assert_snapshot!("po_detail_120x40", wide);
    // It scrolls to its end (the last attempt), no further.
    app.update(Action::Bottom);
    let end = render(&mut app, 80, 24);
    assert!(end.contains("#5  failed"), "{end}");
    let scroll = app.orders.detail.as_ref().unwrap().scroll;
    app.update(Action::Down);
    render(&mut app, 80, 24);
    assert_eq!(app.orders.detail.as_ref().unwrap().scroll, scroll);
    // Esc: the list again; Esc: the products.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.orders.open && app.orders.detail.is_none());
    press(&mut app, KeyCode::Char('q'), KeyModifiers::NONE);
    assert!(!app.orders.open && !app.should_quit);
    assert!(render(&mut app, 80, 24).contains("Demand/d"));
}

#[test]
fn p_drafts_the_selected_products_and_shows_what_was_left_out() {
    let mut app = orders_app();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    // PROD-001, PROD-002 and PROD-004 selected.
    app.update(Action::ToggleSelect);
    app.update(Action::ToggleSelect);
    app.update(Action::Down);
    app.update(Action::ToggleSelect);
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let products = vec![
        "PROD-001".to_string(),
        "PROD-002".to_string(),
        "PROD-004".to_string(),
    ];
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Draft {
            products: products.clone(),
            allow_stale: Vec::new(),
        }],
        "exactly the selected products"
    );
    assert!(app.orders.confirm.is_none(), "no question with a selection");
    let abc = po(7, PoStatus::Draft, "ABC Supplies Co.", 930_000, 0);
    let mut xyz = po(
        8,
        PoStatus::PendingApproval,
        "XYZ Manufacturing",
        2_127_439,
        0,
    );
    xyz.approval_reason = Some(XYZ_REASON.into());
    app.update(Action::from(OrdersAnswer::Drafted {
        products,
        result: Ok((
            vec![abc, xyz],
            vec![
                Skipped {
                    product_id: "PROD-004".into(),
                    reason: "nothing to order: the suggestion is 0".into(),
                },
                Skipped {
                    product_id: "SKU-0000031".into(),
                    reason: "its supplier is inactive (SUPPLIER_INACTIVE): supplier Omega Parts (SUP-OMEGA) is inactive: no order".into(),
                },
            ],
        )),
    }));
    assert_eq!(
        app.message.as_deref(),
        Some("2 POs drafted, 2 products left out")
    );
    assert!(app.orders.open, "the Orders screen opens");
    assert!(app.refresh_requested, "the plan is refreshed");
    assert_eq!(
        app.for_order.iter().cloned().collect::<Vec<_>>(),
        ["PROD-004"],
        "the products now on a PO are no longer selected"
    );
    assert!(
        matches!(requests(&mut app)[..], [OrderRequest::List { .. }]),
        "the POs are read again"
    );
    let screen = render(&mut app, 80, 24);
    for text in [
        "PROD-004",
        "nothing to order: the suggestion is 0",
        "its supplier is inactive (SUPPLIER_INACTIVE)",
        "PO-000007",
        "2 POs drafted, 2 products left out",
    ] {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
    insta::assert_snapshot!("drafted_80x24", screen);
    insta::assert_snapshot!("drafted_120x40", render(&mut app, 120, 40));
    // Esc closes it: the new POs are listed.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.orders.drafted.is_none() && app.orders.open);
    let screen = render(&mut app, 80, 24);
    assert!(line_of(&screen, "PO-000007").contains("draft"), "{screen}");
}

#[test]
fn p_without_a_selection_asks_before_drafting_every_needed_product() {
    let mut app = orders_app();
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty(), "nothing before the answer");
    let confirm = app.orders.confirm.as_ref().expect("a question");
    // (what the draft will make comes between: tests/orders_screen.rs)
    assert!(
        confirm
            .question
            .starts_with("Draft 3 POs for 3 products from 3 suppliers: ")
            && confirm.question.ends_with("? y/n"),
        "{}",
        confirm.question
    );
    assert!(render(&mut app, 80, 24).contains("Draft 3 POs for 3 products"));
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(requests(&mut app).is_empty());
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Draft {
            products: vec!["PROD-001".into(), "PROD-002".into(), "PROD-003".into()],
            allow_stale: Vec::new(),
        }]
    );
    // A failed draft: the message, the list stays.
    app.update(Action::from(OrdersAnswer::Drafted {
        products: vec!["PROD-001".into()],
        result: Err("purchasing store: disk full".into()),
    }));
    assert_eq!(
        app.message.as_deref(),
        Some("No PO drafted: purchasing store: disk full")
    );
    assert!(!app.orders.open);
}

#[test]
fn sends_a_crash_cut_off_are_reported_at_start() {
    let mut app = orders_app();
    app.update(Action::from(OrdersAnswer::Recovered(Ok(vec![]))));
    assert_eq!(app.message, None, "nothing to say");
    app.update(Action::from(OrdersAnswer::Recovered(Ok(vec![(
        "PO-000003".into(),
        Ok(buyerdesk::orders::SendOutcome {
            po_number: "PO-000003".into(),
            channel: "file /data/outbox".into(),
            confirmation: "wrote".into(),
            attempts: 1,
            took_over_from: Some("desk-7:4242:0badcafe".into()),
        }),
    )]))));
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000003: send finished after a crash (same key)")
    );
    assert!(app.refresh_requested);
}

/// Filter text is matched in memory against the plans on screen; SQL in it
/// is just text that matches nothing, and no request leaves the screen.
#[test]
fn sql_typed_into_the_filter_is_only_text() {
    let mut app = reference_app();
    app.update(Action::StartFilter);
    for c in "'; DROP TABLE suppliers; --".chars() {
        app.update(Action::FilterInput(c));
    }
    assert!(ids(&app).is_empty());
    assert!(app.pending.is_none() && !app.refresh_requested);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|f| buyerdesk::tui::view::draw(f, &mut app))
        .unwrap();
    app.update(Action::FilterDone);
    app.update(Action::ClearFilter);
    assert_eq!(ids(&app).len(), 4);
}

/// Inventory is stale (read 2 minutes ago): `P` drafts nothing until the
/// buyer confirms a question that names inventory and the age of its data;
/// `n` drafts nothing; `y` drafts with inventory's last data allowed, and
/// only inventory's.
#[test]
fn p_with_stale_data_asks_naming_the_stale_sources() {
    let ctx = PlanContext {
        stale_sources: vec![plan::StaleSource {
            source: "inventory".into(),
            as_of: "09:58:00".into(),
            error: "inventory source (postgres://inv-db:5432/inventory): connection refused".into(),
        }],
        ..Default::default()
    };
    let plans = plan::plan_all(&plan::join(reference_rows()), &ctx, &RuleSet::embedded());
    let mut app = App::new(plans);
    app.now = orders_clock();
    let mut sources = healthy_sources();
    let inventory = &mut sources[SourceKind::Inventory as usize];
    inventory.state = LinkState::Down;
    inventory.last_ok = Some(orders_clock() - chrono::Duration::seconds(120));
    inventory.error = Some("connection refused".into());
    app.apply_sources(sources);

    // One product selected.
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    app.update(Action::ToggleSelect);
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty(), "nothing before the answer");
    let question = &app.orders.confirm.as_ref().expect("a question").question;
    assert_eq!(
        question,
        "inventory (read 2m ago) is stale: draft from its last data anyway? (y/n)"
    );
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(requests(&mut app).is_empty());
    assert_eq!(
        app.message.as_deref(),
        Some("Nothing drafted: inventory stale")
    );

    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    assert!(render(&mut app, 80, 24).contains("inventory (read 2m ago) is stale"));
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Draft {
            products: vec!["PROD-001".into()],
            allow_stale: vec!["inventory".into()],
        }]
    );

    // Nothing selected: one question for all, naming the stale source too.
    let mut app2 = App::new(app.plans.clone());
    app2.now = app.now;
    app2.apply_sources(app.sources.clone());
    press(&mut app2, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let question = &app2.orders.confirm.as_ref().expect("a question").question;
    // (what the draft will make comes between: tests/orders_screen.rs)
    assert!(
        question.starts_with("Draft 3 POs for 3 products from 3 suppliers: ")
            && question.ends_with(
                ". inventory (read 2m ago) is stale: draft from its last data anyway? (y/n)"
            ),
        "{question}"
    );
}

/// The editor's dry run on products bought in EUR and USD: a total per
/// currency (each the sum of that currency's orders, recomputed from the
/// plans), the currency beside each amount, and at 80 columns every line
/// broken between figures, never through one.
#[test]
fn the_editors_dry_run_totals_each_currency_apart() {
    use buyerdesk::live::SharedDryRun;
    let mut rows = reference_rows();
    for s in &mut rows.suppliers {
        let currency = if &*s.product_id == "PROD-002" {
            "EUR"
        } else {
            "USD"
        };
        s.currency = Some(currency.into());
    }
    let products = plan::join(rows);
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let text = app.rules_text.replace(
        "Product.rounding_multiple = Product.moq;",
        "Product.rounding_multiple = 1.0;",
    );
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &text,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::F(5), KeyModifiers::NONE);
    let (request, _) = app.dry_run_wanted.take().expect("a dry run asked for");
    let candidate = buyerdesk::rules::load(&text, "candidate.grl").unwrap();
    let ctx = PlanContext::default();
    let result = buyerdesk::rules::dry_run(&products, &ctx, &RuleSet::embedded(), &candidate);
    app.dry_run_done(request, Ok(SharedDryRun(std::sync::Arc::new(result))));
    // What a buyer adds up: each currency's orders, before and after.
    let sum = |rules: &RuleSet, currency: &str| -> f64 {
        let cents: i64 = plan::plan_all(&products, &ctx, rules)
            .iter()
            .filter(|p| p.currency.as_deref() == Some(currency))
            .map(|p| (p.amount * 100.0).round() as i64)
            .sum();
        cents as f64 / 100.0
    };
    let money = |s: &str| -> f64 { s.trim_end_matches(',').replace(',', "").parse().unwrap() };
    for (width, height) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, width, height);
        let words: Vec<&str> = screen
            .lines()
            .flat_map(|l| l.trim_matches('"').split_whitespace())
            .collect();
        for currency in ["EUR", "USD"] {
            let at = words
                .windows(2)
                .position(|w| w == ["total", currency])
                .unwrap_or_else(|| panic!("no total in {currency} at {width}:\n{screen}"));
            assert_eq!(words[at + 3], "->");
            assert_eq!(
                (money(words[at + 2]), money(words[at + 4])),
                (
                    sum(&RuleSet::embedded(), currency),
                    sum(&candidate, currency)
                ),
                "{currency} at {width}:\n{screen}"
            );
        }
        // PROD-002, the one in EUR: its amounts with their currency, whole.
        let row = screen
            .lines()
            .skip_while(|l| !l.contains("PROD-002"))
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            row.contains("amount 21,274.39 -> 20,723.24 EUR"),
            "at {width}:\n{screen}"
        );
        assert!(
            row.contains("order 850.9756 -> 828.9296"),
            "at {width}:\n{screen}"
        );
    }
}

// ---------------------------------------------------------------------
// The list never cuts an id or a figure: every cell read back from the
// screen and checked against the plan, at 80x24, 100x30 and 120x40.

use buyerdesk::plan::numbers::{round_money, round_qty, unit_word};
use buyerdesk::plan::{ExceptionCode, OverrideNote};
use buyerdesk::tui::screens::list::Field;

const EVERY_SORT: [Column; 11] = Column::ALL;

/// The badges of the list in the order the issue asks for: what makes the
/// figures unreliable, then what is already being ordered, then the rest.
fn badge_rank(badge: &str) -> usize {
    [
        "STALE", "BAD", "RULE", "DRAFT", "PO", "OVR", "OUT", "SAFETY", "NOSUP", "INACTIVE", "UOM!",
        "UOM?", "APPR", "LATE", "OVER", "NODEMAND", "USED",
    ]
    .iter()
    .position(|b| *b == badge)
    .unwrap_or_else(|| panic!("unknown badge {badge}"))
}

/// A product's badges, the most important first (written out here, apart
/// from the view's own table).
fn expected_badges(p: &ProductPlan) -> Vec<&'static str> {
    let mut badges: Vec<&'static str> = p
        .exceptions
        .iter()
        .map(|c| match c {
            ExceptionCode::Stockout => "OUT",
            ExceptionCode::BelowSafety => "SAFETY",
            ExceptionCode::OrderLate => "LATE",
            ExceptionCode::NoSupplier => "NOSUP",
            ExceptionCode::SupplierInactive => "INACTIVE",
            ExceptionCode::UomMissing => "UOM?",
            ExceptionCode::UomInvalid => "UOM!",
            ExceptionCode::BadData => "BAD",
            ExceptionCode::NoDemand => "NODEMAND",
            ExceptionCode::Overshoot => "OVER",
            ExceptionCode::OpenPo => "PO",
            ExceptionCode::Overridden => "OVR",
            ExceptionCode::SourceStale => "STALE",
            ExceptionCode::RuleError => "RULE",
            ExceptionCode::OnPo => "DRAFT",
        })
        .collect();
    if p.requires_approval {
        badges.push("APPR");
    }
    if p.override_used.is_some() {
        badges.push("USED");
    }
    badges.sort_by_key(|b| badge_rank(b));
    badges
}

/// The demo's 2,000 products and the widest figures a list can meet:
/// orders over a million in three currencies, a long id, overrides with
/// decimals, flags of every kind, selection marks.
fn widest_app() -> App {
    let mut rows = buyerdesk::demo::generate(2000, 16, Backend::Sqlite).into_source_rows();
    for (k, currency) in [(1.0, "EUR"), (2.0, "USD"), (3.0, "GBP")] {
        let id = format!("BIG-{:07}", k as u32);
        fixtures::add_product(
            &mut rows,
            &id,
            "Bulk Resin",
            5000.0 * k,
            "increasing",
            (-250.0, 0.0, "WH-Z-99"),
            ("Bulk Chemicals International GmbH", 12.34, 1000.0, 30.0),
            ("kg", "sack", 25.0),
        );
        rows.suppliers.last_mut().unwrap().currency = Some(currency.into());
    }
    fixtures::add_product(
        &mut rows,
        "LONG-ID/WAREHOUSE-EAST/000042",
        "Long Id Part",
        12.5,
        "stable",
        (3.0, 1.0, "WH-E-42"),
        ("ABC Supplies Co.", 1999.99, 10.0, 14.0),
        ("pieces", "box", 12.0),
    );
    rows.suppliers.last_mut().unwrap().currency = Some("EUR".into());
    let mut plans = plan::plan_all(
        &plan::join(rows),
        &PlanContext::default(),
        &RuleSet::embedded(),
    );
    // Overrides with decimals (a pack more, in stock units: 200.62 -> 220.46),
    // and one over a million.
    let mut overridden = 0;
    for p in plans.iter_mut().filter(|p| p.order_qty > 0.0) {
        let factor = p.conversion_factor.get().unwrap_or(1.0);
        if factor.fract() != 0.0 && overridden < 40 {
            let qty = round_qty((p.purchase_qty + 9.0) * factor);
            p.apply_override(Some(&OverrideNote {
                revision: None,
                used_by: None,
                order_qty: qty,
                reason: "PROMO by alice".into(),
            }));
            overridden += 1;
        } else if p.product_id.starts_with("BIG-0000003") {
            p.apply_override(Some(&OverrideNote {
                revision: None,
                used_by: None,
                order_qty: 1_234_567.5,
                reason: "PROMO by alice".into(),
            }));
        }
    }
    assert!(overridden >= 20, "overrides with decimals: {overridden}");
    // Flags of every kind: stale sources, rule errors, draft and open POs.
    for (k, p) in plans.iter_mut().enumerate() {
        let extra: &[ExceptionCode] = match k % 23 {
            0 => &[ExceptionCode::SourceStale],
            5 => &[ExceptionCode::OnPo],
            9 => &[ExceptionCode::OpenPo, ExceptionCode::SourceStale],
            14 => &[ExceptionCode::RuleError],
            _ => &[],
        };
        if !extra.is_empty() {
            let mut codes = p.exceptions.to_vec();
            codes.extend_from_slice(extra);
            codes.sort();
            codes.dedup();
            p.exceptions = codes.into();
        }
    }
    let mut app = App::new(plans);
    app.now = clock();
    app.apply_sources(healthy_sources());
    // Every fifth product selected for ordering.
    let ids: Vec<String> = app
        .plans
        .iter()
        .step_by(5)
        .map(|p| p.product_id.to_string())
        .collect();
    app.for_order.extend(ids);
    assert!(app.plans.iter().any(|p| p.has(ExceptionCode::BadData)));
    assert!(app.plans.iter().any(|p| p.amount > 1_000_000.0));
    app
}

/// A list number as a buyer reads it: "1,234.5" is 1234.5.
fn number(text: &str, what: &str) -> f64 {
    text.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{what}: {text:?} is not a whole number"))
}

/// The text of one cell of the buffer, trimmed.
fn cell_at(buffer: &ratatui::buffer::Buffer, x: u16, width: u16, y: u16) -> String {
    (x..x + width)
        .map(|x| buffer[(x, y)].symbol())
        .collect::<String>()
        .trim()
        .to_string()
}

/// Money per currency from the plans themselves, in cents.
fn totals_by_currency(plans: &[ProductPlan]) -> Vec<(Option<String>, i64, usize)> {
    let mut totals: Vec<(Option<String>, i64, usize)> = Vec::new();
    // Products on a draft or pending PO (ON_PO) are ordered already.
    // What will be ordered: the buyer's quantity x the unit price where
    // there is one (0: nothing), else the suggestion's amount.
    for p in plans.iter().filter(|p| !p.has(ExceptionCode::OnPo)) {
        let (qty, amount) = match p.override_qty.get() {
            Some(q) => (q, q * p.unit_price.unwrap_or(0.0)),
            None => (p.order_qty, p.amount),
        };
        if qty <= 0.0 {
            continue;
        }
        let currency = p.currency.as_deref().map(str::to_string);
        let cents = (amount * 100.0).round() as i64;
        match totals.iter_mut().find(|t| t.0 == currency) {
            Some(t) => {
                t.1 += cents;
                t.2 += 1;
            }
            None => totals.push((currency, cents, 1)),
        }
    }
    totals
}

/// Reads every row of the list back and checks each cell against the
/// plan: the id whole, each figure the plan's as the list formats it, the
/// flags in order of importance with the count of the rest; the totals
/// line per currency.
fn assert_list_matches_plans(app: &App, buffer: &ratatui::buffer::Buffer, at: &str) {
    let width = buffer.area.width;
    let height = buffer.area.height;
    let columns = &app.list_columns;
    // The columns fit, side by side, and the essential ones are there.
    let mut edge = 0;
    for c in columns {
        assert!(c.x >= edge, "{at}: {:?} overlaps", c.field);
        edge = c.x + c.width;
    }
    assert!(edge <= width, "{at}: the columns end at {edge}");
    for must in [Field::Mark, Field::Product, Field::Order, Field::Flags] {
        assert!(columns.iter().any(|c| c.field == must), "{at}: {must:?}");
    }
    for f in &app.hidden_columns {
        assert!(!columns.iter().any(|c| c.field == *f), "{at}: {f:?}");
    }
    assert_eq!(columns.len() + app.hidden_columns.len(), 13, "{at}");
    // Header, chips, totals, titles, then the rows.
    let titles = 3;
    for c in columns {
        let title = cell_at(buffer, c.x, c.width, titles);
        assert!(
            title.starts_with(c.field.title()),
            "{at}: {:?} titled {title:?}",
            c.field
        );
    }
    let listed: Vec<&ProductPlan> = app.view.iter().map(|&i| &app.plans[i]).collect();
    let mut currencies: Vec<Option<&str>> = listed
        .iter()
        .filter(|p| p.amount > 0.0)
        .map(|p| p.currency.as_deref())
        .collect();
    currencies.sort();
    currencies.dedup();
    let mixed = currencies.len() > 1;
    let mut rows = 0;
    for y in titles + 1..height - 1 {
        let Some(p) = listed.get(app.offset + usize::from(y - titles - 1)) else {
            break;
        };
        rows += 1;
        let id = &*p.product_id;
        for c in columns {
            let text = cell_at(buffer, c.x, c.width, y);
            let what = format!("{at}: {id} {:?} {text:?}", c.field);
            let money = |v: f64| round_money(v);
            let qty = |t: &str, v: Option<f64>| match v {
                Some(v) => assert_eq!(number(t, &what), round_money(v), "{what}"),
                None => assert_eq!(t, "-", "{what}"),
            };
            match c.field {
                Field::Mark => assert_eq!(
                    text,
                    if app.for_order.contains(id) {
                        "✓"
                    } else {
                        ""
                    },
                    "{what}"
                ),
                Field::Product => assert_eq!(text, id, "{what}: the id whole"),
                Field::Name | Field::Supplier => {
                    let full = match c.field {
                        Field::Name => p.product_name.as_deref().unwrap_or(""),
                        _ => p.supplier_name.as_deref().unwrap_or("-"),
                    };
                    match text.strip_suffix('…') {
                        Some(head) => assert!(full.starts_with(head), "{what}"),
                        None => assert_eq!(text, full, "{what}"),
                    }
                }
                // The demand the plan used, marked f when the forecast's.
                Field::Demand => match p.demand_per_day() {
                    Some(d) => {
                        let arrow = match p.trend.as_deref() {
                            Some("increasing") => "↑",
                            Some("decreasing") => "↓",
                            Some("stable") => "→",
                            _ => "",
                        };
                        let figure = text.strip_suffix(arrow).expect(&what);
                        let f = p.forecast.as_deref();
                        let forecast = f.is_some_and(|f| {
                            matches!(f.status.as_str(), "current" | "stale")
                                && f.method != "oms_average"
                                && (f.forecast_daily - d).abs() < 1e-9
                        });
                        let figure = match forecast {
                            true => figure.strip_suffix('f').expect(&what),
                            false => figure,
                        };
                        assert_eq!(number(figure, &what), money(d), "{what}");
                    }
                    None => assert_eq!(text, "-", "{what}"),
                },
                // "AXs": ABC, XYZ, the demand class's letter (none while
                // not computed, or without history).
                Field::Class => {
                    let f = p.forecast.as_deref();
                    let class = f.and_then(|f| match f.status.as_str() {
                        "current" | "stale" => Some(f.class),
                        "short" => Some("short"),
                        _ => None,
                    });
                    let letter = match class {
                        Some("smooth") => "s",
                        Some("erratic") => "e",
                        Some("intermittent") => "i",
                        Some("lumpy") => "l",
                        Some("short") => "h",
                        _ => "-",
                    };
                    let expected = format!(
                        "{}{}{letter}",
                        f.and_then(|f| f.abc_class).unwrap_or("-"),
                        f.and_then(|f| f.xyz_class).unwrap_or("-")
                    );
                    assert_eq!(text, expected, "{what}");
                }
                Field::Available => qty(&text, p.available_qty.get()),
                Field::OnOrder => qty(&text, p.on_order_qty.get()),
                Field::Cover => match p.days_of_cover.get() {
                    Some(c) => assert_eq!(number(&text, &what), (c * 10.0).round() / 10.0),
                    None => assert_eq!(text, "-", "{what}"),
                },
                Field::Order => match (p.override_qty.get(), p.order_qty > 0.0) {
                    (Some(o), _) => {
                        let (suggested, buyers) = text.split_once('→').expect(&what);
                        assert_eq!(number(suggested, &what), money(p.order_qty), "{what}");
                        assert_eq!(number(buyers, &what), money(o), "{what}");
                    }
                    (None, true) => assert_eq!(number(&text, &what), money(p.order_qty)),
                    (None, false) => assert_eq!(text, "", "{what}"),
                },
                // The buyer's quantity when overridden: its purchase
                // units (qty / pack) and its amount (qty x price).
                Field::Purchase | Field::Amount => {
                    let (purchase, amount) = match p.override_qty.get() {
                        Some(o) => (
                            round_qty(o / p.conversion_factor.filter(|f| *f > 0.0).unwrap_or(1.0)),
                            (o * p.unit_price.unwrap_or(0.0) * 100.0).round() / 100.0,
                        ),
                        None => (p.purchase_qty, p.amount),
                    };
                    match c.field {
                        Field::Purchase if purchase > 0.0 => {
                            let (figure, unit) = text.split_once(' ').expect(&what);
                            assert_eq!(number(figure, &what), money(purchase), "{what}");
                            let uom = p.purchase_uom.as_deref().unwrap_or("units");
                            assert_eq!(unit, unit_word(round_qty(purchase), uom), "{what}");
                        }
                        Field::Amount if amount > 0.0 => {
                            let (figure, currency) = match text.split_once(' ') {
                                Some((f, c)) => (f, Some(c)),
                                None => (text.as_str(), None),
                            };
                            assert_eq!(number(figure, &what), money(amount), "{what}");
                            match (mixed, currency) {
                                (true, Some(c)) => {
                                    assert_eq!(c, p.currency.as_deref().unwrap_or("?"))
                                }
                                (false, None) => {}
                                _ => panic!("{what}: the currency shown only when several"),
                            }
                        }
                        _ => assert_eq!(text, "", "{what}"),
                    }
                }
                Field::Flags => {
                    let expected = expected_badges(p);
                    let mut shown: Vec<&str> = text.split_whitespace().collect();
                    let more = match shown.last().and_then(|t| t.strip_prefix('+')) {
                        Some(n) => {
                            let n: usize = n.parse().expect(&what);
                            shown.pop();
                            n
                        }
                        None => 0,
                    };
                    assert_eq!(
                        shown,
                        expected[..shown.len()],
                        "{what}: most important first"
                    );
                    assert_eq!(shown.len() + more, expected.len(), "{what}: all counted");
                    assert_eq!(
                        expected.is_empty(),
                        text.is_empty(),
                        "{what}: at least one flag shown"
                    );
                }
            }
        }
    }
    let expected_rows = listed
        .len()
        .saturating_sub(app.offset)
        .min(usize::from(height - 5));
    assert_eq!(rows, expected_rows, "{at}: every row drawn");
    // The totals: one per currency, each the sum of its suggested orders
    // ("To order: 9,300.00 EUR (3 products), 1,250.00 USD (1) | ...").
    let line = cell_at(buffer, 0, width, 2);
    let mut totals = totals_by_currency(&app.plans);
    totals.sort_by(|a, b| (a.0.is_none(), &a.0).cmp(&(b.0.is_none(), &b.0)));
    let segment = line.split(" | ").next().unwrap();
    if totals.is_empty() {
        assert_eq!(segment, "Nothing to order", "{at}");
        return;
    }
    let list = segment.strip_prefix("To order: ").expect(&line);
    let (list, more) = match list.rsplit_once(" +") {
        Some((l, m)) if m.ends_with(" more") => (l, number(&m[..m.len() - 5], &line) as usize),
        _ => (list, 0),
    };
    let items: Vec<&str> = list.split(", ").filter(|i| !i.is_empty()).collect();
    assert_eq!(
        items.len() + more,
        totals.len(),
        "{at}: every currency: {line}"
    );
    let named = totals.len() > 1 || totals[0].0.is_some();
    for (item, (currency, cents, products)) in items.iter().zip(&totals) {
        let what = format!("{at}: total {item:?} in {line:?}");
        let (item, count) = match item.rsplit_once(" (") {
            Some((head, n)) if n.starts_with(|c: char| c.is_ascii_digit()) => {
                let n = n.trim_end_matches(')').trim_end_matches(" products");
                (
                    head,
                    Some(number(n.trim_end_matches(" product"), &what) as usize),
                )
            }
            _ => (*item, None),
        };
        let (figure, label) = item.split_once(' ').unwrap_or((item, ""));
        assert_eq!(number(figure, &what), *cents as f64 / 100.0, "{what}");
        let expected = match currency {
            Some(c) => c.as_str(),
            None if named => "(no currency)",
            None => "",
        };
        assert_eq!(label, expected, "{what}");
        if let Some(n) = count {
            assert_eq!(n, *products, "{what}");
        }
    }
}

#[test]
fn every_row_shows_its_whole_id_and_only_the_plans_figures() {
    let mut app = widest_app();
    // Where the widest figures are: the big orders, the long id, the
    // overrides.
    let widest: Vec<String> = app
        .plans
        .iter()
        .filter(|p| p.amount > 1_000_000.0 || p.product_id.len() > 11 || p.override_qty.is_some())
        .map(|p| p.product_id.to_string())
        .take(12)
        .collect();
    for (width, height) in [(80, 24), (100, 30), (120, 40)] {
        for column in EVERY_SORT {
            for reverse in [false, true] {
                app.sort = (column, reverse);
                app.rebuild_view();
                let mut places: Vec<usize> = vec![0, app.view.len() / 2, app.view.len() - 1];
                places.extend(widest.iter().filter_map(|id| {
                    app.view
                        .iter()
                        .position(|&i| *app.plans[i].product_id == **id)
                }));
                for place in places {
                    app.selected = place;
                    let buffer = buffer_of(&mut app, width, height);
                    let at = format!(
                        "{width}x{height} sorted by {column:?} (reverse {reverse}) at {place}"
                    );
                    assert_list_matches_plans(&app, &buffer, &at);
                }
            }
        }
    }
}

/// Amounts in different currencies are never ranked against each other:
/// sorted by amount, each currency is one block, its amounts in order.
#[test]
fn sorting_by_amount_groups_the_currencies() {
    let mut app = widest_app();
    for reverse in [false, true] {
        app.sort = (Column::Amount, reverse);
        app.rebuild_view();
        let listed: Vec<&ProductPlan> = app.view.iter().map(|&i| &app.plans[i]).collect();
        let mut seen: Vec<Option<&str>> = Vec::new();
        for pair in listed.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.currency == b.currency {
                let in_order = if reverse {
                    a.amount <= b.amount
                } else {
                    a.amount >= b.amount
                };
                assert!(in_order, "{} before {}", a.product_id, b.product_id);
            } else {
                assert!(
                    !seen.contains(&b.currency.as_deref()),
                    "{:?} comes back after {}",
                    b.currency,
                    a.product_id
                );
            }
            if seen.last() != Some(&a.currency.as_deref()) {
                seen.push(a.currency.as_deref());
            }
        }
        let found: std::collections::BTreeSet<Option<&str>> =
            listed.iter().map(|p| p.currency.as_deref()).collect();
        assert!(found.len() >= 4, "EUR, GBP, USD and none: {found:?}");
    }
    // Said in the line above the titles, shorter on a narrow screen.
    let screen = render(&mut app, 120, 40);
    assert!(
        screen
            .lines()
            .nth(2)
            .unwrap()
            .contains("by amount within each currency"),
        "{screen}"
    );
    let screen = render(&mut app, 80, 24);
    assert!(
        screen
            .lines()
            .nth(2)
            .unwrap()
            .contains("sorted per currency"),
        "{screen}"
    );
}

/// Reference products in two currencies, one overridden with decimals, two
/// selected, one on a draft PO, one on an open PO and one stale.
fn mixed_app() -> App {
    let mut plans = reference_plans();
    for p in &mut plans {
        p.currency = Some(
            if &*p.product_id == "PROD-002" {
                "EUR"
            } else {
                "USD"
            }
            .into(),
        );
        let extra = match &*p.product_id {
            "PROD-001" => Some(ExceptionCode::OnPo),
            "PROD-003" => Some(ExceptionCode::SourceStale),
            "PROD-004" => Some(ExceptionCode::OpenPo),
            _ => None,
        };
        if let Some(code) = extra {
            let mut codes = p.exceptions.to_vec();
            codes.push(code);
            codes.sort();
            p.exceptions = codes.into();
        }
        if &*p.product_id == "PROD-002" {
            // 386 lb + 9 lb, in kg.
            p.apply_override(Some(&OverrideNote {
                revision: None,
                used_by: None,
                order_qty: round_qty(395.0 * 2.2046),
                reason: "PROMO by alice".into(),
            }));
        }
    }
    let mut app = App::new(plans);
    app.now = clock();
    app.apply_sources(healthy_sources());
    app.for_order
        .extend(["PROD-002".to_string(), "PROD-003".to_string()]);
    app
}

#[test]
fn mixed_currencies_overrides_and_flags_at_80x24_and_120x40() {
    let mut app = mixed_app();
    for (width, height) in [(80, 24), (120, 40)] {
        let buffer = buffer_of(&mut app, width, height);
        assert_list_matches_plans(&app, &buffer, &format!("{width}x{height}"));
    }
    let wide = render(&mut app, 120, 40);
    let totals = wide.lines().nth(2).unwrap();
    assert!(
        // PROD-001 (9,300.00 USD) is on a draft PO: ordered already;
        // PROD-002 at the buyer's 395 lb (870.817 kg x 25.00 = 21,770.43
        // EUR), not the suggestion's 21,274.39.
        totals.contains("To order: 21,770.43 EUR (1 product), 179,560.76 USD (1)"),
        "{totals}"
    );
    let screen = render(&mut app, 80, 24);
    let totals = screen.lines().nth(2).unwrap();
    assert!(
        // The columns hidden, named or counted as the width allows.
        totals.contains("To order: 21,770.43 EUR")
            && totals.contains("179,560.76 USD")
            && totals.contains("hidden"),
        "{totals}"
    );
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    assert!(
        row.contains("9,300.00 USD") && row.contains("DRAFT"),
        "{row}"
    );
    let row = screen.lines().find(|l| l.contains("PROD-002")).unwrap();
    assert!(
        row.contains("850.98→870.82") && row.contains("OVR"),
        "{row}"
    );
    let row = screen.lines().find(|l| l.contains("PROD-003")).unwrap();
    assert!(row.contains("STALE"), "the stale flag first: {row}");
    insta::assert_snapshot!("list_mixed_80x24", screen);
    insta::assert_snapshot!("list_mixed_120x40", render(&mut app, 120, 40));
    // The badge of a product on a PO is drawn apart from the others.
    let buffer = buffer_of(&mut app, 80, 24);
    let y = (0..24)
        .find(|&y| cell_at(&buffer, 0, 80, y).contains("PROD-001"))
        .unwrap();
    let line: String = (0..80).map(|x| buffer[(x, y)].symbol()).collect();
    let x = line[..line.find("DRAFT").unwrap()].chars().count() as u16;
    let draft = &buffer[(x, y)];
    assert_eq!(draft.symbol(), "D");
    let plain = &buffer[(x + 6, y)];
    assert_eq!(plain.symbol(), "L", "LATE after it");
    assert_ne!(draft.style(), plain.style(), "DRAFT stands out");
}

/// The help lists every column and every flag with its meaning, one line
/// each, and scrolls at 80x24 to the last one.
#[test]
fn the_help_has_a_legend_of_every_column_and_flag_and_scrolls() {
    let mut app = widest_app();
    app.update(Action::ToggleHelp);
    let first = render(&mut app, 80, 24);
    assert!(first.contains("lines 1-19 of"), "{first}");
    let mut seen = first.clone();
    for _ in 0..10 {
        press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
        seen.push_str(&render(&mut app, 80, 24));
    }
    let last = render(&mut app, 80, 24);
    insta::assert_snapshot!("help_legend_80x24", last);
    press(&mut app, KeyCode::End, KeyModifiers::NONE);
    insta::assert_snapshot!("help_legend_120x40", render(&mut app, 120, 40));
    for title in [
        "Product", "Name", "Supplier", "Demand/d", "Avail", "OnOrder", "Cover", "Order",
        "Purchase", "Amount", "Flags",
    ] {
        assert!(
            seen.lines().any(|l| l.contains(&format!("│{title:<9} "))),
            "{title} in the legend"
        );
    }
    for badge in [
        "STALE", "BAD", "RULE", "DRAFT", "PO", "OVR", "OUT", "SAFETY", "NOSUP", "INACTIVE", "UOM!",
        "UOM?", "APPR", "LATE", "OVER", "NODEMAND", "USED",
    ] {
        assert!(
            seen.lines().any(|l| l.contains(&format!("│{badge:<9} "))),
            "{badge} in the legend:\n{seen}"
        );
    }
    // At 80 columns some columns are hidden, and the legend says which.
    assert!(!app.hidden_columns.is_empty());
    assert!(seen.contains("(hidden now)"), "{seen}");
    // g goes back to the top; Esc closes.
    press(&mut app, KeyCode::Char('g'), KeyModifiers::NONE);
    assert_eq!(render(&mut app, 80, 24), first);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!app.help_open);
}

/// The header drops the name, then shortens the filters' description: the
/// counts stay whole on a narrow screen.
#[test]
fn the_header_never_cuts_a_count() {
    let mut app = widest_app();
    app.update(Action::Quick(QuickFilter::NeedsOrder));
    app.update(Action::StartFilter);
    for c in "sku-00004".chars() {
        app.update(Action::FilterInput(c));
    }
    let shown = app.view.len();
    let on_po = |p: &ProductPlan| p.has(ExceptionCode::OnPo);
    let needs = app
        .plans
        .iter()
        .filter(|p| p.needs_order() && !on_po(p))
        .count();
    let ordered = app
        .plans
        .iter()
        .filter(|p| p.needs_order() && on_po(p))
        .count();
    assert!(ordered > 0, "some products on draft POs");
    let flagged = app
        .plans
        .iter()
        .filter(|p| !p.exceptions.is_empty())
        .count();
    let counts = format!(
        "{} products, {needs} to order, {ordered} on POs, {flagged} flagged, {} selected",
        app.plans.len(),
        app.for_order.len()
    );
    for width in [80, 100, 120] {
        let screen = render(&mut app, width, 24);
        let header = screen.lines().next().unwrap();
        assert!(header.contains(&counts), "{header}");
        assert!(header.contains(&format!("| {shown} shown:")), "{header}");
        if width == 120 {
            assert!(
                header.contains("buyerdesk") && header.contains("needs an order, \"sku-00004\""),
                "{header}"
            );
        }
    }
}

/// Names, suppliers and units come from the sources: a control character
/// in them is shown as `?`, never sent to the terminal.
#[test]
fn text_from_the_sources_cannot_drive_the_terminal() {
    let mut plans = reference_plans();
    plans[0].product_name = Some("Widget\u{202e}A".into());
    plans[0].supplier_name = Some("Evil\x1b[2J Co".into());
    plans[0].purchase_uom = Some("box\x07".into());
    let mut app = App::new(plans);
    app.now = clock();
    let screen = render(&mut app, 120, 40);
    assert!(
        !screen.contains(|c: char| c.is_control() && c != '\n'),
        "{screen:?}"
    );
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    assert!(
        row.contains("Widget?A") && row.contains("Evil?[2J Co") && row.contains("50 box?"),
        "{row}"
    );
    app.update(Action::SortBy(Column::Product));
    app.update(Action::OpenDetail);
    let detail = render(&mut app, 120, 40);
    assert!(
        !detail.contains(|c: char| c.is_control() && c != '\n'),
        "{detail:?}"
    );
    assert!(
        detail.contains("PROD-001 Widget?A - Evil?[2J Co"),
        "{detail}"
    );
}

// ---------------------------------------------------------------------------
// Bulk approval and sending on the orders screen, and the list following
// drafting.

/// "9,300.00 EUR, 21,274.39 USD" read back: currency -> cents.
fn question_totals(text: &str) -> std::collections::BTreeMap<String, i64> {
    text.split(", ")
        .map(|term| {
            let (amount, currency) = term.trim().split_once(' ').expect(term);
            let cents: i64 = amount.replace([',', '.'], "").parse().expect(term);
            (currency.to_string(), cents)
        })
        .collect()
}

fn cents_by_currency<'a>(
    pos: impl IntoIterator<Item = &'a PurchaseOrder>,
) -> std::collections::BTreeMap<String, i64> {
    let mut totals = std::collections::BTreeMap::new();
    for po in pos {
        *totals.entry(po.currency.clone()).or_default() += po.total_cents;
    }
    totals
}

fn sent(number: &str) -> OrdersAnswer {
    OrdersAnswer::Sent {
        number: number.into(),
        result: Ok(buyerdesk::orders::SendOutcome {
            po_number: number.into(),
            channel: "file /data/outbox".into(),
            confirmation: format!("wrote {number}.json and {number}.csv in /data/outbox"),
            attempts: 1,
            took_over_from: None,
        }),
    }
}

#[test]
fn s_with_nothing_selected_sends_every_listed_po_it_may_after_one_question() {
    let mut app = orders_screen();
    press(&mut app, KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(requests(&mut app).is_empty(), "nothing before the answer");
    let question = app
        .orders
        .confirm
        .as_ref()
        .expect("one question")
        .question
        .clone();
    // Approved (PO-000006, PO-000005, its last send failed) and the draft
    // within the threshold (PO-000001); the pending PO-000002 left out and
    // named; sent and cancelled ones are not sent again.
    let chosen: Vec<PurchaseOrder> = reference_pos()
        .into_iter()
        .filter(|p| ["PO-000006", "PO-000005", "PO-000001"].contains(&p.po_number.as_str()))
        .collect();
    let (head, rest) = question.split_once(": ").expect(&question);
    assert_eq!(head, "Send 3 POs", "{question}");
    let (figures, rest) = rest.split_once(" to ").expect(&question);
    assert_eq!(
        question_totals(figures),
        cents_by_currency(&chosen),
        "{question}"
    );
    assert!(
        rest.starts_with("Delta Chemicals GmbH, Gamma Tools Ltd., ABC Supplies Co.?"),
        "{question}"
    );
    assert!(
        question.ends_with("Left out, 1 PO needs approval first (A): PO-000002. y/n"),
        "{question}"
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, w, h);
        let joined: String = screen
            .lines()
            .map(|l| l.trim_matches(|c: char| c == '"' || c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("PO-000002. y/n"), "{w}x{h}:\n{screen}");
        insta::assert_snapshot!(format!("bulk_send_question_{w}x{h}"), screen);
    }
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::SendAll(vec![
            ("PO-000006".into(), None),
            ("PO-000005".into(), None),
            // The draft, with the total the question showed.
            ("PO-000001".into(), Some(930_000))
        ])]
    );
    assert_eq!(app.message.as_deref(), Some("sending 0/3 ..."));
    // Each answer counted; the last names what failed and what was left out.
    app.refresh_requested = false;
    app.update(sent("PO-000006").into());
    assert_eq!(app.message.as_deref(), Some("sending 1/3 ..."));
    assert!(
        !app.refresh_requested,
        "the plans refreshed once, at the end"
    );
    let screen = render(&mut app, 80, 24);
    assert!(
        message_line(&screen).starts_with("sending 1/3 ..."),
        "{screen}"
    );
    assert!(
        footer(&screen).starts_with("↑↓ move"),
        "keys under it:\n{screen}"
    );
    app.update(
        OrdersAnswer::Sent {
            number: "PO-000005".into(),
            result: Err("PO-000005 not sent: HTTP 503 (gave up after 5 attempts)".into()),
        }
        .into(),
    );
    app.update(sent("PO-000001").into());
    assert_eq!(
        app.message.as_deref(),
        Some(
            "2 of 3 sent; not sent: PO-000005 (PO-000005 not sent: HTTP 503 (gave up after 5 attempts)); left out, needing approval: PO-000002"
        )
    );
    assert!(app.orders.batch.is_none());
    assert!(app.refresh_requested, "the plans refreshed after the last");
    assert!(matches!(
        requests(&mut app)[..],
        [OrderRequest::List { .. }]
    ));
}

#[test]
fn a_with_nothing_selected_approves_every_draft_and_pending_po_after_one_question() {
    let mut app = orders_screen();
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    let question = app
        .orders
        .confirm
        .as_ref()
        .expect("one question")
        .question
        .clone();
    let chosen: Vec<PurchaseOrder> = reference_pos()
        .into_iter()
        .filter(|p| matches!(p.status, PoStatus::Draft | PoStatus::PendingApproval))
        .collect();
    assert_eq!(chosen.len(), 2);
    let figures = question
        .strip_prefix("Approve 2 POs: ")
        .and_then(|q| q.strip_suffix(" to XYZ Manufacturing, ABC Supplies Co.? y/n"))
        .unwrap_or_else(|| panic!("{question}"));
    assert_eq!(question_totals(figures), cents_by_currency(&chosen));
    // n: nothing.
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(requests(&mut app).is_empty());
    assert_eq!(app.message.as_deref(), Some("None of 2 POs approved"));
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::ApproveAll(vec![
            "PO-000002".into(),
            "PO-000001".into()
        ])]
    );
    for mut po in chosen {
        po.status = PoStatus::Approved;
        po.approved_by = Some("alice".into());
        app.update(
            OrdersAnswer::Changed {
                number: po.po_number.clone(),
                change: buyerdesk::tui::screens::orders::PoChange::Approve,
                result: Ok(po),
            }
            .into(),
        );
    }
    assert_eq!(app.message.as_deref(), Some("2 POs approved"));
    let approved = app
        .orders
        .pos
        .iter()
        .filter(|p| p.status == PoStatus::Approved)
        .count();
    assert_eq!(approved, 4, "the rows show it");
    // Selected ones only: Space marks, A acts on them.
    app.update(Action::Top);
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    assert_eq!(app.orders.marked.len(), 2);
    press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    assert!(app.orders.confirm.is_none());
    assert_eq!(
        app.message.as_deref(),
        Some("No draft or PO waiting for approval to approve")
    );
}

/// 20 drafts, one per supplier, as the store answers a draft.
fn twenty_drafts() -> Vec<PurchaseOrder> {
    (1..=20)
        .map(|n| {
            po(
                n,
                PoStatus::Draft,
                &format!("Supplier {n:02}"),
                100_000 + i64::from(n),
                0,
            )
        })
        .collect()
}

#[test]
fn after_drafting_20_pos_the_list_opens_at_the_top_with_every_row_filled() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = orders_app();
        press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
        press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
        let wanted = requests(&mut app);
        let [OrderRequest::Draft { ref products, .. }] = wanted[..] else {
            panic!("{wanted:?}");
        };
        app.update(
            OrdersAnswer::Drafted {
                products: products.clone(),
                result: Ok((
                    twenty_drafts(),
                    vec![Skipped {
                        product_id: "PROD-004".into(),
                        reason: "nothing to order: the suggestion is 0".into(),
                    }],
                )),
            }
            .into(),
        );
        // With the result below it, then without.
        render(&mut app, w, h);
        press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
        let screen = render(&mut app, w, h);
        let rows: Vec<&str> = screen
            .lines()
            .map(|l| l.trim_matches('"'))
            .skip_while(|l| !l.starts_with("PO "))
            .skip(1)
            .take_while(|l| l.starts_with("PO-"))
            .collect();
        // No empty row between the last PO shown and the totals below.
        let after = screen
            .lines()
            .map(|l| l.trim_matches('"'))
            .skip_while(|l| !l.starts_with("PO "))
            .nth(rows.len() + 1)
            .unwrap();
        assert!(
            rows.len() == 20 || after.starts_with("20 open POs: "),
            "{w}x{h}: every row filled\n{screen}"
        );
        // 80x24: 16 rows fit; 120x40: all 20.
        let fit = if h == 24 { 16 } else { 20 };
        assert_eq!(rows.len(), fit, "{w}x{h}:\n{screen}");
        // The newest first, from the top, each id whole and its total.
        for (k, row) in rows.iter().enumerate() {
            let n = 20 - k as u32;
            assert!(
                row.starts_with(&format!("PO-{n:06} draft")),
                "{w}x{h}: {row}"
            );
            let total =
                buyerdesk::plan::numbers::fmt_money((100_000 + i64::from(n)) as f64 / 100.0);
            assert!(row.contains(&format!("{total} EUR")), "{w}x{h}: {row}");
        }
        assert_eq!(app.orders.selected, 0);
        insta::assert_snapshot!(format!("drafted_20_then_list_{w}x{h}"), screen);
    }
}

#[test]
fn products_on_a_draft_po_leave_to_order_and_n_and_d_shows_them() {
    let mut app = mixed_app();
    let on_po: Vec<String> = app
        .plans
        .iter()
        .filter(|p| p.has(ExceptionCode::OnPo) && p.needs_order())
        .map(|p| p.product_id.to_string())
        .collect();
    assert_eq!(on_po, ["PROD-001"]);
    let to_order = app
        .plans
        .iter()
        .filter(|p| p.needs_order() && !p.has(ExceptionCode::OnPo))
        .count();
    let header = render(&mut app, 80, 24).lines().next().unwrap().to_string();
    assert!(
        header.contains(&format!("{to_order} to order, 1 on POs")),
        "{header}"
    );
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    let listed = ids(&app);
    assert_eq!(listed.len(), to_order);
    assert!(!listed.contains(&"PROD-001"), "{listed:?}");
    // D: listed again, and said so; again: not.
    press(&mut app, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(app
        .view
        .iter()
        .any(|&i| &*app.plans[i].product_id == "PROD-001"));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.lines().next().unwrap().contains("1 on POs (listed)"),
        "{screen}"
    );
    assert!(screen.lines().any(|l| l.contains(" PROD-001 ")), "{screen}");
    press(&mut app, KeyCode::Char('D'), KeyModifiers::SHIFT);
    assert!(!app
        .view
        .iter()
        .any(|&i| &*app.plans[i].product_id == "PROD-001"));
    // `a` selects only those still to order; P drafts none of those on a PO.
    app.for_order.clear();
    press(&mut app, KeyCode::Char('c'), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('a'), KeyModifiers::NONE);
    assert!(!app.for_order.contains("PROD-001"), "{:?}", app.for_order);
    app.for_order.clear();
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    use buyerdesk::tui::popups::confirm::ConfirmAction;
    let confirm = app.orders.confirm.as_ref().expect("P asks");
    let products = match &confirm.action {
        ConfirmAction::DraftAll(p) | ConfirmAction::DraftStale { products: p, .. } => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(products.len(), to_order, "{products:?}");
    assert!(!products.contains(&"PROD-001".to_string()), "{products:?}");
}

#[test]
fn the_detail_moves_between_products_selects_and_drafts() {
    let mut app = detail_of_prod_001();
    render(&mut app, 80, 24);
    // Space selects the product shown and goes to the next one.
    press(&mut app, KeyCode::Char(' '), KeyModifiers::NONE);
    assert!(app.for_order.contains("PROD-001") && app.detail_open);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-002");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("PROD-002 Resin B"), "{screen}");
    // k: back to PROD-001, its steps from the top; the history asked for.
    press(&mut app, KeyCode::Char('k'), KeyModifiers::NONE);
    assert_eq!(&*app.selected_plan().unwrap().product_id, "PROD-001");
    assert!(render(&mut app, 80, 24).contains("PROD-001 Widget A"));
    // P drafts the selection from the detail.
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let wanted = requests(&mut app);
    assert!(
        matches!(&wanted[..], [OrderRequest::Draft { products, .. }] if products == &["PROD-001".to_string()]),
        "{wanted:?}"
    );
}

/// An override a sent PO ordered no longer applies: the row shows the
/// suggestion alone and the detail says which PO took it.
#[test]
fn a_used_override_shows_the_po_that_took_it() {
    let mut plans = reference_plans();
    let p = plans
        .iter_mut()
        .find(|p| &*p.product_id == "PROD-001")
        .unwrap();
    p.apply_override(Some(&OverrideNote {
        order_qty: 708.0,
        revision: Some(2),
        used_by: Some("PO-000001 (sent 2026-11-21T09:00:00Z)".into()),
        reason: "PROMO, by alice at 2026-11-21T08:00:00Z".into(),
    }));
    let mut app = App::new(plans);
    app.now = clock();
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Top);
    let screen = render(&mut app, 80, 24);
    let row = screen.lines().find(|l| l.contains("PROD-001")).unwrap();
    assert!(
        row.contains(" 600 ") && !row.contains("708") && !row.contains("OVR"),
        "{row}"
    );
    // The list says the override was used; the detail names the PO.
    assert!(row.contains("USED"), "{row}");
    app.update(Action::OpenDetail);
    // Beside the list at 120x40: the detail's lines read as one text.
    let screen = render(&mut app, 120, 40);
    let words = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    let pane: String = screen
        .lines()
        .map(|l| {
            let l = l.trim_matches('"');
            l.chars().skip(55).collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        words(&pane).contains("buyer's 708 ordered on PO-000001 (sent 2026-11-21T09:00:00Z) (used: it no longer applies)"),
        "{screen}"
    );
    app.update(Action::Back);
    app.update(Action::ClearOverride);
    assert_eq!(app.message.as_deref(), Some("PROD-001 has no override"));
}

/// A clear refused because the override changed since it was shown says
/// who changed it, and the plan keeps the override.
#[test]
fn a_clear_refused_by_a_newer_change_says_so() {
    use buyerdesk::store::overrides::Conflict;
    let mut app = reference_app();
    app.update(Action::StoreConflict {
        product_id: "PROD-001".into(),
        conflict: Conflict {
            product_id: "PROD-001".into(),
            user: "buyer2".into(),
            what: "set 720 (PROMO)".into(),
            at: "2026-11-21T09:59:03Z".into(),
            revision: 5,
        },
    });
    assert_eq!(
        app.message.as_deref(),
        Some("Not cleared: buyer2 set 720 (PROMO) at 2026-11-21 09:59:03 UTC, after it was shown")
    );
}

/// The open PO changed on its screen: a line selected with `]`, its
/// quantity typed into the input (`e`), the new figures shown multiplied
/// out; a line removed and the note edited after their questions; a sent
/// PO received in part (`L`) and in full (`R`). Each asks the store
/// through an `OrderRequest`; nothing changes on a PO that may not be.
#[test]
fn a_draft_is_edited_and_a_sent_po_received_on_its_screen() {
    use buyerdesk::tui::screens::orders::PoChange;
    let mut app = po_detail();
    let set_status = |app: &mut App, status: PoStatus| {
        app.orders
            .detail
            .as_mut()
            .unwrap()
            .po
            .as_mut()
            .unwrap()
            .status = status;
    };
    // Approved: not editable, said so.
    press(&mut app, KeyCode::Char('e'), KeyModifiers::NONE);
    assert!(app.orders.input.is_none());
    assert_eq!(
        app.message.as_deref(),
        Some("PO-000005 is approved: only a draft or a PO pending approval can be changed")
    );
    set_status(&mut app, PoStatus::Draft);
    press(&mut app, KeyCode::Char(']'), KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('e'), KeyModifiers::NONE);
    assert_eq!(buyerdesk::tui::keys::screen(&app), Screen::PoInput);
    for c in "2x".chars() {
        press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
    }
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(requests(&mut app).is_empty(), "'2x' is no quantity");
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    press(&mut app, KeyCode::Char('0'), KeyModifiers::NONE);
    let screen = render(&mut app, 80, 24);
    for text in [
        "PO-000005 line 2: quantity",
        "Line 2 SKU-0000044: 15 bags now; the new quantity in bag (whole)",
        "> 20_",
        "Enter saves; Esc: nothing changes",
    ] {
        assert!(screen.contains(text), "{text:?} missing:\n{screen}");
    }
    insta::assert_snapshot!("po_edit_input_80x24", screen);
    insta::assert_snapshot!("po_edit_input_120x40", render(&mut app, 120, 40));
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::EditQty {
            number: "PO-000005".into(),
            line: 2,
            qty: 20.0
        }]
    );
    assert!(app.orders.input.is_none());

    // The store's answer: line 2 at 20 bags, the total worked out again.
    let mut po = app.orders.detail.as_ref().unwrap().po.clone().unwrap();
    let l = &mut po.lines[1];
    let f = buyerdesk::orders::LineFigures::new(20.0, l.pack, l.stock_unit_price).unwrap();
    l.qty_purchase = 20.0;
    l.qty_stock = f.stock_quantity.to_f64();
    l.amount_cents = f.amount_cents().unwrap();
    po.total_cents = po.lines.iter().map(|l| l.amount_cents).sum();
    po.note = Some("dock 4".into());
    app.update(Action::from(OrdersAnswer::Changed {
        number: "PO-000005".into(),
        change: PoChange::Edit,
        result: Ok(po.clone()),
    }));
    let total = plan::numbers::fmt_money(po.total_cents as f64 / 100.0);
    assert_eq!(
        app.message.as_deref(),
        Some(format!("PO-000005 changed: {total} {}, draft", po.currency).as_str())
    );
    requests(&mut app);
    let screen = render(&mut app, 80, 24);
    insta::assert_snapshot!("po_edited_80x24", screen);
    let wide = render(&mut app, 120, 40);
    insta::assert_snapshot!("po_edited_120x40", wide);
    for screen in [&screen, &wide] {
        // "2 SKU-0000044 ... 20 bag x 8.48 = 169.60": worked out again.
        let row = line_of(screen, "SKU-0000044");
        let (lhs, amount) = row.split_once(" = ").unwrap();
        let amount: f64 = amount
            .split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        let price: f64 = lhs
            .rsplit(" x ")
            .next()
            .unwrap()
            .trim()
            .replace(',', "")
            .parse()
            .unwrap();
        assert!(lhs.contains(" 20 bag"), "{row}");
        assert_eq!(
            (20.0 * price * 100.0).round(),
            (amount * 100.0).round(),
            "{row}"
        );
        assert!(screen.contains(&format!("Total {total} ")), "{screen}");
        assert!(
            screen.contains(&format!("the lines add up to the total, {total}")),
            "{screen}"
        );
        assert!(screen.contains("Note: dock 4"), "{screen}");
    }

    // D asks, naming the line; y removes it.
    press(&mut app, KeyCode::Char('D'), KeyModifiers::SHIFT);
    let question = app.orders.confirm.as_ref().unwrap().question.clone();
    assert!(
        question.starts_with(&format!(
            "Remove line 2 SKU-0000044 (20 bags, {} {}) from PO-000005?",
            buyerdesk::orders::cents_text(po.lines[1].amount_cents),
            po.currency
        )),
        "{question}"
    );
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::RemoveLine {
            number: "PO-000005".into(),
            line: 2
        }]
    );
    // N: the note, prefilled; Esc changes nothing, Enter saves.
    press(&mut app, KeyCode::Char('N'), KeyModifiers::SHIFT);
    assert_eq!(app.orders.input.as_ref().unwrap().text, "dock 4");
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.orders.input.is_none() && requests(&mut app).is_empty());
    press(&mut app, KeyCode::Char('N'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('!'), KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::SetNote {
            number: "PO-000005".into(),
            note: "dock 4!".into()
        }]
    );

    // Sent: receive 5 of line 2 (a quantity, then a question), then all.
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert!(app.orders.confirm.is_none(), "a draft is not received");
    set_status(&mut app, PoStatus::Sent);
    press(&mut app, KeyCode::Char('L'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('5'), KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(app
        .orders
        .confirm
        .as_ref()
        .unwrap()
        .question
        .starts_with("Receive 5 on PO-000005 line 2?"));
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::ReceiveLine {
            number: "PO-000005".into(),
            line: 2,
            qty: 5.0
        }]
    );
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert!(app
        .orders
        .confirm
        .as_ref()
        .unwrap()
        .question
        .starts_with("Receive everything still on order on PO-000005 (SKU-0000012 20 boxes, SKU-0000044 20 bags, SKU-0000107 12 gallons)?"),
        "{:?}", app.orders.confirm);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        [OrderRequest::Receive("PO-000005".into())]
    );
}

// ---------------------------------------------------------------------------
// Rule coverage in the editor's dry run, and the fixtures (F7).

/// The shipped rules and two that a rule author must hear about: one whose
/// condition holds on no product, one that fires on every product and
/// writes what is already there.
fn rules_with_dead_weight() -> String {
    format!(
        "{}\nrule \"KeepApprovalOff\" salience 200 no-loop {{\n    when\n        Product.lead_time_days >= 0\n    then\n        Product.requires_approval = false;\n}}\n\nrule \"IncreasingTrend\" salience 5 no-loop {{\n    when\n        Product.trend == \"Increasing\"\n    then\n        Product.requires_approval = true;\n}}\n",
        RuleSet::embedded().text
    )
}

#[test]
fn the_editors_dry_run_shows_rule_coverage_flagged_rules_first_and_warns_at_their_lines() {
    use buyerdesk::live::SharedDryRun;
    use buyerdesk::rules::coverage::Flag;
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    let text = rules_with_dead_weight();
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &text,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    let warnings_before = app.editor.as_ref().unwrap().diagnostics.len();
    press(&mut app, KeyCode::F(5), KeyModifiers::NONE);
    let (request, wanted) = app.dry_run_wanted.take().expect("a dry run asked for");
    assert_eq!(wanted, text);
    let candidate = buyerdesk::rules::load(&text, "rules/purchasing.grl").unwrap();
    let mut result = buyerdesk::rules::dry_run(
        &plan::join(reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
        &candidate,
    );
    result.po_approvals("EUR", |_| 10_000.0);
    let coverage = result
        .coverage
        .clone()
        .expect("the dry run counts coverage");
    let flagged = |flag: Flag| -> Vec<String> {
        (coverage.candidate.rules.iter())
            .filter(|r| r.flag == Some(flag))
            .map(|r| r.rule.clone())
            .collect()
    };
    let never = flagged(Flag::NeverFired);
    let unchanged = flagged(Flag::NeverChanged);
    assert!(never.contains(&"IncreasingTrend".to_string()), "{never:?}");
    assert_eq!(unchanged, ["KeepApprovalOff"]);
    app.dry_run_done(request, Ok(SharedDryRun(std::sync::Arc::new(result))));

    // The flags are warnings at each rule's line, beside the validator's.
    let editor = app.editor.as_ref().unwrap();
    let line_of = |name: &str| {
        text.lines()
            .position(|l| l.starts_with(&format!("rule \"{name}\"")))
            .unwrap()
            + 1
    };
    assert_eq!(
        editor.diagnostics.len(),
        warnings_before + never.len() + unchanged.len()
    );
    for name in never.iter().chain(&unchanged) {
        let d = (editor.diagnostics.iter())
            .find(|d| d.rule.as_deref() == Some(name) && d.message.contains("dry run"))
            .unwrap_or_else(|| panic!("no warning for {name}"));
        assert!(!d.is_error());
        assert_eq!((d.line, d.col), (line_of(name), 1), "{d}");
    }

    for (width, height) in [(80u16, 24u16), (120, 40)] {
        let screen = render(&mut app, width, height);
        let words = screen
            .lines()
            .map(|l| l.trim_matches('"'))
            .collect::<Vec<_>>()
            .join("\n");
        // Flagged rules first, every name whole.
        let never_line = format!("Never fire ({}): {}", never.len(), never.join(", "));
        let unchanged_line = format!("Change nothing (1): {}", unchanged[0]);
        assert!(words.contains(&never_line), "{never_line}\n{screen}");
        assert!(words.contains(&unchanged_line), "{screen}");
        assert!(
            words.find(&never_line) < words.find("Rules, products fired/changed"),
            "{screen}"
        );
        // The warnings are counted in the panel's title.
        let w = app.editor.as_ref().unwrap().diagnostics.len();
        assert!(
            screen.contains(&format!("0 error(s), {w} warning(s)")),
            "{screen}"
        );
        if height == 40 {
            // Room for every rule's counts, each as the dry run counted it.
            let flat = words.split_whitespace().collect::<Vec<_>>().join(" ");
            for r in &coverage.candidate.rules {
                let counted = format!("{} {}/{}", r.rule, r.fired, r.changed);
                assert!(flat.contains(&counted), "{counted}\n{screen}");
            }
        }
    }
    insta::assert_snapshot!("editor_dry_run_coverage_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("editor_dry_run_coverage_120x40", render(&mut app, 120, 40));
    // Typing drops the dry run and its warnings (validated again).
    type_text(&mut app, " ");
    app.update(Action::NextProblem);
    assert_eq!(
        app.editor.as_ref().unwrap().diagnostics.len(),
        warnings_before
    );
}

#[test]
fn f7_runs_the_fixtures_on_the_editors_text_and_lists_failures_first() {
    use buyerdesk::live::fixtures::run_files;
    let mut app = reference_app();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "rules/purchasing.grl".into();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    // Errors: nothing is run.
    type_text(&mut app, "oops ");
    press(&mut app, KeyCode::F(7), KeyModifiers::NONE);
    assert_eq!(app.fixtures_wanted, None);
    assert!(render(&mut app, 80, 24).contains("Fixtures not run: 1 error(s)"));
    for _ in 0..5 {
        press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    }
    // The threshold at 5,000: PROD-001 (9,300.00) now needs approval.
    let text = app
        .rules_text
        .replace("Product.amount > 10000", "Product.amount > 5000");
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &text,
        "rules/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::F(7), KeyModifiers::NONE);
    let (request, wanted) = app.fixtures_wanted.take().expect("fixtures asked for");
    assert_eq!(wanted, text);
    assert!(render(&mut app, 80, 24).contains("Running the fixtures..."));
    let rules = buyerdesk::rules::load(&text, "rules/purchasing.grl").unwrap();
    let files: Vec<(String, String)> = (buyerdesk::rules::fixtures::SHIPPED.iter())
        .map(|(n, t)| (format!("{n} (shipped)"), t.to_string()))
        .collect();
    let outcome = run_files(&rules, &files);
    let failed: Vec<_> = outcome.cases.iter().filter(|c| !c.passed()).collect();
    assert_eq!(failed.len(), 1, "{:?}", outcome.cases);
    assert!(failed[0].name.starts_with("PROD-001"));
    // An older request's answer is dropped.
    app.update(Action::FixturesDone {
        request: request - 1,
        result: Ok(outcome.clone()),
    });
    assert!(render(&mut app, 80, 24).contains("Running the fixtures..."));
    app.update(Action::FixturesDone {
        request,
        result: Ok(outcome.clone()),
    });
    for (width, height) in [(80u16, 24u16), (120, 40)] {
        let screen = render(&mut app, width, height);
        let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"')).collect();
        let passed = outcome.cases.len() - failed.len();
        assert!(
            screen.contains(&format!("Fixtures: {passed} passed, 1 failed")),
            "{screen}"
        );
        let fail = (lines.iter())
            .position(|l| {
                l.starts_with(&format!("FAIL reference.toml:{} PROD-001", failed[0].line))
            })
            .unwrap_or_else(|| panic!("{screen}"));
        let first_pass = lines.iter().position(|l| l.starts_with("PASS ")).unwrap();
        assert!(fail < first_pass, "failures first:\n{screen}");
        let flat = lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains(
                "requires_approval: expected false, got true (written by ApprovalAboveThreshold)"
            ),
            "{screen}"
        );
    }
    insta::assert_snapshot!("editor_fixtures_80x24", render(&mut app, 80, 24));
    insta::assert_snapshot!("editor_fixtures_120x40", render(&mut app, 120, 40));
    // F5 replaces the fixtures' panel; typing drops it.
    type_text(&mut app, " ");
    assert!(!render(&mut app, 80, 24).contains("Fixtures:"));
    // F7 is in the help, built from the keymap.
    press(&mut app, KeyCode::F(1), KeyModifiers::NONE);
    let help = render(&mut app, 120, 40);
    assert!(
        help.contains("F7") && help.contains("run the rule fixtures"),
        "{help}"
    );
}

// ---------------------------------------------------------------------
// Classes and forecasts on the screen (issue 21): the list's class column,
// its sort and filter, the detail chart's history, forecast and band.

/// The last day of the daily history the forecast tests use.
const HISTORY_LAST: &str = "2026-11-20";

/// The reference rows with a daily history and a stored, current forecast
/// for PROD-001 (smooth, A, X; a weekly path), PROD-002 (lumpy, C, Z) and
/// PROD-003 (intermittent, B, Y); PROD-004 has history and no forecast
/// yet (not ready: planned from the OMS average).
fn forecast_plans() -> Vec<ProductPlan> {
    use buyerdesk::forecast::{
        fingerprint, Abc, Candidate, DemandClass, Forecast, Method, StoredForecast,
    };
    use buyerdesk::plan::inputs::HistoryStats;
    use buyerdesk::plan::Num;
    use std::sync::Arc;
    let mut ctx = PlanContext {
        history_last_day: Some(HISTORY_LAST.into()),
        ..Default::default()
    };
    let specs = [
        (
            "PROD-001",
            DemandClass::Smooth,
            Some(Abc::A),
            0.2,
            161.37,
            120.0,
        ),
        (
            "PROD-002",
            DemandClass::Lumpy,
            Some(Abc::C),
            1.4,
            77.25,
            260.5,
        ),
        (
            "PROD-003",
            DemandClass::Intermittent,
            Some(Abc::B),
            0.7,
            212.5,
            401.0,
        ),
    ];
    let mut products = Vec::new();
    for p in plan::join(reference_rows()) {
        let mut p = (*p).clone();
        let days = 180.0;
        let daily = 150.0;
        let first = "2026-05-25";
        p.history = Some(Box::new(HistoryStats {
            product_id: p.product_id.clone(),
            days: Num::Value(days),
            sum_qty: Num::Value(daily * days),
            sum_sq_qty: Num::Value(daily * daily * days * 1.2),
            first_day: Some(first.into()),
            last_day: Some(HISTORY_LAST.into()),
            last_sale_day: Some(HISTORY_LAST.into()),
        }));
        p.history_table_exists = true;
        let lead = p
            .suppliers
            .first()
            .and_then(|s| s.lead_time.value())
            .unwrap_or(0.0);
        let horizon = (lead.ceil() as u32).max(1);
        if let Some(&(_, class, abc, weekly_cv, forecast_daily, sigma)) =
            specs.iter().find(|s| s.0 == &*p.product_id)
        {
            // PROD-001's path has a weekly season around its mean.
            let path: Vec<f64> = match class {
                DemandClass::Smooth => (0..horizon)
                    .map(|d| {
                        forecast_daily + [20.0, 10.0, 0.0, -10.0, -20.0, 5.0, -5.0][d as usize % 7]
                    })
                    .collect(),
                _ => vec![forecast_daily; horizon as usize],
            };
            let mean = path.iter().sum::<f64>() / path.len() as f64;
            let forecast = Forecast {
                history_days: days as u32,
                class,
                adi: Some(1.1),
                cv2: Some(0.3),
                method: Method::Ets,
                method_label: "ETS(A,Ad,N)".into(),
                forecast_daily: mean,
                horizon_days: horizon,
                sigma_horizon: sigma,
                mae: Some(12.5),
                mase: Some(0.8),
                candidates: vec![Candidate {
                    method: Method::Ets,
                    label: "ETS(A,Ad,N)".into(),
                    mae: Some(12.5),
                    mase: Some(0.8),
                    note: None,
                }],
                origins: 10,
                weekly_cv: Some(weekly_cv),
                yearly_qty: daily * 365.0,
                path,
                note: None,
            };
            ctx.forecasts.insert(
                p.product_id.to_string(),
                Arc::new(StoredForecast {
                    forecast,
                    fingerprint: fingerprint(
                        days,
                        daily * days,
                        daily * daily * days * 1.2,
                        first,
                        HISTORY_LAST,
                        HISTORY_LAST,
                        horizon,
                    ),
                    abc,
                    abc_value: Some(1000.0),
                    currency: None,
                    computed_at: "2026-11-20 04:00:00".into(),
                }),
            );
        }
        products.push(Arc::new(p));
    }
    plan::plan_all(&products, &ctx, &RuleSet::embedded())
}

fn forecast_app() -> App {
    let mut app = App::new(forecast_plans());
    app.now = clock();
    app.apply_sources(healthy_sources());
    app
}

/// 60 days of history to `HISTORY_LAST`, a weekly pattern around 150,
/// with one day missing (a zero sale: drawn as 0).
fn sixty_days() -> Vec<(String, f64)> {
    let last = chrono::NaiveDate::parse_from_str(HISTORY_LAST, "%Y-%m-%d").unwrap();
    (0..60)
        .rev()
        .filter(|k| *k != 10)
        .map(|k| {
            let day = last - chrono::Duration::days(k);
            (
                day.format("%Y-%m-%d").to_string(),
                150.0 + f64::from((k % 7) as u8) * 9.0 - 27.0,
            )
        })
        .collect()
}

/// The detail of `id` with its history answered.
fn forecast_detail(id: &str) -> App {
    let mut app = forecast_app();
    app.update(Action::SortBy(Column::Product));
    let at = app
        .view
        .iter()
        .position(|&i| &*app.plans[i].product_id == id)
        .unwrap();
    app.selected = at;
    app.update(Action::OpenDetail);
    let (request, product) = app.history_wanted.take().expect("history asked for");
    app.apply_history(request, product, Ok(sixty_days()));
    app
}

#[test]
fn the_plans_for_the_class_tests_have_what_they_should() {
    let plans = forecast_plans();
    let f = |id: &str| {
        plans
            .iter()
            .find(|p| &*p.product_id == id)
            .and_then(|p| p.forecast.as_deref())
            .unwrap_or_else(|| panic!("{id} has a forecast summary"))
    };
    let p1 = f("PROD-001");
    assert_eq!(
        (p1.status.as_str(), p1.class, p1.abc_class, p1.xyz_class),
        ("current", "smooth", Some("A"), Some("X"))
    );
    assert_eq!(
        p1.path.len(),
        p1.horizon_days as usize,
        "the path reaches the plan"
    );
    assert!(p1.z.is_some(), "{p1:?}");
    assert_eq!(f("PROD-002").xyz_class, Some("Z"));
    assert_eq!(f("PROD-004").status.as_str(), "not_ready");
}

#[test]
fn the_class_column_sorts_a_before_b_before_c_and_unranked_last() {
    let mut app = forecast_app();
    app.update(Action::SortBy(Column::Class));
    assert_eq!(ids(&app), ["PROD-001", "PROD-003", "PROD-002", "PROD-004"]);
    // Again: reversed.
    app.update(Action::SortBy(Column::Class));
    assert_eq!(ids(&app), ["PROD-004", "PROD-002", "PROD-003", "PROD-001"]);
    // The C key sorts by it.
    let key = KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT);
    assert_eq!(
        action_for(&app, key),
        Some(Action::SortBy(Column::Class)),
        "C sorts by class"
    );
}

#[test]
fn list_with_classes_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = forecast_app();
        app.update(Action::SortBy(Column::Class));
        let screen = render(&mut app, w, h);
        let buffer = buffer_of(&mut app, w, h);
        assert_list_matches_plans(&app, &buffer, &format!("classes {w}x{h}"));
        assert!(
            app.list_columns.iter().any(|c| c.field == Field::Class),
            "the class column fits at {w}x{h}:\n{screen}"
        );
        // The forecast's demand is marked.
        assert!(screen.contains("161.37f"), "{screen}");
        insta::assert_snapshot!(format!("list_classes_{w}x{h}"), screen);
    }
}

/// Types a filter as a buyer does: `/`, the text, Enter.
fn type_filter(app: &mut App, text: &str) {
    app.update(Action::StartFilter);
    for c in text.chars() {
        app.update(Action::FilterInput(c));
    }
    app.update(Action::FilterDone);
}

#[test]
fn the_filter_keeps_a_class_and_says_what_it_does_not_know() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = forecast_app();
        type_filter(&mut app, "abc:A,B");
        let listed = ids(&app);
        assert_eq!(listed.len(), 2, "{listed:?}");
        for &i in &app.view {
            let abc = app.plans[i].forecast.as_deref().and_then(|f| f.abc_class);
            assert!(matches!(abc, Some("A" | "B")), "{abc:?}");
        }
        app.update(Action::ClearFilter);
        type_filter(&mut app, "class:lumpy");
        app.update(Action::SortBy(Column::Class));
        let screen = render(&mut app, w, h);
        let buffer = buffer_of(&mut app, w, h);
        assert_list_matches_plans(&app, &buffer, &format!("class:lumpy {w}x{h}"));
        assert_eq!(app.view.len(), 1, "{screen}");
        assert!(screen.contains("1 shown: \"class:lumpy\""), "{screen}");
        insta::assert_snapshot!(format!("list_filtered_by_class_{w}x{h}"), screen);
        // Unranked, and a word not understood: said, not matching nothing.
        app.update(Action::ClearFilter);
        type_filter(&mut app, "abc:-");
        assert_eq!(ids(&app), ["PROD-004"]);
        app.update(Action::ClearFilter);
        type_filter(&mut app, "abc:Q");
        assert_eq!(app.view.len(), 4, "an unknown class is ignored");
        let screen = render(&mut app, w, h);
        assert!(
            screen.contains("abc:Q unknown"),
            "the header says so:\n{screen}"
        );
        assert_eq!(
            app.footer_message().as_deref(),
            Some("Filter: abc:Q unknown (A, B, C, -), ignored"),
            "the message line in full"
        );
        assert!(
            screen.contains("Filter: abc:Q unknown (A, B, C, -), ignored"),
            "{screen}"
        );
    }
}

/// The number after `prefix` in `text` (commas dropped), up to the next
/// character that is not part of a number.
fn number_after(text: &str, prefix: &str) -> f64 {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
        + prefix.len();
    let figure: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    let figure = figure.trim_end_matches('.');
    figure
        .parse()
        .unwrap_or_else(|_| panic!("{prefix:?} then {figure:?} in {text}"))
}

/// The chart's printed figures read back and compared with the plan's:
/// the forecast per day, the horizon, sigma, z and the band's half-width
/// (z x sigma / sqrt(H), recomputed here).
fn assert_chart_figures(screen: &str, p: &ProductPlan, ascii: bool, from: usize) {
    let text = pane_text(screen, from);
    let f = p.forecast.as_deref().expect("a forecast");
    let r2 = |v: f64| (v * 100.0).round() / 100.0;
    let mark = if ascii {
        "* forecast "
    } else {
        "• forecast "
    };
    let daily = number_after(&text, mark);
    assert_eq!(daily, r2(f.forecast_daily), "{text}");
    let horizon = number_after(&text, "/day over ");
    assert_eq!(horizon, f64::from(f.horizon_days), "{text}");
    let z = f.z.expect("the rules set a service level");
    assert_eq!(number_after(&text, ": z "), z, "{text}");
    assert_eq!(number_after(&text, "sigma "), r2(f.sigma_horizon), "{text}");
    let pm = if ascii { "+-" } else { "±" };
    let band = number_after(&text, &format!("days: {pm}"));
    let expected = z * f.sigma_horizon / f64::from(f.horizon_days).sqrt();
    assert_eq!(band, r2(expected), "{text}");
    // The demand the plan used, the forecast's.
    let d = p.demand_per_day().unwrap();
    assert_eq!(number_after(&text, "The plan uses "), r2(d), "{text}");
    assert!(text.contains("(forecast: ETS(A,Ad,N))"), "{text}");
}

#[test]
fn the_detail_chart_draws_history_forecast_and_band() {
    for (w, h) in [(80, 24), (120, 40)] {
        // Colour, NO_COLOR (the same glyphs: the band needs no colour),
        // ASCII.
        for (color, ascii) in [(true, false), (false, false), (true, true)] {
            let mut app = forecast_detail("PROD-001");
            app.theme = Theme { color, ascii };
            app.update(Action::ToggleCharts);
            let screen = render(&mut app, w, h);
            let p = app.selected_plan().unwrap().clone();
            // Beside the list at 120 columns: the pane right of its border.
            assert_chart_figures(&screen, &p, ascii, if w >= 120 { 55 } else { 0 });
            let (bar, mark, shade) = if ascii {
                ("#", "*", ":")
            } else {
                ("█", "•", "░")
            };
            for glyph in [bar, mark, shade] {
                assert!(screen.contains(glyph), "{glyph} drawn:\n{screen}");
            }
            // The missing day is drawn as a zero, and counted.
            assert!(screen.contains("60 days"), "{screen}");
            if ascii {
                assert!(screen.is_ascii(), "ASCII only:\n{screen}");
            }
            // Without colour the text is the colour screen's.
            let name = match ascii {
                true => format!("detail_forecast_ascii_{w}x{h}"),
                false => format!("detail_forecast_{w}x{h}"),
            };
            insta::assert_snapshot!(name, screen);
        }
    }
}

#[test]
fn without_a_forecast_the_chart_says_why_and_draws_the_oms_average() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = forecast_detail("PROD-004");
        app.update(Action::ToggleCharts);
        let screen = render(&mut app, w, h);
        let text = pane_text(&screen, if w >= 120 { 55 } else { 0 });
        assert!(
            text.contains("no forecast (the forecast is being computed in the background)"),
            "{text}"
        );
        let p = app.selected_plan().unwrap();
        let oms = p.avg_daily_demand.get().unwrap();
        assert_eq!(number_after(&text, "the OMS average "), oms, "{text}");
        assert!(
            !screen.contains("░"),
            "no band without a forecast:\n{screen}"
        );
        insta::assert_snapshot!(format!("detail_no_forecast_{w}x{h}"), screen);
        // Without history in the plan (the reference rows), and with a short
        // history: each says why.
        let mut app = detail_of_prod_001();
        app.update(Action::ToggleCharts);
        // Beside the list at 120 columns: the pane right of its border.
        let text = pane_text(&render(&mut app, w, h), if w >= 120 { 55 } else { 0 });
        assert!(
            text.contains("no forecast (the plan read no daily history for it): the OMS average 150/day over 7 days"),
            "{text}"
        );
    }
    let mut plans = forecast_plans();
    let p = plans
        .iter_mut()
        .find(|p| &*p.product_id == "PROD-004")
        .unwrap();
    let f = p.forecast.as_deref_mut().unwrap();
    f.status = buyerdesk::plan::demand::ForecastStatus::Short;
    f.history_days = Some(30);
    let mut app = App::new(plans);
    app.update(Action::SortBy(Column::Product));
    app.update(Action::Bottom);
    app.update(Action::OpenDetail);
    app.update(Action::ToggleCharts);
    let text = pane_text(&render(&mut app, 80, 24), 0);
    assert!(
        text.contains("no forecast (30 days of history, under the 8 weeks a forecast needs)"),
        "{text}"
    );
}

/// In the split view every list row ends before the detail's border: a
/// column holds the border on every line below the detail's title, and
/// no list column (titles, rows) reaches it.
fn assert_list_ends_before_the_detail(app: &App, buffer: &ratatui::buffer::Buffer, at: &str) {
    let width = buffer.area.width;
    let height = buffer.area.height;
    // Header, chips, then the detail's title line; the footer last.
    let body = 3..height - 1;
    let border = (0..width)
        .find(|&x| {
            body.clone()
                .all(|y| ["│", "|"].contains(&buffer[(x, y)].symbol()))
        })
        .unwrap_or_else(|| panic!("{at}: no border between the list and the detail"));
    assert!(
        ["┌", "+"].contains(&buffer[(border, 2)].symbol()),
        "{at}: the border's corner"
    );
    for c in &app.list_columns {
        assert!(
            c.x + c.width <= border,
            "{at}: {:?} ends at {}, the detail's border is at {border}",
            c.field,
            c.x + c.width
        );
    }
}

#[test]
fn long_flags_stay_in_the_list_beside_the_detail() {
    // A product whose flags are long (OUT LATE and more) at 120x40.
    let mut app = reference_app();
    app.update(Action::SortBy(Column::Exceptions));
    app.update(Action::Top);
    app.update(Action::OpenDetail);
    for (w, h) in [(120, 40), (140, 40), (160, 50)] {
        let buffer = buffer_of(&mut app, w, h);
        assert_list_ends_before_the_detail(&app, &buffer, &format!("{w}x{h}"));
        assert_list_matches_plans(&app, &buffer, &format!("beside the detail {w}x{h}"));
    }
    let mut app = forecast_detail("PROD-001");
    let buffer = buffer_of(&mut app, 120, 40);
    assert_list_ends_before_the_detail(&app, &buffer, "forecast 120x40");
}

/// The history could not be read: the error (which may quote a source's
/// text) is shown escaped, never sent to the terminal as it came.
#[test]
fn a_history_that_could_not_be_read_is_said_escaped() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = forecast_app();
        app.update(Action::SortBy(Column::Product));
        app.update(Action::Top);
        app.update(Action::OpenDetail);
        let (request, product) = app.history_wanted.take().expect("history asked for");
        app.apply_history(
            request,
            product,
            Err("day 2026-11-02 of 'EVIL\u{1b}[2J\u{7}': not a number".into()),
        );
        app.update(Action::ToggleCharts);
        let screen = render(&mut app, w, h);
        assert!(
            screen.contains("History not read: day 2026-11-02"),
            "{screen}"
        );
        assert!(
            !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
            "a control character reached the screen:\n{screen}"
        );
    }
}
