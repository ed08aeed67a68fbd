//! The simplifier (§3.1, §3.2 of the spec): constant folding, rewrites that keep every bit,
//! and the lowering of powers.
//!
//! One forward pass over the nodes (children before parents) builds a new tree; a final
//! compaction drops nodes that became unreachable (the untaken branch of a constant `if`).
//!
//! Rewrites, each exact for every input including `±0`, `±inf` and NaN (a NaN may change its
//! sign bit, which the project treats as the same value):
//! `x*2 → x+x`, `x/c → x*(1/c)` for `c` a power of two whose reciprocal is a normal number,
//! `x*1 → x`, `x/1 → x`, `x-0 → x`, `x+(-0) → x`, `x*-1 → -x`, `--x → x`, `a-(-b) → a+b`,
//! `a+(-b) → a-b`, `(-a)+b → b-a`, `(-a)*(-b) → a*b`. Not `x+0 → x`: `-0+0` is `+0`.

use crate::ast::{ArgList, Ast, Node, NodeId};
use crate::error::Span;
use crate::expr::Expr;
use crate::intern::Interner;
use crate::ops::{self, BinaryOp, PowPlan, UnaryOp};

impl Expr {
    /// The simplified expression: what the code generator compiles. It evaluates to the same
    /// bits as `self` for every input.
    ///
    /// ```
    /// let e = jit_compiler::parse("2*x^0.5 + 3*(4 - 1) + y/4").unwrap().simplified();
    /// // `2*s` became `s + s` with the one node `s` used twice (the tree is a DAG now)
    /// assert_eq!(e.to_string(), "sqrt(x) + sqrt(x) + 9 + y*0.25");
    /// ```
    pub fn simplified(&self) -> Expr {
        let ast = simplify(self.ast());
        self.with_valid_ast(ast)
    }

    /// The simplified tree prepared for the code generator: equal subtrees are one node
    /// (hash-consing), integer powers are spelled out as their multiplications, and unused
    /// nodes are left in place (the code generator only visits what the root reaches).
    pub(crate) fn simplified_for_codegen(&self) -> (Ast, NodeId) {
        // A workspace of its own: the tree it returns is kept by the caller (the array
        // kernels), so taking the thread's would leave that one without its tree.
        let mut tree = Ast::default();
        let root = self.simplify_for_codegen_in(&mut tree, &mut Default::default());
        (tree, root)
    }

    /// [`Expr::simplified_for_codegen`] into `tree`, refilled in place with the workspace's
    /// tables (the simplifier borrows them rather than moving them out and back); returns
    /// its root.
    pub(crate) fn simplify_for_codegen_in(
        &self,
        tree: &mut Ast,
        ws: &mut crate::workspace::Workspace,
    ) -> NodeId {
        tree.clear();
        ws.interner.reset(self.ast().len());
        let mut s = Simplifier::with_buffers(self.ast(), &mut ws.simplify, tree);
        s.interner = Some(&mut ws.interner);
        s.simplify_all()
    }
}

/// The simplified tree of `old`, without unused nodes.
fn simplify(old: &Ast) -> Ast {
    let mut new = Ast::with_capacity(old.len());
    let mut buffers = Buffers::default();
    let root = Simplifier::with_buffers(old, &mut buffers, &mut new).simplify_all();
    // Rewrites and folded `if`s can leave nodes nobody uses; drop them (and make the root
    // the last node again) only when that happened.
    let live = new.reachable(root);
    if root == new.root() && live.iter().all(|l| *l) {
        new
    } else {
        new.compact(root)
    }
}

/// The simplifier's tables, kept between compilations (see [`crate::workspace`]).
#[derive(Default)]
pub(crate) struct Buffers {
    closed: Vec<bool>,
    map: Vec<Entry>,
}

/// What an old node simplified to: a node of the new tree, or a constant not in it yet. A
/// constant is placed in the tree (and, for the code generator, interned) only when a node
/// that is kept uses it: constants that fold away, and those a rewrite reads and drops (the
/// exponent of `x^3`, the `2` of `2*x`), never reach the tree.
///
/// (A `Node` is never a number: numbers are `Num` until placed, then `Placed`, so asking
/// whether a value is a number does not read the tree.)
#[derive(Clone, Copy)]
enum Value {
    Node(NodeId),
    /// The constant, and the old node it came from (whose span it gets when placed).
    Num(f64, u32),
    /// A constant already placed in the tree, as this node.
    Placed(f64, NodeId),
}

