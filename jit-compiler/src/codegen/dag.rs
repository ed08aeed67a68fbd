//! Preparing a simplified tree (equal subtrees already merged into one value) for code
//! generation: counting uses, and choosing the evaluation order.

use super::branch::{self, Plan};
use super::pair;
use crate::ast::{Ast, Children, Node, NodeId};
use crate::ops::BinaryOp;

/// A tree with equal subtrees merged: every node is one value. (The tree is borrowed: the
/// compiler plans the thread's reused tree (`workspace::with`), and moving it into the plan
/// and back cost E1 some thirty-five instructions of its 4 800.)
pub struct Dag<'t> {
    /// The nodes, children before parents. Nodes the root does not reach are ignored.
    pub ast: &'t Ast,
    /// The root.
    pub root: NodeId,
    /// How many times each node's value is used (by parents, plus one for the root).
    pub uses: Vec<u32>,
    /// Does the expression call functions (helpers or user functions)?
    pub calls: bool,
    /// The evaluation order: every node once, children before parents.
    pub order: Vec<NodeId>,
}

impl<'t> Dag<'t> {
    /// Plans the evaluation of the tree under `root`, whose equal subtrees are already one
    /// node (see `Expr::simplified_for_codegen`).
    pub fn new(merged: &'t Ast, root: NodeId) -> Dag<'t> {
        Dag::plan(merged, root, &mut Buffers::default())
    }

    /// [`Dag::new`], then [`Dag::plan_branches`]: the scalar code's plan, with its decisions.
    /// (For [`super::steps`]. Compilation plans in its workspace; calling [`Dag::plan`] from
    /// here rather than from another module keeps the compile path as it was: a caller
    /// elsewhere made the scheduler a function of its own, and compiling E1-E5 took 1-3%
    /// more instructions and 3-7% more time.)
    pub(crate) fn with_branches(merged: &'t Ast, root: NodeId) -> (Dag<'t>, Plan) {
        let mut buffers = Buffers::default();
        let mut dag = Dag::plan(merged, root, &mut buffers);
        dag.plan_branches(&mut buffers);
        (dag, buffers.plan)
    }

    /// [`Dag::new`] with reused memory: the use counts and the order are taken from
    /// `buffers` (give them back with [`Dag::recycle`]), its other tables are used in place.
    #[inline]
    pub(crate) fn plan(merged: &'t Ast, root: NodeId, buffers: &mut Buffers) -> Dag<'t> {
        let n = merged.len();
        let Buffers { info, uses, .. } = buffers;
        info.clear();
        info.reserve(n);
        // The use counts are zeroed a node at a time in the pass over the nodes, not by a
        // `memset` where `schedule` counts them: on a CPU with AVX-512, glibc's `memset`
        // writes an array under 64 bytes with one masked store, which the CPU does not
        // forward to loads, and the first count's load waited for it (18% of `plan`'s time
        // on E1 in `perf annotate`).
        uses.clear();
        uses.reserve(n);
        let mut counts = Counts::default();
        // children before parents: one forward pass knows each child before its parent
        for &node in merged.nodes() {
            let next = Info::of(node, info, merged, &mut counts);
            info.push(next);
            uses.push(0);
        }
        buffers.has_if = counts.has_if;
        buffers.divisions = counts.divisions;
        let calls = info.get(root.index()).is_some_and(|r| r.has_call);
        schedule(merged, root, buffers);
        Dag {
            ast: merged,
            root,
            uses: std::mem::take(&mut buffers.uses),
            calls,
            order: std::mem::take(&mut buffers.order),
        }
    }

    /// Plans the `if`s of scalar code (see [`super::branch`]): fuses the conditions that are
    /// comparisons only their `if` uses, makes those whose sides call functions branch
    /// instead of blending, and reorders the schedule for both. What it decided is kept in
    /// `buffers` ([`Buffers::branches`]; in the `Dag` it would make it too big to be moved
    /// without a `memcpy` call). Vector code has no calls and blends every `if` lane by lane.
    pub(crate) fn plan_branches(&mut self, buffers: &mut Buffers) {
        let Buffers {
            info,
            branch,
            plan,
            has_if,
            ..
        } = buffers;
        // (cleared only when not empty: the code generator reads these vectors right after,
        // with loads that span the length and the pointer, and cannot be forwarded a length
        // just stored)
        clear_if_not_empty(&mut plan.marks);
        clear_if_not_empty(&mut plan.fused);
        if *has_if {
            let calls_below = |v: NodeId| info.get(v.index()).is_some_and(|i| i.has_call);
            branch::plan(self, calls_below, branch, plan);
        }
    }

    /// Pairs independent divisions of scalar code, to be computed by one `divpd` (see
    /// [`super::pair`]; after [`Dag::plan_branches`], whose sides pairs do not cross). Only
    /// the scalar code's lowering sees the pairs ([`Buffers::pairs`]): the order stays valid
    /// for any generator, but the steps and the vector code are planned without them.
    pub(crate) fn plan_pairs(&mut self, buffers: &mut Buffers) {
        clear_if_not_empty(&mut buffers.pairs);
        if buffers.divisions >= 2 {
            self.pair_divisions(buffers);
        }
    }

    /// [`Dag::plan_pairs`]' work, out of line: most expressions have fewer than two
    /// divisions, and the compile path stays as small as it was without pairs.
    #[cold]
    #[inline(never)]
    fn pair_divisions(&mut self, buffers: &mut Buffers) {
        let Buffers {
            plan, pair, pairs, ..
        } = buffers;
        pair::plan(self, &plan.marks, pair, pairs);
    }

    /// Gives the tables back to the workspace for the next compilation.
    /// (Taken from the `Dag` where it is: a `Dag` moved in by value was copied to a
    /// temporary and read back from it with loads spanning two stores, which the CPU cannot
    /// forward.)
    pub(crate) fn recycle(&mut self, buffers: &mut Buffers) {
        std::mem::swap(&mut buffers.uses, &mut self.uses);
        std::mem::swap(&mut buffers.order, &mut self.order);
    }
}

impl Buffers {
    /// The last [`Dag::plan_branches`]' decisions.
    pub(crate) fn branches(&self) -> &Plan {
        &self.plan
    }

    /// The last [`Dag::plan_pairs`]' decisions: the first division of each pair, in the
    /// order (the second is the next node of the order).
    pub(crate) fn pairs(&self) -> &[NodeId] {
        &self.pairs
    }
}

/// Empties `v` if it is not empty: no store when it already is (see `Dag::plan_branches`).
fn clear_if_not_empty<T>(v: &mut Vec<T>) {
    if !v.is_empty() {
        v.clear();
    }
}

/// The planning tables, kept between compilations (see [`crate::workspace`]).
#[derive(Default)]
pub(crate) struct Buffers {
    info: Vec<Info>,
    stack: Vec<NodeId>,
    uses: Vec<u32>,
    order: Vec<NodeId>,
    /// Does the last planned tree have an `if` (reachable or not)?
    has_if: bool,
    /// How many divisions the last planned tree has (reachable or not).
    divisions: u32,
    plan: Plan,
    branch: branch::Scratch,
    pairs: Vec<NodeId>,
    pair: pair::Scratch,
}

/// What the pass of [`Info::of`] notes of a tree's nodes (reachable or not), in the arms
/// that match them (an `if` among the rare kinds: a test on every node cost E5 some 150
/// instructions).
#[derive(Default)]
struct Counts {
    has_if: bool,
    divisions: u32,
}

/// What the planning passes know about a node.
#[derive(Clone, Copy, Default)]
struct Info {
    /// Does its subtree call a function?
    has_call: bool,
    /// Registers needed to evaluate it (Sethi–Ullman number).
    need: u32,
    /// Scheduling: 0 new, 1 children pushed, 2 done.
    state: u8,
}

impl Info {
    /// What is known of `node` from its children's `info` (a node by node match: going
    /// through [`Ast::children`] built a list of the children and matched on its length).
    #[inline]
    fn of(node: Node, info: &[Info], ast: &Ast, counts: &mut Counts) -> Info {
        let child = |c: NodeId| info[c.index()];
        let (has_call, need) = match node {
            Node::Num(_) | Node::Arg(_) => (false, 1),
            Node::Unary(op, a) => {
                let a = child(a);
                (super::lower::unary_is_call(op) || a.has_call, a.need)
            }
            Node::PowI(a, _) => (child(a).has_call, child(a).need),
            Node::Binary(op, a, b) => {
                counts.divisions += u32::from(op == BinaryOp::Div);
                let (a, b) = (child(a), child(b));
                (
                    super::lower::binary_is_call(op) || a.has_call || b.has_call,
                    two_needed(a.need, b.need),
                )
            }
            Node::If(..) | Node::Call(..) => {
                counts.has_if |= matches!(node, Node::If(..));
                Info::of_list(node, info, ast)
            }
        };
        Info {
            has_call,
            need,
            state: 0,
        }
    }

    /// [`Info::of`] for an `if` or a user call, from the list of its children. (Out of line:
    /// rare, and the pass over the tree is smaller without it: E1-E5 took 5-70 instructions
    /// fewer.)
    #[inline(never)]
    fn of_list(node: Node, info: &[Info], ast: &Ast) -> (bool, u32) {
        let children = ast.children(node);
        let has_call = is_call(node) || children.iter().any(|c| info[c.index()].has_call);
        (has_call, registers_needed(children.as_slice(), info))
    }
}

/// The children of an `if` or a user call, in the order [`schedule`] evaluates them: the
/// hardest of an `if`'s first (stable), a call's arguments in the source order (their side
/// effects happen in order). (Out of line: rare, and the scheduling loop stays small.)
#[inline(never)]
fn children_in_order<'a>(ast: &'a Ast, node: Node, info: &[Info]) -> Children<'a> {
    let mut children = ast.children(node);
    if let Children::Fixed(ids, n) = &mut children {
        let key = |c: &NodeId| (info[c.index()].has_call, info[c.index()].need);
        ids[..*n].sort_by_key(|c| std::cmp::Reverse(key(c)));
    }
    children
}

