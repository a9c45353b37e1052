//! `authorize` allocates nothing on the common path: the benchmark workloads (one simple and one
//! realistic request, with wildcards, variables, IP, Bool and StringLike conditions, a boundary,
//! SCP levels and a resource policy) run under a counting allocator.
// The counting allocator is the only unsafe code in the project: it forwards to the system allocator.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use monban_policy::{authorize, EvaluationInput, Outcome};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn authorize_does_not_allocate_on_the_benchmark_workloads() {
    for name in ["simple", "realistic"] {
        let path = format!("{}/benches/requests/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let input = EvaluationInput::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let decision = authorize(&input.request, &input.policies);
        let after = ALLOCATIONS.load(Ordering::Relaxed);
        assert_eq!(decision.outcome, Outcome::Allow, "{name}");
        assert_eq!(after - before, 0, "{name}: authorize allocated {} times", after - before);
    }
}
