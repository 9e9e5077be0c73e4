//! One test per trap (shared RULES.md and the list), each asserting
//! the severity, the exact line:col of the offending token and the message;
//! then the property tests: no input makes the validator panic or point
//! outside the text.

use proptest::prelude::*;

use super::validate::engine_verdict_for_test;
use super::*;
use crate::plan::DEFAULT_RULES;

const FILE: &str = "t.grl";

fn check(text: &str) -> Vec<Diagnostic> {
    validate(text, FILE)
}

/// A well-formed rule around `condition` and `actions`.
pub(super) fn rule(condition: &str, actions: &str) -> String {
    format!(
        "rule \"R\" salience 10 no-loop {{\n    when\n        {condition}\n    then\n        {actions}\n}}\n"
    )
}

/// Line and column (1-based, characters) of the `nth` occurrence of
/// `needle`.
fn pos(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in {text:?}"))
        .0;
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

/// The one diagnostic whose message contains `part`; fails listing them all.
fn find<'d>(ds: &'d [Diagnostic], part: &str) -> &'d Diagnostic {
    let hits: Vec<&Diagnostic> = ds.iter().filter(|d| d.message.contains(part)).collect();
    match hits.as_slice() {
        [d] => d,
        _ => panic!(
            "expected one diagnostic with {part:?}, got:\n{}",
            listing(ds)
        ),
    }
}

fn listing(ds: &[Diagnostic]) -> String {
    ds.iter().map(|d| format!("{d}\n")).collect()
}

/// Asserts a diagnostic with `part` in its message, of `severity`, at the
/// `nth` occurrence of `needle`.
fn assert_at(
    ds: &[Diagnostic],
    part: &str,
    severity: Severity,
    text: &str,
    needle: &str,
    nth: usize,
) -> Diagnostic {
    let d = find(ds, part);
    assert_eq!(d.severity, severity, "{d}");
    assert_eq!((d.line, d.col), pos(text, needle, nth), "{d}");
    d.clone()
}

/// The names of the rules the engine reads in the whole text (empty when it
/// refuses it).
fn engine_names(text: &str) -> Vec<String> {
    rust_rule_engine::GRLParser::parse_rules(text)
        .map(|rules| rules.into_iter().map(|r| r.name).collect())
        .unwrap_or_default()
}

fn errors(ds: &[Diagnostic]) -> Vec<&Diagnostic> {
    ds.iter().filter(|d| d.is_error()).collect()
}

#[test]
fn the_shipped_rules_have_no_error_and_no_warning() {
    let ds = check(DEFAULT_RULES);
    assert!(ds.is_empty(), "{}", listing(&ds));
    let on_disk = include_str!("../../rules/purchasing.grl");
    assert!(check(on_disk).is_empty());
    // Saved by a Windows editor: CRLF line ends and a byte order mark.
    let windows = format!("\u{feff}{}", DEFAULT_RULES.replace('\n', "\r\n"));
    assert!(check(&windows).is_empty(), "{}", listing(&check(&windows)));
}

#[test]
fn the_forecast_facts_are_read_only_and_known_to_the_validator() {
    // Read in conditions and actions: no diagnostic.
    let reads = rule(
        "Product.demand_class == \"smooth\" && Product.abc_class != \"C\" && Product.forecast_mase < 1 && Product.xyz_class == \"X\" && Product.forecast_method == \"ets\"",
        "Product.demand_rate = Product.forecast_daily;\n        Product.service_safety_stock = Product.service_z * Product.sigma_horizon;",
    );
    let ds = check(&reads);
    assert!(ds.is_empty(), "{}", listing(&ds));
    // Written: refused, naming the outputs.
    for field in [
        "forecast_daily",
        "sigma_horizon",
        "forecast_mase",
        "demand_class",
    ] {
        let text = rule(
            "Product.moq > 0",
            &format!("Product.{field} = Product.avg_daily_demand;"),
        );
        let ds = check(&text);
        assert!(
            ds.iter().any(|d| d.severity == Severity::Error
                && d.hint.as_deref().is_some_and(|h| h.contains("demand_rate"))),
            "{field}: {}",
            listing(&ds)
        );
    }
    // A misspelt new field gets the nearest name.
    let ds = check(&rule("Product.sigma_horizn > 0", "Product.order_qty = 1;"));
    assert!(listing(&ds).contains("sigma_horizon"), "{}", listing(&ds));
    // The policy before forecasts ships too, and is clean.
    let reference = include_str!("../../rules/reference.grl");
    assert!(
        check(reference).is_empty(),
        "{}",
        listing(&check(reference))
    );
}

#[test]
fn a_clean_rule_gives_no_diagnostic() {
    let text = rule(
        "(Product.order_qty > 0 || Product.moq >= 1) && !(Product.trend == \"stable\") && Product.supplier_active == true",
        "Product.amount = Product.order_qty * Product.unit_price + 0.5;\n        Product.requires_approval = false;",
    );
    let ds = check(&text);
    assert!(ds.is_empty(), "{}", listing(&ds));
    // And the engine runs it as written.
    let facts = crate::plan::facts::ProductFacts::for_test("increasing", 5.0);
    let run = load(&text, FILE).unwrap().engine().run(&facts);
    assert_eq!(run.error, None);
    assert_eq!(run.trace.fired, [0]);
    assert_eq!(
        run.result.get("amount"),
        Some(&rust_rule_engine::Value::Number(0.5))
    );
}

#[test]
fn display_is_file_line_col_severity_message_then_hint() {
    let text = rule("Product.moqq > 0", "Product.order_qty = 1;");
    let ds = check(&text);
    let d = find(&ds, "unknown field");
    assert_eq!(
        d.to_string(),
        "t.grl:3:9: error: unknown field `Product.moqq`: the engine reads it as null and the rule never fires\n  hint: did you mean `Product.moq`?"
    );
    assert_eq!(d.rule.as_deref(), Some("R"));
    assert!(has_errors(&ds));
    assert!(!has_errors(&check(DEFAULT_RULES)));
}

// ---- the file as a whole -------------------------------------------------

#[test]
fn trap_empty_file() {
    for text in ["", "   \n\n", "// only a comment\n/* and another */\n"] {
        let ds = check(text);
        let d = find(&ds, "holds no rule");
        assert_eq!(
            (d.severity, d.line, d.col),
            (Severity::Error, 1, 1),
            "{text:?}"
        );
    }
}

