//! `codegen::steps`, the schedule that `jit_expr!`'s plain-Rust expansion follows, run by a
//! small evaluator that takes only the chosen side of each branching `if` and never reads a
//! value it has not computed: equal to the interpreter bit for bit on random trees, and the
//! sides not taken are skipped.

#[path = "support/cases.rs"]
mod cases;
#[path = "support/tree.rs"]
mod tree;

use cases::cases;
use jit_compiler::codegen::steps::{Step, Steps, steps};
use jit_compiler::ops::{is_truthy, powi};
use jit_compiler::{Expr, Node, parse};
use proptest::prelude::*;
use tree::{same, special, to_expr, tree};

/// Runs the steps with these arguments: the value, and how many steps were skipped.
fn run(s: &Steps, args: &[f64]) -> (f64, usize) {
    let mut values: Vec<Option<f64>> = vec![None; s.ast.len()];
    let get = |values: &[Option<f64>], i: jit_compiler::NodeId| {
        values[i.index()].unwrap_or_else(|| panic!("{i:?} read before it was computed"))
    };
    // the open branching `if`s and whether their condition held
    let mut open: Vec<bool> = Vec::new();
    let (mut at, mut skipped) = (0, 0);
    while at < s.steps.len() {
        match s.steps[at] {
            Step::Value(i) => {
                let v = match s.ast.node(i) {
                    Node::Num(x) => x,
                    Node::Arg(k) => args[k as usize],
                    Node::Unary(op, x) => op.apply(get(&values, x)),
                    Node::Binary(op, x, y) => op.apply(get(&values, x), get(&values, y)),
                    Node::PowI(x, n) => powi(get(&values, x), n),
                    Node::If(c, x, y) => {
                        let (c, x, y) = (get(&values, c), get(&values, x), get(&values, y));
                        if is_truthy(c) { x } else { y }
                    }
                    Node::Call(..) => unreachable!("no user functions here"),
                };
                values[i.index()] = Some(v);
            }
            Step::Then(i) => {
                let Node::If(c, ..) = s.ast.node(i) else {
                    unreachable!()
                };
                let taken = is_truthy(get(&values, c));
                open.push(taken);
                if !taken {
                    let to = matching(s, at, Step::Else(i));
                    skipped += to - at - 1;
                    at = to;
                }
            }
            Step::Else(i) => {
                // reached by running the then-side: the else-side is skipped
                let to = matching(s, at, Step::End(i));
                skipped += to - at - 1;
                at = to;
                continue;
            }
            Step::End(i) => {
                let Node::If(_, x, y) = s.ast.node(i) else {
                    unreachable!()
                };
                let took_then = open.pop().expect("an End without a Then");
                let v = get(&values, if took_then { x } else { y });
                values[i.index()] = Some(v);
            }
        }
        at += 1;
    }
    (get(&values, s.root), skipped)
}

/// The position of `step` after `from` (each `if` node has one of each step).
fn matching(s: &Steps, from: usize, step: Step) -> usize {
    from + s.steps[from..]
        .iter()
        .position(|&x| x == step)
        .expect("every side ends")
}

fn check(expr: &Expr, args: &[f64]) -> usize {
    let want = expr.eval(args).unwrap();
    let (got, skipped) = run(&steps(expr), args);
    assert!(
        same(want, got),
        "{expr} {args:?}: steps {got:?}, interpreter {want:?}"
    );
    skipped
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn steps_compute_what_the_interpreter_does(t in tree(), args in proptest::array::uniform10(special())) {
        check(&to_expr(&t), &args);
    }
}

/// A side that calls a function is skipped when not chosen; a cheap one is computed anyway
/// (the `if` selects).
#[test]
fn the_side_not_chosen_is_skipped_when_it_calls() {
    let e = parse("if(x > 0, exp(x) * 2, sin(x) + 1)").unwrap();
    assert!(check(&e, &[1.0]) > 0);
    assert!(check(&e, &[-1.0]) > 0);
    assert!(check(&e, &[f64::NAN]) > 0);
    let cheap = parse("if(x > 0, x * 2, x + 1)").unwrap();
    assert_eq!(check(&cheap, &[1.0]), 0);
    let nested = parse("if(x > 0, if(x > 5, ln(x), cos(x)), exp(x)) + x").unwrap();
    for x in [-1.0, 1.0, 6.0, 0.0, -0.0, f64::INFINITY] {
        assert!(check(&nested, &[x]) > 0, "{x}");
    }
}
