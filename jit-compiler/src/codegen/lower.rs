//! Instruction selection and register allocation for the body of a function: one pass over
//! the values in schedule order, each turned into a few SSE2 instructions.
//!
//! Values live in XMM registers; constants, arguments passed in memory and spilled values are
//! used straight from memory as the second operand (`addsd xmm0,[rip+c]`), which costs no
//! register. A register is reused for the result when its value dies at this node.
//!
//! This module holds the pass, the register bookkeeping and the arithmetic; the longer
//! sequences have modules of their own: [`masks`] (rounding, `sign`, `min`/`max`), [`ifs`]
//! (blended and branching `if`), [`calls`] (calls into Rust) and [`pairs`] (two divisions
//! in one `divpd`).

mod calls;
mod ifs;
mod masks;
mod pairs;
mod size;

use super::branch::Mark;
use super::dag::Dag;
use super::pool::{ABS_MASK, ONE_MASK, Pool, SIGN_MASK};
use super::regs::{Home, Regs};
use super::{Abi, Symbol};
use crate::ast::{ArgList, Node, NodeId};
use crate::error::Result;
use crate::ops::{BinaryOp, PowStep, UnaryOp, powi_steps};
use crate::registry::{Registry, UserFnImpl};
use crate::x64::{
    Assembler, AvxOp, AvxScalarOp, Gpr, Inst, Label, Mem, SseImmOp, SseOp, SseStoreOp, Xmm, XmmMem,
};
use ifs::OpenIf;

/// `cmpsd`/`cmppd` predicates (the imm8 of the comparison; shared with the vector generator).
pub(super) const CMP_EQ: u8 = 0;
pub(super) const CMP_LT: u8 = 1;
pub(super) const CMP_LE: u8 = 2;
pub(super) const CMP_UNORD: u8 = 3;
pub(super) const CMP_NEQ: u8 = 4;
pub(super) const CMP_NLT: u8 = 5;

/// How a comparison is computed with `cmpsd`/`cmppd`: whether the operands are swapped
/// (`a > b` is `b < a`), and the predicate. `None` for other operations.
pub(super) fn comparison(op: BinaryOp) -> Option<(bool, u8)> {
    use BinaryOp::*;
    Some(match op {
        Lt => (false, CMP_LT),
        Le => (false, CMP_LE),
        Gt => (true, CMP_LT),
        Ge => (true, CMP_LE),
        Eq => (false, CMP_EQ),
        Ne => (false, CMP_NEQ),
        _ => return None,
    })
}

/// Unary operations computed by calling a Rust function (exactly the interpreter's).
pub fn unary_is_call(op: UnaryOp) -> bool {
    use UnaryOp::*;
    !matches!(op, Neg | Abs | Sqrt | Floor | Ceil | Round | Trunc | Sign)
}

/// Binary operations computed by calling a Rust function.
pub fn binary_is_call(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Rem | BinaryOp::Pow | BinaryOp::Powf | BinaryOp::Atan2 | BinaryOp::Hypot
    )
}

/// The generated body and what the frame must provide for it.
#[derive(Default)]
pub struct Body {
    /// The instructions, ending with the result in `xmm0`.
    pub insts: Vec<Inst>,
    /// Labels to bind before the instruction at each index (`insts.len()`: after the last),
    /// in order: the targets of the jumps of branching `if`s.
    pub binds: Vec<(usize, Label)>,
    /// Indices of the `call`s whose arguments are all in registers (not in the frame, as a
    /// closure's are): the frame may make one a tail call.
    pub plain_calls: Vec<usize>,
    /// Indices of the stores to spill slots that nothing reads back (left out): a value
    /// stored before a call or a branch, whose remaining uses all found it in a register.
    pub dead_stores: Vec<usize>,
    /// Spill slots used.
    pub slots: u32,
    /// Registers used (bit n = xmm n).
    pub used_xmm: u16,
    /// Does the body call functions?
    pub has_calls: bool,
}

/// What [`lower`] generates: the values of `dag` in its order, and where the sides of
/// branching `if`s begin in it (see [`super::branch`]; none in code without calls).
#[derive(Clone, Copy)]
pub struct Schedule<'a> {
    /// The values and their order.
    pub dag: &'a Dag<'a>,
    /// From [`Dag::plan_branches`].
    pub marks: &'a [Mark],
    /// Per node, from [`Dag::plan_branches`]: a comparison that is not computed, because
    /// its `if` tests its operands itself (empty: none).
    pub fused: &'a [bool],
    /// From [`Dag::plan_pairs`]: the first division of each pair computed by one `divpd`,
    /// in the order; the second is the next node of the order (empty: no pairs).
    pub pairs: &'a [NodeId],
}

