//! What `rules check` does (lex, validate, load) on any input: it never
//! panics, `load` accepts exactly the files `validate` finds no error in,
//! and its time grows in proportion to the file (rules, nesting depth), so
//! the editor can check as the author types.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::tests::{apply, assert_inside, edit, rule};
use super::*;
use crate::plan::DEFAULT_RULES;

const FILE: &str = "t.grl";

/// Lexes, validates and loads `text`, as `rules check` does, and checks
/// what holds for every input.
fn check_everything(text: &str) {
    let tokens = lexer::lex(text);
    assert!(tokens
        .iter()
        .all(|t| t.start < t.end && t.end <= text.len()));
    assert_eq!(lexer::blank_comments(text).len(), text.len());
    let ds = validate(text, FILE);
    assert_inside(text, &ds);
    match load(text, FILE) {
        Ok(rules) => {
            assert!(!has_errors(&ds), "loaded despite errors");
            assert!(!rules.rule_names.is_empty());
            for name in &rules.rule_names {
                assert!(text.contains(name.as_str()), "{name:?} is not in the text");
            }
            assert_eq!(&*rules.text, text);
        }
        Err(LoadError::Invalid { diagnostics, .. }) => {
            assert!(has_errors(&diagnostics));
            assert_eq!(diagnostics, ds, "load reports what validate does");
        }
        Err(LoadError::Engine(e)) => panic!("validated, then refused by the engine: {e}"),
    }
}

/// `n` rules: the shipped blocks in turn, each under a new name.
fn many_rules(n: usize) -> String {
    let blocks: Vec<&str> = DEFAULT_RULES.split("\nrule \"").skip(1).collect();
    (0..n)
        .map(|i| format!("rule \"{i} {}\n", blocks[i % blocks.len()]))
        .collect()
}

/// Characters that have broken parsers: invisible, look-alike, right to
/// left, combining, outside the basic plane, line ends of other systems.
const ODD: &[char] = &[
    '\u{a0}',
    '\u{200b}',
    '\u{feff}',
    '\u{202e}',
    '\u{2028}',
    '\u{2013}',
    '\u{201c}',
    '\u{201d}',
    '\u{301}',
    '\u{ff08}',
    '\u{1f600}',
    '\r',
    '\t',
    '\u{0}',
    '\u{7f}',
    'é',
    'ß',
    'İ',
];

fn odd_char() -> impl Strategy<Value = char> {
    prop_oneof![prop::sample::select(ODD), any::<char>()]
}

