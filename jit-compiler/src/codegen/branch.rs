//! Which `if`s jump instead of blending, which conditions are tested in place, and the
//! schedule that lets them.
//!
//! A blended `if(c, a, b)` computes both sides and selects one with masks: for cheap sides
//! that is the fastest code (no branch to mispredict). When a side calls a function
//! (`exp(x)`, a user function), computing it on the path not taken costs the call, and a
//! user function's side effects would happen for the side not chosen. Such an `if` becomes a
//! branch, as the interpreter evaluates it:
//!
//! ```text
//!     ...                  ; what both sides share is computed before the branch,
//!                          ; then every value still needed is stored to memory
//!                          ; (and stays in its register for either side)
//!     ucomisd c, [0.0]     ; ZF = 1: c is zero or NaN (a fused `x > y`: see below)
//!     je    else
//!     ...then side...      ; its result to xmm0
//!     jmp   join
//! else:
//!     ...else side...      ; its result to xmm0
//! join:                    ; the if's value is in xmm0
//! ```
//!
//! A side's *region* is the set of nodes only that side uses: the side's child if the `if`
//! is its only user, then every node all of whose uses come from the region (counted, like
//! a topological sort). Exactly those are computed inside the branch; everything else is
//! computed before it. An `if` branches when one of its regions contains a call.
//!
//! The schedule keeps its order except that each branching `if`'s regions move, in their
//! order, to just before the `if`: first the then-region, then the else-region. Regions of
//! different `if`s are nested or disjoint, so this is a stable grouping of the order by
//! innermost region, expanded recursively (with an explicit stack: nesting has no bound
//! but the parser's). [`Mark`]s say where each side begins.
//!
//! A condition that is a comparison used by its `if` only is *fused*: it is left out of
//! the order, and the `if` compares the operands itself, into the blend's mask or the
//! branch's flags (`ucomisd y, x` / `jbe else` for `x < y`), without making 1 or 0 of it.
//!
//! Cost: nothing without an `if`, and regions only when the expression also calls a
//! function. Finding a region visits its nodes' children; an `if` nested in another's region
//! is visited again for the outer one. So that deep nests stay linear, the visits are
//! budgeted at 16 per node: once the budget is spent, the remaining (outer) `if`s blend.

use super::dag::{Dag, is_call};
use crate::ast::{Node, NodeId};

/// Where a side of a branching `if` begins in [`Dag::order`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The side begins before the value at this position of the order.
    pub at: u32,
    /// The `if` node (which comes after both of its sides in the order).
    pub node: NodeId,
    /// Which side begins here.
    pub side: Side,
}

/// A side of an `if`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The value when the condition is non-zero: the branch is taken before it.
    Then,
    /// The value when the condition is zero or NaN.
    Else,
}

/// No region.
const NONE: u32 = u32::MAX;

/// Visits of children allowed per node of the tree (see the module docs).
const BUDGET_PER_NODE: usize = 16;

/// Working memory of [`plan`], kept between compilations.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Per node: its uses counted from the region being built.
    inside: Vec<u32>,
    /// Nodes whose `inside` count is not zero.
    touched: Vec<NodeId>,
    /// The regions being built.
    members: Vec<NodeId>,
    /// Per node: its innermost region (`2k` the then-side, `2k + 1` the else-side of the
    /// `k`-th branching `if`), or `NONE`.
    region: Vec<u32>,
    /// Per node: `k + 1` if it is the `k`-th branching `if`, else 0.
    branch: Vec<u32>,
    /// The branching `if`s, inner ones first.
    ifs: Vec<NodeId>,
    /// The order grouped by region (top level first), and where each group starts.
    grouped: Vec<NodeId>,
    starts: Vec<u32>,
    /// The new order, and the groups being expanded (group, next position).
    order: Vec<NodeId>,
    stack: Vec<(usize, u32)>,
}

/// What [`plan`] decides: where sides begin, and which conditions are fused (per node;
/// empty when the tree has no `if`).
#[derive(Default)]
pub(crate) struct Plan {
    pub marks: Vec<Mark>,
    pub fused: Vec<bool>,
}