/// Generates the body of a schedule for `arity` arguments into `buffers`, or the error for
/// code past [`Target::max_code_len`] (after which the body in `buffers` is partly the last
/// one's: only the `Ok` borrow reads it).
pub fn lower<'b>(
    Schedule {
        dag,
        marks,
        fused,
        pairs,
    }: Schedule<'_>,
    arity: usize,
    target: Target,
    registry: Option<&Registry>,
    asm: &mut Assembler,
    pool: &mut Pool,
    buffers: &'b mut Buffers,
) -> Result<&'b Body> {
    let Buffers {
        values,
        free_slots,
        body,
    } = buffers;
    let mut insts = std::mem::take(&mut body.insts);
    insts.clear();
    insts.reserve(dag.ast.len() * 2);
    let mut g = Gen {
        dag,
        abi: target.abi,
        avx: target.avx,
        asm,
        pool,
        regs: Regs::reusing(
            &dag.uses,
            std::mem::take(values),
            std::mem::take(free_slots),
        ),
        insts,
        pos: 0,
        has_calls: false,
        registry,
        open: Vec::new(),
        binds: Vec::new(),
        plain_calls: Vec::new(),
        saves: Vec::new(),
        blocks: false,
        fused,
        pairs,
        paired: 0,
    };
    g.place_arguments(arity);
    let mut marks = marks.iter();
    let mut next = marks.next();
    let mut size = size::SizeCheck::new(target.max_code_len);
    for (pos, &id) in dag.order.iter().enumerate() {
        g.pos = pos as u32 + 1;
        while let Some(&mark) = next.filter(|m| m.at as usize == pos) {
            g.side(mark);
            next = marks.next();
        }
        g.node(id);
        size.check(&g.insts, || dag.ast.span(dag.root))?;
    }
    g.result_to_xmm0();
    let regs = &g.regs;
    // (the last body's vector, emptied: none is made when nothing is stored)
    let dead_stores = &mut body.dead_stores;
    dead_stores.clear();
    dead_stores.extend(
        (g.saves.iter())
            .filter(|&&(_, v, _)| !regs.reloaded(v))
            .map(|&(at, ..)| at),
    );
    // room in the frame for the slots still stored to (and closure arguments)
    let kept = g.saves.iter().filter(|&&(_, v, _)| regs.reloaded(v));
    let slots = match g.blocks {
        true => g.regs.slot_count(),
        false => kept.map(|&(_, _, slot)| slot + 1).max().unwrap_or(0),
    };
    // (The body is written into the buffers a field at a time, and the vectors are swapped
    // back, not moved: a `Body` built and then moved into the result, and the buffers built
    // and moved back, were copied with loads spanning several just-made stores, which the
    // CPU cannot forward: four stalls a compilation, a fifth of `lower`'s time on E1.)
    body.slots = slots;
    body.used_xmm = g.regs.used_mask();
    body.has_calls = g.has_calls;
    body.insts = g.insts;
    body.binds = g.binds;
    body.plain_calls = g.plain_calls;
    g.regs.give_back(values, free_slots);
    Ok(body)
}

/// The code generator's vectors, kept between compilations (see [`crate::workspace`]), and
/// the last body generated (whose instruction and dead-store lists the next reuses).
#[derive(Default)]
pub(crate) struct Buffers {
    values: Vec<super::regs::Value>,
    free_slots: Vec<u32>,
    body: Body,
}

/// What the code is for: its calling convention, and whether it may use AVX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The calling convention.
    pub abi: Abi,
    /// Arithmetic in the VEX three-operand forms (`vaddsd xmm1, xmm2, xmm3`), which need no
    /// copy to keep a source that is still needed; only for CPUs with AVX.
    pub avx: bool,
    /// Largest code accepted, in bytes: generation stops early with
    /// [`ErrorKind::CodeTooLarge`](crate::ErrorKind::CodeTooLarge) beyond it.
    pub max_code_len: usize,
}

struct Gen<'a> {
    dag: &'a Dag<'a>,
    abi: Abi,
    avx: bool,
    asm: &'a mut Assembler,
    pool: &'a mut Pool,
    regs: Regs,
    insts: Vec<Inst>,
    pos: u32,
    has_calls: bool,
    /// The user functions (those that are closures are called through the trampoline).
    registry: Option<&'a Registry>,
    /// The branching `if`s whose join is still ahead, innermost last.
    open: Vec<OpenIf>,
    /// See [`Body::binds`].
    binds: Vec<(usize, Label)>,
    /// See [`Body::plain_calls`].
    plain_calls: Vec<usize>,
    /// The stores of values to their spill slots: where, the value, the slot.
    saves: Vec<(usize, NodeId, u32)>,
    /// Has a closure's argument block been placed in the frame?
    blocks: bool,
    /// See [`Schedule::fused`].
    fused: &'a [bool],
    /// See [`Schedule::pairs`].
    pairs: &'a [NodeId],
    /// How many of the pairs have been computed.
    paired: usize,
}

