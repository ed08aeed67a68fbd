//! One [`Assembler`] method per mnemonic (`addsd`, `vmulpd`, `mov`, `jcc`, ...), and the
//! operand-form traits that let one method take each operand shape the instruction has
//! (`movsd xmm, xmm/m64` and `movsd m64, xmm`): each method builds its [`Inst`] and hands it
//! to [`Assembler::emit`].

use super::Assembler;
use crate::x64::inst::{
    AluOp, AvxOp, AvxScalarOp, AvxStoreOp, AvxUnaryOp, Cond, GprFromXmmOp, Inst, PrefetchOp,
    ShiftOp, SseImmOp, SseOp, SseStoreOp, UnaryOp, XmmFromGprOp,
};
use crate::x64::mem::{GprMem, Label, Mem, XmmMem, YmmMem};
use crate::x64::reg::{Gpr, Xmm, Ymm};

/// Operand pairs accepted by the SSE moves `movsd`, `movapd`, `movupd`:
/// `(Xmm, Xmm)`, `(Xmm, Mem)` (load) and `(Mem, Xmm)` (store).
///
/// ```
/// use jit_compiler::x64::{encode, Gpr::*, Mem, SseMove, SseOp, SseStoreOp, Xmm::*};
/// let load = SseMove::inst((Xmm0, Mem::base(Rdi)), SseOp::Movsd, SseStoreOp::Movsd);
/// let store = SseMove::inst((Mem::base(Rdi), Xmm0), SseOp::Movsd, SseStoreOp::Movsd);
/// assert_eq!(encode(&load).to_vec(), [0xF2, 0x0F, 0x10, 0x07]);
/// assert_eq!(encode(&store).to_vec(), [0xF2, 0x0F, 0x11, 0x07]);
/// ```
pub trait SseMove {
    /// The instruction for the given load and store opcodes.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, SseMove, SseOp, SseStoreOp, Xmm::*};
    /// let inst = SseMove::inst((Xmm1, Xmm2), SseOp::Movapd, SseStoreOp::Movapd);
    /// assert_eq!(inst.to_string(), "movapd xmm1,xmm2");
    /// assert_eq!(encode(&inst).to_vec(), [0x66, 0x0F, 0x28, 0xCA]);
    /// ```
    fn inst(self, load: SseOp, store: SseStoreOp) -> Inst;
}

