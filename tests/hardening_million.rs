//! Memory stays flat: compiling and dropping a million functions. Ignored by default (it takes
//! a while in a debug build); `scripts/million.sh` runs it in release and shows the RSS, and
//! `.ci/run` runs that script.

use trivial_jit::Jit;

/// Resident set size of this process, in KiB (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn compile_call_drop(i: usize) {
    // a few shapes (inline code, helper calls, constants), with changing constants
    let src = match i % 4 {
        0 => format!("2*x^0.5 + {i}"),
        1 => format!("(-b+(b^2-4*a*c)^0.5)/(2*a) - {i}"),
        2 => format!("sin(x)*{i} + y"),
        _ => format!("if(x < {i}, x^7 - 3*x^5, min(x, y))"),
    };
    let f = Jit::compile(&src).unwrap();
    let args = vec![1.25; f.arity()];
    let got = f.call(&args);
    assert_eq!(
        got.to_bits(),
        f.expr().eval(&args).unwrap().to_bits(),
        "{src}"
    );
}

#[test]
#[ignore = "a million compilations: run by scripts/million.sh in release"]
fn a_million_functions_keep_memory_flat() {
    let n: usize = std::env::var("MILLION_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // warm up: the pool, the allocator's arenas
    for i in 0..10_000 {
        compile_call_drop(i);
    }
    let before = rss_kib();
    println!("RSS before: {before} KiB (after 10000 warm-up compilations)");
    for i in 0..n {
        compile_call_drop(i);
        if (i + 1) % (n / 4).max(1) == 0 {
            println!("RSS after {:>7}: {} KiB", i + 1, rss_kib());
        }
    }
    let after = rss_kib();
    println!(
        "RSS after: {after} KiB ({n} functions compiled, called and dropped; growth {} KiB)",
        after as i64 - before as i64
    );
    assert!(
        after <= before + 16 * 1024,
        "memory grew from {before} KiB to {after} KiB"
    );
}
