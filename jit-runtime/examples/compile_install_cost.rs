//! The cost of `Jit::compile` from string to callable, install and drop included.
//!
//! * `cargo run --release -p jit-runtime --example compile_install_cost` prints, for the
//!   benchmark's E1–E5, the median µs of single `Jit::compile`s (each timed on its own, then
//!   dropped), over `N` compilations (default 20 000) in each of `ROUNDS` rounds (default 3).
//! * With an expression as argument it compiles and drops that expression `N` times, for
//!   profilers; with callgrind, (count at N=2000 − count at N=1000) / 1000 is the cost of one
//!   compilation with a warm pool:
//!
//! ```text
//! N=1000 valgrind --tool=callgrind compile_install_cost '2*x^0.5'
//! ```
use jit_runtime::Jit;
use std::hint::black_box;
use std::time::Instant;

/// The §7 expression set (`bench/src/exprs.rs`).
const EXPRS: [(&str, &str); 5] = [
    ("E1", "2*x^0.5"),
    ("E2", "(-b+(b^2-4*a*c)^0.5)/(2*a)"),
    ("E3", "3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
    ("E4", "x^7 - 3*x^5 + 2*x^3 - x + 1"),
    (
        "E5",
        "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) \
         + h/(a+1) + a^2*b - c^3/(d+2) + (e*f - g)/(h*h + 1) - (b - c)*(g + h)*e",
    ),
];

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().expect("a number"))
}

/// Median µs of `n` compilations of `src`, each timed on its own.
fn median_compile_us(src: &str, n: usize) -> f64 {
    let mut samples: Vec<u64> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let f = black_box(Jit::compile(black_box(src)).unwrap());
            let ns = start.elapsed().as_nanos() as u64;
            drop(f);
            ns
        })
        .collect();
    samples.sort_unstable();
    samples[n / 2] as f64 / 1000.0
}

fn main() {
    let n = env_count("N", 20_000);
    if let Some(src) = std::env::args().nth(1) {
        for _ in 0..n {
            drop(black_box(Jit::compile(black_box(&src)).unwrap()));
        }
        return;
    }
    let rounds = env_count("ROUNDS", 3);
    println!("Jit::compile + drop, median µs of {n} (one column per round)");
    for (name, src) in EXPRS {
        let medians: Vec<String> = (0..rounds)
            .map(|_| format!("{:6.3}", median_compile_us(src, n)))
            .collect();
        println!("{name} {}", medians.join(" "));
    }
}
