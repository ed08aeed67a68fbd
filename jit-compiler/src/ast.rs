//! The abstract syntax tree, stored flat: every node lives in one `Vec`, children always before
//! their parents. Every pass (printer, simplifier, interpreter, code generator) is therefore a
//! loop or an explicit stack, never recursion, so a 100 000-term sum or 100 000 nested
//! parentheses cannot overflow the stack, and dropping a tree is freeing three vectors (or
//! keeping two of them for the thread's next tree: see [`Ast::with_capacity`]).
//!
//! The same layout can hold a DAG (a node used by several parents), which the code generator
//! uses for common subexpressions.

use crate::error::Span;
use crate::ops::{BinaryOp, UnaryOp};
use crate::spare::{GiveSpare, SPARE, Spare};

/// The index of a node in its [`Ast`].
///
/// ```
/// use jit_compiler::ast::{Node, NodeId};
/// let expr = jit_compiler::parse("x*2").unwrap(); // nodes: x, 2, x*2
/// assert_eq!(expr.root(), NodeId::from_index(2));
/// assert_eq!(expr.ast().node(NodeId::from_index(0)), Node::Arg(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The position in the node vector.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// let expr = jit_compiler::parse("x*2").unwrap();
    /// let Node::Binary(_, _, two) = expr.ast().node(expr.root()) else { unreachable!() };
    /// assert_eq!(two.index(), 1);
    /// assert_eq!(expr.ast().nodes()[two.index()], Node::Num(2.0));
    /// ```
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id of the node at position `i` (trees hold fewer than 2^32 nodes; see `Limits`).
    ///
    /// ```
    /// use jit_compiler::ast::NodeId;
    /// assert_eq!(NodeId::from_index(7).index(), 7);
    /// let expr = jit_compiler::parse("sin(x) + 1").unwrap();
    /// assert_eq!(expr.root(), NodeId::from_index(expr.ast().len() - 1)); // the root comes last
    /// ```
    pub fn from_index(i: usize) -> NodeId {
        NodeId(u32::try_from(i).unwrap_or(u32::MAX))
    }
}

/// The argument nodes of a user-function call, a range in [`Ast::call_args`].
///
/// ```
/// use jit_compiler::ast::{Node, NodeId};
/// use jit_compiler::{Options, Registry};
/// let mut reg = Registry::new();
/// reg.closure("f", 2, |a| a[0] + a[1]).unwrap();
/// let expr = Options::new().registry(reg.into()).parse("f(x, 1)").unwrap();
/// let Node::Call(0, list) = expr.ast().node(expr.root()) else { unreachable!() };
/// assert_eq!(expr.ast().call_args(list), [NodeId::from_index(0), NodeId::from_index(1)]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgList {
    start: u32,
    len: u32,
}

impl ArgList {
    /// How many arguments.
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// use jit_compiler::Span;
    /// let mut ast = Ast::new();
    /// let x = ast.push(Node::Arg(0), Span::new(2, 3));
    /// assert_eq!(ast.push_call_args(&[x, x, x]).len(), 3);
    /// ```
    pub fn len(self) -> usize {
        self.len as usize
    }

