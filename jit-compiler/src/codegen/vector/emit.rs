//! The vector code generator: one packed instruction sequence per node, registers
//! allocated linearly over the sixteen vector registers.

use crate::ast::{Ast, Node, NodeId};
use crate::codegen::lower::{CMP_LT, CMP_UNORD, comparison};
use crate::ops::{BinaryOp, PowStep, UnaryOp, powi_steps};
use crate::x64::{Assembler, AvxOp, Inst, Mem, SseImmOp, SseOp, Xmm, XmmMem, Ymm, YmmMem};

/// Lane patterns of the masks.
use super::*;

/// Where a value without a register is.
#[derive(Clone, Copy)]
pub(super) enum Home {
    Const(u64),
    Arg(u32),
}

/// A second operand.
#[derive(Clone, Copy)]
pub(super) enum Src {
    Reg(u8),
    Mem(Mem),
}

/// Out of registers, or an operation that needs a call.
pub(super) struct Failed;

/// Addresses element `disp/8` of argument `k` (emitting a pointer load if needed).
pub(super) type ArgMem<'a> = &'a dyn Fn(&mut Assembler, u32, i32) -> Mem;

/// One copy of the loop body: the values of a DAG for one vector of elements.
pub(super) struct VGen<'a> {
    pub(super) ast: &'a Ast,
    pub(super) isa: VectorIsa,
    pub(super) asm: &'a mut Assembler,
    pub(super) consts: &'a mut Consts,
    pub(super) arg_mem: ArgMem<'a>,
    pub(super) disp: i32,
    pub(super) uses: Vec<u32>,
    pub(super) reg_of: Vec<Option<u8>>,
    pub(super) home: Vec<Option<Home>>,
    pub(super) holder: [Option<NodeId>; 16],
    pub(super) allowed: u16,
    pub(super) reserved: u16,
}

pub(super) fn ymm(r: u8) -> Ymm {
    Ymm::from_num(r)
}

pub(super) fn xmm(r: u8) -> Xmm {
    Xmm::from_num(r)
}

