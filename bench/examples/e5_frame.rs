//! Experiment: why Cranelift's E5 runs about 2% faster than trivial-jit's in the benchmark,
//! although both generate the same instructions in the same order.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example e5_frame`.
//!
//! The one difference is the frame: Cranelift's function starts with `push rbp; mov rbp,
//! rsp` and ends with `mov rsp, rbp; pop rbp` before `ret`, trivial-jit's has neither. This
//! program runs E5's machine code from trivial-jit as it is and with that frame added (the
//! same bytes between a 4-byte prologue and a 5-byte epilogue that takes the place of `ret`
//! and the padding after it, so the constants stay where the RIP-relative loads expect them),
//! plus two controls of the same lengths, and Cranelift's own function, all installed the same
//! way and called as the benchmark calls them: the benchmark's inputs, each variant from a
//! loop of its own, the results summed as integers. Then the same with the results summed as
//! doubles (an `addsd` chain through the loop).
//!
//! Findings on the 2-core EPYC VM (2026-11-26), ns per call over seven runs:
//! * integer sum: trivial-jit as it is 6.23–6.30; with Cranelift's frame 6.13–6.24, level
//!   with Cranelift's own function (6.12–6.27); with `push rbp` / `pop rbp` only 6.26–6.35;
//!   with `mov`s of the same lengths and no stack 6.24–6.31. The frame is worth 1–2% here, and
//!   only whole: the push and pop alone are not.
//! * double sum: 6.61–6.82 for all five, trivial-jit as it is the fastest in most runs.
//! * the frame on E2 and E4, which the divider does not bound: 0–3% and 5–46% slower.
//!
//! So the 2% is a property of this loop on this CPU (E5 is bound by the divider: five
//! divisions a call), not of the instructions, and trivial-jit does not emit a frame it does
//! not need.

#[path = "../src/cl.rs"]
#[allow(dead_code)]
mod cl;
#[path = "../src/exprs.rs"]
#[allow(dead_code)]
mod exprs;

use std::hint::black_box;
use std::time::Instant;

use trivial_jit::compiler::codegen::{CodegenOptions, compile_with};
use trivial_jit::runtime::exec::{self, ExecCode};

type F8 = extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64;
type Row = [f64; 8];

/// Sums `f(row)` over `rows` as integers (the benchmark's `Sum`), from this `SITE`'s own call
/// instruction.
#[inline(never)]
fn int_sum<const SITE: usize>(f: F8, rows: &[Row]) -> f64 {
    black_box(SITE);
    let mut s = 0u64;
    for r in rows {
        s = s.wrapping_add(f(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]).to_bits());
    }
    f64::from_bits(s)
}