/// Is the node itself computed by a call into Rust?
pub fn is_call(node: Node) -> bool {
    match node {
        Node::Call(..) => true,
        Node::Unary(op, _) => super::lower::unary_is_call(op),
        Node::Binary(op, ..) => super::lower::binary_is_call(op),
        _ => false,
    }
}

/// Sethi–Ullman numbers: a leaf needs one register; an operation needs the most any child
/// needs, or one more when two children tie (one result must be held while the other is
/// computed).
fn registers_needed(children: &[NodeId], info: &[Info]) -> u32 {
    let need = |c: &NodeId| info[c.index()].need;
    match children {
        [] => 1,
        [a] => need(a),
        [a, b] => two_needed(need(a), need(b)),
        // `if`: three children, without allocating
        [a, b, c] => most_needed(&mut [need(a), need(b), need(c)]),
        _ => most_needed(&mut children.iter().map(need).collect::<Vec<u32>>()),
    }
}

/// The registers needed for two operands needing `x` and `y`: the harder is evaluated first,
/// and its result held while the other is; equal needs take one more.
#[inline]
fn two_needed(x: u32, y: u32) -> u32 {
    if x == y { x + 1 } else { x.max(y) }
}

/// The registers needed to evaluate values that need `needs` each, hardest first: the
/// `i`-th evaluated must fit next to the `i` results already held.
fn most_needed(needs: &mut [u32]) -> u32 {
    needs.sort_unstable_by(|a, b| b.cmp(a));
    needs
        .iter()
        .enumerate()
        .map(|(i, n)| n + i as u32)
        .max()
        .unwrap_or(1)
}

