//! Handing the rule blocks to rust-rule-engine's parser, which costs nearly
//! all of a clean file's validation (about 0.1 ms a block): on every core,
//! and only for blocks whose text changed since the last file checked (the
//! editor checks the whole file 300 ms after each key, and `rules check`
//! validates, then loads).

use std::sync::Mutex;

use rustc_hash::FxHashMap;

use super::{engine_verdict, Block, Validator};

/// The engine's reading of one block, or why it differs from buyerdesk's.
pub(super) type Verdict = Result<rust_rule_engine::Rule, (String, Option<String>)>;

/// The verdicts on the blocks of the last file checked, by the block's
/// text as the engine is given it (buyerdesk's reading of a block depends
/// on that text alone). One file's worth: each check replaces it.
static LAST: Mutex<Option<FxHashMap<Box<str>, Verdict>>> = Mutex::new(None);

/// Below this many blocks to parse, one thread does it.
const PARALLEL_FROM: usize = 64;

impl Validator<'_> {
    /// Gives the engine's parser every closed block without an error of
    /// its own. `errors`: the positions of the errors found so far, sorted.
    pub(super) fn check_with_engine(&mut self, errors: &[usize]) {
        let todo: Vec<usize> = (0..self.blocks.len())
            .filter(|&b| {
                let block = &self.blocks[b];
                block.close.is_some()
                    && errors[errors.partition_point(|&at| at < block.start)..]
                        .first()
                        .is_none_or(|&at| at >= block.end)
            })
            .collect();
        let mut cache = LAST
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .unwrap_or_default();
        let key = |b: usize| &self.engine_text[self.blocks[b].start..self.blocks[b].end];
        let mut verdicts: Vec<Option<Verdict>> =
            todo.iter().map(|&b| cache.remove(key(b))).collect();
        let missing: Vec<usize> = (0..todo.len()).filter(|&i| verdicts[i].is_none()).collect();
        let parsed = parse_all(
            &missing
                .iter()
                .map(|&i| (key(todo[i]), &self.blocks[todo[i]]))
                .collect::<Vec<_>>(),
        );
        for (i, verdict) in missing.into_iter().zip(parsed) {
            verdicts[i] = Some(verdict);
        }
        let mut next = FxHashMap::default();
        next.reserve(todo.len());
        for (&b, verdict) in todo.iter().zip(verdicts) {
            let Some(verdict) = verdict else { continue };
            let (start, end) = (self.blocks[b].start, self.blocks[b].end);
            next.insert(Box::from(&self.engine_text[start..end]), verdict.clone());
            match verdict {
                Ok(rule) => self.blocks[b].parsed = Some(rule),
                Err((message, hint)) => self.error(start, message, hint),
            }
        }
        *LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(next);
    }
}

/// The engine's verdict on each block, in order, on every core when there
/// are many.
fn parse_all(blocks: &[(&str, &Block)]) -> Vec<Verdict> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || blocks.len() < PARALLEL_FROM {
        return blocks
            .iter()
            .map(|(text, b)| engine_verdict(text, b))
            .collect();
    }
    let chunk = blocks.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(text, b)| engine_verdict(text, b))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
