//! Checks on what a rule means rather than how it is written: a rule that
//! keeps its own condition true, division by a literal zero, text values a
//! field never has. Each works on one block's tokens, in one pass.

use super::*;

/// Text fields whose values buyerdesk knows, and those values (the sources
/// give `trend` as one of three lower-case words; see `plan::facts`).
pub const KNOWN_VALUES: &[(&str, &[&str])] = &[("trend", &["increasing", "stable", "decreasing"])];

/// How an action changes a field its own condition reads.
#[derive(Clone, Copy)]
enum Change {
    /// `F = 5`
    Const(f64),
    /// `F = F`
    Same,
    /// `F = F * k` or `F *= k`, k >= 1
    Times,
    /// `F = F + k` or `F += k`, k >= 0
    Plus,
}

fn field_of<'t>(t: &Token, text: &'t str) -> Option<&'t str> {
    (t.kind == Kind::Path)
        .then(|| t.text(text).strip_prefix("Product."))
        .flatten()
}

fn number_of(t: &Token, text: &str) -> Option<f64> {
    (t.kind == Kind::Number)
        .then(|| t.text(text).parse::<f64>().ok())
        .flatten()
}

/// What one action (`F = ...` without its `;`) does to `F`.
fn change_of<'t>(action: &[&Token], text: &'t str) -> Option<(&'t str, usize, Option<Change>)> {
    let (target, rest) = action.split_first()?;
    let field = field_of(target, text)?;
    let (op, value) = rest.split_first()?;
    let op = if op.kind == Kind::Punct {
        op.text(text)
    } else {
        return Some((field, target.start, None));
    };
    let same = |t: &Token| field_of(t, text) == Some(field);
    let change = match (op, value) {
        ("=", [c]) if number_of(c, text).is_some() => number_of(c, text).map(Change::Const),
        ("=", [f]) if same(f) => Some(Change::Same),
        ("=", [a, m, b]) => {
            let (f, k) = if same(a) { (a, b) } else { (b, a) };
            let k = number_of(k, text);
            match (same(f), m.text(text), k) {
                (true, "*", Some(k)) if k >= 1.0 => Some(Change::Times),
                (true, "+", Some(k)) if k >= 0.0 => Some(Change::Plus),
                _ => None,
            }
        }
        ("*=", [k]) => number_of(k, text)
            .filter(|k| *k >= 1.0)
            .map(|_| Change::Times),
        ("+=", [k]) => number_of(k, text)
            .filter(|k| *k >= 0.0)
            .map(|_| Change::Plus),
        _ => None,
    };
    Some((field, target.start, change))
}

fn holds(value: f64, op: &str, bound: f64) -> bool {
    match op {
        ">" => value > bound,
        ">=" => value >= bound,
        "<" => value < bound,
        "<=" => value <= bound,
        _ => false,
    }
}

fn flipped(op: &str) -> &str {
    match op {
        ">" => "<",
        ">=" => "<=",
        "<" => ">",
        "<=" => ">=",
        other => other,
    }
}

/// A rule whose actions write fields its condition reads, and leave the
/// condition true whatever the product: without `no-loop` it fires again on
/// every cycle. Returns where the first such write is and what it writes.
/// Only a condition of `&&`-joined comparisons with literal numbers is
/// judged; anything else is left to the warning.
pub(super) fn certain_loop(
    text: &str,
    cond: &[Token],
    actions: &[Token],
) -> Option<(usize, String)> {
    let mut changes: Vec<(&str, usize, Option<Change>)> = Vec::new();
    for action in actions.split(|t| is_punct(t, text, ";")) {
        let action: Vec<&Token> = action.iter().collect();
        if action.is_empty() {
            continue;
        }
        changes.push(change_of(&action, text)?);
    }
    let cond: Vec<&Token> = cond
        .iter()
        .filter(|t| !is_punct(t, text, "(") && !is_punct(t, text, ")"))
        .collect();
    if cond
        .iter()
        .any(|t| is_punct(t, text, "||") || is_punct(t, text, "!"))
    {
        return None;
    }
    let mut first: Option<(usize, String)> = None;
    for conjunct in cond.split(|t| is_punct(t, text, "&&")) {
        let written =
            |t: &&Token| field_of(t, text).and_then(|f| changes.iter().find(|c| c.0 == f).copied());
        let Some((field, at, change)) = conjunct.iter().find_map(written) else {
            continue; // a field no action writes: the write leaves it as it is
        };
        let (op, bound) = match conjunct {
            [f, op, n] if field_of(f, text) == Some(field) => (op.text(text), number_of(n, text)?),
            [n, op, f] if field_of(f, text) == Some(field) => {
                (flipped(op.text(text)), number_of(n, text)?)
            }
            _ => return None,
        };
        let kept = match change? {
            Change::Const(c) => holds(c, op, bound),
            Change::Same => true,
            Change::Times => matches!(op, ">" | ">=") && bound >= 0.0,
            Change::Plus => matches!(op, ">" | ">="),
        };
        if !kept {
            return None;
        }
        if first.is_none() {
            first = Some((at, format!("Product.{field}")));
        }
    }
    first
}

impl Validator<'_> {
    /// `x / 0`, `x /= 0.0`: the engine fails at run time on every product
    /// the rule fires on.
    pub(super) fn check_zero_division(&mut self, b: usize) {
        let text = self.text;
        let body = &self.blocks[b].body;
        let mut found = Vec::new();
        for pair in body.windows(2) {
            let (op, n) = (&self.code[pair[0]], &self.code[pair[1]]);
            if (is_punct(op, text, "/") || is_punct(op, text, "/="))
                && number_of(n, text) == Some(0.0)
            {
                found.push((op.start, n.text(text).to_string()));
            }
        }
        for (at, zero) in found {
            self.error(
                at,
                format!("division by zero (`/ {zero}`): the rule fails at run time on every product it fires on"),
                Some("divide by a field that is never 0, or by a number other than 0".into()),
            );
        }
    }

    /// `Product.trend == "Increasing"`: a text value the field never has.
    pub(super) fn check_text_values(&mut self, b: usize) {
        let text = self.text;
        let body = &self.blocks[b].body;
        let mut found = Vec::new();
        for w in body.windows(3) {
            let (a, op, c) = (&self.code[w[0]], &self.code[w[1]], &self.code[w[2]]);
            if !(is_punct(op, text, "==") || is_punct(op, text, "!=")) {
                continue;
            }
            let (f, s) = match (field_of(a, text), field_of(c, text)) {
                (Some(f), _) if c.kind == Kind::Str && c.terminated => (f, c),
                (_, Some(f)) if a.kind == Kind::Str && a.terminated => (f, a),
                _ => continue,
            };
            let Some((_, values)) = KNOWN_VALUES.iter().find(|(n, _)| *n == f) else {
                continue;
            };
            let value = s.str_content(text);
            if values.contains(&value) {
                continue;
            }
            let hint = match values.iter().find(|v| v.eq_ignore_ascii_case(value)) {
                Some(v) => format!("write \"{v}\" (values are compared exactly, case included)"),
                None => match nearest(value, values.iter().copied()) {
                    Some(v) => format!("did you mean \"{v}\"?"),
                    None => format!("compare with one of: {}", values.join(", ")),
                },
            };
            found.push((
                s.start,
                format!(
                    "`Product.{f}` is never \"{}\": its values are {}",
                    crate::text::printable(value),
                    values.join(", ")
                ),
                hint,
            ));
        }
        for (at, message, hint) in found {
            self.warning(at, message, Some(hint));
        }
    }
}
