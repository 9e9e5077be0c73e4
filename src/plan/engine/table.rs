//! The compiled rules' formulas and the compact trace of what they did to a
//! product, put back into words (`RuleTable::render`).

use std::collections::HashMap;
use std::sync::Arc;

use super::*;

/// One action, compiled for the rationale: its formula and where its
/// operands and target sit in the fact schema.
#[derive(Debug, Clone)]
pub(super) struct CompiledAction {
    pub(super) formula: Arc<ActionFormula>,
    pub(super) operands: Vec<Option<usize>>,
    pub(super) target: Option<usize>,
    /// Where the value this action wrote is read (`ValueAt`).
    pub(super) value_at: ValueAt,
}

/// Where the value an action wrote is found for the rule trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueAt {
    /// In the facts, when its rule fires (after all of the rule's actions):
    /// right when no later action of the rule writes the same field.
    Fire,
    /// In the value a `RECORD` action took right after it: a later action
    /// of the same rule writes the field again.
    Record,
    /// In the engine's result at the end of the run: nothing else can write
    /// the field afterwards (the rule is no-loop and no other action has
    /// this target), which saves the engine's path lookup for most actions.
    Result,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledRule {
    pub(super) name: Arc<str>,
    pub(super) actions: Vec<CompiledAction>,
    /// Some action's value is recorded (`ValueAt::Record`).
    pub(super) records: bool,
}

/// The rules' formulas, for putting a product's rule trace into words.
#[derive(Debug, Clone)]
pub struct RuleTable {
    pub(super) rules: Vec<CompiledRule>,
    pub(super) by_name: HashMap<String, u16>,
}

/// What the rules did to one product, compactly: the rules that fired, in
/// order, and the new value of each field their actions wrote. The old
/// values and the formulas' numbers are found again by replaying this from
/// the initial facts (`RuleTable::render`), so planning 100,000 products
/// keeps a few hundred bytes per product instead of every step in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleTrace {
    pub fired: Vec<u16>,
    pub values: Vec<FactValue>,
}

