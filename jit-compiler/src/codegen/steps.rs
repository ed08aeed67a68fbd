//! The order in which the scalar machine code computes an expression's values and where it
//! branches, as a list of steps, for generators of other code: `jit_expr!`'s plain-Rust
//! expansion (non-x86-64 targets) follows it, so a function is called on the same paths
//! there as in the machine code. (The scalar code pairs some divisions into one `divpd`,
//! which moves a few values earlier, `codegen/pair.rs`; the steps are the order before that:
//! a valid order, with the same calls on the same paths.)
//!
//! ```
//! use jit_compiler::codegen::steps::{Step, steps};
//! let e = jit_compiler::parse("if(x > 0, exp(x), 2*x)").unwrap();
//! let s = steps(&e);
//! // x, 0 and the comparison; then-side: exp(x); else-side: 2*x (or x+x); the if
//! let kinds: Vec<&str> = s.steps.iter().map(|step| match step {
//!     Step::Value(_) => "value",
//!     Step::Then(_) => "then",
//!     Step::Else(_) => "else",
//!     Step::End(_) => "end",
//! }).collect();
//! assert_eq!(kinds, ["value", "value", "value", "then", "value", "else", "value", "end"]);
//! ```

use super::branch::Side;
use super::dag::Dag;
use crate::ast::{Ast, Node, NodeId};
use crate::expr::Expr;

/// An expression's simplified tree (equal subtrees merged into one node) and its steps.
///
/// ```
/// use jit_compiler::codegen::steps::{Step, steps};
/// let s = steps(&jit_compiler::parse("(x + 1)*(x + 1)").unwrap());
/// // x, 1, x + 1 once (merged), the product
/// assert_eq!(s.steps.len(), 4);
/// assert_eq!(s.steps.last(), Some(&Step::Value(s.root)));
/// ```
#[derive(Clone, Debug)]
pub struct Steps {
    /// The tree. Nodes no step names are not needed.
    pub ast: Ast,
    /// The node whose value is the expression's.
    pub root: NodeId,
    /// Every needed node once, operands before the nodes that use them.
    pub steps: Vec<Step>,
}

/// One step of [`Steps`].
///
/// ```
/// use jit_compiler::codegen::steps::{Step, steps};
/// // an `if` whose sides only compute selects: no branch
/// let s = steps(&jit_compiler::parse("if(x > 0, x, -x)").unwrap());
/// assert!(s.steps.iter().all(|step| matches!(step, Step::Value(_))));
/// // one whose side calls a function branches
/// let s = steps(&jit_compiler::parse("if(x > 0, sin(x), 0)").unwrap());
/// assert!(s.steps.iter().any(|step| matches!(step, Step::Then(_))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Compute the node's value from its operands'. For an `if` node: select its then- or
    /// else-operand's value by the condition's (all three are computed before).
    Value(NodeId),
    /// A branching `if` (the node) begins: its condition's value is computed; the steps up to
    /// the matching [`Step::Else`] are taken only when it is true (see `ops::is_truthy`),
    /// and end with the then-operand's value computed.
    Then(NodeId),
    /// The steps up to the matching [`Step::End`] are taken only when the condition is false,
    /// and end with the else-operand's value computed. Values computed in the other side are
    /// not used after it.
    Else(NodeId),
    /// The branching `if` ends: its value is the then- or else-operand's, whichever side ran.
    End(NodeId),
}

