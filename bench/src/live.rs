//! Many live functions: what `Jit::compile` costs when the program keeps what it compiles.
//! The compilation table drops each function before the next, so the runtime always has a
//! buffer at hand there; a program that keeps thousands of formulas needs room for each.
//! Printed for information (no §7 target), with the memory and kernel mappings they take.

use std::time::Instant;
use trivial_jit::{Jit, JitFn};

/// A field of `/proc/self/status` in KiB (Linux); 0 elsewhere.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The process's kernel mappings (Linux); 0 elsewhere.
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |s| s.lines().count())
}

/// Compiles `x + i` for `i` below `n`, one after another, keeping or dropping each: the
/// median µs per function over batches of 1 000, and the functions kept.
fn compile_all(srcs: &[String], keep: bool) -> (f64, Vec<JitFn>) {
    let mut kept = Vec::with_capacity(if keep { srcs.len() } else { 0 });
    let mut batches = Vec::new();
    for (b, batch) in srcs.chunks(1000).enumerate() {
        let mut total = 0.0;
        for (j, src) in batch.iter().enumerate() {
            let t = Instant::now();
            let f = Jit::compile(src).expect("the live sources compile");
            total += t.elapsed().as_secs_f64();
            assert_eq!(f.call(&[0.5]), 0.5 + (b * 1000 + j) as f64, "{src}");
            if keep {
                kept.push(f);
            }
        }
        batches.push(total * 1e6 / batch.len() as f64);
    }
    batches.sort_by(f64::total_cmp);
    (batches[batches.len() / 2], kept)
}

/// Prints the cost of `n` functions kept alive, next to the same compilations dropped.
pub fn run(n: usize) {
    println!("Many live functions: {n} distinct functions (`x + i`) compiled and kept");
    let srcs: Vec<String> = (0..n).map(|i| format!("x + {i}")).collect();
    let (rss, shmem, maps) = (status_kib("VmRSS"), status_kib("RssShmem"), mappings());
    let (kept_us, kept) = compile_all(&srcs, true);
    let per_fn = |after: u64, before: u64| after.saturating_sub(before) as f64 * 1024.0 / n as f64;
    let (rss_fn, shmem_fn) = (
        per_fn(status_kib("VmRSS"), rss),
        per_fn(status_kib("RssShmem"), shmem),
    );
    let new_maps = mappings().saturating_sub(maps);
    drop(kept);
    let (dropped_us, _) = compile_all(&srcs, false);
    println!(
        "  kept: {kept_us:.2} µs per function (median of batches of 1 000); dropped each: \
         {dropped_us:.2} µs"
    );
    println!(
        "  kept: {rss_fn:.0} bytes of RSS per function, of which {shmem_fn:.0} of code file \
         (shared memory); {new_maps} new kernel mappings"
    );
}
