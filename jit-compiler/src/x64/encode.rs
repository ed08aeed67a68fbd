//! Instruction encoding: [`Inst`] → [`Encoding`] → bytes.
//!
//! An x86-64 instruction is, in order:
//!
//! ```text
//! [legacy prefix 66/F2/F3] [REX 0100WRXB | VEX C5 xx / C4 xx xx] opcode [ModRM] [SIB] [disp] [imm]
//! ```
//!
//! * **REX** extends ModRM.reg (R), SIB.index (X) and ModRM.rm/SIB.base/opcode reg (B) to
//!   4 bits and selects 64-bit operand size (W).
//! * **VEX** replaces the legacy prefix, REX and the `0F` escape bytes, and adds a third
//!   register operand (`vvvv`, stored inverted) and the vector length (`L`: 0 = 128, 1 = 256).
//! * **ModRM** = `mod(2) reg(3) rm(3)`; `mod` = 11 means `rm` is a register, otherwise memory
//!   with no/8-bit/32-bit displacement. `rm` = 100 means "a SIB byte follows"; `mod` = 00 with
//!   `rm` = 101 means RIP-relative disp32.
//! * **SIB** = `scale(2) index(3) base(3)`; index 100 means "no index".
//!
//! Every instruction with operands goes through one of three helpers (`legacy`, `vex`,
//! `plus_reg`); jumps, `ret`, `int3` and `nop` are their opcode bytes (and a displacement).
//! The assembler's compact path for the commonest forms (`asm/compact.rs`) builds its bytes
//! from the same pieces (`address`, `modrm`, `legacy_opcode`, `vex_prefix`), so the rules of
//! each field stay here.

use super::inst::{Inst, MovImmForm, Opcode, vex as vex_0f};
use super::mem::{Base, GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::{Gpr, Xmm};

/// The displacement field of an encoding.
///
/// ```
/// use jit_compiler::x64::{encode, Disp, Gpr::*, Inst, Mem};
/// let disp = |src| encode(&Inst::Lea { dst: Rax, src }).disp;
/// assert_eq!(disp(Mem::base(Rdi)), Disp::None);
/// assert_eq!(disp(Mem::base(Rbp)), Disp::D8(0)); // [rbp] has no form without one
/// assert_eq!(disp(Mem::base_disp(Rdi, -128)), Disp::D8(-128));
/// assert_eq!(disp(Mem::base_disp(Rdi, 128)), Disp::D32(128));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disp {
    /// No displacement.
    None,
    /// 8-bit signed displacement.
    D8(i8),
    /// 32-bit signed displacement.
    D32(i32),
    /// RIP-relative disp32 to `label + addend`, relative to the end of the instruction;
    /// written as 0 and patched by the assembler.
    Rip {
        /// Target label.
        label: Label,
        /// Added to the label's address.
        addend: i32,
    },
}

impl Disp {
    /// Size in bytes.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Disp};
    /// let label = Assembler::new().new_label();
    /// assert_eq!(Disp::None.len(), 0);
    /// assert_eq!(Disp::D8(-1).len(), 1);
    /// assert_eq!(Disp::Rip { label, addend: 0 }.len(), 4);
    /// assert!(Disp::None.is_empty() && !Disp::D32(0).is_empty());
    /// ```
    pub const fn len(self) -> usize {
        match self {
            Disp::None => 0,
            Disp::D8(_) => 1,
            Disp::D32(_) | Disp::Rip { .. } => 4,
        }
    }

    /// True if there is no displacement.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Disp};
    /// let label = Assembler::new().new_label();
    /// assert_eq!(Disp::None.len(), 0);
    /// assert_eq!(Disp::D8(-1).len(), 1);
    /// assert_eq!(Disp::Rip { label, addend: 0 }.len(), 4);
    /// assert!(Disp::None.is_empty() && !Disp::D32(0).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        matches!(self, Disp::None)
    }
}

/// The immediate field of an encoding.
///
/// ```
/// use jit_compiler::x64::{encode, Assembler, Gpr::*, Imm, Inst, ShiftOp};
/// let l = Assembler::new().new_label();
/// let shl = Inst::Shift { op: ShiftOp::Shl, dst: Rax, imm: 3 };
/// assert_eq!(encode(&shl).imm, Imm::I8(3));
/// assert_eq!(encode(&Inst::MovImm { dst: Rax, imm: 1 << 40 }).imm, Imm::I64(1 << 40));
/// assert_eq!(encode(&Inst::Jmp(l)).imm, Imm::Rel32(l));
/// assert_eq!(encode(&Inst::Ret).imm, Imm::None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imm {
    /// No immediate.
    None,
    /// 8-bit immediate.
    I8(u8),
    /// 32-bit immediate.
    I32(i32),
    /// 64-bit immediate (only `mov r64, imm64`).
    I64(u64),
    /// 8-bit branch offset to a label (relative to the end of the instruction), patched later.
    Rel8(Label),
    /// 32-bit branch offset to a label, patched later.
    Rel32(Label),
}

