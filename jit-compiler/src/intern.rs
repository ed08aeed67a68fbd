//! Hash-consing: building a tree in which equal subtrees are one node (value numbering), so
//! the code generator computes each value once. Used by the simplifier when it prepares a
//! tree for code generation.

use crate::ast::{Ast, Children, Node, NodeId};
use crate::error::Span;
use crate::hash::hash128;
use crate::ops::BinaryOp;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use keyed::KeyedTable;

mod keyed;

/// The table of nodes seen so far: arguments by number; other nodes in a list scanned while
/// the tree is small (most expressions; no hashing), a hash table for larger trees so they
/// stay linear. The tables keep their memory across [`Interner::reset`], so a thread
/// compiling mid-size expressions does not rebuild them.
#[derive(Default)]
pub(crate) struct Interner {
    /// For trees of up to [`HASHED_TREE`] nodes, until they outgrow it: keys and ids.
    small: Vec<(Key, NodeId)>,
    /// For trees of up to [`LARGE_TREE`] nodes, from the start or once they outgrow `small`:
    /// keys and ids. Emptied (in constant time) when it comes into use.
    map: KeyedTable,
    /// For larger trees: node ids only, 4 bytes a slot where a key and an id take 32 (a
    /// slot's key is packed again from its node when the slot is compared), and only of the
    /// nodes that `parents` does not lead to. On a megabyte of source a table of every node
    /// was 5 MiB rather than 32 and stayed in the L3 cache: a sum of 75 000 or 150 000 terms
    /// compiled in 35–45% less time than with the keyed map (a repeated compilation, with the
    /// allocator told to keep its memory so that page faults did not blur the comparison).
    /// Below [`LARGE_TREE`] nodes a keyed map was as fast or faster: it fits in cache too,
    /// and comparing a stored key takes fewer instructions. Empty when not in use.
    table: HashTable<NodeId>,
    /// With `table`, by node index: the first keyed node made with this node as an operand
    /// ([`NO_PARENT`] while there is none). Such a first parent is not put in `table`: its
    /// operands lead to it (see [`Interner::intern_large`]). Empty when not in use.
    parents: Vec<u32>,
    /// How many nodes to expect (sizes the hash table once, without rehashing).
    expected: usize,
    /// Which table is in use.
    mode: Mode,
    /// A filter in front of `small`: bit `h` is set when a key of filter hash `h` is in it,
    /// so most new keys (most nodes are new) are known to be new without a scan.
    seen: u64,
    /// The node of each argument so far, by number: arguments are a good part of the nodes
    /// pushed, and the scanned list is shorter without them (E2: 2% fewer instructions).
    args: Vec<Option<NodeId>>,
}

/// The multiplier of the small list's filter hash (Fibonacci hashing: the top bits of the
/// product of the key's two words folded together).
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Which of [`Interner`]'s tables is in use.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Mode {
    /// `small`, scanned.
    #[default]
    Small,
    /// `map`.
    Map,
    /// `table`.
    Table,
}

/// The most entries of the scanned list: comparing packed keys is one 128-bit comparison,
/// cheaper than hashing while the list is short. A tree that grows more nodes than it was
/// parsed with (powers become several products) moves to the map beyond this.
const SMALL_TABLE: usize = 20;

/// Trees parsed with more nodes than this start with the map rather than the scanned list
/// (for E5, 3% fewer instructions than moving over half-way; 24 to 64 gave the same counts
/// on E1-E5, 16 cost E2 0.8% more).
const HASHED_TREE: usize = 32;

/// Trees of more nodes than this use the compact table.
const LARGE_TREE: usize = 1 << 16;

/// In [`Interner::parents`]: no keyed node has this node as an operand yet.
const NO_PARENT: u32 = u32::MAX;

impl Interner {
    /// Empties the table for a tree of about `nodes` nodes, keeping its memory.
    pub(crate) fn reset(&mut self, nodes: usize) {
        self.small.clear();
        self.seen = 0;
        self.args.clear();
        self.parents.clear();
        // (clearing a table that kept its memory writes all of its control bytes: only when used)
        if !self.table.is_empty() {
            self.table.clear();
        }
        self.expected = nodes;
        self.mode = Mode::Small;
        if nodes > HASHED_TREE {
            self.start_hashing();
        }
    }

    /// The node for `key`, `node` pushed onto `ast` the first time, while the scanned list
    /// is in use.
    fn intern_small(&mut self, ast: &mut Ast, key: Key, node: Node, span: Span) -> NodeId {
        let bit = 1u64 << (((key.0 as u64) ^ (key.0 >> 64) as u64).wrapping_mul(K) >> 58);
        if self.seen & bit != 0
            && let Some((_, id)) = self.small.iter().find(|(k, _)| *k == key)
        {
            return *id;
        }
        self.seen |= bit;
        let id = ast.push(node, span);
        self.small.push((key, id));
        if self.small.len() > SMALL_TABLE {
            self.outgrow_small();
        }
        id
    }

