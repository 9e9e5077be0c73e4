//! Saving drafts: PO numbers from the sequence, the POs and their lines
//! in transactions of a few hundred, each product taken for one open PO.

use super::*;

impl Store {
    /// Saves the drafts: each PO gets its number and takes its products in
    /// one transaction; a product another PO holds (perhaps drafted on
    /// another workstation a moment ago) is left out with the reason.
    pub async fn create_pos(&self, plan: DraftPlan) -> Result<DraftOutcome> {
        let mut out = DraftOutcome {
            created: Vec::new(),
            skipped: plan.skipped,
        };
        // A few hundred POs per transaction: one commit (one sync) for all
        // of them, and never a long hold on the locks.
        for chunk in plan.pos.chunks(DRAFTS_PER_TRANSACTION) {
            let mut tries = 0;
            loop {
                tries += 1;
                match self
                    .create_chunk(chunk, plan.approval_threshold.as_ref())
                    .await
                {
                    Ok((created, skipped)) => {
                        out.created.extend(created);
                        out.skipped.extend(skipped);
                        break;
                    }
                    Err(e) if tries < 5 && is_contention(&e) => {
                        tracing::info!("drafting: retrying after {e:#}");
                        tokio::time::sleep(std::time::Duration::from_millis(20 * tries)).await;
                    }
                    Err(e) => {
                        let first = chunk
                            .first()
                            .map(|d| d.supplier_name.as_str())
                            .unwrap_or("");
                        return Err(e.context(format!("drafting the POs (from {first})")));
                    }
                }
            }
        }
        Ok(out)
    }

