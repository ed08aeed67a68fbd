//! Array kernels: `JitFn::map` against `call` bit for bit, reducers against `fold`.

#[path = "support/values.rs"]
mod values;

use trivial_jit::runtime::{MapIsa, Reducer};
use trivial_jit::{ErrorKind, Jit, JitFn};
use values::{SPECIAL, same};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Mostly ordinary values of both signs and varied magnitudes, sometimes a special one.
    fn value(&mut self) -> f64 {
        let r = self.next();
        if r % 7 == 0 {
            return SPECIAL[(r >> 8) as usize % SPECIAL.len()];
        }
        let mantissa = (r >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
        let exp = ((r >> 3) % 9) as i32 - 4;
        let sign = if r & 4 == 0 { 1.0 } else { -1.0 };
        sign * mantissa * 10f64.powi(exp)
    }

    fn column(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.value()).collect()
    }
}

const CORPUS: &[&str] = &[
    "x + y",
    "x - y",
    "x * y",
    "x / y",
    "-x",
    "abs(x)",
    "sqrt(x)",
    "2*x^0.5",
    "x^-0.5",
    "x^2",
    "x^3 + y^-3",
    "x^0 + y",
    "x^7 - 3*x^5 + 2*x^3 - x + 1",
    "x^-2",
    "x^31",
    "min(x, y)",
    "max(x, y)",
    "min(x, y, 0.25)",
    "max(x, -y, x*y)",
    "x < y",
    "x <= y",
    "x > y",
    "x >= y",
    "x == y",
    "x != y",
    "x < 0.5",
    "if(x, y, 2)",
    "if(x - y, x*y, -y)",
    "if(x > y, sqrt(abs(x)), y/x)",
    "(-b+(b^2-4*a*c)^0.5)/(2*a)",
    "x",
    "y + 1",
    "3",
    "x*x + x",
    "(x + y) * (x - y) / (x * y + 1)",
    "a + b*c - d/e + f*g - h + i*j",
    "((((x+1)*(y+2))+((x+3)*(y+4)))*(((x+5)*(y+6))+((x+7)*(y+8))))",
    "floor(x*3.7) - round(x) + sign(x-1)",
    "ceil(y) + trunc(x) * sign(y) - round(x*y)",
    "sin(x) + y",
    "x % y",
    "pow(x, y)",
];

fn check_map(f: &JitFn, cols: &[Vec<f64>], isa: MapIsa) {
    let arity = f.arity();
    let mut args = vec![0.0; arity];
    for len in 0..70 {
        for offset in 0..4 {
            let slices: Vec<&[f64]> = cols.iter().map(|c| &c[offset..offset + len]).collect();
            let mut out = vec![7.0; len + 1];
            f.map_with(&slices, &mut out[..len], isa).unwrap();
            for i in 0..len {
                for (a, s) in args.iter_mut().zip(&slices) {
                    *a = s[i];
                }
                let want = f.call(&args);
                assert!(
                    same(out[i], want),
                    "{f:?} {isa:?} len {len} offset {offset} element {i} args {args:?}: \
                     map {:?} ({:#x}), call {want:?} ({:#x})",
                    out[i],
                    out[i].to_bits(),
                    want.to_bits()
                );
            }
            assert_eq!(out[len], 7.0, "wrote past the end");
        }
    }
}

#[test]
fn map_equals_call_for_every_length_offset_and_isa() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for src in CORPUS {
        let f = Jit::compile(src).unwrap();
        let cols: Vec<Vec<f64>> = (0..f.arity()).map(|_| rng.column(80)).collect();
        for isa in [MapIsa::Auto, MapIsa::Sse2, MapIsa::Scalar] {
            check_map(&f, &cols, isa);
        }
    }
}

#[test]
fn map_is_bit_identical_on_long_arrays() {
    let mut rng = Rng(42);
    for src in CORPUS {
        let f = Jit::compile(src).unwrap();
        let n = 10_007;
        let cols: Vec<Vec<f64>> = (0..f.arity()).map(|_| rng.column(n)).collect();
        let slices: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
        for isa in [MapIsa::Auto, MapIsa::Sse2] {
            let mut out = vec![0.0; n];
            f.map_with(&slices, &mut out, isa).unwrap();
            let mut args = vec![0.0; f.arity()];
            for i in 0..n {
                for (a, s) in args.iter_mut().zip(&slices) {
                    *a = s[i];
                }
                assert!(same(out[i], f.call(&args)), "{src} {isa:?} element {i}");
            }
        }
    }
}

