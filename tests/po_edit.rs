//! Changing POs after drafting, on SQLite, PostgreSQL and MariaDB: a
//! line's quantity in whole packs and the approval worked out again (per
//! currency, with the rules' flags), a line removed, the note, two
//! workstations editing one PO at once, four eyes, sending that never
//! approves, and partial receipts that leave the rest on order.

mod common;

use buyerdesk::config::{Config, FileConfig};
use buyerdesk::orders::{
    approval_reason, ApprovalThreshold, DraftPlan, PoDraft, PoLine, PoStatus, QtyUnit, Sender,
};
use buyerdesk::store::Store;
use common::{Db, Role, ScratchDb};

fn config_in(db: &ScratchDb, user: &str, data: &std::path::Path, four_eyes: bool) -> Config {
    let mut file = FileConfig::default();
    db.configure(&mut file.purchasing);
    file.general.user = Some(user.into());
    file.orders
        .insert("four_eyes".into(), toml::Value::Boolean(four_eyes));
    Config {
        file,
        origin: "po edit test".into(),
        data_dir: data.to_path_buf(),
    }
}

/// `qty` purchase units of `pack` stock units at `price` a stock unit.
fn line(product: &str, qty: f64, pack: f64, price: f64, flagged: bool) -> PoLine {
    let f = buyerdesk::orders::LineFigures::new(qty, pack, price).unwrap();
    PoLine {
        line_no: 0,
        product_id: product.into(),
        product_name: Some(format!("{product} name")),
        qty_stock: f.stock_quantity.to_f64(),
        stock_uom: Some("pieces".into()),
        qty_purchase: qty,
        purchase_uom: Some("box".into()),
        pack,
        stock_unit_price: price,
        amount_cents: f.amount_cents().unwrap(),
        lead_time_days: 7.0,
        expected_delivery: "2026-12-01".into(),
        suggested_qty: qty * pack,
        overridden: false,
        requires_approval: flagged,
        qty_received: 0.0,
    }
}

fn threshold() -> ApprovalThreshold {
    ApprovalThreshold {
        default: 10_000.0,
        currencies: [("EUR".to_string(), 9_000.0)].into(),
    }
}

fn draft(supplier: &str, lines: Vec<PoLine>) -> PoDraft {
    let total_cents = lines.iter().map(|l| l.amount_cents).sum();
    let lines: Vec<PoLine> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| PoLine {
            line_no: i as u32 + 1,
            ..l
        })
        .collect();
    PoDraft {
        supplier_id: Some(supplier.into()),
        supplier_name: format!("{supplier} Ltd"),
        currency: "EUR".into(),
        approval_reason: approval_reason(total_cents, "EUR", &threshold(), &lines),
        total_cents,
        lines,
        expected_delivery: "2026-12-01".into(),
    }
}

/// The PO's total is what its lines add up to, each line quantity x
/// price per purchase unit.
fn assert_adds_up(po: &buyerdesk::orders::PurchaseOrder, test: &str) {
    let mut sum = 0;
    for l in &po.lines {
        let f = l.figures().unwrap();
        assert_eq!(
            Some(l.amount_cents),
            f.amount_cents(),
            "{test}: {} line {} amount",
            po.po_number,
            l.line_no
        );
        assert_eq!(
            l.qty_stock,
            l.qty_purchase * l.pack,
            "{test}: stock quantity"
        );
        sum += l.amount_cents;
    }
    assert_eq!(po.total_cents, sum, "{test}: {} total", po.po_number);
}