    /// One transaction of drafts, a few statements for all of them (on
    /// loopback a statement's round trip costs more than the server's work
    /// for it): the numbers, the headers, the products taken, the lines,
    /// the audit rows. Built from what was written (no read back).
    pub(super) async fn create_chunk(
        &self,
        drafts: &[PoDraft],
        threshold: Option<&crate::orders::ApprovalThreshold>,
    ) -> Result<(Vec<PurchaseOrder>, Vec<Skipped>)> {
        let b = self.source.backend;
        let mut tx = self.source.begin().await?;
        let seqs = self.next_numbers(&mut tx, drafts.len()).await?;
        let numbers: Vec<String> = seqs.iter().map(|&s| po_number(s)).collect();
        // Written once, here, and never worked out again.
        let identity = self.identity_required()?.identity.as_str();
        let at = now();
        let status_of = |d: &PoDraft| {
            if d.approval_reason.is_some() {
                PoStatus::PendingApproval
            } else {
                PoStatus::Draft
            }
        };
        // The headers first: the product locks refer to them. The total is
        // the draft's; lowered below where another PO holds a product.
        let heads: Vec<(&PoDraft, &String, i64)> = drafts
            .iter()
            .zip(&numbers)
            .zip(&seqs)
            .map(|((d, n), &seq)| (d, n, seq))
            .collect();
        self.insert_rows(
            &mut tx,
            "INSERT INTO purchase_orders (po_number, seq, supplier_key, supplier_id, supplier_name, currency, \
             total_cents, status, approval_reason, buyer, created_at, expected_delivery, updated_at, send_key)",
            "",
            &heads,
            |q, &(d, number, seq)| {
                let key = d.supplier_id.as_deref().unwrap_or(&d.supplier_name);
                vec![
                    q.bind(number),
                    q.bind_num(&seq.to_string(), "BIGINT"),
                    q.bind(key),
                    q.bind_opt(d.supplier_id.as_deref()),
                    q.bind(&d.supplier_name),
                    q.bind(&d.currency),
                    q.bind_num(&d.total_cents.to_string(), "BIGINT"),
                    q.bind(status_of(d).as_str()),
                    q.bind_opt(d.approval_reason.as_deref()),
                    q.bind(&self.user),
                    q.bind(&at),
                    q.bind(&d.expected_delivery),
                    q.bind(&at),
                    q.bind(&send_key(number, identity)),
                ]
            },
        )
        .await?;
        // Every product of the transaction in id order: two drafters take
        // them in the same order, so they wait on each other instead of
        // deadlocking. A product another open PO holds is not taken.
        let mut wanted: Vec<(&str, &str)> = drafts
            .iter()
            .zip(&numbers)
            .flat_map(|(d, n)| {
                d.lines
                    .iter()
                    .map(move |l| (l.product_id.as_str(), n.as_str()))
            })
            .collect();
        wanted.sort_unstable();
        let (take, take_end) = match b {
            Backend::Postgres => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
            Backend::MySql => ("INSERT IGNORE INTO", ""),
            Backend::Sqlite => ("INSERT OR IGNORE INTO", ""),
        };
        self.insert_rows(
            &mut tx,
            &format!("{take} po_open_products (product_id, po_number)"),
            take_end,
            &wanted,
            |q, (product, number)| vec![q.bind(product), q.bind(number)],
        )
        .await?;
        // Who holds each product now: one of these POs, or another one
        // (named in the reason when this transaction can see it).
        let mut holders: HashMap<String, (String, String)> = HashMap::new();
        for part in wanted.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let sql = format!(
                "SELECT {}, {}, {} FROM po_open_products o JOIN purchase_orders p ON p.po_number = o.po_number \
                 WHERE o.product_id IN ({})",
                b.as_text("o.product_id"),
                b.as_text("o.po_number"),
                b.as_text("p.status"),
                q.list(part.iter().map(|(product, _)| *product))
            );
            for r in tx.fetch(&sql, &q.binds).await? {
                let mut it = r.into_iter();
                if let (Some(Some(product)), Some(Some(po)), Some(Some(status))) =
                    (it.next(), it.next(), it.next())
                {
                    holders.insert(product, (po, status));
                }
            }
        }
        let mut created = Vec::new();
        let mut skipped = Vec::new();
        let mut empty: Vec<&str> = Vec::new();
        let mut lowered: Vec<(&str, i64, Option<String>, PoStatus)> = Vec::new();
        for (i, d) in drafts.iter().enumerate() {
            let number = &numbers[i];
            let mut lines: Vec<&PoLine> = d.lines.iter().collect();
            lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
            let mut kept = Vec::with_capacity(lines.len());
            for l in lines {
                match holders.get(&l.product_id) {
                    Some((po, _)) if po == number => kept.push(PoLine {
                        line_no: kept.len() as u32 + 1,
                        ..l.clone()
                    }),
                    held => skipped.push(Skipped {
                        product_id: l.product_id.clone(),
                        reason: format!(
                            "already on {}",
                            held.map(|(po, status)| format!("{po} ({status})"))
                                .unwrap_or_else(|| "another PO".into())
                        ),
                    }),
                }
            }
            if kept.is_empty() {
                // Nothing left to order from this supplier: no PO. The
                // number is spent (numbers are never reused).
                empty.push(number);
                continue;
            }
            let total_cents: i64 = kept.iter().map(|l| l.amount_cents).sum();
            // Lines taken by another PO lowered the total: the approval is
            // worked out again on what is left.
            let mut approval_reason = d.approval_reason.clone();
            let mut status = status_of(d);
            if total_cents != d.total_cents {
                if let Some(t) = threshold {
                    approval_reason =
                        crate::orders::approval_reason(total_cents, &d.currency, t, &kept);
                    status = if approval_reason.is_some() {
                        PoStatus::PendingApproval
                    } else {
                        PoStatus::Draft
                    };
                }
                lowered.push((number, total_cents, approval_reason.clone(), status));
            }
            created.push(PurchaseOrder {
                send_key: send_key(number, identity),
                po_number: number.clone(),
                supplier_id: d.supplier_id.clone(),
                supplier_name: d.supplier_name.clone(),
                currency: d.currency.clone(),
                total_cents,
                status,
                approval_reason,
                buyer: self.user.clone(),
                created_at: at.clone(),
                expected_delivery: d.expected_delivery.clone(),
                approved_by: None,
                approved_at: None,
                sent_at: None,
                confirmation: None,
                last_error: None,
                claim: None,
                claimed_at: None,
                updated_at: at.clone(),
                line_count: kept.len(),
                note: None,
                lines: kept,
            });
        }
        for part in empty.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let sql = format!(
                "DELETE FROM purchase_orders WHERE po_number IN ({})",
                q.list(part.iter().copied())
            );
            tx.exec(&sql, &q.binds).await?;
        }
        for (number, total_cents, reason, status) in &lowered {
            tx.exec(
                &format!(
                    "UPDATE purchase_orders SET total_cents = {}, approval_reason = {}, status = {} \
                     WHERE po_number = {}",
                    self.num(1, "BIGINT"),
                    self.p(2),
                    self.p(3),
                    self.p(4)
                ),
                &[
                    Some(total_cents.to_string()),
                    reason.clone(),
                    Some(status.as_str().to_string()),
                    Some(number.to_string()),
                ],
            )
            .await?;
        }
        let lines: Vec<(&str, &PoLine)> = created
            .iter()
            .flat_map(|po| po.lines.iter().map(move |l| (po.po_number.as_str(), l)))
            .collect();
        self.insert_rows(
            &mut tx,
            "INSERT INTO po_lines (po_number, line_no, product_id, product_name, qty_stock, stock_uom, qty_purchase, \
             purchase_uom, pack, unit_price, amount_cents, lead_time_days, expected_delivery, suggested_qty, overridden, \
             rules_approval)",
            "",
            &lines,
            |q, (number, l)| {
                vec![
                    q.bind(number),
                    q.bind_num(&l.line_no.to_string(), "INTEGER"),
                    q.bind(&l.product_id),
                    q.bind_opt(l.product_name.as_deref()),
                    q.bind_num(&l.qty_stock.to_string(), "DOUBLE PRECISION"),
                    q.bind_opt(l.stock_uom.as_deref()),
                    q.bind_num(&l.qty_purchase.to_string(), "DOUBLE PRECISION"),
                    q.bind_opt(l.purchase_uom.as_deref()),
                    q.bind_num(&l.pack.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(&l.stock_unit_price.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(&l.amount_cents.to_string(), "BIGINT"),
                    q.bind_num(&l.lead_time_days.to_string(), "DOUBLE PRECISION"),
                    q.bind(&l.expected_delivery),
                    q.bind_num(&l.suggested_qty.to_string(), "DOUBLE PRECISION"),
                    q.bind_num(if l.overridden { "1" } else { "0" }, "INTEGER"),
                    q.bind_num(if l.requires_approval { "1" } else { "0" }, "INTEGER"),
                ]
            },
        )
        .await?;
        // Each line that orders a buyer's override records the override's
        // revision (the one whose quantity it orders, as it stands in this
        // transaction): once the PO is sent, that override is used up.
        let with_override: Vec<&str> = created
            .iter()
            .filter(|po| po.lines.iter().any(|l| l.overridden))
            .map(|po| po.po_number.as_str())
            .collect();
        for part in with_override.chunks(ROWS_PER_STATEMENT) {
            let mut q = Binds::new(b);
            let sql = format!(
                "UPDATE po_lines SET override_revision = (SELECT o.revision FROM overrides o \
                 WHERE o.product_id = po_lines.product_id AND o.cleared_at IS NULL \
                 AND ABS(o.order_qty - po_lines.qty_stock) < 0.0001) \
                 WHERE overridden = 1 AND po_number IN ({})",
                q.list(part.iter().copied())
            );
            tx.exec(&sql, &q.binds).await?;
        }
        let audit: Vec<(Option<&str>, String)> = created
            .iter()
            .map(|po| {
                let products: Vec<&str> = po.lines.iter().map(|l| l.product_id.as_str()).collect();
                (
                    None,
                    format!(
                        "{} {}: {} {} ({}){}",
                        po.po_number,
                        po.supplier_name,
                        cents_text(po.total_cents),
                        po.currency,
                        products.join(", "),
                        po.approval_reason
                            .as_deref()
                            .map(|r| format!("; needs approval: {r}"))
                            .unwrap_or_default()
                    ),
                )
            })
            .collect();
        self.audit_many(&mut tx, "po_drafted", &audit).await?;
        tx.commit().await?;
        for po in &created {
            tracing::info!(po = %po.po_number, supplier = %po.supplier_name, lines = po.line_count, "PO drafted");
        }
        Ok((created, skipped))
    }

    /// `n` new PO numbers (sequence values), lowest first.
    pub(super) async fn next_numbers(&self, tx: &mut Tx, n: usize) -> Result<Vec<i64>> {
        let parse = |rows: crate::sources::TextRows| -> Result<Vec<i64>> {
            rows.iter()
                .map(|r| {
                    r.first()
                        .cloned()
                        .flatten()
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| anyhow!("the PO number sequence gave no number"))
                })
                .collect()
        };
        let mut seqs = match self.source.backend {
            Backend::Postgres => parse(
                tx.fetch(
                    "SELECT CAST(nextval('po_number_seq') AS TEXT) FROM generate_series(1, CAST($1 AS INTEGER))",
                    &[Some(n.to_string())],
                )
                .await?,
            )?,
            Backend::Sqlite => {
                let mut out = Vec::with_capacity(n);
                let all: Vec<usize> = (0..n).collect();
                for part in all.chunks(ROWS_PER_STATEMENT) {
                    let mut q = Binds::new(Backend::Sqlite);
                    let at = now();
                    let rows: Vec<String> = part
                        .iter()
                        .map(|_| format!("({}, {})", q.bind(&at), q.bind(&self.user)))
                        .collect();
                    let sql = format!(
                        "INSERT INTO po_numbers (taken_at, taken_by) VALUES {} RETURNING CAST(id AS TEXT)",
                        rows.join(", ")
                    );
                    out.extend(parse(tx.fetch(&sql, &q.binds).await?)?);
                }
                out
            }
            // MySQL has no RETURNING (MariaDB's is not MySQL's), and the ids
            // of a multi-row insert are consecutive only in some lock modes:
            // one insert per number.
            Backend::MySql => {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(
                        tx.insert_id(
                            "INSERT INTO po_numbers (taken_at, taken_by) VALUES (?, ?)",
                            &[Some(now()), Some(self.user.clone())],
                        )
                        .await?,
                    );
                }
                out
            }
        };
        if seqs.len() != n {
            bail!(
                "the PO number sequence gave {} numbers for {n} POs",
                seqs.len()
            );
        }
        seqs.sort_unstable();
        Ok(seqs)
    }
}
