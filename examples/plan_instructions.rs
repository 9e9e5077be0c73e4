//! Plans N demo products (default 10,000) once, on one thread, for counting
//! the instructions the planning takes: unlike a timing, the count is the
//! same from run to run whatever else the machine does, so a change to the
//! planning is measured exactly (docs/BENCHMARKS.md).
//!
//!     cargo build --release --example plan_instructions
//!     valgrind --tool=callgrind --toggle-collect='*plan_all_on*' \
//!         --callgrind-out-file=/tmp/plan.cg target/release/examples/plan_instructions 10000
//!     callgrind_annotate --inclusive=yes /tmp/plan.cg | head -40

use buyerdesk::demo;
use buyerdesk::plan::{join, plan_all_on, PlanContext, RuleSet};
use buyerdesk::sources::Backend;

// As in the app.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("a number of products"))
        .unwrap_or(10_000);
    let products = join(demo::generate(n, 42, Backend::Sqlite).into_source_rows());
    let plans = plan_all_on(&products, &PlanContext::default(), &RuleSet::embedded(), 1);
    // A summary of the plans, to check that a change to the planning
    // changed its cost only.
    let fired: usize = plans.iter().map(|p| p.rules_fired.len()).sum();
    let quantity: f64 = plans.iter().map(|p| p.order_qty).sum();
    let amount: f64 = plans.iter().map(|p| p.amount).sum();
    let approval = plans.iter().filter(|p| p.requires_approval).count();
    let failed = plans.iter().filter(|p| !p.rule_failures.is_empty()).count();
    eprintln!(
        "{} products planned: {fired} rules fired, order quantity {quantity}, \
         amount {amount:.2}, {approval} need approval, {failed} with a rule failure",
        plans.len()
    );
}