#[test]
fn trap_text_outside_rules() {
    let text = format!(
        "{}hello there\n{}",
        rule("Product.moq > 0", "Product.amount = 1;"),
        rule("Product.moq > 1", "Product.amount = 2;").replace("\"R\"", "\"S\"")
    );
    let ds = check(&text);
    assert_at(
        &ds,
        "text outside a rule (`hello`)",
        Severity::Error,
        &text,
        "hello",
        0,
    );
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_typo_in_the_rule_keyword() {
    for typo in ["rul", "Rule", "rulle"] {
        let text = format!("{typo} \"A\" salience 1 no-loop {{\n when Product.moq > 0\n then Product.amount = 1;\n}}\n");
        let ds = check(&text);
        let d = assert_at(&ds, "is not a keyword", Severity::Error, &text, typo, 0);
        assert_eq!(d.hint.as_deref(), Some("did you mean `rule` (lower case)?"));
        find(&ds, "holds no rule");
    }
}

#[test]
fn trap_rule_keyword_without_a_space() {
    let text = rule("Product.moq > 0", "Product.amount = 1;").replacen("rule ", "rule", 1);
    let ds = check(&text);
    let d = find(&ds, "needs a space after `rule`");
    assert_eq!((d.line, d.col, d.severity), (1, 5, Severity::Error));
}

// ---- braces --------------------------------------------------------------

#[test]
fn trap_missing_closing_brace_swallows_the_next_rule() {
    let text = "rule \"A\" salience 2 no-loop {\n    when Product.moq > 0\n    then Product.amount = 1;\n\nrule \"B\" salience 1 no-loop {\n    when Product.moq > 0\n    then Product.order_qty = 1;\n}\n";
    let ds = check(text);
    let d = assert_at(&ds, "never closed", Severity::Error, text, "{", 0);
    assert!(d.hint.as_deref().unwrap().contains("line 5"), "{d}");
    assert_eq!(d.rule.as_deref(), Some("A"));
    // B itself is read and checked.
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_missing_closing_brace_at_the_end_of_the_file() {
    let text =
        "rule \"A\" salience 2 no-loop {\n    when Product.moq > 0\n    then Product.amount = 1;\n";
    let ds = check(text);
    assert_at(&ds, "never closed", Severity::Error, text, "{", 0);
}

#[test]
fn trap_missing_opening_brace() {
    let text = "rule \"A\" salience 2 no-loop\n    when Product.moq > 0\n    then Product.amount = 1;\n}\n";
    let ds = check(text);
    assert_at(
        &ds,
        "expected `{` before `when`",
        Severity::Error,
        text,
        "when",
        0,
    );
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_extra_closing_brace() {
    let text = format!("{}}}\n", rule("Product.moq > 0", "Product.amount = 1;"));
    let ds = check(&text);
    assert_at(&ds, "extra `}`", Severity::Error, &text, "}", 1);
}

#[test]
fn trap_braces_inside_a_rule_body() {
    let text = rule("Product.moq > 0", "{ Product.amount = 1; }");
    let ds = check(&text);
    assert_at(
        &ds,
        "unexpected `{` inside a rule",
        Severity::Error,
        &text,
        "{ Product",
        0,
    );
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

// ---- strings and comments ------------------------------------------------

#[test]
fn trap_unterminated_string() {
    let text = rule("Product.trend == \"stable", "Product.amount = 1;");
    let ds = check(&text);
    assert_at(
        &ds,
        "unterminated string",
        Severity::Error,
        &text,
        "\"stable",
        0,
    );
}

#[test]
fn trap_escape_in_a_string() {
    let text = rule("Product.trend == \"a\\\"b\"", "Product.amount = 1;");
    let ds = check(&text);
    assert_at(&ds, "escapes", Severity::Error, &text, "\\", 0);
}

#[test]
fn trap_unterminated_block_comment() {
    let text = format!(
        "{}/* never closed\n",
        rule("Product.moq > 0", "Product.amount = 1;")
    );
    let ds = check(&text);
    assert_at(&ds, "unterminated comment", Severity::Error, &text, "/*", 0);
}

/// A comment the engine's regex splitter would misread (the word "rule"
/// and a name, a `}`, a `/* */` or a trailing `//` inside a rule): the
/// raw text really breaks the engine, and the text buyerdesk hands it, with
/// comments blanked, reads as the one rule written. No diagnostic.
fn assert_comment_is_harmless(text: &str) {
    assert!(
        check(text).is_empty(),
        "{text:?}: {}",
        listing(&check(text))
    );
    assert_eq!(
        engine_names(&super::lexer::blank_comments(text)),
        ["R"],
        "{text:?}"
    );
    let loaded = load(text, FILE).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
    assert_eq!(loaded.rule_names, ["R"]);
    assert_eq!(&*loaded.text, text, "the rules keep the text as written");
}

#[test]
fn trap_the_word_rule_in_a_comment() {
    let base = rule("Product.moq > 0", "Product.amount = 1;");
    for comment in [
        "// this rule fires",
        "/* a rule \"X\" here */",
        "// Grule rules",
        "/* the rule\n   next */",
    ] {
        let text = format!("{comment}\n{base}");
        assert_ne!(
            engine_names(&text),
            ["R"],
            "the engine really misreads {comment:?}"
        );
        assert_comment_is_harmless(&text);
    }
    for comment in ["// the rules below", "// Rule of thumb", "// a rule."] {
        assert_comment_is_harmless(&format!("{comment}\n\n{base}"));
    }
}

#[test]
fn trap_trailing_comment_after_code_in_a_rule() {
    let text = rule("Product.moq > 0 // big enough", "Product.amount = 1;");
    assert_comment_is_harmless(&text);
    let own_line = rule(
        "Product.moq > 0\n        // big enough\n        && Product.moq < 5",
        "Product.amount = 1;",
    );
    assert_comment_is_harmless(&own_line);
}

#[test]
fn trap_block_comment_inside_a_rule() {
    assert_comment_is_harmless(&rule("Product.moq > 0 /* big */", "Product.amount = 1;"));
}

#[test]
fn trap_brace_in_a_comment_inside_a_rule() {
    let text = rule(
        "Product.moq > 0\n        // see {the policy} and the rule \"X\" }",
        "Product.amount = 1;",
    );
    assert_ne!(engine_names(&text), ["R"], "the engine really misreads it");
    assert_comment_is_harmless(&text);
}

#[test]
fn trap_strings_the_engine_splits_on() {
    for (condition, actions, needle) in [
        ("Product.trend != \"a}b\"", "Product.amount = 1;", "\"a}b\""),
        (
            "Product.trend == \"x && y\"",
            "Product.amount = 1;",
            "\"x && y\"",
        ),
        (
            "Product.trend == \"a then b\"",
            "Product.amount = 1;",
            "\"a then b\"",
        ),
    ] {
        let text = rule(condition, actions);
        let ds = check(&text);
        assert_at(&ds, "splits on it", Severity::Error, &text, needle, 0);
    }
}

// ---- conditions ----------------------------------------------------------

#[test]
fn trap_and_or_instead_of_ampersands_and_bars() {
    let text = rule(
        "Product.moq > 0 and Product.order_qty > 0 or Product.amount > 1",
        "Product.amount = 1;",
    );
    let ds = check(&text);
    assert_at(
        &ds,
        "`and` is not an operator",
        Severity::Error,
        &text,
        "and",
        0,
    );
    assert_at(
        &ds,
        "`or` is not an operator",
        Severity::Error,
        &text,
        "or ",
        0,
    );
    assert_eq!(find(&ds, "`and`").hint.as_deref(), Some("use `&&`"));
    assert_eq!(errors(&ds).len(), 2, "{}", listing(&ds));
}

#[test]
fn trap_angle_brackets_instead_of_not_equal() {
    let text = rule("Product.trend <> \"stable\"", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(&ds, "`<>`", Severity::Error, &text, "<>", 0);
    assert_eq!(d.hint.as_deref(), Some("use `!=`"));
}

#[test]
fn trap_triple_equals() {
    let text = rule("Product.trend === \"stable\"", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(&ds, "`===`", Severity::Error, &text, "===", 0);
    assert_eq!(d.hint.as_deref(), Some("use `==`"));
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_single_equals_in_a_condition() {
    let text = rule("Product.trend = \"stable\"", "Product.amount = 1;");
    let ds = check(&text);
    assert_at(&ds, "`=` assigns", Severity::Error, &text, "= \"", 0);
}

#[test]
fn trap_unknown_field_in_a_condition() {
    let text = rule("Product.avg_daily_demnd > 0", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown field `Product.avg_daily_demnd`",
        Severity::Error,
        &text,
        "Product.avg",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("did you mean `Product.avg_daily_demand`?")
    );
}

#[test]
fn trap_unknown_object_or_bare_name_in_a_condition() {
    let text = rule("Prodcut.moq > 0 && moq > 1", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown object `Prodcut`",
        Severity::Error,
        &text,
        "Prodcut",
        0,
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `Product.moq`?"));
    let d = assert_at(
        &ds,
        "unknown name `moq`",
        Severity::Error,
        &text,
        "moq > 1",
        0,
    );
    assert_eq!(d.hint.as_deref(), Some("write `Product.moq`"));
}

#[test]
fn trap_text_value_without_quotes() {
    let text = rule("Product.trend == increasing", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown name `increasing`",
        Severity::Error,
        &text,
        "increasing",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("text goes in double quotes: \"increasing\"")
    );
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_comparison_in_an_action() {
    let text = rule(
        "Product.moq > 0",
        "Product.requires_approval = Product.amount > 10000;",
    );
    let ds = check(&text);
    let d = assert_at(&ds, "unexpected `>`", Severity::Error, &text, "> 10000", 0);
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .starts_with("an action cannot compare"),
        "{d}"
    );
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_function_call_in_a_condition() {
    let text = rule("abs(Product.moq) > 1", "Product.amount = 1;");
    let ds = check(&text);
    assert_at(
        &ds,
        "function call `abs(...)`",
        Severity::Error,
        &text,
        "abs",
        0,
    );
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_parentheses_around_arithmetic_in_a_condition() {
    for condition in [
        "Product.order_qty > (Product.moq + 1)",
        "(Product.moq - Product.order_qty) * 2 > 3",
    ] {
        let text = rule(condition, "Product.amount = 1;");
        let ds = check(&text);
        assert_at(
            &ds,
            "parentheses around arithmetic",
            Severity::Error,
            &text,
            "(",
            0,
        );
    }
}

#[test]
fn trap_minus_before_a_field_in_a_condition() {
    let text = rule("Product.order_qty > -Product.moq", "Product.amount = 1;");
    let ds = check(&text);
    assert_at(
        &ds,
        "minus sign before a field",
        Severity::Error,
        &text,
        "-Product",
        0,
    );
    // A negative literal is read correctly in a condition.
    assert!(check(&rule("Product.available_qty < -5", "Product.amount = 1;")).is_empty());
}

#[test]
fn trap_a_bare_value_as_a_condition() {
    let text = rule("Product.supplier_active", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "must compare two values",
        Severity::Error,
        &text,
        "Product.supplier",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("write `Product.supplier_active == true`")
    );
}

#[test]
fn trap_missing_logical_operator_between_comparisons() {
    let text = rule(
        "Product.moq > 0 Product.order_qty > 0",
        "Product.amount = 1;",
    );
    let ds = check(&text);
    assert_at(
        &ds,
        "expected `&&` or `||` before `Product.order_qty`",
        Severity::Error,
        &text,
        "Product.order_qty",
        0,
    );
}

#[test]
fn trap_equality_on_numbers() {
    let text = rule("Product.order_qty == 0", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(&ds, "is never true", Severity::Error, &text, "==", 0);
    assert!(d.hint.as_deref().unwrap().contains("<= 0"), "{d}");
    let text = rule("Product.order_qty != 0", "Product.amount = 1;");
    assert_at(
        &check(&text),
        "is always true",
        Severity::Error,
        &text,
        "!=",
        0,
    );
    // Exact float comparison works in the engine but is fragile: a warning.
    let text = rule("Product.order_qty == Product.moq", "Product.amount = 1;");
    assert_at(
        &check(&text),
        "compares floating-point",
        Severity::Warning,
        &text,
        "==",
        0,
    );
    // `==` on true/false and text is what it is for.
    assert!(check(&rule(
        "Product.supplier_active == true && Product.trend == \"increasing\"",
        "Product.amount = 1;"
    ))
    .is_empty());
}

#[test]
fn trap_comparing_values_of_different_kinds() {
    let text = rule("Product.trend > 5", "Product.amount = 1;");
    assert_at(
        &check(&text),
        "compares numbers, not text",
        Severity::Error,
        &text,
        ">",
        0,
    );
    let text = rule("Product.supplier_active == \"yes\"", "Product.amount = 1;");
    assert_at(
        &check(&text),
        "never finds them equal",
        Severity::Error,
        &text,
        "==",
        0,
    );
    let text = rule("Product.moq > 0", "Product.requires_approval = 1;");
    assert_at(
        &check(&text),
        "holds true/false, not a number",
        Severity::Error,
        &text,
        "= 1",
        0,
    );
}

// ---- the rule's shape ----------------------------------------------------

#[test]
fn trap_missing_then() {
    let text =
        "rule \"A\" salience 1 no-loop {\n    when Product.moq > 0\n    Product.amount = 1;\n}\n";
    let ds = check(text);
    assert_at(&ds, "missing `then`", Severity::Error, text, "}", 0);
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_missing_when() {
    let text = "rule \"A\" salience 1 no-loop {\n    Product.moq > 0 then Product.amount = 1;\n}\n";
    let ds = check(text);
    assert_at(
        &ds,
        "expected `when`",
        Severity::Error,
        text,
        "Product.moq",
        0,
    );
}

#[test]
fn trap_no_action() {
    let text = "rule \"A\" salience 1 no-loop {\n    when Product.moq > 0\n    then\n}\n";
    let ds = check(text);
    assert_at(&ds, "no action after `then`", Severity::Error, text, "}", 0);
}

#[test]
fn trap_duplicate_rule_names() {
    let text = format!(
        "{}{}",
        rule("Product.moq > 0", "Product.amount = 1;"),
        rule("Product.moq > 1", "Product.order_qty = 1;")
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "duplicate rule name \"R\"",
        Severity::Error,
        &text,
        "\"R\"",
        1,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("the first is at line 1, column 6; rename one")
    );
}

#[test]
fn trap_salience_out_of_range() {
    let with = |s: &str| rule("Product.moq > 0", "Product.amount = 1;").replace("salience 10", s);
    let text = with("salience -5");
    assert_at(
        &check(&text),
        "negative salience",
        Severity::Error,
        &text,
        "-5",
        0,
    );
    let text = with("salience 10.5");
    assert_at(
        &check(&text),
        "not a whole number",
        Severity::Error,
        &text,
        "10.5",
        0,
    );
    let text = with("salience 99999999999");
    assert_at(&check(&text), "too large", Severity::Error, &text, "999", 0);
    let text = with("salience 5000");
    assert_at(
        &check(&text),
        "outside buyerdesk's range 0 to 1000",
        Severity::Warning,
        &text,
        "5000",
        0,
    );
    let text = with("salience no-loop");
    assert_at(
        &check(&text),
        "needs a whole number",
        Severity::Error,
        &text,
        "no-loop",
        0,
    );
    for ok in ["salience 0", "salience 1000"] {
        assert!(check(&with(ok)).is_empty(), "{ok}");
    }
}

#[test]
fn trap_unknown_or_unsupported_attribute() {
    let text = rule("Product.moq > 0", "Product.amount = 1;").replace("no-loop", "no_loop");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown attribute `no_loop`",
        Severity::Error,
        &text,
        "no_loop",
        0,
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `no-loop`?"));
    let text = rule("Product.moq > 0", "Product.amount = 1;")
        .replace("no-loop", "no-loop agenda-group \"g\"");
    assert_at(
        &check(&text),
        "does not support `agenda-group`",
        Severity::Error,
        &text,
        "agenda",
        0,
    );
}

#[test]
fn trap_rule_without_no_loop() {
    // The condition reads an input nothing writes: it holds on every cycle.
    let text =
        rule("Product.moq > 0", "Product.amount = Product.amount + 1;").replace(" no-loop", "");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "no rule writes a field its condition reads",
        Severity::Error,
        &text,
        "{",
        0,
    );
    assert!(d.message.contains("100"), "{d}");
    // The rule writes what its condition reads: whether it loops depends on
    // the data.
    let text = rule(
        "Product.amount < 10",
        "Product.amount = Product.amount + 1;",
    )
    .replace(" no-loop", "");
    assert_at(
        &check(&text),
        "while its condition holds",
        Severity::Warning,
        &text,
        "{",
        0,
    );
}

// ---- actions -------------------------------------------------------------

#[test]
fn trap_unknown_field_in_an_action() {
    let text = rule(
        "Product.moq > 0",
        "Product.ordr_qty = Product.net_requirment;",
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown field `Product.ordr_qty`",
        Severity::Error,
        &text,
        "Product.ordr",
        0,
    );
    assert!(d.message.contains("fails at run time"), "{d}");
    assert_eq!(d.hint.as_deref(), Some("did you mean `Product.order_qty`?"));
    let d = assert_at(
        &ds,
        "unknown field `Product.net_requirment`",
        Severity::Error,
        &text,
        "Product.net",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("did you mean `Product.net_requirement`?")
    );
}

#[test]
fn trap_writing_an_input_field() {
    let text = rule("Product.moq > 0", "Product.moq = 5;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "`Product.moq` is an input",
        Severity::Error,
        &text,
        "Product.moq",
        1,
    );
    assert!(d.hint.as_deref().unwrap().contains("order_qty"), "{d}");
}

#[test]
fn trap_parentheses_in_an_action() {
    let text = rule(
        "Product.moq > 0",
        "Product.amount = (Product.order_qty - Product.moq) * 2;",
    );
    let ds = check(&text);
    assert_at(
        &ds,
        "parentheses in an action",
        Severity::Error,
        &text,
        "(",
        0,
    );
    assert_eq!(errors(&ds).len(), 1, "{}", listing(&ds));
}

#[test]
fn trap_negative_literal_in_an_action() {
    for (actions, needle) in [
        ("Product.amount = -5;", "-5"),
        ("Product.amount = Product.moq * -1;", "-1"),
    ] {
        let text = rule("Product.moq > 0", actions);
        let ds = check(&text);
        assert_at(
            &ds,
            "minus sign (negative literal)",
            Severity::Error,
            &text,
            needle,
            0,
        );
    }
    // Subtraction is fine.
    assert!(check(&rule(
        "Product.moq > 0",
        "Product.amount = 0 - Product.moq;"
    ))
    .is_empty());
}

#[test]
fn trap_function_call_in_an_action() {
    let text = rule(
        "Product.moq > 0",
        "Product.order_qty = max(Product.net_requirement, Product.moq);",
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "function call `max(...)` in an action",
        Severity::Error,
        &text,
        "max",
        0,
    );
    assert!(
        d.hint.as_deref().unwrap().contains("RoundUpToMultiple"),
        "{d}"
    );
}

#[test]
fn trap_compound_assignment() {
    let text = rule("Product.moq > 0", "Product.amount += 1;");
    assert_at(
        &check(&text),
        "turns the field into a list",
        Severity::Error,
        &text,
        "+=",
        0,
    );
}

#[test]
fn buyerdesks_registered_actions_are_allowed_and_their_arguments_checked() {
    let ok = rule(
        "Product.order_qty > 0",
        "RoundUpToMultiple(\"order_qty\", Product.order_qty, Product.rounding_multiple);\n        CeilDivide(\"purchase_qty\", Product.order_qty, Product.pack_size);",
    );
    assert!(check(&ok).is_empty(), "{}", listing(&check(&ok)));
    let text = rule(
        "Product.moq > 0",
        "CeilDivide(\"Product.purchase_qty\", Product.order_qty, Product.pack_size);",
    );
    let d = assert_at(
        &check(&text),
        "has a dot",
        Severity::Error,
        &text,
        "\"Product.purchase_qty\"",
        0,
    );
    assert_eq!(d.hint.as_deref(), Some("write \"purchase_qty\""));
    let text = rule(
        "Product.moq > 0",
        "CeilDivide(\"moq\", Product.order_qty, Product.pack_size);",
    );
    assert_at(
        &check(&text),
        "\"moq\" is an input",
        Severity::Error,
        &text,
        "\"moq\"",
        0,
    );
    let text = rule(
        "Product.moq > 0",
        "CeilDivide(\"purchase_qty\", Product.order_qty);",
    );
    assert_at(
        &check(&text),
        "takes 3 arguments, not 2",
        Severity::Error,
        &text,
        "CeilDivide",
        0,
    );
    let text = rule(
        "Product.moq > 0",
        "RoundUpToMultiple(\"order_qty\", Product.order_qty, (Product.moq));",
    );
    assert_at(
        &check(&text),
        "parentheses in an action",
        Severity::Error,
        &text,
        "(Product.moq",
        0,
    );
}

#[test]
fn trap_unknown_custom_action() {
    let text = rule(
        "Product.moq > 0",
        "RoundUpToMultple(\"order_qty\", Product.order_qty, Product.moq);",
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "unknown action `RoundUpToMultple`",
        Severity::Error,
        &text,
        "RoundUp",
        0,
    );
    assert!(
        d.hint
            .as_deref()
            .unwrap()
            .starts_with("did you mean `RoundUpToMultiple`?"),
        "{d}"
    );
}

#[test]
fn trap_log_action() {
    let text = rule(
        "Product.moq > 0",
        "Log(\"ordering\");\n        Product.amount = 1;",
    );
    let ds = check(&text);
    assert_at(
        &ds,
        "Log(...) prints to the terminal",
        Severity::Error,
        &text,
        "Log",
        0,
    );
    // lower case is the same action for the engine
    let text = rule("Product.moq > 0", "log(\"x\");");
    assert_at(&check(&text), "Log(...)", Severity::Error, &text, "log", 0);
}

#[test]
fn trap_missing_semicolon() {
    let text = rule(
        "Product.moq > 0",
        "Product.amount = 1\n        Product.order_qty = 2;",
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "missing `;`: the engine reads the next line",
        Severity::Error,
        &text,
        "\n        Product.order",
        0,
    );
    assert_eq!((d.line, d.col), (5, 27), "just after the value");
    // After the last action the engine copes: a warning.
    let text = rule("Product.moq > 0", "Product.amount = 1");
    let d = find(&check(&text), "after the last action").clone();
    assert_eq!((d.severity, d.line, d.col), (Severity::Warning, 5, 27));
}

#[test]
fn trap_space_needed_around_when_and_then() {
    let text = "rule \"A\" salience 1 no-loop {\n    when(Product.moq > 0)\n    then Product.amount = 1;\n}\n";
    assert_at(
        &check(text),
        "space after `when`",
        Severity::Error,
        text,
        "(",
        0,
    );
}

// ---- the engine's own verdict --------------------------------------------

#[test]
fn the_engines_refusal_is_reported_at_the_block() {
    // A block the engine refuses (here: no action after `then`).
    let refused =
        engine_verdict_for_test("rule \"A\" salience 1 no-loop {\n when Product.moq > 0\n then\n}");
    assert!(
        refused
            .as_deref()
            .is_some_and(|m| m.starts_with("the rule engine refuses this rule: ")
                && m.contains("Missing when or then")),
        "{refused:?}"
    );
    // The engine's reading of a clean block matches buyerdesk's.
    assert_eq!(
        engine_verdict_for_test(
            "rule \"A\" salience 1 no-loop {\n when Product.moq > 0\n then Product.amount = 1;\n}"
        ),
        None
    );
    // A difference is reported (here the engine sees no no-loop).
    let differs = engine_verdict_for_test(
        "rule \"A\" salience 1 {\n when Product.moq > 0\n then Product.amount = 1;\n}",
    );
    assert_eq!(
        differs.as_deref(),
        Some("the engine reads this rule differently: no-loop false")
    );
}

#[test]
fn diagnostics_are_sorted_and_name_their_rule() {
    let text = format!(
        "{}{}",
        rule("Product.moqq > 0", "Product.amount = 1;"),
        rule("Product.moq > 0 and Product.moq < 9", "Product.amout = 1;").replace("\"R\"", "\"S\"")
    );
    let ds = check(&text);
    let rules: Vec<_> = ds.iter().map(|d| d.rule.as_deref()).collect();
    assert_eq!(rules, [Some("R"), Some("S"), Some("S")], "{}", listing(&ds));
    assert!(ds
        .windows(2)
        .all(|w| (w[0].line, w[0].col) <= (w[1].line, w[1].col)));
}

// ---- load ----------------------------------------------------------------

#[test]
fn load_refuses_errors_and_accepts_warnings() {
    let broken = rule("Product.moq > 0", "Log(\"x\");");
    match load(&broken, "b.grl") {
        Err(LoadError::Invalid { diagnostics, .. }) => assert!(has_errors(&diagnostics)),
        other => panic!("{other:?}"),
    }
    let err = load(&broken, "b.grl").unwrap_err().to_string();
    assert!(
        err.starts_with("b.grl: the rules were not loaded: 1 error\nb.grl:5:9: error: Log(...)"),
        "{err}"
    );
    let warned = rule(
        "Product.amount < 10",
        "Product.amount = Product.amount + 1;",
    )
    .replace(" no-loop", "");
    assert!(!has_errors(&check(&warned)) && !check(&warned).is_empty());
    let rules = load(&warned, "w.grl").expect("warnings do not stop loading");
    assert_eq!(rules.rule_names, ["R"]);
}

// ---- never panics, never points outside the text -------------------------

/// Every diagnostic's line exists and its column is within the line (or
/// just past its end).
pub(super) fn assert_inside(text: &str, ds: &[Diagnostic]) {
    let lines: Vec<&str> = text.split('\n').collect();
    for d in ds {
        assert_eq!(d.file, FILE);
        assert!(d.line >= 1 && d.line <= lines.len(), "{d} (text {text:?})");
        let len = lines[d.line - 1].chars().count();
        assert!(
            d.col >= 1 && d.col <= len + 1,
            "{d} (line {:?})",
            lines[d.line - 1]
        );
    }
}

#[derive(Debug, Clone)]
pub(super) enum Edit {
    DeleteChar(usize),
    DeleteByte(usize),
    Insert(usize, String),
    Truncate(usize),
}

pub(super) fn edit() -> impl Strategy<Value = Edit> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just(";".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("/*".to_string()),
        Just("//".to_string()),
        Just("rule ".to_string()),
        Just("\n".to_string()),
        Just("-".to_string()),
        Just("==".to_string()),
        Just("\\".to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteChar),
        any::<usize>().prop_map(Edit::DeleteByte),
        (any::<usize>(), piece).prop_map(|(i, p)| Edit::Insert(i, p)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

pub(super) fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len().max(1);
        s = match e {
            Edit::DeleteChar(i) => {
                let i = i % n;
                chars
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c)
                    .collect()
            }
            Edit::DeleteByte(i) => {
                let mut bytes = s.into_bytes();
                if !bytes.is_empty() {
                    let i = i % bytes.len();
                    bytes.remove(i);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Edit::Insert(i, p) => {
                let i = i % (chars.len() + 1);
                let mut out: String = chars[..i].iter().collect();
                out.push_str(p);
                out.extend(&chars[i..]);
                out
            }
            Edit::Truncate(i) => chars[..i % (chars.len() + 1)].iter().collect(),
        };
    }
    s
}

/// Words and symbols of GRL in any order.
fn grl_soup() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("rule"),
        Just("\"A\""),
        Just("salience"),
        Just("10"),
        Just("-"),
        Just("no-loop"),
        Just("{"),
        Just("}"),
        Just("when"),
        Just("then"),
        Just("Product.moq"),
        Just("Product.order_qty"),
        Just(">"),
        Just("=="),
        Just("="),
        Just("&&"),
        Just("and"),
        Just("("),
        Just(")"),
        Just(";"),
        Just("CeilDivide"),
        Just("\"order_qty\""),
        Just(","),
        Just("//"),
        Just("/*"),
        Just("*/"),
        Just("\n"),
        Just("\""),
        Just("Log"),
        Just("1.5"),
        Just("true"),
        Just("é"),
    ];
    prop::collection::vec(word, 0..60).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_shipped_rules_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        let text = apply(DEFAULT_RULES, &edits);
        assert_inside(&text, &check(&text));
    }

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        assert_inside(&text, &check(&text));
    }

    #[test]
    fn printable_text_never_panics(text in "[ -~\n\té\"{};]{0,300}") {
        assert_inside(&text, &check(&text));
    }

    #[test]
    fn grl_soup_never_panics(text in grl_soup()) {
        assert_inside(&text, &check(&text));
    }
}

#[test]
fn a_condition_past_the_budget_is_refused_before_the_engine_reads_it() {
    use crate::rules::validate::condition::{MAX_COMPARISONS, MAX_NESTING};
    let terms = |n: usize| -> String {
        (0..n)
            .map(|i| format!("Product.moq >= {i}"))
            .collect::<Vec<_>>()
            .join(" && ")
    };
    let ok = rule(&terms(MAX_COMPARISONS), "Product.requires_approval = true;");
    assert!(
        check(&ok).iter().all(|d| !d.is_error()),
        "{}",
        listing(&check(&ok))
    );
    // 200 comparisons took the engine's parser 57 s: refused at once, at
    // the condition, with the rule named.
    let long = rule(&terms(200), "Product.requires_approval = true;");
    let ds = check(&long);
    let d = find(
        &ds,
        "the condition has 200 comparisons; buyerdesk allows at most 40",
    );
    assert!(d.is_error());
    assert_eq!((d.line, d.col), pos(&long, "Product.moq >= 0", 0));
    assert_eq!(d.rule.as_deref(), Some("R"));
    let deep = format!(
        "{}Product.moq > 0{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    let ds = check(&rule(&deep, "Product.requires_approval = true;"));
    find(&ds, &format!("nests parentheses {} deep", MAX_NESTING + 1));
    let wide = rule(
        &format!("Product.trend == \"{}\"", "x".repeat(1_300)),
        "Product.requires_approval = true;",
    );
    find(
        &check(&wide),
        "characters long; buyerdesk allows at most 1200",
    );
}

// --- Issue 20: errors for what a rule means, warnings for values never seen.

#[test]
fn a_write_that_keeps_its_own_condition_true_without_no_loop_is_an_error() {
    let text = "rule \"SafetyMargin\" salience 65 { when Product.order_qty > 0 then Product.order_qty = Product.order_qty * 1.05; }\n";
    let ds = check(text);
    let d = assert_at(
        &ds,
        "the write to `Product.order_qty` at line 1, column 67 cannot make the rule's condition false",
        Severity::Error,
        text,
        "rule",
        0,
    );
    assert_eq!(pos(text, "Product.order_qty =", 0), (1, 67));
    assert!(d.message.contains("up to the engine's limit of 100"), "{d}");
    assert_eq!(
        d.hint.as_deref(),
        Some("add it: `rule \"SafetyMargin\" ... no-loop {`")
    );
    assert_eq!(d.rule.as_deref(), Some("SafetyMargin"));
    // The same rule with no-loop is clean.
    let fixed = text.replace("salience 65", "salience 65 no-loop");
    assert!(
        check(&fixed).iter().all(|d| d.severity != Severity::Error),
        "{}",
        listing(&check(&fixed))
    );
}

#[test]
fn self_loop_is_an_error_only_when_the_write_cannot_end_it() {
    let wrap = |cond: &str, act: &str| {
        format!("rule \"A\" salience 1 {{\n    when {cond}\n    then {act};\n}}\n")
    };
    let severity = |cond: &str, act: &str| {
        let text = wrap(cond, act);
        let ds = check(&text);
        ds.iter()
            .find(|d| d.message.contains("no `no-loop`"))
            .map(|d| {
                (
                    d.severity,
                    d.message.contains("cannot make the rule's condition false"),
                )
            })
    };
    // Certain: constants that still satisfy it, growth on a lower bound,
    // a `+=`, a conjunction with an untouched field.
    assert_eq!(
        severity("Product.order_qty > 0", "Product.order_qty = 5"),
        Some((Severity::Error, true))
    );
    assert_eq!(
        severity("Product.order_qty >= 10", "Product.order_qty += 2"),
        Some((Severity::Error, true))
    );
    assert_eq!(
        severity(
            "Product.moq > 1 && Product.order_qty > 0",
            "Product.order_qty *= 2"
        ),
        Some((Severity::Error, true))
    );
    assert_eq!(
        severity(
            "0 < Product.order_qty",
            "Product.order_qty = Product.order_qty + 1"
        ),
        Some((Severity::Error, true))
    );
    // Not certain: the write ends the condition, or it is an upper bound,
    // or the value comes from another field: the warning stays.
    assert_eq!(
        severity("Product.order_qty > 10", "Product.order_qty = 5"),
        Some((Severity::Warning, false))
    );
    assert_eq!(
        severity(
            "Product.order_qty < 10",
            "Product.order_qty = Product.order_qty * 2"
        ),
        Some((Severity::Warning, false))
    );
    assert_eq!(
        severity(
            "Product.order_qty < Product.moq",
            "Product.order_qty = Product.moq"
        ),
        Some((Severity::Warning, false))
    );
    assert_eq!(
        severity(
            "Product.order_qty > 0 || Product.moq > 0",
            "Product.order_qty = 5"
        ),
        Some((Severity::Warning, false))
    );
}

#[test]
fn division_by_a_literal_zero_is_an_error_at_the_slash() {
    for zero in ["0", "0.0"] {
        let text = rule(
            "Product.moq > 0",
            &format!("Product.order_qty = Product.moq / {zero};"),
        );
        let ds = check(&text);
        let d = assert_at(&ds, "division by zero", Severity::Error, &text, "/ 0", 0);
        assert_eq!(d.message, format!("division by zero (`/ {zero}`): the rule fails at run time on every product it fires on"));
    }
    let text = rule("Product.moq > 0", "Product.order_qty /= 0;");
    assert_at(
        &check(&text),
        "division by zero",
        Severity::Error,
        &text,
        "/= 0",
        0,
    );
    // Dividing by a non-zero literal is fine.
    let text = rule("Product.moq > 0", "Product.order_qty = Product.moq / 0.5;");
    assert!(!check(&text).iter().any(|d| d.message.contains("division")));
}

#[test]
fn rule_names_equal_but_for_case_are_an_error() {
    let text = format!(
        "{}{}",
        rule("Product.moq > 0", "Product.amount = 1;")
            .replace("\"R\"", "\"ApprovalAboveThreshold\""),
        rule("Product.moq > 1", "Product.order_qty = 1;")
            .replace("\"R\"", "\"approvalAboveThreshold\"")
    );
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "rule names \"ApprovalAboveThreshold\" and \"approvalAboveThreshold\" differ only in case",
        Severity::Error,
        &text,
        "\"approvalAboveThreshold\"",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("the first is at line 1, column 6; rename one")
    );
}

#[test]
fn a_text_value_a_field_never_has_is_a_warning_naming_its_values() {
    let text = rule("Product.trend == \"Increasing\"", "Product.amount = 1;");
    let ds = check(&text);
    let d = assert_at(
        &ds,
        "`Product.trend` is never \"Increasing\": its values are increasing, stable, decreasing",
        Severity::Warning,
        &text,
        "\"Increasing\"",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("write \"increasing\" (values are compared exactly, case included)")
    );
    let text = rule("\"rising\" != Product.trend", "Product.amount = 1;");
    let d = assert_at(
        &check(&text),
        "is never \"rising\"",
        Severity::Warning,
        &text,
        "\"rising\"",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("compare with one of: increasing, stable, decreasing")
    );
    let text = rule("Product.trend == \"stable\"", "Product.amount = 1;");
    assert!(check(&text).iter().all(|d| !d.message.contains("is never")));
}

#[test]
fn invisible_and_look_alike_characters_are_named_with_their_code_point() {
    for (c, name) in [
        ('\u{a0}', "U+00A0 no-break space"),
        ('\u{200b}', "U+200B zero-width space"),
        ('\u{0}', "U+0000 NUL"),
    ] {
        let text = rule(&format!("Product.moq >{c}0"), "Product.amount = 1;");
        let ds = check(&text);
        let d = assert_at(&ds, name, Severity::Error, &text, &c.to_string(), 0);
        assert!(d.message.contains("invisible character"), "{d}");
        assert_eq!(ds.len(), 1, "one error, not the engine's: {}", listing(&ds));
    }
    let text = rule(
        "Product.moq > 0",
        "Product.amount = Product.moq \u{2013} 1;",
    );
    let ds = check(&text);
    let d = assert_at(&ds, "U+2013 en dash", Severity::Error, &text, "\u{2013}", 0);
    assert_eq!(d.hint.as_deref(), Some("write `-` (or remove it)"));
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
    // In a comment (blanked for the engine) a dash or an odd space is
    // harmless; in a string a zero-width space is not.
    let text = format!(
        "// costs \u{2013} see\u{a0}wiki\u{200b}\n{}",
        rule("Product.moq > 0", "Product.amount = 1;")
    );
    assert!(check(&text).is_empty(), "{}", listing(&check(&text)));
    // A bidirectional override in a comment still hides what a reader sees.
    let text = format!(
        "// ok \u{202e} reversed\n{}",
        rule("Product.moq > 0", "Product.amount = 1;")
    );
    assert_at(
        &check(&text),
        "U+202E bidirectional formatting character",
        Severity::Error,
        &text,
        "\u{202e}",
        0,
    );
    let text = rule("Product.trend == \"stable\u{200b}\"", "Product.amount = 1;");
    assert_at(
        &check(&text),
        "U+200B zero-width space",
        Severity::Error,
        &text,
        "\u{200b}",
        0,
    );
}

#[test]
fn curly_quotes_are_one_error_asking_for_straight_quotes() {
    let text = rule(
        "Product.trend == \u{201c}stable\u{201d}",
        "Product.amount = 1;",
    );
    let ds = check(&text);
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
    let d = assert_at(
        &ds,
        "U+201C left double quotation mark",
        Severity::Error,
        &text,
        "\u{201c}",
        0,
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("write straight double quotes: \"Name\" (a word processor replaced them)")
    );
}

#[test]
fn slips_get_the_hint_the_author_meant() {
    let cases = [
        (
            "Product.moq >= 10_000",
            "10_000",
            "`10_000`: GRL numbers have no digit separators",
            "write `10000`",
        ),
        (
            "Product.moq >= 10,000",
            "10,000",
            "`10,000`: GRL numbers have no digit separators",
            "write `10000`",
        ),
        (
            "Product.moq >= 10 000",
            "10 000",
            "`10 000`: GRL numbers have no digit separators",
            "write `10000`",
        ),
        (
            "Product.moq => 5",
            "=>",
            "`=>` is not an operator",
            "write `>=`",
        ),
        (
            "Product.moq =< 5",
            "=<",
            "`=<` is not an operator",
            "write `<=`",
        ),
    ];
    for (cond, needle, message, hint) in cases {
        let text = rule(cond, "Product.amount = 1;");
        let ds = check(&text);
        assert_eq!(ds.len(), 1, "{}", listing(&ds));
        let d = assert_at(&ds, message, Severity::Error, &text, needle, 0);
        assert_eq!(d.hint.as_deref(), Some(hint), "{d}");
    }
    // `than` at its own line, not at the `}` below.
    let text = "rule \"A\" salience 1 no-loop {\n    when Product.moq > 0\n    than Product.amount = 1;\n}\n";
    let ds = check(text);
    assert_eq!(ds.len(), 1, "{}", listing(&ds));
    let d = assert_at(
        &ds,
        "`than` where the rule needs `then`",
        Severity::Error,
        text,
        "than",
        0,
    );
    assert_eq!((d.line, d.col), (3, 5));
    assert_eq!(d.hint.as_deref(), Some("write `then`"));
    // Booleans in other languages: the engine reads them as names.
    for word in ["wahr", "vrai", "yes", "ja"] {
        let text = rule(
            "Product.moq > 0",
            &format!("Product.requires_approval = {word};"),
        );
        let d = assert_at(
            &check(&text),
            &format!("unknown name `{word}`"),
            Severity::Error,
            &text,
            word,
            0,
        );
        assert_eq!(d.hint.as_deref(), Some("write `true` (lower case)"));
    }
    let text = rule("Product.supplier_active == falsch", "Product.amount = 1;");
    let d = find(&check(&text), "unknown name `falsch`").clone();
    assert_eq!(d.hint.as_deref(), Some("write `false` (lower case)"));
}

#[test]
fn validation_time_grows_linearly_with_the_number_of_rules() {
    // Every rule with findings: positions are found by a search, not by a
    // scan of the text or of all findings per rule (30 s before, 0.4 s
    // after, debug build).
    let rules = |n: usize| -> String {
        (0..n)
            .map(|i| format!("rule \"R{i}\" salience 10 {{\n    when\n        Product.order_qty > {i} && Product.trend == \"Stable\"\n    then\n        Product.order_qty = Product.order_qty * 2;\n        Product.amount = Product.moq / 2 \u{2013} 1;\n}}\n"))
            .collect()
    };
    let time = |n: usize| {
        let text = rules(n);
        let started = std::time::Instant::now();
        let ds = check(&text);
        // Every rule: the en dash (one error, the rest of the block left).
        assert_eq!(
            ds.iter().filter(|d| d.message.contains("U+2013")).count(),
            n
        );
        started.elapsed()
    };
    let (small, large) = (time(1_000), time(10_000));
    assert!(
        large < small * 25,
        "1,000 rules {small:?}, 10,000 rules {large:?}: not linear"
    );
    let clean = |n: usize| rules(n).replace(" \u{2013} 1", "");
    let started = std::time::Instant::now();
    check(&clean(1_000));
    let small = started.elapsed();
    let started = std::time::Instant::now();
    let ds = check(&clean(10_000));
    let elapsed = started.elapsed();
    assert!(
        elapsed < small * 25,
        "1,000 rules {small:?}, 10,000 rules {elapsed:?}: not linear"
    );
    assert_eq!(
        ds.iter()
            .filter(|d| d.message.contains("cannot make the rule's condition false"))
            .count(),
        10_000
    );
    assert_eq!(
        ds.iter()
            .filter(|d| d.message.contains("is never \"Stable\""))
            .count(),
        10_000
    );
}

/// What rust-rule-engine 1.21.10 does with a boolean in another spelling,
/// run for real: `TRUE`, `True` and `tRuE` are read as the boolean in a
/// condition and in an action (a warning asks for `true`); `yes` and `no`
/// are names: null in a condition (it never matches), a run-time failure in
/// an action (an error with the hint `true`/`false`).
#[test]
fn booleans_in_other_spellings_are_checked_against_what_the_engine_does() {
    let facts = crate::plan::facts::ProductFacts::for_test("stable", 5.0);
    let run = |text: &str| {
        crate::plan::RuleSet::parse(text, FILE)
            .unwrap()
            .engine()
            .run(&facts)
    };
    for (word, value) in [
        ("True", true),
        ("TRUE", true),
        ("tRuE", true),
        ("False", false),
        ("FALSE", false),
    ] {
        let lower = word.to_ascii_lowercase();
        let condition = rule(
            &format!("Product.supplier_active == {word}"),
            "Product.amount = 7.0;",
        );
        let fired =
            run(&condition).result.get("amount") == Some(&rust_rule_engine::Value::Number(7.0));
        assert_eq!(fired, value, "{word} in a condition");
        let action = rule(
            "Product.moq > 0",
            &format!("Product.requires_approval = {word};"),
        );
        assert_eq!(
            run(&action).result.get("requires_approval"),
            Some(&rust_rule_engine::Value::Boolean(value)),
            "{word} in an action"
        );
        for text in [&condition, &action] {
            let ds = check(text);
            assert_eq!(ds.len(), 1, "{}", listing(&ds));
            let d = assert_at(
                &ds,
                &format!("`{word}` is read as {lower}, but buyerdesk's rules write `{lower}`"),
                Severity::Warning,
                text,
                word,
                0,
            );
            assert_eq!(d.hint, Some(format!("write `{lower}`")));
            assert!(load(text, FILE).is_ok(), "a warning does not stop it");
        }
    }
    for (word, meant) in [("yes", "true"), ("no", "false")] {
        let condition = rule(
            &format!("Product.supplier_active == {word}"),
            "Product.amount = 7.0;",
        );
        let engine = run(&condition);
        assert_eq!(
            engine.result.get("amount"),
            Some(&rust_rule_engine::Value::Number(0.0))
        );
        // At the word itself (`no` also starts `no-loop`: found after `==`).
        let (line, col) = pos(&condition, &format!("== {word}"), 0);
        let d = find(
            &check(&condition),
            &format!("unknown name `{word}`: the engine reads it as null and the condition never matches"),
        )
        .clone();
        assert_eq!(
            (d.severity, d.line, d.col),
            (Severity::Error, line, col + 3),
            "{d}"
        );
        assert_eq!(d.hint, Some(format!("write `{meant}` (lower case)")));
        let action = rule(
            "Product.moq > 0",
            &format!("Product.requires_approval = {word};"),
        );
        let failed = run(&action).error.unwrap_or_default();
        assert!(
            failed.contains(&format!("Field '{word}' not found")),
            "{failed}"
        );
        let (line, col) = pos(&action, &format!("= {word}"), 0);
        let d = find(
            &check(&action),
            &format!("unknown name `{word}`: the engine fails at run time"),
        )
        .clone();
        assert_eq!(
            (d.severity, d.line, d.col),
            (Severity::Error, line, col + 2),
            "{d}"
        );
        assert_eq!(d.hint, Some(format!("write `{meant}` (lower case)")));
    }
}

/// Issue 20, item 5: a file saved as Latin-1 gets its line and byte, where
/// the first byte that is not UTF-8 stands.
#[test]
fn trap_latin1_file_is_reported_with_its_line_and_byte() {
    let mut bytes = rule("Product.moq > 0", "Product.amount = 1;").into_bytes();
    let text_len = bytes.len();
    bytes.extend_from_slice(b"// pr\xe9vu\n");
    let message = lexer::decode(&bytes).unwrap_err();
    let line = rule("Product.moq > 0", "Product.amount = 1;")
        .lines()
        .count()
        + 1;
    assert_eq!(
        message,
        format!(
            "not UTF-8 text: line {line}, byte 6 of the line (byte {} of the file) is 0xE9",
            text_len + 6
        )
    );
}
