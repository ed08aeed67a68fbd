//! Unit tests of the array kernels.
use super::*;
use crate::{parse, parse_with_args};

#[test]
fn kernels_for_plain_arithmetic_only() {
    for isa in [VectorIsa::Avx2, VectorIsa::Sse2] {
        let k = map_kernel(&parse("x*y + z/2").unwrap(), isa, true).unwrap();
        assert_eq!(k.lanes, isa.lanes());
        assert_eq!(k.block, 2 * isa.lanes());
        assert!(k.listing.contains("mulpd"));
        assert!(map_kernel(&parse("x % y").unwrap(), isa, false).is_none());
        assert!(map_kernel(&parse("exp(x)").unwrap(), isa, false).is_none());
    }
    let k = map_kernel(&parse("a+b+c+d+e+f").unwrap(), VectorIsa::Avx2, true).unwrap();
    // columns 4 and 5 are addressed through r11
    assert!(k.listing.contains("mov r11,[rdi+20h]"), "{}", k.listing);
}

#[test]
fn too_many_live_values_gives_no_kernel() {
    let terms: Vec<String> = (0..20).map(|i| format!("(v{i:02}*v{i:02}+1)")).collect();
    let rev: Vec<String> = terms.iter().rev().cloned().collect();
    let src = format!("({}) * ({})", terms.join(" + "), rev.join(" * "));
    assert!(map_kernel(&parse(&src).unwrap(), VectorIsa::Avx2, false).is_none());
    let few = format!("({})", terms[..8].join(" + "));
    assert!(map_kernel(&parse(&few).unwrap(), VectorIsa::Avx2, false).is_some());
}

#[test]
fn reduce_shapes() {
    let shape = |s: &str| reduce_shape(&parse_with_args(s, &["t", "x"]).unwrap(), 0);
    assert_eq!(shape("t + x").unwrap().0, ReduceOp::Add);
    assert_eq!(shape("x*x + t").unwrap().0, ReduceOp::Add);
    assert_eq!(shape("t * (x + 1)").unwrap().0, ReduceOp::Mul);
    assert!(shape("t - x").is_none());
    assert!(shape("t + t*x").is_none());
    assert!(shape("max(t, x)").is_none());
    let e = parse_with_args("t + x", &["t", "x"]).unwrap();
    assert_eq!(fold_kernel(&e, false).unwrap().block, 1);
    assert!(fold_kernel(&parse_with_args("t + sin(x)", &["t", "x"]).unwrap(), false).is_none());
    // the unroll shrinks until the term fits beside the accumulators
    let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Sse2, 8, false).unwrap();
    assert_eq!(k.block, 16);
}
