//! Random expression trees for property tests, shared by the compiler's and the JIT's tests
//! (included with `#[path]`).
#![allow(dead_code)]

use jit_compiler::{Ast, BinaryOp, Expr, Node, NodeId, Span, UnaryOp};
use proptest::prelude::*;

/// Ten arguments: beyond the 8 that System V passes in registers and the 4 of Win64, so the
/// random trees read some from the stack.
pub const ARGS: [&str; 10] = ["a", "b", "c", "d", "f", "h", "k", "m", "u", "x"];

/// A random tree, built recursively by proptest and then flattened.
#[derive(Clone, Debug)]
pub enum T {
    Num(f64),
    Arg(u32),
    Un(UnaryOp, Box<T>),
    Bin(BinaryOp, Box<T>, Box<T>),
    If(Box<T>, Box<T>, Box<T>),
}

/// Non-negative numbers (the parser never makes negative literals), special values included.
pub fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..20).prop_map(f64::from),
        Just(0.5),
        Just(2.5),
        Just(f64::INFINITY),
        Just(f64::NAN),
        Just(5e-324),
        Just(1e300),
        Just(1e-7),
        (0.0..1e6f64),
    ]
}

/// An exponent written as a constant (`-` applied to a literal for a negative one, as the
/// parser builds it): mostly integers, which are computed by squaring (§3.2), from small to
/// near 2^63, and a few that go to `powf` (2^63 and beyond, fractions) or to `sqrt`.
pub fn exponent() -> impl Strategy<Value = T> {
    let magnitude = prop_oneof![
        6 => (0u32..=70).prop_map(f64::from),
        1 => Just(4_611_686_018_427_387_904.0), // 2^62: 62 squarings
        1 => Just(9_223_372_036_854_774_784.0), // the largest double below 2^63
        1 => Just(9_223_372_036_854_775_808.0), // 2^63: no longer an integer power
        1 => Just(0.5),
        1 => Just(1.5),
    ];
    (magnitude, any::<bool>()).prop_map(|(m, negative)| {
        let n = T::Num(m);
        if negative {
            T::Un(UnaryOp::Neg, Box::new(n))
        } else {
            n
        }
    })
}

pub fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![number().prop_map(T::Num), (0u32..10).prop_map(T::Arg)];
    leaf.prop_recursive(8, 96, 3, |inner| {
        let unary = proptest::sample::select(UnaryOp::ALL.to_vec());
        let binary = proptest::sample::select(
            BinaryOp::ALL
                .iter()
                .copied()
                .filter(|op| *op != BinaryOp::Powf)
                .collect::<Vec<_>>(),
        );
        prop_oneof![
            (unary, inner.clone()).prop_map(|(op, a)| T::Un(op, Box::new(a))),
            (binary, inner.clone(), inner.clone()).prop_map(|(op, a, b)| T::Bin(
                op,
                Box::new(a),
                Box::new(b)
            )),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| T::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            )),
            // powers with constant exponents: `^` is one binary operator in 16 above, and a
            // random right side is rarely a constant integer
            (inner, exponent()).prop_map(|(a, n)| T::Bin(BinaryOp::Pow, Box::new(a), Box::new(n))),
        ]
    })
}

pub fn flatten(t: &T, ast: &mut Ast) -> NodeId {
    let node = match t {
        T::Num(v) => Node::Num(*v),
        T::Arg(i) => Node::Arg(*i),
        T::Un(op, a) => Node::Unary(*op, flatten(a, ast)),
        T::Bin(op, a, b) => {
            let a = flatten(a, ast);
            Node::Binary(*op, a, flatten(b, ast))
        }
        T::If(c, a, b) => {
            let c = flatten(c, ast);
            let a = flatten(a, ast);
            Node::If(c, a, flatten(b, ast))
        }
    };
    ast.push(node, Span::default())
}

pub fn to_expr(t: &T) -> Expr {
    let mut ast = Ast::new();
    flatten(t, &mut ast);
    Expr::from_parts(ast, ARGS.iter().map(|s| s.to_string()).collect(), None)
        .expect("generated trees are well formed")
}

pub fn special() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(-1.0),
        Just(0.5),
        Just(-2.5),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(1e-310),
        Just(1e308),
        any::<f64>(),
    ]
}

#[path = "values.rs"]
pub mod values;
pub use values::same;
