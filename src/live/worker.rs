//! The refresh task's state: each source's slot (its connection, last rows
//! and fingerprint), reading them, planning what changed.

use super::*;

/// One source's connection and the rows of its last successful read.
pub(super) struct Slot<S, R> {
    pub(super) source: Option<S>,
    pub(super) status: SourceStatus,
    /// Whether a read ever succeeded (its rows are in the last inputs).
    pub(super) loaded: bool,
    pub(super) fresh: Option<R>,
    /// Failed attempts in a row (the backoff).
    pub(super) failures: u32,
    /// The fingerprint taken before the last successful read.
    pub(super) fingerprint: Option<String>,
    /// The last attempt found the source as it was read before.
    pub(super) unchanged: bool,
}

impl<S, R> Slot<S, R> {
    pub(super) fn new(config: &Config, kind: SourceKind) -> Self {
        Slot {
            source: None,
            status: SourceStatus::new(config, kind),
            loaded: false,
            fresh: None,
            failures: 0,
            fingerprint: None,
            unchanged: false,
        }
    }
}

/// The OMS read: demand rows and, when the rules need them, the history
/// statistics.
pub(super) type OmsRows = (Vec<OmsRow>, Option<Vec<HistoryStats>>);

/// An inventory read: every row, or every row of the products changed
/// since the last read.
pub(super) struct InventoryRead {
    pub(super) rows: Vec<InventoryRow>,
    /// `rows` are only the changed products' rows, to merge into the last
    /// snapshot.
    pub(super) changed_only: bool,
    /// The database's clock when the read began, where changed rows can be
    /// read (the next read asks for rows stamped since).
    pub(super) clock: Option<String>,
}

/// The refresh state, owned by whichever task runs the refresh.
pub(super) struct Worker {
    pub(super) config: Config,
    pub(super) rules: RuleSet,
    pub(super) store: Store,
    pub(super) oms: Slot<oms::OmsSource, OmsRows>,
    pub(super) inventory: Slot<inventory::InventorySource, InventoryRead>,
    /// The database's clock at the last inventory read, where changed rows
    /// can be read by their `updated_at`.
    pub(super) inventory_clock: Option<String>,
    /// Reads of only the changed inventory rows left before a full one.
    pub(super) inventory_changed_reads_left: u32,
    pub(super) supplier: Slot<supplier::SupplierSource, Vec<SupplierRow>>,
    pub(super) uom: Slot<uom::UomSource, Vec<UomRow>>,
    pub(super) purchasing: SourceStatus,
    /// Failed reads of the purchasing store in a row (the backoff).
    pub(super) purchasing_failures: u32,
    /// The overrides and open POs were read once: plans without them
    /// would show suggestions the buyers already changed.
    pub(super) purchasing_loaded: bool,
    /// The refresh interval (caps the backoff).
    pub(super) every: Duration,
    /// The OMS source for history requests answered between refreshes.
    pub(super) oms_for_history: Arc<Mutex<Option<oms::OmsSource>>>,
    /// The last snapshot's inputs, sorted by product id.
    pub(super) inputs: Vec<Arc<ProductInputs>>,
    /// Where each product of `inputs` is, by id.
    pub(super) index: ProductIndex,
    /// Each product's names as planned, aligned with `inputs`, and their
    /// ranks.
    pub(super) names: Vec<PlanNames>,
    pub(super) ranks: Option<Arc<TextRanks>>,
    pub(super) overrides: HashMap<String, OverrideNote>,
    /// The overrides the last snapshot was planned with.
    pub(super) planned_overrides: HashMap<String, OverrideNote>,
    /// When the refresh whose data the snapshot holds began: a re-plan of
    /// that data (new forecasts) is as of then, not of its own time.
    pub(super) planned_started: DateTime<Local>,
    /// buyerdesk's open POs per product, as last read and as planned.
    pub(super) open_pos: HashMap<String, crate::orders::OpenPo>,
    pub(super) planned_open_pos: HashMap<String, crate::orders::OpenPo>,
    pub(super) stale: Vec<StaleSource>,
    pub(super) planned: bool,
    /// The rules changed since the last plans: plan every product again.
    pub(super) rules_changed: bool,
    /// The rules file on disk was refused at its last reload.
    pub(super) disk_refused: bool,
    /// The text of `rules`, shared with the task's loop.
    pub(super) in_force_text: Arc<Mutex<Arc<str>>>,
    /// Run `reload_rules` once the first plans are made: the file on disk
    /// differed from the last recorded version at start, and goes in force
    /// only through the guard.
    pub(super) check_disk_after_plan: bool,
    /// The stored forecasts, the products' terms, the forecaster's input.
    pub(super) forecasting: super::forecasting::WorkerForecasts,
}

