//! Instructions as data: the [`Inst`] enum (one variant per operand shape) and the opcode
//! tables (one line per mnemonic: its name and its opcode). How an instruction is written in
//! Intel syntax is the `intel` module's business ([`Inst::write_intel`]); how it is encoded,
//! [`encode`](mod@super::encode)'s.

use super::mem::{GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::{Gpr, Xmm, Ymm};

pub use super::intel::Resolver;

/// Where an opcode lives and which prefixes select it: everything about an instruction's
/// encoding except its operands.
///
/// ```
/// use jit_compiler::x64::{AvxOp, SseOp};
/// let sse = SseOp::Addpd.info(); // 66 0F 58 /r
/// let avx = AvxOp::Vaddpd.info(); // VEX.66.0F 58 /r: the same entry, the prefix becomes VEX.pp
/// assert_eq!(sse, avx);
/// assert_eq!((sse.prefix, sse.map, sse.op, sse.w, sse.ext), (Some(0x66), 1, 0x58, false, 0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Opcode {
    /// Mandatory prefix `0x66`, `0xF2` or `0xF3` (for VEX it becomes the `pp` field).
    pub prefix: Option<u8>,
    /// Opcode map: 0 = one-byte, 1 = `0F`, 2 = `0F 38`, 3 = `0F 3A` (the VEX `mmmmm` field).
    pub map: u8,
    /// The opcode byte itself.
    pub op: u8,
    /// REX.W / VEX.W: 64-bit operand size.
    pub w: bool,
    /// ModRM.reg opcode extension (the `/n` of the manuals), for forms that have one.
    pub ext: u8,
}

/// A legacy SSE opcode `prefix 0F op`.
const fn sse(prefix: u8, op: u8) -> Opcode {
    Opcode {
        prefix: Some(prefix),
        map: 1,
        op,
        w: false,
        ext: 0,
    }
}

/// A legacy SSE opcode with REX.W (64-bit general-purpose operand).
const fn sse_w(prefix: u8, op: u8) -> Opcode {
    Opcode {
        prefix: Some(prefix),
        map: 1,
        op,
        w: true,
        ext: 0,
    }
}

/// A VEX opcode `prefix 0F op`: the same table entry as the legacy SSE form of the
/// instruction; the encoder moves the prefix into VEX.pp and the `0F` map into VEX.mmmmm.
pub(super) const fn vex(prefix: u8, op: u8) -> Opcode {
    sse(prefix, op)
}

/// A one-byte-map opcode with REX.W and ModRM.reg extension `ext`.
const fn w64(op: u8, ext: u8) -> Opcode {
    Opcode {
        prefix: None,
        map: 0,
        op,
        w: true,
        ext,
    }
}