    /// No arguments?
    ///
    /// ```
    /// use jit_compiler::ast::Ast;
    /// let mut ast = Ast::new();
    /// assert!(ast.push_call_args(&[]).is_empty()); // a call of a function of no arguments
    /// ```
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// One node. Built-in functions of one or two arguments are [`UnaryOp`]s and [`BinaryOp`]s;
/// `min(a, b, c)` is parsed as `min(min(a, b), c)`.
///
/// ```
/// use jit_compiler::ast::{Node, NodeId};
/// use jit_compiler::{BinaryOp, UnaryOp};
/// let expr = jit_compiler::parse("sin(x) * 2").unwrap();
/// let id = NodeId::from_index;
/// assert_eq!(expr.ast().nodes(), [
///     Node::Arg(0),
///     Node::Unary(UnaryOp::Sin, id(0)),
///     Node::Num(2.0),
///     Node::Binary(BinaryOp::Mul, id(1), id(2)),
/// ]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node {
    /// A number.
    Num(f64),
    /// The function argument with this index.
    Arg(u32),
    /// A one-argument operation: `-x`, `√x`, `sin(x)`, ...
    Unary(UnaryOp, NodeId),
    /// A two-argument operation: `a + b`, `a < b`, `atan2(y, x)`, ...
    Binary(BinaryOp, NodeId, NodeId),
    /// `x^n` for an integer constant `n`, computed by the squaring sequence of
    /// [`crate::ops::powi`]. Only the simplifier creates it.
    PowI(NodeId, i64),
    /// `if(c, a, b)`: `a` when `c` is non-zero and not NaN, else `b`. Only the chosen branch
    /// is evaluated.
    If(NodeId, NodeId, NodeId),
    /// A call of the user function with this index in the [`crate::Registry`].
    Call(u32, ArgList),
}

/// A flat expression tree: nodes, their spans, and the argument lists of user calls.
///
/// ```
/// use jit_compiler::ast::{Ast, Node};
/// use jit_compiler::{Expr, Span, UnaryOp};
/// let mut ast = Ast::new(); // built bottom-up: children first
/// let x = ast.push(Node::Arg(0), Span::new(5, 6));
/// ast.push(Node::Unary(UnaryOp::Sqrt, x), Span::new(0, 7));
/// let expr = Expr::from_parts(ast, vec!["x".into()], None).unwrap();
/// assert_eq!(expr.to_string(), "sqrt(x)");
/// assert_eq!(expr.eval(&[9.0]).unwrap(), 3.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Ast {
    nodes: Vec<Node>,
    spans: Vec<Span>,
    call_args: Vec<NodeId>,
}

/// Trees of up to this many nodes give their vectors back to [`SPARE`] (6 KiB).
const SPARE_MAX_NODES: usize = 256;

/// Keeps the vectors of a small tree for the next [`Ast::with_capacity`] of this thread.
impl Drop for Ast {
    // (inlined, and the keeping out of line: the trees left empty by `std::mem::take`, two
    // on every compilation, then cost one comparison)
    #[inline]
    fn drop(&mut self) {
        if self.nodes.capacity() != 0 {
            crate::spare::leave(self);
        }
    }
}

impl GiveSpare for Ast {
    /// Moves the vectors of a tree of at most [`SPARE_MAX_NODES`] into `spare`, emptied,
    /// leaving this tree without them. (A larger tree keeps its vectors, to be freed.)
    fn give_spare(&mut self, spare: &Spare) {
        let capacity = self.nodes.capacity();
        if capacity == 0 || capacity > SPARE_MAX_NODES {
            return;
        }
        let mut nodes = std::mem::take(&mut self.nodes);
        let mut spans = std::mem::take(&mut self.spans);
        nodes.clear();
        spans.clear();
        spare.nodes.set(nodes);
        spare.spans.set(spans);
    }
}

impl Ast {
    /// An empty tree.
    ///
    /// ```
    /// let ast = jit_compiler::ast::Ast::new();
    /// assert!(ast.is_empty() && ast.nodes().is_empty());
    /// ```
    pub fn new() -> Ast {
        Ast::default()
    }

    /// An empty tree with room for `n` nodes. (In the vectors of the thread's last dropped
    /// tree if it had at most 256 nodes, which saves allocating and freeing them. Inlined:
    /// the parser then builds its tree in place rather than copying it out of a call's
    /// return slot, E1-E5 17 instructions fewer a compilation.)
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// use jit_compiler::Span;
    /// let mut ast = Ast::with_capacity(100);
    /// assert_eq!(ast.len(), 0);
    /// ast.push(Node::Num(1.0), Span::new(0, 1));
    /// assert_eq!(ast.len(), 1);
    /// ```
    #[inline]
    pub fn with_capacity(n: usize) -> Ast {
        let (mut nodes, mut spans) = SPARE
            .try_with(|spare| (spare.nodes.take(), spare.spans.take()))
            .unwrap_or_default();
        // (exact: without a spare, the vectors are allocated as `Vec::with_capacity` would)
        nodes.reserve_exact(n);
        spans.reserve_exact(n);
        Ast {
            nodes,
            spans,
            call_args: Vec::new(),
        }
    }

