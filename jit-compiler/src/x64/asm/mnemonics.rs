//! One [`Assembler`] method per mnemonic (`addsd`, `vmulpd`, `mov`, `jcc`, ...), and the
//! operand-form traits that let one method take each operand shape the instruction has
//! (`movsd xmm, xmm/m64` and `movsd m64, xmm`): each method builds its [`Inst`] and hands it
//! to [`Assembler::emit`].

use super::Assembler;
use crate::x64::inst::{
    AluOp, AvxOp, AvxScalarOp, AvxStoreOp, AvxUnaryOp, Cond, GprFromXmmOp, Inst, ShiftOp, SseImmOp,
    SseOp, SseStoreOp, UnaryOp, XmmFromGprOp,
};
use crate::x64::mem::{GprMem, Label, Mem, XmmMem, YmmMem};
use crate::x64::reg::{Gpr, Xmm, Ymm};

/// Operand pairs accepted by the SSE moves `movsd`, `movapd`, `movupd`:
/// `(Xmm, Xmm)`, `(Xmm, Mem)` (load) and `(Mem, Xmm)` (store).
pub trait SseMove {
    /// The instruction for the given load and store opcodes.
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
pub trait Movq {
    /// The instruction.
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
pub trait AvxMove {
    /// The instruction for the given load and store opcodes.
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
pub trait MovForm {
    /// The instruction.
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
pub trait AluForm {
    /// The instruction for `op`.
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
pub trait CallTarget {
    /// The instruction.
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
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm/m` (see [`SseOp::", stringify!($op), "`]).")]
        pub fn $name(&mut self, dst: Xmm, src: impl Into<XmmMem>) {
            self.emit(Inst::Sse { op: SseOp::$op, dst, src: src.into() });
        }
    )*};
}

/// Operand triples accepted by the three-operand AVX instructions: `(Ymm, Ymm, S)` with `S`
/// one of `Ymm`, `Mem`, `YmmMem` (VEX.256), or `(Xmm, Xmm, S)` with `S` one of `Xmm`, `Mem`,
/// `XmmMem` (VEX.128).
pub trait AvxForm {
    /// The instruction for `op`.
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
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm, xmm/m64` (AVX): `dst = src1 op src2` in the low double, without overwriting a source.")]
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
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " ymm, ymm, ymm/m` (VEX.256) or `", stringify!($name), " xmm, xmm, xmm/m` (VEX.128).")]
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
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64, r64/m64/imm32` (imm8 form when the value fits).")]
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
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64`.")]
        pub fn $name(&mut self, dst: Gpr) {
            self.emit(Inst::Unary { op: UnaryOp::$op, dst });
        }
    )*};
}

impl Assembler {
    // ---- SSE2 ----