impl Imm {
    /// Size in bytes.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Imm};
    /// let label = Assembler::new().new_label();
    /// assert_eq!(Imm::None.len(), 0);
    /// assert_eq!(Imm::Rel8(label).len(), 1);
    /// assert_eq!(Imm::I32(-1).len(), 4);
    /// assert_eq!(Imm::I64(0).len(), 8);
    /// assert!(Imm::None.is_empty() && !Imm::I8(0).is_empty());
    /// ```
    pub const fn len(self) -> usize {
        match self {
            Imm::None => 0,
            Imm::I8(_) | Imm::Rel8(_) => 1,
            Imm::I32(_) | Imm::Rel32(_) => 4,
            Imm::I64(_) => 8,
        }
    }

    /// True if there is no immediate.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Imm};
    /// let label = Assembler::new().new_label();
    /// assert_eq!(Imm::None.len(), 0);
    /// assert_eq!(Imm::Rel8(label).len(), 1);
    /// assert_eq!(Imm::I32(-1).len(), 4);
    /// assert_eq!(Imm::I64(0).len(), 8);
    /// assert!(Imm::None.is_empty() && !Imm::I8(0).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        matches!(self, Imm::None)
    }
}

/// Width of a field the assembler patches once labels are bound.
///
/// ```
/// use jit_compiler::x64::{encode, Assembler, FixupKind, Inst};
/// let l = Assembler::new().new_label();
/// assert_eq!(encode(&Inst::JmpShort(l)).fixup().unwrap().kind, FixupKind::Rel8);
/// assert_eq!(encode(&Inst::Jmp(l)).fixup().unwrap().kind, FixupKind::Rel32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixupKind {
    /// One signed byte.
    Rel8,
    /// Four signed bytes.
    Rel32,
}

/// A label reference inside an encoded instruction.
///
/// ```
/// use jit_compiler::x64::{encode, Assembler, Cond, Fixup, FixupKind, Inst, Mem, SseOp, Xmm::*};
/// let label = Assembler::new().new_label();
/// // je rel32 = 0F 84 xx xx xx xx: the field starts at byte 2.
/// let jcc = encode(&Inst::Jcc(Cond::E, label)).fixup();
/// assert_eq!(jcc, Some(Fixup { offset: 2, kind: FixupKind::Rel32, label, addend: 0 }));
/// // movsd xmm0,[rip+label+8] = F2 0F 10 05 xx xx xx xx: the disp32 at byte 4, plus 8.
/// let load = Inst::Sse { op: SseOp::Movsd, dst: Xmm0, src: Mem::rip_disp(label, 8).into() };
/// let rip = encode(&load).fixup();
/// assert_eq!(rip, Some(Fixup { offset: 4, kind: FixupKind::Rel32, label, addend: 8 }));
/// assert_eq!(encode(&Inst::Ret).fixup(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixup {
    /// Offset of the field from the start of the instruction.
    pub offset: usize,
    /// Field width.
    pub kind: FixupKind,
    /// Target label.
    pub label: Label,
    /// Added to the label's address.
    pub addend: i32,
}

/// One to three bytes of an instruction (its opcode, or its VEX prefix), packed with their
/// count in one 32-bit integer: `[byte 0, byte 1, byte 2, count]`, little-endian.
///
/// Why not `([u8; 3], u8)`: the encoder's [`Encoding`] lives on the stack for a moment, and
/// an array is stored there a byte at a time (`0F`, then the opcode, then the rest), but read
/// back in wider loads, which the CPU cannot forward from several stores: a stall on every
/// instruction encoded. One integer is one store and one load (compiling the benchmark's
/// expressions with AVX took 1-8% less time).
///
/// ```
/// use jit_compiler::x64::ShortBytes;
/// let addsd = ShortBytes::new([0x0F, 0x58, 0], 2);
/// assert_eq!(addsd.bytes(), ([0x0F, 0x58, 0], 2));
/// assert_eq!(addsd.len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortBytes(u32);

