//! `if(c, a, b)`: blended without a branch when its sides are cheap and free of side effects,
//! or branched when a side calls a function (the sides and their order are planned in
//! [`crate::codegen::branch`]).
//!
//! A branch stores every value held in a register first, so that each side may use any
//! register and both meet at the join with the `if`'s value in `xmm0` and nothing else in a
//! register; stores that turn out never to be read back are left out by the frame.

use super::{CMP_EQ, CMP_LE, CMP_LT, CMP_NEQ, Gen, comparison};
use crate::ast::{Node, NodeId};
use crate::codegen::branch::{Mark, Side};
use crate::codegen::pool::ABS_MASK;
use crate::x64::{Cond, Inst, Label, SseOp, Xmm, XmmMem};

/// The jumps to the else-side of a branching `if` after `ucomisd y, x` for the predicate
/// `x p y` (operands as in [`comparison`]; for `ucomisd c, 0.0` it is `c == 0`, else-side on
/// ZF = 1).
#[derive(Clone, Copy)]
enum ElseJumps {
    /// One condition.
    If(Cond),
    /// Either of two (`==`: not equal, or unordered).
    IfEither(Cond, Cond),
    /// `!=`: equal and ordered (ZF = 1, PF = 0).
    IfEqualAndOrdered,
}

fn else_jumps(predicate: u8) -> ElseJumps {
    match predicate {
        // x < y is y > x: CF = 0 and ZF = 0 ("above")
        CMP_LT => ElseJumps::If(Cond::Be),
        // x <= y is y >= x: CF = 0
        CMP_LE => ElseJumps::If(Cond::B),
        CMP_EQ => ElseJumps::IfEither(Cond::Ne, Cond::P),
        _ => ElseJumps::IfEqualAndOrdered,
    }
}

/// A branching `if` being generated: where its else-side and its join will be.
#[derive(Clone, Copy)]
pub(super) struct OpenIf {
    /// The `if`.
    pub(super) node: NodeId,
    else_side: Label,
    join: Label,
    /// The register file at the branch: the else-side starts with it too.
    held: [Option<NodeId>; 16],
}

