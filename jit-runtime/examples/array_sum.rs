//! The original project's array demo: a hand-written loop that sums an array of doubles,
//! here written with our typed assembler DSL, loaded with `exec::install` and called on a
//! large array; next to it `iter().sum()` and the reducer's strict and fast modes.
//!
//! `cargo run --release -p jit-runtime --example array_sum [N]` (N elements, default
//! 100 000 000; add `--features parallel` for the multithreaded reducer).

#[cfg(target_arch = "x86_64")]
use jit_runtime::Jit;
#[cfg(target_arch = "x86_64")]
use jit_runtime::compiler::x64::{Assembler, Cond, Gpr::*, Mem, Scale, Xmm::*};
#[cfg(target_arch = "x86_64")]
use jit_runtime::exec::install;
#[cfg(target_arch = "x86_64")]
use std::hint::black_box;
#[cfg(target_arch = "x86_64")]
use std::time::Instant;

/// `extern "sysv64" fn(xs: *const f64, n: usize) -> f64`: the sum, one `addsd` at a time.
#[cfg(target_arch = "x86_64")]
fn summing_loop() -> (Vec<u8>, String) {
    let mut a = Assembler::new().with_listing(true);
    let top = a.new_label();
    let done = a.new_label();
    a.xorpd(Xmm0, Xmm0); //                                  total = 0.0
    a.test(Rsi, Rsi); //                                     if n == 0: return total
    a.jcc(Cond::E, done);
    a.xor(Rcx, Rcx); //                                      i = 0
    a.bind(top);
    a.addsd(Xmm0, Mem::base_index(Rdi, Rcx, Scale::S8, 0)); // total += xs[i]
    a.inc(Rcx); //                                           i += 1
    a.cmp(Rcx, Rsi); //                                      while i < n (unsigned)
    a.jcc(Cond::B, top);
    a.bind(done);
    a.ret();
    let out = a.finish().expect("labels are bound");
    let listing = out.listing_text();
    (out.code, listing)
}

/// A hand-unrolled Rust loop with 8 accumulators, for reference.
#[cfg(target_arch = "x86_64")]
fn sum8(xs: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = xs.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..8 {
            acc[j] += c[j];
        }
    }
    let mut s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for &x in rest {
        s += x;
    }
    s
}

#[cfg(target_arch = "x86_64")]
fn measure(name: &str, bytes: usize, reps: usize, mut f: impl FnMut() -> f64) {
    let mut times = Vec::with_capacity(reps);
    let mut value = 0.0;
    for _ in 0..reps {
        let t = Instant::now();
        value = black_box(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[reps / 2];
    println!(
        "{name:<30} {:>9.3} ms {:>7.1} GB/s   sum = {value}",
        median * 1e3,
        bytes as f64 / median / 1e9
    );
}

#[cfg(target_arch = "x86_64")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(s) => s.replace('_', "").parse()?,
        None => 100_000_000,
    };
    let (code, listing) = summing_loop();
    println!("the summing loop, {} bytes:\n{listing}", code.len());
    let loaded = install(&code, &[])?;
    // SAFETY: the bytes are the complete function above, System V convention; `loaded`
    // keeps them mapped for as long as `asm_sum` is used (to the end of `main`).
    let asm_sum = unsafe {
        std::mem::transmute::<*const u8, extern "sysv64" fn(*const f64, usize) -> f64>(
            loaded.as_ptr(),
        )
    };

    let xs: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.5).collect();
    let bytes = n * 8;
    let reps = if n >= 10_000_000 { 5 } else { 201 };
    let sum = Jit::reducer("t + x", "t", 0.0)?;
    println!(
        "{n} doubles ({:.1} MB), median of {reps}:",
        bytes as f64 / 1e6
    );
    measure("hand-written addsd loop", bytes, reps, || {
        asm_sum(xs.as_ptr(), xs.len())
    });
    measure("iter().sum()", bytes, reps, || xs.iter().sum());
    measure("Rust, 8 accumulators", bytes, reps, || sum8(&xs));
    measure("reducer: reduce (strict)", bytes, reps, || sum.reduce(&xs));
    measure("reducer: reduce_fast", bytes, reps, || sum.reduce_fast(&xs));
    #[cfg(feature = "parallel")]
    measure("reducer: reduce_fast_parallel", bytes, reps, || {
        sum.reduce_fast_parallel(&xs)
    });
    // The elements are multiples of 0.5 and every partial sum is below 2^53 halves, so each
    // order of summation is exact: all the sums agree to the bit.
    let exact = xs.iter().sum::<f64>();
    assert_eq!(asm_sum(xs.as_ptr(), xs.len()), exact);
    assert_eq!(sum.reduce(&xs), exact);
    assert_eq!(sum.reduce_fast(&xs), exact);
    assert_eq!(sum8(&xs), exact);
    Ok(())
}

/// The demo runs x86-64 machine code; elsewhere there is nothing to show.
#[cfg(not(target_arch = "x86_64"))]
fn main() {
    println!("this example runs x86-64 machine code: it needs an x86-64 machine");
}