impl ShortBytes {
    /// The first `len` (1 to 3) bytes of `bytes`; the others must be zero.
    ///
    /// ```
    /// use jit_compiler::x64::ShortBytes;
    /// let jcc = ShortBytes::new([0x0F, 0x84, 0], 2);
    /// assert_eq!(jcc.bytes(), ([0x0F, 0x84, 0], 2));
    /// assert_eq!(jcc.len(), 2);
    /// assert!(!jcc.is_empty() && ShortBytes::new([0; 3], 0).is_empty());
    /// ```
    pub const fn new(bytes: [u8; 3], len: u8) -> ShortBytes {
        ShortBytes(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], len]))
    }

    /// The bytes (zero past the count) and their count.
    ///
    /// ```
    /// use jit_compiler::x64::ShortBytes;
    /// let jcc = ShortBytes::new([0x0F, 0x84, 0], 2);
    /// assert_eq!(jcc.bytes(), ([0x0F, 0x84, 0], 2));
    /// assert_eq!(jcc.len(), 2);
    /// assert!(!jcc.is_empty() && ShortBytes::new([0; 3], 0).is_empty());
    /// ```
    pub const fn bytes(self) -> ([u8; 3], u8) {
        let [a, b, c, len] = self.0.to_le_bytes();
        ([a, b, c], len)
    }

    /// The count.
    ///
    /// ```
    /// use jit_compiler::x64::ShortBytes;
    /// let jcc = ShortBytes::new([0x0F, 0x84, 0], 2);
    /// assert_eq!(jcc.bytes(), ([0x0F, 0x84, 0], 2));
    /// assert_eq!(jcc.len(), 2);
    /// assert!(!jcc.is_empty() && ShortBytes::new([0; 3], 0).is_empty());
    /// ```
    pub const fn len(self) -> usize {
        (self.0 >> 24) as usize
    }

    /// True for no bytes, which no field of an [`Encoding`] has.
    ///
    /// ```
    /// use jit_compiler::x64::ShortBytes;
    /// let jcc = ShortBytes::new([0x0F, 0x84, 0], 2);
    /// assert_eq!(jcc.bytes(), ([0x0F, 0x84, 0], 2));
    /// assert_eq!(jcc.len(), 2);
    /// assert!(!jcc.is_empty() && ShortBytes::new([0; 3], 0).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The bytes as the low bytes of an integer, first byte lowest.
    pub(super) const fn value(self) -> u64 {
        (self.0 & 0x00FF_FFFF) as u64
    }
}

/// The parts of one encoded instruction, in the order they are written. No allocation.
///
/// ```
/// use jit_compiler::x64::{encode, Disp, Gpr::*, Imm, Inst, Mem, ShortBytes, SseOp, Xmm::*};
/// // addsd xmm8,[r12+8]
/// let src = Mem::base_disp(R12, 8).into();
/// let e = encode(&Inst::Sse { op: SseOp::Addsd, dst: Xmm8, src });
/// assert_eq!(e.legacy_prefix, Some(0xF2));
/// assert_eq!(e.rex, Some(0x45)); // 0100 W=0 R=1 (xmm8) X=0 B=1 (r12)
/// assert_eq!(e.vex, None);
/// assert_eq!(e.opcode, ShortBytes::new([0x0F, 0x58, 0], 2));
/// assert_eq!(e.modrm, Some(0x44)); // mod 01 (disp8), reg 000, rm 100 (SIB follows)
/// assert_eq!(e.sib, Some(0x24)); // no index, base 100 (r12 with REX.B)
/// assert_eq!((e.disp, e.imm), (Disp::D8(8), Imm::None));
/// assert_eq!(e.to_vec(), [0xF2, 0x45, 0x0F, 0x58, 0x44, 0x24, 0x08]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encoding {
    /// Mandatory/legacy prefix (`66`, `F2`, `F3`).
    pub legacy_prefix: Option<u8>,
    /// REX prefix `0100WRXB`.
    pub rex: Option<u8>,
    /// VEX prefix bytes (2 or 3).
    pub vex: Option<ShortBytes>,
    /// Opcode bytes (escape bytes included).
    pub opcode: ShortBytes,
    /// ModRM byte.
    pub modrm: Option<u8>,
    /// SIB byte.
    pub sib: Option<u8>,
    /// Displacement.
    pub disp: Disp,
    /// Immediate.
    pub imm: Imm,
}

impl Encoding {
    /// An encoding with only opcode bytes.
    const fn bare(opcode: ShortBytes) -> Encoding {
        Encoding {
            legacy_prefix: None,
            rex: None,
            vex: None,
            opcode,
            modrm: None,
            sib: None,
            disp: Disp::None,
            imm: Imm::None,
        }
    }

    /// The same encoding with an immediate.
    const fn with_imm(mut self, imm: Imm) -> Encoding {
        self.imm = imm;
        self
    }

    /// Bytes before the displacement.
    fn head_len(&self) -> usize {
        usize::from(self.legacy_prefix.is_some())
            + usize::from(self.rex.is_some())
            + self.vex.map_or(0, ShortBytes::len)
            + self.opcode.len()
            + usize::from(self.modrm.is_some())
            + usize::from(self.sib.is_some())
    }

