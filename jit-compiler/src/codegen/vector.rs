//! Array kernels: loops in machine code over arrays of `f64`.
//!
//! Three kinds, all position-independent code with the constants after it and no calls (an
//! expression that needs a call into Rust, e.g. `sin`, gets no kernel: the runtime then
//! evaluates it element by element through the scalar code):
//!
//! * [`map_kernel`]: `out[i] = f(col0[i], col1[i], ...)`, vectorized. Every node of the
//!   expression becomes the packed form of the instruction that the scalar code generator
//!   uses for it (`addsd` → `vaddpd`/`addpd`, `cmpsd` → `vcmppd`/`cmppd`, the `andpd`/`andnpd`/
//!   `orpd` selections → `vblendvpd` or the same mask logic), with the same operand order and
//!   the same `x^n` multiplication sequence ([`crate::ops::powi_steps`]), so every lane gets
//!   the bits the scalar code computes for that element. (The one freedom: in `a + b` and
//!   `a * b` the scalar generator may put `b` first when it sits in a dying register; when
//!   *both* operands are NaN the result is the first one's NaN, so the payload of a NaN
//!   result can differ in that case. Every non-NaN result is identical.)
//! * [`fold_kernel`]: the strict left fold `t = f(t, x)` over an array: the scalar body of
//!   the code generator ([`super::lower`]) inlined into a counted loop, the accumulator
//!   staying in `xmm0`: the same instructions as a call per element, without the calls.
//! * [`fast_reduce_kernel`]: for `t + term(x)` and `t * term(x)`: several vector accumulators
//!   (reassociation; the runtime documents the error bound).
//!
//! Register allocation is simpler than the scalar one: values live in vector registers and
//! die at their last use; constants and (with AVX) elements are used straight from memory. An
//! expression that would need more than the sixteen registers gets no kernel (`None`), and
//! the runtime falls back to the scalar code element by element.

use super::Abi;
use super::dag::Dag;
use super::lower::{CMP_LT, CMP_UNORD, comparison, lower};
use super::pool::Pool;
use crate::ast::{Ast, Node, NodeId};
use crate::expr::Expr;
use crate::ops::{BinaryOp, PowStep, UnaryOp, powi_steps};
use crate::x64::{
    Assembler, AvxOp, Cond, Gpr, Inst, Label, Mem, Scale, SseImmOp, SseOp, SseStoreOp, Xmm, XmmMem,
    Ymm, YmmMem,
};

/// Lane patterns of the masks.
const SIGN: u64 = 0x8000_0000_0000_0000;
const ABS: u64 = 0x7FFF_FFFF_FFFF_FFFF;
const ONE: u64 = 0x3FF0_0000_0000_0000;

/// Which vector instructions a kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorIsa {
    /// AVX (VEX.256, `ymm` registers): 4 doubles per instruction. Run it only where
    /// `is_x86_feature_detected!("avx2")` holds.
    Avx2,
    /// SSE2 packed (`xmm` registers): 2 doubles per instruction; every x86-64 CPU has it.
    Sse2,
}

impl VectorIsa {
    /// Doubles per register.
    pub fn lanes(self) -> usize {
        match self {
            VectorIsa::Avx2 => 4,
            VectorIsa::Sse2 => 2,
        }
    }
}

/// The operation a reduction combines with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// `t + term(x)`: partial sums start at `-0.0` (the exact identity of `+`).
    Add,
    /// `t * term(x)`: partial products start at `1.0`.
    Mul,
}

impl ReduceOp {
    /// `a op b`.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            ReduceOp::Add => a + b,
            ReduceOp::Mul => a * b,
        }
    }

    /// The identity the accumulators start from.
    pub fn identity(self) -> f64 {
        match self {
            ReduceOp::Add => -0.0,
            ReduceOp::Mul => 1.0,
        }
    }
}

/// Machine code of one array kernel. The entry is at offset 0; it calls nothing and needs no
/// relocation. All kernels use the System V convention (`extern "sysv64"`) on every OS.
#[derive(Clone, Debug)]
pub struct ArrayKernel {
    /// The bytes: code, then the constants.
    pub code: Vec<u8>,
    /// Doubles per vector register (1 for the strict fold).
    pub lanes: usize,
    /// Elements per loop iteration.
    pub block: usize,
    /// The listing, when asked for.
    pub listing: String,
}