impl Gen<'_> {
    fn emit(&mut self, inst: Inst) {
        self.insts.push(inst);
    }

    fn sse(&mut self, op: SseOp, dst: Xmm, src: impl Into<XmmMem>) {
        self.emit(Inst::Sse {
            op,
            dst,
            src: src.into(),
        });
    }

    /// Arguments passed in registers start there; the others are read from memory.
    fn place_arguments(&mut self, arity: usize) {
        let in_regs = arity.min(self.abi.register_args());
        for (i, &node) in self.dag.ast.nodes().iter().enumerate() {
            if let Node::Arg(a) = node {
                let id = NodeId::from_index(i);
                if self.regs.uses(id) == 0 {
                    continue; // not reached from the root
                }
                if (a as usize) < in_regs {
                    self.regs.assign(id, Xmm::from_num(a as u8), 0);
                } else {
                    self.regs.set_home(id, Home::ArgMem(a));
                }
            }
        }
    }

    fn mem(&self, home: Home) -> Mem {
        match home {
            Home::Const(l) => Mem::rip(l),
            Home::ArgMem(i) => {
                let first = self.abi.register_args() as i32;
                Mem::base_disp(Gpr::Rbx, 8 * (i as i32 - first))
            }
            Home::Slot(s) => {
                Mem::base_disp(Gpr::Rsp, self.abi.shadow_space() as i32 + 8 * s as i32)
            }
        }
    }

    fn mask(&mut self, bits: u128) -> Mem {
        Mem::rip(self.pool.mask(self.asm, bits))
    }

    fn constant(&mut self, v: f64) -> Mem {
        Mem::rip(self.pool.constant(self.asm, v.to_bits()))
    }

    /// `v` as a second operand: its register, or its memory home.
    fn operand(&mut self, v: NodeId) -> XmmMem {
        match (self.regs.reg(v), self.regs.home(v)) {
            (Some(r), _) => r.into(),
            (None, Some(h)) => {
                if let Home::Slot(_) = h {
                    self.regs.mark_reloaded(v);
                }
                self.mem(h).into()
            }
            // Every value is in a register or has a home; this cannot happen.
            (None, None) => Xmm::Xmm0.into(),
        }
    }

    /// A register for a temporary or a result, spilling the oldest value if all are taken.
    /// (A call of its own: inlined at its forty-odd calls once the spilling was out of
    /// line, it made `lower` larger and E1 8 instructions slower.)
    #[inline(never)]
    fn alloc(&mut self) -> Xmm {
        let r = match self.regs.free_reg() {
            Some(r) => r,
            None => self.spill_victim(),
        };
        self.regs.reserve(r);
        r
    }

    /// [`Gen::alloc`] when all sixteen registers are taken: spills the value computed longest
    /// ago and gives its register. (Out of line: rare, and with it `alloc` saved and restored
    /// registers on every call.)
    #[cold]
    #[inline(never)]
    fn spill_victim(&mut self) -> Xmm {
        let victim = self.regs.victim().unwrap_or(Xmm::Xmm15);
        self.spill(victim);
        victim
    }

    /// Stores the value in `r` to memory if it has no memory home yet; it stays in `r`.
    fn save(&mut self, r: Xmm) {
        let Some(v) = self.regs.holder(r) else { return };
        if self.regs.home(v).is_none() {
            let slot = self.regs.new_slot();
            self.regs.set_home(v, Home::Slot(slot));
            self.saves.push((self.insts.len(), v, slot));
            let dst = self.mem(Home::Slot(slot));
            self.emit(Inst::SseStore {
                op: SseStoreOp::Movsd,
                dst,
                src: r,
            });
        }
    }

    /// Moves the value in `r` to memory (if it has no memory home yet) and frees `r`.
    fn spill(&mut self, r: Xmm) {
        self.save(r);
        if let Some(v) = self.regs.holder(r) {
            self.regs.release_reg(v);
        }
    }

    /// `v` in a register that may be read but not written.
    fn in_reg(&mut self, v: NodeId) -> Xmm {
        if let Some(r) = self.regs.reg(v) {
            self.regs.reserve(r);
            return r;
        }
        let r = self.alloc();
        let src = self.operand(v);
        self.sse(SseOp::Movsd, r, src);
        self.regs.assign(v, r, self.pos);
        self.regs.reserve(r);
        r
    }

    /// A register holding `v` that may be overwritten: `v`'s own register when all its
    /// remaining uses are the `occurrences` in this node, else a copy. (Callers pass 2 only
    /// when the overwritten register is also read as the other operand, as in `x + x`.)
    /// (Inlined: as a call it cost E5 some 1 000 instructions, E2 and E4 200.)
    #[inline(always)]
    fn writable(&mut self, v: NodeId, occurrences: u32) -> Xmm {
        if self.regs.uses(v) == occurrences {
            if let Some(r) = self.regs.reg(v) {
                self.regs.release_reg(v);
                self.regs.reserve(r);
                return r;
            }
        }
        let src = self.operand(v);
        if let XmmMem::Xmm(r) = src {
            self.regs.reserve(r);
        }
        let dst = self.alloc();
        let op = if matches!(src, XmmMem::Xmm(_)) {
            SseOp::Movapd
        } else {
            SseOp::Movsd
        };
        self.sse(op, dst, src);
        dst
    }

    /// Ends a node: its children's uses are consumed, dead values freed, the result recorded.
    /// (Inlined where it is called: as a call it cost E5 some 150 instructions, E1 15. The
    /// commonest operations, which have their operands at hand, call [`Gen::finish_binary`]
    /// or [`Gen::finish_unary`] instead: reading the node again here cost E1 33 instructions
    /// of its 3 890, E5 500.)
    #[inline(always)]
    fn finish(&mut self, id: NodeId, result: Xmm) {
        // (the common kinds spelled out: the loop over `Ast::children` was a fifth of this)
        match self.dag.ast.node(id) {
            Node::Binary(_, a, b) => self.finish_binary(id, a, b, result),
            Node::Unary(_, a) | Node::PowI(a, _) => self.finish_unary(id, a, result),
            node => {
                self.consume_children(node);
                self.record(id, result);
            }
        }
    }

    /// [`Gen::finish`] for the node `id` of operands `a` and `b` (in the node's order), known
    /// where it is called: the node is not read again.
    #[inline(always)]
    fn finish_binary(&mut self, id: NodeId, a: NodeId, b: NodeId, result: Xmm) {
        self.consume(a);
        self.consume(b);
        self.record(id, result);
    }

    /// [`Gen::finish_binary`] for the node `id` of operand `a`.
    #[inline(always)]
    fn finish_unary(&mut self, id: NodeId, a: NodeId, result: Xmm) {
        self.consume(a);
        self.record(id, result);
    }

    /// Ends a node whose operands are consumed: its temporaries are free again, and its value
    /// is in `result`.
    #[inline(always)]
    fn record(&mut self, id: NodeId, result: Xmm) {
        self.regs.clear_reserved();
        self.regs.assign(id, result, self.pos);
    }

    /// [`Gen::finish`]'s consuming for the other kinds of node (`if`, user calls). (Out of
    /// line: inlined, its loop cost `finish` registers, saved and restored on every node.)
    #[inline(never)]
    fn consume_children(&mut self, node: Node) {
        let dag = self.dag;
        for c in dag.ast.children(node).iter() {
            self.consume(c);
        }
    }

    // (called from one place, the loop of `lower`; inlined there it keeps `Gen` in registers)
    #[inline(always)]
    fn node(&mut self, id: NodeId) {
        match self.dag.ast.node(id) {
            Node::Num(v) => {
                let label = self.pool.constant(self.asm, v.to_bits());
                self.regs.set_home(id, Home::Const(label));
            }
            Node::Arg(_) => {} // placed at the start
            Node::Unary(op, a) => self.unary(id, op, a),
            Node::Binary(op, a, b) => self.binary(id, op, a, b),
            Node::PowI(a, n) => self.powi(id, a, n),
            Node::If(_, _, b) if self.open.last().is_some_and(|o| o.node == id) => self.join(id, b),
            Node::If(c, a, b) => self.blend(id, c, a, b),
            Node::Call(f, list) => self.user_call(id, f, list),
        }
    }

    /// A call of user function `f` with the arguments in `list`.
    #[inline(never)]
    fn user_call(&mut self, id: NodeId, f: u32, list: ArgList) {
        let args: Vec<NodeId> = self.dag.ast.call_args(list).to_vec();
        let user_fn = self.registry.and_then(|r| r.functions().get(f as usize));
        if user_fn.is_some_and(|u| matches!(u.imp, UserFnImpl::Closure(_))) {
            self.call_closure(id, f, &args);
        } else {
            self.call(id, Symbol::User(f), &args);
        }
    }

    fn unary(&mut self, id: NodeId, op: UnaryOp, a: NodeId) {
        match op {
            UnaryOp::Neg | UnaryOp::Abs => {
                let (inst, bits) = if op == UnaryOp::Neg {
                    (SseOp::Xorpd, SIGN_MASK)
                } else {
                    (SseOp::Andpd, ABS_MASK)
                };
                if let Some(form) = self.three_operand(inst, a, 1) {
                    let m = self.mask(bits);
                    let r = self.vex(form, m.into());
                    return self.finish_unary(id, a, r);
                }
                let r = self.writable(a, 1);
                let m = self.mask(bits);
                self.sse(inst, r, m);
                self.finish_unary(id, a, r);
            }
            UnaryOp::Sqrt => {
                let src = self.operand(a);
                let r = match src {
                    XmmMem::Xmm(ra) if self.regs.uses(a) == 1 => {
                        self.regs.release_reg(a);
                        self.regs.reserve(ra);
                        ra
                    }
                    XmmMem::Xmm(ra) => {
                        self.regs.reserve(ra);
                        self.alloc()
                    }
                    XmmMem::Mem(_) => self.alloc(),
                };
                self.sse(SseOp::Sqrtsd, r, src);
                self.finish_unary(id, a, r);
            }
            UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Round | UnaryOp::Trunc => {
                self.round_to_integer(id, op, a)
            }
            UnaryOp::Sign => self.sign(id, a),
            _ => self.call(id, Symbol::Unary(op), &[a]),
        }
    }

    /// `floor`, `ceil`, `round` or `trunc` of `a`: truncated, then corrected.
    #[inline(never)]
    fn round_to_integer(&mut self, id: NodeId, op: UnaryOp, a: NodeId) {
        let x = self.in_reg(a);
        let t = self.trunc(x);
        match op {
            UnaryOp::Floor => self.floor_fix(x, t),
            UnaryOp::Ceil => self.ceil_fix(x, t),
            UnaryOp::Round => self.round_fix(x, t),
            _ => {}
        }
        self.finish(id, t);
    }

    fn cmp(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmpsd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `src1 op src2` into a fresh register (see [`Gen::copy_then`]).
    fn copy_op(&mut self, op: SseOp, src1: Xmm, src2: impl Into<XmmMem>) -> Xmm {
        let r = self.alloc();
        self.copy_then(op, r, src1, src2.into());
        r
    }

    /// The mask of `src1 pred src2` into a fresh register (see [`Gen::compare_then`]).
    fn compare_into(&mut self, src1: Xmm, src2: impl Into<XmmMem>, pred: u8) -> Xmm {
        let dst = self.alloc();
        self.compare_then(dst, src1, src2.into(), pred);
        dst
    }

    /// The mask of `src1 pred src2` into `dst` (which may be `src1`): one `vcmpsd` with AVX,
    /// else `cmpsd`, after a copy of `src1` when `dst` is another register (as
    /// [`Gen::copy_then`] for arithmetic).
    fn compare_then(&mut self, dst: Xmm, src1: Xmm, src2: XmmMem, pred: u8) {
        if self.avx {
            self.emit(Inst::Vcmpsd {
                dst,
                src1,
                src2,
                imm: pred,
            });
        } else {
            if dst != src1 {
                self.sse(SseOp::Movapd, dst, src1);
            }
            self.cmp(dst, src2, pred);
        }
    }

    fn binary(&mut self, id: NodeId, op: BinaryOp, a: NodeId, b: NodeId) {
        use BinaryOp::*;
        let arith = match op {
            Add => Some(SseOp::Addsd),
            Sub => Some(SseOp::Subsd),
            Mul => Some(SseOp::Mulsd),
            Div if self.pairs.get(self.paired) == Some(&id) => return self.divide_pair(id, a, b),
            Div if self.second_of_pair() => return self.high_lane(id),
            Div => Some(SseOp::Divsd),
            _ => None,
        };
        if let Some(inst) = arith {
            return self.arithmetic(id, inst, matches!(op, Add | Mul), a, b);
        }
        if let Some((swap, pred)) = comparison(op) {
            let (x, y) = if swap { (b, a) } else { (a, b) };
            return self.compare(id, x, y, pred);
        }
        match op {
            Min => self.min_max(id, SseOp::Minsd, a, b),
            Max => self.min_max(id, SseOp::Maxsd, a, b),
            // Pow only reaches here in unsimplified trees; with a non-constant exponent it is powf.
            Pow | Powf => self.call(id, Symbol::Binary(Powf), &[a, b]),
            _ => self.call(id, Symbol::Binary(op), &[a, b]),
        }
    }

    /// `dst = a op b`, reusing a dying register of `a` (or of `b` when `op` commutes).
    fn arithmetic(&mut self, id: NodeId, inst: SseOp, commutes: bool, a: NodeId, b: NodeId) {
        if a == b {
            if let Some(form) = self.three_operand(inst, a, 2) {
                let src = self.operand(a);
                let r = self.vex(form, src);
                return self.finish_binary(id, a, b, r);
            }
            let r = self.writable(a, 2);
            self.sse(inst, r, r);
            return self.finish_binary(id, a, b, r);
        }
        let b_dying_in_reg = self.regs.uses(b) == 1 && self.regs.reg(b).is_some();
        let a_dying_in_reg = self.regs.uses(a) == 1 && self.regs.reg(a).is_some();
        // When the operation commutes, the operand that becomes the destination should be a
        // register that dies here, or at least a register (a copy is cheaper than a load),
        // leaving a constant to be read from memory.
        let a_in_memory = self.regs.reg(a).is_none();
        let b_in_reg = self.regs.reg(b).is_some();
        let swap = b_dying_in_reg && !a_dying_in_reg || a_in_memory && b_in_reg;
        let (dst_src, other) = if commutes && swap { (b, a) } else { (a, b) };
        if let Some(r) = self.regs.reg(other) {
            self.regs.reserve(r);
        }
        if let Some(form) = self.three_operand(inst, dst_src, 1) {
            let src = self.operand(other);
            let r = self.vex(form, src);
            return self.finish_binary(id, a, b, r);
        }
        let r = self.writable(dst_src, 1);
        let src = self.operand(other);
        self.sse(inst, r, src);
        self.finish_binary(id, a, b, r);
    }

    /// With AVX, when `v` is in a register that must be kept (it has uses beyond these
    /// `occurrences`): the three-operand form of `inst`, a new destination register, and
    /// `v`'s register as the first source, so that no copy is needed. `None` when the
    /// two-operand form costs no copy either (or without AVX).
    #[inline]
    fn three_operand(
        &mut self,
        inst: SseOp,
        v: NodeId,
        occurrences: u32,
    ) -> Option<(Vex, Xmm, Xmm)> {
        let op = self.avx_form(inst)?;
        let (dst, src1) = self.beside(v, occurrences)?;
        Some((op, dst, src1))
    }

    /// With AVX, when `v` is in a register and still needed after its `occurrences` uses
    /// here: a fresh destination, and `v`'s register (reserved) as the first source, for a
    /// three-operand form that keeps `v`.
    fn beside(&mut self, v: NodeId, occurrences: u32) -> Option<(Xmm, Xmm)> {
        if !self.avx || self.regs.uses(v) == occurrences {
            return None;
        }
        let src1 = self.regs.reg(v)?;
        self.regs.reserve(src1);
        Some((self.alloc(), src1))
    }

    /// `dst = src1 op src2` (`dst` may be `src1`): one three-operand instruction with AVX,
    /// else the two-operand form, after a copy of `src1` when `dst` is another register.
    fn copy_then(&mut self, inst: SseOp, dst: Xmm, src1: Xmm, src2: XmmMem) {
        match self.avx_form(inst) {
            Some(form) => self.emit(form.inst(dst, src1, src2)),
            None => {
                if dst != src1 {
                    self.sse(SseOp::Movapd, dst, src1);
                }
                self.sse(inst, dst, src2);
            }
        }
    }

    /// The three-operand form of `inst`, when the code may use AVX and `inst` has one.
    fn avx_form(&self, inst: SseOp) -> Option<Vex> {
        if self.avx { vex_form(inst) } else { None }
    }

    /// `dst = src1 op src2` for a form from [`Gen::three_operand`]; returns `dst`.
    fn vex(&mut self, (op, dst, src1): (Vex, Xmm, Xmm), src2: XmmMem) -> Xmm {
        self.emit(op.inst(dst, src1, src2));
        dst
    }

    /// `1.0` if `x pred y` else `0.0`: `cmpsd` gives an all-ones or zero mask.
    fn compare(&mut self, id: NodeId, x: NodeId, y: NodeId, pred: u8) {
        let r = self.compare_mask(x, y, pred);
        let one = self.mask(ONE_MASK);
        self.sse(SseOp::Andpd, r, one);
        self.finish(id, r);
    }

    /// The mask of `x pred y` (all ones or all zeros) in a register of its own.
    fn compare_mask(&mut self, x: NodeId, y: NodeId, pred: u8) -> Xmm {
        if let Some(r) = self.regs.reg(y) {
            self.regs.reserve(r);
        }
        let occurrences = if x == y { 2 } else { 1 };
        // `x` lives on under AVX: into a fresh register; else in `x`'s (or its copy's)
        let (r, rx) = match self.beside(x, occurrences) {
            Some(fresh) => fresh,
            None => {
                let r = self.writable(x, occurrences);
                (r, r)
            }
        };
        let src = if x == y { rx.into() } else { self.operand(y) };
        self.compare_then(r, rx, src, pred);
        r
    }

    /// `x^n` by the squaring sequence of [`powi_steps`], exactly as the interpreter.
    fn powi(&mut self, id: NodeId, a: NodeId, n: i64) {
        if n == 0 {
            let r = self.alloc();
            let one = self.constant(1.0);
            self.sse(SseOp::Movsd, r, one);
            return self.finish(id, r);
        }
        let steps: Vec<PowStep> = powi_steps(n.unsigned_abs()).collect();
        let base = self.writable(a, 1);
        let mut acc: Option<Xmm> = None;
        for (i, step) in steps.iter().enumerate() {
            match (step, acc) {
                (PowStep::Accumulate, None) if i + 1 == steps.len() => acc = Some(base),
                (PowStep::Accumulate, None) => {
                    let r = self.alloc();
                    self.sse(SseOp::Movapd, r, base);
                    acc = Some(r);
                }
                (PowStep::Accumulate, Some(r)) => self.sse(SseOp::Mulsd, r, base),
                (PowStep::Square, _) => self.sse(SseOp::Mulsd, base, base),
            }
        }
        let mut result = acc.unwrap_or(base);
        if n < 0 {
            let r = self.alloc();
            let one = self.constant(1.0);
            self.sse(SseOp::Movsd, r, one);
            self.sse(SseOp::Divsd, r, result);
            result = r;
        }
        self.finish(id, result);
    }

    /// One use of `v` is made: it dies with its last.
    fn consume(&mut self, v: NodeId) {
        self.regs.consume(v);
    }

    fn bind(&mut self, label: Label) {
        self.binds.push((self.insts.len(), label));
    }

    fn result_to_xmm0(&mut self) {
        let root = self.dag.root;
        if self.dag.ast.is_empty() {
            return;
        }
        match self.operand(root) {
            XmmMem::Xmm(Xmm::Xmm0) => {}
            XmmMem::Xmm(r) if self.retarget_last(r) => {}
            XmmMem::Xmm(r) => self.sse(SseOp::Movapd, Xmm::Xmm0, r),
            XmmMem::Mem(m) => self.sse(SseOp::Movsd, Xmm::Xmm0, m),
        }
    }

    /// With AVX, when the last instruction computed the result into `r` by arithmetic, makes
    /// it write `xmm0` instead (in the three-operand form), which saves the final copy:
    /// nothing after it reads `r` or the old `xmm0`.
    fn retarget_last(&mut self, r: Xmm) -> bool {
        if !self.avx {
            return false;
        }
        let Some(last) = self.insts.last_mut() else {
            return false;
        };
        match *last {
            Inst::AvxScalar { ref mut dst, .. } | Inst::Avx128 { ref mut dst, .. } if *dst == r => {
                *dst = Xmm::Xmm0
            }
            Inst::Sse { op, dst, src } if dst == r => match vex_form(op) {
                Some(form) => *last = form.inst(Xmm::Xmm0, r, src),
                None => return false,
            },
            _ => return false,
        }
        true
    }
}