/// Defines an enum of mnemonics sharing an operand shape, with a table of encodings. The
/// bracketed doc comment after the table's type is the example shared by the small
/// accessors `ALL`, `mnemonic` and `info`.
macro_rules! ops {
    (
        $(#[$meta:meta])* $name:ident: $info:ty [$(#[$acc:meta])*]
        { $($v:ident = $mn:literal => $val:expr,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $mn, "`")] $v,)*
        }

        impl $name {
            /// Every mnemonic of this shape.
            ///
            $(#[$acc])*
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The Intel mnemonic.
            ///
            $(#[$acc])*
            pub const fn mnemonic(self) -> &'static str {
                match self { $($name::$v => $mn,)* }
            }

            /// The encoding table entry.
            ///
            $(#[$acc])*
            pub const fn info(self) -> $info {
                match self { $($name::$v => $val,)* }
            }
        }
    };
}

ops! {
    /// SSE2 `op xmm, xmm/m`: the destination is also the first source.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Inst, SseOp, Xmm::*};
    /// let i = Inst::Sse { op: SseOp::Sqrtsd, dst: Xmm0, src: Xmm1.into() };
    /// assert_eq!(i.to_string(), "sqrtsd xmm0,xmm1");
    /// assert_eq!(encode(&i).to_vec(), [0xF2, 0x0F, 0x51, 0xC1]);
    /// ```
    SseOp: Opcode [
        /// ```
        /// use jit_compiler::x64::SseOp;
        /// assert_eq!(SseOp::Addsd.mnemonic(), "addsd");
        /// let o = SseOp::Addsd.info(); // F2 0F 58 /r
        /// assert_eq!((o.prefix, o.map, o.op, o.w), (Some(0xF2), 1, 0x58, false));
        /// assert!(SseOp::ALL.contains(&SseOp::Addsd));
        /// ```
    ] {
        Movsd = "movsd" => sse(0xF2, 0x10),
        Movapd = "movapd" => sse(0x66, 0x28),
        Movupd = "movupd" => sse(0x66, 0x10),
        Movq = "movq" => sse(0xF3, 0x7E),
        Addsd = "addsd" => sse(0xF2, 0x58),
        Mulsd = "mulsd" => sse(0xF2, 0x59),
        Subsd = "subsd" => sse(0xF2, 0x5C),
        Minsd = "minsd" => sse(0xF2, 0x5D),
        Divsd = "divsd" => sse(0xF2, 0x5E),
        Maxsd = "maxsd" => sse(0xF2, 0x5F),
        Sqrtsd = "sqrtsd" => sse(0xF2, 0x51),
        Addpd = "addpd" => sse(0x66, 0x58),
        Mulpd = "mulpd" => sse(0x66, 0x59),
        Subpd = "subpd" => sse(0x66, 0x5C),
        Minpd = "minpd" => sse(0x66, 0x5D),
        Divpd = "divpd" => sse(0x66, 0x5E),
        Maxpd = "maxpd" => sse(0x66, 0x5F),
        Sqrtpd = "sqrtpd" => sse(0x66, 0x51),
        Andpd = "andpd" => sse(0x66, 0x54),
        Andnpd = "andnpd" => sse(0x66, 0x55),
        Orpd = "orpd" => sse(0x66, 0x56),
        Xorpd = "xorpd" => sse(0x66, 0x57),
        Ucomisd = "ucomisd" => sse(0x66, 0x2E),
        Unpcklpd = "unpcklpd" => sse(0x66, 0x14),
        Unpckhpd = "unpckhpd" => sse(0x66, 0x15),
    }
}

ops! {
    /// SSE2 stores `op m, xmm`.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst, Mem, SseStoreOp, Xmm::*};
    /// let i = Inst::SseStore { op: SseStoreOp::Movupd, dst: Mem::base(Rax), src: Xmm2 };
    /// assert_eq!(i.to_string(), "movupd [rax],xmm2");
    /// assert_eq!(encode(&i).to_vec(), [0x66, 0x0F, 0x11, 0x10]);
    /// ```
    SseStoreOp: Opcode [
        /// ```
        /// use jit_compiler::x64::SseStoreOp;
        /// assert_eq!(SseStoreOp::Movsd.mnemonic(), "movsd");
        /// let o = SseStoreOp::Movsd.info(); // F2 0F 11 /r
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0xF2), 1, 0x11));
        /// assert_eq!(SseStoreOp::ALL.len(), 4);
        /// ```
    ] {
        Movsd = "movsd" => sse(0xF2, 0x11),
        Movapd = "movapd" => sse(0x66, 0x29),
        Movupd = "movupd" => sse(0x66, 0x11),
        Movq = "movq" => sse(0x66, 0xD6),
    }
}

ops! {
    /// SSE2 `op xmm, xmm/m, imm8`.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Inst, SseImmOp, Xmm::*};
    /// let i = Inst::SseImm { op: SseImmOp::Cmppd, dst: Xmm0, src: Xmm1.into(), imm: 4 };
    /// assert_eq!(i.to_string(), "cmpneqpd xmm0,xmm1");
    /// assert_eq!(encode(&i).to_vec(), [0x66, 0x0F, 0xC2, 0xC1, 0x04]);
    /// ```
    SseImmOp: Opcode [
        /// ```
        /// use jit_compiler::x64::SseImmOp;
        /// assert_eq!(SseImmOp::Shufpd.mnemonic(), "shufpd");
        /// let o = SseImmOp::Shufpd.info(); // 66 0F C6 /r ib
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0x66), 1, 0xC6));
        /// assert_eq!(SseImmOp::ALL.len(), 3);
        /// ```
    ] {
        Cmpsd = "cmpsd" => sse(0xF2, 0xC2),
        Cmppd = "cmppd" => sse(0x66, 0xC2),
        Shufpd = "shufpd" => sse(0x66, 0xC6),
    }
}

ops! {
    /// `op xmm, r64`: general-purpose register to vector register.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst, Xmm::*, XmmFromGprOp};
    /// let i = Inst::XmmFromGpr { op: XmmFromGprOp::Cvtsi2sd, dst: Xmm1, src: R8 };
    /// assert_eq!(i.to_string(), "cvtsi2sd xmm1,r8");
    /// assert_eq!(encode(&i).to_vec(), [0xF2, 0x49, 0x0F, 0x2A, 0xC8]); // REX.W + REX.B
    /// ```
    XmmFromGprOp: Opcode [
        /// ```
        /// use jit_compiler::x64::XmmFromGprOp;
        /// assert_eq!(XmmFromGprOp::Cvtsi2sd.mnemonic(), "cvtsi2sd");
        /// let o = XmmFromGprOp::Cvtsi2sd.info(); // F2 REX.W 0F 2A /r
        /// assert_eq!((o.prefix, o.op, o.w), (Some(0xF2), 0x2A, true));
        /// assert_eq!(XmmFromGprOp::ALL.len(), 2);
        /// ```
    ] {
        Cvtsi2sd = "cvtsi2sd" => sse_w(0xF2, 0x2A),
        Movq = "movq" => sse_w(0x66, 0x6E),
    }
}