/// Broadcast constants: every lane pattern once, `lanes` copies, after the code.
struct Consts {
    lanes: usize,
    list: Vec<(u64, Label)>,
}

impl Consts {
    fn new(lanes: usize) -> Consts {
        Consts {
            lanes,
            list: Vec::new(),
        }
    }

    fn get(&mut self, asm: &mut Assembler, bits: u64) -> Mem {
        if let Some((_, l)) = self.list.iter().find(|(b, _)| *b == bits) {
            return Mem::rip(*l);
        }
        let l = asm.new_label();
        self.list.push((bits, l));
        Mem::rip(l)
    }

    fn emit(&self, asm: &mut Assembler) {
        if self.list.is_empty() {
            return;
        }
        asm.align(32);
        for &(bits, l) in &self.list {
            asm.bind(l);
            for _ in 0..self.lanes {
                asm.data_u64(bits);
            }
        }
    }
}

/// Where a value without a register is.
#[derive(Clone, Copy)]
enum Home {
    Const(u64),
    Arg(u32),
}

/// A second operand.
#[derive(Clone, Copy)]
enum Src {
    Reg(u8),
    Mem(Mem),
}

/// Out of registers, or an operation that needs a call.
struct Failed;

/// Addresses element `disp/8` of argument `k` (emitting a pointer load if needed).
type ArgMem<'a> = &'a dyn Fn(&mut Assembler, u32, i32) -> Mem;

/// One copy of the loop body: the values of a DAG for one vector of elements.
struct VGen<'a> {
    ast: &'a Ast,
    isa: VectorIsa,
    asm: &'a mut Assembler,
    consts: &'a mut Consts,
    arg_mem: ArgMem<'a>,
    disp: i32,
    uses: Vec<u32>,
    reg_of: Vec<Option<u8>>,
    home: Vec<Option<Home>>,
    holder: [Option<NodeId>; 16],
    allowed: u16,
    reserved: u16,
}

fn ymm(r: u8) -> Ymm {
    Ymm::from_num(r)
}