    /// [`Interner::push`] once the tree has outgrown the small table. (Inlined: called
    /// with the key and node in registers rather than stored for the callee to load, which
    /// stalled store forwarding: 15% of the time of a 5 000-term compilation.)
    #[inline]
    fn intern_hashed(&mut self, ast: &mut Ast, key: Key, node: Node, span: Span) -> NodeId {
        if self.mode == Mode::Map {
            return self.map.get_or_insert_with(key, || ast.push(node, span));
        }
        self.intern_large(ast, key, node, span)
    }

    /// [`Interner::push`] with the compact table, which holds only the nodes that could not
    /// be found another way. A node with an operand that no keyed node uses yet is new (an
    /// equal node would use it): it is made without a lookup, and noted as that operand's
    /// first parent, where a later search for its key looks. In a long sum every `+` has
    /// such an operand, the sum so far, and most products a constant or a product of its
    /// own; the table then holds the constants and the repeated operations, and stays in
    /// the cache where a table of every node did not (a megabyte of `a*0.5 + b*1.5 + …`:
    /// a third of the compilation went to this table's cache misses). (Out of line: inlined
    /// into [`Interner::push_hashed`], it cost E5, a tree of the keyed map, 400 instructions
    /// more a compilation.)
    #[inline(never)]
    fn intern_large(&mut self, ast: &mut Ast, key: Key, node: Node, span: Span) -> NodeId {
        if self.parents.len() < ast.len() {
            self.parents.resize(ast.len(), NO_PARENT);
        }
        // (a keyed node's operands are inline; only a user call, never merged, has a list)
        let Children::Fixed(operands, n) = ast.children(node) else {
            return ast.push(node, span);
        };
        let operands = &operands[..n];
        if operands
            .iter()
            .any(|o| self.parents[o.index()] == NO_PARENT)
        {
            let id = ast.push(node, span);
            for o in operands {
                if self.parents[o.index()] == NO_PARENT {
                    self.parents[o.index()] = id.index() as u32;
                }
            }
            return id;
        }
        // Every operand has a parent: the first one of each may be this node.
        for o in operands {
            let parent = NodeId::from_index(self.parents[o.index()] as usize);
            if Key::of(ast.node(parent)) == Some(key) {
                return parent;
            }
        }
        let nodes = ast.nodes();
        let entry = self.table.entry(
            hash128(key.0),
            |id| Key::of(nodes[id.index()]) == Some(key),
            |id| key_hash(nodes, *id),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => *slot.insert(ast.push(node, span)).get(),
        }
    }

    /// Chooses the hash table for the tree's size and reserves room for it.
    #[inline(never)]
    fn start_hashing(&mut self) {
        crate::hash::seed_once();
        if self.expected <= LARGE_TREE {
            self.mode = Mode::Map;
            self.map.reset(self.expected.max(2 * SMALL_TABLE));
        } else {
            self.mode = Mode::Table;
            // (empty: nothing to rehash)
            self.table.reserve(self.expected, |_| 0);
        }
    }

    /// Moves the small table's entries into the hash table for the tree's size (a tree that
    /// grew more nodes than expected: powers become several products).
    #[inline(never)]
    fn outgrow_small(&mut self) {
        self.start_hashing();
        // (the table is for trees of many more nodes, which start with a hash table)
        debug_assert!(self.mode == Mode::Map);
        for (key, id) in self.small.drain(..) {
            self.map.insert(key, id);
        }
    }
}

/// The hash of an interned node's key (every node in the table has one).
fn key_hash(nodes: &[Node], id: NodeId) -> u64 {
    Key::of(nodes[id.index()]).map_or(0, |key| hash128(key.0))
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

    /// The key of a node, or `None` for the nodes the tables do not hold: user calls (never
    /// merged) and arguments (looked up by number, see [`Interner::push`]).
    fn of(node: Node) -> Option<Key> {
        let id = |n: NodeId| n.index() as u32;
        Some(match node {
            Node::Num(v) => Key(Key::NUM << 120 | u128::from(v.to_bits())),
            Node::Unary(op, a) => Key::pack(Key::UNARY, op as u8, 0, 0, id(a)),
            Node::Binary(op, a, b) => Key::pack(Key::BINARY, op as u8, 0, id(a), id(b)),
            Node::If(c, a, b) => Key::pack(Key::IF, 0, id(c), id(a), id(b)),
            Node::Arg(_) | Node::PowI(..) | Node::Call(..) => return None,
        })
    }
}

