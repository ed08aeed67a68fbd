//! Preparing a simplified tree for code generation: merging equal subtrees into one value
//! (value numbering), counting uses, and choosing the evaluation order.

use crate::ast::{Ast, Node, NodeId};
use crate::ops::{BinaryOp, PowStep, powi_steps};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast non-cryptographic hasher for the value-numbering table (the keys are small and not
/// chosen by an attacker in a way that matters: the worst case is a slower compile). SipHash,
/// the default, was a tenth of the compile time.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }

    fn write_isize(&mut self, v: isize) {
        self.write_u64(v as u64);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type KeyMap = HashMap<Key, NodeId, BuildHasherDefault<KeyHasher>>;

/// The key under which equal nodes are merged. User calls are never merged: a user function
/// may have side effects (a counter), and each call in the source is made.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Num(u64),
    Arg(u32),
    Unary(crate::ops::UnaryOp, NodeId),
    Binary(crate::ops::BinaryOp, NodeId, NodeId),
    If(NodeId, NodeId, NodeId),
}

/// A tree with equal subtrees merged: every node is one value.
pub struct Dag {
    /// The nodes, children before parents; the root is the last one.
    pub ast: Ast,
    /// How many times each node's value is used (by parents, plus one for the root).
    pub uses: Vec<u32>,
    /// Does the subtree contain a call (helper or user function)?
    #[allow(dead_code)] // kept for the branchy `if` lowering
    pub has_call: Vec<bool>,
    /// The evaluation order: every node once, children before parents.
    pub order: Vec<NodeId>,
}

impl Dag {
    /// Merges equal subtrees of `ast` (rooted at its last node) and plans the order.
    pub fn new(ast: &Ast) -> Dag {
        let merged = merge(ast);
        let n = merged.len();
        let mut uses = vec![0u32; n];
        let mut has_call = vec![false; n];
        let mut need = vec![0u32; n];
        for (i, &node) in merged.nodes().iter().enumerate() {
            let children = merged.children(node);
            for c in children.iter() {
                uses[c.index()] += 1;
                has_call[i] |= has_call[c.index()];
            }
            has_call[i] |= is_call(node);
            need[i] = registers_needed(children.as_slice(), &need);
        }
        if n > 0 {
            uses[n - 1] += 1;
        }
        let order = schedule(&merged, &need, &has_call);
        Dag {
            ast: merged,
            uses,
            has_call,
            order,
        }
    }
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
fn registers_needed(children: &[NodeId], need: &[u32]) -> u32 {
    match children {
        [] => 1,
        [a] => need[a.index()],
        [a, b] => {
            let (x, y) = (need[a.index()], need[b.index()]);
            if x == y { x + 1 } else { x.max(y) }
        }
        _ => {
            let mut needs: Vec<u32> = children.iter().map(|c| need[c.index()]).collect();
            needs.sort_unstable_by(|a, b| b.cmp(a));
            needs
                .iter()
                .enumerate()
                .map(|(i, n)| n + i as u32)
                .max()
                .unwrap_or(1)
        }
    }
}

fn merge(ast: &Ast) -> Ast {
    let mut out = Ast::with_capacity(ast.len());
    let mut seen = KeyMap::with_capacity_and_hasher(ast.len(), Default::default());
    let mut map: Vec<NodeId> = Vec::with_capacity(ast.len());
    for (i, &node) in ast.nodes().iter().enumerate() {
        let m = |c: NodeId| map[c.index()];
        let span = ast.span(NodeId::from_index(i));
        let (node, key) = match node {
            Node::Num(v) => (node, Some(Key::Num(v.to_bits()))),
            Node::Arg(a) => (node, Some(Key::Arg(a))),
            Node::Unary(op, a) => (Node::Unary(op, m(a)), Some(Key::Unary(op, m(a)))),
            Node::Binary(op, a, b) => (
                Node::Binary(op, m(a), m(b)),
                Some(Key::Binary(op, m(a), m(b))),
            ),
            Node::PowI(a, n) => {
                // Spelled out as multiplications, so that powers of the same base share
                // their squares: x^7, x^5 and x^3 need five products, not nine.
                map.push(expand_powi(&mut out, &mut seen, m(a), n, span));
                continue;
            }
            Node::If(c, a, b) => (Node::If(m(c), m(a), m(b)), Some(Key::If(m(c), m(a), m(b)))),
            Node::Call(f, list) => {
                let args: Vec<NodeId> = ast.call_args(list).iter().map(|&c| m(c)).collect();
                (Node::Call(f, out.push_call_args(&args)), None)
            }
        };
        let id = match key {
            Some(key) => *seen.entry(key).or_insert_with(|| out.push(node, span)),
            None => out.push(node, span),
        };
        map.push(id);
    }
    match map.last() {
        // Merging may leave the root's copy earlier than the last node (`x` in `x + 0*0`
        // cannot happen after simplification, but stay correct): compact from the root.
        Some(&root) if root != out.root() => out.compact(root),
        _ => out,
    }
}

/// Adds `x^n` as the multiplications of [`powi_steps`] (exactly the interpreter's
/// sequence), merging each product with an equal one already present.
fn expand_powi(
    out: &mut Ast,
    seen: &mut KeyMap,
    x: NodeId,
    n: i64,
    span: crate::error::Span,
) -> NodeId {
    let mut intern =
        |node: Node, key: Key| *seen.entry(key).or_insert_with(|| out.push(node, span));
    let one = |intern: &mut dyn FnMut(Node, Key) -> NodeId| {
        intern(Node::Num(1.0), Key::Num(1.0f64.to_bits()))
    };
    if n == 0 {
        return one(&mut intern);
    }
    let mul = |intern: &mut dyn FnMut(Node, Key) -> NodeId, a: NodeId, b: NodeId| {
        intern(
            Node::Binary(BinaryOp::Mul, a, b),
            Key::Binary(BinaryOp::Mul, a, b),
        )
    };
    let mut base = x;
    let mut acc: Option<NodeId> = None;
    for step in powi_steps(n.unsigned_abs()) {
        match step {
            PowStep::Accumulate => acc = Some(acc.map_or(base, |a| mul(&mut intern, a, base))),
            PowStep::Square => base = mul(&mut intern, base, base),
        }
    }
    let positive = acc.unwrap_or(base);
    if n > 0 {
        return positive;
    }
    let one = one(&mut intern);
    intern(
        Node::Binary(BinaryOp::Div, one, positive),
        Key::Binary(BinaryOp::Div, one, positive),
    )
}

/// Post-order from the root with an explicit stack. Children that contain calls go first
/// (values computed before a call would have to be saved across it), then the child that
/// needs more registers (Sethi–Ullman), so that fewer values wait in registers.
fn schedule(ast: &Ast, need: &[u32], has_call: &[bool]) -> Vec<NodeId> {
    let n = ast.len();
    let mut order = Vec::with_capacity(n);
    if n == 0 {
        return order;
    }
    let mut state = vec![0u8; n]; // 0 new, 1 children pushed, 2 done
    let mut stack = vec![ast.root()];
    while let Some(&id) = stack.last() {
        match state[id.index()] {
            0 => {
                state[id.index()] = 1;
                let node = ast.node(id);
                let children = ast.children(node);
                let mut fixed = [NodeId::from_index(0); 3];
                let ordered: &[NodeId] = match children {
                    // user calls keep the source order of their arguments (side effects
                    // happen in order)
                    crate::ast::Children::List(args) => args,
                    crate::ast::Children::Fixed(ids, n) => {
                        fixed[..n].copy_from_slice(&ids[..n]);
                        let key =
                            |c: &NodeId| std::cmp::Reverse((has_call[c.index()], need[c.index()]));
                        fixed[..n].sort_by_key(key);
                        &fixed[..n]
                    }
                };
                // push in reverse so the first to evaluate is on top
                for &c in ordered.iter().rev() {
                    if state[c.index()] == 0 {
                        stack.push(c);
                    }
                }
            }
            1 => {
                state[id.index()] = 2;
                stack.pop();
                order.push(id);
            }
            _ => {
                stack.pop();
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn equal_subtrees_become_one_value() {
        let e = parse("(x*y + 1) * (x*y + 1) + x").unwrap();
        let dag = Dag::new(e.ast());
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
        assert_eq!(*dag.order.last().unwrap(), dag.ast.root());
    }

    #[test]
    fn deeper_side_first() {
        let e = parse("x + (y*(z + 1))").unwrap();
        let dag = Dag::new(e.ast());
        // the right side needs more registers, so it is computed first
        let first = dag.order[0];
        assert_ne!(dag.ast.node(first), Node::Arg(0));
    }
}