/// Parentheses `depth` deep somewhere a rule author could put them.
fn nesting(depth: usize, place: usize) -> String {
    let (open, close) = ("(".repeat(depth), ")".repeat(depth));
    match place % 6 {
        0 => rule(&format!("{open}Product.moq > 0{close}"), "Product.amount = 1;"),
        1 => rule(&format!("{open}Product.moq > 0"), "Product.amount = 1;"),
        2 => rule("Product.moq > 0", &format!("Product.amount = {open}1{close};")),
        3 => rule(&format!("Product.moq > 0{close}"), "Product.amount = 1;"),
        4 => format!("{open}\n{}", rule("Product.moq > 0", "Product.amount = 1;")),
        _ => format!("rule \"R\" salience 10 no-loop {open} {{ when Product.moq > 0 then Product.amount = 1; }}\n"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_rules_never_panic_and_load_what_validates(edits in prop::collection::vec(edit(), 1..8)) {
        check_everything(&apply(DEFAULT_RULES, &edits));
    }

    #[test]
    fn truncated_rules_never_panic(cut in 0usize..3_000) {
        let chars: Vec<char> = DEFAULT_RULES.chars().collect();
        let text: String = chars[..cut.min(chars.len())].iter().collect();
        check_everything(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        match lexer::decode(&bytes) {
            Ok(text) => check_everything(text),
            Err(message) => prop_assert!(message.starts_with("not UTF-8 text: line ")),
        }
        check_everything(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn odd_unicode_anywhere_never_panics(
        inserts in prop::collection::vec((any::<usize>(), odd_char()), 1..6),
    ) {
        let mut chars: Vec<char> = DEFAULT_RULES.chars().collect();
        for (at, c) in inserts {
            let at = at % (chars.len() + 1);
            chars.insert(at, c);
        }
        check_everything(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn deep_nesting_never_panics(depth in 0usize..4_000, place in 0usize..6) {
        check_everything(&nesting(depth, place));
    }
}

proptest! {
    // Larger inputs: fewer cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn many_rules_with_mutations_never_panic(
        n in 1usize..300,
        edits in prop::collection::vec(edit(), 0..6),
    ) {
        check_everything(&apply(&many_rules(n), &edits));
    }
}

fn facts() -> crate::plan::facts::ProductFacts {
    crate::plan::facts::ProductFacts::for_test("stable", 5.0)
}

#[test]
fn many_rules_load_in_file_order_with_their_salience() {
    let text = many_rules(50);
    let rules = load(&text, FILE).expect("loads");
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("rule \""))
        .map(|l| l[..l.find('"').unwrap()].to_string())
        .collect();
    assert_eq!(rules.rule_names, names);
    // The same rules as the engine's own whole-file reading, and the same
    // run: every rule fired, in the same order, to the same values.
    let whole = crate::plan::RuleSet::parse(&text, FILE).unwrap();
    assert_eq!(whole.rule_names, rules.rule_names);
    for moq in [0.0, 5.0, 500.0] {
        let facts = crate::plan::facts::ProductFacts { moq, ..facts() };
        let (a, b) = (rules.engine().run(&facts), whole.engine().run(&facts));
        assert!(a.trace.fired.len() >= 20, "{:?}", a.trace.fired);
        assert_eq!(a.trace, b.trace, "moq {moq}");
        assert_eq!(a.result, b.result, "moq {moq}");
        assert_eq!(a.error, b.error);
    }
}

/// The time of `check` on the input of size `n`: the fastest of `runs`,
/// each cold: its rules renamed, so that the parser's memo (results kept by
/// block text) reads nothing of an earlier run.
fn fastest(runs: usize, text: &str) -> Duration {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    (0..runs)
        .map(|_| {
            let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let text = &text.replace("rule \"", &format!("rule \"cold{run} "));
            let started = Instant::now();
            let ds = validate(text, FILE);
            let loaded = load(text, FILE);
            std::hint::black_box((ds, loaded.is_ok()));
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// 8 times the input, at most 20 times the time (plus 100 ms for a
/// scheduler's hiccup on a shared machine): linear, where the engine's
/// whole-file split and knowledge base grew with the square (1,000 rules
/// 1.8 s, 2,000 rules 5.1 s, debug build).
fn assert_grows_linearly(what: &str, small: &str, large: &str) {
    let (small_time, large_time) = (fastest(3, small), fastest(2, large));
    assert!(
        large_time <= small_time * 20 + Duration::from_millis(100),
        "{what}: 8 times the input took {large_time:?} against {small_time:?}"
    );
}

#[test]
fn checking_time_grows_linearly_with_rules_and_nesting() {
    let (small, large) = (many_rules(120), many_rules(960));
    assert!(load(&large, FILE).is_ok());
    assert_grows_linearly("rules", &small, &large);
    for place in 0..6 {
        let (small, large) = (nesting(375, place), nesting(3_000, place));
        assert!(has_errors(&validate(&large, FILE)), "{place}");
        assert_grows_linearly(&format!("nesting at place {place}"), &small, &large);
    }
}

#[test]
fn a_changed_block_is_read_again_and_an_unchanged_one_as_before() {
    let facts = facts();
    let text = |qty: &str, salience: &str| {
        format!(
            "{}{}",
            rule("Product.moq > 0", "Product.amount = 1.0;").replace("\"R\"", "\"A\""),
            rule("Product.moq > 0", &format!("Product.order_qty = {qty};"))
                .replace("\"R\" salience 10", &format!("\"B\" salience {salience}"))
        )
    };
    // Checked again and again, as the editor does after each key: every
    // version runs as written, whatever was read before.
    for (qty, salience) in [("5.0", "10"), ("6.0", "10"), ("5.0", "10"), ("5.0", "20")] {
        let text = text(qty, salience);
        assert!(validate(&text, FILE).is_empty());
        let rules = load(&text, FILE).unwrap();
        let run = rules.engine().run(&facts);
        assert_eq!(
            run.result.get("order_qty"),
            Some(&rust_rule_engine::Value::Number(qty.parse().unwrap())),
            "{text}"
        );
        let fired: Vec<&str> = run
            .trace
            .fired
            .iter()
            .map(|&id| rules.rule_names[id as usize].as_str())
            .collect();
        let expected = if salience == "20" {
            ["B", "A"]
        } else {
            ["A", "B"]
        };
        assert_eq!(fired, expected, "salience order");
    }
}
