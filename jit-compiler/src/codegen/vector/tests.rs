//! Unit tests of the array kernels.
use super::*;
use crate::{parse, parse_with_args};

/// The map kernel of `src` for `isa`, without prefetches, with its listing (`None` when the
/// expression has none).
fn listed(src: &str, isa: VectorIsa) -> Option<ArrayKernel> {
    map_kernel(&parse(src).unwrap(), isa, Prefetch::Off, true)
}

#[test]
fn kernels_for_plain_arithmetic_only() {
    for isa in [VectorIsa::Avx2, VectorIsa::Sse2] {
        let k = listed("x*y + z/2", isa).unwrap();
        assert_eq!(k.lanes, isa.lanes());
        assert_eq!(k.block, kernels::MAP_UNROLL * isa.lanes());
        assert!(k.listing.contains("mulpd"));
        assert!(map_kernel(&parse("x % y").unwrap(), isa, Prefetch::Off, false).is_none());
        assert!(map_kernel(&parse("exp(x)").unwrap(), isa, Prefetch::Off, false).is_none());
    }
    let k = listed("a+b+c+d+e+f", VectorIsa::Avx2).unwrap();
    // columns 4 and 5 are addressed through r11
    assert!(k.listing.contains("mov r11,[rdi+20h]"), "{}", k.listing);
}

#[test]
fn rounding_and_sign_have_kernels_on_both_isas() {
    // AVX2: floor, ceil and trunc are one vroundpd each, round is trunc and a fix-up
    for (src, imm) in [
        ("floor(x)", ",9"),
        ("ceil(x)", ",0Ah"),
        ("trunc(x)", ",0Bh"),
    ] {
        let k = listed(src, VectorIsa::Avx2).unwrap();
        let body = main_loop(&k.listing);
        let rounds: Vec<&String> = body.iter().filter(|l| l.starts_with("vroundpd")).collect();
        assert_eq!(rounds.len(), 4, "{src}: {body:?}");
        assert!(rounds.iter().all(|l| l.ends_with(imm)), "{src}: {body:?}");
    }
    let k = listed("round(x)", VectorIsa::Avx2).unwrap();
    assert!(k.listing.contains("vroundpd") && k.listing.contains(",0Bh"));
    // SSE2 has no roundpd: the exact 2^52 sequence and the scalar code's fix-ups
    for src in ["floor(x)", "ceil(x)", "round(x)", "trunc(x)", "sign(x)"] {
        let k = listed(src, VectorIsa::Sse2).unwrap();
        assert!(!k.listing.contains("round"), "{src}");
        assert!(listed(src, VectorIsa::Avx2).is_some(), "{src}");
    }
    let mixed = "floor(x*3.7) - round(x) + sign(x-1) + ceil(y) * trunc(x/y)";
    for isa in [VectorIsa::Avx2, VectorIsa::Sse2] {
        assert!(listed(mixed, isa).is_some(), "{isa:?}");
    }
    // the fast reducer's term
    let e = parse_with_args("t + floor(x)", &["t", "x"]).unwrap();
    assert!(fast_reduce_kernel(&e, 0, VectorIsa::Avx2, 4, Prefetch::Off, false).is_some());
}

