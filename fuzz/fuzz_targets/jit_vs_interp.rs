//! A random tree (built from the fuzzer's bytes as a postfix program: leaves `Num` with any
//! non-negative `f64`, as the parser makes them, and `Arg(0..4)`; `Unary` of every op;
//! `Binary` of every op but `Powf`; `If`) → printed to source → `Jit::compile_with_args` for
//! SysV and Win64, each with and without AVX → `call` with arbitrary arguments must equal `Expr::eval` bit for bit (any
//! NaN equals any NaN). The printed source must also parse back to the same tree.
#![no_main]

#[path = "../support/input.rs"]
mod input;
#[path = "../../tests/support/values.rs"]
mod values;
use input::value;
use values::same;

use arbitrary::{Arbitrary, Result, Unstructured};
use jit_compiler::{Ast, BinaryOp, Expr, Node, NodeId, Span, UnaryOp, parse_with_args};
use libfuzzer_sys::fuzz_target;
use trivial_jit::Jit;
use trivial_jit::compiler::codegen::Abi;

const ARGS: [&str; 4] = ["a", "b", "c", "x"];
const MAX_OPS: usize = 300;

/// A literal as the parser makes it: any non-negative `f64`, inf included; NaN is the one
/// NaN the parser makes (`nan` is `f64::NAN`), so that the printed tree re-parses the same.
fn literal(u: &mut Unstructured) -> Result<f64> {
    let v = match u.int_in_range(0u8..=3)? {
        0 => f64::from(u.int_in_range(0u8..=20)?),
        1 => value(u)?.abs(),
        2 => f64::from(u.int_in_range(0u8..=20)?) * 0.5,
        _ => f64::from_bits(u64::arbitrary(u)?).abs(),
    };
    Ok(if v.is_nan() { f64::NAN } else { v })
}

fn build(u: &mut Unstructured) -> Result<Expr> {
    let binary: Vec<BinaryOp> = BinaryOp::ALL
        .into_iter()
        .filter(|op| *op != BinaryOp::Powf)
        .collect();
    let mut ast = Ast::new();
    let mut stack: Vec<NodeId> = Vec::new();
    let span = Span::default();
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let node = match u.int_in_range(0u8..=9)? {
            0..=1 => Node::Num(literal(u)?),
            2..=3 => Node::Arg(u.int_in_range(0u32..=3)?),
            4..=5 if !stack.is_empty() => {
                let a = stack.pop().unwrap_or(NodeId::from_index(0));
                Node::Unary(*u.choose(&UnaryOp::ALL)?, a)
            }
            6..=8 if stack.len() >= 2 => {
                let b = stack.pop().unwrap_or(NodeId::from_index(0));
                let a = stack.pop().unwrap_or(NodeId::from_index(0));
                Node::Binary(*u.choose(&binary)?, a, b)
            }
            9 if stack.len() >= 3 => {
                let b = stack.pop().unwrap_or(NodeId::from_index(0));
                let a = stack.pop().unwrap_or(NodeId::from_index(0));
                let c = stack.pop().unwrap_or(NodeId::from_index(0));
                Node::If(c, a, b)
            }
            _ => Node::Arg(u.int_in_range(0u32..=3)?),
        };
        stack.push(ast.push(node, span));
    }
    // Join what is left on the stack, so every node is part of the tree.
    let mut root = match stack.first() {
        Some(&first) => first,
        None => ast.push(Node::Arg(3), span),
    };
    for &next in stack.iter().skip(1) {
        let op = *u.choose(&binary).unwrap_or(&BinaryOp::Add);
        root = ast.push(Node::Binary(op, root, next), span);
    }
    debug_assert_eq!(root, ast.root());
    let args = ARGS.iter().map(|s| (*s).to_owned()).collect();
    // well formed by construction: a failure here is a bug in this generator or the check
    Ok(Expr::from_parts(ast, args, None).expect("the generated tree is well formed"))
}

fuzz_target!(|data: &[u8]| {
    // Arguments first (a fixed number of bytes), then the tree.
    let (head, tail) = data.split_at(data.len().min(40));
    let mut ua = Unstructured::new(head);
    let args: [f64; 4] = std::array::from_fn(|_| value(&mut ua).unwrap_or(1.0));
    let Ok(expr) = build(&mut Unstructured::new(tail)) else {
        return;
    };
    let src = expr.to_string();
    let reparsed = parse_with_args(&src, &ARGS)
        .unwrap_or_else(|e| panic!("{src:?} does not parse: {}", e.render(&src)));
    assert!(
        reparsed == expr,
        "{src:?} parses to a different tree: {reparsed}"
    );
    let want = expr.eval(&args).expect("four arguments");
    for (abi, avx) in [
        (Abi::SysV, true),
        (Abi::SysV, false),
        (Abi::Win64, true),
        (Abi::Win64, false),
    ] {
        let f = Jit::builder()
            .abi(abi)
            .avx(avx)
            .compile_with_args(&src, &ARGS)
            .unwrap_or_else(|e| panic!("{src:?} {abi:?}: {}", e.render(&src)));
        let got = f.call(&args);
        assert!(
            same(want, got),
            "{src} {abi:?} avx {avx} {args:?}: jit {got:?} ({:#x}), interpreter {want:?} ({:#x})\n{}",
            got.to_bits(),
            want.to_bits(),
            f.listing()
        );
    }
});
