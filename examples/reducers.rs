//! Reducers as in the original project's `asum` / `aprod`: a step `f(acc, x)` compiled to a
//! loop in machine code, in strict order and in the fast (reassociating) mode.
//!
//! `cargo run --release --example reducers`

use trivial_jit::Jit;

fn main() -> Result<(), trivial_jit::Error> {
    let xs: Vec<f64> = (1..=20).map(|i| 1.0 + f64::from(i) / 10.0).collect();
    let reducers = [
        ("sum", Jit::reducer("t + x", "t", 0.0)?),
        ("product", Jit::reducer("t * x", "t", 1.0)?),
        ("sum of squares", Jit::reducer("t + x^2", "t", 0.0)?),
        (
            "squared deviations",
            Jit::reducer("t + (x - 2)^2", "t", 0.0)?,
        ),
        (
            "running max",
            Jit::reducer("max(t, x)", "t", f64::NEG_INFINITY)?,
        ),
    ];
    println!("xs = 1.1, 1.2, ..., 3.0 ({} elements)\n", xs.len());
    for (name, r) in &reducers {
        let f = r.function();
        let folded = xs.iter().fold(r.init(), |t, &x| f.call(&[t, x]));
        let strict = r.reduce(&xs);
        let fast = r.reduce_fast(&xs);
        println!(
            "{name:<20} {:<14} strict {strict:<22} fast {fast}",
            f.expr().to_string()
        );
        // the strict mode is the fold, to the bit
        assert_eq!(strict.to_bits(), folded.to_bits(), "{name}");
        println!(
            "{:<35} strict == fold: {}; fast mode: {}",
            "",
            strict.to_bits() == folded.to_bits(),
            if r.is_fast() {
                "vector accumulators"
            } else {
                "= strict (not a sum or product)"
            }
        );
    }
    Ok(())
}