fn xmm(r: u8) -> Xmm {
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

    fn mem_of(&mut self, v: NodeId) -> Mem {
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

    fn node(&mut self, id: NodeId) -> Result<(), Failed> {
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

fn sse_src(s: Src) -> XmmMem {
    match s {
        Src::Reg(r) => XmmMem::Xmm(xmm(r)),
        Src::Mem(m) => XmmMem::Mem(m),
    }
}

/// Emits one copy of the body of `dag` for the elements at byte offset `disp`; returns where
/// the result is.
fn body(
    dag: &Dag,
    isa: VectorIsa,
    asm: &mut Assembler,
    consts: &mut Consts,
    arg_mem: ArgMem<'_>,
    disp: i32,
    allowed: u16,
) -> Result<Src, Failed> {
    let n = dag.ast.len();
    let mut g = VGen {
        ast: &dag.ast,
        isa,
        asm,
        consts,
        arg_mem,
        disp,
        uses: dag.uses.clone(),
        reg_of: vec![None; n],
        home: vec![None; n],
        holder: [None; 16],
        allowed,
        reserved: 0,
    };
    for &id in &dag.order {
        g.node(id)?;
    }
    let root = dag.root;
    Ok(match g.reg_of[root.index()] {
        Some(r) => Src::Reg(r),
        None => Src::Mem(g.mem_of(root)),
    })
}

/// Does the expression need calls into Rust (helpers, user functions)?
fn has_calls(dag: &Dag) -> bool {
    dag.calls
}

fn finish(asm: Assembler, consts: &Consts, lanes: usize, block: usize) -> Option<ArrayKernel> {
    let mut asm = asm;
    consts.emit(&mut asm);
    let out = asm.finish().ok()?;
    let listing = out.listing_text();
    Some(ArrayKernel {
        code: out.code,
        lanes,
        block,
        listing,
    })
}

/// Vectors per iteration of the map loop.
const MAP_UNROLL: usize = 2;

/// Column pointers kept in registers; later columns are loaded into `r11` at each use.
const COLUMN_REGS: [Gpr; 4] = [Gpr::Rax, Gpr::R8, Gpr::R9, Gpr::R10];

/// A vectorized `out[i] = f(col0[i], ...)` over `n` elements.
///
/// The kernel is `extern "sysv64" fn(columns: *const *const f64, out: *mut f64, n: usize)`
/// with `n >= lanes` (smaller arrays are the caller's job): blocks of `2*lanes` elements, then
/// of `lanes`, and a last block that ends at `n` and overlaps the one before (elements are
/// recomputed to the same values, so this only needs `out` not to alias a column). `None`
/// when the expression calls functions or needs more than 16 vector registers.
///
/// ```
/// use jit_compiler::codegen::{map_kernel, VectorIsa};
/// let e = jit_compiler::parse("2*x^0.5").unwrap();
/// let k = map_kernel(&e, VectorIsa::Avx2, true).unwrap();
/// assert!(k.listing.contains("vsqrtpd"));
/// assert!(map_kernel(&jit_compiler::parse("sin(x)").unwrap(), VectorIsa::Sse2, false).is_none());
/// ```
pub fn map_kernel(expr: &Expr, isa: VectorIsa, listing: bool) -> Option<ArrayKernel> {
    let (ast, root) = expr.simplified_for_codegen();
    let dag = Dag::new(ast, root);
    if dag.ast.is_empty() || has_calls(&dag) {
        return None;
    }
    let lanes = isa.lanes();
    let unroll = MAP_UNROLL;
    let block = lanes * unroll;
    let arity = expr.arity();
    let mut asm = Assembler::new().with_listing(listing);
    let mut consts = Consts::new(lanes);
    let arg_mem = |asm: &mut Assembler, k: u32, disp: i32| -> Mem {
        let base = match COLUMN_REGS.get(k as usize) {
            Some(&r) => r,
            None => {
                asm.mov(Gpr::R11, Mem::base_disp(Gpr::Rdi, 8 * k as i32));
                Gpr::R11
            }
        };
        Mem::base_index(base, Gpr::Rcx, Scale::S8, disp)
    };
    let store = |asm: &mut Assembler, src: Src, disp: i32| {
        let at = Mem::base_index(Gpr::Rsi, Gpr::Rcx, Scale::S8, disp);
        let r = match src {
            Src::Reg(r) => r,
            Src::Mem(m) => {
                match isa {
                    VectorIsa::Avx2 => asm.vmovupd(ymm(0), m),
                    VectorIsa::Sse2 => asm.movupd(xmm(0), m),
                }
                0
            }
        };
        match isa {
            VectorIsa::Avx2 => asm.vmovupd(at, ymm(r)),
            VectorIsa::Sse2 => asm.movupd(at, xmm(r)),
        }
    };
    let (big, small_setup, small, again, tail, done) = (
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
    );
    for (k, &r) in COLUMN_REGS.iter().enumerate().take(arity) {
        asm.mov(r, Mem::base_disp(Gpr::Rdi, 8 * k as i32));
    }
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.sub(Gpr::Rdx, block as i32); // rdx = n - block: the last start of a whole block
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::G, small_setup);
    asm.bind(big);
    for u in 0..unroll {
        let disp = (8 * lanes * u) as i32;
        let r = body(&dag, isa, &mut asm, &mut consts, &arg_mem, disp, 0xFFFF).ok()?;
        store(&mut asm, r, disp);
    }
    asm.add(Gpr::Rcx, block as i32);
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::Le, big);
    asm.bind(small_setup);
    asm.add(Gpr::Rdx, (block - lanes) as i32); // rdx = n - lanes
    asm.bind(small);
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::G, tail);
    asm.bind(again);
    let r = body(&dag, isa, &mut asm, &mut consts, &arg_mem, 0, 0xFFFF).ok()?;
    store(&mut asm, r, 0);
    asm.add(Gpr::Rcx, lanes as i32);
    asm.jmp(small);
    asm.bind(tail);
    // done if the last vector ended exactly at n; else one more vector ending at n
    asm.lea(Gpr::R11, Mem::base_disp(Gpr::Rdx, lanes as i32));
    asm.cmp(Gpr::Rcx, Gpr::R11);
    asm.jcc(Cond::E, done);
    asm.mov(Gpr::Rcx, Gpr::Rdx);
    asm.jmp(again);
    asm.bind(done);
    if isa == VectorIsa::Avx2 {
        asm.vzeroupper();
    }
    asm.ret();
    finish(asm, &consts, lanes, block)
}

