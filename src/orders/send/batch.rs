//! The file channel's batches (`po send --all-approved`): one claim
//! transaction, every document written whole, one sync per file system,
//! one transaction marking them.

use super::*;

impl Sender {
    /// One batch of file-channel POs, exactly once as for one PO: claimed
    /// (and the attempt logged `started`) before anything is written, the
    /// documents written whole or not at all, marked sent only once they
    /// are on disk.
    pub(super) async fn send_file_batch(
        &self,
        pos: &[PurchaseOrder],
        drafts: bool,
        progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        let wanted: Vec<(String, String)> = pos
            .iter()
            .map(|p| (p.po_number.clone(), self.channel(p).describe()))
            .collect();
        let started = std::time::Instant::now();
        let claimed = self.store.claim_batch(&wanted, &self.claim, drafts).await?;
        let claim_time = started.elapsed();
        let ids: std::collections::HashMap<String, i64> = claimed.into_iter().collect();
        let mut results = Vec::new();
        for p in pos.iter().filter(|p| !ids.contains_key(&p.po_number)) {
            let now = self.store.po_required(&p.po_number).await?;
            results.push((
                p.po_number.clone(),
                Err(TakenElsewhere::first(p.po_number.clone(), now.status).into()),
            ));
        }
        if ids.is_empty() {
            return Ok(results);
        }
        self.in_flight.lock().unwrap().extend(ids.keys().cloned());
        let outcome = self.write_claimed(&ids, progress, claim_time).await;
        {
            let mut in_flight = self.in_flight.lock().unwrap();
            for n in ids.keys() {
                in_flight.remove(n);
            }
        }
        results.extend(outcome?);
        Ok(results)
    }

    pub(super) async fn write_claimed(
        &self,
        ids: &std::collections::HashMap<String, i64>,
        progress: &(dyn Fn(Progress) + Send + Sync),
        claim_time: Duration,
    ) -> Result<Vec<(String, Result<SendOutcome>)>> {
        let started = std::time::Instant::now();
        let mut pos: Vec<PurchaseOrder> = self
            .store
            .claimed_pos(&self.claim)
            .await?
            .into_iter()
            .filter(|p| ids.contains_key(&p.po_number))
            .collect();
        pos.sort_by(|a, b| a.po_number.cmp(&b.po_number));
        let mut docs = Vec::with_capacity(pos.len());
        let mut channels = Vec::with_capacity(pos.len());
        for po in &pos {
            let channel = self.channel(po);
            let Channel::File { outbox } = &channel else {
                unreachable!("only file-channel POs are batched")
            };
            progress(Progress::Attempt {
                po: po.po_number.clone(),
                attempt: 1,
                of: self.orders.send_attempts,
                channel: channel.describe(),
            });
            docs.push(PoDocuments {
                number: po.send_key.clone(),
                outbox: outbox.clone(),
                csv: csv_bytes(po)?,
                json: json_bytes(po),
            });
            channels.push(channel.describe());
        }
        let read_time = started.elapsed();
        let started = std::time::Instant::now();
        let written = tokio::task::spawn_blocking(move || write_documents(docs))
            .await
            .map_err(|e| anyhow!("the file channel failed: {e}"))?;
        let write_time = started.elapsed();
        let outcomes: Vec<crate::orders::store::BatchOutcome> = pos
            .iter()
            .zip(written)
            .zip(channels)
            .map(|((po, w), channel)| (po.po_number.clone(), ids[&po.po_number], channel, w))
            .collect();
        for (n, _, _, r) in &outcomes {
            let outcome = if r.is_ok() { "ok" } else { "rejected" };
            tracing::info!(po = %n, attempt = 1, outcome, "send attempt (batch)");
        }
        let started = std::time::Instant::now();
        let lost = self.store.finish_batch(&self.claim, &outcomes).await?;
        tracing::debug!(
            pos = outcomes.len(),
            claim_ms = claim_time.as_secs_f64() * 1e3,
            read_and_build_ms = read_time.as_secs_f64() * 1e3,
            write_ms = write_time.as_secs_f64() * 1e3,
            finish_ms = started.elapsed().as_secs_f64() * 1e3,
            "file batch sent"
        );
        Ok(outcomes
            .into_iter()
            .map(|(n, _, channel, r)| {
                let result = if lost.contains(&n) {
                    Err(anyhow!(
                        "{n}: another process took the send over; it sends with the same key"
                    ))
                } else {
                    match r {
                        Ok(confirmation) => Ok(SendOutcome {
                            po_number: n.clone(),
                            channel,
                            confirmation,
                            attempts: 1,
                            took_over_from: None,
                        }),
                        Err(reason) => Err(anyhow!("{n} not sent: {reason}")),
                    }
                };
                (n, result)
            })
            .collect())
    }
}

/// File-channel POs sent in one batch.
pub(super) const SENDS_PER_BATCH: usize = 250;

/// A PO's two documents for the file channel.
pub(super) struct PoDocuments {
    /// The send key: the documents' name.
    number: String,
    outbox: PathBuf,
    csv: Vec<u8>,
    json: Vec<u8>,
}