impl Interner {
    /// Adds `node` to `ast` unless an equal node is already there. (Inlined, each path a
    /// function of its own: the simplifier calls this in a dozen places, and the path of
    /// small trees inlined at all of them made its loop larger, E5 680 instructions more a
    /// compilation; both paths in the caller cost E5 160 more. Where inlining that path
    /// pays, [`Interner::push_here`].)
    #[inline]
    pub(crate) fn push(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        if self.mode == Mode::Small {
            self.push_small_call(ast, node, span)
        } else {
            self.push_hashed(ast, node, span)
        }
    }

    /// [`Interner::push`] with the path of small trees inlined too, for the loop of
    /// [`Interner::push_powi`] and the simplifier's binary operations: a call of that path
    /// saved and restored six registers for each node (E4's products, 250 instructions fewer
    /// a compilation; then E1-E4's binary operations, 25 / 140 / 0 / 140 fewer, E5 about
    /// 130 more of its 52 000).
    #[inline(always)]
    pub(crate) fn push_here(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        if self.mode == Mode::Small {
            self.push_small(ast, node, span)
        } else {
            self.push_hashed(ast, node, span)
        }
    }

    /// [`Interner::push_small`] as a call, for [`Interner::push`].
    #[inline(never)]
    fn push_small_call(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        self.push_small(ast, node, span)
    }

    /// [`Interner::push`] while the scanned list is in use.
    #[inline(always)]
    fn push_small(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        match Key::of(node) {
            Some(key) => self.intern_small(ast, key, node, span),
            None => self.push_unkeyed(ast, node, span),
        }
    }

    /// [`Interner::push`] once a hash table is in use.
    #[inline(never)]
    fn push_hashed(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        match Key::of(node) {
            Some(key) => self.intern_hashed(ast, key, node, span),
            None => self.push_unkeyed(ast, node, span),
        }
    }

    /// A node without a key: an argument, found by its number, or a node never merged.
    #[inline]
    fn push_unkeyed(&mut self, ast: &mut Ast, node: Node, span: Span) -> NodeId {
        match node {
            Node::Arg(a) => self.arg(ast, a, span),
            _ => ast.push(node, span),
        }
    }

    /// The node of argument `a`, looked up by its number.
    #[inline]
    pub(crate) fn arg(&mut self, ast: &mut Ast, a: u32, span: Span) -> NodeId {
        let i = a as usize;
        if let Some(&Some(id)) = self.args.get(i) {
            return id;
        }
        if i >= self.args.len() {
            self.args.resize(i + 1, None);
        }
        let id = ast.push(Node::Arg(a), span);
        self.args[i] = Some(id);
        id
    }