    /// Removes every node, keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.spans.clear();
        self.call_args.clear();
    }

    /// The number of nodes there is room for without reallocating.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.capacity()
    }

    /// Appends a node. Its children must already be in the tree: every pass relies on it,
    /// and [`Expr::from_parts`](crate::Expr::from_parts) checks it (with the other rules of a
    /// well-formed tree) for trees built by hand.
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// use jit_compiler::{BinaryOp, Span};
    /// let mut ast = Ast::new();
    /// let a = ast.push(Node::Num(1.0), Span::new(0, 1));
    /// let b = ast.push(Node::Num(2.0), Span::new(4, 5));
    /// let sum = ast.push(Node::Binary(BinaryOp::Add, a, b), Span::new(0, 5));
    /// assert_eq!((a.index(), b.index(), sum.index()), (0, 1, 2)); // ids in push order
    /// assert_eq!(ast.root(), sum);
    /// ```
    pub fn push(&mut self, node: Node, span: Span) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node);
        self.spans.push(span);
        id
    }

    /// Stores the arguments of a user call; use the result in [`Node::Call`].
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// use jit_compiler::{Expr, Registry, Span};
    /// let mut reg = Registry::new();
    /// reg.closure("add", 2, |a| a[0] + a[1]).unwrap();
    /// let mut ast = Ast::new();
    /// let x = ast.push(Node::Arg(0), Span::new(4, 5));
    /// let one = ast.push(Node::Num(1.0), Span::new(7, 8));
    /// let list = ast.push_call_args(&[x, one]);
    /// ast.push(Node::Call(0, list), Span::new(0, 9)); // function 0 of the registry
    /// let expr = Expr::from_parts(ast, vec!["x".into()], Some(reg.into())).unwrap();
    /// assert_eq!(expr.to_string(), "add(x, 1)");
    /// assert_eq!(expr.eval(&[2.0]).unwrap(), 3.0);
    /// ```
    pub fn push_call_args(&mut self, args: &[NodeId]) -> ArgList {
        let start = u32::try_from(self.call_args.len()).unwrap_or(u32::MAX);
        self.call_args.extend_from_slice(args);
        ArgList {
            start,
            len: u32::try_from(args.len()).unwrap_or(u32::MAX),
        }
    }

    /// The node `id`. Panics on an id from another tree: ids are only made by `push`
    /// (children before parents), so the passes over a tree never do that.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// use jit_compiler::UnaryOp;
    /// let expr = jit_compiler::parse("-x").unwrap();
    /// let Node::Unary(UnaryOp::Neg, x) = expr.ast().node(expr.root()) else { unreachable!() };
    /// assert_eq!(expr.ast().node(x), Node::Arg(0));
    /// ```
    pub fn node(&self, id: NodeId) -> Node {
        self.nodes[id.index()]
    }

    /// The source span of node `id` (from its first to its last token).
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// let src = "1 + sin(x)";
    /// let expr = jit_compiler::parse(src).unwrap();
    /// let Node::Binary(_, _, sin) = expr.ast().node(expr.root()) else { unreachable!() };
    /// assert_eq!(&src[expr.ast().span(sin).range()], "sin(x)");
    /// assert_eq!(&src[expr.ast().span(expr.root()).range()], src);
    /// ```
    pub fn span(&self, id: NodeId) -> Span {
        self.spans[id.index()]
    }

    /// The spans of all nodes, in the order of [`Ast::nodes`].
    pub(crate) fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// All nodes, children before parents.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// let expr = jit_compiler::parse("(x + 1)*(y + 2)").unwrap();
    /// let args = expr.ast().nodes().iter().filter(|n| matches!(n, Node::Arg(_))).count();
    /// assert_eq!(args, 2);
    /// assert!(matches!(expr.ast().nodes().last(), Some(Node::Binary(..)))); // the root, `*`
    /// ```
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The arguments of a user call.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// use jit_compiler::{Options, Registry};
    /// let mut reg = Registry::new();
    /// reg.closure("mean3", 3, |a| (a[0] + a[1] + a[2]) / 3.0).unwrap();
    /// let expr = Options::new().registry(reg.into()).parse("mean3(x, 2, y)").unwrap();
    /// let Node::Call(_, list) = expr.ast().node(expr.root()) else { unreachable!() };
    /// let args: Vec<Node> = expr.ast().call_args(list).iter().map(|&a| expr.ast().node(a)).collect();
    /// assert_eq!(args, [Node::Arg(0), Node::Num(2.0), Node::Arg(1)]);
    /// ```
    pub fn call_args(&self, list: ArgList) -> &[NodeId] {
        // cannot fail for a list made by `push_call_args` on this tree: it covers elements
        // that were pushed then (computed in usize, so no u32 overflow either).
        let start = list.start as usize;
        &self.call_args[start..start + list.len as usize]
    }

    /// The arguments of a user call, or `None` for a list of another tree that does not fit
    /// in this one.
    pub(crate) fn call_args_checked(&self, list: ArgList) -> Option<&[NodeId]> {
        let start = list.start as usize;
        self.call_args.get(start..start + list.len as usize)
    }

    /// Number of nodes.
    ///
    /// ```
    /// assert_eq!(jit_compiler::parse("x*2 + 1").unwrap().ast().len(), 5); // x, 2, *, 1, +
    /// ```
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// No nodes?
    ///
    /// ```
    /// use jit_compiler::ast::Ast;
    /// assert!(Ast::new().is_empty());
    /// assert!(!jit_compiler::parse("1").unwrap().ast().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The last node pushed: the root of a tree built bottom-up.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// use jit_compiler::BinaryOp;
    /// let expr = jit_compiler::parse("x + 2*y").unwrap();
    /// assert!(matches!(expr.ast().node(expr.ast().root()), Node::Binary(BinaryOp::Add, ..)));
    /// ```
    pub fn root(&self) -> NodeId {
        NodeId(u32::try_from(self.nodes.len().saturating_sub(1)).unwrap_or(u32::MAX))
    }

    /// The direct children of a node, in evaluation order of the source (left to right).
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// let expr = jit_compiler::parse("if(x, 1, 2)").unwrap();
    /// let ast = expr.ast();
    /// let kids: Vec<Node> = ast.children(ast.node(expr.root())).iter().map(|c| ast.node(c)).collect();
    /// assert_eq!(kids, [Node::Arg(0), Node::Num(1.0), Node::Num(2.0)]);
    /// assert!(ast.children(Node::Num(1.0)).as_slice().is_empty());
    /// ```
    pub fn children(&self, node: Node) -> Children<'_> {
        match node {
            Node::Num(_) | Node::Arg(_) => Children::Fixed([NodeId(0); 3], 0),
            Node::Unary(_, a) | Node::PowI(a, _) => Children::Fixed([a, a, a], 1),
            Node::Binary(_, a, b) => Children::Fixed([a, b, b], 2),
            Node::If(c, a, b) => Children::Fixed([c, a, b], 3),
            Node::Call(_, list) => Children::List(self.call_args(list)),
        }
    }

    /// The same tree with every `Arg(i)` replaced by `Arg(f(i))`.
    ///
    /// ```
    /// let expr = jit_compiler::parse("x - y").unwrap(); // x = Arg(0), y = Arg(1)
    /// let swapped = expr.ast().clone().map_args(|i| 1 - i);
    /// let expr = expr.with_ast(swapped).unwrap();
    /// assert_eq!(expr.to_string(), "y - x");
    /// ```
    pub fn map_args(mut self, f: impl Fn(u32) -> u32) -> Ast {
        self.remap_args(f);
        self
    }

    /// [`Ast::map_args`] in place (the tree is not moved in and out).
    pub(crate) fn remap_args(&mut self, f: impl Fn(u32) -> u32) {
        for node in &mut self.nodes {
            if let Node::Arg(i) = node {
                *i = f(*i);
            }
        }
    }

    /// Which nodes are reachable from `root`, by index (one backward pass: parents come
    /// after their children).
    ///
    /// ```
    /// use jit_compiler::ast::NodeId;
    /// let expr = jit_compiler::parse("x*2 + 1").unwrap(); // x, 2, *, 1, +
    /// let times = NodeId::from_index(2);
    /// assert_eq!(expr.ast().reachable(times), [true, true, true, false, false]);
    /// assert!(expr.ast().reachable(expr.root()).iter().all(|&r| r));
    /// ```
    pub fn reachable(&self, root: NodeId) -> Vec<bool> {
        // cannot fail (indexing below): children have smaller indices than their parents.
        let mut live = vec![false; self.nodes.len()];
        if let Some(r) = live.get_mut(root.index()) {
            *r = true;
        }
        for i in (0..self.nodes.len()).rev() {
            if live[i] {
                for c in self.children(self.nodes[i]).iter() {
                    live[c.index()] = true;
                }
            }
        }
        live
    }

    /// A copy holding only the nodes reachable from `root`, in the same order; the root is
    /// the last node of the result.
    ///
    /// ```
    /// use jit_compiler::ast::NodeId;
    /// let expr = jit_compiler::parse("1 + sin(x)").unwrap(); // 1, x, sin, +
    /// let sin = NodeId::from_index(2);
    /// let part = expr.ast().compact(sin);
    /// assert_eq!(part.len(), 2); // x, sin(x), renumbered from 0
    /// assert!(part.same_tree(part.root(), expr.ast(), sin));
    /// ```
    pub fn compact(&self, root: NodeId) -> Ast {
        let live = self.reachable(root);
        let mut out = Ast::with_capacity(live.iter().filter(|l| **l).count());
        // cannot fail (indexing below): `live` and `new_id` have one entry per node, and the
        // children of a live node are live and come first, so `new_id[c]` is already set.
        let mut new_id = vec![NodeId(0); self.nodes.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if !live[i] {
                continue;
            }
            let m = |c: NodeId| new_id[c.index()];
            let node = match *node {
                n @ (Node::Num(_) | Node::Arg(_)) => n,
                Node::Unary(op, a) => Node::Unary(op, m(a)),
                Node::Binary(op, a, b) => Node::Binary(op, m(a), m(b)),
                Node::PowI(a, n) => Node::PowI(m(a), n),
                Node::If(c, a, b) => Node::If(m(c), m(a), m(b)),
                Node::Call(f, list) => {
                    let args: Vec<NodeId> = self.call_args(list).iter().map(|&c| m(c)).collect();
                    Node::Call(f, out.push_call_args(&args))
                }
            };
            new_id[i] = out.push(node, self.spans[i]);
        }
        out
    }

    /// For every node: is its subtree closed, i.e. free of arguments and user calls? A
    /// closed exponent is a "constant exponent" in the sense of §3.2.
    ///
    /// ```
    /// let expr = jit_compiler::parse("x^(1/2)").unwrap(); // x, 1, 2, 1/2, x^(1/2)
    /// assert_eq!(expr.ast().closed(), [false, true, true, true, false]);
    /// ```
    pub fn closed(&self) -> Vec<bool> {
        let mut closed = Vec::with_capacity(self.nodes.len());
        self.closed_into(&mut closed);
        closed
    }

    /// [`Ast::closed`] into `closed` (cleared first), reusing its memory.
    pub(crate) fn closed_into(&self, closed: &mut Vec<bool>) {
        closed.clear();
        // cannot fail (indexing below): children come before their parents.
        for &node in &self.nodes {
            let c = match node {
                Node::Num(_) => true,
                Node::Arg(_) | Node::Call(..) => false,
                _ => self.children(node).iter().all(|c| closed[c.index()]),
            };
            closed.push(c);
        }
    }

    /// For every node: does its subtree call a user function?
    pub(crate) fn calls(&self) -> Vec<bool> {
        let mut calls: Vec<bool> = Vec::with_capacity(self.nodes.len());
        // cannot fail (indexing below): children come before their parents.
        for &node in &self.nodes {
            let c = match node {
                Node::Call(..) => true,
                _ => self.children(node).iter().any(|c| calls[c.index()]),
            };
            calls.push(c);
        }
        calls
    }

    /// Structural equality of the trees under two roots, ignoring spans; numbers compare by
    /// bits (so NaN equals NaN and `0` differs from `-0`). Each pair of nodes is compared
    /// once, so shared nodes (a DAG, e.g. a simplified tree) do not make it exponential.
    ///
    /// ```
    /// use jit_compiler::parse;
    /// let (a, b) = (parse("x*(y + 1)").unwrap(), parse("x * ( y+1 )").unwrap());
    /// assert!(a.ast().same_tree(a.root(), b.ast(), b.root())); // spans differ, trees do not
    /// let c = parse("x*(y + 2)").unwrap();
    /// assert!(!a.ast().same_tree(a.root(), c.ast(), c.root()));
    /// ```
    pub fn same_tree(&self, a: NodeId, other: &Ast, b: NodeId) -> bool {
        let mut stack = vec![(a, b)];
        let mut seen = std::collections::HashSet::new();
        while let Some((x, y)) = stack.pop() {
            if !seen.insert((x, y)) {
                continue;
            }
            let (nx, ny) = (self.node(x), other.node(y));
            let same_head = match (nx, ny) {
                (Node::Num(p), Node::Num(q)) => p.to_bits() == q.to_bits(),
                (Node::Arg(p), Node::Arg(q)) => p == q,
                (Node::Unary(p, _), Node::Unary(q, _)) => p == q,
                (Node::Binary(p, _, _), Node::Binary(q, _, _)) => p == q,
                (Node::PowI(_, p), Node::PowI(_, q)) => p == q,
                (Node::If(..), Node::If(..)) => true,
                (Node::Call(p, lp), Node::Call(q, lq)) => p == q && lp.len == lq.len,
                _ => false,
            };
            if !same_head {
                return false;
            }
            let (cx, cy) = (self.children(nx), other.children(ny));
            stack.extend(cx.iter().zip(cy.iter()));
        }
        true
    }
}