impl SseMove for (Xmm, Xmm) {
    fn inst(self, op: SseOp, _: SseStoreOp) -> Inst {
        Inst::Sse {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl SseMove for (Xmm, Mem) {
    fn inst(self, op: SseOp, _: SseStoreOp) -> Inst {
        Inst::Sse {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl SseMove for (Mem, Xmm) {
    fn inst(self, _: SseOp, op: SseStoreOp) -> Inst {
        Inst::SseStore {
            op,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by `movq`: the [`SseMove`] pairs plus `(Xmm, Gpr)` and `(Gpr, Xmm)`.
///
/// ```
/// use jit_compiler::x64::{encode, Gpr::*, Movq, Xmm::*};
/// assert_eq!(encode(&Movq::inst((Xmm0, Rax))).to_vec(), [0x66, 0x48, 0x0F, 0x6E, 0xC0]);
/// assert_eq!(encode(&Movq::inst((Xmm0, Xmm1))).to_vec(), [0xF3, 0x0F, 0x7E, 0xC1]);
/// ```
pub trait Movq {
    /// The instruction.
    ///
    /// ```
    /// use jit_compiler::x64::{Gpr::*, Movq, Xmm::*};
    /// assert_eq!(Movq::inst((Rdx, Xmm3)).to_string(), "movq rdx,xmm3");
    /// ```
    fn inst(self) -> Inst;
}

impl<T: SseMove> Movq for T {
    fn inst(self) -> Inst {
        SseMove::inst(self, SseOp::Movq, SseStoreOp::Movq)
    }
}

impl Movq for (Xmm, Gpr) {
    fn inst(self) -> Inst {
        Inst::XmmFromGpr {
            op: XmmFromGprOp::Movq,
            dst: self.0,
            src: self.1,
        }
    }
}

impl Movq for (Gpr, Xmm) {
    fn inst(self) -> Inst {
        Inst::GprFromXmm {
            op: GprFromXmmOp::Movq,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by the AVX moves `vmovupd`/`vmovapd`:
/// `(Ymm, Ymm)`, `(Ymm, Mem)` and `(Mem, Ymm)`.
///
/// ```
/// use jit_compiler::x64::{encode, AvxMove, AvxStoreOp, AvxUnaryOp, Gpr::*, Mem, Ymm::*};
/// let store = AvxMove::inst((Mem::base(Rdi), Ymm1), AvxUnaryOp::Vmovupd, AvxStoreOp::Vmovupd);
/// assert_eq!(store.to_string(), "vmovupd [rdi],ymm1");
/// assert_eq!(encode(&store).to_vec(), [0xC5, 0xFD, 0x11, 0x0F]);
/// ```
pub trait AvxMove {
    /// The instruction for the given load and store opcodes.
    ///
    /// ```
    /// use jit_compiler::x64::{AvxMove, AvxStoreOp, AvxUnaryOp, Ymm::*};
    /// let inst = AvxMove::inst((Ymm0, Ymm1), AvxUnaryOp::Vmovapd, AvxStoreOp::Vmovapd);
    /// assert_eq!(inst.to_string(), "vmovapd ymm0,ymm1");
    /// ```
    fn inst(self, load: AvxUnaryOp, store: AvxStoreOp) -> Inst;
}

impl AvxMove for (Ymm, Ymm) {
    fn inst(self, op: AvxUnaryOp, _: AvxStoreOp) -> Inst {
        Inst::AvxUnary {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AvxMove for (Ymm, Mem) {
    fn inst(self, op: AvxUnaryOp, _: AvxStoreOp) -> Inst {
        Inst::AvxUnary {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AvxMove for (Mem, Ymm) {
    fn inst(self, _: AvxUnaryOp, op: AvxStoreOp) -> Inst {
        Inst::AvxStore {
            op,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by `mov`: `(Gpr, Gpr)`, `(Gpr, Mem)`, `(Mem, Gpr)` and
/// `(Gpr, integer)` for `i32`, `u32`, `i64`, `u64` (signed values are sign-extended to 64
/// bits; the encoding is the shortest [`MovImmForm`](crate::x64::MovImmForm)).
///
/// ```
/// use jit_compiler::x64::{encode, Gpr::*, MovForm};
/// // u64 that fits in 32 bits: `mov r32, imm32` (B8+r), zero-extended.
/// assert_eq!(encode(&MovForm::inst((Rcx, 7u64))).to_vec(), [0xB9, 0x07, 0x00, 0x00, 0x00]);
/// // Negative i64 that fits in 32 bits: `mov r/m64, imm32` (REX.W C7 /0), sign-extended.
/// assert_eq!(
///     encode(&MovForm::inst((Rcx, -2i64))).to_vec(),
///     [0x48, 0xC7, 0xC1, 0xFE, 0xFF, 0xFF, 0xFF]
/// );
/// // Anything else: `mov r64, imm64` (REX.W B8+r io).
/// assert_eq!(encode(&MovForm::inst((Rcx, 1u64 << 32))).len(), 10);
/// ```
pub trait MovForm {
    /// The instruction.
    ///
    /// ```
    /// use jit_compiler::x64::{Gpr::*, Mem, MovForm};
    /// assert_eq!(MovForm::inst((Mem::base_disp(Rsp, 8), R8)).to_string(), "mov [rsp+8],r8");
    /// ```
    fn inst(self) -> Inst;
}

impl MovForm for (Gpr, Gpr) {
    fn inst(self) -> Inst {
        Inst::Mov {
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl MovForm for (Gpr, Mem) {
    fn inst(self) -> Inst {
        Inst::Mov {
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl MovForm for (Mem, Gpr) {
    fn inst(self) -> Inst {
        Inst::MovStore {
            dst: self.0,
            src: self.1,
        }
    }
}

/// Implements `MovForm` for `(Gpr, integer)`.
macro_rules! mov_imm {
    ($($t:ty => $conv:expr),*) => {$(
        impl MovForm for (Gpr, $t) {
            fn inst(self) -> Inst {
                let conv: fn($t) -> u64 = $conv;
                Inst::MovImm { dst: self.0, imm: conv(self.1) }
            }
        }
    )*};
}

mov_imm!(u64 => |v| v, u32 => u64::from, i64 => |v| v as u64, i32 => |v| i64::from(v) as u64);

/// Operand pairs accepted by `add`, `sub`, `and`, `or`, `xor`, `cmp`:
/// `(Gpr, Gpr)`, `(Gpr, Mem)` and `(Gpr, i32)`.
///
/// ```
/// use jit_compiler::x64::{encode, AluForm, AluOp, Gpr::*};
/// assert_eq!(encode(&(Rsp, 16).inst(AluOp::Sub)).to_vec(), [0x48, 0x83, 0xEC, 0x10]);
/// assert_eq!(encode(&(Rax, Rdx).inst(AluOp::Xor)).to_vec(), [0x48, 0x33, 0xC2]);
/// ```
pub trait AluForm {
    /// The instruction for `op`.
    ///
    /// ```
    /// use jit_compiler::x64::{AluForm, AluOp, Gpr::*, Mem};
    /// assert_eq!((Rax, Mem::base(Rsi)).inst(AluOp::Cmp).to_string(), "cmp rax,[rsi]");
    /// ```
    fn inst(self, op: AluOp) -> Inst;
}

impl AluForm for (Gpr, Gpr) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::Alu {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AluForm for (Gpr, Mem) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::Alu {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AluForm for (Gpr, i32) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::AluImm {
            op,
            dst: self.0,
            imm: self.1,
        }
    }
}

/// Call targets: a [`Gpr`], a [`Mem`] holding the address, or a [`Label`] (rel32).
///
/// ```
/// use jit_compiler::x64::{encode, CallTarget, Gpr::*};
/// assert_eq!(encode(&R11.inst()).to_vec(), [0x41, 0xFF, 0xD3]);
/// ```
pub trait CallTarget {
    /// The instruction.
    ///
    /// ```
    /// use jit_compiler::x64::{CallTarget, Gpr::*, Mem};
    /// assert_eq!(Mem::base_disp(Rbx, 16).inst().to_string(), "call qword ptr [rbx+10h]");
    /// ```
    fn inst(self) -> Inst;
}

impl CallTarget for Gpr {
    fn inst(self) -> Inst {
        Inst::Call(GprMem::Gpr(self))
    }
}

impl CallTarget for Mem {
    fn inst(self) -> Inst {
        Inst::Call(GprMem::Mem(self))
    }
}

impl CallTarget for Label {
    fn inst(self) -> Inst {
        Inst::CallLabel(self)
    }
}

/// Defines `fn name(&mut self, dst: Xmm, src: impl Into<XmmMem>)` methods.
macro_rules! sse_methods {
    ($($name:ident => $op:ident $bytes:tt),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm/m` (see [`SseOp::", stringify!($op), "`]).")]
        ///
        /// ```
        /// use jit_compiler::x64::{Assembler, Xmm::*};
        /// let mut a = Assembler::new().with_listing(true);
        #[doc = concat!("a.", stringify!($name), "(Xmm1, Xmm2);")]
        /// let out = a.finish().unwrap();
        #[doc = concat!("assert_eq!(out.code, ", stringify!($bytes), ");")]
        #[doc = concat!("assert!(out.listing_text().ends_with(\"", stringify!($name), " xmm1,xmm2\\n\"));")]
        /// ```
        pub fn $name(&mut self, dst: Xmm, src: impl Into<XmmMem>) {
            self.emit(Inst::Sse { op: SseOp::$op, dst, src: src.into() });
        }
    )*};
}

/// Operand triples accepted by the three-operand AVX instructions: `(Ymm, Ymm, S)` with `S`
/// one of `Ymm`, `Mem`, `YmmMem` (VEX.256), or `(Xmm, Xmm, S)` with `S` one of `Xmm`, `Mem`,
/// `XmmMem` (VEX.128).
///
/// ```
/// use jit_compiler::x64::{encode, AvxForm, AvxOp, Gpr::*, Mem, Ymm::*};
/// let inst = (Ymm0, Ymm1, Mem::base(Rdi)).inst(AvxOp::Vmulpd);
/// assert_eq!(inst.to_string(), "vmulpd ymm0,ymm1,[rdi]");
/// assert_eq!(encode(&inst).to_vec(), [0xC5, 0xF5, 0x59, 0x07]);
/// ```
pub trait AvxForm {
    /// The instruction for `op`.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AvxForm, AvxOp, Xmm::*};
    /// let inst = (Xmm8, Xmm9, Xmm10).inst(AvxOp::Vaddpd); // high registers: 3-byte VEX (C4)
    /// assert_eq!(inst.to_string(), "vaddpd xmm8,xmm9,xmm10");
    /// assert_eq!(encode(&inst).to_vec(), [0xC4, 0x41, 0x31, 0x58, 0xC2]);
    /// ```
    fn inst(self, op: AvxOp) -> Inst;
}

/// Implements `AvxForm` for one vector width.
macro_rules! avx_form {
    ($reg:ty, $rm:ty, $variant:ident) => {
        impl<S: Into<$rm>> AvxForm for ($reg, $reg, S) {
            fn inst(self, op: AvxOp) -> Inst {
                Inst::$variant {
                    op,
                    dst: self.0,
                    src1: self.1,
                    src2: self.2.into(),
                }
            }
        }
    };
}

avx_form!(Ymm, YmmMem, Avx);
avx_form!(Xmm, XmmMem, Avx128);

/// Defines the three-operand AVX scalar-double methods.
macro_rules! avx_scalar_methods {
    ($($name:ident => $op:ident $bytes:tt),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm, xmm/m64` (AVX): `dst = src1 op src2` in the low double, without overwriting a source.")]
        ///
        /// ```
        /// use jit_compiler::x64::{Assembler, Xmm::*};
        /// let mut a = Assembler::new().with_listing(true);
        #[doc = concat!("a.", stringify!($name), "(Xmm1, Xmm2, Xmm3);")]
        /// let out = a.finish().unwrap();
        #[doc = concat!("assert_eq!(out.code, ", stringify!($bytes), ");")]
        #[doc = concat!("assert!(out.listing_text().ends_with(\"", stringify!($name), " xmm1,xmm2,xmm3\\n\"));")]
        /// ```
        pub fn $name(&mut self, dst: Xmm, src1: Xmm, src2: impl Into<XmmMem>) {
            self.emit(Inst::AvxScalar {
                op: AvxScalarOp::$op,
                dst,
                src1,
                src2: src2.into(),
            });
        }
    )*};
}

/// Defines the three-operand AVX methods.
macro_rules! avx_methods {
    ($($name:ident => $op:ident $ymm:tt $xmm:tt),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " ymm, ymm, ymm/m` (VEX.256) or `", stringify!($name), " xmm, xmm, xmm/m` (VEX.128).")]
        ///
        /// ```
        /// use jit_compiler::x64::{Assembler, Xmm, Ymm};
        /// let mut a = Assembler::new().with_listing(true);
        #[doc = concat!("a.", stringify!($name), "(Ymm::Ymm1, Ymm::Ymm2, Ymm::Ymm3); // VEX.L = 1")]
        #[doc = concat!("a.", stringify!($name), "(Xmm::Xmm1, Xmm::Xmm2, Xmm::Xmm3); // VEX.L = 0")]
        /// let out = a.finish().unwrap();
        #[doc = concat!("assert_eq!(out.code[..4], ", stringify!($ymm), ");")]
        #[doc = concat!("assert_eq!(out.code[4..], ", stringify!($xmm), ");")]
        /// let text = out.listing_text();
        #[doc = concat!("assert!(text.contains(\"", stringify!($name), " ymm1,ymm2,ymm3\\n\"));")]
        #[doc = concat!("assert!(text.ends_with(\"", stringify!($name), " xmm1,xmm2,xmm3\\n\"));")]
        /// ```
        pub fn $name<D, S1, S2>(&mut self, dst: D, src1: S1, src2: S2)
        where
            (D, S1, S2): AvxForm,
        {
            self.emit((dst, src1, src2).inst(AvxOp::$op));
        }
    )*};
}

/// Defines the integer ALU methods.
macro_rules! alu_methods {
    ($($name:ident => $op:ident $bytes:tt),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64, r64/m64/imm32` (imm8 form when the value fits).")]
        ///
        /// ```
        /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
        /// let mut a = Assembler::new().with_listing(true);
        #[doc = concat!("a.", stringify!($name), "(Rax, Rcx); // REX.W op /r")]
        #[doc = concat!("a.", stringify!($name), "(Rax, Mem::base_disp(Rdi, 8));")]
        #[doc = concat!("a.", stringify!($name), "(Rax, 8); // REX.W 83 /ext ib")]
        #[doc = concat!("a.", stringify!($name), "(Rax, 1000); // REX.W 81 /ext id")]
        /// let out = a.finish().unwrap();
        #[doc = concat!("assert_eq!(out.code, ", stringify!($bytes), ");")]
        /// let text = out.listing_text();
        #[doc = concat!("assert!(text.contains(\"", stringify!($name), " rax,rcx\\n\"));")]
        #[doc = concat!("assert!(text.contains(\"", stringify!($name), " rax,[rdi+8]\\n\"));")]
        #[doc = concat!("assert!(text.contains(\"", stringify!($name), " rax,8\\n\"));")]
        /// ```
        pub fn $name<D, S>(&mut self, dst: D, src: S)
        where
            (D, S): AluForm,
        {
            self.emit((dst, src).inst(AluOp::$op));
        }
    )*};
}

/// Defines `fn name(&mut self, r: Gpr)` methods for [`UnaryOp`] and shifts.
macro_rules! unary_methods {
    ($($name:ident => $op:ident $bytes:tt),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64`.")]
        ///
        /// ```
        /// use jit_compiler::x64::{Assembler, Gpr::*};
        /// let mut a = Assembler::new().with_listing(true);
        #[doc = concat!("a.", stringify!($name), "(Rcx);")]
        #[doc = concat!("a.", stringify!($name), "(R9); // REX.WB")]
        /// let out = a.finish().unwrap();
        #[doc = concat!("assert_eq!(out.code, ", stringify!($bytes), ");")]
        #[doc = concat!("assert!(out.listing_text().ends_with(\"", stringify!($name), " r9\\n\"));")]
        /// ```
        pub fn $name(&mut self, dst: Gpr) {
            self.emit(Inst::Unary { op: UnaryOp::$op, dst });
        }
    )*};
}

impl Assembler {
    // ---- SSE2 ----

    /// `movsd xmm, xmm/m64` or `movsd m64, xmm`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movsd(Xmm0, Mem::base_disp(Rdi, 8)); // load: F2 0F 10 /r
    /// a.movsd(Mem::base_disp(Rdi, 8), Xmm0); // store: F2 0F 11 /r
    /// a.movsd(Xmm1, Xmm2);
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.code,
    ///     [0xF2, 0x0F, 0x10, 0x47, 0x08, 0xF2, 0x0F, 0x11, 0x47, 0x08, 0xF2, 0x0F, 0x10, 0xCA]
    /// );
    /// let text = out.listing_text();
    /// assert!(text.contains("movsd xmm0,[rdi+8]\n"));
    /// assert!(text.contains("movsd [rdi+8],xmm0\n"));
    /// assert!(text.ends_with("movsd xmm1,xmm2\n"));
    /// ```
    pub fn movsd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movsd, SseStoreOp::Movsd));
    }

    /// `movapd xmm, xmm/m128` or `movapd m128, xmm` (memory must be 16-byte aligned).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movapd(Xmm1, Xmm2);
    /// a.movapd(Mem::base_disp(Rsp, 16), Xmm1); // rsp as a base needs a SIB byte (24)
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x66, 0x0F, 0x28, 0xCA, 0x66, 0x0F, 0x29, 0x4C, 0x24, 0x10]);
    /// assert!(out.listing_text().ends_with("movapd [rsp+10h],xmm1\n"));
    /// ```
    pub fn movapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movapd, SseStoreOp::Movapd));
    }

    /// `movupd xmm, xmm/m128` or `movupd m128, xmm` (unaligned).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movupd(Xmm8, Mem::base(Rsi)); // xmm8 needs REX.R (44)
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x66, 0x44, 0x0F, 0x10, 0x06]);
    /// assert!(out.listing_text().ends_with("movupd xmm8,[rsi]\n"));
    /// ```
    pub fn movupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movupd, SseStoreOp::Movupd));
    }

    /// `movq xmm, r64`, `movq r64, xmm`, `movq xmm, xmm/m64` or `movq m64, xmm`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movq(Xmm0, Rax); // 66 REX.W 0F 6E /r
    /// a.movq(Rax, Xmm0); // 66 REX.W 0F 7E /r
    /// a.movq(Xmm0, Xmm1); // F3 0F 7E /r
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.code,
    ///     [0x66, 0x48, 0x0F, 0x6E, 0xC0, 0x66, 0x48, 0x0F, 0x7E, 0xC0, 0xF3, 0x0F, 0x7E, 0xC1]
    /// );
    /// let text = out.listing_text();
    /// assert!(text.contains("movq xmm0,rax\n"));
    /// assert!(text.contains("movq rax,xmm0\n"));
    /// ```
    pub fn movq<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): Movq,
    {
        self.emit((dst, src).inst());
    }

    // Each with its bytes for `op xmm1, xmm2` (prefix, 0F, opcode, ModRM 11 001 010).
    sse_methods! {
        addsd => Addsd [0xF2, 0x0F, 0x58, 0xCA],
        subsd => Subsd [0xF2, 0x0F, 0x5C, 0xCA],
        mulsd => Mulsd [0xF2, 0x0F, 0x59, 0xCA],
        divsd => Divsd [0xF2, 0x0F, 0x5E, 0xCA],
        sqrtsd => Sqrtsd [0xF2, 0x0F, 0x51, 0xCA],
        minsd => Minsd [0xF2, 0x0F, 0x5D, 0xCA],
        maxsd => Maxsd [0xF2, 0x0F, 0x5F, 0xCA],
        addpd => Addpd [0x66, 0x0F, 0x58, 0xCA],
        subpd => Subpd [0x66, 0x0F, 0x5C, 0xCA],
        mulpd => Mulpd [0x66, 0x0F, 0x59, 0xCA],
        divpd => Divpd [0x66, 0x0F, 0x5E, 0xCA],
        sqrtpd => Sqrtpd [0x66, 0x0F, 0x51, 0xCA],
        minpd => Minpd [0x66, 0x0F, 0x5D, 0xCA],
        maxpd => Maxpd [0x66, 0x0F, 0x5F, 0xCA],
        andpd => Andpd [0x66, 0x0F, 0x54, 0xCA],
        andnpd => Andnpd [0x66, 0x0F, 0x55, 0xCA],
        orpd => Orpd [0x66, 0x0F, 0x56, 0xCA],
        xorpd => Xorpd [0x66, 0x0F, 0x57, 0xCA],
        ucomisd => Ucomisd [0x66, 0x0F, 0x2E, 0xCA],
        unpcklpd => Unpcklpd [0x66, 0x0F, 0x14, 0xCA],
        unpckhpd => Unpckhpd [0x66, 0x0F, 0x15, 0xCA],
    }

    /// `cmpsd xmm, xmm/m64, imm8`: predicate 0–7 (`eq lt le unord neq nlt nle ord`). The CPU
    /// reads only bits 2:0 of the immediate (13 acts as 5, `nlt`); the listing shows such an
    /// immediate as written.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.cmpsd(Xmm0, Xmm1, 1); // lt
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xF2, 0x0F, 0xC2, 0xC1, 0x01]);
    /// assert!(out.listing_text().ends_with("cmpltsd xmm0,xmm1\n"));
    /// ```
    pub fn cmpsd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmpsd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `cmppd xmm, xmm/m128, imm8`: the predicates of [`cmpsd`](Self::cmpsd), on both lanes.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.cmppd(Xmm0, Xmm1, 2); // le
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x66, 0x0F, 0xC2, 0xC1, 0x02]);
    /// assert!(out.listing_text().ends_with("cmplepd xmm0,xmm1\n"));
    /// ```
    pub fn cmppd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmppd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `shufpd xmm, xmm/m128, imm8`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.shufpd(Xmm0, Xmm0, 1); // swap the two lanes
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x66, 0x0F, 0xC6, 0xC0, 0x01]);
    /// assert!(out.listing_text().ends_with("shufpd xmm0,xmm0,1\n"));
    /// ```
    pub fn shufpd(&mut self, dst: Xmm, src: impl Into<XmmMem>, imm: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Shufpd,
            dst,
            src: src.into(),
            imm,
        });
    }

    /// `cvtsi2sd xmm, r64`: signed integer to double.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.cvtsi2sd(Xmm0, Rax);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xF2, 0x48, 0x0F, 0x2A, 0xC0]);
    /// assert!(out.listing_text().ends_with("cvtsi2sd xmm0,rax\n"));
    /// ```
    pub fn cvtsi2sd(&mut self, dst: Xmm, src: Gpr) {
        self.emit(Inst::XmmFromGpr {
            op: XmmFromGprOp::Cvtsi2sd,
            dst,
            src,
        });
    }

    /// `cvttsd2si r64, xmm`: double to signed integer, truncating.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.cvttsd2si(Rax, Xmm0);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xF2, 0x48, 0x0F, 0x2C, 0xC0]);
    /// assert!(out.listing_text().ends_with("cvttsd2si rax,xmm0\n"));
    /// ```
    pub fn cvttsd2si(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Cvttsd2si,
            dst,
            src,
        });
    }

    /// `movmskpd r32, xmm`: the two sign bits into bits 0–1 (prints `eax`).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movmskpd(Rax, Xmm1);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x66, 0x0F, 0x50, 0xC1]);
    /// assert!(out.listing_text().ends_with("movmskpd eax,xmm1\n"));
    /// ```
    pub fn movmskpd(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Movmskpd,
            dst,
            src,
        });
    }

    // ---- AVX ----

    // Each with its bytes for `op ymm1, ymm2, ymm3` and `op xmm1, xmm2, xmm3`: the two-byte
    // VEX prefix C5 (R̄ = 1, vvvv = !2, L, pp = 01 for 66), the opcode, ModRM 11 001 011.
    avx_methods! {
        vaddpd => Vaddpd [0xC5, 0xED, 0x58, 0xCB] [0xC5, 0xE9, 0x58, 0xCB],
        vsubpd => Vsubpd [0xC5, 0xED, 0x5C, 0xCB] [0xC5, 0xE9, 0x5C, 0xCB],
        vmulpd => Vmulpd [0xC5, 0xED, 0x59, 0xCB] [0xC5, 0xE9, 0x59, 0xCB],
        vdivpd => Vdivpd [0xC5, 0xED, 0x5E, 0xCB] [0xC5, 0xE9, 0x5E, 0xCB],
        vminpd => Vminpd [0xC5, 0xED, 0x5D, 0xCB] [0xC5, 0xE9, 0x5D, 0xCB],
        vmaxpd => Vmaxpd [0xC5, 0xED, 0x5F, 0xCB] [0xC5, 0xE9, 0x5F, 0xCB],
        vxorpd => Vxorpd [0xC5, 0xED, 0x57, 0xCB] [0xC5, 0xE9, 0x57, 0xCB],
        vandpd => Vandpd [0xC5, 0xED, 0x54, 0xCB] [0xC5, 0xE9, 0x54, 0xCB],
        vandnpd => Vandnpd [0xC5, 0xED, 0x55, 0xCB] [0xC5, 0xE9, 0x55, 0xCB],
        vorpd => Vorpd [0xC5, 0xED, 0x56, 0xCB] [0xC5, 0xE9, 0x56, 0xCB],
    }

    // Each with its bytes for `op xmm1, xmm2, xmm3` (C5, then R̄ = 1, vvvv = !2, L = 0,
    // pp = 11 for F2).
    avx_scalar_methods! {
        vaddsd => Vaddsd [0xC5, 0xEB, 0x58, 0xCB],
        vsubsd => Vsubsd [0xC5, 0xEB, 0x5C, 0xCB],
        vmulsd => Vmulsd [0xC5, 0xEB, 0x59, 0xCB],
        vdivsd => Vdivsd [0xC5, 0xEB, 0x5E, 0xCB],
        vminsd => Vminsd [0xC5, 0xEB, 0x5D, 0xCB],
        vmaxsd => Vmaxsd [0xC5, 0xEB, 0x5F, 0xCB],
    }

    /// `vmovupd ymm, ymm/m256` or `vmovupd m256, ymm`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vmovupd(Ymm0, Mem::base_disp(Rdi, 32)); // VEX.256.66.0F 10 /r
    /// a.vmovupd(Mem::base(Rdi), Ymm1); // VEX.256.66.0F 11 /r
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xFD, 0x10, 0x47, 0x20, 0xC5, 0xFD, 0x11, 0x0F]);
    /// let text = out.listing_text();
    /// assert!(text.contains("vmovupd ymm0,[rdi+20h]\n"));
    /// assert!(text.ends_with("vmovupd [rdi],ymm1\n"));
    /// ```
    pub fn vmovupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovupd, AvxStoreOp::Vmovupd));
    }

    /// `vmovapd ymm, ymm/m256` or `vmovapd m256, ymm` (memory 32-byte aligned).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vmovapd(Ymm1, Ymm2);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xFD, 0x28, 0xCA]);
    /// assert!(out.listing_text().ends_with("vmovapd ymm1,ymm2\n"));
    /// ```
    pub fn vmovapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovapd, AvxStoreOp::Vmovapd));
    }

    /// `vsqrtpd ymm, ymm/m256`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vsqrtpd(Ymm0, Ymm1);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xFD, 0x51, 0xC1]);
    /// assert!(out.listing_text().ends_with("vsqrtpd ymm0,ymm1\n"));
    /// ```
    pub fn vsqrtpd(&mut self, dst: Ymm, src: impl Into<YmmMem>) {
        self.emit(Inst::AvxUnary {
            op: AvxUnaryOp::Vsqrtpd,
            dst,
            src: src.into(),
        });
    }

    /// `vcmpsd xmm, xmm, xmm/m64, imm8`: predicate 0–31 (bits 4:0 of the immediate), low
    /// double only.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vcmpsd(Xmm0, Xmm1, Xmm2, 1); // lt
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xF3, 0xC2, 0xC2, 0x01]);
    /// assert!(out.listing_text().ends_with("vcmpltsd xmm0,xmm1,xmm2\n"));
    /// ```
    pub fn vcmpsd(&mut self, dst: Xmm, src1: Xmm, src2: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::Vcmpsd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vcmppd ymm, ymm, ymm/m256, imm8`: predicate 0–31 (bits 4:0 of the immediate).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vcmppd(Ymm0, Ymm1, Ymm2, 30); // gt_oq
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xF5, 0xC2, 0xC2, 0x1E]);
    /// assert!(out.listing_text().ends_with("vcmpgt_oqpd ymm0,ymm1,ymm2\n"));
    /// ```
    pub fn vcmppd(&mut self, dst: Ymm, src1: Ymm, src2: impl Into<YmmMem>, pred: u8) {
        self.emit(Inst::Vcmppd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vblendvpd ymm, ymm, ymm/m256, ymm`: lanes of `src2` where `mask`'s sign bit is set.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vblendvpd(Ymm0, Ymm1, Ymm2, Ymm3); // 3-byte VEX (map 0F 3A); the mask in imm8[7:4]
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC4, 0xE3, 0x75, 0x4B, 0xC2, 0x30]);
    /// assert!(out.listing_text().ends_with("vblendvpd ymm0,ymm1,ymm2,ymm3\n"));
    /// ```
    pub fn vblendvpd(&mut self, dst: Ymm, src1: Ymm, src2: impl Into<YmmMem>, mask: Ymm) {
        self.emit(Inst::Vblendvpd {
            dst,
            src1,
            src2: src2.into(),
            mask,
        });
    }

    /// `vroundpd ymm, ymm/m256, imm8` (AVX; SSE4.1's `roundpd`): each lane rounded to an
    /// integer, in the direction immediate bits 1:0 pick (0 nearest even, 1 down, 2 up, 3
    /// toward zero); bit 3 suppresses the precision exception (so 9 is `floor`).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vroundpd(Ymm2, Ymm9, 9);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC4, 0xC3, 0x7D, 0x09, 0xD1, 0x09]);
    /// assert!(out.listing_text().contains("vroundpd ymm2,ymm9,9"));
    /// ```
    pub fn vroundpd(&mut self, dst: Ymm, src: impl Into<YmmMem>, imm: u8) {
        self.emit(Inst::Vroundpd {
            dst,
            src: src.into(),
            imm,
        });
    }

    /// `vbroadcastsd ymm, m64`: the scalar into all four lanes.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Ymm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vbroadcastsd(Ymm0, Mem::base_disp(Rdi, 8)); // VEX.256.66.0F38 19 /r
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC4, 0xE2, 0x7D, 0x19, 0x47, 0x08]);
    /// assert!(out.listing_text().ends_with("vbroadcastsd ymm0,[rdi+8]\n"));
    /// ```
    pub fn vbroadcastsd(&mut self, dst: Ymm, src: Mem) {
        self.emit(Inst::Vbroadcastsd {
            dst,
            src: src.into(),
        });
    }

    /// `vzeroupper`.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.vzeroupper();
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC5, 0xF8, 0x77]);
    /// assert!(out.listing_text().ends_with("vzeroupper\n"));
    /// ```
    pub fn vzeroupper(&mut self) {
        self.emit(Inst::Vzeroupper);
    }

    // ---- Integer ----

    /// `mov r64, r64/m64/imm`, `mov m64, r64`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.mov(Rax, Rcx); // REX.W 8B /r
    /// a.mov(Mem::base_disp(Rdi, 8), Rax); // REX.W 89 /r
    /// a.mov(Rax, 1u32); // B8+r id: writing eax zero-extends
    /// a.mov(Rax, -1i32); // REX.W C7 /0 id: sign-extended
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.code,
    ///     [
    ///         0x48, 0x8B, 0xC1, 0x48, 0x89, 0x47, 0x08, 0xB8, 0x01, 0x00, 0x00, 0x00, 0x48, 0xC7,
    ///         0xC0, 0xFF, 0xFF, 0xFF, 0xFF,
    ///     ]
    /// );
    /// let text = out.listing_text();
    /// assert!(text.contains("mov rax,rcx\n"));
    /// assert!(text.contains("mov [rdi+8],rax\n"));
    /// assert!(text.contains("mov eax,1\n"));
    /// ```
    pub fn mov<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): MovForm,
    {
        self.emit((dst, src).inst());
    }

    /// `lea r64, m`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Scale};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.lea(Rax, Mem::base_index(Rdi, Rcx, Scale::S8, 16)); // ModRM 44, SIB CF, disp8
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0x8D, 0x44, 0xCF, 0x10]);
    /// assert!(out.listing_text().ends_with("lea rax,[rdi+rcx*8+10h]\n"));
    /// ```
    pub fn lea(&mut self, dst: Gpr, src: Mem) {
        self.emit(Inst::Lea { dst, src });
    }

    // Each with its bytes for `op rax, rcx`, `op rax, [rdi+8]`, `op rax, 8` and
    // `op rax, 1000`.
    alu_methods! {
        add => Add [
            0x48, 0x03, 0xC1, 0x48, 0x03, 0x47, 0x08, 0x48, 0x83, 0xC0, 0x08,
            0x48, 0x81, 0xC0, 0xE8, 0x03, 0x00, 0x00,
        ],
        sub => Sub [
            0x48, 0x2B, 0xC1, 0x48, 0x2B, 0x47, 0x08, 0x48, 0x83, 0xE8, 0x08,
            0x48, 0x81, 0xE8, 0xE8, 0x03, 0x00, 0x00,
        ],
        and => And [
            0x48, 0x23, 0xC1, 0x48, 0x23, 0x47, 0x08, 0x48, 0x83, 0xE0, 0x08,
            0x48, 0x81, 0xE0, 0xE8, 0x03, 0x00, 0x00,
        ],
        or => Or [
            0x48, 0x0B, 0xC1, 0x48, 0x0B, 0x47, 0x08, 0x48, 0x83, 0xC8, 0x08,
            0x48, 0x81, 0xC8, 0xE8, 0x03, 0x00, 0x00,
        ],
        xor => Xor [
            0x48, 0x33, 0xC1, 0x48, 0x33, 0x47, 0x08, 0x48, 0x83, 0xF0, 0x08,
            0x48, 0x81, 0xF0, 0xE8, 0x03, 0x00, 0x00,
        ],
        cmp => Cmp [
            0x48, 0x3B, 0xC1, 0x48, 0x3B, 0x47, 0x08, 0x48, 0x83, 0xF8, 0x08,
            0x48, 0x81, 0xF8, 0xE8, 0x03, 0x00, 0x00,
        ],
    }

    /// `test r64, r64`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.test(Rax, Rax);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0x85, 0xC0]);
    /// assert!(out.listing_text().ends_with("test rax,rax\n"));
    /// ```
    pub fn test(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Test { dst, src });
    }

    // Each with its bytes for `op rcx` and `op r9`.
    unary_methods! {
        inc => Inc [0x48, 0xFF, 0xC1, 0x49, 0xFF, 0xC1],
        dec => Dec [0x48, 0xFF, 0xC9, 0x49, 0xFF, 0xC9],
        neg => Neg [0x48, 0xF7, 0xD9, 0x49, 0xF7, 0xD9],
        not => Not [0x48, 0xF7, 0xD1, 0x49, 0xF7, 0xD1],
    }

    /// `shl r64, imm8`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.shl(Rax, 3); // REX.W C1 /4 ib
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0xC1, 0xE0, 0x03]);
    /// assert!(out.listing_text().ends_with("shl rax,3\n"));
    /// ```
    pub fn shl(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shl,
            dst,
            imm,
        });
    }

    /// `shr r64, imm8` (logical).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.shr(Rax, 3); // REX.W C1 /5 ib
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0xC1, 0xE8, 0x03]);
    /// assert!(out.listing_text().ends_with("shr rax,3\n"));
    /// ```
    pub fn shr(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shr,
            dst,
            imm,
        });
    }

    /// `sar r64, imm8` (arithmetic).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.sar(Rax, 3); // REX.W C1 /7 ib
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0xC1, 0xF8, 0x03]);
    /// assert!(out.listing_text().ends_with("sar rax,3\n"));
    /// ```
    pub fn sar(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Sar,
            dst,
            imm,
        });
    }

    /// `push r64`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.push(Rbx); // 50+r
    /// a.push(R12); // REX.B 50+r
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x53, 0x41, 0x54]);
    /// assert!(out.listing_text().ends_with("push r12\n"));
    /// ```
    pub fn push(&mut self, r: Gpr) {
        self.emit(Inst::Push(r));
    }

    /// `pop r64`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.pop(Rbx); // 58+r
    /// a.pop(R12); // REX.B 58+r
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x5B, 0x41, 0x5C]);
    /// assert!(out.listing_text().ends_with("pop r12\n"));
    /// ```
    pub fn pop(&mut self, r: Gpr) {
        self.emit(Inst::Pop(r));
    }

    /// `call r64`, `call qword ptr [m]` or `call rel32` to a label.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
    /// let mut a = Assembler::new().with_listing(true);
    /// let f = a.new_label();
    /// a.call(Rax); // FF /2
    /// a.call(Mem::base_disp(Rdi, 8));
    /// a.call(f); // E8 rel32, relative to the end of the call
    /// a.bind(f);
    /// a.ret();
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xFF, 0xD0, 0xFF, 0x57, 0x08, 0xE8, 0x00, 0x00, 0x00, 0x00, 0xC3]);
    /// let text = out.listing_text();
    /// assert!(text.contains("call rax\n"));
    /// assert!(text.contains("call qword ptr [rdi+8]\n"));
    /// ```
    pub fn call(&mut self, target: impl CallTarget) {
        self.emit(target.inst());
    }

    /// `ret`.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.ret();
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xC3]);
    /// assert_eq!(out.listing_text(), format!("0000  c3{:32}ret\n", ""));
    /// ```
    pub fn ret(&mut self) {
        self.emit(Inst::Ret);
    }

    /// `jmp rel32` (always the 5-byte form, so the size never depends on the distance).
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// let top = a.new_label();
    /// a.bind(top);
    /// a.nop();
    /// a.jmp(top); // rel32 = 0 - 6 (the end of the jmp)
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x90, 0xE9, 0xFA, 0xFF, 0xFF, 0xFF]);
    /// assert!(out.listing_text().ends_with("jmp 0\n"));
    /// ```
    pub fn jmp(&mut self, target: Label) {
        self.emit(Inst::Jmp(target));
    }

    /// `jmp r64` or `jmp qword ptr [m]`: to an address held in a register or in memory.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.jmp_indirect(Rax); // FF /4
    /// a.jmp_indirect(Mem::base(Rdi));
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xFF, 0xE0, 0xFF, 0x27]);
    /// let text = out.listing_text();
    /// assert!(text.contains("jmp rax\n"));
    /// assert!(text.ends_with("jmp qword ptr [rdi]\n"));
    /// ```
    pub fn jmp_indirect(&mut self, target: impl Into<GprMem>) {
        self.emit(Inst::JmpIndirect(target.into()));
    }

    /// `jmp rel8` (2 bytes; `finish` fails if the target is out of range).
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// let top = a.new_label();
    /// a.bind(top);
    /// a.nop();
    /// a.jmp_short(top); // rel8 = 0 - 3
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x90, 0xEB, 0xFD]);
    /// assert!(out.listing_text().ends_with("jmp short 0\n"));
    /// ```
    pub fn jmp_short(&mut self, target: Label) {
        self.emit(Inst::JmpShort(target));
    }

    /// `jcc rel32` (6 bytes).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let top = a.new_label();
    /// a.bind(top);
    /// a.dec(Rcx);
    /// a.jcc(Cond::Ne, top); // 0F 85 rel32, rel32 = 0 - 9
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0xFF, 0xC9, 0x0F, 0x85, 0xF7, 0xFF, 0xFF, 0xFF]);
    /// assert!(out.listing_text().ends_with("jne 0\n"));
    /// ```
    pub fn jcc(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::Jcc(cond, target));
    }

    /// `jcc rel8` (2 bytes; `finish` fails if the target is out of range).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let done = a.new_label();
    /// a.test(Rax, Rax);
    /// a.jcc_short(Cond::E, done); // 74 rel8
    /// a.inc(Rax);
    /// a.bind(done);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x48, 0x85, 0xC0, 0x74, 0x03, 0x48, 0xFF, 0xC0]);
    /// assert!(out.listing_text().contains("je short 8\n"));
    /// ```
    pub fn jcc_short(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::JccShort(cond, target));
    }

    /// `setcc r8`: the low byte of `dst` becomes 1 if `cond` holds, else 0.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.setcc(Cond::E, Rax); // 0F 94 /0
    /// a.setcc(Cond::B, Rsi); // sil needs an empty REX (40), else it would be dh
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x0F, 0x94, 0xC0, 0x40, 0x0F, 0x92, 0xC6]);
    /// let text = out.listing_text();
    /// assert!(text.contains("sete al\n"));
    /// assert!(text.ends_with("setb sil\n"));
    /// ```
    pub fn setcc(&mut self, cond: Cond, dst: Gpr) {
        self.emit(Inst::Setcc(cond, dst));
    }

    /// `movzx r32, r8`: zero-extends the low byte of `src` into all of `dst`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movzx(Rax, Rcx); // 0F B6 /r
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x0F, 0xB6, 0xC1]);
    /// assert!(out.listing_text().ends_with("movzx eax,cl\n"));
    /// ```
    pub fn movzx(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Movzx8 { dst, src });
    }

    /// `prefetcht0`/`t1`/`t2`/`nta m8`: a hint to fetch the cache line at `src` (see
    /// [`PrefetchOp`]).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, PrefetchOp, Scale};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.prefetch(PrefetchOp::Prefetcht0, Mem::base_index(Rdi, Rcx, Scale::S8, 64)); // 0F 18 /1
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x0F, 0x18, 0x4C, 0xCF, 0x40]); // ModRM 01 001 100: disp8
    /// assert!(out.listing_text().ends_with("prefetcht0 [rdi+rcx*8+40h]\n"));
    /// ```
    pub fn prefetch(&mut self, op: PrefetchOp, src: Mem) {
        self.emit(Inst::Prefetch { op, src });
    }

    /// `int3`.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.int3();
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xCC]);
    /// assert!(out.listing_text().ends_with("int3\n"));
    /// ```
    pub fn int3(&mut self) {
        self.emit(Inst::Int3);
    }

    /// `nop`.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.nop();
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x90]);
    /// assert!(out.listing_text().ends_with("nop\n"));
    /// ```
    pub fn nop(&mut self) {
        self.emit(Inst::Nop);
    }
}
