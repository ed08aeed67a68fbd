//! Preparing a simplified tree (equal subtrees already merged into one value) for code
//! generation: counting uses, and choosing the evaluation order.

use crate::ast::{Ast, Node, NodeId};

/// A tree with equal subtrees merged: every node is one value.
pub struct Dag {
    /// The nodes, children before parents. Nodes the root does not reach are ignored.
    pub ast: Ast,
    /// The root.
    pub root: NodeId,
    /// How many times each node's value is used (by parents, plus one for the root).
    pub uses: Vec<u32>,
    /// Does the subtree contain a call (helper or user function)?
    #[allow(dead_code)] // kept for the branchy `if` lowering
    pub has_call: Vec<bool>,
    /// The evaluation order: every node once, children before parents.
    pub order: Vec<NodeId>,
}

impl Dag {
    /// Plans the evaluation of the tree under `root`, whose equal subtrees are already one
    /// node (see `Expr::simplified_for_codegen`).
    pub fn new(merged: Ast, root: NodeId) -> Dag {
        let n = merged.len();
        let live = merged.reachable(root);
        let mut uses = vec![0u32; n];
        let mut has_call = vec![false; n];
        let mut need = vec![0u32; n];
        for (i, &node) in merged.nodes().iter().enumerate() {
            let children = merged.children(node);
            for c in children.iter() {
                uses[c.index()] += u32::from(live[i]);
                has_call[i] |= has_call[c.index()];
            }
            has_call[i] |= is_call(node);
            need[i] = registers_needed(children.as_slice(), &need);
        }
        if n > 0 {
            uses[root.index()] += 1;
        }
        let order = schedule(&merged, root, &need, &has_call);
        Dag {
            ast: merged,
            root,
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

/// Post-order from the root with an explicit stack. Children that contain calls go first
/// (values computed before a call would have to be saved across it), then the child that
/// needs more registers (Sethi–Ullman), so that fewer values wait in registers.
fn schedule(ast: &Ast, root: NodeId, need: &[u32], has_call: &[bool]) -> Vec<NodeId> {
    let n = ast.len();
    let mut order = Vec::with_capacity(n);
    if n == 0 {
        return order;
    }
    let mut state = vec![0u8; n]; // 0 new, 1 children pushed, 2 done
    let mut stack = vec![root];
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
        let (ast, root) = e.simplified_for_codegen();
        let dag = Dag::new(ast, root);
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
        let dag = Dag::new(ast, root);
        // the right side needs more registers, so it is computed first
        let first = dag.order[0];
        assert_ne!(dag.ast.node(first), Node::Arg(0));
    }
}