impl Worker {
    pub(super) fn new(config: Config, rules: RuleSet, store: Store, every: Duration) -> Worker {
        let mut purchasing = SourceStatus::new(&config, SourceKind::Purchasing);
        // Opened while it was down, it is tried at the first refresh.
        if store.is_migrated() {
            purchasing.state = LinkState::Up;
        }
        purchasing.backend = Some(store.source.backend);
        purchasing.url = store.source.resolved.redacted_url.clone();
        Worker {
            oms: Slot::new(&config, SourceKind::Oms),
            inventory: Slot::new(&config, SourceKind::Inventory),
            inventory_clock: None,
            inventory_changed_reads_left: 0,
            supplier: Slot::new(&config, SourceKind::Supplier),
            uom: Slot::new(&config, SourceKind::Uom),
            purchasing,
            purchasing_failures: 0,
            purchasing_loaded: false,
            every,
            config,
            in_force_text: Arc::new(Mutex::new(Arc::clone(&rules.text))),
            check_disk_after_plan: false,
            rules,
            store,
            oms_for_history: Arc::new(Mutex::new(None)),
            inputs: Vec::new(),
            index: ProductIndex::new(),
            names: Vec::new(),
            ranks: None,
            overrides: HashMap::new(),
            planned_overrides: HashMap::new(),
            planned_started: Local::now(),
            open_pos: HashMap::new(),
            planned_open_pos: HashMap::new(),
            stale: Vec::new(),
            planned: false,
            rules_changed: false,
            disk_refused: false,
            forecasting: Default::default(),
        }
    }

    /// Applies rules sent by the screen and answers; on success they are
    /// the rules in force and the next refresh plans every product.
    /// Returns whether they were switched.
    pub(super) async fn apply_rules(
        &mut self,
        request: u64,
        text: &str,
        confirmed: bool,
        how: &str,
        rules_events: &mpsc::UnboundedSender<RulesEvent>,
    ) -> bool {
        let origin = self.config.rules_path().display().to_string();
        // Invalid text is refused below, by `apply`, with its diagnostics.
        let (dry_run_line, refused) = match crate::rules::load(text, &origin).ok() {
            Some(candidate) => {
                let (line, guard) = self.try_candidate(&candidate);
                (line, guard.err())
            }
            None => (None, None),
        };
        if let (false, Some(summary)) = (confirmed, &refused) {
            super::guard::audit_refused(&self.store, &origin, text, summary);
            let _ = (rules_events).send(RulesEvent::ApplyRefused {
                request,
                text: text.to_string(),
                summary: summary.clone(),
            });
            return false;
        }
        let recording = crate::store::authoring::Recording {
            summary: dry_run_line,
            confirmed: refused,
            action: if how.starts_with("restored") {
                "rules_restored"
            } else {
                "rules_applied"
            },
            ..crate::store::authoring::Recording::applied(&self.store.user, how)
        };
        let result =
            crate::store::authoring::apply_recorded(&self.config, &self.store, text, &recording)
                .await
                .map_err(|e| e.to_string());
        let (switched, result) = match result {
            Ok(applied) => {
                let summary = applied.summary();
                self.switch_rules(applied.rules);
                (true, Ok(summary))
            }
            Err(e) => {
                tracing::warn!("rules not applied: {e}");
                (false, Err(e))
            }
        };
        let _ = rules_events.send(RulesEvent::RulesApplied { request, result });
        switched
    }