/// The strict left fold `t = f(t, x)` of a two-argument expression (`t` argument 0, the
/// element argument 1): `extern "sysv64" fn(xs: *const f64, n: usize, init: f64) -> f64`.
///
/// The loop body is the scalar code generator's body for `f` (the same instructions as one
/// call, so the result is bit-identical to calling `f` element by element), with `t` staying
/// in `xmm0` and each element loaded into `xmm1`. `None` when `f` calls functions.
///
/// ```
/// use jit_compiler::codegen::fold_kernel;
/// let e = jit_compiler::parse_with_args("t + x*x", &["t", "x"]).unwrap();
/// let k = fold_kernel(&e, true).unwrap();
/// assert!(k.listing.contains("movsd xmm1,[rdi+rcx*8]"));
/// ```
pub fn fold_kernel(expr: &Expr, listing: bool) -> Option<ArrayKernel> {
    if expr.arity() != 2 {
        return None;
    }
    let (ast, root) = expr.simplified_for_codegen();
    let dag = Dag::new(ast, root);
    if dag.ast.is_empty() || has_calls(&dag) {
        return None;
    }
    let mut asm = Assembler::new().with_listing(listing);
    let mut pool = Pool::default();
    let b = lower(&dag, 2, Abi::SysV, &[], &mut asm, &mut pool);
    if b.has_calls {
        return None;
    }
    let frame = (8 * b.slots as i32 + 15) & !15;
    let (top, done) = (asm.new_label(), asm.new_label());
    asm.test(Gpr::Rsi, Gpr::Rsi);
    asm.jcc(Cond::E, done);
    if frame > 0 {
        asm.sub(Gpr::Rsp, frame);
    }
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.bind(top);
    asm.movsd(Xmm::Xmm1, Mem::base_index(Gpr::Rdi, Gpr::Rcx, Scale::S8, 0));
    for inst in b.insts {
        asm.emit(inst);
    }
    asm.inc(Gpr::Rcx);
    asm.cmp(Gpr::Rcx, Gpr::Rsi);
    asm.jcc(Cond::B, top);
    if frame > 0 {
        asm.add(Gpr::Rsp, frame);
    }
    asm.bind(done);
    asm.ret();
    pool.emit(&mut asm);
    let out = asm.finish().ok()?;
    let listing = out.listing_text();
    Some(ArrayKernel {
        code: out.code,
        lanes: 1,
        block: 1,
        listing,
    })
}

/// Is `f(t, x)` of the form `t + term(x)` or `t * term(x)` (either operand order) with `t`
/// argument `acc` and `term` free of `t`? Returns the operation and the term as an
/// expression of the same arguments.
///
/// ```
/// use jit_compiler::codegen::{reduce_shape, ReduceOp};
/// let e = jit_compiler::parse_with_args("t + x*x", &["t", "x"]).unwrap();
/// assert_eq!(reduce_shape(&e, 0).unwrap().0, ReduceOp::Add);
/// let e = jit_compiler::parse_with_args("t*t + x", &["t", "x"]).unwrap();
/// assert!(reduce_shape(&e, 0).is_none());
/// ```
pub fn reduce_shape(expr: &Expr, acc: usize) -> Option<(ReduceOp, Expr)> {
    let simple = expr.simplified();
    let ast = simple.ast();
    if ast.is_empty() {
        return None;
    }
    let (op, l, r) = match ast.node(ast.root()) {
        Node::Binary(BinaryOp::Add, l, r) => (ReduceOp::Add, l, r),
        Node::Binary(BinaryOp::Mul, l, r) => (ReduceOp::Mul, l, r),
        _ => return None,
    };
    let is_acc = |n: NodeId| ast.node(n) == Node::Arg(acc as u32);
    let term = match (is_acc(l), is_acc(r)) {
        (true, false) => r,
        (false, true) => l,
        _ => return None,
    };
    let live = ast.reachable(term);
    let uses_acc = ast
        .nodes()
        .iter()
        .zip(&live)
        .any(|(n, &l)| l && *n == Node::Arg(acc as u32));
    if uses_acc {
        return None;
    }
    Some((op, simple.with_ast(ast.compact(term))))
}

