//! A PO's status changes: approval, closing, cancelling (never a PO that
//! may be with its supplier without the buyer's word). Receipts are in
//! `editing.rs`.

use super::*;

impl Store {
    /// Changes a PO's status from one of `from` to `to` with `sets` (extra
    /// `column = value` pairs) and an audit row, in one transaction. A PO
    /// in another status is refused with a message naming its status.
    pub(super) async fn transition(
        &self,
        number: &str,
        from: &[PoStatus],
        to: PoStatus,
        sets: &[(&str, Option<String>)],
        action: &str,
        detail: String,
    ) -> Result<PurchaseOrder> {
        let mut tx = self.source.begin().await?;
        if !self
            .transition_in(&mut tx, number, from, to, sets, action, detail)
            .await?
        {
            drop(tx);
            let po = self.po_required(number).await?;
            bail!(
                "{number} is {}: it cannot become {to} (only from {})",
                po.status,
                from.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            );
        }
        tx.commit().await?;
        self.po_required(number).await
    }

    /// `transition` within `tx`: false (nothing written) when the PO is in
    /// none of the `from` statuses.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn transition_in(
        &self,
        tx: &mut Tx,
        number: &str,
        from: &[PoStatus],
        to: PoStatus,
        sets: &[(&str, Option<String>)],
        action: &str,
        detail: String,
    ) -> Result<bool> {
        let b = self.source.backend;
        let mut binds: Vec<Option<String>> = vec![Some(to.as_str().into()), Some(now())];
        let mut assign = format!("status = {}, updated_at = {}", self.p(1), self.p(2));
        for (col, v) in sets {
            binds.push(v.clone());
            assign.push_str(&format!(", {col} = {}", self.p(binds.len())));
        }
        binds.push(Some(number.to_string()));
        let mut sql = format!(
            "UPDATE purchase_orders SET {assign} WHERE po_number = {}",
            self.p(binds.len())
        );
        let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        sql.push_str(&format!(" AND status IN ({})", list.join(",")));
        if tx.exec(&sql, &binds).await? != 1 {
            return Ok(false);
        }
        if !to.is_open() {
            tx.exec(
                &format!(
                    "DELETE FROM po_open_products WHERE po_number = {}",
                    self.p(1)
                ),
                &[Some(number.to_string())],
            )
            .await?;
        }
        let (a, ab) = audit_row(b, &self.user, action, None, detail);
        tx.exec(&a, &ab).await?;
        Ok(true)
    }

    /// An approval by this store's user: the columns it sets.
    pub(super) fn approval_sets(&self) -> [(&'static str, Option<String>); 2] {
        [
            ("approved_by", Some(self.user.clone())),
            ("approved_at", Some(now())),
        ]
    }

    /// Approves a draft or a PO waiting for approval; records who and
    /// when. With `[orders] four_eyes`, the user who drafted the PO may
    /// not approve it.
    pub async fn approve(&self, number: &str) -> Result<PurchaseOrder> {
        self.approve_from(number, &[PoStatus::Draft, PoStatus::PendingApproval])
            .await
    }

    /// `approve` of a PO in one of `from`.
    pub(super) async fn approve_from(
        &self,
        number: &str,
        from: &[PoStatus],
    ) -> Result<PurchaseOrder> {
        let po = self.po_required(number).await?;
        if self.four_eyes && po.buyer == self.user {
            bail!(
                "{number} was drafted by {}: with [orders] four_eyes = true someone else must approve it",
                crate::text::printable(&po.buyer)
            );
        }
        self.transition(
            number,
            from,
            PoStatus::Approved,
            &self.approval_sets(),
            "po_approved",
            approval_detail(&po),
        )
        .await
    }

    pub async fn close(&self, number: &str) -> Result<PurchaseOrder> {
        self.transition(
            number,
            &[PoStatus::Sent, PoStatus::Acknowledged, PoStatus::Received],
            PoStatus::Closed,
            &[],
            "po_closed",
            format!("{number} closed"),
        )
        .await
    }

    /// Cancels a PO not yet sent. A sent PO is closed instead: buyerdesk
    /// sends no cancellations to suppliers. A PO that may have reached its
    /// supplier (unconfirmed, or an attempt whose outcome is unknown) is
    /// cancelled only with `even_if_sent`, the buyer's word that the risk
    /// was weighed (`MayHaveReached` otherwise).
    pub async fn cancel(&self, number: &str, even_if_sent: bool) -> Result<PurchaseOrder> {
        let po = self.po_required(number).await?;
        if matches!(
            po.status,
            PoStatus::Sending | PoStatus::Sent | PoStatus::Acknowledged
        ) {
            bail!(
                "{number} is {}: the supplier has it (or is getting it); cancel with the supplier, then `po close {number}`",
                po.status
            );
        }
        let mut from = vec![
            PoStatus::Draft,
            PoStatus::PendingApproval,
            PoStatus::Approved,
        ];
        let mut detail = format!("{number} cancelled (was {})", po.status);
        if let Some(risk) = self.may_have_reached(&po).await? {
            if !even_if_sent {
                return Err(risk.into());
            }
            // Only in the state the buyer was warned of: an approved PO
            // whose send began since is refused by the transition.
            from = vec![po.status];
            detail.push_str(&format!(
                "; the buyer cancelled it knowing the supplier may have it ({})",
                risk.why
            ));
        }
        self.transition(
            number,
            &from,
            PoStatus::Cancelled,
            &[],
            "po_cancelled",
            detail,
        )
        .await
    }

    /// Why `po` may be with its supplier although unconfirmed: `None` when
    /// no attempt can have reached it.
    pub async fn may_have_reached(&self, po: &PurchaseOrder) -> Result<Option<MayHaveReached>> {
        if !matches!(po.status, PoStatus::Approved | PoStatus::Unconfirmed) {
            return Ok(None);
        }
        let attempts = self.send_attempts(&po.po_number).await?;
        let last = attempts
            .iter()
            .rev()
            .find(|a| crate::orders::may_have_reached(&a.outcome));
        if last.is_none() && po.status != PoStatus::Unconfirmed {
            return Ok(None);
        }
        let why = match last {
            Some(a) => format!(
                "attempt {} at {} via {}: {}{}",
                a.attempt,
                a.at,
                a.channel,
                a.outcome,
                a.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            None => po
                .last_error
                .clone()
                .unwrap_or_else(|| "its send ended without a confirmation".into()),
        };
        Ok(Some(MayHaveReached {
            po: po.po_number.clone(),
            supplier: crate::text::printable(&po.supplier_name).into_owned(),
            why: crate::text::printable(&why).into_owned(),
        }))
    }
}
