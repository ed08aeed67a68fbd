//! Any bytes → `Jit::compile` (SysV and Win64): `Ok` or `Err`, never a panic. When `Ok`, the
//! function is called with arguments chosen from special values, and must agree with the
//! interpreter bit for bit (any NaN equals any NaN).
#![no_main]

#[path = "../../tests/support/values.rs"]
mod values;
use values::{SPECIAL, same};

use libfuzzer_sys::fuzz_target;
use trivial_jit::Jit;
use trivial_jit::compiler::codegen::Abi;

fn check(src: &str, seed: usize) {
    for abi in [Abi::SysV, Abi::Win64] {
        let Ok(f) = Jit::builder().abi(abi).compile(src) else {
            continue;
        };
        for round in 0..2 {
            let args: Vec<f64> = (0..f.arity())
                .map(|i| SPECIAL[(seed + i * 7 + round * 5) % SPECIAL.len()])
                .collect();
            let got = f.call(&args);
            let want = f.expr().eval(&args).expect("arity");
            assert!(
                same(want, got),
                "{src:?} {abi:?} {args:?}: jit {got:?}, interpreter {want:?}\n{}",
                f.listing()
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let seed = data
        .iter()
        .fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
    match std::str::from_utf8(data) {
        Ok(s) => check(s, seed),
        Err(_) => check(&String::from_utf8_lossy(data), seed),
    }
});