/// Long outputs that start off a vector boundary are mapped from the boundary on, after a
/// first vector (see `run_map_aligned`): every element still has `call`'s bits, at each of
/// the four 8-byte offsets of the output from a 32-byte boundary (the columns are shifted
/// too, by the same or another count, from wherever the allocator put them), and nothing
/// outside the output is written.
/// (x86-64 only: elsewhere there are no kernels, `map` is the `call` loop that the other
/// tests check, and under qemu this many calls would only lengthen the run.)
#[cfg(target_arch = "x86_64")]
#[test]
fn map_from_any_offset_of_output_and_columns() {
    let mut rng = Rng(0xA11C);
    for src in CORPUS {
        let f = Jit::compile(src).unwrap();
        let cols: Vec<Vec<f64>> = (0..f.arity()).map(|_| rng.column(1_010)).collect();
        let mut args = vec![0.0; f.arity()];
        for isa in [MapIsa::Auto, MapIsa::Sse2] {
            for len in [255, 256, 257, 300, 1_001] {
                for (out_offset, col_offset) in [(0, 0), (1, 1), (2, 2), (3, 3), (1, 0), (2, 3)] {
                    let slices: Vec<&[f64]> = cols
                        .iter()
                        .map(|c| &c[col_offset..col_offset + len])
                        .collect();
                    let mut out = vec![7.0; len + 8];
                    f.map_with(&slices, &mut out[out_offset..out_offset + len], isa)
                        .unwrap();
                    for i in 0..len {
                        for (a, s) in args.iter_mut().zip(&slices) {
                            *a = s[i];
                        }
                        assert!(
                            same(out[out_offset + i], f.call(&args)),
                            "{src} {isa:?} len {len} offsets {out_offset}/{col_offset} element {i}"
                        );
                    }
                    let outside = out[..out_offset].iter().chain(&out[out_offset + len..]);
                    assert!(
                        outside.into_iter().all(|&x| x == 7.0),
                        "{src}: wrote outside"
                    );
                }
            }
        }
    }
}

/// From 2^21 elements on, `map` runs a kernel that prefetches (the same instructions
/// otherwise): its results are those of the kernel without, which `map` runs on shorter arrays
/// (checked against `call` above), so the array mapped whole equals it mapped in pieces,
/// at three output offsets, with both instruction sets, and with a column that lies
/// differently from the others.
/// (x86-64 only, as above: elsewhere `map` is the `call` loop.)
#[cfg(target_arch = "x86_64")]
#[test]
fn long_maps_prefetch_with_the_same_bits() {
    const MAP_STREAM_FROM: usize = 1 << 21;
    let mut rng = Rng(0x5EED);
    let n = MAP_STREAM_FROM + 37;
    // (columns in registers, and columns beyond the fourth, loaded into r11 at each use)
    for src in [
        "(-b+(b^2-4*a*c)^0.5)/(2*a)",
        "a + b*c - d/e + f*g - h + i*j",
    ] {
        let f = Jit::compile(src).unwrap();
        let cols: Vec<Vec<f64>> = (0..f.arity()).map(|_| rng.column(n + 4)).collect();
        for isa in [MapIsa::Auto, MapIsa::Sse2] {
            for offset in [0, 1, 3] {
                // the first column shifted by one element more than the others
                let slices: Vec<&[f64]> = (cols.iter().enumerate())
                    .map(|(k, c)| &c[offset + usize::from(k == 0)..][..n])
                    .collect();
                let mut whole = vec![7.0; n + 8];
                f.map_with(&slices, &mut whole[offset..offset + n], isa)
                    .unwrap();
                let mut pieces = vec![7.0; n + 8];
                for start in (0..n).step_by(100_000) {
                    let end = (start + 100_000).min(n);
                    let part: Vec<&[f64]> = slices.iter().map(|s| &s[start..end]).collect();
                    f.map_with(&part, &mut pieces[offset + start..offset + end], isa)
                        .unwrap();
                }
                let differ = (whole.iter().zip(&pieces)).position(|(a, b)| !same(*a, *b));
                assert_eq!(differ, None, "{src} {isa:?} offset {offset}");
            }
        }
    }
}

