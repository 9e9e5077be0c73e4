//! The purchase orders on the screen, read back as a buyer reads them: each
//! line of the open PO multiplies out (quantity x unit price = amount per
//! purchase unit, and the same amount in stock units) and prints the
//! supplier document's figures; the open POs' totals, the drafting
//! question and the drafting result are per currency, and equal the sums
//! redone from the POs and the plans. Drawn into a TestBackend at 80x24,
//! 100x30 and 120x40.

#[path = "support/decimal.rs"]
mod decimal;

use std::collections::{BTreeMap, BTreeSet};

use buyerdesk::orders::{build_drafts, document, DraftOptions, PoStatus, PurchaseOrder};
use buyerdesk::plan::{self, fixtures, PlanContext, ProductPlan, RuleSet};
use buyerdesk::tui::keys::action_for;
use buyerdesk::tui::screens::orders::{OrderRequest, OrdersAnswer};
use buyerdesk::tui::{view, Action, App};
use decimal::{grouped, of_f64, Dec};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (120, 40)];

/// The reference products and awkward ones (packs of 0.2642, 2.2046 and
/// 3.785411784, prices with 3 to 5 decimals, large quantities), some of
/// them bought in USD, from four suppliers.
fn plans() -> Vec<ProductPlan> {
    let mut rows = fixtures::reference_rows();
    /// id, supplier, demand/day, price per stock unit, moq, (stock unit,
    /// purchase unit, pack), currency (None: the default, EUR)
    type Product<'a> = (
        &'a str,
        &'a str,
        f64,
        f64,
        f64,
        (&'a str, &'a str, f64),
        Option<&'a str>,
    );
    let awkward: [Product; 7] = [
        (
            "AWK-01",
            "Global Parts Ltd.",
            200.0,
            1.005,
            50.0,
            ("kg", "lb", 2.2046),
            None,
        ),
        (
            "AWK-02",
            "Global Parts Ltd.",
            37.0,
            0.0848,
            10.0,
            ("piece", "bag", 100.0),
            Some("USD"),
        ),
        (
            "AWK-03",
            "ABC Supplies Co.",
            13.3,
            7.12345,
            1.0,
            ("liter", "gallon", 3.785411784),
            Some("USD"),
        ),
        (
            "AWK-04",
            "ABC Supplies Co.",
            125_000.0,
            0.0123,
            1000.0,
            ("piece", "box", 12.0),
            Some("USD"),
        ),
        (
            "AWK-05",
            "Omega Fluids, Long Name Industrial Supplies",
            450.0,
            19.999,
            24.0,
            ("m", "roll", 0.3333),
            None,
        ),
        (
            "AWK-06",
            "Omega Fluids, Long Name Industrial Supplies",
            3_000_000.0,
            3.14157,
            100.0,
            ("liter", "gallon", 0.2642),
            None,
        ),
        (
            "AWK-07",
            "XYZ Manufacturing",
            9_999.9,
            1234.5678,
            1.0,
            ("kg", "lb", 2.2046),
            Some("USD"),
        ),
    ];
    for (id, supplier, demand, price, moq, uom, currency) in awkward {
        fixtures::add_product(
            &mut rows,
            id,
            &format!("Awkward {id}, a product with a long descriptive name"),
            demand,
            "stable",
            (0.0, 0.0, "WH-X"),
            (supplier, price, moq, 14.0),
            uom,
        );
        rows.suppliers.last_mut().unwrap().currency = currency.map(Into::into);
    }
    plan::plan_all(
        &plan::join(rows),
        &PlanContext::default(),
        &RuleSet::embedded(),
    )
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

