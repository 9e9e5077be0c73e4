//! Reads the arithmetic a rationale prints and checks that it adds up: every
//! chain `a = b = c` whose parts are numbers and operators must give the
//! value printed after it, to the precision printed. The tests run it over
//! every step of every product (DOMAIN.md section 2: "every formula printed
//! anywhere evaluates to the value printed"); it is plain code so the same
//! check serves the CLI's, the JSON's and the screen's text alike.

/// A printed formula that does not evaluate to the value printed after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The formula as printed (words removed).
    pub formula: String,
    /// What it evaluates to.
    pub value: f64,
    /// The result as printed.
    pub printed: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} evaluates to {}, printed {}",
            self.formula, self.value, self.printed
        )
    }
}

/// Checks every `=` chain of a rationale step's text (clauses split at
/// `;`). Parts that hold names (`order_qty / pack_size`) are formulas in
/// words and are skipped; unit words after a number (`600 pieces`, `15.5
/// USD`, `/day`) are read past. Returns what does not add up, and how many
/// equalities were checked.
pub fn check_text(text: &str) -> (Vec<Mismatch>, usize) {
    let mut bad = Vec::new();
    let mut checked = 0;
    for clause in text.split("; ") {
        // "Rule X: field = ..." and "Check: 50 boxes x 12 = ...": the label
        // before the first ": " is not arithmetic.
        let clause = match clause.split_once(": ") {
            Some((label, rest)) if !label.contains(" = ") => rest,
            _ => clause,
        };
        let parts: Vec<&str> = clause.split(" = ").collect();
        let mut previous: Option<(String, Interval)> = None;
        for part in parts {
            let part = strip_was(part);
            match numeric(part) {
                Some((formula, value, decimals)) => {
                    if let Some((prev_formula, prev_value)) = previous.take() {
                        checked += 1;
                        if !within(prev_value, value, decimals) {
                            bad.push(Mismatch {
                                value: prev_value.mid(),
                                formula: prev_formula,
                                printed: formula.clone(),
                            });
                        }
                    }
                    previous = Some((formula, value));
                }
                None => previous = None,
            }
        }
    }
    (bad, checked)
}

/// Whether a formula whose printed operands stand for `value` (each as
/// precise as printed) can give `printed` as shown (`agrees`).
pub fn within(value: Interval, printed: Interval, decimals: u32) -> bool {
    let p = printed.mid();
    let half_unit = if decimals == 2 { 0.005 } else { 0.000_000_5 };
    let slack = half_unit + 1e-9 * p.abs().max(1.0);
    value.lo - slack <= p && p <= value.hi + slack
}

/// Whether `value` is what `printed` shows. buyerdesk prints figures two
/// ways: money and rounded figures (cover) with exactly two decimals, and
/// quantities to 6 decimals with trailing zeros dropped (`fmt_qty`: "4200"
/// means 4200 to 6 decimals). So two decimals allow half a cent, anything
/// else half of the 6th decimal.
pub fn agrees(value: f64, printed: f64, decimals: u32) -> bool {
    let half_unit = if decimals == 2 { 0.005 } else { 0.000_000_5 };
    (value - printed).abs() <= half_unit + 1e-9 * printed.abs().max(1.0)
}

/// A part without its trailing remarks in words: "(was 0)", "(finite,
/// ...)".
fn strip_was(part: &str) -> &str {
    let part = part.trim();
    let remark = part.char_indices().find(|&(i, _)| {
        part[i..].starts_with(" (") && part[i + 2..].starts_with(|c: char| c.is_alphabetic())
    });
    match remark {
        Some((i, _)) if part.ends_with(')') => &part[..i],
        _ => part,
    }
}

/// A part as arithmetic: the formula with words removed, its value, and the
/// decimals of its last number (the printed precision of a result). `None`
/// when it holds names or nothing to compute.
fn numeric(part: &str) -> Option<(String, Interval, u32)> {
    let mut expr = String::new();
    let mut decimals = 0;
    let mut numbers = 0;
    let chars: Vec<char> = part.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || chars[i] == '.'
                    || (chars[i] == ','
                        && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                        && i > start))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != ',').collect();
            decimals = text.split_once('.').map_or(0, |(_, f)| f.len() as u32);
            expr.push_str(&text);
            numbers += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.as_str() {
                "x" => expr.push('*'),
                "ceil" => expr.push_str("ceil"),
                // A name of a field: a formula in words.
                w if w.contains('_') => return None,
                // A unit after a number ("600 pieces", "/day"): read past,
                // with the slash that introduced it.
                _ => {
                    if expr.trim_end().ends_with('/') {
                        let cut = expr.trim_end().len() - 1;
                        expr.truncate(cut);
                    }
                }
            }
            continue;
        }
        match c {
            '+' | '-' | '*' | '/' | '(' | ')' | ' ' => expr.push(c),
            _ => return None,
        }
        i += 1;
    }
    if numbers == 0 {
        return None;
    }
    let value = evaluate_interval(&expr)?;
    Some((
        expr.split_whitespace().collect::<Vec<_>>().join(" "),
        value,
        decimals,
    ))
}

