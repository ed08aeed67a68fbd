//! Working memory that compilations on one thread reuse.
//!
//! Compiling `2*x^0.5` needs about fifteen short-lived vectors: the simplified tree and its
//! hash-consing table, the planning tables, the register file, the instruction list, the
//! code buffer, the constant pool. Each thread keeps one set, and every compilation clears
//! and refills it: code generation of `2*x^0.5` went from 15 allocations to 1 (the code it
//! returns) and from 0.38 to 0.27 µs (jit-runtime/examples/compile_cost.rs). After
//! compiling a tree of more than [`KEEP`] nodes, everything is released, so a thread does
//! not keep megabytes for the rest of its life because it once compiled a
//! big expression. (The parser keeps its stack of pending frames in a thread-local of its
//! own, a `Cell` reached without a borrow check: through this workspace's `RefCell` it cost
//! more than the allocation it saved.)
//!
//! Every stage still owns its data while it runs: a stage takes its buffers out of the
//! workspace (`std::mem::take`) and gives them back when it is done, or (the simplifier,
//! the back end) borrows them for its run, so no borrow of the workspace outlives a stage,
//! and a compilation that fails half-way merely loses the buffers it held (the next one
//! allocates fresh ones). The simplified tree is kept apart from the workspace, so that
//! the plan borrows it while the back end borrows the workspace.

use crate::ast::Ast;
use crate::codegen::{dag, lower, pool::Pool};
use crate::intern::Interner;
use crate::x64::Assembler;
use std::cell::RefCell;

/// Trees of more nodes than this are not kept for: expressions of up to a few thousand
/// nodes reuse everything, and a thread keeps at most a few hundred KiB.
pub(crate) const KEEP: usize = 1 << 12;

/// The reusable buffers of every stage.
#[derive(Default)]
pub(crate) struct Workspace {
    /// The simplifier's tables.
    pub simplify: crate::simplify::Buffers,
    /// The hash-consing table of the code generator's tree.
    pub interner: Interner,
    /// Use counts, evaluation order and planning information.
    pub plan: dag::Buffers,
    /// The register file, the remaining-use counts and the last body generated.
    pub lower: lower::Buffers,
    /// The assembler, whose code, label and patch vectors are reused.
    pub asm: Assembler,
    /// Constants and call slots.
    pub pool: Pool,
}

/// A thread's working memory: the simplified tree apart from the stages' buffers, so that
/// the plan can borrow the tree while the back end uses the buffers. (Moving the tree out
/// of the workspace and back instead cost E1 some thirty-five instructions.)
#[derive(Default)]
struct Memory {
    /// The simplified tree handed to the code generator.
    tree: Ast,
    /// Everything else.
    ws: Workspace,
}

impl Memory {
    /// After a compilation: releases everything if its tree was bigger than [`KEEP`]. Every
    /// buffer grows with the tree (a few instructions and bytes of code per node, at most
    /// one constant or call slot per node), so its size says it all.
    fn release_if_bigger(&mut self) {
        if self.tree.len() > KEEP {
            *self = Memory::default();
        }
    }
}

thread_local! {
    static MEMORY: RefCell<Memory> = RefCell::new(Memory::default());
}

/// Runs `f` with this thread's tree and workspace (both refilled by every compilation). Fresh
/// ones are used when this thread's are already in use (a compilation started from inside
/// another) or already destroyed (a compilation from another thread-local's destructor at
/// thread exit).
pub(crate) fn with<R>(f: impl FnOnce(&mut Ast, &mut Workspace) -> R) -> R {
    let mut f = Some(f);
    // (the result is stored, not returned through `try_with` as an option in a result: each
    // unwrapping copied the 128-byte `Compiled` once more)
    let mut result = None;
    let _ = MEMORY.try_with(|cell| {
        if let Ok(mut memory) = cell.try_borrow_mut()
            && let Some(f) = f.take()
        {
            let Memory { tree, ws } = &mut *memory;
            result = Some(f(tree, ws));
            memory.release_if_bigger();
        }
    });
    if let Some(r) = result {
        return r;
    }
    match f {
        Some(f) => f(&mut Ast::default(), &mut Workspace::default()),
        // unreachable: when `f` was taken, its result was returned above
        None => unreachable!("the workspace closure ran but returned nothing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_use_gets_a_fresh_workspace() {
        let inner_ran = with(|outer, _| {
            outer.push(crate::Node::Num(1.0), crate::Span::default());
            with(|inner, _| inner.is_empty())
        });
        assert!(inner_ran);
    }

    #[test]
    fn big_buffers_are_released() {
        let src = vec!["x"; KEEP + 1].join("+");
        let expr = crate::parse(&src).unwrap();
        crate::codegen::compile(&expr, crate::codegen::Abi::SysV).unwrap();
        with(|tree, _| assert!(tree.capacity() <= KEEP));
    }
}