/// A [`Value`] as `map` keeps it: three plain fields rather than an enum. (LLVM built each
/// node's `Value` in memory with a 4-, a 4- and an 8-byte store and pushed it with one
/// 16-byte load, which the CPU cannot forward from several stores: a stall of about a dozen
/// cycles a node, 40% of the simplifier's time on E1 in `perf annotate`. The fields are
/// stored and read one by one.)
#[derive(Clone, Copy)]
struct Entry {
    kind: Kind,
    /// The node, or the old node a `Num` came from.
    id: u32,
    /// The constant (0 for a `Node`).
    num: f64,
}

/// Which [`Value`] an [`Entry`] is. (Four bytes, as the tag the enum had.)
#[derive(Clone, Copy)]
#[repr(u32)]
enum Kind {
    Node,
    Num,
    Placed,
}

impl From<Value> for Entry {
    #[inline(always)]
    fn from(value: Value) -> Entry {
        let (kind, id, num) = match value {
            Value::Node(id) => (Kind::Node, id.index() as u32, 0.0),
            Value::Num(num, from) => (Kind::Num, from, num),
            Value::Placed(num, id) => (Kind::Placed, id.index() as u32, num),
        };
        Entry { kind, id, num }
    }
}

impl Entry {
    #[inline(always)]
    fn value(self) -> Value {
        match self.kind {
            Kind::Node => Value::Node(NodeId::from_index(self.id as usize)),
            Kind::Num => Value::Num(self.num, self.id),
            Kind::Placed => Value::Placed(self.num, NodeId::from_index(self.id as usize)),
        }
    }
}

struct Simplifier<'a> {
    old: &'a Ast,
    closed: &'a mut Vec<bool>,
    /// For each old node: does its subtree call a user function? (Made when first asked.)
    calls: Vec<bool>,
    new: &'a mut Ast,
    /// What each old node simplified to, by old index.
    map: &'a mut Vec<Entry>,
    /// When set, equal nodes are merged and powers expanded (for the code generator).
    interner: Option<&'a mut Interner>,
    /// The span of the old node being simplified, which every node made for it gets.
    span: Span,
}

impl<'a> Simplifier<'a> {
    /// A simplifier that fills `new` (empty) and uses `buffers` for its tables.
    fn with_buffers(old: &'a Ast, buffers: &'a mut Buffers, new: &'a mut Ast) -> Self {
        let Buffers { closed, map } = buffers;
        closed.clear();
        map.clear();
        map.reserve(old.len());
        Simplifier {
            old,
            closed,
            calls: Vec::new(),
            new,
            map,
            interner: None,
            span: Span::default(),
        }
    }

    /// Simplifies every node into `self.new`; returns the new root (node 0 of an empty tree).
    /// (Inlined into its two callers, which then keep the simplifier's fields in registers
    /// rather than building it in memory for a call: E1 14 instructions fewer.)
    #[inline(always)]
    fn simplify_all(&mut self) -> NodeId {
        // (`old` is not borrowed from `self`: the loop reads it without reloading it)
        let old = self.old;
        if old.is_empty() {
            return NodeId::from_index(0);
        }
        for (i, (&node, &span)) in old.nodes().iter().zip(old.spans()).enumerate() {
            self.span = span;
            let value = self.simplify(node, i);
            self.map.push(value.into());
        }
        // cannot fail: the tree is not empty, and `map` has one entry per old node.
        let root = self.map[self.old.root().index()].value();
        self.place(root)
    }

    /// The number `value` is, if it is one.
    fn num(&self, value: Value) -> Option<f64> {
        match value {
            Value::Num(v, _) | Value::Placed(v, _) => Some(v),
            Value::Node(_) => None,
        }
    }

