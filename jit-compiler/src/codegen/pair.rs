//! Pairs of independent divisions, computed by one `divpd`.
//!
//! The divider is the slowest unit an arithmetic expression uses: a `divsd` occupies it for
//! about four cycles, so an expression of five divisions called over varied inputs (calls
//! overlap in the out-of-order core) is bound by it. `divpd xmm` divides two doubles in the
//! same time as `divsd` one, and IEEE division is exact per lane, so two divisions neither of
//! which needs the other can share one without changing a bit of the results:
//!
//! ```text
//!     unpcklpd t1, c     ; t1 = (a, c)  (t1 holds a: a's register when a dies here)
//!     unpcklpd t2, d     ; t2 = (b, d)
//!     divpd    t1, t2    ; t1 = (a/b, c/d): the low lane is the first division
//!     movapd   t3, t1    ; the second, brought down from the high lane
//!     unpckhpd t3, t3    ; (AVX: vunpcklpd t1,a,c / vunpcklpd t2,b,d / vdivpd t1,t1,t2 /
//!                        ;  vunpckhpd t3,t1,t1, no copies)
//! ```
//!
//! This planning step chooses the pairs and reorders the schedule so that all four operands
//! are computed before the pair: for a division `p` and a later division `q` of the order,
//! the nodes between them that `q` needs (its *cone*) move, in their order, to just before
//! `p`, and `q` to just after it. The cone cannot contain `p` (that is the independence test:
//! the walk that collects it fails when it meets `p`), so every node still comes after its
//! operands. Lowering then computes the pair at `p` and takes `q` out of the high lane at
//! the next step (`lower/pairs.rs`).
//!
//! Only the scalar code of one straight stretch pairs: a call, an `if` (where a branching
//! one's sides join) or the start of a branching `if`'s side between `p` and `q`, or an `if`
//! or a call in `q`'s cone, stops the search
//! (calls clobber every register, so values held across one are stored and reloaded; a
//! branch's sides are not straight-line code). The [`steps`](super::steps) and the vector
//! code do not see the pairs: the plan is made for the scalar function's lowering alone,
//! after [`super::branch`].
//!
//! The profitability rule, from E5 of `bench/src/exprs.rs` (five divisions; rustc's SLP
//! vectorizer issues four divider operations for it) on the Intel Xeon, typed handle over
//! 1024 varied argument rows, median of 5 runs: unpaired 6.91 ns/call; with a cone of up to
//! 3 nodes ([`MAX_HOIST`]) one pair forms, 6.31 ns; with up to 8, a second pair forms too
//! (it moves 4 nodes), 6.46 ns (native Rust 6.2 in the same runs). The second pair joins
//! the division at the end of E5's longest chain: the two unpacks around the `divpd` add to
//! that chain's latency more than the divider time saved. Small cones pair divisions whose
//! operands are ready early, which is where a pair pays; a rule that weighed the chains
//! (pair only divisions whose operands are ready at about the same time) could find more.
//! A division looks for its partner among the next [`CANDIDATES`] divisions within
//! [`WINDOW`] steps of the order (E5's pair is 22 steps apart).
//!
//! Pairs do not avoid spilling: a value held across the pair may be spilled as anywhere
//! else (the JIT's tests run pairs among more live values than registers).
//!
//! Cost: nothing but a division count (in [`super::dag::Dag::plan`]'s pass over the tree)
//! for expressions of fewer than two divisions. Otherwise one pass over the order
//! (positions, and the divisions in order), and per division a search bounded by the
//! window and the cone: linear in the size of the tree (a test pairs 20 000 divisions).
//! On E5 that is about 3 000 instructions of the 52 000 a compilation takes.

use super::branch::Mark;
use super::dag::{Dag, is_call};
use crate::ast::{Node, NodeId};
use crate::ops::BinaryOp;

/// Steps of the order after a division searched for its partner.
pub(crate) const WINDOW: usize = 32;

/// Divisions after a division tried as its partner.
pub(crate) const CANDIDATES: usize = 4;

/// Most nodes moved before a division for its partner.
pub(crate) const MAX_HOIST: usize = 3;