/// Fuses the conditions that can be, chooses the `if`s that branch, reorders `dag.order`
/// for both and fills `plan` (empty). `calls_below(v)`: does the subtree of `v` contain a
/// call?
pub(crate) fn plan(
    dag: &mut Dag,
    calls_below: impl Fn(NodeId) -> bool,
    s: &mut Scratch,
    plan: &mut Plan,
) {
    if !fuse_conditions(dag, &mut plan.fused) {
        return;
    }
    let branching = dag.calls && {
        find_regions(dag, calls_below, s);
        !s.ifs.is_empty()
    };
    if branching {
        group(dag, &plan.fused, s);
        expand(dag, s, &mut plan.marks);
    } else {
        let fused = &plan.fused;
        dag.order.retain(|v| !fused[v.index()]);
    }
}

/// Marks the conditions that are comparisons used by their `if` only; false if there is no
/// `if` at all.
fn fuse_conditions(dag: &Dag, fused: &mut Vec<bool>) -> bool {
    let mut any_if = false;
    fused.resize(dag.ast.len(), false);
    for &id in &dag.order {
        if let Node::If(c, ..) = dag.ast.node(id) {
            any_if = true;
            let comparison = matches!(dag.ast.node(c), Node::Binary(op, ..) if op.is_comparison());
            fused[c.index()] = comparison && dag.uses[c.index()] == 1;
        }
    }
    any_if
}

/// Fills `s.region` and `s.ifs`: the regions of the `if`s that branch.
fn find_regions(dag: &Dag, calls_below: impl Fn(NodeId) -> bool, s: &mut Scratch) {
    let n = dag.ast.len();
    s.inside.clear();
    s.inside.resize(n, 0);
    s.region.clear();
    s.region.resize(n, NONE);
    s.ifs.clear();
    let mut budget = BUDGET_PER_NODE * n + 256;
    // children before parents: an `if` inside another's region is settled first
    for &id in &dag.order {
        let Node::If(_, a, b) = dag.ast.node(id) else {
            continue;
        };
        if !calls_below(a) && !calls_below(b) {
            continue;
        }
        s.members.clear();
        let Some(split) = region(dag, a, s, &mut budget).and_then(|_| {
            let split = s.members.len();
            region(dag, b, s, &mut budget).map(|_| split)
        }) else {
            return; // out of budget: this `if` and the ones around it blend
        };
        let node = |v: &NodeId| dag.ast.node(*v);
        if !s.members.iter().any(|v| is_call(node(v))) {
            continue;
        }
        let k = s.ifs.len() as u32;
        s.ifs.push(id);
        for (i, v) in s.members.iter().enumerate() {
            let r = &mut s.region[v.index()];
            if *r == NONE {
                *r = 2 * k + u32::from(i >= split);
            }
        }
    }
}

/// Appends to `s.members` the region of the side whose child is `top` (nothing if the `if`
/// is not its only user). `None` when the budget runs out.
fn region(dag: &Dag, top: NodeId, s: &mut Scratch, budget: &mut usize) -> Option<()> {
    let start = s.members.len();
    count_use(dag, top, s);
    let mut next = start;
    let result = loop {
        let Some(&v) = s.members.get(next) else {
            break Some(());
        };
        next += 1;
        let children = dag.ast.children(dag.ast.node(v));
        let Some(left) = budget.checked_sub(children.as_slice().len()) else {
            break None;
        };
        *budget = left;
        for c in children.iter() {
            count_use(dag, c, s);
        }
    };
    for v in s.touched.drain(..) {
        s.inside[v.index()] = 0;
    }
    result
}

/// Counts one use of `v` from the region; `v` joins it when that was its last use.
fn count_use(dag: &Dag, v: NodeId, s: &mut Scratch) {
    let count = &mut s.inside[v.index()];
    if *count == 0 {
        s.touched.push(v);
    }
    *count += 1;
    if *count == dag.uses[v.index()] {
        s.members.push(v);
    }
}