/// The children of a node; see [`Ast::children`].
///
/// ```
/// use jit_compiler::ast::{Children, Node};
/// let expr = jit_compiler::parse("x + 1").unwrap();
/// let kids = expr.ast().children(expr.ast().node(expr.root()));
/// assert!(matches!(kids, Children::Fixed(_, 2))); // a binary operation: two, inline
/// assert_eq!(kids.as_slice().len(), 2);
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Children<'a> {
    /// Up to three children, stored inline.
    Fixed([NodeId; 3], usize),
    /// The arguments of a user call.
    List(&'a [NodeId]),
}

impl<'a> Children<'a> {
    /// The children as a slice.
    ///
    /// ```
    /// use jit_compiler::ast::NodeId;
    /// let expr = jit_compiler::parse("-x").unwrap();
    /// let kids = expr.ast().children(expr.ast().node(expr.root()));
    /// assert_eq!(kids.as_slice(), [NodeId::from_index(0)]);
    /// ```
    pub fn as_slice(&self) -> &[NodeId] {
        match self {
            Children::Fixed(ids, n) => &ids[..*n],
            Children::List(ids) => ids,
        }
    }

    /// Iterates over the children, left to right.
    ///
    /// ```
    /// use jit_compiler::ast::Node;
    /// let expr = jit_compiler::parse("y - x").unwrap();
    /// let ast = expr.ast();
    /// let kids: Vec<Node> = ast.children(ast.node(expr.root())).iter().map(|c| ast.node(c)).collect();
    /// assert_eq!(kids, [Node::Arg(1), Node::Arg(0)]); // y is argument 1 (byte order)
    /// ```
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = NodeId> + '_ {
        self.as_slice().iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capacity of this thread's spare node vector.
    fn spare_capacity() -> usize {
        SPARE.with(|s| {
            let nodes = s.nodes.take();
            let capacity = nodes.capacity();
            s.nodes.set(nodes);
            capacity
        })
    }

