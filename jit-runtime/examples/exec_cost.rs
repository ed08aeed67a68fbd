//! What installing one function costs. Run with
//! `cargo run --release -p jit-runtime --example exec_cost [iterations] [warm-only]`.
//!
//! Prints median nanoseconds for: install + drop from a warm pool (and each half), a fresh
//! `MutableBuffer::new` + write + `make_exec` + drop (mmap, faults, munmap), and one
//! `mprotect` pair (RW -> RX -> RW) on the same buffer, plus minor page faults per operation.
//! With `warm-only`, runs only the warm-pool loop (to count its system calls with
//! `strace -c`).

use std::hint::black_box;
use std::time::Instant;

use jit_runtime::exec::{MutableBuffer, Reloc, install, pool};

/// addsd xmm0, xmm1; ret
const ADD: [u8; 5] = [0xf2, 0x0f, 0x58, 0xc1, 0xc3];

/// Minor page faults of this process so far (field 10 of /proc/self/stat).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name start with field 3 (state).
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

struct Stat {
    name: &'static str,
    median_ns: u64,
    faults_per_op: f64,
}

/// Times `n` runs of `op`, which returns the nanoseconds it measured itself.
fn measure(name: &'static str, n: usize, mut op: impl FnMut() -> u64) -> Stat {
    // Fault the result vector in before counting, so only `op`'s faults are counted.
    let mut times = vec![1u64; n];
    let f0 = minor_faults();
    for t in &mut times {
        *t = op();
    }
    let faults = minor_faults() - f0;
    Stat {
        name,
        median_ns: median(times),
        faults_per_op: faults as f64 / n as f64,
    }
}

fn ns_since(t: Instant) -> u64 {
    t.elapsed().as_nanos() as u64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let warm_only = args.next().as_deref() == Some("warm-only");
    let code_with_slot = {
        let mut c = vec![0x48, 0xb8];
        c.extend_from_slice(&[0; 8]);
        c.push(0xc3);
        c
    };

    // Warm the pool.
    pool::reserve(ADD.len(), 4).expect("reserve");
    for _ in 0..1_000 {
        drop(install(&ADD, &[]).expect("install"));
    }

    let mut stats = vec![measure("install + drop, warm pool", n, || {
        let t = Instant::now();
        let c = install(&ADD, &[]).expect("install");
        black_box(c.as_ptr());
        drop(c);
        ns_since(t)
    })];
    if warm_only {
        print(&stats);
        return;
    }
    stats.push(measure("  install only (1 mprotect)", n, || {
        let t = Instant::now();
        let c = install(
            &code_with_slot,
            &[Reloc {
                offset: 2,
                value: 7,
            }],
        )
        .expect("install");
        let ns = ns_since(t);
        drop(black_box(c));
        ns
    }));
    stats.push(measure("  drop only (1 mprotect)", n, || {
        let c = black_box(install(&ADD, &[]).expect("install"));
        let t = Instant::now();
        drop(c);
        ns_since(t)
    }));
    stats.push(measure("fresh new + write + make_exec + drop", n, || {
        let t = Instant::now();
        let mut b = MutableBuffer::new(4096).expect("map");
        b.as_mut_slice()[..ADD.len()].copy_from_slice(&ADD);
        let e = b.make_exec().expect("make_exec");
        black_box(e.as_ptr());
        drop(e);
        ns_since(t)
    }));
    let mut slot = Some(MutableBuffer::new(4096).expect("map"));
    stats.push(measure("mprotect pair RW->RX->RW (same page)", n, || {
        let b = slot.take().expect("buffer");
        let t = Instant::now();
        let e = b.make_exec().expect("make_exec");
        let b = e.make_mut().expect("make_mut");
        let ns = ns_since(t);
        slot = Some(b);
        ns
    }));
    print(&stats);
}

fn print(stats: &[Stat]) {
    println!(
        "{:<40} {:>10} {:>14}",
        "operation", "median ns", "minflt per op"
    );
    for s in stats {
        println!(
            "{:<40} {:>10} {:>14.3}",
            s.name, s.median_ns, s.faults_per_op
        );
    }
}