/// Fills `s.grouped` and `s.starts`: the order grouped by innermost region, stably, without
/// the fused conditions; group 0 is the top level, group `r + 1` region `r`.
fn group(dag: &Dag, fused: &[bool], s: &mut Scratch) {
    let groups = 2 * s.ifs.len() + 1;
    let group_of = |v: &NodeId| {
        let r = s.region[v.index()];
        (!fused[v.index()]).then_some(r.wrapping_add(1) as usize)
    };
    s.starts.clear();
    s.starts.resize(groups + 1, 0);
    for g in dag.order.iter().filter_map(group_of) {
        s.starts[g + 1] += 1;
    }
    for g in 0..groups {
        s.starts[g + 1] += s.starts[g];
    }
    s.grouped.clear();
    s.grouped
        .resize(s.starts[groups] as usize, NodeId::from_index(0));
    // `s.stack` as the next free place of each group
    s.stack.clear();
    s.stack.extend((0..groups).map(|g| (g, s.starts[g])));
    for &v in &dag.order {
        let Some(g) = group_of(&v) else { continue };
        let place = &mut s.stack[g].1;
        s.grouped[*place as usize] = v;
        *place += 1;
    }
    s.branch.clear();
    s.branch.resize(dag.ast.len(), 0);
    for (k, v) in s.ifs.iter().enumerate() {
        s.branch[v.index()] = k as u32 + 1;
    }
}

/// The new order: the top-level group, with each branching `if` preceded by its
/// then-region and its else-region (expanded the same way), and the marks.
fn expand(dag: &mut Dag, s: &mut Scratch, marks: &mut Vec<Mark>) {
    s.order.clear();
    s.stack.clear();
    s.stack.push((0, s.starts[0]));
    while let Some(&mut (g, ref mut next)) = s.stack.last_mut() {
        if *next == s.starts[g + 1] {
            s.stack.pop();
            let Some(r) = g.checked_sub(1) else { break };
            let node = s.ifs[r / 2];
            if r % 2 == 0 {
                mark(marks, s.order.len(), node, Side::Else);
                s.stack.push((g + 1, s.starts[g + 1]));
            } else {
                s.order.push(node);
            }
            continue;
        }
        let v = s.grouped[*next as usize];
        *next += 1;
        match s.branch[v.index()] {
            0 => s.order.push(v),
            k => {
                mark(marks, s.order.len(), v, Side::Then);
                let then_group = 2 * (k as usize - 1) + 1;
                s.stack.push((then_group, s.starts[then_group]));
            }
        }
    }
    std::mem::swap(&mut dag.order, &mut s.order);
}

