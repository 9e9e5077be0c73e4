//! The rule engine wrapper: GRL parsed once per rules version, one engine per
//! worker thread, facts in and the fired rules with their changes out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rust_rule_engine::{
    ActionType, EngineConfig, Facts, GRLParser, KnowledgeBase, RustRuleEngine, Value,
};

use super::facts::{schema_field, schema_index, ObjectTemplate, ProductFacts};
use super::numbers::guarded_ceil;
use super::steps::{ActionFormula, Change, FactValue, Step, Token};

mod table;
use table::{CompiledAction, CompiledRule, ValueAt};
pub use table::{RuleTable, RuleTrace};

/// The engine's cycle limit. A run that reaches it means a rule kept firing
/// (one without no-loop whose condition stays true): the engine says
/// nothing, buyerdesk flags the product.
pub const MAX_CYCLES: usize = 100;

/// The most times rules without no-loop may fire for one product (the
/// shipped rules all have no-loop). Past it the run stops at once: 400
/// pairs of rules that keep firing cost 80,000 firings a product, with
/// their values recorded, until the cycle limit (73 s and 5.6 GB for
/// 2,000 products); stopped here, a looping product costs a bounded,
/// small amount of time and memory.
pub const FIRING_BUDGET: usize = 1_000;

/// The action buyerdesk puts first in every rule without no-loop: counts
/// its firings against `FIRING_BUDGET`.
const BUDGET: &str = "BuyerdeskBudget";

/// No rule passed the budget.
const WITHIN_BUDGET: usize = usize::MAX;

/// Firings of rules without no-loop in the current run, and the rule (table
/// id) whose firing passed `FIRING_BUDGET`, or `WITHIN_BUDGET`.
#[derive(Debug)]
struct Budget {
    fired: AtomicUsize,
    over: AtomicUsize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            fired: AtomicUsize::new(0),
            over: AtomicUsize::new(WITHIN_BUDGET),
        }
    }
}

impl Budget {
    fn reset(&self) {
        self.fired.store(0, Ordering::Relaxed);
        self.over.store(WITHIN_BUDGET, Ordering::Relaxed);
    }

    fn over(&self) -> Option<u16> {
        match self.over.load(Ordering::Relaxed) {
            WITHIN_BUDGET => None,
            id => u16::try_from(id).ok(),
        }
    }
}

/// The actions buyerdesk registers with the engine. Each takes the name of
/// the output field to write, in quotes and without `Product.`, then two
/// numbers.
pub const ROUND_UP_TO_MULTIPLE: &str = "RoundUpToMultiple";
pub const CEIL_DIVIDE: &str = "CeilDivide";
pub const CUSTOM_ACTIONS: [&str; 2] = [ROUND_UP_TO_MULTIPLE, CEIL_DIVIDE];

/// The action buyerdesk puts right after an action whose field a later
/// action of the same rule writes again: it records the value that action
/// computed. The engine calls back only after all of a rule's actions ran,
/// when such a field already holds the later action's value, and the
/// rationale must show what each step computed (DOMAIN.md section 2).
const RECORD: &str = "BuyerdeskRecord";

/// The values `RECORD` actions took, in order, until the rule's callback.
type Recorder = Arc<Mutex<Vec<FactValue>>>;

/// Where the embedded rules say they come from (`RuleSet::origin`).
pub const EMBEDDED_ORIGIN: &str = "embedded rules/purchasing.grl";

/// The rules shipped with buyerdesk (rules/purchasing.grl).
pub const DEFAULT_RULES: &str = include_str!("../../../rules/purchasing.grl");

/// Why a rules file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error("{origin}: the rules file holds no rule")]
    Empty { origin: String },
    #[error("{origin}: the rule engine refused the file: {message}")]
    Parse { origin: String, message: String },
}

/// A parsed, ready-to-run rules version.
#[derive(Clone)]
pub struct RuleSet {
    /// The rules as the engine runs them (buyerdesk's actions added), in
    /// file order. Each engine gets a `KnowledgeBase` built from them
    /// (`engine`): the engine's `add_rule` re-sorts and re-indexes every rule
    /// it holds, so building one costs time growing with the square of the
    /// rule count, paid only where the rules are run, not where they are
    /// checked or passed around.
    rules: Arc<[rust_rule_engine::Rule]>,
    /// Where the rules came from (a path, or "embedded rules/purchasing.grl").
    pub origin: String,
    pub text: Arc<str>,
    table: Arc<RuleTable>,
    pub rule_names: Vec<String>,
    /// Every `Product.<field>` the rules mention outside comments.
    fields_used: std::collections::BTreeSet<String>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("origin", &self.origin)
            .field("rule_names", &self.rule_names)
            .finish()
    }
}