    /// Starts a dry run of `text` on the last snapshot, on a blocking
    /// thread; the answer goes to `rules_events`.
    pub(super) fn start_dry_run(
        &self,
        request: u64,
        text: &str,
        rules_events: &mpsc::UnboundedSender<RulesEvent>,
    ) {
        let refuse = |why: String| {
            let _ = rules_events.send(RulesEvent::DryRun {
                request,
                result: Err(why),
            });
        };
        if !self.planned {
            return refuse("no products yet: the sources have not all answered".to_string());
        }
        let origin = self.config.rules_path().display().to_string();
        let candidate = match crate::rules::load(text, &origin) {
            Ok(rules) => rules,
            Err(e) => return refuse(e.to_string()),
        };
        let in_force = self.rules.clone();
        let inputs = self.inputs.clone();
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: self.stale.clone(),
            ..Default::default()
        };
        crate::live::set_open_pos(&mut ctx, self.open_pos.clone());
        self.with_forecasts(&mut ctx);
        let events = rules_events.clone();
        let currency = crate::orders::OrdersConfig::currency_of(&self.config.file);
        let threshold = crate::orders::OrdersConfig::read(&self.config.file, &self.config.origin)
            .map(|o| o.approval_threshold)
            .unwrap_or_else(|_| crate::orders::OrdersConfig::default().approval_threshold);
        tokio::task::spawn_blocking(move || {
            let mut result = crate::rules::dry_run(&inputs, &ctx, &in_force, &candidate);
            result.assume_currency(&currency);
            result.po_approvals(&currency, |c| threshold.of(c));
            let _ = events.send(RulesEvent::DryRun {
                request,
                result: Ok(SharedDryRun(Arc::new(result))),
            });
        });
    }

    /// Reads the rules file after a change on disk: valid rules become the
    /// rules in force; invalid ones are reported and change nothing.
    /// Returns whether the rules were switched.
    pub(super) fn reload_rules(
        &mut self,
        rules_events: &mpsc::UnboundedSender<RulesEvent>,
    ) -> bool {
        let path = self.config.rules_path();
        let origin = path.display().to_string();
        let result = match std::fs::read_to_string(&path) {
            Ok(text) if *self.rules.text == *text => {
                // Our own apply, or the file put back as it is in force.
                if !std::mem::take(&mut self.disk_refused) {
                    return false;
                }
                Ok(None)
            }
            Ok(text) => crate::rules::load(&text, &origin)
                .map_err(|e| format!("{e}\nthe rules in force stay"))
                .and_then(|rules| match self.try_candidate(&rules) {
                    (line, Ok(())) => Ok(Some((rules, line))),
                    (_, Err(summary)) => {
                        super::guard::audit_refused(&self.store, &origin, &text, &summary);
                        Err(format!(
                            "{origin}: refused, these rules would hurt the plan: {}\nthe rules in force stay",
                            summary.replace('\n', "; ")
                        ))
                    }
                }),
            Err(e) => Err(format!(
                "{origin}: cannot read the rules file: {e}; the rules in force stay"
            )),
        };
        let (switched, event) = match result {
            Ok(rules) => {
                self.disk_refused = false;
                let switched = rules.is_some();
                if let Some((rules, line)) = rules {
                    // A rules change made outside the app is recorded as a
                    // version and audited too (by the workstation that
                    // picked it up).
                    let store = self.store.clone();
                    let (text, origin) = (rules.text.to_string(), origin.clone());
                    let count = rules.rule_names.len();
                    tokio::spawn(async move {
                        // An apply on another workstation sharing this
                        // rules file writes the file, then records its
                        // version: that version is the change, not a new
                        // one (it went through that apply's guard).
                        if let Some(number) = recorded_elsewhere(&store, &text).await {
                            let detail = format!(
                                "{origin}: version {number}, recorded by its apply, picked up by this workstation from the file"
                            );
                            if let Err(e) = store.audit("rules_reloaded", None, &detail).await {
                                tracing::warn!("the rules reload was not audited: {e:#}");
                            }
                            return;
                        }
                        let new = crate::store::rules_versions::NewVersion {
                            user: &store.user,
                            how: "changed on disk",
                            origin: &origin,
                            text: &text,
                            rules: count,
                            summary: line.as_deref(),
                        };
                        let audits = [(
                            "rules_reloaded",
                            "changed on disk, picked up by this workstation".to_string(),
                        )];
                        if let Err(e) = store.record_rules_version(&new, &audits).await {
                            tracing::warn!("the rules reload was not recorded: {e:#}");
                        }
                    });
                    self.switch_rules(rules);
                }
                (switched, Ok(origin))
            }
            Err(e) => {
                tracing::warn!("rules file changed on disk and refused: {e}");
                self.disk_refused = true;
                (false, Err(e))
            }
        };
        let _ = rules_events.send(RulesEvent::RulesReloaded(event));
        switched
    }

    pub(super) fn switch_rules(&mut self, rules: RuleSet) {
        tracing::info!("rules in force: {}", crate::rules::summary(&rules));
        *self.in_force_text.lock().expect("not poisoned") = Arc::clone(&rules.text);
        self.rules = rules;
        self.rules_changed = true;
    }

    pub(super) fn statuses(&self) -> Vec<SourceStatus> {
        vec![
            self.oms.status.clone(),
            self.inventory.status.clone(),
            self.supplier.status.clone(),
            self.uom.status.clone(),
            self.purchasing.clone(),
        ]
    }

    pub(super) async fn close(&self) {
        if let Some(s) = &self.oms.source {
            s.source.close().await;
        }
        if let Some(s) = &self.inventory.source {
            s.source.close().await;
        }
        if let Some(s) = &self.supplier.source {
            s.source.close().await;
        }
        if let Some(s) = &self.uom.source {
            s.source.close().await;
        }
        self.store.source.close().await;
    }

    /// When the next source that is down is due for a retry (zero when
    /// one is overdue); `None` when every source is up.
    pub(super) fn next_retry(&self) -> Option<Duration> {
        let now = Local::now();
        [
            &self.oms.status,
            &self.inventory.status,
            &self.supplier.status,
            &self.uom.status,
            &self.purchasing,
        ]
        .into_iter()
        .filter(|s| s.state == LinkState::Down)
        .map(|s| {
            s.retry_at
                .and_then(|t| (t - now).to_std().ok())
                .unwrap_or(Duration::ZERO)
        })
        .min()
    }

    /// One refresh: read every source (connecting those that are not),
    /// re-plan what changed, report. A `retry` reads only the sources that
    /// are down and due, and plans only when one of them answered.
    ///
    /// The sources are read concurrently and the refresh waits for all of
    /// them: a source that hangs holds it up to its own query (or connect)
    /// timeout, after which it counts as failed and the others' fresh rows
    /// are planned.
    pub(super) async fn refresh(&mut self, events: &mpsc::UnboundedSender<LiveEvent>, retry: bool) {
        if std::env::var("BUYERDESK_DEBUG_PANIC").as_deref() == Ok("live") {
            panic!("BUYERDESK_DEBUG_PANIC=live: a panic on purpose in the background task");
        }
        // The background forecaster waits while this refresh runs.
        let _give_way = self.forecasting.give_way.hold();
        let (config, rules, store) = (&self.config, &self.rules, &self.store);
        let started = Local::now();
        let clock = Instant::now();
        let with_history = crate::live::needs_history(rules);
        let every = self.every;
        // In a retry, only the sources that are down and due.
        let due = |s: &SourceStatus| match !retry || s.due(started) {
            true => Due::Yes,
            false => Due::Not,
        };
        let read_purchasing = due(&self.purchasing) != Due::Not;
        let came_back = |s: &SourceStatus| s.state != LinkState::Up;
        let was_down = [
            came_back(&self.oms.status),
            came_back(&self.inventory.status),
            came_back(&self.supplier.status),
            came_back(&self.uom.status),
            came_back(&self.purchasing),
        ];
        let (oms_due, inventory_due, supplier_due, uom_due) = (
            due(&self.oms.status),
            due(&self.inventory.status),
            due(&self.supplier.status),
            due(&self.uom.status),
        );
        // Only the changed inventory rows, when the last snapshot holds
        // the rest and no full reload is due.
        let inventory_since = (self.planned
            && self.inventory.status.state == LinkState::Up
            && self.inventory_changed_reads_left > 0)
            .then(|| self.inventory_clock.clone())
            .flatten();
        // The periodic full reload reads even an unchanged inventory.
        let inventory_due = match inventory_due {
            Due::Yes
                if self.planned
                    && self.inventory.status.state == LinkState::Up
                    && self.inventory_changed_reads_left == 0 =>
            {
                Due::Whole
            }
            due => due,
        };
        let (_, _, _, _, overrides_r) = tokio::join!(
            read(
                &mut self.oms,
                config,
                SourceKind::Oms,
                with_history,
                None,
                every,
                oms_due
            ),
            read(
                &mut self.inventory,
                config,
                SourceKind::Inventory,
                false,
                inventory_since,
                every,
                inventory_due
            ),
            read(
                &mut self.supplier,
                config,
                SourceKind::Supplier,
                false,
                None,
                every,
                supplier_due
            ),
            read(
                &mut self.uom,
                config,
                SourceKind::Uom,
                false,
                None,
                every,
                uom_due
            ),
            async {
                if !read_purchasing {
                    return None;
                }
                let t = Instant::now();
                Some(
                    async {
                        // Opened while it was down: migrated on its first
                        // answer.
                        store.ensure_migrated().await?;
                        let overrides = store.override_rows().await?;
                        let open_pos = store.open_pos_by_product().await?;
                        Ok::<_, anyhow::Error>((overrides, open_pos, t.elapsed()))
                    }
                    .await,
                )
            },
        );
        *self.oms_for_history.lock().expect("not poisoned") = self.oms.source.clone();
        if let Some(read) = &self.inventory.fresh {
            self.inventory_clock = read.clock.clone();
            self.inventory_changed_reads_left = match read.changed_only {
                true => self.inventory_changed_reads_left.saturating_sub(1),
                false => FULL_RELOAD_EVERY - 1,
            };
        } else if self.inventory.unchanged {
            // A read skipped still counts towards the full reload, which
            // catches rows changed without a new stamp before the last read.
            self.inventory_changed_reads_left = self.inventory_changed_reads_left.saturating_sub(1);
        }
        match overrides_r {
            None => {}
            Some(Ok((list, open_pos, rtt))) => {
                self.purchasing_failures = 0;
                self.purchasing_loaded = true;
                self.purchasing.ok(rtt, list.len(), Local::now());
                self.overrides = list
                    .into_iter()
                    .map(|o| (o.ov.product_id.clone(), o.note_for_plan()))
                    .collect();
                self.open_pos = open_pos;
            }
            Some(Err(e)) => {
                tracing::warn!("purchasing store: {e:#}");
                self.purchasing_failures += 1;
                self.purchasing.failed(&e, self.purchasing_failures, every);
            }
        }
        self.load_stored_forecasts().await;
        let load = clock.elapsed();
        let statuses = self.statuses();
        let is_up = [
            self.oms.status.state,
            self.inventory.status.state,
            self.supplier.status.state,
            self.uom.status.state,
            self.purchasing.state,
        ]
        .map(|s| s == LinkState::Up);
        let any_came_back = was_down.iter().zip(is_up).any(|(down, up)| *down && up);
        if retry && !any_came_back {
            // Still down: nothing new to plan.
            let _ = events.send(LiveEvent::Sources(statuses));
            return;
        }
        let waiting = [
            self.oms.loaded,
            self.inventory.loaded,
            self.supplier.loaded,
            self.uom.loaded,
            self.purchasing_loaded,
        ]
        .contains(&false);
        if waiting {
            // Planning without a source would suggest orders from nothing,
            // and without the purchasing store ignore the overrides.
            let _ = events.send(LiveEvent::Sources(statuses));
            return;
        }
        let rules = rules.clone();
        let stale = self.stale_sources();
        let fresh = Fresh {
            oms: self.oms.fresh.take(),
            inventory: self.inventory.fresh.take(),
            suppliers: self.supplier.fresh.take(),
            uom: self.uom.fresh.take(),
        };
        let previous = std::mem::take(&mut self.inputs);
        let index = std::mem::take(&mut self.index);
        let full = !self.planned || self.rules_changed || stale != self.stale;
        let mut ctx = PlanContext {
            overrides: self.overrides.clone(),
            stale_sources: stale.clone(),
            ..Default::default()
        };
        crate::live::set_open_pos(&mut ctx, self.open_pos.clone());
        let forecast_changed = self.forecast_context(&mut ctx);
        let old_last_day = ctx.history_last_day.take();
        let old_overrides = std::mem::take(&mut self.planned_overrides);
        let old_open_pos = std::mem::take(&mut self.planned_open_pos);
        let new_open_pos = self.open_pos.clone();
        let old_names = std::mem::take(&mut self.names);
        let old_ranks = self.ranks.take();
        let plan_clock = Instant::now();
        let planned = tokio::task::spawn_blocking(move || {
            let mut parts = PlanParts::default();
            let t = Instant::now();
            let (inputs, index) = fresh.snapshot(&previous, index);
            // A new last day of the history changes every fingerprint.
            ctx.history_last_day = super::forecasting::history_last_day(&inputs);
            let full = full || ctx.history_last_day != old_last_day;
            parts.snapshot = t.elapsed();
            let t = Instant::now();
            let mut diff = diff_inputs(&previous, &inputs, &old_overrides, &ctx.overrides);
            // Products whose buyerdesk POs changed (drafted, sent, received).
            let po_changed: std::collections::HashSet<&String> = old_open_pos
                .keys()
                .chain(new_open_pos.keys())
                .filter(|id| old_open_pos.get(*id) != new_open_pos.get(*id))
                .collect();
            if !po_changed.is_empty() {
                for id in po_changed {
                    if let Ok(i) = inputs.binary_search_by(|p| (*p.product_id).cmp(id.as_str())) {
                        diff.changed.push(i);
                    }
                }
                diff.changed.sort_unstable();
                diff.changed.dedup();
            }
            super::forecasting::mark_changed(&inputs, &mut diff.changed, &forecast_changed);
            let to_plan: Vec<Arc<ProductInputs>> = if full {
                inputs.clone()
            } else {
                diff.changed
                    .iter()
                    .map(|&i| Arc::clone(&inputs[i]))
                    .collect()
            };
            // One core stays with the screen, so keys and drawing keep
            // their pace while a large refresh is planned.
            parts.diff = t.elapsed();
            let t = Instant::now();
            let plans = plan::plan_all_on(&to_plan, &ctx, &rules, background_threads());
            parts.rules = t.elapsed();
            let t = Instant::now();
            // The ranks by name and supplier, ranked again only when a
            // name changed or products came or went.
            let (names, ranks) = if full {
                let names: Vec<PlanNames> = plans.iter().map(names_of).collect();
                let ranks = Arc::new(TextRanks::of_names(&names));
                (names, Some(ranks))
            } else {
                match merge_names(&previous, old_names, &inputs, &diff.changed, &plans) {
                    Some((names, false)) if old_ranks.is_some() => (names, old_ranks),
                    Some((names, _)) => {
                        let ranks = Arc::new(TextRanks::of_names(&names));
                        (names, Some(ranks))
                    }
                    None => (Vec::new(), None),
                }
            };
            drop(previous);
            parts.names = t.elapsed();
            (inputs, index, diff, plans, names, ranks, parts, full)
        })
        .await;
        let (inputs, index, diff, plans, names, ranks, parts, full) = match planned {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("planning failed: {e}");
                return;
            }
        };
        let planning = plan_clock.elapsed();
        tracing::info!(
            products = inputs.len(),
            changed = diff.changed.len(),
            removed = diff.removed.len(),
            full,
            load_ms = load.as_millis() as u64,
            plan_ms = planning.as_millis() as u64,
            reads = %self.read_times(),
            snapshot_ms = parts.snapshot.as_millis() as u64,
            diff_ms = parts.diff.as_millis() as u64,
            rules_ms = parts.rules.as_millis() as u64,
            names_ms = parts.names.as_millis() as u64,
            "refreshed"
        );
        self.inputs = inputs;
        self.index = index;
        self.names = names;
        self.ranks = ranks.clone();
        self.planned_overrides = self.overrides.clone();
        self.planned_open_pos = self.open_pos.clone();
        self.planned_started = started;
        self.stale = stale;
        self.planned = true;
        self.rules_changed = false;
        self.after_plans(&plans, &diff.changed, &diff.removed, full);
        let _ = events.send(LiveEvent::Sources(statuses));
        let _ = events.send(LiveEvent::Plans(PlanUpdate {
            started,
            full,
            plans,
            removed: diff.removed,
            changed: diff.changed.len(),
            load,
            planning,
            ranks,
        }));
        // After the screen has its plans: fingerprinting every product's
        // history for the forecaster took a few hundred milliseconds at
        // 100,000 products (docs/BENCHMARKS.md, "Refresh with forecasts
        // running").
        self.start_forecasts();
    }

    /// Each source's last read time, and whether it was found unchanged.
    pub(super) fn read_times(&self) -> String {
        let slot = |name: &str, status: &SourceStatus, unchanged: bool| {
            let ms = status.rtt.map_or(0, |d| d.as_millis());
            let how = if unchanged { " unchanged" } else { "" };
            format!("{name} {ms} ms{how}")
        };
        [
            slot("oms", &self.oms.status, self.oms.unchanged),
            slot(
                "inventory",
                &self.inventory.status,
                self.inventory.unchanged,
            ),
            slot("supplier", &self.supplier.status, self.supplier.unchanged),
            slot("uom", &self.uom.status, self.uom.unchanged),
        ]
        .join(", ")
    }

    pub(super) fn stale_sources(&self) -> Vec<StaleSource> {
        [
            &self.oms.status,
            &self.inventory.status,
            &self.supplier.status,
            &self.uom.status,
        ]
        .into_iter()
        .filter(|s| s.is_stale())
        .map(|s| StaleSource {
            source: s.kind.name().to_string(),
            as_of: s
                .last_ok
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            error: s.error.clone().unwrap_or_default(),
        })
        .collect()
    }
}