fn mark(marks: &mut Vec<Mark>, at: usize, node: NodeId, side: Side) {
    marks.push(Mark {
        at: at as u32,
        node,
        side,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` of the planned tree, its marks and its fused conditions (lent: the plan borrows
    /// the tree, which lives in here).
    fn planned<R>(src: &str, f: impl FnOnce(&Dag, &[Mark], &[NodeId]) -> R) -> R {
        let e = crate::parse(src).unwrap();
        let (ast, root) = e.simplified_for_codegen();
        let (dag, plan) = Dag::with_branches(&ast, root);
        let fused: Vec<NodeId> = (0..dag.ast.len())
            .filter(|&i| plan.fused.get(i).copied().unwrap_or(false))
            .map(NodeId::from_index)
            .collect();
        assert_valid(&dag, &plan.marks, &fused);
        f(&dag, &plan.marks, &fused)
    }

    /// Every node once, children before parents, the root last, but for the fused
    /// conditions, which are absent (each the condition of an `if` it alone uses); each
    /// branching `if` after its two marks.
    fn assert_valid(dag: &Dag, marks: &[Mark], fused: &[NodeId]) {
        let mut at = vec![usize::MAX; dag.ast.len()];
        for (i, v) in dag.order.iter().enumerate() {
            assert_eq!(at[v.index()], usize::MAX, "scheduled twice");
            assert!(!fused.contains(v), "a fused condition is scheduled");
            at[v.index()] = i;
            for c in dag.ast.children(dag.ast.node(*v)).iter() {
                let fused_here = matches!(dag.ast.node(*v), Node::If(cond, ..) if cond == c)
                    && fused.contains(&c);
                assert!(fused_here || at[c.index()] < i, "a child after its parent");
            }
        }
        for c in fused {
            assert_eq!(dag.uses[c.index()], 1);
        }
        assert_eq!(dag.order.last(), Some(&dag.root));
        for pair in marks.chunks(2).filter(|p| p[0].node == p[1].node) {
            assert!(pair[0].at <= pair[1].at);
        }
        for m in marks {
            assert!((m.at as usize) <= at[m.node.index()], "a side after its if");
        }
        assert!(marks.windows(2).all(|w| w[0].at <= w[1].at));
    }

    /// The nodes between positions `from` and `to` of the order.
    fn between(dag: &Dag, from: u32, to: u32) -> Vec<String> {
        dag.order[from as usize..to as usize]
            .iter()
            .map(|v| format!("{:?}", dag.ast.node(*v)))
            .collect()
    }

    fn sides(dag: &Dag, marks: &[Mark], node: NodeId) -> (u32, u32, u32) {
        let then = marks
            .iter()
            .find(|m| m.node == node && m.side == Side::Then);
        let other = marks
            .iter()
            .find(|m| m.node == node && m.side == Side::Else);
        let at = dag.order.iter().position(|v| *v == node).unwrap() as u32;
        (then.unwrap().at, other.unwrap().at, at)
    }

    #[test]
    fn a_side_with_a_call_branches_and_is_computed_between_its_marks() {
        planned("if(x > 0, exp(x), sin(x) + y) * 2", |dag, marks, fused| {
            assert_eq!(marks.len(), 2);
            let (then, other, at) = sides(dag, marks, marks[0].node);
            // exp(x) alone on the then-side; sin(x), y, sin(x) + y (y is used there only) on
            // the else-side
            assert_eq!(between(dag, then, other).len(), 1);
            assert!(between(dag, then, other)[0].contains("Exp"));
            assert_eq!(between(dag, other, at).len(), 3);
            // x and 0 come before the branch; the comparison is the branch's own
            assert_eq!(fused.len(), 1);
            assert_eq!(then, 2);
        });
    }

    #[test]
    fn without_calls_or_with_shared_calls_if_blends() {
        for src in [
            "if(x > 0, x + 1, y * 2)",
            "if(x > 0, sin(x), 1) + sin(x)",
            "sin(x) + if(x, y, 2)",
        ] {
            assert!(planned(src, |_, marks, _| marks.is_empty()), "{src}");
        }
    }

    #[test]
    fn nested_ifs_branch_inside_their_sides() {
        let src = "if(x, if(y > 0, exp(y) + x, cos(x)), ln(y)) + if(y, x, 2)";
        planned(src, |dag, marks, _| {
            assert_eq!(marks.len(), 4);
            let [outer_then, inner_then, inner_else, outer_else] = [0, 1, 2, 3].map(|i| marks[i]);
            assert_eq!(outer_then.side, Side::Then);
            assert_eq!(inner_then.side, Side::Then);
            assert_eq!(inner_else.node, inner_then.node);
            assert_eq!(outer_else.node, outer_then.node);
            let (_, _, inner_at) = sides(dag, marks, inner_then.node);
            assert!(inner_at < outer_else.at);
        });
    }

    /// 3 000 nested `if`s, each with a call on its then-side: the inner ones branch until the
    /// budget is spent, the outer ones blend, and the schedule stays valid.
    #[test]
    fn deep_nests_stay_within_the_budget() {
        let mut src = String::from("x");
        for i in 0..3000 {
            src = format!("if(x > {i}, sin({src}), {i})");
        }
        let ifs = planned(&src, |_, marks, _| marks.len()) / 2;
        assert!(ifs > 10 && ifs < 3000, "{ifs} branching ifs");
    }
}
