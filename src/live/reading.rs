//! Reading one source whole (or only what changed), within its backoff, and
//! the source types the refresh task opens.

use super::*;

/// Connects the slot's source if needed and reads it; the outcome goes into
/// the slot's status (and its rows into `fresh`, only when the whole read
/// succeeded). Nothing happens when it is not `due`.
pub(super) async fn read<S>(
    slot: &mut Slot<S, S::Rows>,
    config: &Config,
    kind: SourceKind,
    with_history: bool,
    since: Option<String>,
    every: Duration,
    due: Due,
) where
    S: Opened + Clone,
{
    slot.unchanged = false;
    if due == Due::Not {
        return;
    }
    let clock = Instant::now();
    let known = match slot.loaded && due != Due::Whole && fingerprints_on() {
        true => slot.fingerprint.clone(),
        false => None,
    };
    let result = async {
        let source = match &slot.source {
            Some(s) => s.clone(),
            None => {
                let s = S::open(config, kind).await?;
                slot.source = Some(s.clone());
                s
            }
        };
        // Taken before the rows: a change made while they are read shows
        // in the next fingerprint, so it is read then rather than missed.
        let fingerprint = match fingerprints_on() {
            true => source.fingerprint(with_history).await?,
            false => None,
        };
        if fingerprint.is_some() && fingerprint == known {
            return Ok((None, fingerprint));
        }
        Ok((
            Some(source.load_all(with_history, since).await?),
            fingerprint,
        ))
    }
    .await;
    match result {
        Ok((None, _)) => {
            slot.failures = 0;
            let rows = slot.status.rows.unwrap_or(0);
            slot.status.ok(clock.elapsed(), rows, Local::now());
            slot.status.unchanged = true;
            slot.fresh = None;
            slot.unchanged = true;
        }
        Ok((Some((rows, n)), fingerprint)) => {
            slot.failures = 0;
            slot.status.ok(clock.elapsed(), n, Local::now());
            slot.status.unchanged = false;
            slot.fresh = Some(rows);
            slot.loaded = true;
            slot.fingerprint = fingerprint;
        }
        Err(e) => {
            tracing::warn!("{kind} source: {e:#}");
            slot.failures += 1;
            slot.status.failed(&e, slot.failures, every);
            slot.fresh = None;
            slot.fingerprint = None;
            // Opened again at the next attempt: its columns are detected
            // anew, so a table whose optional column was dropped (or
            // added) while the screen runs is read as it is now, instead
            // of failing until a restart.
            slot.source = None;
        }
    }
}

/// Whether a refresh reads a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    Not,
    /// Unless its fingerprint shows it unchanged.
    Yes,
    /// Whatever its fingerprint shows (the inventory's periodic reload).
    Whole,
}

/// Whether refreshes skip unchanged sources by their fingerprint
/// (`BUYERDESK_NO_FINGERPRINTS=1`: never, for benchmarks).
pub(super) fn fingerprints_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("BUYERDESK_NO_FINGERPRINTS").as_deref() != Ok("1"))
}

/// A source type that can be connected from the config and read whole.
pub(super) trait Opened: Sized {
    type Rows;
    fn open(
        config: &Config,
        kind: SourceKind,
    ) -> impl std::future::Future<Output = Result<Self>> + Send;
    /// All its rows, and how many (the OMS with the history statistics
    /// when `with_history`; the inventory only the products changed
    /// since the database's clock read `since`, where it can).
    fn load_all(
        &self,
        with_history: bool,
        since: Option<String>,
    ) -> impl std::future::Future<Output = Result<(Self::Rows, usize)>> + Send;
    /// What a whole read would return, summarised by the database
    /// (`Source::fingerprint`); `None` where it cannot be.
    fn fingerprint(
        &self,
        with_history: bool,
    ) -> impl std::future::Future<Output = Result<Option<String>>> + Send;
}

impl Opened for oms::OmsSource {
    type Rows = OmsRows;
    async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
        oms::OmsSource::open(sources::connect_source(config, kind).await?, config).await
    }
    async fn load_all(&self, with_history: bool, _: Option<String>) -> Result<(OmsRows, usize)> {
        let (rows, history) = tokio::try_join!(self.load(None), async {
            if with_history {
                self.load_history(None).await
            } else {
                Ok(None)
            }
        })?;
        let n = rows.len();
        Ok(((rows, history), n))
    }
    async fn fingerprint(&self, with_history: bool) -> Result<Option<String>> {
        oms::OmsSource::fingerprint(self, with_history).await
    }
}

/// The sources read with one query and no options.
macro_rules! opened {
    ($source:ty, $rows:ty) => {
        impl Opened for $source {
            type Rows = Vec<$rows>;
            async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
                <$source>::open(sources::connect_source(config, kind).await?).await
            }
            async fn load_all(
                &self,
                _with_history: bool,
                _since: Option<String>,
            ) -> Result<(Vec<$rows>, usize)> {
                let rows = self.load(None).await?;
                let n = rows.len();
                Ok((rows, n))
            }
            async fn fingerprint(&self, _with_history: bool) -> Result<Option<String>> {
                <$source>::fingerprint(self).await
            }
        }
    };
}

impl Opened for inventory::InventorySource {
    type Rows = InventoryRead;
    async fn open(config: &Config, kind: SourceKind) -> Result<Self> {
        inventory::InventorySource::open(sources::connect_source(config, kind).await?).await
    }
    async fn load_all(&self, _: bool, since: Option<String>) -> Result<(InventoryRead, usize)> {
        // The clock is read before the rows: a row stamped while they are
        // read is read again next time rather than missed.
        let clock = match self.reads_changed_rows() {
            true => Some(self.clock().await?),
            false => None,
        };
        let (rows, changed_only) = match (&clock, since) {
            (Some(_), Some(since)) => (self.load_changed_since(&since).await?, true),
            _ => (self.load(None).await?, false),
        };
        let n = rows.len();
        let read = InventoryRead {
            rows,
            changed_only,
            clock,
        };
        Ok((read, n))
    }
    async fn fingerprint(&self, _with_history: bool) -> Result<Option<String>> {
        // Where changed rows can be read by their stamp, that read is
        // about as cheap as a fingerprint and returns nothing when nothing
        // changed; the periodic full reload reads whatever the stamps say.
        if self.reads_changed_rows() {
            return Ok(None);
        }
        inventory::InventorySource::fingerprint(self).await
    }
}
opened!(supplier::SupplierSource, SupplierRow);
opened!(uom::UomSource, UomRow);
