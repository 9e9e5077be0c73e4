//! Which products' inputs changed between two snapshots.

use super::*;

/// Which products of a new snapshot need planning again.
#[derive(Debug, Default, PartialEq)]
pub struct InputsDiff {
    /// Indices into the new inputs: new products, changed inputs, changed
    /// overrides.
    pub changed: Vec<usize>,
    /// Ids of products that are gone.
    pub removed: Vec<String>,
}

/// Compares two snapshots' inputs (both sorted by id) and overrides.
pub fn diff_inputs(
    old: &[Arc<ProductInputs>],
    new: &[Arc<ProductInputs>],
    old_overrides: &HashMap<String, OverrideNote>,
    new_overrides: &HashMap<String, OverrideNote>,
) -> InputsDiff {
    let mut diff = InputsDiff::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            // The same inputs, shared by a patched snapshot: only the
            // override can differ (and the maps are usually empty).
            (Some(o), Some(n)) if Arc::ptr_eq(o, n) => {
                if !old_overrides.is_empty() || !new_overrides.is_empty() {
                    let id = &*n.product_id;
                    if old_overrides.get(id) != new_overrides.get(id) {
                        diff.changed.push(j);
                    }
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.product_id == n.product_id => {
                let id = &*n.product_id;
                if o != n || old_overrides.get(id) != new_overrides.get(id) {
                    diff.changed.push(j);
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.product_id < n.product_id => {
                diff.removed.push(o.product_id.to_string());
                i += 1;
            }
            (Some(o), None) => {
                diff.removed.push(o.product_id.to_string());
                i += 1;
            }
            (_, Some(_)) => {
                diff.changed.push(j);
                j += 1;
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    diff
}