    /// Total length in bytes.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst};
    /// assert_eq!(encode(&Inst::Ret).len(), 1);
    /// assert_eq!(encode(&Inst::MovImm { dst: R8, imm: 1 << 32 }).len(), 10); // REX B8+r imm64
    /// assert!(!encode(&Inst::Nop).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.head_len() + self.disp.len() + self.imm.len()
    }

    /// Always false: every instruction has an opcode.
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst};
    /// assert_eq!(encode(&Inst::Ret).len(), 1);
    /// assert_eq!(encode(&Inst::MovImm { dst: R8, imm: 1 << 32 }).len(), 10); // REX B8+r imm64
    /// assert!(!encode(&Inst::Nop).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The label reference to patch, if any (an instruction has at most one).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Assembler, Cond, Fixup, FixupKind, Inst, Mem, SseOp};
    /// use jit_compiler::x64::Xmm::*;
    /// let label = Assembler::new().new_label();
    /// // je rel32 = 0F 84 xx xx xx xx: the field starts at byte 2.
    /// let jcc = encode(&Inst::Jcc(Cond::E, label)).fixup();
    /// assert_eq!(jcc, Some(Fixup { offset: 2, kind: FixupKind::Rel32, label, addend: 0 }));
    /// // movsd xmm0,[rip+label+8] = F2 0F 10 05 xx xx xx xx: the disp32 at byte 4, plus 8.
    /// let load = Inst::Sse { op: SseOp::Movsd, dst: Xmm0, src: Mem::rip_disp(label, 8).into() };
    /// let rip = encode(&load).fixup();
    /// assert_eq!(rip, Some(Fixup { offset: 4, kind: FixupKind::Rel32, label, addend: 8 }));
    /// assert_eq!(encode(&Inst::Ret).fixup(), None);
    /// ```
    #[inline(always)]
    pub fn fixup(&self) -> Option<Fixup> {
        if let Disp::Rip { label, addend } = self.disp {
            let offset = self.head_len();
            return Some(Fixup {
                offset,
                kind: FixupKind::Rel32,
                label,
                addend,
            });
        }
        let (kind, label) = match self.imm {
            Imm::Rel8(l) => (FixupKind::Rel8, l),
            Imm::Rel32(l) => (FixupKind::Rel32, l),
            _ => return None,
        };
        let offset = self.len() - self.imm.len();
        Some(Fixup {
            offset,
            kind,
            label,
            addend: 0,
        })
    }

    /// Appends the bytes (label fields as zero).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Assembler, Inst};
    /// let label = Assembler::new().new_label();
    /// let mut code = vec![0x90];
    /// encode(&Inst::Jmp(label)).write(&mut code);
    /// assert_eq!(code, [0x90, 0xE9, 0, 0, 0, 0]); // the rel32 is left for the assembler
    /// ```
    #[inline(always)]
    pub fn write(&self, out: &mut Vec<u8>) {
        // Gathered in one integer from the last field to the first: each field moves the
        // bytes gathered so far up by its own length, which is a constant for most fields,
        // and goes below them (a shift of the field by the variable length gathered so far
        // cost a few instructions more per field).
        let mut bytes = Bytes::default();
        match self.imm {
            Imm::None => {}
            Imm::I8(i) => bytes.prepend(u64::from(i), 1),
            Imm::I32(i) => bytes.prepend(u64::from(i as u32), 4),
            Imm::I64(i) => bytes.prepend(i, 8),
            Imm::Rel8(_) => bytes.prepend(0, 1),
            Imm::Rel32(_) => bytes.prepend(0, 4),
        }
        match self.disp {
            Disp::None => {}
            Disp::D8(d) => bytes.prepend(u64::from(d as u8), 1),
            Disp::D32(d) => bytes.prepend(u64::from(d as u32), 4),
            Disp::Rip { .. } => bytes.prepend(0, 4),
        }
        if let Some(s) = self.sib {
            bytes.prepend(u64::from(s), 1);
        }
        if let Some(m) = self.modrm {
            bytes.prepend(u64::from(m), 1);
        }
        bytes.prepend_short(self.opcode);
        if let Some(v) = self.vex {
            bytes.prepend_short(v);
        }
        if let Some(r) = self.rex {
            bytes.prepend(u64::from(r), 1);
        }
        if let Some(p) = self.legacy_prefix {
            bytes.prepend(u64::from(p), 1);
        }
        bytes.append_to(out);
    }

    /// The bytes as a vector (convenience for tests and docs).
    ///
    /// ```
    /// use jit_compiler::x64::{encode, Gpr::*, Inst};
    /// assert_eq!(encode(&Inst::Pop(R15)).to_vec(), [0x41, 0x5F]);
    /// ```
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        self.write(&mut v);
        v
    }
}