ops! {
    /// `op r, xmm`: vector register to general-purpose register. The flag tells whether the
    /// xmm register sits in ModRM.reg (true for `movq r64, xmm`, opcode `66 0F 7E`).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, GprFromXmmOp, Gpr::*, Inst, Xmm::*};
    /// let i = Inst::GprFromXmm { op: GprFromXmmOp::Cvttsd2si, dst: Rcx, src: Xmm0 };
    /// assert_eq!(i.to_string(), "cvttsd2si rcx,xmm0");
    /// assert_eq!(encode(&i).to_vec(), [0xF2, 0x48, 0x0F, 0x2C, 0xC8]);
    /// ```
    GprFromXmmOp: (Opcode, bool) [
        /// ```
        /// use jit_compiler::x64::GprFromXmmOp;
        /// assert_eq!(GprFromXmmOp::Movq.mnemonic(), "movq");
        /// let (o, xmm_in_reg) = GprFromXmmOp::Movq.info(); // 66 REX.W 0F 7E /r
        /// assert_eq!((o.prefix, o.op, o.w, xmm_in_reg), (Some(0x66), 0x7E, true, true));
        /// assert!(!GprFromXmmOp::Cvttsd2si.info().1);
        /// assert_eq!(GprFromXmmOp::ALL.len(), 3);
        /// ```
    ] {
        Cvttsd2si = "cvttsd2si" => (sse_w(0xF2, 0x2C), false),
        Movmskpd = "movmskpd" => (sse(0x66, 0x50), false),
        Movq = "movq" => (sse_w(0x66, 0x7E), true),
    }
}

ops! {
    /// AVX three-operand `op ymm, ymm, ymm/m` (VEX.256.66.0F, non-destructive source in vvvv),
    /// also `op xmm, xmm, xmm/m` (VEX.128).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AvxOp, Inst, Ymm::*};
    /// let i = Inst::Avx { op: AvxOp::Vmulpd, dst: Ymm0, src1: Ymm1, src2: Ymm2.into() };
    /// assert_eq!(i.to_string(), "vmulpd ymm0,ymm1,ymm2");
    /// assert_eq!(encode(&i).to_vec(), [0xC5, 0xF5, 0x59, 0xC2]);
    /// ```
    AvxOp: Opcode [
        /// ```
        /// use jit_compiler::x64::AvxOp;
        /// assert_eq!(AvxOp::Vmulpd.mnemonic(), "vmulpd");
        /// let o = AvxOp::Vmulpd.info(); // VEX.66.0F 59 /r: pp = 01, mmmmm = 00001
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0x66), 1, 0x59));
        /// assert_eq!(AvxOp::ALL.len(), 12);
        /// ```
    ] {
        Vaddpd = "vaddpd" => vex(0x66, 0x58),
        Vmulpd = "vmulpd" => vex(0x66, 0x59),
        Vsubpd = "vsubpd" => vex(0x66, 0x5C),
        Vminpd = "vminpd" => vex(0x66, 0x5D),
        Vdivpd = "vdivpd" => vex(0x66, 0x5E),
        Vmaxpd = "vmaxpd" => vex(0x66, 0x5F),
        Vandpd = "vandpd" => vex(0x66, 0x54),
        Vandnpd = "vandnpd" => vex(0x66, 0x55),
        Vorpd = "vorpd" => vex(0x66, 0x56),
        Vxorpd = "vxorpd" => vex(0x66, 0x57),
        Vunpcklpd = "vunpcklpd" => vex(0x66, 0x14),
        Vunpckhpd = "vunpckhpd" => vex(0x66, 0x15),
    }
}