    /// Adds `x^n` as the multiplications of [`crate::ops::powi_steps`] (exactly the interpreter's
    /// sequence), merging each product with an equal one already present: `x^7`, `x^5` and
    /// `x^3` then share their squares.
    pub(crate) fn push_powi(&mut self, ast: &mut Ast, x: NodeId, n: i64, span: Span) -> NodeId {
        if n == 0 {
            return self.push(ast, Node::Num(1.0), span);
        }
        let mut base = x;
        let mut acc: Option<NodeId> = None;
        // The steps of `powi_steps`, spelled out over the bits of `|n|` (its iterator of
        // chained options took more instructions than the pushes): for each bit from the
        // lowest, `Accumulate` if it is set, then `Square` unless it is the last.
        let m = n.unsigned_abs();
        let bits = u64::BITS - m.leading_zeros();
        for i in 0..bits {
            if (m >> i) & 1 == 1 {
                acc = Some(match acc {
                    None => base,
                    Some(a) => self.push_here(ast, Node::Binary(BinaryOp::Mul, a, base), span),
                });
            }
            if i + 1 < bits {
                base = self.push_here(ast, Node::Binary(BinaryOp::Mul, base, base), span);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::UnaryOp;

    /// Pushes a sum of `terms` products `x_{i%3} * c_{i%7}` (so products repeat) and a few
    /// values that must stay apart (`0.0` and `-0.0`, NaN payloads), into an interner set up
    /// for a tree of `expected` nodes; returns the tree.
    fn sum(interner: &mut Interner, terms: u32, expected: usize) -> Ast {
        let mut ast = Ast::new();
        let span = Span::new(0, 1);
        interner.reset(expected);
        let mut acc = interner.push(&mut ast, Node::Num(0.0), span);
        for i in 0..terms {
            let x = interner.push(&mut ast, Node::Arg(i % 3), span);
            let c = interner.push(&mut ast, Node::Num(f64::from(i % 7)), span);
            let p = interner.push(&mut ast, Node::Binary(BinaryOp::Mul, x, c), span);
            acc = interner.push(&mut ast, Node::Binary(BinaryOp::Add, acc, p), span);
        }
        for v in [0.0, -0.0, f64::NAN, f64::from_bits(f64::NAN.to_bits() | 1)] {
            let a = interner.push(&mut ast, Node::Num(v), span);
            let b = interner.push(&mut ast, Node::Unary(UnaryOp::Neg, a), span);
            assert_eq!(interner.push(&mut ast, Node::Num(v), span), a);
            assert_eq!(
                interner.push(&mut ast, Node::Unary(UnaryOp::Neg, a), span),
                b
            );
        }
        ast
    }

    /// Random pushes (arguments, a few constants, unary, binary and `if` nodes over any
    /// nodes so far, often repeating an earlier node) give the same ids whichever table is
    /// in use: the compact table with its first parents finds every node the keyed map
    /// finds, and no other.
    #[test]
    fn first_parents_find_what_the_map_finds() {
        let span = Span::new(0, 1);
        for seed in 1..=40u64 {
            let mut runs = Vec::new();
            for expected in [1000, LARGE_TREE + 1] {
                let mut interner = Interner::default();
                interner.reset(expected);
                let mut ast = Ast::new();
                let mut state = seed;
                let mut next = |n: u64| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (state >> 33) % n
                };
                let mut ids: Vec<NodeId> = Vec::new();
                for _ in 0..3000 {
                    // mostly recent nodes, as a parser makes them; sometimes any node
                    let pick = |next: &mut dyn FnMut(u64) -> u64| {
                        let len = ids.len() as u64;
                        let back = if next(4) == 0 {
                            next(len)
                        } else {
                            next(len.min(6))
                        };
                        ids[(len - 1 - back) as usize]
                    };
                    let node = match if ids.is_empty() { 0 } else { next(7) } {
                        0 => Node::Arg(next(3) as u32),
                        1 => Node::Num(next(5) as f64),
                        2 => Node::Unary(UnaryOp::Neg, pick(&mut next)),
                        3 => Node::If(pick(&mut next), pick(&mut next), pick(&mut next)),
                        4 => Node::Binary(BinaryOp::Sub, pick(&mut next), pick(&mut next)),
                        _ => Node::Binary(BinaryOp::Mul, pick(&mut next), pick(&mut next)),
                    };
                    ids.push(interner.push(&mut ast, node, span));
                }
                assert!(
                    interner.mode
                        == if expected > LARGE_TREE {
                            Mode::Table
                        } else {
                            Mode::Map
                        }
                );
                runs.push((ids, ast.len()));
            }
            assert!(runs[0] == runs[1], "seed {seed}");
            // (and the pushes did repeat nodes: the test exercises both answers)
            assert!(runs[0].1 < 2500, "seed {seed}: {} nodes", runs[0].1);
        }
    }

    /// `x^n` is built with exactly the products of [`crate::ops::powi`] (the same rounding).
    #[test]
    fn powers_multiply_as_the_interpreter_does() {
        let mut interner = Interner::default();
        for n in -70..=70 {
            let mut ast = Ast::new();
            interner.reset(4);
            let x = interner.push(&mut ast, Node::Arg(0), Span::new(0, 1));
            interner.push_powi(&mut ast, x, n, Span::new(0, 1));
            let expr = crate::Expr::from_parts(ast, vec!["x".into()], None).unwrap();
            let v = 1.000_000_1f64;
            let got = expr.eval(&[v]).unwrap();
            assert_eq!(got.to_bits(), crate::ops::powi(v, n).to_bits(), "x^{n}");
        }
    }

    /// The scanned list, the keyed map and the compact table merge exactly the same nodes
    /// (3 arguments, 7 constants, 21 products, one sum per term, the kept-apart values and
    /// their negations); each is used for the sizes it is meant for, and a reused interner
    /// chooses again.
    #[test]
    fn every_table_merges_the_same_nodes() {
        let mut interner = Interner::default();
        for expected in [10, 1000, LARGE_TREE + 1, 1000, 10] {
            for terms in [2, 3000] {
                let ast = sum(&mut interner, terms, expected);
                // the first sum's 0.0 is also the constant of term 0; of the kept-apart
                // values, -0.0 and the two NaNs are new, and each of the four has a negation
                let distinct = |n: u32| 1 + n.min(3) + (n.min(7) - 1) + n.min(21) + n + 3 + 4;
                assert_eq!(ast.len() as u32, distinct(terms), "{expected} {terms}");
                let mode = match (expected, terms) {
                    (10, 2) => Mode::Small,
                    (e, _) if e > LARGE_TREE => Mode::Table,
                    _ => Mode::Map,
                };
                assert!(interner.mode == mode, "{expected} {terms}");
            }
        }
    }
}