#[test]
fn map_of_a_constant_fills_the_output() {
    let f = Jit::compile("1 + 2").unwrap();
    let mut out = [0.0; 5];
    f.map(&[], &mut out).unwrap();
    assert_eq!(out, [3.0; 5]);
}

#[test]
fn map_with_many_live_values_still_matches() {
    // More simultaneously live values than vector registers: the scalar fallback.
    // 20 values all live at once: each `a_i` is used by the sum, then again by the product.
    let terms: Vec<String> = (0..20).map(|i| format!("(v{i:02}*v{i:02}+1)")).collect();
    let rev: Vec<String> = terms.iter().rev().cloned().collect();
    let src = format!("({}) * ({})", terms.join(" + "), rev.join(" * "));
    let f = Jit::compile(&src).unwrap();
    let mut rng = Rng(7);
    let cols: Vec<Vec<f64>> = (0..f.arity()).map(|_| rng.column(80)).collect();
    check_map(&f, &cols, MapIsa::Auto);
}

#[test]
fn map_shape_errors() {
    let f = Jit::compile("x + y").unwrap();
    let a = [1.0, 2.0, 3.0];
    let b = [1.0, 2.0];
    let mut out = [0.0; 3];
    let e = f.map(&[&a], &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    let e = f.map(&[&a, &a, &a], &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    let e = f.map(&[&a, &b], &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    let e = f.map(&[&a, &a], &mut out[..2]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Shape);
    // a longer output is fine; the rest is left alone
    let mut long = [9.0; 5];
    f.map(&[&a, &a], &mut long).unwrap();
    assert_eq!(long, [2.0, 4.0, 6.0, 9.0, 9.0]);
}

const STEPS: &[(&str, &str, f64)] = &[
    ("t + x", "t", 0.0),
    ("t + x", "t", -0.0),
    ("x + t", "t", 1.5),
    ("t * x", "t", 1.0),
    ("t + x*x", "t", 0.0),
    ("s + x^2", "s", 0.0),
    ("t*0.5 + x", "t", 0.0),
    ("max(t, x)", "t", f64::NEG_INFINITY),
    ("min(t, x)", "t", f64::INFINITY),
    ("if(x > t, x, t)", "t", 0.0),
    ("t + sin(x)", "t", 0.0),
    ("t + 1", "t", 0.0),
    ("t - x/3", "t", 2.0),
    (
        "t + ((((x+1)*(x+2))+((x+3)*(x+4)))*(((x+5)*(x+6))+((x+7)*(x+8))))",
        "t",
        0.0,
    ),
];

#[test]
fn strict_fold_is_bit_identical() {
    let mut rng = Rng(99);
    let data = rng.column(200);
    for &(src, acc, init) in STEPS {
        let r = Jit::reducer(src, acc, init).unwrap();
        let f = r.function();
        for len in 0..70 {
            for offset in 0..4 {
                let xs = &data[offset..offset + len];
                let want = xs.iter().fold(init, |t, &x| f.call(&[t, x]));
                let got = r.reduce(xs);
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{src} len {len} offset {offset}"
                );
            }
        }
        let want = data.iter().fold(init, |t, &x| f.call(&[t, x]));
        assert_eq!(r.reduce(&data).to_bits(), want.to_bits(), "{src}");
    }
}

#[test]
fn strict_fold_is_native_without_calls() {
    assert_eq!(
        Jit::reducer("t + x", "t", 0.0).unwrap().is_strict_native(),
        cfg!(target_arch = "x86_64")
    );
    assert!(
        !Jit::reducer("t + sin(x)", "t", 0.0)
            .unwrap()
            .is_strict_native()
    );
}

/// Neumaier's compensated sum: accurate to about one rounding for these tests.
fn accurate_sum(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut s, mut c, mut abs) = (0.0f64, 0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x;
        } else {
            c += (x - t) + s;
        }
        s = t;
        abs += x.abs();
    }
    (s + c, abs)
}

/// The documented bound γ_d·Σ|terms| with d for k partial results (checked for k = 8 and 16),
/// plus one rounding of the reference.
fn within_bound(got: f64, exact: f64, abs_sum: f64, n: usize) -> bool {
    let u = f64::EPSILON / 2.0;
    let d = [8usize, 16]
        .iter()
        .map(|&k| n / k + k.ilog2() as usize + n % k + 1)
        .max()
        .unwrap() as f64;
    let gamma = d * u / (1.0 - d * u);
    (got - exact).abs() <= gamma * abs_sum + 2.0 * u * exact.abs()
}