ops! {
    /// AVX scalar three-operand `op xmm, xmm, xmm/m64` (VEX.LIG.F2.0F): the low double of the
    /// destination is `src1 op src2`, the high one is copied from `src1`. Unlike the SSE2
    /// forms, the destination need not be a source, so no copy is needed to keep one.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AvxScalarOp, Inst, Xmm::*};
    /// let src2 = Xmm2.into();
    /// let i = Inst::AvxScalar { op: AvxScalarOp::Vdivsd, dst: Xmm0, src1: Xmm1, src2 };
    /// assert_eq!(i.to_string(), "vdivsd xmm0,xmm1,xmm2");
    /// assert_eq!(encode(&i).to_vec(), [0xC5, 0xF3, 0x5E, 0xC2]);
    /// ```
    AvxScalarOp: Opcode [
        /// ```
        /// use jit_compiler::x64::AvxScalarOp;
        /// assert_eq!(AvxScalarOp::Vdivsd.mnemonic(), "vdivsd");
        /// let o = AvxScalarOp::Vdivsd.info(); // VEX.F2.0F 5E /r
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0xF2), 1, 0x5E));
        /// assert_eq!(AvxScalarOp::ALL.len(), 6);
        /// ```
    ] {
        Vaddsd = "vaddsd" => vex(0xF2, 0x58),
        Vmulsd = "vmulsd" => vex(0xF2, 0x59),
        Vsubsd = "vsubsd" => vex(0xF2, 0x5C),
        Vdivsd = "vdivsd" => vex(0xF2, 0x5E),
        Vminsd = "vminsd" => vex(0xF2, 0x5D),
        Vmaxsd = "vmaxsd" => vex(0xF2, 0x5F),
    }
}

ops! {
    /// AVX two-operand `op ymm, ymm/m` (vvvv unused).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AvxUnaryOp, Gpr::*, Inst, Mem, Ymm::*};
    /// let i = Inst::AvxUnary { op: AvxUnaryOp::Vmovapd, dst: Ymm0, src: Mem::base(Rsi).into() };
    /// assert_eq!(i.to_string(), "vmovapd ymm0,[rsi]");
    /// assert_eq!(encode(&i).to_vec(), [0xC5, 0xFD, 0x28, 0x06]);
    /// ```
    AvxUnaryOp: Opcode [
        /// ```
        /// use jit_compiler::x64::AvxUnaryOp;
        /// assert_eq!(AvxUnaryOp::Vsqrtpd.mnemonic(), "vsqrtpd");
        /// let o = AvxUnaryOp::Vsqrtpd.info(); // VEX.256.66.0F 51 /r
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0x66), 1, 0x51));
        /// assert_eq!(AvxUnaryOp::ALL.len(), 3);
        /// ```
    ] {
        Vsqrtpd = "vsqrtpd" => vex(0x66, 0x51),
        Vmovupd = "vmovupd" => vex(0x66, 0x10),
        Vmovapd = "vmovapd" => vex(0x66, 0x28),
    }
}

ops! {
    /// AVX stores `op m, ymm`.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AvxStoreOp, Gpr::*, Inst, Mem, Ymm::*};
    /// let i = Inst::AvxStore { op: AvxStoreOp::Vmovapd, dst: Mem::base(Rsi), src: Ymm0 };
    /// assert_eq!(i.to_string(), "vmovapd [rsi],ymm0");
    /// assert_eq!(encode(&i).to_vec(), [0xC5, 0xFD, 0x29, 0x06]);
    /// ```
    AvxStoreOp: Opcode [
        /// ```
        /// use jit_compiler::x64::AvxStoreOp;
        /// assert_eq!(AvxStoreOp::Vmovupd.mnemonic(), "vmovupd");
        /// let o = AvxStoreOp::Vmovupd.info(); // VEX.256.66.0F 11 /r
        /// assert_eq!((o.prefix, o.map, o.op), (Some(0x66), 1, 0x11));
        /// assert_eq!(AvxStoreOp::ALL.len(), 2);
        /// ```
    ] {
        Vmovupd = "vmovupd" => vex(0x66, 0x11),
        Vmovapd = "vmovapd" => vex(0x66, 0x29),
    }
}

ops! {
    /// Integer `op r64, r/m64` (the "load" direction); the `imm` form is `81 /ext` or
    /// `83 /ext` (sign-extended imm8).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, AluOp, Gpr::*, Inst};
    /// let i = Inst::AluImm { op: AluOp::And, dst: Rax, imm: 0x100 }; // too big for imm8: 81 /4 id
    /// assert_eq!(i.to_string(), "and rax,100h");
    /// assert_eq!(encode(&i).to_vec(), [0x48, 0x81, 0xE0, 0x00, 0x01, 0x00, 0x00]);
    /// ```
    AluOp: Opcode [
        /// ```
        /// use jit_compiler::x64::AluOp;
        /// assert_eq!(AluOp::Sub.mnemonic(), "sub");
        /// let o = AluOp::Sub.info(); // REX.W 2B /r, and /5 in the immediate forms
        /// assert_eq!((o.prefix, o.map, o.op, o.w, o.ext), (None, 0, 0x2B, true, 5));
        /// assert_eq!(AluOp::ALL.len(), 6);
        /// ```
    ] {
        Add = "add" => w64(0x03, 0),
        Or = "or" => w64(0x0B, 1),
        And = "and" => w64(0x23, 4),
        Sub = "sub" => w64(0x2B, 5),
        Xor = "xor" => w64(0x33, 6),
        Cmp = "cmp" => w64(0x3B, 7),
    }
}