/// Where a refresh's planning time went (logged).
#[derive(Default)]
pub(super) struct PlanParts {
    /// The new snapshot: patched or joined.
    pub(super) snapshot: Duration,
    /// Compared with the last one.
    pub(super) diff: Duration,
    /// The changed products planned.
    pub(super) rules: Duration,
    /// Names merged and ranked.
    pub(super) names: Duration,
}

/// What a refresh read: `None` where a source did not answer, was not due,
/// or had not changed (the last snapshot's rows stand for it).
pub(super) struct Fresh {
    pub(super) oms: Option<OmsRows>,
    pub(super) inventory: Option<InventoryRead>,
    pub(super) suppliers: Option<Vec<SupplierRow>>,
    pub(super) uom: Option<Vec<UomRow>>,
}

/// The threads a background refresh joins and plans on: all cores but one,
/// which stays with the screen so that keys and drawing keep their pace.
pub(super) fn background_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).max(1)
}

impl Fresh {
    /// The new snapshot's inputs, sorted by id: the last snapshot patched
    /// when only some products' inventory rows are new, else a join of the
    /// fresh rows and the last snapshot's rows of the other sources.
    ///
    /// With the snapshot, its index (`index` is the last one's): the same
    /// when the products did not move, else built anew.
    pub(super) fn snapshot(
        self,
        last: &[Arc<ProductInputs>],
        index: ProductIndex,
    ) -> (Vec<Arc<ProductInputs>>, ProductIndex) {
        let joined = |inputs: Vec<Arc<ProductInputs>>| {
            let index = plan::inputs::index_of(&inputs);
            (inputs, index)
        };
        let only_inventory_changes = !last.is_empty()
            && self.oms.is_none()
            && self.suppliers.is_none()
            && self.uom.is_none()
            && self.inventory.as_ref().is_none_or(|r| r.changed_only);
        if !only_inventory_changes {
            return joined(plan::inputs::join_on(self.rows(last), background_threads()));
        }
        let Some(read) = self.inventory else {
            return (last.to_vec(), index);
        };
        match plan::inputs::patch_inventory(last, &index, read.rows) {
            Ok(inputs) => (inputs, index),
            // A new product: join everything.
            Err(rows) => joined(plan::inputs::join_on(
                Fresh {
                    inventory: Some(InventoryRead { rows, ..read }),
                    ..self
                }
                .rows(last),
                background_threads(),
            )),
        }
    }