#[test]
fn fast_sum_is_within_the_documented_bound() {
    let mut rng = Rng(5);
    for n in (0..70).chain([1000, 4097, 100_003]) {
        let xs: Vec<f64> = (0..n)
            .map(|_| {
                let v = rng.value();
                if v.is_finite() && v.abs() < 1e200 {
                    v
                } else {
                    0.25
                }
            })
            .collect();
        for offset in 0..4.min(n + 1) {
            let xs = &xs[offset..];
            let sum = Jit::reducer("t + x", "t", 0.0).unwrap();
            assert_eq!(sum.is_fast(), cfg!(target_arch = "x86_64"));
            let (exact, abs) = accurate_sum(xs.iter().copied());
            let got = sum.reduce_fast(xs);
            assert!(
                within_bound(got, exact, abs, xs.len()),
                "n {n}: {got} vs {exact}"
            );
            let squares = Jit::reducer("t + x*x", "t", 0.0).unwrap();
            let (exact, abs) = accurate_sum(xs.iter().map(|x| x * x));
            let got = squares.reduce_fast(xs);
            assert!(within_bound(got, exact, abs, xs.len()), "squares n {n}");
            // the fast result is deterministic
            assert_eq!(got.to_bits(), squares.reduce_fast(xs).to_bits());
        }
    }
}

/// `reduce_fast` as its documentation states it, in plain Rust over `call`s of the step:
/// partial `p` folds the elements `i < main` with `i mod k = p`, in order, from the
/// identity; the partials are combined pairwise (halves first); the tail is folded strictly
/// onto that; `init` comes last.
fn documented_fast(r: &Reducer, k: usize, product: bool, xs: &[f64]) -> f64 {
    let step = |t: f64, x: f64| r.function().call(&[t, x]);
    let (identity, apply): (f64, fn(f64, f64) -> f64) = if product {
        (1.0, |a, b| a * b)
    } else {
        (-0.0, |a, b| a + b)
    };
    fn pairwise(v: &[f64], apply: fn(f64, f64) -> f64) -> f64 {
        match v.len() {
            1 => v[0],
            n => apply(pairwise(&v[..n / 2], apply), pairwise(&v[n / 2..], apply)),
        }
    }
    let main = xs.len() - xs.len() % k;
    let mut partials = vec![identity; k];
    for (i, &x) in xs[..main].iter().enumerate() {
        partials[i % k] = step(partials[i % k], x);
    }
    let t = if main > 0 {
        pairwise(&partials, apply)
    } else {
        identity
    };
    apply(r.init(), xs[main..].iter().fold(t, |t, &x| step(t, x)))
}

/// The fast fold is the documented one, and its bits do not depend on where the array
/// lies (the runtime feeds the kernel from a vector boundary on long arrays, and from 2^19
/// elements on uses a kernel that prefetches): the same
/// values at every offset from a 64-byte line, short and long arrays, sums, differences
/// and products, with NaNs and infinities among the elements.
#[test]
fn fast_fold_is_the_documented_one_at_every_address() {
    let mut rng = Rng(17);
    for (src, product) in [("t + x", false), ("t - x*x", false), ("t * x", true)] {
        let r = Jit::reducer(src, "t", 0.75).unwrap();
        assert_eq!(r.is_fast(), cfg!(target_arch = "x86_64"), "{src}");
        let Some(k) = r.fast_partials() else {
            continue;
        };
        for n in [
            0, 1, 15, 16, 17, 100, 1025, 6143, 6144, 6145, 6160, 20_000, 70_001,
            // around the length from which the kernel that prefetches takes over (2^19)
            524_287, 524_305,
        ] {
            let ordinary: Vec<f64> = (0..n)
                .map(|_| {
                    let x = rng.value();
                    let x = if x.is_finite() {
                        x.clamp(-1e4, 1e4)
                    } else {
                        0.5
                    };
                    if product { 1.0 + x * 1e-5 } else { x }
                })
                .collect();
            let special = rng.column(n);
            for (values, documented) in [(&ordinary, true), (&special, false)] {
                let mut first = None;
                for offset in 0..8 {
                    let mut buf = vec![0.0; n + 8];
                    buf[offset..offset + n].copy_from_slice(values);
                    let got = r.reduce_fast(&buf[offset..offset + n]);
                    let bits = *first.get_or_insert(got.to_bits());
                    assert_eq!(got.to_bits(), bits, "{src} n {n} offset {offset}");
                }
                if documented {
                    let want = documented_fast(&r, k, product, values);
                    let got = f64::from_bits(first.unwrap_or_default());
                    assert!(same(got, want), "{src} n {n}: {got} vs {want}");
                }
            }
        }
        // (the last lengths ran the kernel that prefetches)
        assert!(format!("{r:?}").contains("stream_kernel: true"), "{r:?}");
    }
}

