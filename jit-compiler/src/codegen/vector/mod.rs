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
//!   result can differ in that case. Every non-NaN result is identical.) `floor`, `ceil`,
//!   `trunc` and `round` are the exceptions: their results are exact (the one integer they
//!   name), so other instructions give the same bits: with AVX2 `vroundpd` (every AVX2 CPU
//!   has it; the scalar code, for any x86-64, cannot assume SSE4.1's `roundsd`), for `round`
//!   followed by the scalar code's half-away-from-zero fix-up; with SSE2 the scalar code's
//!   fix-ups after a packed `trunc` by `2^52` arithmetic instead of its `cvttsd2si` round
//!   trip (see `emit.rs`). `sign` is the scalar code's mask sequence.
//! * [`fold_kernel`]: the strict left fold `t = f(t, x)` over an array: the scalar body of
//!   the code generator ([`super::lower`]) inlined into a counted loop, the accumulator
//!   staying in `xmm0`: the same instructions as a call per element, without the calls.
//! * [`fast_reduce_kernel`]: for `t + term(x)` and `t * term(x)`: several vector accumulators
//!   (reassociation; the runtime documents the error bound).
//!
//! `map_kernel` and `fast_reduce_kernel` also come in a variant that prefetches the lines
//! [`PREFETCH_AHEAD`] bytes ahead of those the loop reads and writes, which the runtime uses
//! on long arrays.
//!
//! Register allocation is simpler than the scalar one: values live in vector registers and
//! die at their last use; constants and (with AVX) elements are used straight from memory. An
//! expression that would need more than the sixteen registers gets no kernel (`None`), and
//! the runtime falls back to the scalar code element by element.

mod emit;
mod kernels;
#[cfg(test)]
mod tests;

use super::dag::Dag;
use crate::x64::{Assembler, Label, Mem};
use std::collections::HashMap;

/// Lane patterns of the masks.
use emit::*;
pub use kernels::{
    PREFETCH_AHEAD, Prefetch, fast_reduce_kernel, fold_kernel, map_kernel, reduce_shape,
};

const SIGN: u64 = 0x8000_0000_0000_0000;
const ABS: u64 = 0x7FFF_FFFF_FFFF_FFFF;
const ONE: u64 = 0x3FF0_0000_0000_0000;
const NEG_ONE: u64 = 0xBFF0_0000_0000_0000;
const HALF: u64 = 0x3FE0_0000_0000_0000;
/// 2^52: doubles at least this large are integers.
const TWO_52: u64 = 0x4330_0000_0000_0000;

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

    /// The identity of the operation: where a fresh partial result starts (the runtime
    /// fills the fast kernel's `partials` with it before the first run).
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
    /// In order of first use (the order they are laid out in).
    list: Vec<(u64, Label)>,
    /// The label of each pattern in `list`. (A scan of `list` made kernels of many distinct
    /// constants quadratic: 5 s for a 600 KB expression.)
    labels: HashMap<u64, Label>,
}

impl Consts {
    fn new(lanes: usize) -> Consts {
        Consts {
            lanes,
            list: Vec::new(),
            labels: HashMap::new(),
        }
    }

    fn get(&mut self, asm: &mut Assembler, bits: u64) -> Mem {
        let l = *self.labels.entry(bits).or_insert_with(|| {
            let l = asm.new_label();
            self.list.push((bits, l));
            l
        });
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
        ast: dag.ast,
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
