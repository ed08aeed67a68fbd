//! Hash-consing: building a tree in which equal subtrees are one node (value numbering), so
//! the code generator computes each value once. Used by the simplifier when it prepares a
//! tree for code generation.

use crate::ast::{Ast, Node, NodeId};
use crate::error::Span;
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
        // The splitmix64 finalizer: every input bit reaches the low bits, which pick the
        // bucket (the bits of doubles like 1.5, 2.5, ... differ only at the top).
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
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

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type KeyMap = HashMap<Key, NodeId, BuildHasherDefault<KeyHasher>>;

/// The table of nodes seen so far: a linear scan while small (most expressions; no hashing),
/// a hash map beyond that so large inputs stay linear. Both keep their memory across
/// [`Interner::reset`], so a thread compiling mid-size expressions does not rebuild the map.
#[derive(Default)]
pub(crate) struct Interner {
    small: Vec<(Key, NodeId)>,
    /// Empty until the tree outgrows `small`; from then on the table (so "is the map in
    /// use" is "is it non-empty").
    map: KeyMap,
    /// How many nodes to expect (sizes the hash map once, without rehashing).
    expected: usize,
}

/// Up to this many nodes the table is scanned: comparing packed keys is one 128-bit
/// comparison, cheaper than hashing for trees this small (measured with callgrind over the
/// benchmark's expressions: 16 and 32 each cost 1–6% more instructions on some of them).
const SMALL_TABLE: usize = 20;

impl Interner {
    /// Empties the table for a tree of about `nodes` nodes, keeping its memory.
    pub(crate) fn reset(&mut self, nodes: usize) {
        self.small.clear();
        // (clearing a map that kept its memory writes all of its control bytes: only when used)
        if !self.map.is_empty() {
            self.map.clear();
        }
        self.expected = nodes;
    }

    /// The node for `key`, made by `make` the first time.
    fn intern(&mut self, key: Key, make: impl FnOnce() -> NodeId) -> NodeId {
        if !self.map.is_empty() {
            return *self.map.entry(key).or_insert_with(make);
        }
        if let Some((_, id)) = self.small.iter().find(|(k, _)| *k == key) {
            return *id;
        }
        let id = make();
        self.small.push((key, id));
        if self.small.len() > SMALL_TABLE {
            self.map.reserve(self.expected.max(2 * SMALL_TABLE));
            self.map.extend(self.small.drain(..));
        }
        id
    }
}

/// The key under which equal nodes are merged, packed into one integer so that comparing
/// two keys is one 128-bit comparison and hashing is two words: the kind in the top byte, the
/// operation below it, then up to three 32-bit children (or a number's 64 bits). User calls
/// are never merged: a user function may have side effects (a counter), and each call in the
/// source is made.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key(u128);

impl Key {
    const NUM: u128 = 1;
    const ARG: u128 = 2;
    const UNARY: u128 = 3;
    const BINARY: u128 = 4;
    const IF: u128 = 5;

    fn pack(kind: u128, op: u8, x: u32, y: u32, z: u32) -> Key {
        Key(kind << 120
            | u128::from(op) << 96
            | u128::from(x) << 64
            | u128::from(y) << 32
            | u128::from(z))
    }

    /// The key of a node, or `None` for nodes that must never merge (user calls).
    fn of(node: Node) -> Option<Key> {
        let id = |n: NodeId| n.index() as u32;
        Some(match node {
            Node::Num(v) => Key(Key::NUM << 120 | u128::from(v.to_bits())),
            Node::Arg(a) => Key::pack(Key::ARG, 0, 0, 0, a),
            Node::Unary(op, a) => Key::pack(Key::UNARY, op as u8, 0, 0, id(a)),
            Node::Binary(op, a, b) => Key::pack(Key::BINARY, op as u8, 0, id(a), id(b)),
            Node::If(c, a, b) => Key::pack(Key::IF, 0, id(c), id(a), id(b)),
            Node::PowI(..) | Node::Call(..) => return None,
        })
    }
}

impl Interner {
    /// Adds `node` to `ast` unless an equal node is already there.
    pub(crate) fn push(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        match Key::of(node) {
            Some(key) => self.intern(key, || ast.push(node, span)),
            None => ast.push(node, span),
        }
    }

    /// Adds `x^n` as the multiplications of [`powi_steps`] (exactly the interpreter's
    /// sequence), merging each product with an equal one already present: `x^7`, `x^5` and
    /// `x^3` then share their squares.
    pub(crate) fn push_powi(&mut self, ast: &mut Ast, x: NodeId, n: i64, span: Span) -> NodeId {
        if n == 0 {
            return self.push(ast, Node::Num(1.0), span);
        }
        let mut base = x;
        let mut acc: Option<NodeId> = None;
        for step in powi_steps(n.unsigned_abs()) {
            match step {
                PowStep::Accumulate => {
                    acc = Some(match acc {
                        None => base,
                        Some(a) => self.push(ast, Node::Binary(BinaryOp::Mul, a, base), span),
                    })
                }
                PowStep::Square => {
                    base = self.push(ast, Node::Binary(BinaryOp::Mul, base, base), span)
                }
            }
        }
        let positive = acc.unwrap_or(base);
        if n > 0 {
            return positive;
        }
        let one = self.push(ast, Node::Num(1.0), span);
        self.push(ast, Node::Binary(BinaryOp::Div, one, positive), span)
    }
}