#[test]
fn fast_sum_of_integers_is_exact() {
    let xs: Vec<f64> = (0..100_001).map(|i| (i % 1000) as f64).collect();
    let want: f64 = xs.iter().sum();
    let r = Jit::reducer("acc + v", "acc", 10.0).unwrap();
    assert_eq!(r.reduce_fast(&xs), want + 10.0);
    assert_eq!(r.reduce(&xs), want + 10.0);
}

#[test]
fn fast_product_and_specials() {
    let xs: Vec<f64> = (0..1000).map(|i| 1.0 + (i % 7) as f64 * 1e-4).collect();
    let p = Jit::reducer("p * x", "p", 2.0).unwrap();
    assert_eq!(p.is_fast(), cfg!(target_arch = "x86_64"));
    let strict = p.reduce(&xs);
    let fast = p.reduce_fast(&xs);
    assert!((fast - strict).abs() <= 2.0 * 1000.0 * f64::EPSILON * strict.abs());

    let sum = Jit::reducer("t + x", "t", 0.0).unwrap();
    let mut ys = vec![1.0; 100];
    ys[37] = f64::INFINITY;
    assert_eq!(sum.reduce_fast(&ys), f64::INFINITY);
    ys[50] = f64::NEG_INFINITY;
    assert!(sum.reduce_fast(&ys).is_nan());
    ys[50] = f64::NAN;
    assert!(sum.reduce_fast(&ys).is_nan());
    assert_eq!(sum.reduce_fast(&[]), 0.0);
    // -0.0 sums stay -0.0 (the partial sums start at the exact identity)
    let neg = Jit::reducer("t + x", "t", -0.0).unwrap();
    assert_eq!(neg.reduce_fast(&[-0.0; 40]).to_bits(), (-0.0f64).to_bits());
}

/// `t - term(x)` (and `t + -x`, which the simplifier writes `t - x`) is the sum of
/// `-term(x)`; `term(x) - t` is not a sum of terms.
#[test]
fn fast_mode_takes_differences_as_sums_of_negated_terms() {
    let xs: Vec<f64> = (1..=1000).map(f64::from).collect();
    for src in ["t - x", "t + -x", "-x + t", "t - x*x"] {
        let r = Jit::reducer(src, "t", 0.5).unwrap();
        assert_eq!(r.is_fast(), cfg!(target_arch = "x86_64"), "{src}");
        // integers below 2^53 sum exactly in any order
        assert_eq!(r.reduce_fast(&xs), r.reduce(&xs), "{src}");
    }
    let r = Jit::reducer("t - x", "t", -0.0).unwrap();
    assert_eq!(
        r.reduce_fast(&[0.0; 40]).to_bits(),
        r.reduce(&[0.0; 40]).to_bits()
    );
    assert!(!Jit::reducer("x - t", "t", 0.0).unwrap().is_fast());
}

#[test]
fn fast_mode_falls_back_to_strict_for_other_shapes() {
    let mut rng = Rng(11);
    let xs = rng.column(333);
    for &(src, acc, init) in STEPS {
        let r = Jit::reducer(src, acc, init).unwrap();
        if !r.is_fast() {
            assert_eq!(
                r.reduce_fast(&xs).to_bits(),
                r.reduce(&xs).to_bits(),
                "{src}"
            );
        }
    }
    assert!(!Jit::reducer("t*0.5 + x", "t", 0.0).unwrap().is_fast());
    assert!(!Jit::reducer("t + sin(x)", "t", 0.0).unwrap().is_fast());
    assert!(!Jit::reducer("max(t, x)", "t", 0.0).unwrap().is_fast());
}

