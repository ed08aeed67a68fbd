//! The rules of a well-formed tree, checked for trees built by hand (see
//! [`Expr::from_parts`](crate::Expr::from_parts)); the parser's and the simplifier's hold
//! them by construction.

use crate::ast::{Ast, Node, NodeId};
use crate::error::{Error, ErrorKind, Result, Span, quoted};
use crate::registry::Registry;

/// The conditions of [`Expr::from_parts`](crate::Expr::from_parts), in one pass over the nodes.
pub(crate) fn check_tree(ast: &Ast, arity: usize, registry: Option<&Registry>) -> Result<()> {
    if ast.is_empty() {
        return Err(Error::new(
            ErrorKind::MalformedTree,
            Span::default(),
            "the tree has no nodes",
        ));
    }
    for (i, &node) in ast.nodes().iter().enumerate() {
        let malformed = |what: String| {
            Error::new(
                ErrorKind::MalformedTree,
                ast.span(NodeId::from_index(i)),
                format!("node {i}: {what}"),
            )
        };
        match node {
            Node::Arg(a) if a as usize >= arity => {
                return Err(malformed(format!(
                    "argument {a} of an expression of {arity} argument(s)"
                )));
            }
            Node::Call(f, list) => {
                let Some(args) = ast.call_args_checked(list) else {
                    return Err(malformed("its argument list is not in this tree".into()));
                };
                let function = registry.and_then(|r| r.functions().get(f as usize));
                match function {
                    None => return Err(malformed(format!("user function {f} is not registered"))),
                    Some(u) if u.arity != args.len() => {
                        return Err(malformed(format!(
                            "{} takes {} argument(s), but the call passes {}",
                            quoted(&u.name),
                            u.arity,
                            args.len()
                        )));
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
        if let Some(c) = ast.children(node).iter().find(|c| c.index() >= i) {
            return Err(malformed(format!(
                "its child {} does not come before it",
                c.index()
            )));
        }
    }
    Ok(())
}
