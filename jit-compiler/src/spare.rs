//! The vectors of this thread's last dropped expression, kept for its next one: parsing a
//! formula then allocates no tree and no argument names after the first one.
//!
//! One thread-local for all of them, so that a dropped [`Expr`](crate::Expr) gives back its
//! tree and its names in one access (each access checks that the thread's locals are alive).
//! A tree or a name list dropped alone gives back its own part (see [`Ast`](crate::ast::Ast)
//! and [`ArgNames`](crate::names::ArgNames)).

use crate::ast::Node;
use crate::error::Span;
use std::cell::Cell;

/// Empty vectors with room, and strings whose text is stale.
pub(crate) struct Spare {
    /// The node vector of a dropped tree.
    pub(crate) nodes: Cell<Vec<Node>>,
    /// Its span vector.
    pub(crate) spans: Cell<Vec<Span>>,
    /// The strings of a dropped list of argument names.
    pub(crate) names: Cell<Vec<String>>,
}

thread_local! {
    /// This thread's spare vectors.
    pub(crate) static SPARE: Spare = const {
        Spare {
            nodes: Cell::new(Vec::new()),
            spans: Cell::new(Vec::new()),
            names: Cell::new(Vec::new()),
        }
    };
}

/// Something whose vectors can go to the thread's spare when it is dropped: a tree, a list of
/// argument names.
pub(crate) trait GiveSpare {
    /// Moves this value's vectors into `spare` if they are worth keeping, leaving it without
    /// them (what it keeps is freed as usual).
    fn give_spare(&mut self, spare: &Spare);
}

/// Gives `value`'s vectors to this thread's [`SPARE`]. (Out of line, so that a `Drop` that
/// calls it only when there is something to give is one comparison inline.)
#[inline(never)]
pub(crate) fn leave(value: &mut impl GiveSpare) {
    // (fails only while the thread's locals are being destroyed: the vectors are then freed
    // by the value's own fields)
    let _ = SPARE.try_with(|spare| value.give_spare(spare));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_expression_leaves_its_tree_and_its_names() {
        drop(crate::parse("x*y + 1").unwrap());
        let (nodes, spans, names) =
            SPARE.with(|s| (s.nodes.take(), s.spans.take(), s.names.take()));
        assert!(nodes.is_empty() && nodes.capacity() >= 5);
        assert!(spans.is_empty() && spans.capacity() >= 5);
        assert_eq!(names.len(), 2, "the strings of `x` and `y`");
    }
}
