//! Issue 20's speed targets for checking rules: 1,000, 10,000 and 32,000
//! rules, and 1,600 and 3,000 nested parentheses, each checked as
//! `buyerdesk rules check FILE` checks it (validate, then load), beside the
//! physical limit (reading the bytes, lexing them) and the engine's own
//! whole-file parse that `rules::load` used before.
//!
//!     cargo bench --bench rules_scale
//!     cargo bench --bench rules_scale -- --quick     (skips the old path at 10,000)
//!
//! Prints one table (median of several runs, wall time); docs/BENCHMARKS.md
//! keeps the numbers.

use std::time::{Duration, Instant};

use buyerdesk::plan::{RuleSet, DEFAULT_RULES};
use buyerdesk::rules::{lexer, load, validate};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `n` rules: the shipped blocks in turn, each under a new name (as
/// benches/rules.rs builds them). `run` goes into every name: the validator
/// remembers the engine's reading of the blocks it saw last, and each run
/// must start cold, as `rules check` does.
fn many_rules(n: usize, run: usize) -> String {
    let blocks: Vec<&str> = DEFAULT_RULES.split("\nrule \"").skip(1).collect();
    let mut text = String::from("// generated for the benchmark\n\n");
    for i in 0..n {
        text.push_str(&format!("rule \"{run}-{i} {}\n", blocks[i % blocks.len()]));
    }
    text
}

/// One rule whose condition nests `depth` parentheses.
fn nested(depth: usize) -> String {
    format!(
        "rule \"Deep\" salience 10 no-loop {{\n    when\n        {}Product.moq > 0{}\n    then\n        Product.amount = 1;\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

/// The median wall time of `runs` runs of `f` (given the run's number).
fn median<T>(runs: usize, mut f: impl FnMut(usize) -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|run| {
            let started = Instant::now();
            std::hint::black_box(f(run));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    buyerdesk::disable_transparent_huge_pages();
    let quick = std::env::args().any(|a| a == "--quick");
    let dir = tempfile::tempdir().expect("a temporary folder");
    println!("| input | bytes | read + UTF-8 | lex | validate | validate again, one rule edited | rules check (validate + load) | engine's whole-file parse (before) |");
    println!("|---|---|---|---|---|---|---|---|");
    type Make = Box<dyn Fn(usize) -> String>;
    let cases: Vec<(&str, Make, bool)> = vec![
        ("1,000 rules", Box::new(|run| many_rules(1_000, run)), true),
        (
            "10,000 rules",
            Box::new(|run| many_rules(10_000, run)),
            !quick,
        ),
        (
            "32,000 rules",
            Box::new(|run| many_rules(32_000, run)),
            false,
        ),
        (
            "1,600 nested parentheses",
            Box::new(|_| nested(1_600)),
            false,
        ),
        (
            "3,000 nested parentheses",
            Box::new(|_| nested(3_000)),
            false,
        ),
    ];
    let mut run_id = 0;
    for (name, make, old_path) in cases {
        let text = make(0);
        let runs = if text.len() > 2_000_000 { 3 } else { 5 };
        // Each run its own text (made before the clock starts).
        let mut fresh = |n: usize| -> Vec<String> {
            (0..n)
                .map(|_| {
                    run_id += 1;
                    make(run_id)
                })
                .collect()
        };
        let path = dir.path().join("rules.grl");
        std::fs::write(&path, &text).expect("written");
        let read = median(runs, |_| {
            let bytes = std::fs::read(&path).expect("read");
            lexer::decode(&bytes).map(str::len).expect("UTF-8")
        });
        let lex = median(runs, |_| lexer::lex(&text).len());
        let texts = fresh(runs);
        let validated = median(runs, |r| validate(&texts[r], "rules.grl").len());
        // The editor: the same file again, one rule's salience changed.
        let edited: Vec<String> = texts
            .iter()
            .map(|t| t.replacen("salience 100", "salience 101", 1))
            .collect();
        let mut again: Vec<Duration> = (0..runs)
            .map(|r| {
                validate(&texts[r], "rules.grl");
                let started = Instant::now();
                std::hint::black_box(validate(&edited[r], "rules.grl").len());
                started.elapsed()
            })
            .collect();
        again.sort();
        let again = again[runs / 2];
        // As `rules check FILE` does: validate, print, then load (which
        // validates again and builds the rules).
        let texts = fresh(runs);
        let checked = median(runs, |r| {
            let diagnostics = validate(&texts[r], "rules.grl");
            (diagnostics.len(), load(&texts[r], "rules.grl").is_ok())
        });
        let whole = if old_path {
            ms(median(1, |_| RuleSet::parse(&text, "rules.grl").is_ok()))
        } else {
            "not run".into()
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {whole} |",
            text.len(),
            ms(read),
            ms(lex),
            ms(validated),
            ms(again),
            ms(checked)
        );
    }
    // What is left quadratic: an engine for rules that run (the engine's
    // knowledge base re-indexes every rule on each one added).
    for n in [1_000, 10_000] {
        let rules = load(&many_rules(n, 0), "rules.grl").expect("loads");
        let made = median(3, |_| rules.engine().table().len());
        println!("engine for {n} rules (knowledge base built): {}", ms(made));
    }
}