/// Working memory of [`plan`], kept between compilations.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Per node of the order: 1 + its position in it.
    at: Vec<u32>,
    /// The divisions in the order, by position.
    divisions: Vec<NodeId>,
    /// The cone being collected (position + 1, node).
    members: Vec<(u32, NodeId)>,
}

/// The nodes a cone walk has yet to visit. The walk expands `q` and at most [`MAX_HOIST`]
/// cone members, two operands each, so this many slots always suffice: an array on the
/// stack, with none of a vector's capacity checks.
struct ToVisit {
    nodes: [NodeId; 2 * (MAX_HOIST + 1)],
    len: usize,
}

impl ToVisit {
    fn push(&mut self, v: NodeId) {
        self.nodes[self.len] = v;
        self.len += 1;
    }

    fn pop(&mut self) -> Option<NodeId> {
        self.len = self.len.checked_sub(1)?;
        Some(self.nodes[self.len])
    }
}

/// Chooses the pairs of divisions in `dag.order`, reordering it, and writes to `pairs` the
/// first division of each, in the order (the second is the next node of the order).
/// `marks`: where branching `if`s' sides begin (pairs do not cross them).
pub(crate) fn plan(dag: &mut Dag, marks: &[Mark], s: &mut Scratch, pairs: &mut Vec<NodeId>) {
    // (not cleared: every node of the order gets its position below, and the others are
    // never looked at)
    if s.at.len() < dag.ast.len() {
        s.at.resize(dag.ast.len(), 0);
    }
    s.divisions.clear();
    // (through slices: with the vectors, every step reloaded their pointers and lengths
    // after the store to `at`)
    let (at, nodes) = (&mut s.at[..], dag.ast.nodes());
    for (k, &v) in dag.order.iter().enumerate() {
        at[v.index()] = k as u32 + 1;
        if let Node::Binary(BinaryOp::Div, ..) = nodes[v.index()] {
            s.divisions.push(v);
        }
    }
    // the positions up to this one are settled: pairs, and the cones moved before them
    let mut settled = 0;
    for d in 0..s.divisions.len() {
        let p = s.divisions[d];
        if s.at[p.index()] <= settled {
            continue;
        }
        if let Some(q) = partner(dag, d, marks, s) {
            pairs.push(p);
            reorder(dag, p, q, s);
            settled = s.at[q.index()];
        }
    }
}

/// The first of the next [`CANDIDATES`] divisions after `s.divisions[d]` that it can pair
/// with, within the window and the straight stretch; its cone is in `s.members`.
fn partner(dag: &Dag, d: usize, marks: &[Mark], s: &mut Scratch) -> Option<NodeId> {
    let p = s.divisions[d];
    let i = s.at[p.index()] as usize - 1;
    let next_mark = marks[marks.partition_point(|m| m.at as usize <= i)..]
        .first()
        .map_or(usize::MAX, |m| m.at as usize);
    let end = (i + WINDOW).min(next_mark.saturating_sub(1));
    let mut checked = i;
    for e in d + 1..s.divisions.len().min(d + 1 + CANDIDATES) {
        let q = s.divisions[e];
        let j = s.at[q.index()] as usize - 1;
        if j < i {
            continue; // moved before `p`, in the cone of an earlier pair
        }
        if j > end || dag.calls && calls_or_ifs(dag, &mut checked, j) {
            return None;
        }
        if collect_cone(dag, p, q, s) {
            return Some(q);
        }
    }
    None
}

/// Is there a call or an `if` after position `*checked` and before `j` of the order? (Only
/// in expressions that call functions: an `if` branches only when a side calls one, and its
/// node, after both sides, is where they join. Advances `*checked`, so that every step is
/// looked at once per search.)
fn calls_or_ifs(dag: &Dag, checked: &mut usize, j: usize) -> bool {
    let from = *checked + 1;
    *checked = j;
    let ends_stretch = |v: &NodeId| {
        let node = dag.ast.node(*v);
        is_call(node) || matches!(node, Node::If(..))
    };
    dag.order[from..j].iter().any(ends_stretch)
}