/// The bytes of one instruction, collected in one 128-bit integer from the last field to the
/// first (each one goes below the bytes gathered so far), so the bytes never pass through
/// memory until the one 16-byte store that appends them. (Collected in a stack buffer by
/// 8-byte stores, they were read back by a 16-byte load that spans several stores, which the
/// CPU cannot forward from its store buffer: a stall of a dozen cycles per instruction.)
#[derive(Default)]
struct Bytes {
    bits: u128,
    len: u32,
}

impl Bytes {
    /// Puts the low `n` bytes of `v` (1 ≤ `n` ≤ 8) before the bytes gathered so far. An
    /// instruction has at most 15 bytes, so nothing is pushed out of the 16 (an [`Encoding`]
    /// with more fields than any instruction has loses its last bytes).
    #[inline(always)]
    fn prepend(&mut self, v: u64, n: u8) {
        if (1..=8).contains(&n) {
            let low = u64::MAX >> (64 - 8 * u32::from(n));
            self.bits = self.bits << (8 * u32::from(n)) | u128::from(v & low);
            self.len += u32::from(n);
        }
    }

    /// [`Bytes::prepend`] for one to three bytes: one branch on the count, then a constant
    /// shift (a shift of a 128-bit integer by a variable amount takes a dozen instructions).
    #[inline(always)]
    fn prepend_short(&mut self, s: ShortBytes) {
        match s.len() {
            1 => self.prepend(s.value(), 1),
            2 => self.prepend(s.value(), 2),
            _ => self.prepend(s.value(), 3),
        }
    }

    /// Appends the bytes to `out`: copies a fixed 16 bytes (one vector move, where a copy of
    /// variable length is a call) and cuts back to the real length.
    fn append_to(&self, out: &mut Vec<u8>) {
        let end = out.len() + self.len.min(16) as usize;
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.truncate(end);
    }
}

/// The ModRM.rm operand: a register number or a memory operand.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rm {
    Reg(u8),
    Mem(Mem),
}

impl From<XmmMem> for Rm {
    fn from(x: XmmMem) -> Rm {
        match x {
            XmmMem::Xmm(r) => Rm::Reg(r.num()),
            XmmMem::Mem(m) => Rm::Mem(m),
        }
    }
}

impl From<YmmMem> for Rm {
    fn from(y: YmmMem) -> Rm {
        match y {
            YmmMem::Ymm(r) => Rm::Reg(r.num()),
            YmmMem::Mem(m) => Rm::Mem(m),
        }
    }
}

impl From<GprMem> for Rm {
    fn from(g: GprMem) -> Rm {
        match g {
            GprMem::Gpr(r) => Rm::Reg(r.num()),
            GprMem::Mem(m) => Rm::Mem(m),
        }
    }
}

/// ModRM, SIB and displacement for an operand, plus the REX.X/REX.B extension bits.
pub(super) struct Addressing {
    pub(super) modrm: u8,
    pub(super) sib: Option<u8>,
    pub(super) disp: Disp,
    pub(super) x: bool,
    pub(super) b: bool,
}

/// Builds a ModRM byte from its three fields (only the low 3 bits of `reg` and `rm` are used).
pub(super) const fn modrm(md: u8, reg: u8, rm: u8) -> u8 {
    (md << 6) | ((reg & 7) << 3) | (rm & 7)
}

/// Encodes `reg` (ModRM.reg, any 4-bit number) and the `rm` operand.
#[inline(always)]
pub(super) fn address(reg: u8, rm: Rm) -> Addressing {
    let m = match rm {
        Rm::Reg(r) => {
            let modrm = modrm(0b11, reg, r);
            return Addressing {
                modrm,
                sib: None,
                disp: Disp::None,
                x: false,
                b: r >= 8,
            };
        }
        Rm::Mem(m) => m,
    };
    let (base, index) = match m.base {
        Base::Rip(label) => {
            let disp = Disp::Rip {
                label,
                addend: m.disp,
            };
            let modrm = modrm(0b00, reg, 0b101);
            return Addressing {
                modrm,
                sib: None,
                disp,
                x: false,
                b: false,
            };
        }
        Base::Reg { base, index } => (base, index),
    };
    // rbp/r13 as base with mod=00 would mean RIP/no-base: force a disp8 of 0 instead.
    let disp = match m.disp {
        0 if base.num() & 7 != 5 => Disp::None,
        d => i8::try_from(d).map_or(Disp::D32(d), Disp::D8),
    };
    let md = match disp {
        Disp::None => 0b00,
        Disp::D8(_) => 0b01,
        _ => 0b10,
    };
    // rsp/r12 as rm=100 means "SIB follows", so they always need a SIB byte.
    let (sib, x) = match index {
        Some(index) => (
            Some(modrm(index.scale().bits(), index.reg().num(), base.num())),
            index.reg().num() >= 8,
        ),
        None if base.num() & 7 == 4 => (Some(modrm(0, 0b100, base.num())), false),
        None => (None, false),
    };
    let rm_bits = if sib.is_some() { 0b100 } else { base.num() };
    Addressing {
        modrm: modrm(md, reg, rm_bits),
        sib,
        disp,
        x,
        b: base.num() >= 8,
    }
}