/// The AVX three-operand form of an SSE2 instruction the generator uses that way: scalar
/// arithmetic, the sign-mask `xorpd`/`andpd` of negation and `abs`, and the unpacks and
/// `divpd` of paired divisions.
#[derive(Clone, Copy)]
enum Vex {
    Scalar(AvxScalarOp),
    Packed(AvxOp),
}

impl Vex {
    /// `dst = src1 op src2`.
    fn inst(self, dst: Xmm, src1: Xmm, src2: XmmMem) -> Inst {
        match self {
            Vex::Scalar(op) => Inst::AvxScalar {
                op,
                dst,
                src1,
                src2,
            },
            Vex::Packed(op) => Inst::Avx128 {
                op,
                dst,
                src1,
                src2,
            },
        }
    }
}

/// The three-operand form of `inst`, if it has one here.
fn vex_form(inst: SseOp) -> Option<Vex> {
    Some(match inst {
        SseOp::Addsd => Vex::Scalar(AvxScalarOp::Vaddsd),
        SseOp::Subsd => Vex::Scalar(AvxScalarOp::Vsubsd),
        SseOp::Mulsd => Vex::Scalar(AvxScalarOp::Vmulsd),
        SseOp::Divsd => Vex::Scalar(AvxScalarOp::Vdivsd),
        SseOp::Minsd => Vex::Scalar(AvxScalarOp::Vminsd),
        SseOp::Maxsd => Vex::Scalar(AvxScalarOp::Vmaxsd),
        SseOp::Xorpd => Vex::Packed(AvxOp::Vxorpd),
        SseOp::Andpd => Vex::Packed(AvxOp::Vandpd),
        SseOp::Orpd => Vex::Packed(AvxOp::Vorpd),
        SseOp::Unpcklpd => Vex::Packed(AvxOp::Vunpcklpd),
        SseOp::Unpckhpd => Vex::Packed(AvxOp::Vunpckhpd),
        SseOp::Divpd => Vex::Packed(AvxOp::Vdivpd),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::codegen::{Abi, CodegenOptions, compile_with};

    fn listing(src: &str, avx: bool) -> String {
        // System V on every host: the expected instructions (argument registers, no shadow
        // space) must not depend on the machine that runs the tests
        listing_for(src, Abi::SysV, avx)
    }

    /// The listing of `src`'s code for `abi`, with AVX forms or not.
    pub(super) fn listing_for(src: &str, abi: Abi, avx: bool) -> String {
        let e = crate::parse(src).unwrap();
        let options = CodegenOptions {
            abi,
            listing: true,
            avx,
            ..CodegenOptions::default()
        };
        compile_with(&e, &options).unwrap().listing_text()
    }

    /// How many lines of `listing` have `mnemonic`.
    pub(super) fn count(listing: &str, mnemonic: &str) -> usize {
        listing
            .lines()
            .filter(|l| l.split_whitespace().any(|w| w == mnemonic))
            .count()
    }

    #[test]
    fn an_if_with_calls_branches_and_one_without_blends() {
        for avx in [false, true] {
            // the comparison is the branch's: `ucomisd x,[0]` and `jbe` to the else-side
            let branch = listing("if(x > 0, exp(x), sin(x) * y) + y", avx);
            assert_eq!(count(&branch, "ucomisd"), 1, "{branch}");
            assert_eq!(count(&branch, "jbe"), 1, "{branch}");
            assert_eq!(count(&branch, "jmp"), 1, "{branch}");
            assert_eq!(count(&branch, "call"), 2, "{branch}");
            assert!(
                !branch.contains("cmplt") && !branch.contains("andnpd"),
                "{branch}"
            );
            // a condition that is not a comparison (or is used elsewhere) is tested against 0
            let value = listing("if(x * y, exp(x), sin(x))", avx);
            assert_eq!(count(&value, "ucomisd"), 1, "{value}");
            assert_eq!(count(&value, "je"), 1, "{value}");
            let shared = listing("if(x > y, exp(x), sin(x)) + (x > y)", avx);
            assert_eq!(count(&shared, "je"), 1, "{shared}");
            // x stays in xmm0 for either side's call, and its store before the branch, never
            // read back, is left out (and with it the frame)
            let piecewise = listing("if(x > 0, exp(x), sin(x))", avx);
            assert_eq!(count(&piecewise, "movsd"), 1, "{piecewise}"); // the argument's load
            assert!(!piecewise.contains("rsp"), "{piecewise}");
            let blend = listing("if(x > 0, x + 1, y * 2)", avx);
            assert_eq!(count(&blend, "andnpd"), 1, "{blend}");
            assert_eq!(count(&blend, "je") + count(&blend, "jmp"), 0, "{blend}");
            // the comparison's mask is the blend's: one compare, one andpd (no 1.0, no |c|)
            let compares = count(&blend, "cmpltsd") + count(&blend, "vcmpltsd");
            assert_eq!(compares, 1, "{blend}");
            assert_eq!(count(&blend, "andpd"), 1, "{blend}");
            // a condition used twice is a value, tested as 0 < |c| by the blend
            let twice = listing("if(x > 0, x + 1, y * 2) + (x > 0)", avx);
            let compares = count(&twice, "cmpltsd") + count(&twice, "vcmpltsd");
            assert_eq!(compares, 2, "{twice}");
        }
    }

    #[test]
    fn a_call_whose_result_is_the_functions_is_a_tail_call() {
        for avx in [false, true] {
            // no frame, no call, no ret: the function jumps to sin, which returns to our caller
            let alone = listing("sin(x)", avx);
            assert_eq!(count(&alone, "jmp"), 1, "{alone}");
            assert_eq!(count(&alone, "call") + count(&alone, "ret"), 0, "{alone}");
            // each side of a branch ends in one; the join is not reached
            let sides = listing("if(x > 0, exp(x), sin(x))", avx);
            assert_eq!(sides.matches("jmp qword ptr").count(), 2, "{sides}");
            assert_eq!(count(&sides, "call") + count(&sides, "ret"), 0, "{sides}");
            // a side that returns a value of its own still reaches the epilogue
            let one = listing("if(x > 0, exp(x), x)", avx);
            assert_eq!(one.matches("jmp qword ptr").count(), 1, "{one}");
            assert_eq!(count(&one, "ret"), 1, "{one}");
            // not when something follows the call
            let then_add = listing("sin(x) + 1", avx);
            assert_eq!(count(&then_add, "call"), 1, "{then_add}");
        }
    }

    #[test]
    fn call_arguments_already_in_place_are_not_reloaded() {
        // x is saved for the second call, but the first finds it in xmm0 already
        let both = listing("sin(x) + cos(x)*x", false);
        assert_eq!(count(&both, "movsd"), 4, "{both}"); // load, save, product, reload
        assert_eq!(both.matches("movsd xmm0,[rsp]").count(), 1, "{both}");
    }

    #[test]
    fn avx_forms_replace_the_copies() {
        let src = "x^7 - 3*x^5 + 2*x^3 - x + 1";
        let sse2 = listing(src, false);
        let avx = listing(src, true);
        assert_eq!(count(&sse2, "movapd"), 4, "{sse2}");
        assert_eq!(count(&avx, "movapd"), 0, "{avx}");
        assert!(count(&avx, "vmulsd") >= 2, "{avx}");
        // the same operations, one for one
        for (sse, vex) in [
            ("mulsd", "vmulsd"),
            ("addsd", "vaddsd"),
            ("subsd", "vsubsd"),
        ] {
            assert_eq!(
                count(&sse2, sse),
                count(&avx, sse) + count(&avx, vex),
                "{sse}:\n{sse2}\n{avx}"
            );
        }
        assert!(!sse2.contains("vmulsd") && !sse2.contains("vaddsd"));
    }

    #[test]
    fn the_last_operation_writes_xmm0() {
        // `x*y + x`: the sum is the last operation; with AVX it lands in xmm0 directly.
        let avx = listing("x*y + x", true);
        assert!(avx.contains("vaddsd xmm0,"), "{avx}");
        assert_eq!(count(&avx, "movapd"), 0, "{avx}");
        let sse2 = listing("x*y + x", false);
        assert!(sse2.contains("movapd xmm0,"), "{sse2}");
        // `x + x` with x still needed: `vaddsd r, x, x` keeps x.
        let twice = listing("(x + x) * x", true);
        assert_eq!(count(&twice, "movapd"), 0, "{twice}");
    }

    #[test]
    fn min_and_max_save_their_copies_with_avx() {
        for (src, op) in [("min(x, y) + y", "vminsd"), ("max(x, y) + y", "vmaxsd")] {
            let sse2 = listing(src, false);
            let avx = listing(src, true);
            assert_eq!(count(&avx, op), 1, "{avx}");
            assert_eq!(count(&avx, "vandpd"), 1, "{avx}");
            assert_eq!(count(&avx, "vcmpunordsd"), 1, "{avx}");
            // three copies in min/max (one before the NaN test), and the final one into xmm0
            assert_eq!(
                count(&sse2, "movapd") - count(&avx, "movapd"),
                4,
                "{sse2}\n{avx}"
            );
        }
    }

    #[test]
    fn comparisons_and_rounding_keep_their_operands_with_avx() {
        // `x` is still needed after `x < y`: `vcmpltsd` into a fresh register, no copy
        let avx = listing("(x < y) + x", true);
        assert_eq!(count(&avx, "vcmpltsd"), 1, "{avx}");
        assert_eq!(count(&avx, "movapd"), 0, "{avx}");
        let sse2 = listing("(x < y) + x", false);
        assert!(count(&sse2, "movapd") >= 1, "{sse2}");
        // floor, ceil, round, sign: their masks and sign bits from three-operand forms
        for src in ["floor(x)", "ceil(x)", "round(x)", "sign(x)"] {
            let sse2 = listing(src, false);
            let avx = listing(src, true);
            assert!(
                count(&avx, "movapd") < count(&sse2, "movapd"),
                "{src}:\n{sse2}\n{avx}"
            );
        }
    }

    #[test]
    fn negation_and_abs_keep_their_operand_with_avx() {
        for (src, sse, vex) in [
            ("abs(x) * x", "andpd", "vandpd"),
            ("-x * x", "xorpd", "vxorpd"),
        ] {
            let sse2 = listing(src, false);
            let avx = listing(src, true);
            assert!(count(&sse2, "movapd") >= 1, "{sse2}");
            assert!(sse2.contains(sse), "{sse2}");
            assert_eq!(count(&avx, "movapd"), 0, "{avx}");
            assert_eq!(count(&avx, vex), 1, "{avx}");
        }
    }
}