#[test]
fn reducer_errors() {
    let e = Jit::reducer("t + x + y", "t", 0.0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyArguments);
    // the caret goes under the second element variable, not the first character
    assert_eq!(e.span(), 8..9);
    assert!(e.message().ends_with("has x, y"), "{}", e.message());
    assert!(Jit::reducer("t +", "t", 0.0).is_err());
    // the accumulator's name is checked first (it was reported as too many variables)
    for acc in ["1t", "sin", ""] {
        let e = Jit::reducer("t + x", acc, 0.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidName, "{acc:?}");
        assert_eq!(e.render("t + x"), format!("error: {}\n", e.message()));
    }
    let e = Reducer::new(Jit::compile("x").unwrap(), 0.0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ArgumentCount);
    // no element variable at all
    let r = Jit::reducer("t * 2", "t", 1.0).unwrap();
    assert_eq!(r.reduce(&[0.0; 10]), 1024.0);
    // the accumulator unused
    let last = Jit::reducer("x", "t", 0.0).unwrap();
    assert_eq!(last.reduce(&[1.0, 2.0, 3.0]), 3.0);
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_fast_sum() {
    let mut rng = Rng(3);
    let xs: Vec<f64> = (0..1_000_003)
        .map(|_| {
            let v = rng.value();
            if v.is_finite() && v.abs() < 1e200 {
                v
            } else {
                0.5
            }
        })
        .collect();
    let sum = Jit::reducer("t + x", "t", 1.0).unwrap();
    let (exact, abs) = accurate_sum(std::iter::once(1.0).chain(xs.iter().copied()));
    let got = sum.reduce_fast_parallel(&xs);
    assert!(within_bound(got, exact, abs + 1.0, xs.len() + 16));
    assert_eq!(got.to_bits(), sum.reduce_fast_parallel(&xs).to_bits());
    let small = &xs[..1000];
    assert_eq!(
        sum.reduce_fast_parallel(small).to_bits(),
        sum.reduce_fast(small).to_bits()
    );
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_map_gives_the_bits_of_map() {
    use trivial_jit::PARALLEL_CHUNK;
    let mut rng = Rng(5);
    // three chunks and a part of a fourth, plus 8 elements of `out` past the columns
    let n = 3 * PARALLEL_CHUNK + 1_001;
    let xs: Vec<f64> = (0..n).map(|_| rng.value()).collect();
    let ys: Vec<f64> = (0..n).map(|_| rng.value()).collect();
    // a vector kernel, a function call (element by element), a comparison and `if`
    for src in ["x*y - x^3", "sin(x) + y", "if(x < y, x, y*2)"] {
        let f = Jit::compile(src).unwrap();
        let mut seq = vec![7.0; n + 8];
        let mut par = vec![7.0; n + 8];
        f.map(&[&xs, &ys], &mut seq).unwrap();
        f.map_parallel(&[&xs, &ys], &mut par).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&par), bits(&seq), "{src}");
        assert_eq!(
            par[n..],
            [7.0; 8],
            "{src}: past the columns, out is left alone"
        );
    }
    // shapes are checked as by map
    let f = Jit::compile("x*y").unwrap();
    let mut out = vec![0.0; n];
    assert!(f.map_parallel(&[&xs], &mut out).is_err());
    assert!(f.map_parallel(&[&xs, &ys[1..]], &mut out).is_err());
    assert!(f.map_parallel(&[&xs, &ys], &mut out[1..]).is_err());
}

#[cfg(feature = "parallel")]
#[test]
fn parallel_map_reports_the_first_failing_chunk() {
    use trivial_jit::PARALLEL_CHUNK;
    // a closure that panics on two elements, in the second and the fourth chunk
    let bad = [
        PARALLEL_CHUNK as f64 + 5.0,
        3.0 * PARALLEL_CHUNK as f64 + 1.0,
    ];
    let f = Jit::builder()
        .closure("check", 1, move |a| {
            assert!(!bad.contains(&a[0]), "bad element {}", a[0]);
            a[0] * 2.0
        })
        .compile("check(x)")
        .unwrap();
    let xs: Vec<f64> = (0..4 * PARALLEL_CHUNK).map(|i| i as f64).collect();
    let mut out = vec![0.0; xs.len()];
    let err = f.map_parallel(&[&xs], &mut out).unwrap_err();
    assert_eq!(err.kind(), trivial_jit::ErrorKind::Panic);
    assert!(
        err.to_string().contains(&format!("bad element {}", bad[0])),
        "{err}"
    );
    // the chunks without a panic are written in full
    assert_eq!(
        out[2 * PARALLEL_CHUNK + 7],
        (2 * PARALLEL_CHUNK + 7) as f64 * 2.0
    );
}