/// Opcode bytes for the legacy (non-VEX) encoding: map escape bytes, then the opcode.
pub(super) const fn legacy_opcode(opc: Opcode) -> ShortBytes {
    match opc.map {
        0 => ShortBytes::new([opc.op, 0, 0], 1),
        1 => ShortBytes::new([0x0F, opc.op, 0], 2),
        2 => ShortBytes::new([0x0F, 0x38, opc.op], 3),
        _ => ShortBytes::new([0x0F, 0x3A, opc.op], 3),
    }
}

/// A legacy-encoded instruction with a ModRM operand pair. `force_rex` is for the byte
/// registers `spl`/`bpl`/`sil`/`dil`, which exist only with a REX prefix.
#[inline(always)]
fn legacy(opc: Opcode, reg: u8, rm: Rm, force_rex: bool) -> Encoding {
    let a = address(reg, rm);
    let bits =
        (u8::from(opc.w) << 3) | (u8::from(reg >= 8) << 2) | (u8::from(a.x) << 1) | u8::from(a.b);
    Encoding {
        legacy_prefix: opc.prefix,
        rex: (bits != 0 || force_rex).then_some(0x40 | bits),
        modrm: Some(a.modrm),
        sib: a.sib,
        disp: a.disp,
        ..Encoding::bare(legacy_opcode(opc))
    }
}

/// `op xmm, xmm, xmm/m` in the VEX.128 form, packed (`vaddpd`) or scalar (`vaddsd`) alike:
/// the two differ only in the opcode's prefix, which `opc` holds. (Inlined: called, it cost
/// E2, E4, E5 22 / 41 / 470 instructions more a compilation.)
#[inline(always)]
fn vex_xmm(opc: Opcode, dst: Xmm, src1: Xmm, src2: XmmMem) -> Encoding {
    vex(opc, false, dst.num(), src1.num(), Some(src2.into()))
}

/// A VEX-encoded instruction: `reg` in ModRM.reg, `vvvv` the extra source, `l256` the length.
fn vex(opc: Opcode, l256: bool, reg: u8, vvvv: u8, rm: Option<Rm>) -> Encoding {
    let a = rm.map(|rm| address(reg, rm));
    let (x, b) = a.as_ref().map_or((false, false), |a| (a.x, a.b));
    Encoding {
        vex: Some(vex_prefix(opc, l256, reg, vvvv, x, b)),
        modrm: a.as_ref().map(|a| a.modrm),
        sib: a.as_ref().and_then(|a| a.sib),
        disp: a.map_or(Disp::None, |a| a.disp),
        ..Encoding::bare(ShortBytes::new([opc.op, 0, 0], 1))
    }
}

/// The VEX prefix of `opc` with ModRM.reg `reg`, the extra source `vvvv`, the length `l256`
/// and the operand's extension bits `x` and `b`. Uses the 2-byte `C5` form when X, B and W
/// are clear and the map is `0F`, else `C4`.
#[inline(always)]
pub(super) fn vex_prefix(
    opc: Opcode,
    l256: bool,
    reg: u8,
    vvvv: u8,
    x: bool,
    b: bool,
) -> ShortBytes {
    let pp = match opc.prefix {
        Some(0x66) => 1,
        Some(0xF3) => 2,
        Some(0xF2) => 3,
        _ => 0,
    };
    let r_bar = u8::from(reg < 8) << 7;
    let tail = ((!vvvv & 15) << 3) | (u8::from(l256) << 2) | pp;
    if !x && !b && !opc.w && opc.map == 1 {
        ShortBytes::new([0xC5, r_bar | tail, 0], 2)
    } else {
        let byte1 = r_bar | (u8::from(!x) << 6) | (u8::from(!b) << 5) | opc.map;
        ShortBytes::new([0xC4, byte1, (u8::from(opc.w) << 7) | tail], 3)
    }
}

/// `vcmpsd` (prefix `F2`, 128 bits) or `vcmppd` (prefix `66`, 256 bits): opcode `0F C2`,
/// the predicate in the immediate.
fn vcmp(prefix: u8, l256: bool, dst: u8, src1: u8, src2: Rm, pred: u8) -> Encoding {
    vex(vex_0f(prefix, 0xC2), l256, dst, src1, Some(src2)).with_imm(Imm::I8(pred))
}