/// What a printed number may stand for: every operand buyerdesk prints is
/// rounded to 6 decimals, so `0.333333 * 90` is any value in
/// `[0.3333325, 0.3333335] * 90`. A formula agrees with its printed result
/// when the result lies in the interval of its operands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    fn point(v: f64) -> Interval {
        Interval { lo: v, hi: v }
    }

    /// A number printed to 6 decimals.
    fn printed(v: f64) -> Interval {
        Interval {
            lo: v - 0.000_000_5,
            hi: v + 0.000_000_5,
        }
    }

    pub fn mid(self) -> f64 {
        (self.lo + self.hi) / 2.0
    }

    fn of(values: [f64; 4]) -> Interval {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Interval { lo, hi }
    }

    fn add(self, o: Interval) -> Interval {
        Interval {
            lo: self.lo + o.lo,
            hi: self.hi + o.hi,
        }
    }

    fn sub(self, o: Interval) -> Interval {
        Interval {
            lo: self.lo - o.hi,
            hi: self.hi - o.lo,
        }
    }

    fn mul(self, o: Interval) -> Interval {
        Interval::of([
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ])
    }

    fn div(self, o: Interval) -> Option<Interval> {
        // A divisor that may be 0 makes no number.
        if o.lo <= 0.0 && o.hi >= 0.0 {
            return None;
        }
        Some(Interval::of([
            self.lo / o.lo,
            self.lo / o.hi,
            self.hi / o.lo,
            self.hi / o.hi,
        ]))
    }

    fn neg(self) -> Interval {
        Interval {
            lo: -self.hi,
            hi: -self.lo,
        }
    }

    fn ceil(self) -> Interval {
        Interval {
            lo: super::numbers::guarded_ceil(self.lo),
            hi: super::numbers::guarded_ceil(self.hi),
        }
    }
}

/// Evaluates `+ - * /`, parentheses, unary minus and `ceil(...)` (with the
/// plan's guard against float error), the numbers taken as written.
pub fn evaluate(expr: &str) -> Option<f64> {
    let tokens = lex(expr)?;
    let mut p = Parser {
        tokens,
        at: 0,
        width: false,
    };
    let v = p.sum()?;
    (p.at == p.tokens.len() && v.lo == v.hi).then_some(v.lo)
}

/// `evaluate` with each number standing for the values that print as it
/// (`Interval`).
pub fn evaluate_interval(expr: &str) -> Option<Interval> {
    let tokens = lex(expr)?;
    let mut p = Parser {
        tokens,
        at: 0,
        width: true,
    };
    let v = p.sum()?;
    (p.at == p.tokens.len()).then_some(v)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Op(char),
    Ceil,
}