    /// This refresh's rows: fresh where the source answered, else the rows
    /// of the last snapshot.
    pub(super) fn rows(self, last: &[Arc<ProductInputs>]) -> SourceRows {
        let (oms, history) = self.oms.unwrap_or_else(|| {
            let history_table = last.first().is_some_and(|p| p.history_table_exists);
            (
                last.iter().flat_map(|p| p.oms.iter().cloned()).collect(),
                history_table.then(|| {
                    (last.iter())
                        .filter_map(|p| p.history.as_deref().cloned())
                        .collect()
                }),
            )
        });
        SourceRows {
            oms,
            history,
            inventory: match self.inventory {
                Some(read) if read.changed_only => {
                    // The changed products' rows replace theirs, all of
                    // them; the others' stay as last read.
                    let changed: std::collections::HashSet<Arc<str>> =
                        read.rows.iter().map(|r| r.product_id.clone()).collect();
                    last.iter()
                        .filter(|p| !changed.contains(&p.product_id))
                        .flat_map(|p| p.inventory.iter().cloned())
                        .chain(read.rows)
                        .collect()
                }
                Some(read) => read.rows,
                None => last
                    .iter()
                    .flat_map(|p| p.inventory.iter().cloned())
                    .collect(),
            },
            suppliers: self.suppliers.unwrap_or_else(|| {
                (last.iter())
                    .flat_map(|p| p.suppliers.iter().cloned())
                    .collect()
            }),
            uom: self
                .uom
                .unwrap_or_else(|| last.iter().flat_map(|p| p.uom.iter().cloned()).collect()),
        }
    }
}