/// An instruction whose register is added to the opcode byte (`push`, `pop`, `mov r, imm`).
fn plus_reg(op: u8, w: bool, r: Gpr) -> Encoding {
    let bits = (u8::from(w) << 3) | u8::from(r.num() >= 8);
    Encoding {
        rex: (bits != 0).then_some(0x40 | bits),
        ..Encoding::bare(ShortBytes::new([op + (r.num() & 7), 0, 0], 1))
    }
}

/// A one-byte-map opcode (no REX.W, no extension).
const fn op1(op: u8) -> Opcode {
    Opcode {
        prefix: None,
        map: 0,
        op,
        w: false,
        ext: 0,
    }
}

/// A `0F`-map opcode (no REX.W, no extension).
const fn op0f(op: u8) -> Opcode {
    Opcode {
        prefix: None,
        map: 1,
        op,
        w: false,
        ext: 0,
    }
}

/// Encodes one instruction. Label references (branches, RIP-relative operands) are written
/// as zero and reported by [`Encoding::fixup`].
///
/// ```
/// use jit_compiler::x64::{encode, Gpr::*, Inst};
/// let e = encode(&Inst::Push(R12));
/// assert_eq!(e.rex, Some(0x41)); // REX.B: r12 is register 8+4
/// assert_eq!(e.to_vec(), [0x41, 0x54]);
/// ```
#[inline(always)]
pub fn encode(inst: &Inst) -> Encoding {
    encode_with(inst, |e| e)
}

/// Appends the bytes of `inst` to `code` (label fields as zero) and returns its label
/// reference: the assembler's path for the forms its compact encoder leaves to this one. Not
/// inlined: the assembler's common path stays small.
#[inline(never)]
pub(super) fn write_any(inst: &Inst, code: &mut Vec<u8>) -> Option<Fixup> {
    encode_with(
        inst,
        #[inline(always)]
        |enc| {
            enc.write(code);
            enc.fixup()
        },
    )
}