fn tokenize(expr: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(pos) = rest.find("Product.") {
        if pos > 0 {
            out.push(Token::Text(rest[..pos].to_string()));
        }
        let after = &rest[pos + "Product.".len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        out.push(Token::Field(after[..end].to_string()));
        rest = &after[end..];
    }
    if !rest.is_empty() {
        out.push(Token::Text(rest.to_string()));
    }
    out
}

/// The text without `//` and `/* */` comments (strings kept).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

/// A value as a formula shows it: expressions as written, the rest as the
/// rationale shows fact values.
fn value_text(v: &Value) -> String {
    match v {
        Value::Expression(e) => e.clone(),
        other => fact_value(other).to_string(),
    }
}

fn fact_value(v: &Value) -> FactValue {
    match v {
        Value::Number(n) => FactValue::Number(*n),
        Value::Integer(i) => FactValue::Number(*i as f64),
        Value::Boolean(b) => FactValue::Bool(*b),
        Value::String(s) => FactValue::Text(Box::new(s.clone())),
        Value::Null => FactValue::Null,
        other => FactValue::Text(Box::new(format!("{other:?}"))),
    }
}

fn describe_action(action: &ActionType) -> ActionFormula {
    let strip = |s: &str| s.trim().trim_start_matches("Product.").to_string();
    match action {
        ActionType::Set { field, value } => {
            let expr = match value {
                Value::Expression(e) => e.clone(),
                other => value_text(other),
            };
            ActionFormula {
                target_path: Some(format!("Product.{}", strip(field))),
                target: Some(strip(field)),
                formula: expr.replace("Product.", ""),
                tokens: tokenize(&expr),
                round_up: false,
            }
        }
        ActionType::Custom {
            action_type,
            params,
        } => {
            let arg = |k: &str| params.get(k).map(value_text).unwrap_or_default();
            let target = params.get("0").map(|v| match v {
                Value::String(s) | Value::Expression(s) => strip(s),
                other => value_text(other),
            });
            let expr = match action_type.as_str() {
                "RoundUpToMultiple" => {
                    format!("ceil({} / {}) x {}", arg("1"), arg("2"), arg("2"))
                }
                "CeilDivide" => format!("ceil({} / {})", arg("1"), arg("2")),
                other => format!("{other}(...)"),
            };
            ActionFormula {
                target_path: target.as_ref().map(|t| format!("Product.{t}")),
                target,
                formula: expr.replace("Product.", ""),
                tokens: tokenize(&expr),
                round_up: action_type == ROUND_UP_TO_MULTIPLE,
            }
        }
        other => ActionFormula {
            target: None,
            target_path: None,
            formula: format!("{other:?}"),
            tokens: Vec::new(),
            round_up: false,
        },
    }
}

/// Marks the actions of `rule` whose field a later action of the same rule
/// writes again (`ValueAt::Record`) and puts a `RECORD` action right after
/// each in the rule the engine runs. Whether any was marked comes back.
fn record_overwritten(
    rule: &mut rust_rule_engine::Rule,
    mut compiled: Vec<CompiledAction>,
) -> (Vec<CompiledAction>, bool) {
    let overwritten: Vec<bool> = (0..compiled.len())
        .map(|i| {
            let target = compiled[i].formula.target_path.as_deref();
            target.is_some()
                && compiled[i + 1..]
                    .iter()
                    .any(|later| later.formula.target_path.as_deref() == target)
        })
        .collect();
    if !overwritten.contains(&true) {
        return (compiled, false);
    }
    let mut actions = Vec::with_capacity(rule.actions.len() + overwritten.len());
    for ((action, c), &again) in rule.actions.drain(..).zip(&mut compiled).zip(&overwritten) {
        actions.push(action);
        if let (true, Some(path)) = (again, &c.formula.target_path) {
            c.value_at = ValueAt::Record;
            actions.push(ActionType::Custom {
                action_type: RECORD.to_string(),
                // A dotted text is looked up as a path (cheaper than an
                // expression, which the engine parses at every call).
                params: HashMap::from([("0".to_string(), Value::String(path.clone()))]),
            });
        }
    }
    rule.actions = actions;
    (compiled, true)
}

impl RuleSet {
    /// The rules shipped with buyerdesk.
    pub fn embedded() -> RuleSet {
        RuleSet::parse(DEFAULT_RULES, EMBEDDED_ORIGIN)
            .expect("the shipped rules parse (checked by tests)")
    }

    /// Parses a rules file once, as the engine reads it. It does not
    /// validate: a file a person wrote goes through `crate::rules::load`,
    /// which refuses what the engine would misread or run wrongly (a
    /// `Log(...)`, an unknown field, ...) with line and column first.
    pub fn parse(text: &str, origin: &str) -> Result<RuleSet, RulesError> {
        let rules = GRLParser::parse_rules(text).map_err(|e| RulesError::Parse {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        RuleSet::from_parsed(rules, text, origin)
    }

    /// The rules the engine's parser read from `text`, ready to run. A rules
    /// file a person wrote comes here through `crate::rules::load`, which
    /// hands the engine one validated block at a time (its whole-file split
    /// takes time growing with the square of the file).
    pub(crate) fn from_parsed(
        rules: Vec<rust_rule_engine::Rule>,
        text: &str,
        origin: &str,
    ) -> Result<RuleSet, RulesError> {
        if rules.is_empty() {
            return Err(RulesError::Empty {
                origin: origin.to_string(),
            });
        }
        let mut table = RuleTable {
            rules: Vec::with_capacity(rules.len()),
            by_name: HashMap::with_capacity(rules.len()),
        };
        let mut rule_names = Vec::with_capacity(rules.len());
        let mut no_loop = Vec::with_capacity(rules.len());
        let mut engine_rules = Vec::with_capacity(rules.len());
        for mut rule in rules {
            let compiled: Vec<CompiledAction> = rule
                .actions
                .iter()
                .map(|a| {
                    let formula = describe_action(a);
                    let operands = formula
                        .tokens
                        .iter()
                        .filter_map(|t| match t {
                            Token::Field(f) => Some(schema_index(f)),
                            Token::Text(_) => None,
                        })
                        .collect();
                    let target = formula.target.as_deref().and_then(schema_index);
                    CompiledAction {
                        formula: Arc::new(formula),
                        operands,
                        target,
                        // Settled below, once every rule is known.
                        value_at: ValueAt::Fire,
                    }
                })
                .collect();
            let (compiled, records) = record_overwritten(&mut rule, compiled);
            let next_id = table.rules.len();
            if !rule.no_loop {
                rule.actions.insert(
                    0,
                    ActionType::Custom {
                        action_type: BUDGET.to_string(),
                        params: HashMap::from([("0".to_string(), Value::Integer(next_id as i64))]),
                    },
                );
            }
            let id = u16::try_from(table.rules.len()).map_err(|_| RulesError::Parse {
                origin: origin.to_string(),
                message: "more than 65,535 rules".into(),
            })?;
            // As the engine's `add_rule` refuses a second rule of the same
            // name (checked here, where the engine's knowledge base is not
            // built yet).
            if table.by_name.insert(rule.name.clone(), id).is_some() {
                return Err(RulesError::Parse {
                    origin: origin.to_string(),
                    message: format!("Parse error: Rule '{}' already exists", rule.name),
                });
            }
            table.rules.push(CompiledRule {
                name: Arc::from(rule.name.as_str()),
                actions: compiled,
                records,
            });
            rule_names.push(rule.name.clone());
            no_loop.push(rule.no_loop);
            engine_rules.push(rule);
        }
        table.settle_reads(&no_loop);
        let fields_used = tokenize(&strip_comments(text))
            .into_iter()
            .filter_map(|t| match t {
                Token::Field(f) => Some(f),
                Token::Text(_) => None,
            })
            .collect();
        Ok(RuleSet {
            fields_used,
            rules: Arc::from(engine_rules),
            origin: origin.to_string(),
            text: Arc::from(text),
            table: Arc::new(table),
            rule_names,
        })
    }

    /// Whether any rule mentions `Product.<field>` (so buyerdesk only loads
    /// what the rules use, such as the demand history statistics).
    pub fn uses_field(&self, field: &str) -> bool {
        self.fields_used.contains(field)
    }

    /// Whether planning with these rules needs the daily history's
    /// statistics: the rules read them (`demand_sigma`, `history_days`), or
    /// read a forecast fact, whose stored forecast is used only when its
    /// fingerprint can be checked against the history (DOMAIN.md section 5).
    pub fn needs_history(&self) -> bool {
        self.fields_used
            .iter()
            .any(|f| crate::plan::facts::from_history(f))
    }

    /// A new engine for one worker thread, with buyerdesk's actions.
    pub fn engine(&self) -> Planner {
        let kb = KnowledgeBase::new("buyerdesk");
        for rule in self.rules.iter() {
            // Names are unique (`from_parsed`): the engine refuses nothing.
            let _ = kb.add_rule(rule.clone());
        }
        let mut engine = RustRuleEngine::with_config(kb, engine_config());
        let recorder = Recorder::default();
        let budget = Arc::new(Budget::default());
        register_actions(&mut engine, &recorder, &budget);
        Planner {
            engine,
            table: Arc::new(self.table.deep_copy()),
            template: ObjectTemplate::default(),
            blame: None,
            recorder,
            budget,
        }
    }
}

fn engine_config() -> EngineConfig {
    EngineConfig {
        max_cycles: MAX_CYCLES,
        timeout: None,
        enable_stats: false,
        debug_mode: false,
    }
}

/// Registers buyerdesk's actions (`CUSTOM_ACTIONS`, `RECORD` into
/// `recorder`, `BUDGET` counting into `budget`) with an engine.
fn register_actions(engine: &mut RustRuleEngine, recorder: &Recorder, budget: &Arc<Budget>) {
    let count = Arc::clone(budget);
    engine.register_action_handler(BUDGET, move |params, _| {
        let fired = count.fired.fetch_add(1, Ordering::Relaxed) + 1;
        if fired <= FIRING_BUDGET {
            return Ok(());
        }
        if let Some(Value::Integer(id)) = params.get("0") {
            count.over.store(*id as usize, Ordering::Relaxed);
        }
        Err(rust_rule_engine::RuleEngineError::EvaluationError {
            message: format!(
                "rules without no-loop fired more than {FIRING_BUDGET} times for this product"
            ),
        })
    });
    let record = Arc::clone(recorder);
    engine.register_action_handler(RECORD, move |params, _| {
        let value = params.get("0").map(fact_value).unwrap_or(FactValue::Null);
        record
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(value);
        Ok(())
    });
    engine.register_action_handler(ROUND_UP_TO_MULTIPLE, |params, facts| {
        let (target, value, multiple) = action_args("RoundUpToMultiple", params)?;
        let result = if multiple > 0.0 {
            guarded_ceil(value / multiple) * multiple
        } else {
            value
        };
        facts.set_nested(&format!("Product.{target}"), Value::Number(result))
    });
    engine.register_action_handler(CEIL_DIVIDE, |params, facts| {
        let (target, numerator, denominator) = action_args("CeilDivide", params)?;
        if denominator <= 0.0 {
            return Err(rust_rule_engine::RuleEngineError::EvaluationError {
                message: format!("CeilDivide: denominator {denominator} is not positive"),
            });
        }
        let result = guarded_ceil(numerator / denominator);
        facts.set_nested(&format!("Product.{target}"), Value::Number(result))
    });
}

fn action_args(
    name: &str,
    params: &HashMap<String, Value>,
) -> rust_rule_engine::Result<(String, f64, f64)> {
    let err = |message: String| rust_rule_engine::RuleEngineError::EvaluationError { message };
    let target = match params.get("0") {
        Some(Value::String(s)) => s.trim_start_matches("Product.").to_string(),
        other => {
            return Err(err(format!(
                "{name}: first argument must be a field name in quotes, got {other:?}"
            )))
        }
    };
    match schema_field(&target) {
        Some(f) if f.writable => {}
        _ => {
            return Err(err(format!(
                "{name}: '{target}' is not an output field rules may write"
            )))
        }
    }
    let num = |k: &str| -> rust_rule_engine::Result<f64> {
        match params.get(k) {
            Some(Value::Number(n)) => Ok(*n),
            Some(Value::Integer(i)) => Ok(*i as f64),
            other => Err(err(format!(
                "{name}: argument {} must be a number, got {other:?}",
                k.parse::<usize>().unwrap_or(0) + 1
            ))),
        }
    };
    Ok((target, num("1")?, num("2")?))
}

/// What the rules did for one product.
#[derive(Debug, Clone, Default)]
pub struct RuleRun {
    /// Fired rules in order, with the values they wrote.
    pub trace: RuleTrace,
    /// The Product object after the rules.
    pub result: HashMap<String, Value>,
    /// The engine's run-time error, if any (facts may be partly modified).
    pub error: Option<String>,
    /// The rule whose action raised `error`, when it is known (the engine's
    /// error does not name it: see `Planner::blame`).
    pub failed_rule: Option<u16>,
    pub cycles: usize,
    /// The rule whose firing passed `FIRING_BUDGET` (the run stopped
    /// there).
    pub over_budget: Option<u16>,
}

/// One engine, owned by one worker thread.
pub struct Planner {
    engine: RustRuleEngine,
    table: Arc<RuleTable>,
    /// The `Product` object every run starts from.
    template: ObjectTemplate,
    /// Built on the first run-time error only.
    blame: Option<Box<Blame>>,
    /// The values the rules' `RECORD` actions took (`ValueAt::Record`).
    recorder: Recorder,
    /// Firings counted against `FIRING_BUDGET` in the current run.
    budget: Arc<Budget>,
}

/// The name of the action `Blame` puts first in every rule.
const ENTER_RULE: &str = "BuyerdeskEnterRule";
/// `Blame::inside` when no rule's actions are running.
const OUTSIDE: usize = usize::MAX;

/// An engine running the same rules, each with a first action that records
/// which rule's actions are running. The engine reports a failed action
/// without the rule, and calls back only after a rule's actions all
/// succeeded; running the product again on this engine tells which rule it
/// was. Only products whose rules failed pay for it.
struct Blame {
    engine: RustRuleEngine,
    /// The rule (table id) whose actions are running, or `OUTSIDE`.
    inside: Arc<AtomicUsize>,
    /// Its own firing budget, reset before each run.
    budget: Arc<Budget>,
}

impl Blame {
    fn new(engine: &RustRuleEngine, table: &RuleTable) -> Blame {
        let kb = KnowledgeBase::new("buyerdesk-blame");
        // In the engine's order (salience, then file order): added in that
        // order, the stable sort by salience keeps it.
        for mut rule in engine.knowledge_base().get_rules() {
            let Some(&id) = table.by_name.get(&rule.name) else {
                continue;
            };
            let mark = ActionType::Custom {
                action_type: ENTER_RULE.to_string(),
                params: HashMap::from([("0".to_string(), Value::Integer(i64::from(id)))]),
            };
            rule.actions.insert(0, mark);
            // Names are unique: the same rules were added once already.
            let _ = kb.add_rule(rule);
        }
        let mut engine = RustRuleEngine::with_config(kb, engine_config());
        let budget = Arc::new(Budget::default());
        register_actions(&mut engine, &Recorder::default(), &budget);
        let inside = Arc::new(AtomicUsize::new(OUTSIDE));
        let mark = Arc::clone(&inside);
        engine.register_action_handler(ENTER_RULE, move |params, _| {
            if let Some(Value::Integer(id)) = params.get("0") {
                mark.store(*id as usize, Ordering::Relaxed);
            }
            Ok(())
        });
        Blame {
            engine,
            inside,
            budget,
        }
    }
}

impl Planner {
    /// The formulas of the rules this engine runs.
    pub fn table(&self) -> &Arc<RuleTable> {
        &self.table
    }

    /// Runs the rules on one product's facts.
    pub fn run(&mut self, facts: &ProductFacts) -> RuleRun {
        // no-loop is remembered for the engine's lifetime (RULES.md trap 1).
        self.engine.reset_no_loop_tracking();
        self.budget.reset();
        let engine_facts = Facts::new();
        let object = self.template.object(facts);
        if let Err(e) = engine_facts.add_value("Product", Value::Object(object)) {
            return RuleRun {
                error: Some(e.to_string()),
                ..Default::default()
            };
        }
        let mut trace = RuleTrace::default();
        let table = &self.table;
        let recorder = &self.recorder;
        let lock = || recorder.lock().unwrap_or_else(|p| p.into_inner());
        // A rule whose actions failed half-way recorded values of its own.
        lock().clear();
        let outcome = self.engine.execute_with_callback(&engine_facts, |name, f| {
            // Every rule the engine runs came from this table.
            let Some(&id) = table.by_name.get(name) else {
                return;
            };
            trace.fired.push(id);
            let rule = &table.rules[id as usize];
            let mut recorded = match rule.records {
                true => std::mem::take(&mut *lock()).into_iter(),
                false => Vec::new().into_iter(),
            };
            for action in &rule.actions {
                let Some(path) = &action.formula.target_path else {
                    continue;
                };
                let new = match action.value_at {
                    ValueAt::Fire => f
                        .get_nested(path)
                        .map(|v| fact_value(&v))
                        .unwrap_or(FactValue::Null),
                    ValueAt::Record => recorded.next().unwrap_or(FactValue::Null),
                    // Filled in from the result below.
                    ValueAt::Result => FactValue::Null,
                };
                trace.values.push(new);
            }
        });
        // Taken out, not copied: the facts are dropped next.
        let result = match engine_facts.remove("Product") {
            Some(Value::Object(m)) => m,
            _ => HashMap::new(),
        };
        table.fill_final_values(&mut trace, &result);
        match outcome {
            Ok(r) => RuleRun {
                trace,
                result,
                error: None,
                failed_rule: None,
                cycles: r.cycle_count,
                over_budget: None,
            },
            // Stopped by the budget: the rule is known, and running the
            // product again to blame it would loop again.
            Err(e) if self.budget.over().is_some() => RuleRun {
                trace,
                result,
                error: Some(e.to_string()),
                failed_rule: self.budget.over(),
                cycles: 0,
                over_budget: self.budget.over(),
            },
            Err(e) => RuleRun {
                trace,
                result,
                error: Some(e.to_string()),
                failed_rule: self.blame(facts),
                cycles: 0,
                over_budget: None,
            },
        }
    }

    /// The rule whose action fails on these facts: the product is run again
    /// on the marked engine (`Blame`). `None` when the failure is outside
    /// any rule's actions (a condition) or does not happen again.
    fn blame(&mut self, facts: &ProductFacts) -> Option<u16> {
        let blame = self
            .blame
            .get_or_insert_with(|| Box::new(Blame::new(&self.engine, &self.table)));
        blame.engine.reset_no_loop_tracking();
        blame.budget.reset();
        blame.inside.store(OUTSIDE, Ordering::Relaxed);
        let engine_facts = Facts::new();
        engine_facts
            .add_value("Product", Value::Object(facts.to_object()))
            .ok()?;
        let inside = Arc::clone(&blame.inside);
        // A rule whose actions all ran is left.
        let outcome = blame.engine.execute_with_callback(&engine_facts, |_, _| {
            inside.store(OUTSIDE, Ordering::Relaxed)
        });
        let id = blame.inside.load(Ordering::Relaxed);
        match outcome {
            Err(_) if id != OUTSIDE => u16::try_from(id).ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
impl RuleSet {
    /// The same rules with every written value read when its rule fires
    /// or recorded, none taken from the result (`ValueAt::Result`).
    pub(crate) fn reading_every_value(&self) -> RuleSet {
        let mut table = (*self.table).clone();
        for a in table.rules.iter_mut().flat_map(|r| &mut r.actions) {
            if a.value_at == ValueAt::Result {
                a.value_at = ValueAt::Fire;
            }
        }
        RuleSet {
            table: Arc::new(table),
            ..self.clone()
        }
    }

    /// "rule: field" for each action whose value is taken from the result.
    pub(crate) fn values_from_the_result(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.table.rules {
            for a in r.actions.iter().filter(|a| a.value_at == ValueAt::Result) {
                out.push(format!(
                    "{}: {}",
                    r.name,
                    a.formula.target.as_deref().unwrap_or("?")
                ));
            }
        }
        out
    }
}

/// Whether a write left its field as it was: numbers equal to 1e-9
/// (relative above 1), other values exactly.
fn same_value(old: &FactValue, new: &FactValue) -> bool {
    match (old, new) {
        (FactValue::Number(a), FactValue::Number(b)) => {
            a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
        }
        _ => old == new,
    }
}
