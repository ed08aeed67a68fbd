//! Trees built node by node, as `Ast::push` takes them, with any nodes (powers of any
//! integer exponent, shared children, references that make them malformed), shared by the
//! compiler's and the JIT's tests (included with `#[path]`).
#![allow(dead_code)]

use jit_compiler::ast::{Ast, Node, NodeId};
use jit_compiler::ops::{BinaryOp, UnaryOp};
use jit_compiler::{Expr, Span};
use proptest::prelude::*;

/// A child reference as a distance back from its parent; 0 (rarely) makes a reference to
/// the parent itself or beyond: a malformed tree.
pub fn back() -> impl Strategy<Value = usize> {
    prop_oneof![30 => 1usize..4, 1 => Just(0usize)]
}

/// A node with child references `back()` nodes before it (an index that would be negative
/// becomes one after it) and argument indices in 0..4.
#[derive(Clone, Debug)]
pub enum Raw {
    Num(f64),
    Arg(u32),
    Unary(UnaryOp, usize),
    Binary(BinaryOp, usize, usize),
    PowI(usize, i64),
    If(usize, usize, usize),
}

pub fn raw_node() -> impl Strategy<Value = Raw> {
    prop_oneof![
        any::<f64>().prop_map(Raw::Num),
        (0u32..4).prop_map(Raw::Arg),
        (0..UnaryOp::ALL.len(), back()).prop_map(|(o, a)| Raw::Unary(UnaryOp::ALL[o], a)),
        (0..BinaryOp::ALL.len(), back(), back()).prop_map(|(o, a, b)| Raw::Binary(
            BinaryOp::ALL[o],
            a,
            b
        )),
        (back(), -9i64..9).prop_map(|(a, n)| Raw::PowI(a, n)),
        (back(), back(), back()).prop_map(|(c, a, b)| Raw::If(c, a, b)),
    ]
}

/// A leaf, to start a tree with.
pub fn leaf() -> impl Strategy<Value = Raw> {
    prop_oneof![
        any::<f64>().prop_map(Raw::Num),
        (0u32..4).prop_map(Raw::Arg)
    ]
}

/// The node for `raw` at index `at`: a distance 0 refers to the node itself; a distance
/// beyond the start wraps around to the tree's first nodes.
pub fn place(raw: &Raw, at: usize) -> Node {
    let id = |back: usize| match back {
        0 => NodeId::from_index(at),
        _ => NodeId::from_index(at.saturating_sub(back)),
    };
    match *raw {
        Raw::Num(v) => Node::Num(v),
        Raw::Arg(a) => Node::Arg(a),
        Raw::Unary(op, a) => Node::Unary(op, id(a)),
        Raw::Binary(op, a, b) => Node::Binary(op, id(a), id(b)),
        Raw::PowI(a, n) => Node::PowI(id(a), n),
        Raw::If(c, a, b) => Node::If(id(c), id(a), id(b)),
    }
}

/// The expression of `leaves` then `inner` (arguments `x0`..), or the error of
/// `Expr::from_parts` for a malformed tree.
pub fn hand_built(leaves: &[Raw], inner: &[Raw], arity: usize) -> jit_compiler::Result<Expr> {
    let mut ast = Ast::new();
    for (at, r) in leaves.iter().chain(inner).enumerate() {
        ast.push(place(r, at), Span::default());
    }
    let args: Vec<String> = (0..arity).map(|i| format!("x{i}")).collect();
    Expr::from_parts(ast, args, None)
}