/// Writes each PO's CSV and JSON so that neither ever shows in part: all
/// go to temporary files (0600) first, then one sync of each file system
/// holding an outbox, then each PO's CSV and JSON are renamed to their
/// names (the JSON last), then each outbox folder is synced. Per PO: the
/// confirmation, or why its documents were not written (and nothing of it
/// is left behind).
pub(super) fn write_documents(docs: Vec<PoDocuments>) -> Vec<Result<String, String>> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let mut results: Vec<Result<String, String>> = Vec::with_capacity(docs.len());
    let mut temps: Vec<Option<[(PathBuf, PathBuf); 2]>> = Vec::with_capacity(docs.len());
    let mut folders: Vec<PathBuf> = Vec::new();
    for d in &docs {
        let write = || -> Result<[(PathBuf, PathBuf); 2], String> {
            if !folders_contains(&folders, &d.outbox) {
                crate::files::create_private_dir(&d.outbox).map_err(|e| {
                    format!("{}: cannot create the folder: {e}", d.outbox.display())
                })?;
                crate::files::sweep_leftovers(&d.outbox);
            }
            let mut pair = Vec::with_capacity(2);
            for (ext, bytes) in [("csv", &d.csv), ("json", &d.json)] {
                let name = format!("{}.{ext}", d.number);
                // Created exclusively, never through a link planted at
                // its name (`crate::files::create_temp_file`).
                let written = crate::files::create_temp_file(&d.outbox, &name).and_then(
                    |(tmp, mut f)| match f.write_all(bytes) {
                        Ok(()) => Ok(tmp),
                        Err(e) => {
                            let _ = std::fs::remove_file(&tmp);
                            Err(e)
                        }
                    },
                );
                let tmp = match written {
                    Ok(tmp) => tmp,
                    Err(e) => {
                        for (t, _) in &pair {
                            let _ = std::fs::remove_file(t);
                        }
                        return Err(format!(
                            "{}: cannot write: {e}",
                            d.outbox.join(&name).display()
                        ));
                    }
                };
                pair.push((tmp, d.outbox.join(name)));
            }
            let [a, b]: [(PathBuf, PathBuf); 2] = pair.try_into().expect("two documents");
            Ok([a, b])
        };
        match write() {
            Ok(pair) => {
                if !folders_contains(&folders, &d.outbox) {
                    folders.push(d.outbox.clone());
                }
                temps.push(Some(pair));
                results.push(Ok(String::new()));
            }
            Err(e) => {
                temps.push(None);
                results.push(Err(e));
            }
        }
    }
    let write_time = started.elapsed();
    let started = std::time::Instant::now();
    // Every temporary file's content on disk before any final name exists.
    let mut unsynced: Vec<PathBuf> = Vec::new();
    for f in &folders {
        if let Err(e) = sync_file_system(f) {
            tracing::warn!("{}: cannot sync: {e}", f.display());
            unsynced.push(f.clone());
        }
    }
    let sync_time = started.elapsed();
    let started = std::time::Instant::now();
    for ((d, pair), result) in docs.iter().zip(&temps).zip(results.iter_mut()) {
        let Some(pair) = pair else { continue };
        if folders_contains(&unsynced, &d.outbox) {
            for (tmp, _) in pair {
                let _ = std::fs::remove_file(tmp);
            }
            *result = Err(format!(
                "{}: the documents could not be synced to disk",
                d.outbox.display()
            ));
            continue;
        }
        // Never over a document with other content (`place_new_file`).
        let renamed = pair
            .iter()
            .try_for_each(|(tmp, name)| crate::files::place_new_file(tmp, name));
        *result = match renamed {
            Ok(()) => Ok(format!(
                "wrote {n}.json and {n}.csv in {}",
                d.outbox.display(),
                n = d.number
            )),
            Err(e) => {
                for (tmp, _) in pair {
                    let _ = std::fs::remove_file(tmp);
                }
                Err(format!(
                    "{}: cannot rename into place: {e}",
                    d.outbox.display()
                ))
            }
        };
    }
    let rename_time = started.elapsed();
    let started = std::time::Instant::now();
    // The renames survive a crash once the folders are synced.
    for f in &folders {
        if let Ok(dir) = std::fs::File::open(f) {
            let _ = dir.sync_all();
        }
    }
    tracing::debug!(
        files = 2 * docs.len(),
        write_ms = write_time.as_secs_f64() * 1e3,
        sync_ms = sync_time.as_secs_f64() * 1e3,
        rename_ms = rename_time.as_secs_f64() * 1e3,
        folder_sync_ms = started.elapsed().as_secs_f64() * 1e3,
        "documents written"
    );
    results
}

pub(super) fn folders_contains(folders: &[PathBuf], f: &std::path::Path) -> bool {
    folders.iter().any(|x| x == f)
}

/// Flushes the file system holding `folder` (Linux: syncfs, one sync for
/// all the files written there; elsewhere: sync, for all of them).
pub(super) fn sync_file_system(folder: &std::path::Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let dir = std::fs::File::open(folder)?;
        // SAFETY: syncfs takes an open descriptor and touches no memory.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: sync takes no arguments.
        unsafe { libc::sync() };
        let _ = folder;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
    }
}
