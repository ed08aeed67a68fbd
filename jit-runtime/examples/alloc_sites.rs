//! Prints every allocation (size and the jit_compiler function that made it) of one
//! compilation: `cargo run --release -p jit-runtime --example alloc_sites -- "2*x^0.5"`.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

struct Tracing;
static ON: AtomicBool = AtomicBool::new(false);

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Tracing {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        report(|| format!("alloc {:6}", l.size()));
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: p came from System.alloc with l.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        report(|| format!("realloc {:4}->{:4}", l.size(), n));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

/// Prints `what` and the two innermost jit_compiler/jit_runtime frames, while tracing is on
/// (it is off while printing, whose own allocations are not reported).
fn report(what: impl FnOnce() -> String) {
    if ON.swap(false, Ordering::Relaxed) {
        let bt = std::backtrace::Backtrace::force_capture().to_string();
        let site: Vec<&str> = bt
            .lines()
            .filter(|l| l.contains("jit_compiler::") || l.contains("jit_runtime::"))
            .take(2)
            .collect();
        eprintln!("{} {}", what(), site.join(" <- ").trim());
        ON.store(true, Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Tracing = Tracing;

fn main() {
    let src = std::env::args().nth(1).unwrap_or_else(|| "2*x^0.5".into());
    let opts = jit_runtime::compiler::codegen::CodegenOptions::default();
    // warm up (thread-locals, lazy statics)
    let e = jit_runtime::compiler::parse(&src).unwrap();
    drop(jit_runtime::compiler::codegen::compile_with(&e, &opts).unwrap());
    ON.store(true, Ordering::Relaxed);
    let e = jit_runtime::compiler::parse(&src).unwrap();
    ON.store(false, Ordering::Relaxed);
    eprintln!("---- codegen");
    ON.store(true, Ordering::Relaxed);
    let c = jit_runtime::compiler::codegen::compile_with(&e, &opts).unwrap();
    ON.store(false, Ordering::Relaxed);
    drop(c);
}