impl VGen<'_> {
    fn avx(&self) -> bool {
        self.isa == VectorIsa::Avx2
    }

    fn alloc(&mut self) -> Result<u8, Failed> {
        let r = (0..16u8)
            .find(|&r| {
                self.allowed & (1 << r) != 0
                    && self.reserved & (1 << r) == 0
                    && self.holder[r as usize].is_none()
            })
            .ok_or(Failed)?;
        self.reserved |= 1 << r;
        Ok(r)
    }

    pub(super) fn mem_of(&mut self, v: NodeId) -> Mem {
        match self.home[v.index()] {
            Some(Home::Const(bits)) => self.consts.get(self.asm, bits),
            Some(Home::Arg(k)) => (self.arg_mem)(self.asm, k, self.disp),
            // every value is in a register or has a home
            None => self.consts.get(self.asm, 0),
        }
    }

    /// `dst = [m]` (unaligned load).
    fn load(&mut self, dst: u8, m: Mem) {
        if self.avx() {
            self.asm.vmovupd(ymm(dst), m);
        } else {
            self.asm.movupd(xmm(dst), m);
        }
    }

    fn mov(&mut self, dst: u8, src: u8) {
        if self.avx() {
            self.asm.vmovapd(ymm(dst), ymm(src));
        } else {
            self.asm.movapd(xmm(dst), xmm(src));
        }
    }

    /// `v` in a register (loaded and kept there if it was in memory).
    fn src1(&mut self, v: NodeId) -> Result<u8, Failed> {
        if let Some(r) = self.reg_of[v.index()] {
            self.reserved |= 1 << r;
            return Ok(r);
        }
        let r = self.alloc()?;
        let m = self.mem_of(v);
        self.load(r, m);
        self.reg_of[v.index()] = Some(r);
        self.holder[r as usize] = Some(v);
        Ok(r)
    }

    /// `v` as a second operand: a register, or memory where the ISA allows (SSE2 packed
    /// memory operands must be 16-byte aligned: constants are, array elements need not be).
    fn src2(&mut self, v: NodeId) -> Result<Src, Failed> {
        if let Some(r) = self.reg_of[v.index()] {
            self.reserved |= 1 << r;
            return Ok(Src::Reg(r));
        }
        match self.home[v.index()] {
            Some(Home::Arg(_)) if !self.avx() => Ok(Src::Reg(self.src1(v)?)),
            _ => Ok(Src::Mem(self.mem_of(v))),
        }
    }

    /// Is this node the last use of `v`?
    fn dying(&self, v: NodeId, id: NodeId) -> bool {
        let node = self.ast.node(id);
        let occ = self.ast.children(node).iter().filter(|&c| c == v).count() as u32;
        self.uses[v.index()] == occ
    }

    fn in_reg_dying(&self, v: NodeId, id: NodeId) -> bool {
        self.reg_of[v.index()].is_some() && self.dying(v, id)
    }

    /// A destination for a one-instruction operation whose first source is `v` in `rv`:
    /// `rv` itself when `v` dies here, else a fresh register.
    fn dst(&mut self, v: NodeId, rv: u8, id: NodeId) -> Result<u8, Failed> {
        if self.dying(v, id) {
            self.reg_of[v.index()] = None;
            self.holder[rv as usize] = None;
            self.reserved |= 1 << rv;
            Ok(rv)
        } else {
            self.alloc()
        }
    }

    /// `dst = src1 op src2` (SSE2: a copy to `dst` first when it is not `src1`; the callers
    /// never pass a `src2` in `dst` then).
    fn op3(&mut self, op: AvxOp, dst: u8, src1: u8, src2: Src) {
        if self.avx() {
            let src2 = match src2 {
                Src::Reg(r) => YmmMem::Ymm(ymm(r)),
                Src::Mem(m) => YmmMem::Mem(m),
            };
            self.asm.emit(Inst::Avx {
                op,
                dst: ymm(dst),
                src1: ymm(src1),
                src2,
            });
        } else {
            if dst != src1 {
                self.mov(dst, src1);
            }
            let sse = match op {
                AvxOp::Vaddpd => SseOp::Addpd,
                AvxOp::Vsubpd => SseOp::Subpd,
                AvxOp::Vmulpd => SseOp::Mulpd,
                AvxOp::Vdivpd => SseOp::Divpd,
                AvxOp::Vminpd => SseOp::Minpd,
                AvxOp::Vmaxpd => SseOp::Maxpd,
                AvxOp::Vandpd => SseOp::Andpd,
                AvxOp::Vandnpd => SseOp::Andnpd,
                AvxOp::Vorpd => SseOp::Orpd,
                AvxOp::Vxorpd => SseOp::Xorpd,
            };
            self.asm.emit(Inst::Sse {
                op: sse,
                dst: xmm(dst),
                src: sse_src(src2),
            });
        }
    }

    /// `dst = cmp(src1, src2, pred)` as an all-ones / zero mask per lane.
    fn cmp(&mut self, dst: u8, src1: u8, src2: Src, pred: u8) {
        if self.avx() {
            let src2 = match src2 {
                Src::Reg(r) => YmmMem::Ymm(ymm(r)),
                Src::Mem(m) => YmmMem::Mem(m),
            };
            self.asm.vcmppd(ymm(dst), ymm(src1), src2, pred);
        } else {
            if dst != src1 {
                self.mov(dst, src1);
            }
            self.asm.emit(Inst::SseImm {
                op: SseImmOp::Cmppd,
                dst: xmm(dst),
                src: sse_src(src2),
                imm: pred,
            });
        }
    }

    /// Ends a node: children's uses consumed, dead values' registers freed.
    fn finish(&mut self, id: NodeId, result: Option<u8>) {
        let node = self.ast.node(id);
        for c in self.ast.children(node).iter() {
            let u = &mut self.uses[c.index()];
            *u = u.saturating_sub(1);
            if *u == 0 {
                if let Some(r) = self.reg_of[c.index()].take() {
                    self.holder[r as usize] = None;
                }
            }
        }
        self.reserved = 0;
        if let Some(r) = result {
            self.reg_of[id.index()] = Some(r);
            self.holder[r as usize] = Some(id);
        }
    }

    pub(super) fn node(&mut self, id: NodeId) -> Result<(), Failed> {
        match self.ast.node(id) {
            Node::Num(v) => self.home[id.index()] = Some(Home::Const(v.to_bits())),
            Node::Arg(k) => self.home[id.index()] = Some(Home::Arg(k)),
            Node::Unary(op @ (UnaryOp::Neg | UnaryOp::Abs), a) => {
                let ra = self.src1(a)?;
                let d = self.dst(a, ra, id)?;
                let (inst, bits) = if op == UnaryOp::Neg {
                    (AvxOp::Vxorpd, SIGN)
                } else {
                    (AvxOp::Vandpd, ABS)
                };
                let m = self.consts.get(self.asm, bits);
                self.op3(inst, d, ra, Src::Mem(m));
                self.finish(id, Some(d));
            }
            Node::Unary(UnaryOp::Sqrt, a) => {
                let s = self.src2(a)?;
                let d = match s {
                    Src::Reg(ra) => self.dst(a, ra, id)?,
                    Src::Mem(_) => self.alloc()?,
                };
                if self.avx() {
                    let src = match s {
                        Src::Reg(r) => YmmMem::Ymm(ymm(r)),
                        Src::Mem(m) => YmmMem::Mem(m),
                    };
                    self.asm.vsqrtpd(ymm(d), src);
                } else {
                    self.asm.sqrtpd(xmm(d), sse_src(s));
                }
                self.finish(id, Some(d));
            }
            Node::Unary(..) => return Err(Failed),
            Node::Binary(op, a, b) => self.binary(id, op, a, b)?,
            Node::PowI(a, n) => self.powi(id, a, n)?,
            Node::If(c, a, b) => self.select(id, c, a, b)?,
            Node::Call(..) => return Err(Failed),
        }
        Ok(())
    }

    fn binary(&mut self, id: NodeId, op: BinaryOp, a: NodeId, b: NodeId) -> Result<(), Failed> {
        use BinaryOp::*;
        let arith = match op {
            Add => Some(AvxOp::Vaddpd),
            Sub => Some(AvxOp::Vsubpd),
            Mul => Some(AvxOp::Vmulpd),
            Div => Some(AvxOp::Vdivpd),
            _ => None,
        };
        if let Some(inst) = arith {
            // the scalar generator's choice of the first operand (see the module docs)
            let commutes = matches!(op, Add | Mul);
            let (a, b) = if commutes && self.in_reg_dying(b, id) && !self.in_reg_dying(a, id) {
                (b, a)
            } else {
                (a, b)
            };
            let ra = self.src1(a)?;
            let sb = self.src2(b)?;
            let d = self.dst(a, ra, id)?;
            self.op3(inst, d, ra, sb);
            self.finish(id, Some(d));
            return Ok(());
        }
        if let Some((swap, pred)) = comparison(op) {
            let (x, y) = if swap { (b, a) } else { (a, b) };
            return self.compare(id, x, y, pred);
        }
        match op {
            Min => self.min_max(id, AvxOp::Vminpd, a, b),
            Max => self.min_max(id, AvxOp::Vmaxpd, a, b),
            _ => Err(Failed),
        }
    }

    /// `1.0` where `x pred y`, else `0.0`: the mask, `and` the bits of `1.0`.
    fn compare(&mut self, id: NodeId, x: NodeId, y: NodeId, pred: u8) -> Result<(), Failed> {
        let rx = self.src1(x)?;
        let sy = self.src2(y)?;
        let d = self.dst(x, rx, id)?;
        self.cmp(d, rx, sy, pred);
        let one = self.consts.get(self.asm, ONE);
        self.op3(AvxOp::Vandpd, d, d, Src::Mem(one));
        self.finish(id, Some(d));
        Ok(())
    }

    /// `min(a, b)`: `r = b < a ? b : a` (`minpd r=b, a`), then `b` where `a` is NaN.
    fn min_max(&mut self, id: NodeId, inst: AvxOp, a: NodeId, b: NodeId) -> Result<(), Failed> {
        let ra = self.src1(a)?;
        let rb = self.src1(b)?;
        let r = self.alloc()?;
        self.op3(inst, r, rb, Src::Reg(ra));
        let nan = self.alloc()?;
        self.cmp(nan, ra, Src::Reg(ra), CMP_UNORD);
        if self.avx() {
            self.asm.vblendvpd(ymm(r), ymm(r), ymm(rb), ymm(nan));
            self.finish(id, Some(r));
        } else {
            let t = self.alloc()?;
            self.mov(t, rb);
            self.op3(AvxOp::Vandpd, t, t, Src::Reg(nan));
            self.op3(AvxOp::Vandnpd, nan, nan, Src::Reg(r));
            self.op3(AvxOp::Vorpd, nan, nan, Src::Reg(t));
            self.finish(id, Some(nan));
        }
        Ok(())
    }

    /// `x^n` by the squaring sequence of [`powi_steps`], exactly as the scalar code.
    fn powi(&mut self, id: NodeId, a: NodeId, n: i64) -> Result<(), Failed> {
        if n == 0 {
            self.finish(id, None);
            self.home[id.index()] = Some(Home::Const(1f64.to_bits()));
            return Ok(());
        }
        let ra = self.src1(a)?;
        let base = if self.dying(a, id) {
            self.dst(a, ra, id)?
        } else {
            let b = self.alloc()?;
            self.mov(b, ra);
            b
        };
        let steps: Vec<PowStep> = powi_steps(n.unsigned_abs()).collect();
        let mut acc: Option<u8> = None;
        for (i, step) in steps.iter().enumerate() {
            match (step, acc) {
                (PowStep::Accumulate, None) if i + 1 == steps.len() => acc = Some(base),
                (PowStep::Accumulate, None) => {
                    let r = self.alloc()?;
                    self.mov(r, base);
                    acc = Some(r);
                }
                (PowStep::Accumulate, Some(r)) => self.op3(AvxOp::Vmulpd, r, r, Src::Reg(base)),
                (PowStep::Square, _) => self.op3(AvxOp::Vmulpd, base, base, Src::Reg(base)),
            }
        }
        let mut result = acc.unwrap_or(base);
        if n < 0 {
            let r = self.alloc()?;
            let one = self.consts.get(self.asm, 1f64.to_bits());
            self.load(r, one);
            self.op3(AvxOp::Vdivpd, r, r, Src::Reg(result));
            result = r;
        }
        self.finish(id, Some(result));
        Ok(())
    }

    /// `if(c, a, b)`: `a` where `0 < |c|` (non-zero and not NaN), else `b`.
    fn select(&mut self, id: NodeId, c: NodeId, a: NodeId, b: NodeId) -> Result<(), Failed> {
        let rc = self.src1(c)?;
        let abs = self.consts.get(self.asm, ABS);
        let t = self.alloc()?;
        self.op3(AvxOp::Vandpd, t, rc, Src::Mem(abs));
        let m = self.alloc()?;
        self.op3(AvxOp::Vxorpd, m, m, Src::Reg(m));
        self.cmp(m, m, Src::Reg(t), CMP_LT);
        if self.avx() {
            let rb = self.src1(b)?;
            let sa = self.src2(a)?;
            let sa = match sa {
                Src::Reg(r) => YmmMem::Ymm(ymm(r)),
                Src::Mem(mm) => YmmMem::Mem(mm),
            };
            self.asm.vblendvpd(ymm(t), ymm(rb), sa, ymm(m));
            self.finish(id, Some(t));
        } else {
            let ra = self.src1(a)?;
            self.mov(t, ra);
            self.op3(AvxOp::Vandpd, t, t, Src::Reg(m));
            let sb = self.src2(b)?;
            self.op3(AvxOp::Vandnpd, m, m, sb);
            self.op3(AvxOp::Vorpd, m, m, Src::Reg(t));
            self.finish(id, Some(m));
        }
        Ok(())
    }
}

pub(super) fn sse_src(s: Src) -> XmmMem {
    match s {
        Src::Reg(r) => XmmMem::Xmm(xmm(r)),
        Src::Mem(m) => XmmMem::Mem(m),
    }
}