    /// A constant made for the old node being simplified (the next one `map` gets): it is
    /// that node's value, placed (if ever) only once `map` holds it.
    fn constant(&self, v: f64) -> Value {
        Value::Num(v, self.map.len() as u32)
    }

    /// The node of `value`, placing a constant in the tree on its first use.
    #[inline]
    fn place(&mut self, value: Value) -> NodeId {
        match value {
            Value::Node(id) | Value::Placed(_, id) => id,
            Value::Num(v, from) => self.place_num(v, from as usize),
        }
    }

    /// The node of constant `v` made for old node `from`: placed in the tree on its first
    /// use. (Out of line: most operands are nodes already. The interner's path inlined in
    /// it, rather than a second call: E2, E3, E4 30 / 30 / 58 instructions fewer.)
    #[inline(never)]
    fn place_num(&mut self, v: f64, from: usize) -> NodeId {
        // (a shared old node, or a constant `if` passing on its side's constant: placed by
        // an earlier use, it is placed once)
        if let Value::Placed(_, id) = self.map[from].value() {
            return id;
        }
        let id = self.push_here(Node::Num(v), self.old.spans()[from]);
        self.map[from] = Value::Placed(v, id).into();
        id
    }

    /// [`Simplifier::push_spanned`] with the interner's path of small trees inlined (see
    /// [`Interner::push_here`]), for the binary operations and the constants.
    #[inline(always)]
    fn push_here(&mut self, node: Node, span: Span) -> NodeId {
        match &mut self.interner {
            Some(interner) => interner.push_here(self.new, node, span),
            None => self.new.push(node, span),
        }
    }

    #[inline]
    fn push(&mut self, node: Node) -> NodeId {
        self.push_spanned(node, self.span)
    }

    #[inline]
    fn push_spanned(&mut self, node: Node, span: Span) -> NodeId {
        match &mut self.interner {
            Some(interner) => interner.push(self.new, node, span),
            None => self.new.push(node, span),
        }
    }

    /// The node of argument `a`. (The interner's lookup by number is called directly: it is
    /// short, and [`Interner::push`] saves and restores registers for its hash tables.)
    fn arg(&mut self, a: u32) -> NodeId {
        match &mut self.interner {
            Some(interner) => interner.arg(self.new, a, self.span),
            None => self.new.push(Node::Arg(a), self.span),
        }
    }

    /// What old node `i`, which is `node`, simplifies to.
    fn simplify(&mut self, node: Node, i: usize) -> Value {
        // cannot fail: nodes are visited in order and children come before their parents,
        // so `map` already holds every child.
        let m = |c: NodeId| self.map[c.index()].value();
        match node {
            Node::Num(v) => Value::Num(v, i as u32),
            Node::Arg(a) => Value::Node(self.arg(a)),
            Node::Unary(op, a) => self.unary(op, m(a)),
            Node::Binary(BinaryOp::Pow, a, b) => {
                let (a, nb) = (m(a), m(b));
                let closed = self.is_closed(b);
                self.pow(a, nb, closed, i)
            }
            Node::Binary(op, a, b) => self.binary(op, m(a), m(b)),
            Node::PowI(a, n) => self.powi(m(a), n, i),
            Node::If(c, a, b) => self.if_node(m(c), m(a), m(b)),
            Node::Call(f, list) => self.call(f, list),
        }
    }

    /// `if(c, a, b)`: the side a constant condition chooses, else a new `if` node. (Out of
    /// line, as [`Simplifier::call`]: rare, and the loop over the nodes stays small.)
    #[inline(never)]
    fn if_node(&mut self, c: Value, a: Value, b: Value) -> Value {
        match self.num(c) {
            Some(cv) if ops::is_truthy(cv) => a,
            Some(_) => b,
            None => {
                let (c, a, b) = (self.place(c), self.place(a), self.place(b));
                Value::Node(self.push(Node::If(c, a, b)))
            }
        }
    }

    /// The call of user function `f` with the (old) arguments in `list`.
    #[inline(never)]
    fn call(&mut self, f: u32, list: ArgList) -> Value {
        let old = self.old;
        let mut args = Vec::with_capacity(old.call_args(list).len());
        for &c in old.call_args(list) {
            args.push(self.place(self.map[c.index()].value()));
        }
        let list = self.new.push_call_args(&args);
        Value::Node(self.push(Node::Call(f, list)))
    }

