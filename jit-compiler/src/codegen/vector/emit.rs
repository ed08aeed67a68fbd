//! The vector code generator: one packed instruction sequence per node, registers
//! allocated linearly over the sixteen vector registers.

use crate::ast::{Ast, Node, NodeId};
use crate::codegen::lower::{CMP_LE, CMP_LT, CMP_UNORD, comparison};
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

/// Out of registers, or an operation that needs a call (or, with SSE2, a rounding function).
pub(super) struct Failed;

/// `vroundpd` immediates: the direction in bits 1:0, and bit 3 set so that rounding sets no
/// precision flag in MXCSR (an inexact result is what rounding is for).
const ROUND_FLOOR: u8 = 9;
const ROUND_CEIL: u8 = 10;
const ROUND_TRUNC: u8 = 11;

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
            let src2 = ymm_src(src2);
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
                AvxOp::Vunpcklpd => SseOp::Unpcklpd,
                AvxOp::Vunpckhpd => SseOp::Unpckhpd,
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
            let src2 = ymm_src(src2);
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
                let (d, s) = self.unary_dst(id, a)?;
                if self.avx() {
                    self.asm.vsqrtpd(ymm(d), ymm_src(s));
                } else {
                    self.asm.sqrtpd(xmm(d), sse_src(s));
                }
                self.finish(id, Some(d));
            }
            Node::Unary(
                op @ (UnaryOp::Floor | UnaryOp::Ceil | UnaryOp::Trunc | UnaryOp::Round),
                a,
            ) => self.rounding(id, op, a)?,
            Node::Unary(UnaryOp::Sign, a) => self.sign(id, a)?,
            Node::Unary(..) => return Err(Failed),
            Node::Binary(op, a, b) => self.binary(id, op, a, b)?,
            Node::PowI(a, n) => self.powi(id, a, n)?,
            Node::If(c, a, b) => self.select(id, c, a, b)?,
            Node::Call(..) => return Err(Failed),
        }
        Ok(())
    }

    /// Registers for a one-operand instruction that reads `a` from a register or memory: the
    /// destination (`a`'s register when `a` dies here) and the operand.
    fn unary_dst(&mut self, id: NodeId, a: NodeId) -> Result<(u8, Src), Failed> {
        let s = self.src2(a)?;
        let d = match s {
            Src::Reg(ra) => self.dst(a, ra, id)?,
            Src::Mem(_) => self.alloc()?,
        };
        Ok((d, s))
    }

    /// A temporary of the node being emitted is free again (its last read is emitted).
    fn release(&mut self, r: u8) {
        self.reserved &= !(1 << r);
    }

    /// Per lane, `mask ? a : b`, in `a`'s or `mask`'s register (returned); `b` is kept.
    fn pick(&mut self, mask: u8, a: u8, b: u8) -> u8 {
        if self.avx() {
            self.asm.vblendvpd(ymm(a), ymm(b), ymm(a), ymm(mask));
            a
        } else {
            self.op3(AvxOp::Vandpd, a, a, Src::Reg(mask));
            self.op3(AvxOp::Vandnpd, mask, mask, Src::Reg(b));
            self.op3(AvxOp::Vorpd, mask, mask, Src::Reg(a));
            mask
        }
    }

    /// `floor`, `ceil`, `trunc` and `round`, bit for bit as `f64`'s (and the scalar code's).
    /// With AVX, one `vroundpd`, or for `round` (half away from zero, which `vroundpd` has
    /// not) the truncation and then the scalar code's fix-up. SSE2 has no `roundpd` (SSE4.1):
    /// [`Self::trunc_sse2`], then the scalar code's fix-ups.
    fn rounding(&mut self, id: NodeId, op: UnaryOp, a: NodeId) -> Result<(), Failed> {
        let direct = match op {
            UnaryOp::Floor => Some(ROUND_FLOOR),
            UnaryOp::Ceil => Some(ROUND_CEIL),
            UnaryOp::Trunc => Some(ROUND_TRUNC),
            _ => None,
        };
        if let (true, Some(imm)) = (self.avx(), direct) {
            let (d, s) = self.unary_dst(id, a)?;
            self.asm.vroundpd(ymm(d), ymm_src(s), imm);
            self.finish(id, Some(d));
            return Ok(());
        }
        let x = self.src1(a)?;
        let t = if self.avx() {
            let t = self.alloc()?;
            self.asm.vroundpd(ymm(t), ymm(x), ROUND_TRUNC);
            t
        } else {
            self.trunc_sse2(x)?
        };
        match op {
            UnaryOp::Floor => self.subtract_where_less(x, t, t, ONE)?,
            UnaryOp::Ceil => self.subtract_where_less(t, x, t, NEG_ONE)?,
            UnaryOp::Round => self.round_fix(x, t)?,
            _ => {}
        }
        self.finish(id, Some(t));
        Ok(())
    }

    /// `trunc(x)` with SSE2 packed instructions, exactly: for `|x| < 2^52`, `|x| + 2^52` has
    /// ulp 1, so (in the round-to-nearest mode Rust code runs in) it and the subtraction of
    /// `2^52` give `|x|` rounded to an integer; minus 1 where that rounded up; then the sign of
    /// `x` put back on (so `trunc(-0.3) = -0`). `x` itself where `|x| >= 2^52` (an integer
    /// already), infinite or NaN, as the scalar `trunc`.
    fn trunc_sse2(&mut self, x: u8) -> Result<u8, Failed> {
        let (abs, two_52) = (self.mask(ABS), self.mask(TWO_52));
        let ax = self.alloc()?;
        self.op3(AvxOp::Vandpd, ax, x, abs);
        let t = self.alloc()?;
        self.op3(AvxOp::Vaddpd, t, ax, two_52);
        self.op3(AvxOp::Vsubpd, t, t, two_52);
        let up = self.alloc()?;
        self.cmp(up, ax, Src::Reg(t), CMP_LT);
        let one = self.mask(ONE);
        self.op3(AvxOp::Vandpd, up, up, one);
        self.op3(AvxOp::Vsubpd, t, t, Src::Reg(up));
        let sign = self.mask(SIGN);
        self.op3(AvxOp::Vandpd, up, x, sign);
        self.op3(AvxOp::Vorpd, t, t, Src::Reg(up));
        self.release(up);
        // small: |x| < 2^52 (false for NaN)
        let small = ax;
        self.cmp(small, ax, two_52, CMP_LT);
        let r = self.pick(small, t, x);
        self.release(if r == t { small } else { t });
        Ok(r)
    }

    /// `t - step` where `lo < hi`, `t - 0` elsewhere (subtracting `+0` keeps `-0`): from
    /// `t = trunc(x)`, `floor` is `t - 1` where `x < t` and `ceil` is `t - (-1)` where
    /// `t < x` (so `ceil(-0.5) = -0`), as the scalar `floor_fix` and `ceil_fix`.
    fn subtract_where_less(&mut self, lo: u8, hi: u8, t: u8, step: u64) -> Result<(), Failed> {
        let m = self.alloc()?;
        self.cmp(m, lo, Src::Reg(hi), CMP_LT);
        let step = self.mask(step);
        self.op3(AvxOp::Vandpd, m, m, step);
        self.op3(AvxOp::Vsubpd, t, t, Src::Reg(m));
        Ok(())
    }

    /// `round` (half away from zero) from `t = trunc(x)`, as the scalar `round_fix`:
    /// `d = |x - t|` is exact; where `0.5 <= d`, one away from zero: `t - (-copysign(1, x))`.
    fn round_fix(&mut self, x: u8, t: u8) -> Result<(), Failed> {
        let d = self.alloc()?;
        self.op3(AvxOp::Vsubpd, d, x, Src::Reg(t));
        let abs = self.mask(ABS);
        self.op3(AvxOp::Vandpd, d, d, abs);
        let h = self.alloc()?;
        let half = self.consts.get(self.asm, HALF);
        self.load(h, half);
        self.cmp(h, h, Src::Reg(d), CMP_LE);
        let (sign, neg_one) = (self.mask(SIGN), self.mask(NEG_ONE));
        self.op3(AvxOp::Vandpd, d, x, sign);
        self.op3(AvxOp::Vxorpd, d, d, neg_one);
        self.op3(AvxOp::Vandpd, d, d, Src::Reg(h));
        self.op3(AvxOp::Vsubpd, t, t, Src::Reg(d));
        Ok(())
    }

    /// `sign(x)`, as the scalar code: `copysign(1, x)` where `0 < |x|`, else `x` itself
    /// (`±0`, NaN). Masks only, so SSE2 has it too.
    fn sign(&mut self, id: NodeId, a: NodeId) -> Result<(), Failed> {
        let x = self.src1(a)?;
        let s = self.alloc()?;
        let abs = self.mask(ABS);
        self.op3(AvxOp::Vandpd, s, x, abs);
        let nz = self.alloc()?;
        self.op3(AvxOp::Vxorpd, nz, nz, Src::Reg(nz));
        self.cmp(nz, nz, Src::Reg(s), CMP_LT);
        let (sign, one) = (self.mask(SIGN), self.mask(ONE));
        self.op3(AvxOp::Vandpd, s, x, sign);
        self.op3(AvxOp::Vorpd, s, s, one);
        let r = self.pick(nz, s, x);
        self.finish(id, Some(r));
        Ok(())
    }

    /// A broadcast constant as a second operand.
    fn mask(&mut self, bits: u64) -> Src {
        Src::Mem(self.consts.get(self.asm, bits))
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
            let sa = ymm_src(self.src2(a)?);
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

/// An operand as the AVX forms take it: its ymm register, or the memory it is in.
pub(super) fn ymm_src(s: Src) -> YmmMem {
    match s {
        Src::Reg(r) => YmmMem::Ymm(ymm(r)),
        Src::Mem(m) => YmmMem::Mem(m),
    }
}

pub(super) fn sse_src(s: Src) -> XmmMem {
    match s {
        Src::Reg(r) => XmmMem::Xmm(xmm(r)),
        Src::Mem(m) => XmmMem::Mem(m),
    }
}