/// `f` of the encoding of `inst`, called in each arm rather than on the result of the match:
/// inlined, each instruction kind's fields are known where `f` uses them (the assembler
/// writes the bytes of an `addsd` without testing for an immediate or a VEX prefix), and no
/// [`Encoding`] is built in memory only to be read back field by field.
#[inline(always)]
fn encode_with<R>(inst: &Inst, f: impl FnOnce(Encoding) -> R) -> R {
    use Inst::*;
    match *inst {
        Sse { op, dst, src } => f(legacy(op.info(), dst.num(), src.into(), false)),
        SseStore { op, dst, src } => f(legacy(op.info(), src.num(), Rm::Mem(dst), false)),
        SseImm { op, dst, src, imm } => {
            f(legacy(op.info(), dst.num(), src.into(), false).with_imm(Imm::I8(imm)))
        }
        XmmFromGpr { op, dst, src } => f(legacy(op.info(), dst.num(), Rm::Reg(src.num()), false)),
        GprFromXmm { op, dst, src } => f({
            let (opc, xmm_in_reg) = op.info();
            let (reg, rm) = if xmm_in_reg {
                (src.num(), dst.num())
            } else {
                (dst.num(), src.num())
            };
            legacy(opc, reg, Rm::Reg(rm), false)
        }),
        Avx {
            op,
            dst,
            src1,
            src2,
        } => f(vex(
            op.info(),
            true,
            dst.num(),
            src1.num(),
            Some(src2.into()),
        )),
        Avx128 {
            op,
            dst,
            src1,
            src2,
        } => f(vex_xmm(op.info(), dst, src1, src2)),
        AvxScalar {
            op,
            dst,
            src1,
            src2,
        } => f(vex_xmm(op.info(), dst, src1, src2)),
        AvxUnary { op, dst, src } => f(vex(op.info(), true, dst.num(), 0, Some(src.into()))),
        AvxStore { op, dst, src } => f(vex(op.info(), true, src.num(), 0, Some(Rm::Mem(dst)))),
        Vcmpsd {
            dst,
            src1,
            src2,
            imm,
        } => f(vcmp(0xF2, false, dst.num(), src1.num(), src2.into(), imm)),
        Vcmppd {
            dst,
            src1,
            src2,
            imm,
        } => f(vcmp(0x66, true, dst.num(), src1.num(), src2.into(), imm)),
        Vblendvpd {
            dst,
            src1,
            src2,
            mask,
        } => f({
            let opc = Opcode {
                prefix: Some(0x66),
                map: 3,
                op: 0x4B,
                w: false,
                ext: 0,
            };
            let e = vex(opc, true, dst.num(), src1.num(), Some(src2.into()));
            e.with_imm(Imm::I8(mask.num() << 4))
        }),
        Vroundpd { dst, src, imm } => f({
            let opc = Opcode {
                prefix: Some(0x66),
                map: 3,
                op: 0x09,
                w: false,
                ext: 0,
            };
            vex(opc, true, dst.num(), 0, Some(src.into())).with_imm(Imm::I8(imm))
        }),
        Vbroadcastsd { dst, src } => f({
            let opc = Opcode {
                prefix: Some(0x66),
                map: 2,
                op: 0x19,
                w: false,
                ext: 0,
            };
            vex(opc, true, dst.num(), 0, Some(src.into()))
        }),
        Vzeroupper => f(vex(op0f(0x77), false, 0, 0, None)),
        Alu { op, dst, src } => f(legacy(op.info(), dst.num(), src.into(), false)),
        AluImm { op, dst, imm } => f({
            let ext = op.info().ext;
            match i8::try_from(imm) {
                Ok(i) => {
                    legacy(w64(0x83), ext, Rm::Reg(dst.num()), false).with_imm(Imm::I8(i as u8))
                }
                Err(_) => legacy(w64(0x81), ext, Rm::Reg(dst.num()), false).with_imm(Imm::I32(imm)),
            }
        }),
        Mov { dst, src } => f(legacy(w64(0x8B), dst.num(), src.into(), false)),
        MovStore { dst, src } => f(legacy(w64(0x89), src.num(), Rm::Mem(dst), false)),
        MovImm { dst, imm } => f(match MovImmForm::of(imm) {
            MovImmForm::Zx32 => plus_reg(0xB8, false, dst).with_imm(Imm::I32(imm as u32 as i32)),
            MovImmForm::Sx32 => {
                legacy(w64(0xC7), 0, Rm::Reg(dst.num()), false).with_imm(Imm::I32(imm as i32))
            }
            MovImmForm::Imm64 => plus_reg(0xB8, true, dst).with_imm(Imm::I64(imm)),
        }),
        Lea { dst, src } => f(legacy(w64(0x8D), dst.num(), Rm::Mem(src), false)),
        Test { dst, src } => f(legacy(w64(0x85), src.num(), Rm::Reg(dst.num()), false)),
        Unary { op, dst } => f(legacy(op.info(), op.info().ext, Rm::Reg(dst.num()), false)),
        Shift { op, dst, imm } => f({
            legacy(op.info(), op.info().ext, Rm::Reg(dst.num()), false).with_imm(Imm::I8(imm))
        }),
        Push(r) => f(plus_reg(0x50, false, r)),
        Pop(r) => f(plus_reg(0x58, false, r)),
        Call(target) => f(legacy(op1(0xFF), 2, target.into(), false)),
        CallLabel(l) => f(Encoding::bare(ShortBytes::new([0xE8, 0, 0], 1)).with_imm(Imm::Rel32(l))),
        JmpIndirect(target) => f(legacy(op1(0xFF), 4, target.into(), false)),
        Jmp(l) => f(Encoding::bare(ShortBytes::new([0xE9, 0, 0], 1)).with_imm(Imm::Rel32(l))),
        JmpShort(l) => f(Encoding::bare(ShortBytes::new([0xEB, 0, 0], 1)).with_imm(Imm::Rel8(l))),
        Jcc(cc, l) => f({
            Encoding::bare(ShortBytes::new([0x0F, 0x80 + cc.num(), 0], 2)).with_imm(Imm::Rel32(l))
        }),
        JccShort(cc, l) => f({
            Encoding::bare(ShortBytes::new([0x70 + cc.num(), 0, 0], 1)).with_imm(Imm::Rel8(l))
        }),
        Setcc(cc, r) => f(legacy(
            op0f(0x90 + cc.num()),
            0,
            Rm::Reg(r.num()),
            r.byte_needs_rex(),
        )),
        Movzx8 { dst, src } => f(legacy(
            op0f(0xB6),
            dst.num(),
            Rm::Reg(src.num()),
            src.byte_needs_rex(),
        )),
        Prefetch { op, src } => f(legacy(op.info(), op.info().ext, Rm::Mem(src), false)),
        Ret => f(Encoding::bare(ShortBytes::new([0xC3, 0, 0], 1))),
        Int3 => f(Encoding::bare(ShortBytes::new([0xCC, 0, 0], 1))),
        Nop => f(Encoding::bare(ShortBytes::new([0x90, 0, 0], 1))),
    }
}

/// A one-byte-map opcode with REX.W.
const fn w64(op: u8) -> Opcode {
    Opcode {
        prefix: None,
        map: 0,
        op,
        w: true,
        ext: 0,
    }
}
