//! Validation of a 100-rule file (issue 4: under 50 ms, so that validating
//! as the author types feels live). The file repeats the shipped rules under
//! new names, so every block reaches the engine's parser.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use buyerdesk::plan::DEFAULT_RULES;
use buyerdesk::rules::validate;

/// `n` rules: the shipped blocks in turn, each under a new name.
fn rules(n: usize) -> Vec<String> {
    let blocks: Vec<&str> = DEFAULT_RULES.split("\nrule \"").skip(1).collect();
    (0..n)
        .map(|i| format!("rule \"{i} {}", blocks[i % blocks.len()]))
        .collect()
}

fn bench(c: &mut Criterion) {
    let blocks = rules(100);
    let text = format!("// generated for the benchmark\n\n{}", blocks.join("\n"));
    let diagnostics = validate(&text, "bench.grl");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(text.matches("\nrule \"").count(), 100);
    c.bench_function("validate a 100-rule file", |b| {
        b.iter(|| validate(black_box(&text), "bench.grl"))
    });
    // Every rule with an error of its own: the engine's parser is skipped,
    // what is left is buyerdesk's scan and checks.
    let broken = text.replace("when\n", "when\n        Product.moqq > 0 &&\n");
    assert_eq!(validate(&broken, "bench.grl").len(), 100);
    c.bench_function("validate a 100-rule file, an error in every rule", |b| {
        b.iter(|| validate(black_box(&broken), "bench.grl"))
    });
    // The part of it that is the engine's own parser, block by block.
    c.bench_function("engine parser alone on the same 100 blocks", |b| {
        b.iter(|| {
            for block in &blocks {
                black_box(rust_rule_engine::GRLParser::parse_rules(black_box(block)).unwrap());
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