/// Watches the folder of the rules file (an editor may replace the file,
/// which a watch on the file itself would lose) and signals on `changes`
/// when something happens to that file. `None`, after a warning, when the
/// watch cannot be set up: the app runs on, without reloads.
pub(super) fn watch_rules_file(
    path: &std::path::Path,
    changes: mpsc::UnboundedSender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::event::{AccessKind, AccessMode, EventKind};
    use notify::Watcher;
    let name = path.file_name()?.to_os_string();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let watched = (|| {
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
                Ok(event) => {
                    // Reads (ours included) are not changes.
                    let change = match event.kind {
                        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                        EventKind::Access(_) => false,
                        _ => true,
                    };
                    if change
                        && event
                            .paths
                            .iter()
                            .any(|p| p.file_name() == Some(name.as_os_str()))
                    {
                        let _ = changes.send(());
                    }
                }
                Err(e) => tracing::warn!("rules file watch: {e}"),
            })?;
        watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
        Ok::<_, notify::Error>(watcher)
    })();
    match watched {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(
                "{}: not watched ({e}); rules changed on disk are read at the next start",
                path.display()
            );
            None
        }
    }
}

/// How long a workstation that picked up a changed rules file waits for
/// the apply that wrote it to record its version.
const RECORDED_ELSEWHERE_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// The number of the newest rules version when its text is `text` (an apply
/// that wrote the file recorded it), looked at now and once more after
/// `RECORDED_ELSEWHERE_WAIT`; `None`: the file was changed by hand.
async fn recorded_elsewhere(store: &Store, text: &str) -> Option<i64> {
    let hash = crate::store::rules_versions::sha256_hex(text);
    for wait in [std::time::Duration::ZERO, RECORDED_ELSEWHERE_WAIT] {
        tokio::time::sleep(wait).await;
        match store.rules_versions().await {
            Ok(kept) => {
                if let Some(newest) = kept.last().filter(|v| v.sha256 == hash) {
                    return Some(newest.number);
                }
            }
            Err(e) => tracing::warn!("the rules versions could not be read: {e:#}"),
        }
    }
    None
}