    #[test]
    fn a_small_tree_leaves_its_vectors_to_the_next_one() {
        let mut ast = Ast::with_capacity(40);
        ast.push(Node::Num(1.0), Span::new(0, 1));
        drop(ast);
        assert!(spare_capacity() >= 40);
        let ast = Ast::with_capacity(10);
        assert!(ast.is_empty() && ast.capacity() >= 40, "taken, emptied");
        assert_eq!(spare_capacity(), 0);
        drop(ast);
        assert!(
            Ast::with_capacity(100).capacity() >= 100,
            "grown when short"
        );
        drop(Ast::with_capacity(SPARE_MAX_NODES + 1));
        assert_eq!(spare_capacity(), 0, "a large tree's vectors are freed");
    }

    #[test]
    fn children_and_same_tree() {
        let mut ast = Ast::new();
        let x = ast.push(Node::Arg(0), Span::new(0, 1));
        let two = ast.push(Node::Num(2.0), Span::new(2, 3));
        let mul = ast.push(Node::Binary(BinaryOp::Mul, x, two), Span::new(0, 3));
        assert_eq!(ast.root(), mul);
        assert_eq!(ast.children(ast.node(mul)).as_slice(), [x, two]);

        let mut other = Ast::new();
        let x2 = other.push(Node::Arg(0), Span::new(5, 6));
        let two2 = other.push(Node::Num(2.0), Span::new(9, 9));
        let mul2 = other.push(Node::Binary(BinaryOp::Mul, x2, two2), Span::new(0, 0));
        assert!(ast.same_tree(mul, &other, mul2));
        let neg = other.push(Node::Num(-2.0), Span::default());
        let mul3 = other.push(Node::Binary(BinaryOp::Mul, x2, neg), Span::default());
        assert!(!ast.same_tree(mul, &other, mul3));
    }

    /// Found with the parse_any fuzzer's input (nested doublings): comparing two DAGs
    /// walked every path, exponentially many.
    #[test]
    fn same_tree_is_linear_on_dags() {
        let build = || {
            let mut ast = Ast::new();
            let mut top = ast.push(Node::Arg(0), Span::default());
            for _ in 0..200 {
                top = ast.push(Node::Binary(BinaryOp::Add, top, top), Span::default());
            }
            (ast, top)
        };
        let ((a, ra), (b, rb)) = (build(), build());
        assert!(a.same_tree(ra, &b, rb));
    }

    #[test]
    fn call_args_round_trip() {
        let mut ast = Ast::new();
        let a = ast.push(Node::Arg(0), Span::default());
        let b = ast.push(Node::Arg(1), Span::default());
        let list = ast.push_call_args(&[a, b, a]);
        let call = ast.push(Node::Call(0, list), Span::default());
        assert_eq!(ast.children(ast.node(call)).as_slice(), [a, b, a]);
        assert_eq!(list.len(), 3);
    }
}