/// Post-order from the root with an explicit stack, which visits exactly the nodes the root
/// reaches; each is expanded once, when its uses by its children are counted. Children that
/// contain calls go first (values computed before a call would have to be saved across it),
/// then the child that needs more registers (Sethi–Ullman), so that fewer values wait in
/// registers. Fills `buffers.uses` and `buffers.order` from `buffers.info`. (Inlined into
/// [`Dag::plan`], which is a function of its own: one call fewer, 12-27 instructions on
/// E1-E5. Inlined into the whole compilation instead, its loop kept fewer of its values in
/// registers, and E5 took 500 instructions more.)
#[inline(always)]
fn schedule(ast: &Ast, root: NodeId, buffers: &mut Buffers) {
    let Buffers {
        info,
        stack,
        uses,
        order,
        ..
    } = buffers;
    // (`uses` is zeroed by `Dag::plan`)
    order.clear();
    stack.clear();
    if ast.is_empty() {
        return;
    }
    let (info, uses) = (&mut info[..], &mut uses[..]);
    uses[root.index()] += 1;
    stack.push(root);
    while let Some(&id) = stack.last() {
        match info[id.index()].state {
            0 => {
                let node = ast.node(id);
                if matches!(node, Node::Num(_) | Node::Arg(_)) {
                    // a leaf: nothing to expand, done now rather than on the next turn
                    info[id.index()].state = 2;
                    stack.pop();
                    order.push(id);
                    continue;
                }
                info[id.index()].state = 1;
                // the children in evaluation order, the hardest first (stable); the common
                // kinds by hand (the library's sort cost more than the rest of the walk),
                // `if` and user calls out of line (E1, E2, E4, E5: 7-27 instructions fewer)
                let key = |c: NodeId| (info[c.index()].has_call, info[c.index()].need);
                let fixed: [NodeId; 2];
                let rare: Children;
                let ordered: &[NodeId] = match node {
                    Node::Unary(_, a) | Node::PowI(a, _) => {
                        fixed = [a, a];
                        &fixed[..1]
                    }
                    Node::Binary(_, a, b) => {
                        fixed = if key(b) > key(a) { [b, a] } else { [a, b] };
                        &fixed
                    }
                    _ => {
                        rare = children_in_order(ast, node, info);
                        rare.as_slice()
                    }
                };
                // Uses counted here, after the ordering, rather than over `ast.children`
                // first: that loop needed the children in memory, stored a field at a time,
                // and the copy into `fixed` then read them back in one load spanning several
                // stores, which the CPU cannot forward (a stall on every node).
                // Pushed in reverse so the first to evaluate is on top.
                for &c in ordered.iter().rev() {
                    uses[c.index()] += 1;
                    if info[c.index()].state == 0 {
                        stack.push(c);
                    }
                }
            }
            1 => {
                info[id.index()].state = 2;
                stack.pop();
                order.push(id);
            }
            _ => {
                stack.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn equal_subtrees_become_one_value() {
        let e = parse("(x*y + 1) * (x*y + 1) + x").unwrap();
        let (ast, root) = e.simplified_for_codegen();
        let dag = Dag::new(&ast, root);
        // x, y, x*y, 1, x*y+1, (..)*(..), + x
        assert_eq!(dag.ast.len(), 7);
        let x = dag
            .ast
            .nodes()
            .iter()
            .position(|n| *n == Node::Arg(0))
            .unwrap();
        assert_eq!(dag.uses[x], 2);
        assert_eq!(dag.order.len(), 7);
        assert_eq!(*dag.order.last().unwrap(), dag.root);
    }

    #[test]
    fn deeper_side_first() {
        let e = parse("x + (y*(z + 1))").unwrap();
        let (ast, root) = e.simplified_for_codegen();
        let dag = Dag::new(&ast, root);
        // the right side needs more registers, so it is computed first
        let first = dag.order[0];
        assert_ne!(dag.ast.node(first), Node::Arg(0));
    }
}