/// The fast reduction kernel for `t op term(x)` of a two-argument expression (see
/// [`reduce_shape`]; the argument other than `acc` is the element):
/// `extern "sysv64" fn(xs: *const f64, n: usize, partials: *mut f64)` with `n` a multiple of
/// [`ArrayKernel::block`]. It keeps `unroll` vector accumulators (starting at the identity of
/// `op`), adds (multiplies) `term` of element `i` into lane `i mod block`, and stores the
/// `block` partial results to `partials`. `None` if the shape does not fit or the term needs
/// calls or too many registers even with one accumulator.
///
/// ```
/// use jit_compiler::codegen::{fast_reduce_kernel, VectorIsa};
/// let e = jit_compiler::parse_with_args("t + x", &["t", "x"]).unwrap();
/// let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Avx2, 4, true).unwrap();
/// assert_eq!(k.block, 16);
/// assert!(k.listing.contains("vaddpd ymm12,ymm12,[rdi+rcx*8]"));
/// ```
pub fn fast_reduce_kernel(
    expr: &Expr,
    acc: usize,
    isa: VectorIsa,
    unroll: usize,
    listing: bool,
) -> Option<(ReduceOp, ArrayKernel)> {
    if expr.arity() != 2 {
        return None;
    }
    let (op, term) = reduce_shape(expr, acc)?;
    let (ast, root) = term.simplified_for_codegen();
    let dag = Dag::new(ast, root);
    if has_calls(&dag) {
        return None;
    }
    let mut unroll = unroll.clamp(1, 8);
    loop {
        if let Some(k) = fast_reduce_with(&dag, op, isa, unroll, listing) {
            return Some((op, k));
        }
        if unroll == 1 {
            return None;
        }
        unroll /= 2;
    }
}