ops! {
    /// Integer `op r/m64` with an opcode extension in ModRM.reg.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst, UnaryOp};
    /// let i = Inst::Unary { op: UnaryOp::Not, dst: R10 };
    /// assert_eq!(i.to_string(), "not r10");
    /// assert_eq!(encode(&i).to_vec(), [0x49, 0xF7, 0xD2]); // ModRM 11 010 010
    /// ```
    UnaryOp: Opcode [
        /// ```
        /// use jit_compiler::x64::UnaryOp;
        /// assert_eq!(UnaryOp::Neg.mnemonic(), "neg");
        /// let o = UnaryOp::Neg.info(); // REX.W F7 /3
        /// assert_eq!((o.op, o.w, o.ext), (0xF7, true, 3));
        /// assert_eq!(UnaryOp::ALL.len(), 4);
        /// ```
    ] {
        Inc = "inc" => w64(0xFF, 0),
        Dec = "dec" => w64(0xFF, 1),
        Not = "not" => w64(0xF7, 2),
        Neg = "neg" => w64(0xF7, 3),
    }
}

ops! {
    /// Shifts `op r/m64, imm8` (`C1 /ext ib`).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst, ShiftOp};
    /// let i = Inst::Shift { op: ShiftOp::Shr, dst: Rdx, imm: 63 };
    /// assert_eq!(i.to_string(), "shr rdx,3Fh");
    /// assert_eq!(encode(&i).to_vec(), [0x48, 0xC1, 0xEA, 0x3F]);
    /// ```
    ShiftOp: Opcode [
        /// ```
        /// use jit_compiler::x64::ShiftOp;
        /// assert_eq!(ShiftOp::Sar.mnemonic(), "sar");
        /// let o = ShiftOp::Sar.info(); // REX.W C1 /7 ib
        /// assert_eq!((o.op, o.w, o.ext), (0xC1, true, 7));
        /// assert_eq!(ShiftOp::ALL.len(), 3);
        /// ```
    ] {
        Shl = "shl" => w64(0xC1, 4),
        Shr = "shr" => w64(0xC1, 5),
        Sar = "sar" => w64(0xC1, 7),
    }
}

/// A `0F` opcode without a prefix and with ModRM.reg extension `ext`.
const fn op0f_ext(op: u8, ext: u8) -> Opcode {
    Opcode {
        prefix: None,
        map: 1,
        op,
        w: false,
        ext,
    }
}

ops! {
    /// Software prefetch `op m8` (`0F 18 /ext`): a hint to bring the cache line holding the
    /// address closer to the core. It never faults (an address outside the mapping is
    /// dropped), changes no register or flag, and the CPU may ignore it. The hint says where
    /// the line goes, after Intel's manual: `t0` into every cache level, `t1` into L2 and the
    /// caches further out, `t2` into L3 and further out (or where the implementation
    /// chooses), `nta` close to the core, polluting the caches as little as it can.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst, Mem, PrefetchOp, Scale};
    /// let m = Mem::base_index(Rdi, Rcx, Scale::S8, 8192);
    /// let i = Inst::Prefetch { op: PrefetchOp::Prefetcht0, src: m };
    /// assert_eq!(i.to_string(), "prefetcht0 [rdi+rcx*8+2000h]");
    /// // 0F 18, ModRM 10 001 100 (disp32, /1, SIB), SIB 11 001 111, disp32
    /// assert_eq!(encode(&i).to_vec(), [0x0F, 0x18, 0x8C, 0xCF, 0x00, 0x20, 0x00, 0x00]);
    /// ```
    PrefetchOp: Opcode [
        /// ```
        /// use jit_compiler::x64::PrefetchOp;
        /// assert_eq!(PrefetchOp::Prefetcht1.mnemonic(), "prefetcht1");
        /// let o = PrefetchOp::Prefetcht1.info(); // 0F 18 /2
        /// assert_eq!((o.map, o.op, o.ext), (1, 0x18, 2));
        /// assert_eq!(PrefetchOp::ALL.len(), 4);
        /// ```
    ] {
        Prefetchnta = "prefetchnta" => op0f_ext(0x18, 0),
        Prefetcht0 = "prefetcht0" => op0f_ext(0x18, 1),
        Prefetcht1 = "prefetcht1" => op0f_ext(0x18, 2),
        Prefetcht2 = "prefetcht2" => op0f_ext(0x18, 3),
    }
}