async fn drafts_are_edited_approved_sent_and_received(test: &str, db: Db) {
    let Some(admin) = db.admin_url(test) else {
        return;
    };
    let scratch = ScratchDb::create_as(db, &admin, "purchasing", Role::Writer).await;
    let data = tempfile::tempdir().unwrap();
    let alice_config = config_in(&scratch, "alice", data.path(), true);
    let alice = Store::open(&alice_config).await.unwrap();
    let bob = Store::open(&config_in(&scratch, "bob", data.path(), true))
        .await
        .unwrap();
    let t = threshold();

    // P1: 50 boxes of 12 at 15.50 = 9,300.00; P2: 10 x 100.00 = 1,000.00,
    // flagged by the rules. 10,300.00 EUR is above the EUR threshold.
    let created = alice
        .create_pos(DraftPlan {
            pos: vec![draft(
                "SUP-A",
                vec![
                    line("P1", 50.0, 12.0, 15.5, false),
                    line("P2", 10.0, 1.0, 100.0, true),
                ],
            )],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let number = created.created[0].po_number.clone();
    let po = alice.po_required(&number).await.unwrap();
    assert_eq!(po.status, PoStatus::PendingApproval, "{test}");
    assert_eq!(
        po.approval_reason.as_deref(),
        Some("total 10,300.00 EUR is above the EUR threshold 9,000.00; the rules ask approval for P2"),
        "{test}: both levels named"
    );
    assert!(po.lines[1].requires_approval, "{test}: the flag is kept");

    // 700 pieces is not whole boxes of 12: refused, offering 696 and 708.
    let e = alice
        .edit_line_qty(&number, 1, 700.0, QtyUnit::Stock, &t)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("700 pieces is 58.33 boxes: order 696 (58 boxes) or 708 (59 boxes)"),
        "{test}: {e}"
    );

    // 40 boxes: 7,440.00 + 1,000.00 = 8,440.00, under the threshold, but
    // P2 is still flagged: pending, for the rules alone.
    let po = alice
        .edit_line_qty(&number, 1, 40.0, QtyUnit::Purchase, &t)
        .await
        .unwrap();
    assert_adds_up(&po, test);
    assert_eq!(po.total_cents, 844_000, "{test}");
    assert_eq!(po.status, PoStatus::PendingApproval, "{test}");
    assert_eq!(
        po.approval_reason.as_deref(),
        Some("the rules ask approval for P2"),
        "{test}"
    );

    // Two workstations edit the PO at once: neither change is lost.
    let (a, b) = tokio::join!(
        alice.edit_line_qty(&number, 1, 492.0, QtyUnit::Stock, &t),
        bob.edit_line_qty(&number, 2, 20.0, QtyUnit::Purchase, &t)
    );
    a.unwrap();
    b.unwrap();
    let po = alice.po_required(&number).await.unwrap();
    assert_adds_up(&po, test);
    assert_eq!(po.lines[0].qty_purchase, 41.0, "{test}: alice's edit kept");
    assert_eq!(po.lines[1].qty_purchase, 20.0, "{test}: bob's edit kept");
    // 41 x 186.00 + 20 x 100.00 = 7,626.00 + 2,000.00.
    assert_eq!(po.total_cents, 962_600, "{test}");
    assert_eq!(
        po.approval_reason.as_deref(),
        Some(
            "total 9,626.00 EUR is above the EUR threshold 9,000.00; the rules ask approval for P2"
        ),
        "{test}"
    );

    // Removing P2 frees it and leaves 7,626.00: a draft again.
    let po = alice.remove_line(&number, 2, &t).await.unwrap();
    assert_adds_up(&po, test);
    assert_eq!(po.status, PoStatus::Draft, "{test}");
    assert_eq!(po.approval_reason, None, "{test}");
    assert_eq!(po.line_count, 1, "{test}");
    let open = alice.open_products().await.unwrap();
    assert!(
        open.contains_key("P1") && !open.contains_key("P2"),
        "{test}: {open:?}"
    );
    let e = alice
        .remove_line(&number, 1, &t)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("cancel the PO instead"), "{test}: {e}");
    let po = alice.set_note(&number, "deliver to dock 4").await.unwrap();
    assert_eq!(po.note.as_deref(), Some("deliver to dock 4"), "{test}");

    // Up to 60 boxes: 11,160.00 is above the threshold again.
    let po = alice
        .edit_line_qty(&number, 1, 60.0, QtyUnit::Purchase, &t)
        .await
        .unwrap();
    assert_eq!(po.status, PoStatus::PendingApproval, "{test}");
    assert_eq!(po.total_cents, 1_116_000, "{test}");

    // Sending never approves: a PO pending approval is refused, even
    // confirmed.
    let sender = Sender::new(alice.clone(), &alice_config).unwrap();
    let e = sender
        .send_confirmed(&number, &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs an approval first"), "{test}: {e}");

    // Four eyes: alice drafted it, alice may not approve it; bob may.
    let e = alice.approve(&number).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("{number} was drafted by alice")) && e.contains("four_eyes"),
        "{test}: {e}"
    );
    let refused = alice
        .approve_all(std::slice::from_ref(&number))
        .await
        .unwrap();
    assert!(
        refused.approved.is_empty() && refused.refused.len() == 1,
        "{test}"
    );
    let approved = bob
        .approve_all(std::slice::from_ref(&number))
        .await
        .unwrap();
    assert_eq!(approved.approved.len(), 1, "{test}: {:?}", approved.refused);
    assert_eq!(approved.approved[0].approved_by.as_deref(), Some("bob"));
    let e = alice
        .edit_line_qty(&number, 1, 1.0, QtyUnit::Purchase, &t)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("only a draft or a PO pending approval"),
        "{test}: {e}"
    );

    sender.send(&number, &|_| {}).await.unwrap();
    let on_order = |s: &Store| {
        let s = s.clone();
        async move { s.open_pos_by_product().await.unwrap() }
    };
    assert_eq!(on_order(&alice).await["P1"].counted_qty, 720.0, "{test}");

    // Partial receipts: 25 boxes, then 30 more; the rest stays on order.
    let po = alice.receive_lines(&number, &[(1, 25.0)]).await.unwrap();
    assert_eq!(po.status, PoStatus::Sent, "{test}");
    assert_eq!(po.lines[0].qty_received, 25.0, "{test}");
    assert_eq!(
        on_order(&alice).await["P1"].counted_qty,
        (60.0 - 25.0) * 12.0,
        "{test}"
    );
    let e = alice
        .receive_lines(&number, &[(1, 30.0), (1, 6.0)])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("over what was ordered (at most 35 boxes more)"),
        "{test}: {e}"
    );
    assert_eq!(
        alice.po_required(&number).await.unwrap().lines[0].qty_received,
        25.0,
        "{test}: a refused receipt writes nothing"
    );
    alice.receive_lines(&number, &[(1, 30.0)]).await.unwrap();
    assert_eq!(on_order(&alice).await["P1"].counted_qty, 60.0, "{test}");
    let po = alice.receive(&number).await.unwrap();
    assert_eq!(po.status, PoStatus::Received, "{test}");
    assert_eq!(po.lines[0].qty_received, 60.0, "{test}");
    assert!(!on_order(&alice).await.contains_key("P1"), "{test}");
    assert!(
        !alice.open_products().await.unwrap().contains_key("P1"),
        "{test}"
    );

    // A draft within the threshold goes out only on the buyer's word, and
    // no approval is written.
    let small = alice
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-B", vec![line("P3", 1.0, 1.0, 50.0, false)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let small = small.created[0].po_number.clone();
    let e = sender.send(&small, &|_| {}).await.unwrap_err().to_string();
    assert!(
        e.contains("only on the buyer's confirmation"),
        "{test}: {e}"
    );
    assert_eq!(
        alice.po_required(&small).await.unwrap().status,
        PoStatus::Draft,
        "{test}"
    );
    // Confirmed as seen (50.00), but bob changed it meanwhile: refused.
    let seen = alice.po_required(&small).await.unwrap().total_cents;
    bob.edit_line_qty(&small, 1, 2.0, QtyUnit::Purchase, &t)
        .await
        .unwrap();
    let e = sender
        .send_confirmed_as_seen(&small, seen, &|_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("changed after the confirmation (now 100.00 EUR"),
        "{test}: {e}"
    );
    assert_eq!(
        alice.po_required(&small).await.unwrap().status,
        PoStatus::Draft,
        "{test}"
    );
    let seen = alice.po_required(&small).await.unwrap().total_cents;
    sender
        .send_confirmed_as_seen(&small, seen, &|_| {})
        .await
        .unwrap();
    let sent = alice.po_required(&small).await.unwrap();
    assert_eq!(sent.status, PoStatus::Sent, "{test}");
    assert_eq!(sent.approved_by, None, "{test}: sending never approves");

    // Drafts sent in a batch (the file channel's one transaction) on the
    // buyer's word: none is approved either.
    let batch = alice
        .create_pos(DraftPlan {
            pos: vec![
                draft("SUP-C", vec![line("P4", 1.0, 1.0, 10.0, false)]),
                draft("SUP-D", vec![line("P5", 2.0, 1.0, 10.0, false)]),
            ],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let results = sender.send_all(true, &|_| {}).await.unwrap();
    for po in &batch.created {
        let r = results
            .iter()
            .find(|(n, _)| *n == po.po_number)
            .unwrap_or_else(|| panic!("{test}: {} not sent: {results:?}", po.po_number));
        assert!(r.1.is_ok(), "{test}: {:?}", r.1);
        let now = alice.po_required(&po.po_number).await.unwrap();
        assert_eq!(now.status, PoStatus::Sent, "{test}");
        assert_eq!(now.approved_by, None, "{test}: sending never approves");
    }

    // A product taken by another PO meanwhile lowers a draft's total: its
    // approval is worked out again (here: under the threshold, a draft).
    alice
        .create_pos(DraftPlan {
            pos: vec![draft("SUP-F", vec![line("P8", 1.0, 1.0, 10.0, false)])],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let both = draft(
        "SUP-G",
        vec![
            line("P8", 50.0, 12.0, 15.5, false),
            line("P9", 1.0, 1.0, 10.0, false),
        ],
    );
    assert!(both.approval_reason.is_some(), "{test}: 9,310.00 EUR waits");
    let lowered = alice
        .create_pos(DraftPlan {
            pos: vec![both],
            skipped: Vec::new(),
            approval_threshold: Some(t.clone()),
        })
        .await
        .unwrap();
    let po = &lowered.created[0];
    assert_eq!(
        (po.total_cents, po.status),
        (1_000, PoStatus::Draft),
        "{test}"
    );
    assert_eq!(po.approval_reason, None, "{test}");
    let read = alice.po_required(&po.po_number).await.unwrap();
    assert_eq!(
        (read.total_cents, read.status, read.approval_reason),
        (1_000, PoStatus::Draft, None),
        "{test}: as written"
    );

    // A PO drafted before its lines kept the rules' flag (schema 7): the
    // products its reason names stay flagged through an edit.
    let mut old = draft(
        "SUP-E",
        vec![
            line("P6", 2.0, 1.0, 10.0, false),
            line("P7", 1.0, 1.0, 10.0, false),
        ],
    );
    old.approval_reason = Some("the rules ask approval for P7".into());
    let old = alice
        .create_pos(DraftPlan {
            pos: vec![old],
            skipped: Vec::new(),
            approval_threshold: None,
        })
        .await
        .unwrap();
    let old = old.created[0].po_number.clone();
    let po = alice
        .edit_line_qty(&old, 1, 1.0, QtyUnit::Purchase, &t)
        .await
        .unwrap();
    assert_eq!(po.status, PoStatus::PendingApproval, "{test}");
    assert_eq!(
        po.approval_reason.as_deref(),
        Some("the rules ask approval for P7"),
        "{test}"
    );

    let audit = alice.audit_entries(None).await.unwrap();
    let of = |action: &str| -> Vec<String> {
        audit
            .iter()
            .filter(|e| e.action == action)
            .filter_map(|e| e.detail.clone())
            .collect()
    };
    assert!(
        of("po_line_changed")
            .iter()
            .any(|d| d.starts_with(&format!("{number} line 1 P1: 50 -> 40 boxes (600 -> 480 pieces), 9300.00 -> 7440.00; total 10300.00 -> 8440.00 EUR"))),
        "{test}: {:?}",
        of("po_line_changed")
    );
    assert!(
        of("po_line_removed")[0].contains("status pending_approval -> draft"),
        "{test}"
    );
    assert_eq!(
        of("po_note"),
        [format!("{number} note: (none) -> \"deliver to dock 4\"")]
    );
    assert_eq!(
        of("po_line_received").len(),
        3,
        "{test}: {:?}",
        of("po_line_received")
    );
    for n in std::iter::once(&small).chain(batch.created.iter().map(|p| &p.po_number)) {
        assert!(
            of("po_send_started")
                .iter()
                .any(|d| d.starts_with(n.as_str()) && d.contains("sent without approval")),
            "{test}: {n}: {:?}",
            of("po_send_started")
        );
    }
    assert!(
        of("po_send_started")
            .iter()
            .any(|d| d.starts_with(&small) && d.contains("sent without approval")),
        "{test}: {:?}",
        of("po_send_started")
    );
    let approvals = of("po_approved");
    assert_eq!(
        approvals.len(),
        1,
        "{test}: only bob's approval: {approvals:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_drafts_are_edited_approved_sent_and_received() {
    drafts_are_edited_approved_sent_and_received("sqlite_po_edit", Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_drafts_are_edited_approved_sent_and_received() {
    drafts_are_edited_approved_sent_and_received("postgres_po_edit", Db::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_drafts_are_edited_approved_sent_and_received() {
    drafts_are_edited_approved_sent_and_received("mariadb_po_edit", Db::MySql).await;
}