fn lex(expr: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok::Num(text.parse().ok()?));
        } else if expr[i..].starts_with("ceil") {
            out.push(Tok::Ceil);
            i += 4;
        } else if "+-*/()".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
    /// Numbers stand for what prints as them (`Interval::printed`).
    width: bool,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: char) -> bool {
        if self.peek() == Some(&Tok::Op(op)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn sum(&mut self) -> Option<Interval> {
        let mut v = self.product()?;
        loop {
            if self.eat('+') {
                v = v.add(self.product()?);
            } else if self.eat('-') {
                v = v.sub(self.product()?);
            } else {
                return Some(v);
            }
        }
    }

    fn product(&mut self) -> Option<Interval> {
        let mut v = self.unary()?;
        loop {
            if self.eat('*') {
                v = v.mul(self.unary()?);
            } else if self.eat('/') {
                v = v.div(self.unary()?)?;
            } else {
                return Some(v);
            }
        }
    }

    fn unary(&mut self) -> Option<Interval> {
        if self.eat('-') {
            return Some(self.unary()?.neg());
        }
        match self.peek()?.clone() {
            Tok::Num(n) => {
                self.at += 1;
                Some(match self.width {
                    true => Interval::printed(n),
                    false => Interval::point(n),
                })
            }
            Tok::Ceil => {
                self.at += 1;
                if !self.eat('(') {
                    return None;
                }
                let v = self.sum()?;
                self.eat(')').then(|| v.ceil())
            }
            Tok::Op('(') => {
                self.at += 1;
                let v = self.sum()?;
                self.eat(')').then_some(v)
            }
            Tok::Op(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_that_adds_up_passes_and_one_that_does_not_is_named() {
        let good = "Rule RoundUpAndPrice: order_qty = ceil(order_qty / rounding_multiple) x rounding_multiple = ceil(4050 / 200) x 200 = 4200 (was 4050); purchase_qty = ceil(order_qty / pack_size) = ceil(4200 / 0.2642) = 15898 (was 0); order_qty = purchase_qty * pack_size = 15898 * 0.2642 = 4200.2516 (was 4200); amount = order_qty * unit_price = 4200.2516 * 42.75 = 179,560.76 (was 0.00)";
        assert_eq!(check_text(good), (vec![], 4));
        // Last round's bug: the step printed the field's final value.
        let bad = "Rule RoundUpAndPrice: order_qty = ceil(order_qty / rounding_multiple) x rounding_multiple = ceil(4050 / 200) x 200 = 4200.2516 (was 4050)";
        let (mismatches, checked) = check_text(bad);
        assert_eq!(checked, 1);
        assert_eq!(mismatches.len(), 1, "{mismatches:?}");
        assert_eq!(mismatches[0].value, 4200.0);
        assert_eq!(mismatches[0].printed, "4200.2516");
    }

    #[test]
    fn units_and_labels_are_read_past() {
        let check = "Check: 50 boxes x 12 = 600 pieces; 600 pieces x 15.5 USD = 9,300.00 USD; auto-approved (finite, >= 0, pack and amount agree: ok)";
        assert_eq!(check_text(check), (vec![], 2));
        let cover = "Days of cover = 500 / 150/day = 3.33 days";
        assert_eq!(check_text(cover), (vec![], 1));
        let wrong = "Days of cover = 500 / 150/day = 3.35 days";
        assert_eq!(check_text(wrong).0.len(), 1);
        assert_eq!(check_text("Check: 50 boxes x 12 = 610 pieces").0.len(), 1);
    }

    #[test]
    fn the_evaluator_follows_precedence_and_the_guarded_ceiling() {
        assert_eq!(evaluate("1 + 2 * 3"), Some(7.0));
        assert_eq!(evaluate("(1 + 2) * 3"), Some(9.0));
        assert_eq!(evaluate("-2 * -3"), Some(6.0));
        assert_eq!(evaluate("ceil(88.5 / 20) * 20"), Some(100.0));
        assert_eq!(evaluate("ceil(100.0000000001 / 20)"), Some(5.0));
        assert_eq!(evaluate("1 +"), None);
        assert_eq!(evaluate("1 / 0"), None);
        assert_eq!(evaluate("(1"), None);
    }

    #[test]
    fn operands_stand_for_what_prints_as_them() {
        // 1/3 printed to 6 decimals, times 90, is 30.
        let v = evaluate_interval("0.333333 * 90").unwrap();
        assert!(within(v, Interval::point(30.0), 0));
        assert!(!within(v, Interval::point(30.0001), 4));
        // ... but a ceiling far from its boundary is exact.
        let v = evaluate_interval("ceil(4050 / 200) * 200").unwrap();
        assert!(within(v, Interval::point(4200.0), 0));
        assert!(!within(v, Interval::point(4200.2516), 4));
        assert!(evaluate_interval("ceil(5 / 0) * 0").is_none());
    }

    #[test]
    fn printed_precision_is_the_tolerance() {
        assert!(agrees(3.3333, 3.33, 2));
        assert!(!agrees(3.3333, 3.34, 2));
        assert!(agrees(179_560.755_9, 179_560.76, 2));
        assert!(!agrees(4200.2516, 4200.0, 0));
        assert!(!agrees(4200.2516, 4200.25, 4));
        assert!(agrees(4200.2516, 4200.2516, 4));
        assert!(agrees(2.0 / 3.0, 0.666667, 6));
    }
}