/// Collects in `s.members` the nodes after `p` in the order that `q` needs, by position.
/// False when they include `p` (then `q` depends on it), an `if` or a user call (kept where
/// they are), or more than [`MAX_HOIST`] nodes.
fn collect_cone(dag: &Dag, p: NodeId, q: NodeId, s: &mut Scratch) -> bool {
    let after = s.at[p.index()];
    s.members.clear();
    let mut to_visit = ToVisit {
        nodes: [q; 2 * (MAX_HOIST + 1)],
        len: 0,
    };
    let mut v = q;
    loop {
        // (the operands by hand: `Ast::children` costs more than the walk)
        match dag.ast.node(v) {
            Node::Num(_) | Node::Arg(_) => {}
            Node::Unary(_, a) | Node::PowI(a, _) => to_visit.push(a),
            Node::Binary(_, a, b) => {
                to_visit.push(a);
                to_visit.push(b);
            }
            Node::If(..) | Node::Call(..) => return false,
        }
        let at = loop {
            let Some(next) = to_visit.pop() else {
                // a node shared by two operands is reached twice: once is enough
                s.members.sort_unstable();
                s.members.dedup();
                return true;
            };
            v = next;
            if v == p || s.members.len() == MAX_HOIST {
                return false;
            }
            let at = s.at[v.index()];
            if at > after {
                break at;
            }
        };
        s.members.push((at, v));
    }
}