    /// Is the old subtree at `id` closed (numbers and operators only)? A number, yes; a
    /// subtree that did not fold to a number, no (closed subtrees always fold); otherwise
    /// (rare: `2^(1+1)`, `x^if(1, 2, y)`) the table of [`Ast::closed`], made once.
    fn is_closed(&mut self, id: NodeId) -> bool {
        if matches!(self.old.node(id), Node::Num(_)) {
            return true;
        }
        if self.num(self.map[id.index()].value()).is_none() {
            return false;
        }
        if self.closed.is_empty() {
            self.old.closed_into(self.closed);
        }
        self.closed[id.index()]
    }

    /// Does the old subtree at `i` call a user function? (Asked only for `x^0`; the table is
    /// made once.)
    fn calls_under(&mut self, i: usize) -> bool {
        if self.calls.is_empty() {
            self.calls = self.old.calls();
        }
        self.calls[i]
    }

    /// The new node `op(a, b)`, its operands placed (`a` first). (Inlined: a call cost E5
    /// some 800 instructions of its 62 000; [`Simplifier::binary`] makes its nodes in one
    /// place, so that this is one copy there.)
    #[inline(always)]
    fn binary_node(&mut self, op: BinaryOp, a: Value, b: Value) -> Value {
        let (a, b) = (self.place(a), self.place(b));
        Value::Node(self.push_here(Node::Binary(op, a, b), self.span))
    }

    /// The new node `op(a)`, its operand placed. (Inlined at its four calls: as a call it
    /// cost E5 some 300 instructions, E1 26.)
    #[inline(always)]
    fn unary_node(&mut self, op: UnaryOp, a: Value) -> Value {
        let a = self.place(a);
        Value::Node(self.push(Node::Unary(op, a)))
    }

    fn unary(&mut self, op: UnaryOp, a: Value) -> Value {
        if let Some(v) = self.num(a) {
            return self.constant(op.apply(v));
        }
        match (op, self.negated(a)) {
            (UnaryOp::Neg, Some(inner)) => Value::Node(inner),
            _ => self.unary_node(op, a),
        }
    }

    /// `x` when `value` is the node `-x`. (Inlined: a load and a compare, asked up to six
    /// times per binary node; as a call it cost E5 some 500 instructions.)
    #[inline(always)]
    fn negated(&self, value: Value) -> Option<NodeId> {
        match value {
            Value::Node(id) => match self.new.node(id) {
                Node::Unary(UnaryOp::Neg, inner) => Some(inner),
                _ => None,
            },
            Value::Num(..) | Value::Placed(..) => None,
        }
    }

    fn binary(&mut self, op: BinaryOp, a: Value, b: Value) -> Value {
        use BinaryOp::*;
        let (na, nb) = (self.num(a), self.num(b));
        if let (Some(x), Some(y)) = (na, nb) {
            return self.constant(op.apply(x, y));
        }
        let bits = |id: Option<f64>| id.map(f64::to_bits);
        let node = Value::Node;
        // (the rewrites that make a binary node say which, and it is made in one place
        // below: one call of `binary_node`, which is then worth inlining)
        let (op, a, b) = match op {
            Mul if nb == Some(2.0) => (Add, a, a),
            Mul if na == Some(2.0) => (Add, b, b),
            Mul if nb == Some(1.0) => return a,
            Mul if na == Some(1.0) => return b,
            Mul if nb == Some(-1.0) => return self.unary_node(UnaryOp::Neg, a),
            Mul if na == Some(-1.0) => return self.unary_node(UnaryOp::Neg, b),
            Mul if self.negated(a).is_some() && self.negated(b).is_some() => {
                let (x, y) = (self.negated(a), self.negated(b));
                (Mul, x.map_or(a, node), y.map_or(b, node))
            }
            Div if nb == Some(1.0) => return a,
            Div if nb.and_then(exact_reciprocal).is_some() => {
                let r = nb.and_then(exact_reciprocal).unwrap_or(1.0);
                let a = self.place(a);
                let c = self.push(Node::Num(r));
                return Value::Node(self.push(Node::Binary(Mul, a, c)));
            }
            Sub if bits(nb) == Some(0.0f64.to_bits()) => return a,
            Add if bits(nb) == Some((-0.0f64).to_bits()) => return a,
            Sub if self.negated(b).is_some() => (Add, a, self.negated(b).map_or(b, node)),
            Add if self.negated(b).is_some() => (Sub, a, self.negated(b).map_or(b, node)),
            // `x - y` is `x + (-y)` and addition commutes, bit for bit
            Add if self.negated(a).is_some() => (Sub, b, self.negated(a).map_or(a, node)),
            _ => (op, a, b),
        };
        self.binary_node(op, a, b)
    }

