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

/// Bytes of memory the runtime's code files hold (Linux x86-64: its memfds, whose pages
/// count whether or not they are mapped in yet); 0 elsewhere.
#[cfg(unix)]
fn code_file_bytes() -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    fds.filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            std::fs::read_link(p)
                .is_ok_and(|t| t.to_string_lossy().starts_with("/memfd:trivial-jit code"))
        })
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.blocks() * 512)
        .sum()
}

#[cfg(not(unix))]
fn code_file_bytes() -> u64 {
    0
}

/// The process's kernel mappings (Linux); 0 elsewhere.
fn mappings() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |s| s.lines().count())
}

/// Compiles each of `srcs` (`x + i`, `i` counting from 0), one after another, keeping or
/// dropping each: the median µs per function over batches of 1 000, and the functions kept.
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
    let (rss, code, maps) = (status_kib("VmRSS"), code_file_bytes(), mappings());
    let (kept_us, kept) = compile_all(&srcs, true);
    let rss_fn = status_kib("VmRSS").saturating_sub(rss) as f64 * 1024.0 / n as f64;
    let code_fn = code_file_bytes().saturating_sub(code) as f64 / n as f64;
    let new_maps = mappings().saturating_sub(maps);
    drop(kept);
    let (dropped_us, _) = compile_all(&srcs, false);
    println!(
        "  kept: {kept_us:.2} µs per function (median of batches of 1 000); dropped each: \
         {dropped_us:.2} µs"
    );
    println!(
        "  kept: {rss_fn:.0} bytes of RSS per function; {code_fn:.0} bytes of the code file's \
         memory per function; {new_maps} new kernel mappings"
    );
}
