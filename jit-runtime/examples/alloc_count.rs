//! Counts heap allocations per compile stage: `cargo run --release -p jit-runtime --example alloc_count`.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = COUNT.load(Ordering::Relaxed);
    let v = f();
    (v, COUNT.load(Ordering::Relaxed) - before)
}

fn main() {
    let opts = jit_runtime::compiler::codegen::CodegenOptions::default();
    for src in ["2*x^0.5", "(-b+(b^2-4*a*c)^0.5)/(2*a)"] {
        let _ = jit_runtime::Jit::compile(src).unwrap(); // warm the pool
        let (e, parse) = count(|| jit_runtime::compiler::parse(src).unwrap());
        let (_, codegen) =
            count(|| jit_runtime::compiler::codegen::compile_with(&e, &opts).unwrap());
        let (f, whole) = count(|| jit_runtime::Jit::compile(src).unwrap());
        let (_, drop_) = count(|| drop(f));
        println!(
            "{src:32} parse {parse:3}  codegen {codegen:3}  Jit::compile {whole:3}  drop {drop_}"
        );
    }
}