    /// `a ^ b` by §3.2: the plan depends on whether the exponent, as written, is constant.
    fn pow(&mut self, a: Value, b: Value, exponent_closed: bool, i: usize) -> Value {
        let exponent = if exponent_closed { self.num(b) } else { None };
        if let (Some(x), Some(y)) = (self.num(a), self.num(b)) {
            return self.constant(ops::pow(x, y, exponent_closed));
        }
        match ops::pow_plan(exponent) {
            PowPlan::Int(n) => self.powi(a, n, i),
            // (`x^0.5`, a common way of writing a square root, made with the interner's path
            // inlined: E1, E2 10 / 12 instructions fewer. At `unary_node`'s other calls that
            // path inlined cost E3, which folds to a constant, 38 more.)
            PowPlan::Sqrt => {
                let a = self.place(a);
                Value::Node(self.push_here(Node::Unary(UnaryOp::Sqrt, a), self.span))
            }
            PowPlan::RecipSqrt => {
                // (`a` is not a number: a number would have folded)
                let a = self.place(a);
                let one = self.push(Node::Num(1.0));
                let root = self.push(Node::Unary(UnaryOp::Sqrt, a));
                Value::Node(self.push(Node::Binary(BinaryOp::Div, one, root)))
            }
            PowPlan::Powf => self.binary_node(BinaryOp::Powf, a, b),
        }
    }

    /// `x^n`: `x^0 = 1`, `x^1 = x` and `x^-1 = 1/x` are exactly what [`ops::powi`] computes.
    fn powi(&mut self, a: Value, n: i64, i: usize) -> Value {
        if let Some(x) = self.num(a) {
            return self.constant(ops::powi(x, n));
        }
        // (`a` is not a number, so it is a node already)
        let a = self.place(a);
        let node = match n {
            // `f(x)^0` is 1, but the call is still made, as the interpreter makes it (its
            // effects, and a panic, are observable): `if(f(x), 1, 1)` is 1 for every value.
            0 if self.calls_under(i) => {
                let one = self.push(Node::Num(1.0));
                self.push(Node::If(a, one, one))
            }
            0 => return self.constant(1.0),
            1 => a,
            -1 => {
                let one = self.push(Node::Num(1.0));
                self.push(Node::Binary(BinaryOp::Div, one, a))
            }
            _ => match &mut self.interner {
                Some(interner) => interner.push_powi(self.new, a, n, self.span),
                None => self.push(Node::PowI(a, n)),
            },
        };
        Value::Node(node)
    }
}

/// `1/c` when `c` is a power of two and `1/c` is a normal number: then `x/c == x*(1/c)` for
/// every `x` (both are exact scalings, rounded once the same way).
fn exact_reciprocal(c: f64) -> Option<f64> {
    let r = 1.0 / c;
    let is_pow2 = |v: f64| v.is_normal() && v.to_bits() & ((1u64 << 52) - 1) == 0;
    (is_pow2(c) && is_pow2(r)).then_some(r)
}

#[cfg(test)]
mod tests {
    use crate::parse;