impl RuleTable {
    /// How many rules the table holds (ids run from 0 below it).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the table holds no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rule_name(&self, id: u16) -> Option<&Arc<str>> {
        self.rules.get(id as usize).map(|r| &r.name)
    }

    /// The last rule of the trace with an action writing `field`: the one a
    /// refused value of that field is charged to.
    pub fn last_writer(&self, trace: &RuleTrace, field: &str) -> Option<&Arc<str>> {
        self.last_write(trace, field).map(|(_, rule)| rule)
    }

    /// `last_writer` with its place in the trace (the n-th rule fired).
    pub fn last_write(&self, trace: &RuleTrace, field: &str) -> Option<(usize, &Arc<str>)> {
        trace.fired.iter().enumerate().rev().find_map(|(at, &id)| {
            let rule = self.rules.get(id as usize)?;
            rule.actions
                .iter()
                .any(|a| a.formula.target.as_deref() == Some(field))
                .then_some((at, &rule.name))
        })
    }

    /// Marks the actions whose written value is the field's final value
    /// (`ValueAt::Result`): a schema field that only this action writes, in
    /// a no-loop rule (it fires at most once per run). When any action's
    /// target is unknown, every value is read at fire (or recorded).
    pub(super) fn settle_reads(&mut self, no_loop: &[bool]) {
        let actions = || self.rules.iter().flat_map(|r| &r.actions);
        if actions().any(|a| a.target.is_none()) {
            return;
        }
        let mut writers: HashMap<usize, usize> = HashMap::new();
        for a in actions() {
            if let Some(t) = a.target {
                *writers.entry(t).or_default() += 1;
            }
        }
        for (rule, &no_loop) in self.rules.iter_mut().zip(no_loop) {
            for a in &mut rule.actions {
                if no_loop && a.target.is_some_and(|t| writers[&t] == 1) {
                    a.value_at = ValueAt::Result;
                }
            }
        }
    }

    /// Puts the values taken from the result (`ValueAt::Result`) into
    /// `trace`: each is its field's value in the engine's result.
    pub(super) fn fill_final_values(&self, trace: &mut RuleTrace, result: &HashMap<String, Value>) {
        let mut values = trace.values.iter_mut();
        for &id in &trace.fired {
            // The same actions, in the same order, as the callback's.
            for action in &self.rules[id as usize].actions {
                if action.formula.target_path.is_none() {
                    continue;
                }
                let Some(slot) = values.next() else {
                    return;
                };
                if let (ValueAt::Result, Some(target)) = (action.value_at, &action.formula.target) {
                    *slot = result
                        .get(target)
                        .map(fact_value)
                        .unwrap_or(FactValue::Null);
                }
            }
        }
    }

    /// A copy sharing nothing with `self` (one per worker thread: shared
    /// refcounts would be touched for every product).
    pub(super) fn deep_copy(&self) -> RuleTable {
        RuleTable {
            rules: self
                .rules
                .iter()
                .map(|r| CompiledRule {
                    name: Arc::from(&*r.name),
                    actions: r
                        .actions
                        .iter()
                        .map(|a| CompiledAction {
                            formula: Arc::new((*a.formula).clone()),
                            operands: a.operands.clone(),
                            target: a.target,
                            value_at: a.value_at,
                        })
                        .collect(),
                    records: r.records,
                })
                .collect(),
            by_name: self.by_name.clone(),
        }
    }

    /// The rules of the trace with an action writing `field`, each once,
    /// in the order they first fired.
    pub fn writers(&self, trace: &RuleTrace, field: &str) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for &id in &trace.fired {
            let Some(rule) = self.rules.get(id as usize) else {
                continue;
            };
            let writes = (rule.actions.iter()).any(|a| a.formula.target.as_deref() == Some(field));
            if writes && !out.contains(&rule.name) {
                out.push(Arc::clone(&rule.name));
            }
        }
        out
    }

    /// Each firing of a trace, in order: the rule's id and whether one of
    /// its writes changed its field (a value other than the field's value
    /// before the write; float noise below 1e-9 is no change). `render`
    /// without the words, for counting coverage over every product. A
    /// write to a field outside the schema counts as a change (nothing
    /// tells it was not one).
    pub fn effects(&self, initial: &ProductFacts, trace: &RuleTrace) -> Vec<(u16, bool)> {
        let mut mirror = initial.values();
        let mut values = trace.values.iter();
        let mut out = Vec::with_capacity(trace.fired.len());
        for &id in &trace.fired {
            let Some(rule) = self.rules.get(id as usize) else {
                continue;
            };
            let mut changed = false;
            for action in rule
                .actions
                .iter()
                .filter(|a| a.formula.target_path.is_some())
            {
                let new = values.next().cloned().unwrap_or(FactValue::Null);
                match action.target.and_then(|i| mirror.get_mut(i)) {
                    Some(slot) => {
                        changed |= !same_value(slot, &new);
                        *slot = new;
                    }
                    None => changed = true,
                }
            }
            out.push((id, changed));
        }
        out
    }

    /// The rule steps of a trace: each fired rule with the fields it changed
    /// (old -> new) and the formula's numbers as they were when it ran.
    pub fn render(&self, initial: &ProductFacts, trace: &RuleTrace) -> Vec<Step> {
        let mut mirror = initial.values();
        let mut values = trace.values.iter();
        let mut steps = Vec::with_capacity(trace.fired.len());
        for &id in &trace.fired {
            let Some(rule) = self.rules.get(id as usize) else {
                continue;
            };
            let mut changes = Vec::with_capacity(rule.actions.len());
            for action in rule
                .actions
                .iter()
                .filter(|a| a.formula.target_path.is_some())
            {
                let operands = action
                    .operands
                    .iter()
                    .map(|i| {
                        i.and_then(|i| mirror.get(i).cloned())
                            .unwrap_or(FactValue::Null)
                    })
                    .collect();
                let new = values.next().cloned().unwrap_or(FactValue::Null);
                let old = match action.target {
                    Some(i) => std::mem::replace(&mut mirror[i], new.clone()),
                    None => FactValue::Null,
                };
                changes.push(Change {
                    action: Arc::clone(&action.formula),
                    old,
                    new,
                    operands,
                });
            }
            steps.push(Step::rule(Arc::clone(&rule.name), changes));
        }
        steps
    }
}