/// Values where rounding goes wrong if done approximately: signed zeros and halves, the
/// largest double below 0.5, the edges of 2^52 (from which on every double is an integer),
/// huge values, infinities, NaN, subnormals, and inputs whose result is -0.0
/// (`ceil(-0.5)`, `trunc(-0.3)`, `round(-0.4)`).
const ROUNDING: [f64; 44] = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.5,
    -1.5,
    2.5,
    -2.5,
    0.499_999_999_999_999_94,
    -0.499_999_999_999_999_94,
    4_503_599_627_370_496.0,
    -4_503_599_627_370_496.0,
    4_503_599_627_370_497.0,
    -4_503_599_627_370_497.0,
    4_503_599_627_370_495.5,
    -4_503_599_627_370_495.5,
    4.5e15,
    -4.5e15,
    4.5e15 + 0.5,
    -4.5e15 - 0.5,
    1e300,
    -1e300,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
    5e-324,
    -5e-324,
    2.0e-308,
    -2.0e-308,
    -0.3,
    -0.4,
    0.7,
    -0.7,
    1.0,
    -1.0,
    2.0,
    -3.5,
    3.5,
    0.999_999_999_999_999_9,
    -0.999_999_999_999_999_9,
    123_456.5,
    -123_456.5,
    9_007_199_254_740_993.0,
];

/// `map` of the rounding functions and `sign`, alone and in larger expressions, against
/// `call` on every value of [`ROUNDING`] in every lane position, at lengths on both sides of
/// the unrolled blocks (16 elements with AVX2, 8 with SSE2), with both instruction sets.
#[test]
fn rounding_and_sign_map_bit_identical_to_call() {
    let sources = [
        "floor(x)",
        "ceil(x)",
        "round(x)",
        "trunc(x)",
        "sign(x)",
        "floor(x*3.7) - round(x) + sign(x-1)",
        "ceil(x) * trunc(x/2) + round(x*0.5)",
        "sign(round(x)) + floor(-x) - ceil(x) * sign(x)",
        "if(x > 0, floor(x), ceil(x)) + trunc(y) - round(y) * sign(y)",
        "round(x) - x + floor(y) + sign(x*y)",
    ];
    let n = ROUNDING.len();
    for src in sources {
        let f = Jit::compile(src).unwrap();
        let lens = (1..=40).chain([47, 48, 49, 63, 64, 65, 2 * n + 3]);
        for len in lens {
            for shift in 0..n {
                let x: Vec<f64> = (0..len).map(|i| ROUNDING[(i + shift) % n]).collect();
                let y: Vec<f64> = (0..len).map(|i| ROUNDING[(i * 7 + shift) % n]).collect();
                let cols = [&x[..], &y[..]];
                let cols = &cols[..f.arity()];
                for isa in [MapIsa::Avx2, MapIsa::Sse2] {
                    let mut out = vec![0.0; len];
                    f.map_with(cols, &mut out, isa).unwrap();
                    for i in 0..len {
                        let args: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                        let want = f.call(&args);
                        assert!(
                            same(out[i], want),
                            "{src} {isa:?} len {len} element {i} args {args:?}: map {:?} ({:#x}), \
                             call {want:?} ({:#x})",
                            out[i],
                            out[i].to_bits(),
                            want.to_bits()
                        );
                    }
                }
            }
        }
    }
}

/// `t + floor(x)` has a fast (vector) kernel; on integer-valued data its sums are exact, so
/// in any order equal to the strict fold's.
#[test]
fn fast_reducer_of_a_rounded_term() {
    let xs: Vec<f64> = (0..10_001).map(|i| f64::from(i % 1000) - 300.0).collect();
    for src in ["t + floor(x)", "t + round(x*0.5)", "t - sign(x)*trunc(x)"] {
        let r = Jit::reducer(src, "t", 0.0).unwrap();
        assert_eq!(r.is_fast(), cfg!(target_arch = "x86_64"), "{src}");
        assert_eq!(r.reduce_fast(&xs), r.reduce(&xs), "{src}");
    }
}
