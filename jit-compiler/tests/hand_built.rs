//! Trees built by hand through the public API (`Ast::push`, `Expr::from_parts`): a malformed
//! one is an `ErrorKind::MalformedTree` error with the offending node's span, never a panic
//! later; a well-formed one evaluates and compiles like a parsed one.

use cases::cases;
use jit_compiler::ast::{Ast, Node, NodeId};
use jit_compiler::codegen::{Abi, compile};
use jit_compiler::ops::{BinaryOp, UnaryOp};
use jit_compiler::{ErrorKind, Expr, Registry, Span};
use proptest::prelude::*;
use std::sync::Arc;

#[path = "../../tests/support/cases.rs"]
mod cases;
#[path = "../../tests/support/hand_built.rs"]
mod support;
#[path = "../../tests/support/tree.rs"]
mod tree;

use support::{hand_built, leaf, raw_node};
use tree::{same, special};

fn malformed(ast: Ast, arity: usize, registry: Option<Arc<Registry>>) -> (ErrorKind, Span) {
    let args = (0..arity).map(|i| format!("x{i}")).collect();
    let err = Expr::from_parts(ast, args, registry).unwrap_err();
    (err.kind(), err.byte_span())
}

#[test]
fn an_empty_tree_is_malformed() {
    let (kind, _) = malformed(Ast::new(), 0, None);
    assert_eq!(kind, ErrorKind::MalformedTree);
}

#[test]
fn a_child_after_its_parent_is_malformed() {
    let mut ast = Ast::new();
    let at = Span::new(3, 5);
    ast.push(Node::Unary(UnaryOp::Neg, NodeId::from_index(0)), at); // its own child
    assert_eq!(malformed(ast, 0, None), (ErrorKind::MalformedTree, at));
    let mut ast = Ast::new();
    let one = ast.push(Node::Num(1.0), Span::default());
    ast.push(Node::If(one, NodeId::from_index(7), one), at);
    assert_eq!(malformed(ast, 0, None), (ErrorKind::MalformedTree, at));
}

#[test]
fn an_argument_beyond_the_list_is_malformed() {
    let mut ast = Ast::new();
    let x = ast.push(Node::Arg(0), Span::new(0, 1));
    let y = ast.push(Node::Arg(1), Span::new(2, 3));
    ast.push(Node::Binary(BinaryOp::Add, x, y), Span::new(0, 3));
    assert_eq!(
        malformed(ast.clone(), 1, None),
        (ErrorKind::MalformedTree, Span::new(2, 3))
    );
    let args = vec!["x".to_owned(), "y".to_owned()];
    assert_eq!(
        Expr::from_parts(ast, args, None)
            .unwrap()
            .eval(&[1.0, 2.0])
            .unwrap(),
        3.0
    );
}

#[test]
fn calls_must_name_a_registered_function_with_its_arity() {
    let mut reg = Registry::new();
    reg.closure("twice", 1, |a| 2.0 * a[0]).unwrap();
    let reg = Arc::new(reg);
    let call = |f: u32, n: usize| {
        let mut ast = Ast::new();
        let args: Vec<NodeId> = (0..n)
            .map(|_| ast.push(Node::Num(4.0), Span::default()))
            .collect();
        let list = ast.push_call_args(&args);
        ast.push(Node::Call(f, list), Span::new(1, 2));
        ast
    };
    let bad = (ErrorKind::MalformedTree, Span::new(1, 2));
    assert_eq!(malformed(call(0, 1), 0, None), bad); // no registry
    assert_eq!(malformed(call(1, 1), 0, Some(reg.clone())), bad); // no function 1
    assert_eq!(malformed(call(0, 2), 0, Some(reg.clone())), bad); // wrong arity
    let good = Expr::from_parts(call(0, 1), vec![], Some(reg.clone())).unwrap();
    assert_eq!(good.eval(&[]).unwrap(), 8.0);
    // an argument list of a longer tree, used in a shorter one
    let mut long = Ast::new();
    let nodes: Vec<NodeId> = (0..3)
        .map(|_| long.push(Node::Num(1.0), Span::default()))
        .collect();
    long.push_call_args(&nodes);
    let list = long.push_call_args(&nodes[..1]);
    let mut short = Ast::new();
    short.push(Node::Num(1.0), Span::default());
    short.push(Node::Call(0, list), Span::new(1, 2));
    assert_eq!(malformed(short, 0, Some(reg)), bad);
}

#[test]
fn with_ast_checks_the_new_tree_against_the_arguments() {
    let expr = jit_compiler::parse("x").unwrap();
    let mut ast = Ast::new();
    ast.push(Node::Arg(1), Span::new(0, 1));
    assert_eq!(
        expr.with_ast(ast).unwrap_err().kind(),
        ErrorKind::MalformedTree
    );
}

proptest! {
    #![proptest_config(cases(3000))]

    /// Whatever the nodes, `from_parts` refuses the tree, or the interpreter, the simplifier
    /// and the code generator take it: the simplified tree computes the same bits on special
    /// values (the JIT runs these trees in the root crate's `jit_properties`).
    #[test]
    fn any_hand_built_tree_is_refused_or_works(
        leaves in proptest::collection::vec(leaf(), 0..3),
        inner in proptest::collection::vec(raw_node(), 0..40),
        arity in prop_oneof![3 => Just(4usize), 1 => 0usize..4],
        values in proptest::array::uniform4(special()),
    ) {
        match hand_built(&leaves, &inner, arity) {
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::MalformedTree),
            Ok(expr) => {
                let values = &values[..arity];
                let v = expr.eval(values).unwrap();
                let simple = expr.simplified().eval(values).unwrap();
                prop_assert!(same(v, simple), "{v:?} simplified {simple:?}");
                for abi in [Abi::SysV, Abi::Win64] {
                    compile(&expr, abi).unwrap();
                }
            }
        }
    }
}