/// A condition code, numbered as in the hardware (`jcc` = `0F 80+cc`, `setcc` = `0F 90+cc`).
/// Flipping the low bit negates the condition.
///
/// ```
/// use jit_compiler::x64::{encode, Cond, Gpr::*, Inst};
/// let i = Inst::Setcc(Cond::G, Rax);
/// assert_eq!(i.to_string(), "setg al");
/// assert_eq!(encode(&i).to_vec(), [0x0F, 0x9F, 0xC0]); // 0F 90+15
/// assert_eq!(Cond::G.negate(), Cond::Le);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cond {
    /// overflow
    O = 0,
    /// no overflow
    No = 1,
    /// below (unsigned <, CF=1); also "unordered or less" after `ucomisd`
    B = 2,
    /// above or equal (unsigned >=, CF=0); after `ucomisd`: ordered and greater or equal
    Ae = 3,
    /// equal (ZF=1); after `ucomisd`: equal *or unordered* (a NaN sets ZF too: test `p` first)
    E = 4,
    /// not equal (ZF=0); after `ucomisd`: ordered and not equal
    Ne = 5,
    /// below or equal (unsigned <=, CF=1 or ZF=1); after `ucomisd`: not greater, or unordered
    Be = 6,
    /// above (unsigned >); after `ucomisd`: ordered and greater
    A = 7,
    /// sign
    S = 8,
    /// no sign
    Ns = 9,
    /// parity (after `ucomisd`: unordered, a NaN was involved)
    P = 10,
    /// no parity (after `ucomisd`: ordered, no NaN)
    Np = 11,
    /// less (signed <)
    L = 12,
    /// greater or equal (signed >=)
    Ge = 13,
    /// less or equal (signed <=)
    Le = 14,
    /// greater (signed >)
    G = 15,
}

const COND_NAMES: [&str; 16] = [
    "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
];

impl Cond {
    /// All conditions in hardware order.
    pub const ALL: [Cond; 16] = [
        Cond::O,
        Cond::No,
        Cond::B,
        Cond::Ae,
        Cond::E,
        Cond::Ne,
        Cond::Be,
        Cond::A,
        Cond::S,
        Cond::Ns,
        Cond::P,
        Cond::Np,
        Cond::L,
        Cond::Ge,
        Cond::Le,
        Cond::G,
    ];

    /// The 4-bit condition number.
    ///
    /// ```
    /// use jit_compiler::x64::Cond;
    /// assert_eq!(Cond::E.num(), 4); // je rel8 = 74, sete = 0F 94
    /// assert!(Cond::ALL.iter().enumerate().all(|(n, c)| c.num() as usize == n));
    /// ```
    pub const fn num(self) -> u8 {
        self as u8
    }

    /// The opposite condition.
    ///
    /// ```
    /// use jit_compiler::x64::Cond;
    /// assert_eq!(Cond::B.negate(), Cond::Ae);
    /// assert_eq!(Cond::Ae.negate(), Cond::B);
    /// assert!(Cond::ALL.iter().all(|c| c.negate().negate() == *c && c.negate() != *c));
    /// ```
    pub const fn negate(self) -> Cond {
        Cond::ALL[(self as usize) ^ 1]
    }

    /// The mnemonic suffix (`e` in `je`/`sete`).
    ///
    /// ```
    /// use jit_compiler::x64::{Cond, Gpr::*, Inst};
    /// assert_eq!(Cond::Ae.suffix(), "ae");
    /// assert_eq!(Inst::Setcc(Cond::Ae, Rcx).to_string(), "setae cl");
    /// ```
    pub const fn suffix(self) -> &'static str {
        COND_NAMES[self as usize]
    }
}

/// How `mov r64, imm` is encoded; chosen from the value alone (see [`MovImmForm::of`]).
///
/// ```
/// use jit_compiler::x64::{encode, Gpr::*, Inst};
/// let len = |imm: u64| encode(&Inst::MovImm { dst: Rax, imm }).len();
/// assert_eq!(len(u64::from(u32::MAX)), 5); // Zx32
/// assert_eq!(len(-1i64 as u64), 7); // Sx32
/// assert_eq!(len(1 << 32), 10); // Imm64
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovImmForm {
    /// `B8+r id` = `mov r32, imm32`: writing a 32-bit register zero-extends, so any value
    /// up to `u32::MAX` costs 5 bytes (6 for r8–r15). Prints as `mov eax,…`.
    Zx32,
    /// `REX.W C7 /0 id`: a sign-extended imm32, for small negative values (7 bytes).
    Sx32,
    /// `REX.W B8+r io`: the full 64-bit immediate (10 bytes).
    Imm64,
}