/// Rewrites the order from `p` to `q`: `q`'s cone (`s.members`, by position), `p`, `q`,
/// then the other nodes in their order. (In place, from the back: the others move towards
/// `q`'s end by the number of cone nodes before them, plus one.)
fn reorder(dag: &mut Dag, p: NodeId, q: NodeId, s: &mut Scratch) {
    let (i, j) = (s.at[p.index()] as usize - 1, s.at[q.index()] as usize - 1);
    let Scratch { at, members, .. } = s;
    let order = &mut dag.order;
    let mut cone = members
        .iter()
        .rev()
        .map(|&(at, _)| at as usize - 1)
        .peekable();
    let mut to = j;
    for from in (i + 1..j).rev() {
        if cone.next_if_eq(&from).is_none() {
            let v = order[from];
            order[to] = v;
            at[v.index()] = to as u32 + 1;
            to -= 1;
        }
    }
    order[to] = q;
    order[to - 1] = p;
    for (k, &(_, v)) in members.iter().enumerate() {
        order[i + k] = v;
    }
    for k in i..=to {
        at[order[k].index()] = k as u32 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_HOIST, WINDOW};
    use crate::ast::{Node, NodeId};
    use crate::codegen::dag::{Buffers, Dag};

    /// `f` of the scalar plan of `src` and its pairs (the first division of each; lent: the
    /// plan borrows the tree, which lives in here).
    fn planned<R>(src: &str, f: impl FnOnce(&Dag, &[NodeId]) -> R) -> R {
        let e = crate::parse(src).unwrap();
        let (ast, root) = e.simplified_for_codegen();
        let mut buffers = Buffers::default();
        let mut dag = Dag::plan(&ast, root, &mut buffers);
        dag.plan_branches(&mut buffers);
        dag.plan_pairs(&mut buffers);
        assert_valid(&dag, buffers.pairs());
        f(&dag, buffers.pairs())
    }

    /// Every node once, after its operands; each pair two divisions, the second right after
    /// the first and not needing it.
    fn assert_valid(dag: &Dag, pairs: &[NodeId]) {
        let mut at = vec![usize::MAX; dag.ast.len()];
        for (i, v) in dag.order.iter().enumerate() {
            assert_eq!(at[v.index()], usize::MAX, "scheduled twice");
            at[v.index()] = i;
            for c in dag.ast.children(dag.ast.node(*v)).iter() {
                let fused = matches!(dag.ast.node(*v), Node::If(..));
                assert!(fused || at[c.index()] < i, "an operand after its user");
            }
        }
        assert_eq!(dag.order.last(), Some(&dag.root));
        for p in pairs {
            let q = dag.order[at[p.index()] + 1];
            for v in [*p, q] {
                assert!(matches!(
                    dag.ast.node(v),
                    Node::Binary(crate::BinaryOp::Div, ..)
                ));
            }
            assert!(!needs(dag, q, *p), "the second division needs the first");
        }
    }

    /// Does `v`'s value need `w`'s?
    fn needs(dag: &Dag, v: NodeId, w: NodeId) -> bool {
        v == w || (dag.ast.children(dag.ast.node(v)).iter()).any(|c| needs(dag, c, w))
    }

    fn pairs(src: &str) -> usize {
        planned(src, |_, pairs| pairs.len())
    }

    #[test]
    fn independent_divisions_pair() {
        assert_eq!(pairs("a/b + c/d"), 1);
        assert_eq!(pairs("a/b + c/d + e/f + g/h"), 2);
        // the inner two are independent; the outer one needs both
        assert_eq!(pairs("(a/b)/(c/d)"), 1);
        // shared operands are fine
        assert_eq!(pairs("x/y + z/y"), 1);
        assert_eq!(pairs("(x/y) * (y/z)"), 1);
    }

    #[test]
    fn dependent_divisions_do_not_pair() {
        for src in ["x/(y/z)", "x/y/z", "(x/y + 1)/z", "a/b"] {
            assert_eq!(pairs(src), 0, "{src}");
        }
    }

    #[test]
    fn the_second_divisions_operands_come_first() {
        // `a/b` is first in the order (its side needs more registers); `(i+j)/c` is
        // computed after the product, and its sum moves before `a/b`
        planned("(a/b)*((c+d)*(e+f)) + (i+j)/c", |dag, pairs| {
            assert_eq!(pairs.len(), 1);
            let first = dag.order.iter().position(|v| *v == pairs[0]).unwrap();
            let after: Vec<Node> = dag.order[first + 2..]
                .iter()
                .map(|v| dag.ast.node(*v))
                .collect();
            assert!(
                after.iter().all(|n| !matches!(n, Node::Arg(_))),
                "{after:?}"
            );
        });
    }

    #[test]
    fn no_pair_needs_more_than_the_hoist_limit() {
        let names: Vec<String> = (0..MAX_HOIST).map(|i| format!("t{i}")).collect();
        let long = format!("(a/b)*((c+d)*(e+f)) + ({})/c", names.join("+"));
        assert_eq!(pairs(&long), 0);
        // nor across more than the window: `a/b` is computed first, then the sum, then `x/y`
        let terms: Vec<String> = (0..WINDOW).map(|i| format!("t{i}*{}", i + 2)).collect();
        let far = format!("(a/b)*((c+d)*(e+f)) + ({}) + x/y", terms.join("+"));
        assert_eq!(pairs(&far), 0, "{far}");
        assert_eq!(pairs("(a/b)*((c+d)*(e+f)) + (t0 + t1) + x/y"), 1);
    }

    #[test]
    fn no_pair_across_a_call_or_a_branch() {
        // `c/d` is computed before `sin`, `a/b` after it
        assert_eq!(pairs("a/b + sin(c/d)"), 0);
        // each division on its side of a branching `if`
        assert_eq!(pairs("if(x > 0, a/b + exp(x), c/d)"), 0);
        // one inside a side, the other after the join
        assert_eq!(pairs("if(x > 0, exp(x), a/b) + c/d"), 0);
        // within a side too, a call between them keeps them apart (`c/d`, `exp`, `a/b`)
        assert_eq!(pairs("if(x > 0, a/b + exp(c/d), 1)"), 0);
        // and without one they pair
        assert_eq!(pairs("if(x > 0, exp(x) + a/b + c/d, 1)"), 1);
    }

    #[test]
    fn without_pairs_the_order_is_the_branch_plans() {
        for src in ["a/b + c", "x/(y/z) + sin(x)", "if(x > 0, exp(x/y), y/x)"] {
            let e = crate::parse(src).unwrap();
            let (ast, root) = e.simplified_for_codegen();
            let (unpaired, _) = Dag::with_branches(&ast, root);
            planned(src, |dag, pairs| {
                assert!(pairs.is_empty());
                assert_eq!(dag.order, unpaired.order, "{src}");
            });
        }
    }

    #[test]
    fn many_divisions_pair_in_linear_time() {
        let terms: Vec<String> = (0..20_000).map(|i| format!("x/(y + {i})")).collect();
        let pairs = planned(&terms.join(" + "), |_, pairs| pairs.len());
        assert!(pairs >= 9_000, "{pairs} pairs");
    }
}