/// The same with the results added as doubles.
#[inline(never)]
fn float_sum<const SITE: usize>(f: F8, rows: &[Row]) -> f64 {
    black_box(SITE);
    let mut s = 0.0;
    for r in rows {
        s += f(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    }
    s
}

const INT_SITES: [fn(F8, &[Row]) -> f64; 5] = [
    int_sum::<0>,
    int_sum::<1>,
    int_sum::<2>,
    int_sum::<3>,
    int_sum::<4>,
];
const FLOAT_SITES: [fn(F8, &[Row]) -> f64; 5] = [
    float_sum::<0>,
    float_sum::<1>,
    float_sum::<2>,
    float_sum::<3>,
    float_sum::<4>,
];

/// `body` (a function starting at byte 0 whose `ret` is followed by at least four `int3`s of
/// padding) between `prologue` and an epilogue that replaces the `ret` and four `int3`s.
fn wrapped(body: &[u8], prologue: [u8; 4], epilogue: [u8; 5]) -> Vec<u8> {
    let ret = body
        .windows(5)
        .position(|w| w == [0xC3, 0xCC, 0xCC, 0xCC, 0xCC])
        .expect("a ret followed by four int3 of padding");
    let mut out = prologue.to_vec();
    out.extend_from_slice(&body[..ret]);
    out.extend_from_slice(&epilogue);
    out.extend_from_slice(&body[ret + 5..]);
    out
}

/// `push rbp; mov rbp, rsp`: the start of Cranelift's functions.
const PUSH_RBP_MOV_RBP_RSP: [u8; 4] = [0x55, 0x48, 0x89, 0xE5];

/// trivial-jit's code for `src` from its register entry on (the constants included), with the
/// instruction forms `Jit::compile` chooses on this CPU.
fn register_entry_code(src: &str) -> Vec<u8> {
    let expr = trivial_jit::compiler::parse(src).expect("the source parses");
    let options = CodegenOptions {
        avx: std::is_x86_feature_detected!("avx"), // as `Jit::compile` does
        ..CodegenOptions::default()
    };
    let compiled = compile_with(&expr, &options).expect("the source compiles");
    assert!(compiled.relocs.is_empty(), "calls nothing");
    compiled.code[compiled.register_entry.expect("a register entry")..].to_vec()
}

/// Installs `code` and returns it with its entry at byte 0.
fn install(code: &[u8]) -> (ExecCode, F8) {
    let installed = exec::install(code, &[]).expect("install");
    // SAFETY: `code` is a System V register entry of at most eight doubles (in xmm0-7; the
    // unused ones are ignored), the result in xmm0, complete with its constants; the caller
    // keeps `installed` while it calls `f`.
    let f = unsafe { std::mem::transmute::<*const u8, F8>(installed.as_ptr()) };
    (installed, f)
}

/// Median of `runs` timings of each variant, interleaved, ns per call.
fn medians(variants: &[F8], sites: &[fn(F8, &[Row]) -> f64], rows: &[Row]) -> Vec<f64> {
    let mut samples = vec![Vec::new(); variants.len()];
    for _ in 0..31 {
        for (i, &f) in variants.iter().enumerate() {
            let t = Instant::now();
            let mut acc = 0.0;
            for _ in 0..200 {
                acc += sites[i](f, black_box(rows));
            }
            black_box(acc);
            samples[i].push(t.elapsed().as_nanos() as f64 / (200 * rows.len()) as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

fn main() {
    let defs = exprs::all();
    let e5 = defs.iter().find(|d| d.name == "E5").expect("E5");
    let rows = exprs::inputs(e5);

    let body = &register_entry_code(e5.src)[..];
    let variants_code: [(&str, Vec<u8>); 4] = [
        ("trivial-jit as it is", body.to_vec()),
        (
            "with Cranelift's frame",
            // push rbp; mov rbp, rsp / mov rsp, rbp; pop rbp; ret
            wrapped(body, PUSH_RBP_MOV_RBP_RSP, [0x48, 0x89, 0xEC, 0x5D, 0xC3]),
        ),
        (
            "with push/pop rbp only",
            // push rbp; nop3 / pop rbp; ret; int3 x3
            wrapped(
                body,
                [0x55, 0x0F, 0x1F, 0x00],
                [0x5D, 0xC3, 0xCC, 0xCC, 0xCC],
            ),
        ),
        (
            "with movs of the same length",
            // mov rax, rbp; nop / mov rax, rbp; nop; ret (rax is free: the result is xmm0)
            wrapped(
                body,
                [0x48, 0x89, 0xE8, 0x90],
                [0x48, 0x89, 0xE8, 0x90, 0xC3],
            ),
        ),
    ];
    let installed: Vec<(ExecCode, F8)> = variants_code.iter().map(|(_, c)| install(c)).collect();

    let cranelift = cl::Cranelift::new().expect("Cranelift for this CPU");
    let cl_fn = cranelift.compile(e5.src).expect("Cranelift compiles E5");
    // SAFETY: Cranelift's E5 takes eight doubles in registers; `cl_fn` outlives every call.
    let cl_ptr = unsafe { std::mem::transmute::<*const u8, F8>(cl_fn.ptr()) };

    let mut names: Vec<&str> = variants_code.iter().map(|(n, _)| *n).collect();
    names.push("Cranelift's own function");
    let mut fns: Vec<F8> = installed.iter().map(|(_, f)| *f).collect();
    fns.push(cl_ptr);

    // Every variant computes the same bits on every row.
    for r in &rows {
        let want = fns[0](r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]).to_bits();
        for (name, f) in names.iter().zip(&fns) {
            let got = f(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]).to_bits();
            assert_eq!(got, want, "{name} differs on {r:?}");
        }
    }

    let ints = medians(&fns, &INT_SITES, &rows);
    let floats = medians(&fns, &FLOAT_SITES, &rows);
    println!("E5, ns per call (median of 31)    integer sum   double sum");
    for ((name, i), f) in names.iter().zip(ints).zip(floats) {
        println!("{name:32} {i:11.3} {f:12.3}");
    }

    // What the frame costs where the divider does not bound the loop.
    println!("\nwith Cranelift's frame / as it is, integer sum");
    for def in defs.iter().filter(|d| d.name == "E2" || d.name == "E4") {
        let rows = exprs::inputs(def);
        let body = register_entry_code(def.src);
        let framed = wrapped(&body, PUSH_RBP_MOV_RBP_RSP, [0x48, 0x89, 0xEC, 0x5D, 0xC3]);
        let (_keep, plain) = install(&body);
        let (_keep_framed, framed) = install(&framed);
        let t = medians(&[plain, framed], &INT_SITES, &rows);
        println!(
            "{}: {:.3} / {:.3} ns = {:.3}",
            def.name,
            t[1],
            t[0],
            t[1] / t[0]
        );
    }
}