impl MovImmForm {
    /// The shortest form for `imm`: zero-extended 32, then sign-extended 32, else 64-bit.
    ///
    /// ```
    /// use jit_compiler::x64::MovImmForm;
    /// assert_eq!(MovImmForm::of(42), MovImmForm::Zx32);
    /// assert_eq!(MovImmForm::of(-42i64 as u64), MovImmForm::Sx32);
    /// assert_eq!(MovImmForm::of(i64::MIN as u64), MovImmForm::Imm64); // below i32::MIN
    /// assert_eq!(MovImmForm::of(u64::from(u32::MAX) + 1), MovImmForm::Imm64);
    /// ```
    pub const fn of(imm: u64) -> MovImmForm {
        if imm <= u32::MAX as u64 {
            MovImmForm::Zx32
        } else if imm as i64 >= i32::MIN as i64 && (imm as i64) < 0 {
            MovImmForm::Sx32
        } else {
            MovImmForm::Imm64
        }
    }
}

/// One machine instruction with typed operands, Intel order (destination first).
///
/// It is `Copy` and allocation-free; [`encode`](super::encode::encode) turns it into bytes
/// and `Display` prints it like iced-x86's Intel formatter.
///
/// ```
/// use jit_compiler::x64::{Gpr::*, Inst, Mem, SseOp, Xmm::*};
/// let i = Inst::Sse { op: SseOp::Addsd, dst: Xmm0, src: Mem::base_disp(Rsp, 8).into() };
/// assert_eq!(i.to_string(), "addsd xmm0,[rsp+8]");
/// assert_eq!(jit_compiler::x64::encode(&i).to_vec(), [0xF2, 0x0F, 0x58, 0x44, 0x24, 0x08]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Inst {
    /// `op xmm, xmm/m` (SSE2).
    Sse {
        /// Mnemonic.
        op: SseOp,
        /// Destination (and first source).
        dst: Xmm,
        /// Source.
        src: XmmMem,
    },
    /// `op m, xmm` (SSE2 store).
    SseStore {
        /// Mnemonic.
        op: SseStoreOp,
        /// Destination.
        dst: Mem,
        /// Source.
        src: Xmm,
    },
    /// `op xmm, xmm/m, imm8` (SSE2).
    SseImm {
        /// Mnemonic.
        op: SseImmOp,
        /// Destination (and first source).
        dst: Xmm,
        /// Source.
        src: XmmMem,
        /// Predicate or shuffle control.
        imm: u8,
    },
    /// `op xmm, r64`.
    XmmFromGpr {
        /// Mnemonic.
        op: XmmFromGprOp,
        /// Destination.
        dst: Xmm,
        /// Source.
        src: Gpr,
    },
    /// `op r64/r32, xmm`.
    GprFromXmm {
        /// Mnemonic.
        op: GprFromXmmOp,
        /// Destination (printed as 32-bit for `movmskpd`).
        dst: Gpr,
        /// Source.
        src: Xmm,
    },
    /// `op ymm, ymm, ymm/m` (AVX).
    Avx {
        /// Mnemonic.
        op: AvxOp,
        /// Destination.
        dst: Ymm,
        /// First source (VEX.vvvv).
        src1: Ymm,
        /// Second source (ModRM.rm).
        src2: YmmMem,
    },
    /// `op xmm, xmm, xmm/m` (AVX, VEX.128: also zeroes bits 128–255 of the destination).
    Avx128 {
        /// Mnemonic.
        op: AvxOp,
        /// Destination.
        dst: Xmm,
        /// First source (VEX.vvvv).
        src1: Xmm,
        /// Second source (ModRM.rm).
        src2: XmmMem,
    },
    /// `op xmm, xmm, xmm/m64` (AVX scalar double).
    AvxScalar {
        /// Mnemonic.
        op: AvxScalarOp,
        /// Destination.
        dst: Xmm,
        /// First source (VEX.vvvv).
        src1: Xmm,
        /// Second source (ModRM.rm).
        src2: XmmMem,
    },
    /// `op ymm, ymm/m` (AVX).
    AvxUnary {
        /// Mnemonic.
        op: AvxUnaryOp,
        /// Destination.
        dst: Ymm,
        /// Source.
        src: YmmMem,
    },
    /// `op m, ymm` (AVX store).
    AvxStore {
        /// Mnemonic.
        op: AvxStoreOp,
        /// Destination.
        dst: Mem,
        /// Source.
        src: Ymm,
    },
    /// `vcmpsd xmm, xmm, xmm/m64, imm8` (predicate 0–31): the low double of the destination
    /// is all ones if `src1 pred src2`, else zeros; the high one is copied from `src1`.
    Vcmpsd {
        /// Destination mask.
        dst: Xmm,
        /// First source (VEX.vvvv).
        src1: Xmm,
        /// Second source (ModRM.rm).
        src2: XmmMem,
        /// Predicate.
        imm: u8,
    },
    /// `vcmppd ymm, ymm, ymm/m, imm8` (predicate 0–31).
    Vcmppd {
        /// Destination mask.
        dst: Ymm,
        /// First source.
        src1: Ymm,
        /// Second source.
        src2: YmmMem,
        /// Predicate.
        imm: u8,
    },
    /// `vblendvpd ymm, ymm, ymm/m, ymm`: per lane, `mask` sign bit set ? `src2` : `src1`.
    Vblendvpd {
        /// Destination.
        dst: Ymm,
        /// Taken where the mask is clear.
        src1: Ymm,
        /// Taken where the mask is set.
        src2: YmmMem,
        /// Mask (encoded in imm8 bits 7:4).
        mask: Ymm,
    },
    /// `vroundpd ymm, ymm/m256, imm8` (SSE4.1's `roundpd`, VEX.256): each lane rounded to
    /// an integer. Immediate bits 1:0 pick the direction (0 nearest even, 1 down, 2 up, 3
    /// toward zero), bit 2 set uses MXCSR's direction instead, bit 3 suppresses the precision
    /// exception; bits 7:4 are ignored. ±0, infinities and integers are kept, a NaN quieted.
    Vroundpd {
        /// Destination.
        dst: Ymm,
        /// Source.
        src: YmmMem,
        /// Rounding control.
        imm: u8,
    },
    /// `vbroadcastsd ymm, m64` (or `xmm` source, AVX2).
    Vbroadcastsd {
        /// Destination.
        dst: Ymm,
        /// The scalar to broadcast.
        src: XmmMem,
    },
    /// `vzeroupper`: clear upper ymm halves before returning to SSE code.
    Vzeroupper,
    /// `op r64, r/m64`.
    Alu {
        /// Mnemonic.
        op: AluOp,
        /// Destination (and first source).
        dst: Gpr,
        /// Source.
        src: GprMem,
    },
    /// `op r64, imm32` (sign-extended; imm8 form when it fits).
    AluImm {
        /// Mnemonic.
        op: AluOp,
        /// Destination (and first source).
        dst: Gpr,
        /// Immediate.
        imm: i32,
    },
    /// `mov r64, r/m64`.
    Mov {
        /// Destination.
        dst: Gpr,
        /// Source.
        src: GprMem,
    },
    /// `mov m64, r64`.
    MovStore {
        /// Destination.
        dst: Mem,
        /// Source.
        src: Gpr,
    },
    /// `mov r64, imm64`, encoded in the shortest [`MovImmForm`].
    MovImm {
        /// Destination.
        dst: Gpr,
        /// The 64-bit value.
        imm: u64,
    },
    /// `lea r64, m`: compute an address without accessing memory.
    Lea {
        /// Destination.
        dst: Gpr,
        /// The address.
        src: Mem,
    },
    /// `test r64, r64`: flags of `dst & src`.
    Test {
        /// First operand.
        dst: Gpr,
        /// Second operand.
        src: Gpr,
    },
    /// `op r64` (`inc`, `dec`, `not`, `neg`).
    Unary {
        /// Mnemonic.
        op: UnaryOp,
        /// Operand.
        dst: Gpr,
    },
    /// `op r64, imm8` shifts.
    Shift {
        /// Mnemonic.
        op: ShiftOp,
        /// Operand.
        dst: Gpr,
        /// Shift count (masked to 6 bits by the CPU).
        imm: u8,
    },
    /// `push r64`
    Push(Gpr),
    /// `pop r64`
    Pop(Gpr),
    /// `call r/m64` (indirect).
    Call(GprMem),
    /// `call rel32`
    CallLabel(Label),
    /// `jmp r/m64` (indirect: to the address in a register or in memory; a tail call when
    /// the target is a function).
    JmpIndirect(GprMem),
    /// `jmp rel32`
    Jmp(Label),
    /// `jmp rel8`
    JmpShort(Label),
    /// `jcc rel32`
    Jcc(Cond, Label),
    /// `jcc rel8`
    JccShort(Cond, Label),
    /// `setcc r8`: the low byte of the register becomes 0 or 1.
    Setcc(Cond, Gpr),
    /// `movzx r32, r8` (zero-extends into the whole 64-bit register).
    Movzx8 {
        /// Destination (printed as 32-bit).
        dst: Gpr,
        /// Source (printed as 8-bit).
        src: Gpr,
    },
    /// `op m8`: a software prefetch of the cache line at the address (no access, no fault).
    Prefetch {
        /// Mnemonic (which cache level).
        op: PrefetchOp,
        /// The address whose line to fetch.
        src: Mem,
    },
    /// `ret`
    Ret,
    /// `int3` (breakpoint trap; also used as padding)
    Int3,
    /// `nop`
    Nop,
}
