//! Divisions paired into one `divpd` (`jit-compiler/src/codegen/pair.rs`): JIT == interpreter,
//! bit for bit, on expressions made mostly of divisions, over special values (zeros of both
//! signs, infinities, NaNs, subnormals, huge values), in both calling conventions and both
//! instruction sets; and with more live values than registers, so that pairs meet spills.

#[path = "support/cases.rs"]
mod cases;
#[path = "support/values.rs"]
mod values;

use cases::cases;
use proptest::prelude::*;
use trivial_jit::Jit;
use trivial_jit::compiler::codegen::Abi;
use trivial_jit::compiler::parse_with_args;
use values::{SPECIAL, same};

/// Ten arguments: beyond the registers of both conventions, so some are read from memory.
const ARGS: [&str; 10] = ["a", "b", "c", "d", "e", "f", "g", "h", "k", "m"];

const TARGETS: [(Abi, bool); 4] = [
    (Abi::SysV, true),
    (Abi::SysV, false),
    (Abi::Win64, true),
    (Abi::Win64, false),
];

/// A random expression of depth up to `depth`, most of whose operations are divisions, with
/// a few calls and `if`s (which end the stretches pairs are found in); from a seed, so that
/// failures print a reproducible source.
fn divisions(seed: &mut u64, depth: u32) -> String {
    let mut next = |n: u64| {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) % n
    };
    if depth == 0 || next(5) == 0 {
        const NUMBERS: [&str; 5] = ["0", "3", "2.5", "1e-310", "1e308"];
        return match next(4) {
            0 => NUMBERS[next(5) as usize].to_string(),
            _ => ARGS[next(10) as usize].to_string(),
        };
    }
    match next(16) {
        0 => return format!("sin({})", divisions(seed, depth - 1)),
        1 => {
            let [c, a, b] = [(); 3].map(|_| divisions(seed, depth - 1));
            return format!("if({c} > 1, {a}, {b})");
        }
        _ => {}
    }
    let op = ["/", "/", "/", "+", "-", "*"][next(6) as usize];
    let (a, b) = (divisions(seed, depth - 1), divisions(seed, depth - 1));
    format!("({a} {op} {b})")
}

/// Compiles `src` for every target and checks it against the interpreter on `args`;
/// returns how many `divpd` the listings hold.
fn check(src: &str, args: &[f64]) -> usize {
    let want = parse_with_args(src, &ARGS).unwrap().eval(args).unwrap();
    let mut pairs = 0;
    for (abi, avx) in TARGETS {
        let f = Jit::builder()
            .abi(abi)
            .avx(avx)
            .compile_with_args(src, &ARGS)
            .unwrap();
        let got = f.call(args);
        assert!(
            same(want, got),
            "{src} {abi:?} avx {avx} {args:?}: jit {got:?}, interpreter {want:?}\n{}",
            f.listing()
        );
        pairs += f.listing().matches("divpd").count();
    }
    pairs
}

/// The arguments for a seed: special values, each argument another.
fn special_args(seed: u64) -> [f64; 10] {
    std::array::from_fn(|i| SPECIAL[(seed as usize / 7 + 5 * i) % SPECIAL.len()])
}

#[test]
fn random_divisions_pair_and_equal_the_interpreter() {
    let mut pairs = 0;
    for seed in 0..1000u64 {
        let src = divisions(&mut seed.clone(), 6);
        pairs += check(&src, &special_args(seed));
    }
    // the generator does exercise the pairs: most expressions have some
    assert!(
        pairs > 1000,
        "{pairs} divpd in 1000 expressions x 4 targets"
    );
}

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn paired_divisions_equal_the_interpreter(
        seed in any::<u64>(),
        args in proptest::array::uniform10(proptest::sample::select(SPECIAL.to_vec())),
    ) {
        let src = divisions(&mut seed.clone(), 6);
        check(&src, &args);
    }
}

/// Pairs whose operands are shared, or are constants (loaded into registers first), or
/// are used again after the pair.
#[test]
fn pairs_with_shared_operands_and_constants() {
    for src in [
        "a/b + c/b",
        "a/b + b/c",
        "a/b * (c/a)",
        "a/b + a/c",
        "a/a + b/b",
        "a/3 + b/7",
        "3/a + 7/b",
        "(a/b + c/d) * a * b * c * d",
        "(a/b)/(c/d)",
        "k/m + m/k",
    ] {
        for seed in 0..SPECIAL.len() as u64 * 7 {
            check(src, &special_args(seed));
        }
    }
}

/// 24 quotients, each used twice, far apart: the first sum keeps them all live (more than the
/// sixteen registers), so pairs are computed while values are spilled and reloaded.
#[test]
fn pairs_meet_spills() {
    let quotients: Vec<String> = (0..24)
        .map(|i| format!("{}/({} + {i})", ARGS[i % 8], ARGS[(i + 3) % 8]))
        .collect();
    let sum = quotients.join(" + ");
    let products: Vec<String> = quotients.iter().map(|q| format!("({q})*({q})")).collect();
    let src = format!("({sum}) - ({})", products.join(" + "));
    let listing = Jit::builder()
        .abi(Abi::SysV)
        .avx(false)
        .compile_with_args(&src, &ARGS)
        .unwrap()
        .listing();
    assert!(
        listing.contains("divpd") && listing.contains("[rsp"),
        "{listing}"
    );
    for seed in 0..40 {
        check(&src, &special_args(seed));
    }
    let ordinary: Vec<f64> = (0..10).map(|i| 1.5 + i as f64 / 3.0).collect();
    check(&src, &ordinary);
}
