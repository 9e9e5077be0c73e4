//! What the screen receives after a plan: the products that changed, and
//! the ranks its sorts use.

use super::*;

/// New and changed plans from one refresh.
#[derive(Debug)]
pub struct PlanUpdate {
    /// When the refresh began: what the screen saved after it is newer.
    pub started: DateTime<Local>,
    /// Every product is in `plans` (first load, stale set or rules changed).
    pub full: bool,
    pub plans: Vec<ProductPlan>,
    /// Products no source lists any more.
    pub removed: Vec<String>,
    /// Products whose inputs or override changed (not counting `full`).
    pub changed: usize,
    pub load: Duration,
    pub planning: Duration,
    /// Every product's rank by name and by supplier in the snapshot after
    /// this update (in id order, as the screen keeps its plans): made here,
    /// off the screen's thread, so that sorting by a text column compares
    /// integers. `None`: the screen ranks the texts itself.
    pub ranks: Option<Arc<TextRanks>>,
}

/// Each product's rank among all products' names and among their supplier
/// names (0: none, which sorts first; equal texts, equal ranks), indexed as
/// the products sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextRanks {
    pub name: Vec<u32>,
    pub supplier: Vec<u32>,
}

impl TextRanks {
    /// The ranks of these plans (in id order).
    pub fn of(plans: &[ProductPlan]) -> TextRanks {
        TextRanks {
            name: ranks(plans.iter().map(|p| p.product_name.as_deref())),
            supplier: ranks(plans.iter().map(|p| p.supplier_name.as_deref())),
        }
    }

    pub(super) fn of_names(names: &[PlanNames]) -> TextRanks {
        TextRanks {
            name: ranks(names.iter().map(|n| n.0.as_deref())),
            supplier: ranks(names.iter().map(|n| n.1.as_deref())),
        }
    }
}

/// The rank of each text among them, in `Option<&str>`'s order.
pub(super) fn ranks<'a>(texts: impl Iterator<Item = Option<&'a str>>) -> Vec<u32> {
    let mut keyed: Vec<(Option<&str>, u32)> = texts.zip(0u32..).collect();
    keyed.sort_unstable();
    let mut out = vec![0u32; keyed.len()];
    let (mut rank, mut previous) = (0u32, None);
    for (k, (text, i)) in keyed.iter().enumerate() {
        if text.is_some() && (k == 0 || previous != Some(*text)) {
            rank += 1;
        }
        previous = Some(*text);
        out[*i as usize] = if text.is_some() { rank } else { 0 };
    }
    out
}

/// A product's name and supplier name, as planned.
pub(super) type PlanNames = (Option<Arc<str>>, Option<Arc<str>>);

pub(super) fn names_of(p: &ProductPlan) -> PlanNames {
    (p.product_name.clone(), p.supplier_name.clone())
}

/// The names of every product of `new` (sorted by id): from `plans` where
/// it was planned (`changed[k]` is `plans[k]`'s index in `new`), else as
/// they were in `old` (aligned with `old_names`). Whether any name is not
/// where it was.
pub(super) fn merge_names(
    old: &[Arc<ProductInputs>],
    old_names: Vec<PlanNames>,
    new: &[Arc<ProductInputs>],
    changed: &[usize],
    plans: &[ProductPlan],
) -> Option<(Vec<PlanNames>, bool)> {
    let same_products = old.len() == new.len()
        && old_names.len() == old.len()
        && old
            .iter()
            .zip(new)
            .all(|(o, n)| Arc::ptr_eq(o, n) || o.product_id == n.product_id);
    if same_products {
        // The usual refresh: the planned products' names updated in place.
        let mut names = old_names;
        let mut moved = false;
        for (&j, plan) in changed.iter().zip(plans) {
            let planned = names_of(plan);
            if names[j] != planned {
                names[j] = planned;
                moved = true;
            }
        }
        return Some((names, moved));
    }
    let mut out = Vec::with_capacity(new.len());
    let mut moved = old.len() != new.len() || old_names.len() != old.len();
    let (mut c, mut i) = (0, 0);
    for (j, p) in new.iter().enumerate() {
        while old.get(i).is_some_and(|o| o.product_id < p.product_id) {
            i += 1;
            moved = true;
        }
        let same_product = old.get(i).is_some_and(|o| o.product_id == p.product_id);
        if changed.get(c) == Some(&j) {
            let names = names_of(&plans[c]);
            moved |= !same_product || old_names.get(i) != Some(&names);
            out.push(names);
            c += 1;
        } else {
            // Not planned again: it was in the last snapshot.
            out.push(old_names.get(i).filter(|_| same_product)?.clone());
        }
        if same_product {
            i += 1;
        } else {
            moved = true;
        }
    }
    Some((out, moved))
}