fn fast_reduce_with(
    dag: &Dag,
    op: ReduceOp,
    isa: VectorIsa,
    unroll: usize,
    listing: bool,
) -> Option<ArrayKernel> {
    let lanes = isa.lanes();
    let block = lanes * unroll;
    let mut asm = Assembler::new().with_listing(listing);
    let mut consts = Consts::new(lanes);
    let first_acc = (16 - unroll) as u8;
    let allowed: u16 = (1u16 << first_acc) - 1;
    let arg_mem = |_: &mut Assembler, _: u32, disp: i32| -> Mem {
        Mem::base_index(Gpr::Rdi, Gpr::Rcx, Scale::S8, disp)
    };
    let inst = match op {
        ReduceOp::Add => AvxOp::Vaddpd,
        ReduceOp::Mul => AvxOp::Vmulpd,
    };
    let identity = consts.get(&mut asm, op.identity().to_bits());
    for u in 0..unroll as u8 {
        match isa {
            VectorIsa::Avx2 => asm.vmovupd(ymm(first_acc + u), identity),
            VectorIsa::Sse2 => asm.movapd(xmm(first_acc + u), identity),
        }
    }
    let (top, store) = (asm.new_label(), asm.new_label());
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.test(Gpr::Rsi, Gpr::Rsi);
    asm.jcc(Cond::E, store);
    asm.bind(top);
    for u in 0..unroll {
        let disp = (8 * lanes * u) as i32;
        let r = body(dag, isa, &mut asm, &mut consts, &arg_mem, disp, allowed).ok()?;
        let a = first_acc + u as u8;
        match isa {
            VectorIsa::Avx2 => {
                let src = match r {
                    Src::Reg(r) => YmmMem::Ymm(ymm(r)),
                    Src::Mem(m) => YmmMem::Mem(m),
                };
                asm.emit(Inst::Avx {
                    op: inst,
                    dst: ymm(a),
                    src1: ymm(a),
                    src2: src,
                });
            }
            VectorIsa::Sse2 => {
                let src = match r {
                    Src::Reg(r) => xmm(r),
                    Src::Mem(m) => {
                        // possibly unaligned: load first
                        asm.movupd(xmm(0), m);
                        xmm(0)
                    }
                };
                let sse = match op {
                    ReduceOp::Add => SseOp::Addpd,
                    ReduceOp::Mul => SseOp::Mulpd,
                };
                asm.emit(Inst::Sse {
                    op: sse,
                    dst: xmm(a),
                    src: src.into(),
                });
            }
        }
    }
    asm.add(Gpr::Rcx, block as i32);
    asm.cmp(Gpr::Rcx, Gpr::Rsi);
    asm.jcc(Cond::B, top);
    asm.bind(store);
    for u in 0..unroll {
        let at = Mem::base_disp(Gpr::Rdx, (8 * lanes * u) as i32);
        let a = first_acc + u as u8;
        match isa {
            VectorIsa::Avx2 => asm.vmovupd(at, ymm(a)),
            VectorIsa::Sse2 => asm.emit(Inst::SseStore {
                op: SseStoreOp::Movupd,
                dst: at,
                src: xmm(a),
            }),
        }
    }
    if isa == VectorIsa::Avx2 {
        asm.vzeroupper();
    }
    asm.ret();
    finish(asm, &consts, lanes, block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, parse_with_args};

    #[test]
    fn kernels_for_plain_arithmetic_only() {
        for isa in [VectorIsa::Avx2, VectorIsa::Sse2] {
            let k = map_kernel(&parse("x*y + z/2").unwrap(), isa, true).unwrap();
            assert_eq!(k.lanes, isa.lanes());
            assert_eq!(k.block, 2 * isa.lanes());
            assert!(k.listing.contains("mulpd"));
            assert!(map_kernel(&parse("x % y").unwrap(), isa, false).is_none());
            assert!(map_kernel(&parse("exp(x)").unwrap(), isa, false).is_none());
        }
        let k = map_kernel(&parse("a+b+c+d+e+f").unwrap(), VectorIsa::Avx2, true).unwrap();
        // columns 4 and 5 are addressed through r11
        assert!(k.listing.contains("mov r11,[rdi+20h]"), "{}", k.listing);
    }

    #[test]
    fn too_many_live_values_gives_no_kernel() {
        let terms: Vec<String> = (0..20).map(|i| format!("(v{i:02}*v{i:02}+1)")).collect();
        let rev: Vec<String> = terms.iter().rev().cloned().collect();
        let src = format!("({}) * ({})", terms.join(" + "), rev.join(" * "));
        assert!(map_kernel(&parse(&src).unwrap(), VectorIsa::Avx2, false).is_none());
        let few = format!("({})", terms[..8].join(" + "));
        assert!(map_kernel(&parse(&few).unwrap(), VectorIsa::Avx2, false).is_some());
    }

    #[test]
    fn reduce_shapes() {
        let shape = |s: &str| reduce_shape(&parse_with_args(s, &["t", "x"]).unwrap(), 0);
        assert_eq!(shape("t + x").unwrap().0, ReduceOp::Add);
        assert_eq!(shape("x*x + t").unwrap().0, ReduceOp::Add);
        assert_eq!(shape("t * (x + 1)").unwrap().0, ReduceOp::Mul);
        assert!(shape("t - x").is_none());
        assert!(shape("t + t*x").is_none());
        assert!(shape("max(t, x)").is_none());
        let e = parse_with_args("t + x", &["t", "x"]).unwrap();
        assert_eq!(fold_kernel(&e, false).unwrap().block, 1);
        assert!(fold_kernel(&parse_with_args("t + sin(x)", &["t", "x"]).unwrap(), false).is_none());
        // the unroll shrinks until the term fits beside the accumulators
        let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Sse2, 8, false).unwrap();
        assert_eq!(k.block, 16);
    }
}