/// The POs drafting every product that needs an order makes, as the store
/// returns them (numbered, with their lines).
fn drafted_pos(plans: &[ProductPlan]) -> Vec<PurchaseOrder> {
    let chosen: Vec<&ProductPlan> = plans.iter().filter(|p| p.needs_order()).collect();
    let opts = DraftOptions {
        today: today(),
        approval_threshold: 10_000.0.into(),
        default_currency: "EUR".into(),
        open_products: Default::default(),
        allow_stale: Vec::new(),
    };
    let drafts = build_drafts(&chosen, &opts);
    assert!(drafts.skipped.is_empty(), "{:?}", drafts.skipped);
    drafts
        .pos
        .into_iter()
        .enumerate()
        .map(|(i, d)| PurchaseOrder {
            po_number: format!("PO-{:06}", i + 1),
            send_key: format!("PO-{:06}-7QK2M9XA3B", i + 1),
            supplier_id: d.supplier_id,
            supplier_name: d.supplier_name,
            currency: d.currency,
            total_cents: d.total_cents,
            status: if d.approval_reason.is_some() {
                PoStatus::PendingApproval
            } else {
                PoStatus::Draft
            },
            approval_reason: d.approval_reason,
            buyer: "alice".into(),
            created_at: "2026-11-21T09:00:00Z".into(),
            expected_delivery: d.expected_delivery,
            approved_by: None,
            approved_at: None,
            sent_at: None,
            confirmation: None,
            last_error: None,
            claim: None,
            claimed_at: None,
            updated_at: "2026-11-21T09:00:00Z".into(),
            line_count: d.lines.len(),
            note: None,
            lines: d.lines,
        })
        .collect()
}

fn app_of(plans: Vec<ProductPlan>) -> App {
    let mut app = App::new(plans);
    use chrono::TimeZone;
    app.now = chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Local);
    app
}

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    if let Some(action) = action_for(app, KeyEvent::new(code, modifiers)) {
        app.update(action);
    }
}