/// The steps of the scalar machine code for `expr`: `if`s whose sides call functions
/// branch, the others select (see `codegen/branch.rs`). Bounded work: linear in the size of
/// the tree, whatever the nesting.
///
/// ```
/// use jit_compiler::codegen::steps::{Step, steps};
/// use jit_compiler::{BinaryOp, Node, UnaryOp};
/// let s = steps(&jit_compiler::parse("sin(x)*2").unwrap());
/// let nodes: Vec<Node> = s.steps.iter().map(|step| match step {
///     Step::Value(v) => s.ast.node(*v),
///     _ => unreachable!("no if"),
/// }).collect();
/// // the simplified tree: `s*2` is `s + s`, with `s = sin(x)` computed once
/// assert!(matches!(nodes[..],
///     [Node::Arg(0), Node::Unary(UnaryOp::Sin, _), Node::Binary(BinaryOp::Add, a, b)] if a == b));
/// ```
pub fn steps(expr: &Expr) -> Steps {
    let (ast, root) = expr.simplified_for_codegen();
    let (dag, plan) = Dag::with_branches(&ast, root);
    let fused = |v: NodeId| plan.fused.get(v.index()).copied().unwrap_or(false);
    // A comparison that is an `if`'s condition only is left out of the order (the machine
    // code compares its operands in place): here it is a value computed just before the
    // `if` needs it.
    let condition = |out: &mut Vec<Step>, v: NodeId| {
        if let Node::If(c, ..) = dag.ast.node(v)
            && fused(c)
        {
            out.push(Step::Value(c));
        }
    };
    let mut out = Vec::with_capacity(dag.order.len() + 3 * plan.marks.len());
    let mut marks = plan.marks.iter().peekable();
    let mut open = Vec::new();
    for (at, &v) in dag.order.iter().enumerate() {
        while let Some(mark) = marks.next_if(|m| m.at as usize == at) {
            match mark.side {
                Side::Then => {
                    condition(&mut out, mark.node);
                    open.push(mark.node);
                    out.push(Step::Then(mark.node));
                }
                Side::Else => out.push(Step::Else(mark.node)),
            }
        }
        if open.last() == Some(&v) {
            open.pop();
            out.push(Step::End(v));
        } else {
            condition(&mut out, v);
            out.push(Step::Value(v));
        }
    }
    Steps {
        ast,
        root,
        steps: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that `s` is a valid program: blocks balanced, every operand computed before
    /// its use in the same block or an enclosing one (values of a closed side are gone), a
    /// side's operand computed by the end of its block, every node named once, the root
    /// last. Returns how many `if`s branch.
    fn check(src: &str) -> usize {
        let e = crate::parse(src).unwrap();
        let s = steps(&e);
        // per block: the nodes it computed; `None` outside every block
        let mut scopes: Vec<Vec<NodeId>> = vec![Vec::new()];
        let mut open: Vec<NodeId> = Vec::new();
        let visible = |scopes: &[Vec<NodeId>], v: NodeId| scopes.iter().any(|b| b.contains(&v));
        let mut named = vec![0u32; s.ast.len()];
        let mut branching = 0;
        for &step in &s.steps {
            match step {
                Step::Value(v) => {
                    for c in s.ast.children(s.ast.node(v)).iter() {
                        assert!(visible(&scopes, c), "{src}: {c:?} used by {v:?} unseen");
                    }
                    named[v.index()] += 1;
                    scopes.last_mut().unwrap().push(v);
                }
                Step::Then(v) => {
                    let Node::If(c, ..) = s.ast.node(v) else {
                        panic!("{src}: Then on {v:?}")
                    };
                    assert!(visible(&scopes, c), "{src}: condition of {v:?} unseen");
                    open.push(v);
                    scopes.push(Vec::new());
                    branching += 1;
                }
                Step::Else(v) => {
                    assert_eq!(open.last(), Some(&v), "{src}");
                    let Node::If(_, x, _) = s.ast.node(v) else {
                        unreachable!()
                    };
                    assert!(visible(&scopes, x), "{src}: then-value of {v:?} unseen");
                    *scopes.last_mut().unwrap() = Vec::new();
                }
                Step::End(v) => {
                    assert_eq!(open.pop(), Some(v), "{src}");
                    let Node::If(_, _, y) = s.ast.node(v) else {
                        unreachable!()
                    };
                    assert!(visible(&scopes, y), "{src}: else-value of {v:?} unseen");
                    scopes.pop();
                    named[v.index()] += 1;
                    scopes.last_mut().unwrap().push(v);
                }
            }
        }
        assert!(open.is_empty(), "{src}: unclosed {open:?}");
        assert_eq!(scopes.len(), 1, "{src}");
        assert!(named.iter().all(|&n| n <= 1), "{src}: a node named twice");
        let last = match s.steps.last() {
            Some(Step::Value(v) | Step::End(v)) => *v,
            other => panic!("{src}: ends with {other:?}"),
        };
        assert_eq!(last, s.root, "{src}");
        branching
    }

    #[test]
    fn steps_are_valid_and_branch_where_the_code_does() {
        let cases = [
            ("2*x^0.5 + y", 0),
            ("if(x > 0, x*x, 2*x)", 0),
            ("if(x > 0, exp(x), sin(x))", 1),
            ("if(x, exp(x), 1)", 1),
            ("if(x > y, exp(x) + exp(y), 0) + exp(y)", 1),
            ("if(x > 0, if(y > 0, exp(x), sin(y)), cos(x*y)) * y", 2),
            ("if(x > 0, if(y > 0, x, y), exp(x))", 1),
            ("if(x > 0, 1, 2) + if(x < 0, exp(x), 3)", 1),
            ("if(x == y, if(x != 0, ln(x), 0), if(y >= 1, exp(y), y))", 3),
            ("if(x < 1, sin(x), sin(x))", 0), // one value: merged, nothing to branch on
        ];
        for (src, branching) in cases {
            assert_eq!(check(src), branching, "{src}");
        }
    }

    /// A nest deeper than the planner's budget still gives valid steps (the outer `if`s
    /// select), with no recursion.
    #[test]
    fn deep_nests_give_valid_steps() {
        let mut src = String::from("exp(x)");
        for i in 0..3000 {
            src = format!("if(x > {i}, sin(x) + {i}, {src})");
        }
        assert!(check(&src) > 0);
    }
}