impl Gen<'_> {
    /// `if(c, a, b)` without a branch: `a` where `0 < |c|` (non-zero and not NaN), else `b`.
    /// Both sides are evaluated: this is for sides without calls (free of side effects and
    /// cheap; those with calls branch, see [`crate::codegen::branch`]).
    #[inline(never)]
    pub(super) fn blend(&mut self, id: NodeId, c: NodeId, a: NodeId, b: NodeId) {
        // a value that appears twice here is copied, never overwritten in place
        let occ = |v: NodeId| {
            if [c, a, b].iter().filter(|&&x| x == v).count() == 1 {
                1
            } else {
                u32::MAX
            }
        };
        let m = match self.fused_test(c) {
            // a fused comparison's own mask
            Some((l, r, x, y, pred)) => {
                let m = self.compare_mask(x, y, pred);
                self.consume(l);
                self.consume(r);
                m
            }
            // the mask of 0 < |c|: false for ±0 and NaN
            None => {
                let rc = self.writable(c, occ(c));
                let abs = self.mask(ABS_MASK);
                self.sse(SseOp::Andpd, rc, abs);
                let m = self.alloc();
                self.sse(SseOp::Xorpd, m, m);
                self.cmp(m, rc, CMP_LT);
                m
            }
        };
        let ra = self.writable(a, occ(a));
        self.sse(SseOp::Andpd, ra, m);
        let rb = self.in_reg(b);
        self.sse(SseOp::Andnpd, m, rb);
        self.sse(SseOp::Orpd, m, ra);
        self.finish(id, m);
    }

    /// A side of a branching `if` begins (see [`crate::codegen::branch`]). (Out of line: rare, and
    /// the loop that calls it stays small enough for `node` to be inlined into it.)
    #[cold]
    #[inline(never)]
    pub(super) fn side(&mut self, mark: Mark) {
        let Node::If(c, a, _) = self.dag.ast.node(mark.node) else {
            return; // marks are made for `if` nodes only
        };
        match mark.side {
            Side::Then => self.branch_on(mark.node, c),
            Side::Else => {
                self.side_result(a);
                if let Some(open) = self.open.last().copied() {
                    self.emit(Inst::Jmp(open.join));
                    self.bind(open.else_side);
                    // at the else-side's start the registers hold what they held at the
                    // branch (those values still needed)
                    for (r, v) in Xmm::ALL.into_iter().zip(open.held) {
                        if let Some(v) = v.filter(|v| self.regs.uses(*v) > 0) {
                            self.regs.assign(v, r, self.pos);
                        }
                    }
                }
            }
        }
    }

    /// Before the then-side: the condition is read, every value in a register is stored (so
    /// that both sides can drop any register and end with all values in memory; the stores
    /// of those that die here, or are never read back, are left out later), and the
    /// condition is tested. Both sides start with the registers as they are here. (The
    /// operands die only after the stores, so no store can reuse an operand's slot.)
    fn branch_on(&mut self, id: NodeId, c: NodeId) {
        let mut open = OpenIf {
            node: id,
            else_side: self.asm.new_label(),
            join: self.asm.new_label(),
            held: [None; 16],
        };
        let (first, second, jumps, operands) = match self.fused_test(c) {
            Some((l, r, mut x, mut y, predicate)) => {
                // `x < y` is tested as `y > x`: ucomisd sets CF and ZF only for "below or
                // equal", and all three of ZF, PF, CF when unordered (NaN)
                // `==` and `!=` are symmetric: the operand already in a register goes first
                let symmetric = matches!(predicate, CMP_EQ | CMP_NEQ);
                if symmetric && self.regs.reg(y).is_none() && self.regs.reg(x).is_some() {
                    (x, y) = (y, x);
                }
                let ry = self.in_reg(y);
                let sx = self.operand(x);
                if let XmmMem::Xmm(rx) = sx {
                    self.regs.reserve(rx);
                }
                (ry, sx, else_jumps(predicate), [Some(l), Some(r)])
            }
            None => {
                let rc = self.in_reg(c);
                let zero = self.constant(0.0);
                // ZF = 1 when c is ±0 (equal) or NaN (unordered): the else-side
                (rc, zero.into(), ElseJumps::If(Cond::E), [Some(c), None])
            }
        };
        for r in Xmm::ALL {
            self.save(r);
        }
        open.held = Xmm::ALL.map(|r| self.regs.holder(r));
        self.sse(SseOp::Ucomisd, first, second);
        match jumps {
            ElseJumps::If(cond) => self.emit(Inst::Jcc(cond, open.else_side)),
            ElseJumps::IfEither(a, b) => {
                self.emit(Inst::Jcc(a, open.else_side));
                self.emit(Inst::Jcc(b, open.else_side));
            }
            ElseJumps::IfEqualAndOrdered => {
                let then_side = self.asm.new_label();
                self.emit(Inst::Jcc(Cond::P, then_side));
                self.emit(Inst::Jcc(Cond::E, open.else_side));
                self.bind(then_side);
            }
        }
        for v in operands.into_iter().flatten() {
            self.consume(v);
        }
        self.regs.clear_reserved();
        self.open.push(open);
    }

    /// The end of a side: its value `v` to `xmm0`, and no value left in a register (every
    /// one still needed was stored before the branch; the side's own are dead).
    fn side_result(&mut self, v: NodeId) {
        if self.regs.holder(Xmm::Xmm0).is_some_and(|w| w != v) {
            self.spill(Xmm::Xmm0);
        }
        match self.operand(v) {
            XmmMem::Xmm(Xmm::Xmm0) => {}
            XmmMem::Xmm(r) => self.sse(SseOp::Movapd, Xmm::Xmm0, r),
            XmmMem::Mem(m) => self.sse(SseOp::Movsd, Xmm::Xmm0, m),
        }
        self.consume(v);
        for r in Xmm::ALL {
            debug_assert!(
                self.regs
                    .holder(r)
                    .is_none_or(|w| self.regs.home(w).is_some()),
                "a value computed in a side outlives it"
            );
            self.spill(r);
        }
        self.regs.clear_reserved();
    }

    /// After the else-side: both paths meet with the `if`'s value in `xmm0`.
    #[inline(never)]
    pub(super) fn join(&mut self, id: NodeId, b: NodeId) {
        self.side_result(b);
        if let Some(open) = self.open.pop() {
            self.bind(open.join);
        }
        self.regs.assign(id, Xmm::Xmm0, self.pos);
    }

    /// For a fused condition `c` (see [`super::Schedule::fused`]): its operands `l`, `r`, and the
    /// test as `x pred y` (operands swapped for `>` and `>=`, as [`comparison`] says).
    fn fused_test(&self, c: NodeId) -> Option<(NodeId, NodeId, NodeId, NodeId, u8)> {
        if !self.fused.get(c.index()).copied().unwrap_or(false) {
            return None;
        }
        let Node::Binary(op, l, r) = self.dag.ast.node(c) else {
            return None;
        };
        let (swap, pred) = comparison(op)?;
        let (x, y) = if swap { (r, l) } else { (l, r) };
        Some((l, r, x, y, pred))
    }
}