    /// `movsd xmm, xmm/m64` or `movsd m64, xmm`.
    pub fn movsd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movsd, SseStoreOp::Movsd));
    }

    /// `movapd xmm, xmm/m128` or `movapd m128, xmm` (memory must be 16-byte aligned).
    pub fn movapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movapd, SseStoreOp::Movapd));
    }

    /// `movupd xmm, xmm/m128` or `movupd m128, xmm` (unaligned).
    pub fn movupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movupd, SseStoreOp::Movupd));
    }

    /// `movq xmm, r64`, `movq r64, xmm`, `movq xmm, xmm/m64` or `movq m64, xmm`.
    pub fn movq<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): Movq,
    {
        self.emit((dst, src).inst());
    }

    sse_methods! {
        addsd => Addsd, subsd => Subsd, mulsd => Mulsd, divsd => Divsd, sqrtsd => Sqrtsd,
        minsd => Minsd, maxsd => Maxsd,
        addpd => Addpd, subpd => Subpd, mulpd => Mulpd, divpd => Divpd, sqrtpd => Sqrtpd,
        minpd => Minpd, maxpd => Maxpd,
        andpd => Andpd, andnpd => Andnpd, orpd => Orpd, xorpd => Xorpd,
        ucomisd => Ucomisd, unpcklpd => Unpcklpd, unpckhpd => Unpckhpd,
    }

    /// `cmpsd xmm, xmm/m64, imm8`: predicate 0–7 (`eq lt le unord neq nlt nle ord`). The CPU
    /// reads only bits 2:0 of the immediate (13 acts as 5, `nlt`); the listing shows such an
    /// immediate as written.
    pub fn cmpsd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmpsd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `cmppd xmm, xmm/m128, imm8`: the predicates of [`cmpsd`](Self::cmpsd), on both lanes.
    pub fn cmppd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmppd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `shufpd xmm, xmm/m128, imm8`.
    pub fn shufpd(&mut self, dst: Xmm, src: impl Into<XmmMem>, imm: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Shufpd,
            dst,
            src: src.into(),
            imm,
        });
    }

    /// `cvtsi2sd xmm, r64`: signed integer to double.
    pub fn cvtsi2sd(&mut self, dst: Xmm, src: Gpr) {
        self.emit(Inst::XmmFromGpr {
            op: XmmFromGprOp::Cvtsi2sd,
            dst,
            src,
        });
    }

    /// `cvttsd2si r64, xmm`: double to signed integer, truncating.
    pub fn cvttsd2si(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Cvttsd2si,
            dst,
            src,
        });
    }

    /// `movmskpd r32, xmm`: the two sign bits into bits 0–1 (prints `eax`).
    pub fn movmskpd(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Movmskpd,
            dst,
            src,
        });
    }

    // ---- AVX ----

    avx_methods! {
        vaddpd => Vaddpd, vsubpd => Vsubpd, vmulpd => Vmulpd, vdivpd => Vdivpd,
        vminpd => Vminpd, vmaxpd => Vmaxpd,
        vxorpd => Vxorpd, vandpd => Vandpd, vandnpd => Vandnpd, vorpd => Vorpd,
    }

    avx_scalar_methods! {
        vaddsd => Vaddsd, vsubsd => Vsubsd, vmulsd => Vmulsd, vdivsd => Vdivsd,
        vminsd => Vminsd, vmaxsd => Vmaxsd,
    }

    /// `vmovupd ymm, ymm/m256` or `vmovupd m256, ymm`.
    pub fn vmovupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovupd, AvxStoreOp::Vmovupd));
    }

    /// `vmovapd ymm, ymm/m256` or `vmovapd m256, ymm` (memory 32-byte aligned).
    pub fn vmovapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovapd, AvxStoreOp::Vmovapd));
    }

    /// `vsqrtpd ymm, ymm/m256`.
    pub fn vsqrtpd(&mut self, dst: Ymm, src: impl Into<YmmMem>) {
        self.emit(Inst::AvxUnary {
            op: AvxUnaryOp::Vsqrtpd,
            dst,
            src: src.into(),
        });
    }

    /// `vcmpsd xmm, xmm, xmm/m64, imm8`: predicate 0–31 (bits 4:0 of the immediate), low
    /// double only.
    pub fn vcmpsd(&mut self, dst: Xmm, src1: Xmm, src2: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::Vcmpsd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vcmppd ymm, ymm, ymm/m256, imm8`: predicate 0–31 (bits 4:0 of the immediate).
    pub fn vcmppd(&mut self, dst: Ymm, src1: Ymm, src2: impl Into<YmmMem>, pred: u8) {
        self.emit(Inst::Vcmppd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vblendvpd ymm, ymm, ymm/m256, ymm`: lanes of `src2` where `mask`'s sign bit is set.
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
    pub fn vbroadcastsd(&mut self, dst: Ymm, src: Mem) {
        self.emit(Inst::Vbroadcastsd {
            dst,
            src: src.into(),
        });
    }

    /// `vzeroupper`.
    pub fn vzeroupper(&mut self) {
        self.emit(Inst::Vzeroupper);
    }

    // ---- Integer ----

    /// `mov r64, r64/m64/imm`, `mov m64, r64`.
    pub fn mov<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): MovForm,
    {
        self.emit((dst, src).inst());
    }

    /// `lea r64, m`.
    pub fn lea(&mut self, dst: Gpr, src: Mem) {
        self.emit(Inst::Lea { dst, src });
    }

    alu_methods! { add => Add, sub => Sub, and => And, or => Or, xor => Xor, cmp => Cmp }

    /// `test r64, r64`.
    pub fn test(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Test { dst, src });
    }

    unary_methods! { inc => Inc, dec => Dec, neg => Neg, not => Not }

    /// `shl r64, imm8`.
    pub fn shl(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shl,
            dst,
            imm,
        });
    }

    /// `shr r64, imm8` (logical).
    pub fn shr(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shr,
            dst,
            imm,
        });
    }

    /// `sar r64, imm8` (arithmetic).
    pub fn sar(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Sar,
            dst,
            imm,
        });
    }

    /// `push r64`.
    pub fn push(&mut self, r: Gpr) {
        self.emit(Inst::Push(r));
    }

    /// `pop r64`.
    pub fn pop(&mut self, r: Gpr) {
        self.emit(Inst::Pop(r));
    }

    /// `call r64`, `call qword ptr [m]` or `call rel32` to a label.
    pub fn call(&mut self, target: impl CallTarget) {
        self.emit(target.inst());
    }

    /// `ret`.
    pub fn ret(&mut self) {
        self.emit(Inst::Ret);
    }

    /// `jmp rel32` (always the 5-byte form, so the size never depends on the distance).
    pub fn jmp(&mut self, target: Label) {
        self.emit(Inst::Jmp(target));
    }

    /// `jmp r64` or `jmp qword ptr [m]`: to an address held in a register or in memory.
    pub fn jmp_indirect(&mut self, target: impl Into<GprMem>) {
        self.emit(Inst::JmpIndirect(target.into()));
    }

    /// `jmp rel8` (2 bytes; `finish` fails if the target is out of range).
    pub fn jmp_short(&mut self, target: Label) {
        self.emit(Inst::JmpShort(target));
    }

    /// `jcc rel32` (6 bytes).
    pub fn jcc(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::Jcc(cond, target));
    }

    /// `jcc rel8` (2 bytes; `finish` fails if the target is out of range).
    pub fn jcc_short(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::JccShort(cond, target));
    }

    /// `setcc r8`: the low byte of `dst` becomes 1 if `cond` holds, else 0.
    pub fn setcc(&mut self, cond: Cond, dst: Gpr) {
        self.emit(Inst::Setcc(cond, dst));
    }

    /// `movzx r32, r8`: zero-extends the low byte of `src` into all of `dst`.
    pub fn movzx(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Movzx8 { dst, src });
    }

    /// `int3`.
    pub fn int3(&mut self) {
        self.emit(Inst::Int3);
    }

    /// `nop`.
    pub fn nop(&mut self) {
        self.emit(Inst::Nop);
    }
}
