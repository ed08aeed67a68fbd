//! Instructions as data: the [`Inst`] enum (one variant per operand shape) and the opcode
//! tables (one line per mnemonic: its name and its opcode). How an instruction is written in
//! Intel syntax is the `intel` module's business ([`Inst::write_intel`]); how it is encoded,
//! [`encode`](mod@super::encode)'s.

use super::mem::{GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::{Gpr, Xmm, Ymm};

pub use super::intel::Resolver;

/// Where an opcode lives and which prefixes select it: everything about an instruction's
/// encoding except its operands.
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

/// Defines an enum of mnemonics sharing an operand shape, with a table of encodings.
macro_rules! ops {
    ($(#[$meta:meta])* $name:ident: $info:ty { $($v:ident = $mn:literal => $val:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $mn, "`")] $v,)*
        }

        impl $name {
            /// Every mnemonic of this shape.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The Intel mnemonic.
            pub const fn mnemonic(self) -> &'static str {
                match self { $($name::$v => $mn,)* }
            }

            /// The encoding table entry.
            pub const fn info(self) -> $info {
                match self { $($name::$v => $val,)* }
            }
        }
    };
}

ops! {
    /// SSE2 `op xmm, xmm/m`: the destination is also the first source.
    SseOp: Opcode {
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
    SseStoreOp: Opcode {
        Movsd = "movsd" => sse(0xF2, 0x11),
        Movapd = "movapd" => sse(0x66, 0x29),
        Movupd = "movupd" => sse(0x66, 0x11),
        Movq = "movq" => sse(0x66, 0xD6),
    }
}

ops! {
    /// SSE2 `op xmm, xmm/m, imm8`.
    SseImmOp: Opcode {
        Cmpsd = "cmpsd" => sse(0xF2, 0xC2),
        Cmppd = "cmppd" => sse(0x66, 0xC2),
        Shufpd = "shufpd" => sse(0x66, 0xC6),
    }
}

ops! {
    /// `op xmm, r64`: general-purpose register to vector register.
    XmmFromGprOp: Opcode {
        Cvtsi2sd = "cvtsi2sd" => sse_w(0xF2, 0x2A),
        Movq = "movq" => sse_w(0x66, 0x6E),
    }
}

ops! {
    /// `op r, xmm`: vector register to general-purpose register. The flag tells whether the
    /// xmm register sits in ModRM.reg (true for `movq r64, xmm`, opcode `66 0F 7E`).
    GprFromXmmOp: (Opcode, bool) {
        Cvttsd2si = "cvttsd2si" => (sse_w(0xF2, 0x2C), false),
        Movmskpd = "movmskpd" => (sse(0x66, 0x50), false),
        Movq = "movq" => (sse_w(0x66, 0x7E), true),
    }
}

ops! {
    /// AVX three-operand `op ymm, ymm, ymm/m` (VEX.256.66.0F, non-destructive source in vvvv),
    /// also `op xmm, xmm, xmm/m` (VEX.128).
    AvxOp: Opcode {
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
    }
}

ops! {
    /// AVX scalar three-operand `op xmm, xmm, xmm/m64` (VEX.LIG.F2.0F): the low double of the
    /// destination is `src1 op src2`, the high one is copied from `src1`. Unlike the SSE2
    /// forms, the destination need not be a source, so no copy is needed to keep one.
    AvxScalarOp: Opcode {
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
    AvxUnaryOp: Opcode {
        Vsqrtpd = "vsqrtpd" => vex(0x66, 0x51),
        Vmovupd = "vmovupd" => vex(0x66, 0x10),
        Vmovapd = "vmovapd" => vex(0x66, 0x28),
    }
}

ops! {
    /// AVX stores `op m, ymm`.
    AvxStoreOp: Opcode {
        Vmovupd = "vmovupd" => vex(0x66, 0x11),
        Vmovapd = "vmovapd" => vex(0x66, 0x29),
    }
}

ops! {
    /// Integer `op r64, r/m64` (the "load" direction); the `imm` form is `81 /ext` or
    /// `83 /ext` (sign-extended imm8).
    AluOp: Opcode {
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
    UnaryOp: Opcode {
        Inc = "inc" => w64(0xFF, 0),
        Dec = "dec" => w64(0xFF, 1),
        Not = "not" => w64(0xF7, 2),
        Neg = "neg" => w64(0xF7, 3),
    }
}

ops! {
    /// Shifts `op r/m64, imm8` (`C1 /ext ib`).
    ShiftOp: Opcode {
        Shl = "shl" => w64(0xC1, 4),
        Shr = "shr" => w64(0xC1, 5),
        Sar = "sar" => w64(0xC1, 7),
    }
}

/// A condition code, numbered as in the hardware (`jcc` = `0F 80+cc`, `setcc` = `0F 90+cc`).
/// Flipping the low bit negates the condition.
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
    pub const fn num(self) -> u8 {
        self as u8
    }

    /// The opposite condition.
    pub const fn negate(self) -> Cond {
        Cond::ALL[(self as usize) ^ 1]
    }

    /// The mnemonic suffix (`e` in `je`/`sete`).
    pub const fn suffix(self) -> &'static str {
        COND_NAMES[self as usize]
    }
}

/// How `mov r64, imm` is encoded; chosen from the value alone (see [`MovImmForm::of`]).
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
    /// `ret`
    Ret,
    /// `int3` (breakpoint trap; also used as padding)
    Int3,
    /// `nop`
    Nop,
}