fn render(app: &mut App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

/// `O`, the store's list, then `Enter` on `number` and the store's answer.
fn open_po(app: &mut App, pos: &[PurchaseOrder], number: &str) {
    press(app, KeyCode::Char('O'), KeyModifiers::SHIFT);
    let wanted = std::mem::take(&mut app.orders_wanted);
    let [OrderRequest::List { request }] = wanted[..] else {
        panic!("{wanted:?}");
    };
    let listed: Vec<PurchaseOrder> = pos
        .iter()
        .map(|p| PurchaseOrder {
            lines: Vec::new(),
            ..p.clone()
        })
        .collect();
    app.update(Action::from(OrdersAnswer::Listed {
        request,
        result: Ok(listed),
    }));
    while app.orders.selected_po().unwrap().po_number != number {
        app.update(Action::Down);
    }
    press(app, KeyCode::Enter, KeyModifiers::NONE);
    let wanted = std::mem::take(&mut app.orders_wanted);
    let [OrderRequest::Load { request, .. }] = wanted[..] else {
        panic!("{wanted:?}");
    };
    let po = pos.iter().find(|p| p.po_number == number).unwrap().clone();
    app.update(Action::from(OrdersAnswer::Loaded {
        request,
        number: number.into(),
        result: Ok((po, Vec::new())),
    }));
}

/// A line of the PO screen as a buyer reads it.
#[derive(Debug)]
struct ScreenLine {
    product: String,
    quantity: Dec,
    unit: String,
    price: Dec,
    amount: Dec,
    /// (quantity, unit, price) in stock units, when on the row.
    stock: Option<(Dec, String, Dec)>,
}

/// "3 SKU-0000107 [name] 12 gallons x 3.97467875 = 47.70  45.4249 liters x
/// 1.05  [2026-11-28]", or None for a row that is not a PO line. The units
/// of these tests are one word each.
fn parse_line(row: &str, ids: &BTreeSet<String>) -> Option<(u32, ScreenLine)> {
    let (left, rest) = row.split_once(" x ")?;
    let (price, right) = rest.split_once(" = ")?;
    let words: Vec<&str> = left.split_whitespace().collect();
    let no = words.first()?.parse::<u32>().ok()?;
    let product = words.get(1)?.to_string();
    assert!(ids.contains(&product), "an id shown in part: {row:?}");
    let unit = words.last()?.trim_end_matches('*').to_string();
    let quantity = grouped(row, words[words.len() - 2]);
    let mut right = right.split_whitespace();
    let amount = grouped(row, right.next()?);
    let after: Vec<&str> = right.collect();
    let stock = match after[..] {
        [q, unit, "x", price, ..] => Some((grouped(row, q), unit.to_string(), grouped(row, price))),
        _ => None,
    };
    Some((
        no,
        ScreenLine {
            product,
            quantity,
            unit,
            price: grouped(row, price.trim()),
            amount,
            stock,
        },
    ))
}

/// Every line of the open PO, scrolled through to its end.
fn screen_lines(
    app: &mut App,
    width: u16,
    height: u16,
    po: &PurchaseOrder,
) -> BTreeMap<u32, ScreenLine> {
    let ids: BTreeSet<String> = po.lines.iter().map(|l| l.product_id.clone()).collect();
    let mut lines = BTreeMap::new();
    let mut last = None;
    app.update(Action::Top);
    loop {
        for row in render(app, width, height) {
            if let Some((no, line)) = parse_line(&row, &ids) {
                lines.insert(no, line);
            }
        }
        let scroll = app.orders.detail.as_ref().unwrap().scroll;
        if last == Some(scroll) {
            break;
        }
        last = Some(scroll);
        app.update(Action::Down);
    }
    lines
}

#[test]
fn every_line_of_the_po_screen_multiplies_out_and_prints_the_documents_figures() {
    let plans = plans();
    let pos = drafted_pos(&plans);
    assert!(pos.len() >= 6, "{}", pos.len());
    for (width, height) in SIZES {
        for po in &pos {
            let mut app = app_of(plans.clone());
            open_po(&mut app, &pos, &po.po_number);
            let at = format!("{} at {width}x{height}", po.po_number);
            let shown = screen_lines(&mut app, width, height, po);
            assert_eq!(shown.len(), po.lines.len(), "{at}: every line on screen");
            let doc = document::json_document(po);
            let mut sum = 0;
            for (l, d) in po.lines.iter().zip(doc["lines"].as_array().unwrap()) {
                let s = &shown[&l.line_no];
                let at = format!("{at} line {} ({})", l.line_no, l.product_id);
                assert_eq!(s.product, l.product_id, "{at}");
                assert_eq!(
                    s.quantity.mul(s.price).cents(),
                    s.amount.cents(),
                    "{at}: {s:?} does not multiply out"
                );
                // The figures of the supplier's document.
                for (figure, field) in [
                    (s.quantity, "quantity"),
                    (s.price, "unit_price"),
                    (s.amount, "amount"),
                ] {
                    assert!(
                        figure.same(decimal::dec(&at, &d[field].to_string())),
                        "{at}: {figure:?} on screen, {} in the document's {field}",
                        d[field]
                    );
                }
                // The purchase unit, its word agreeing with the number.
                let unit = l.purchase_uom.as_deref().unwrap();
                assert!(s.unit.starts_with(unit), "{at}: {} is not {unit}", s.unit);
                if let Some((q, unit, price)) = &s.stock {
                    assert!(
                        unit.starts_with(l.stock_uom.as_deref().unwrap()),
                        "{at}: {unit}"
                    );
                    assert!(price.same(of_f64(l.stock_unit_price)), "{at}: {price:?}");
                    assert_eq!(q.round(6), s.quantity.mul(of_f64(l.pack)).round(6), "{at}");
                    assert_eq!(q.mul(*price).cents(), s.amount.cents(), "{at}: stock units");
                }
                sum += s.amount.cents();
            }
            assert_eq!(
                sum,
                i128::from(po.total_cents),
                "{at}: the lines add up to the total"
            );
            let screen = render(&mut app, width, height).join("\n");
            app.update(Action::Top);
            let top = render(&mut app, width, height).join("\n");
            assert!(
                top.contains(&format!(
                    "Total {} {}",
                    buyerdesk::plan::numbers::fmt_money(po.total()),
                    po.currency
                )),
                "{at}:\n{top}\n{screen}"
            );
        }
    }
    // At 120 columns the stock-unit figures are on the row itself.
    let mut app = app_of(plans.clone());
    let po = pos
        .iter()
        .find(|p| p.lines.iter().any(|l| l.product_id == "PROD-003"))
        .unwrap();
    open_po(&mut app, &pos, &po.po_number);
    let shown = screen_lines(&mut app, 120, 40, po);
    assert!(shown.values().all(|s| s.stock.is_some()), "{shown:?}");
    let p3 = shown.values().find(|s| s.product == "PROD-003").unwrap();
    assert_eq!(p3.unit, "gallons");
    assert!(p3.price.same(decimal::dec("PROD-003", "11.29455")));
}

/// "12,000.00 EUR + 3,400.50 USD" read back: currency -> cents.
fn read_totals(text: &str) -> BTreeMap<String, i128> {
    text.split(" + ")
        .map(|term| {
            let (amount, currency) = term
                .trim()
                .split_once(' ')
                .unwrap_or_else(|| panic!("{term:?}"));
            let currency: String = currency
                .chars()
                .take_while(|c| c.is_ascii_uppercase())
                .collect();
            (currency, grouped(term, amount).cents())
        })
        .collect()
}

#[test]
fn the_open_pos_add_up_per_currency_under_the_list() {
    let plans = plans();
    let mut pos = drafted_pos(&plans);
    // Some in every state: the closed ones do not count.
    pos[0].status = PoStatus::Cancelled;
    pos[1].status = PoStatus::Sent;
    pos[2].status = PoStatus::Received;
    let mut expected: BTreeMap<String, i128> = BTreeMap::new();
    for po in pos.iter().filter(|p| p.status.is_open()) {
        *expected.entry(po.currency.clone()).or_default() += i128::from(po.total_cents);
    }
    assert!(expected.len() >= 2, "{expected:?}");
    let open = pos.iter().filter(|p| p.status.is_open()).count();
    for (width, height) in SIZES {
        let mut app = app_of(plans.clone());
        press(&mut app, KeyCode::Char('O'), KeyModifiers::SHIFT);
        let wanted = std::mem::take(&mut app.orders_wanted);
        let [OrderRequest::List { request }] = wanted[..] else {
            panic!("{wanted:?}");
        };
        app.update(Action::from(OrdersAnswer::Listed {
            request,
            result: Ok(pos.clone()),
        }));
        let screen = render(&mut app, width, height).join("\n");
        let prefix = format!("{open} open POs: ");
        let at = screen
            .find(&prefix)
            .unwrap_or_else(|| panic!("no totals at {width}x{height}:\n{screen}"));
        let text: String = screen[at + prefix.len()..]
            .split(';')
            .next()
            .unwrap()
            .replace('\n', " ");
        assert_eq!(read_totals(&text), expected, "{width}x{height}:\n{screen}");
        // Sent POs are open; received and cancelled ones are not counted.
        assert!(
            screen
                .replace('\n', " ")
                .contains("; not counted: 1 received, 1 cancelled"),
            "{width}x{height}:\n{screen}"
        );
        // Each PO's total beside its currency, whole.
        for po in &pos {
            let row = screen
                .lines()
                .find(|l| l.starts_with(&po.po_number))
                .unwrap_or_else(|| panic!("{} not listed:\n{screen}", po.po_number));
            let total = buyerdesk::plan::numbers::fmt_money(po.total());
            assert!(
                row.contains(&format!("{total} {}", po.currency)),
                "{width}x{height}: {row:?}"
            );
        }
    }
}

#[test]
fn the_drafting_question_says_how_many_pos_per_supplier_and_the_value_per_currency() {
    let plans = plans();
    let mut app = app_of(plans.clone());
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let question = app
        .orders
        .confirm
        .as_ref()
        .expect("a question")
        .question
        .clone();
    // Redone from the plans: one PO per supplier and currency, each line
    // quantity in purchase units x (pack x price per stock unit).
    let needed: Vec<&ProductPlan> = plans.iter().filter(|p| p.needs_order()).collect();
    let mut groups: BTreeSet<(String, String)> = BTreeSet::new();
    let mut values: BTreeMap<String, i128> = BTreeMap::new();
    for p in &needed {
        let currency = p.currency.as_deref().unwrap_or("EUR").to_string();
        groups.insert((
            p.supplier_name.as_deref().unwrap().to_string(),
            currency.clone(),
        ));
        let pack = of_f64(p.conversion_factor.unwrap_or(1.0));
        let purchase = of_f64(p.purchase_qty);
        let price = pack.mul(of_f64(p.unit_price.unwrap_or(0.0)));
        *values.entry(currency).or_default() += purchase.mul(price).cents();
    }
    let suppliers: BTreeSet<&str> = groups.iter().map(|(s, _)| s.as_str()).collect();
    // "Draft 9 POs for 12 products from 4 suppliers: 1,234.56 EUR, 78.90 USD? y/n"
    let head = format!(
        "Draft {} POs for {} products from {} suppliers: ",
        groups.len(),
        needed.len(),
        suppliers.len()
    );
    assert!(question.starts_with(&head), "{question}\nexpected {head}");
    let totals = question[head.len()..]
        .split(';')
        .next()
        .unwrap()
        .trim_end_matches("? y/n")
        .replace(", ", " + ");
    let totals = totals.as_str();
    assert_eq!(read_totals(totals), values, "{question}");
    assert!(values.len() >= 2);
    // The same as the POs the drafting makes of these plans.
    let drafted = drafted_pos(&plans);
    assert_eq!(drafted.len(), groups.len(), "{question}");
    let mut drafted_values: BTreeMap<String, i128> = BTreeMap::new();
    for po in &drafted {
        *drafted_values.entry(po.currency.clone()).or_default() += i128::from(po.total_cents);
    }
    assert_eq!(drafted_values, values, "{question}");
    // On screen whole, at each size.
    for (width, height) in SIZES {
        let screen = render(&mut app, width, height).join(" ");
        let words: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        let popup: String = words
            .replace(" │ │", " ")
            .replace("│ │", " ")
            .replace('│', "");
        for figure in totals.split(" + ") {
            assert!(
                popup.contains(figure.split(' ').next().unwrap()),
                "{figure} at {width}x{height}:\n{}",
                render(&mut app, width, height).join("\n")
            );
        }
    }
    // Yes drafts exactly the products the question counted.
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    let wanted = std::mem::take(&mut app.orders_wanted);
    let [OrderRequest::Draft { ref products, .. }] = wanted[..] else {
        panic!("{wanted:?}");
    };
    assert_eq!(products.len(), needed.len());

    // One PO per supplier: said so.
    let eur_only: Vec<ProductPlan> = plans
        .iter()
        .filter(|p| p.currency.is_none() && p.needs_order())
        .cloned()
        .collect();
    let suppliers: BTreeSet<&str> = eur_only
        .iter()
        .map(|p| p.supplier_name.as_deref().unwrap())
        .collect();
    let mut app2 = app_of(eur_only.clone());
    press(&mut app2, KeyCode::Char('P'), KeyModifiers::SHIFT);
    let question = &app2.orders.confirm.as_ref().unwrap().question;
    assert!(
        question.starts_with(&format!(
            "Draft {} POs for {} products from {} suppliers: ",
            suppliers.len(),
            eur_only.len(),
            suppliers.len()
        )),
        "{question}"
    );
    assert!(!question.contains("USD"), "{question}");
}

#[test]
fn the_drafting_result_says_what_the_pos_come_to_per_currency() {
    let plans = plans();
    let pos = drafted_pos(&plans);
    let mut app = app_of(plans.clone());
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    let wanted = std::mem::take(&mut app.orders_wanted);
    let [OrderRequest::Draft { ref products, .. }] = wanted[..] else {
        panic!("{wanted:?}");
    };
    app.update(Action::from(OrdersAnswer::Drafted {
        products: products.clone(),
        result: Ok((
            pos.clone(),
            vec![buyerdesk::orders::Skipped {
                product_id: "GONE-1".into(),
                reason: "not in the plan any more".into(),
            }],
        )),
    }));
    let mut expected: BTreeMap<String, i128> = BTreeMap::new();
    for po in &pos {
        *expected.entry(po.currency.clone()).or_default() += i128::from(po.total_cents);
    }
    for (width, height) in SIZES {
        let screen = render(&mut app, width, height).join("\n");
        let at = screen
            .find("Drafted: ")
            .unwrap_or_else(|| panic!("{width}x{height}:\n{screen}"));
        let text: String = screen[at + "Drafted: ".len()..]
            .split("PO-000001")
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(read_totals(&text), expected, "{width}x{height}:\n{screen}");
    }
}