/// The instructions of the main loop as text (everything between `L0:` and the `add rcx`).
fn main_loop(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip_while(|l| !l.starts_with("L0:"))
        .skip(1)
        .take_while(|l| !l.contains("add rcx"))
        .map(|l| {
            l.split("  ")
                .filter(|p| !p.is_empty())
                .last()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
        .collect()
}

#[test]
fn copies_of_the_loop_body_are_interleaved_when_they_fit_in_a_share_of_the_registers() {
    // four registers per copy: all four copies side by side, loads first
    let k = listed("x^7 - 3*x^5 + 2*x^3 - x + 1", VectorIsa::Avx2);
    let body = main_loop(&k.unwrap().listing);
    assert_eq!(
        body[..4],
        [
            "vmovupd ymm0,[rax+rcx*8]",
            "vmovupd ymm4,[rax+rcx*8+20h]",
            "vmovupd ymm8,[rax+rcx*8+40h]",
            "vmovupd ymm12,[rax+rcx*8+60h]",
        ]
    );
    assert_eq!(body.len(), 4 * 13);
    // SSE2 too, with its register copies
    let k = listed("x*y + x", VectorIsa::Sse2).unwrap();
    let body = main_loop(&k.listing);
    assert!(
        body[0].ends_with("[rax+rcx*8]") && body[1].ends_with("[rax+rcx*8+10h]"),
        "{body:?}"
    );
    // more than four registers: two pairs of copies, each pair interleaved
    let wide = "((((x+1)*(y+2))+((x+3)*(y+4)))*(((x+5)*(y+6))+((x+7)*(y+8))))";
    let k = listed(wide, VectorIsa::Avx2).unwrap();
    let body = main_loop(&k.listing);
    let stores: Vec<&String> = body
        .iter()
        .filter(|l| l.starts_with("vmovupd [rsi"))
        .collect();
    assert_eq!(stores.len(), 4);
    assert!(
        body[0].contains("ymm0") && body[1].contains("ymm8"),
        "{body:?}"
    );
    // the second pair starts after the first pair's stores
    let second = body.iter().position(|l| l.contains("+40h]")).unwrap();
    let first_stores = body
        .iter()
        .rposition(|l| l.starts_with("vmovupd [rsi") && l.contains("+20h]"));
    assert!(first_stores.unwrap() < second, "{body:?}");
}

/// Whether the first copy of the body is stored before anything touches the second copy's
/// elements (one vector further on): the copies follow one another.
fn one_after_another(kernel: &ArrayKernel, isa: VectorIsa) -> bool {
    let body = main_loop(&kernel.listing);
    let second = format!("rcx*8+{:X}h]", 8 * isa.lanes());
    let first_store = body.iter().position(|l| l.contains("[rsi")).unwrap_or(0);
    first_store > 0 && body[..first_store].iter().all(|l| !l.contains(&second))
}

#[test]
fn copies_follow_one_another_when_columns_share_r11_or_registers_run_short() {
    // six columns: the fifth and sixth are addressed through r11, which copies cannot share
    let k = listed("a+b+c+d+e+f", VectorIsa::Avx2).unwrap();
    assert!(one_after_another(&k, VectorIsa::Avx2), "{}", k.listing);
    // one column, but a balanced tree eight levels deep: more than eight registers per
    // copy, so the copies follow one another, each with all sixteen
    fn tree(depth: u32, leaf: &mut u32) -> String {
        if depth == 0 {
            *leaf += 1;
            return format!("(x+{leaf})");
        }
        format!("({}*{})", tree(depth - 1, leaf), tree(depth - 1, leaf))
    }
    let k = listed(&tree(8, &mut 0), VectorIsa::Sse2).unwrap();
    assert!(one_after_another(&k, VectorIsa::Sse2));
    // and the interleaved case is told apart
    let k = listed("x*y + x", VectorIsa::Sse2).unwrap();
    assert!(!one_after_another(&k, VectorIsa::Sse2), "{}", k.listing);
}

#[test]
fn too_many_live_values_gives_no_kernel() {
    let terms: Vec<String> = (0..20).map(|i| format!("(v{i:02}*v{i:02}+1)")).collect();
    let rev: Vec<String> = terms.iter().rev().cloned().collect();
    let src = format!("({}) * ({})", terms.join(" + "), rev.join(" * "));
    assert!(map_kernel(&parse(&src).unwrap(), VectorIsa::Avx2, Prefetch::Off, false).is_none());
    let few = format!("({})", terms[..8].join(" + "));
    assert!(map_kernel(&parse(&few).unwrap(), VectorIsa::Avx2, Prefetch::Off, false).is_some());
}

#[test]
fn reduce_shapes() {
    let shape = |s: &str| reduce_shape(&parse_with_args(s, &["t", "x"]).unwrap(), 0);
    assert_eq!(shape("t + x").unwrap().0, ReduceOp::Add);
    assert_eq!(shape("x*x + t").unwrap().0, ReduceOp::Add);
    assert_eq!(shape("t * (x + 1)").unwrap().0, ReduceOp::Mul);
    // a difference is the sum of the negated term; the term minus the accumulator is not
    let (op, term) = shape("t - x").unwrap();
    assert_eq!((op, term.to_string()), (ReduceOp::Add, "-x".to_owned()));
    assert!(shape("x - t").is_none());
    assert!(shape("t + t*x").is_none());
    assert!(shape("max(t, x)").is_none());
    let e = parse_with_args("t + x", &["t", "x"]).unwrap();
    assert_eq!(fold_kernel(&e, 1 << 18, false).unwrap().block, 1);
    let sin = parse_with_args("t + sin(x)", &["t", "x"]).unwrap();
    assert!(fold_kernel(&sin, 1 << 18, false).is_none());
    // the unroll shrinks until the term fits beside the accumulators
    let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Sse2, 8, Prefetch::Off, false).unwrap();
    assert_eq!(k.block, 16);
}