    /// The map's plain fields give back every value as it was: the variant, the id and every
    /// bit of the constant (NaN payloads and signed zeros included).
    #[test]
    fn entries_give_back_every_value() {
        use super::{Entry, Value};
        use crate::ast::NodeId;
        let ids = [0, 1, 65_536, u32::MAX];
        let nums = [
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(1),
            f64::INFINITY,
            2.5,
        ];
        let same = |a: Value, b: Value| match (a, b) {
            (Value::Node(a), Value::Node(b)) => a == b,
            (Value::Num(x, a), Value::Num(y, b)) => x.to_bits() == y.to_bits() && a == b,
            (Value::Placed(x, a), Value::Placed(y, b)) => x.to_bits() == y.to_bits() && a == b,
            _ => false,
        };
        for id in ids {
            let node = NodeId::from_index(id as usize);
            let mut values = vec![Value::Node(node)];
            for v in nums {
                values.extend([Value::Num(v, id), Value::Placed(v, node)]);
            }
            for value in values {
                assert!(same(Entry::from(value).value(), value), "id {id}");
            }
        }
    }

    fn simp(src: &str) -> String {
        parse(src).unwrap().simplified().to_string()
    }

    #[test]
    fn folds_constants() {
        assert_eq!(simp("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"), "-33");
        assert_eq!(simp("2^10 + x"), "1024 + x");
        assert_eq!(simp("if(1 < 2, x, y)"), "x");
        assert_eq!(simp("x + pi*0"), "x + 0");
    }

    #[test]
    fn keeps_every_bit() {
        assert_eq!(simp("x + 0"), "x + 0");
        assert_eq!(simp("x*2"), "x + x");
        assert_eq!(simp("x/4"), "x*0.25");
        assert_eq!(simp("x/3"), "x/3");
        assert_eq!(simp("x/2^1024"), "x/inf");
        assert_eq!(simp("--x"), "x");
        assert_eq!(simp("a - -b"), "a + b");
        assert_eq!(simp("-b + a"), "a - b");
        assert_eq!(simp("(-a)*(-b)"), "a*b");
        assert_eq!(simp("x*1 - 0"), "x");
    }

    /// A constant is placed in the tree when first used, with the span it was written or
    /// folded at (not its parent's).
    #[test]
    fn constants_keep_their_spans() {
        use crate::Node;
        use crate::error::Span;
        let spans = |src: &str| {
            let e = parse(src).unwrap().simplified();
            let ast = e.ast();
            let num = |v: f64| ast.nodes().iter().position(|n| *n == Node::Num(v));
            [3.0, 6.0].map(|v| num(v).map(|i| ast.span(crate::ast::NodeId::from_index(i))))
        };
        assert_eq!(spans("x*3"), [Some(Span::new(2, 3)), None]);
        assert_eq!(
            spans("if(1, 3, y)*x - (2*3)*y"),
            [Some(Span::new(6, 7)), Some(Span::new(17, 20))]
        );
    }

    /// A constant node that two parents share (a tree made with `Expr::from_parts`) is
    /// placed once.
    #[test]
    fn shared_constants_are_placed_once() {
        use crate::ast::Ast;
        use crate::error::Span;
        use crate::{BinaryOp, Node};
        let mut ast = Ast::new();
        let span = Span::new(0, 1);
        let three = ast.push(Node::Num(3.0), span);
        let x = ast.push(Node::Arg(0), span);
        let product = ast.push(Node::Binary(BinaryOp::Mul, x, three), span);
        ast.push(Node::Binary(BinaryOp::Add, product, three), span);
        let e = crate::Expr::from_parts(ast, vec!["x".into()], None).unwrap();
        let simple = e.simplified();
        assert_eq!(simple.to_string(), "x*3 + 3");
        assert_eq!(simple.ast().len(), 4);
    }

    #[test]
    fn lowers_powers() {
        assert_eq!(simp("x^0.5"), "sqrt(x)");
        assert_eq!(simp("x^-0.5"), "1/sqrt(x)");
        assert_eq!(simp("x^3"), "x^3");
        assert_eq!(simp("x^-3"), "x^-3");
        assert_eq!(simp("x^(1+2)"), "x^3");
        assert_eq!(simp("x^0"), "1");
        assert_eq!(simp("x^1"), "x");
        assert_eq!(simp("x^-1"), "1/x");
        assert_eq!(simp("x^1.5"), "pow(x, 1.5)");
        assert_eq!(simp("x^y"), "pow(x, y)");
    }
}
