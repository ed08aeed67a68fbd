//! The assembler's compact path for the forms a compiled expression is mostly made of: the
//! SSE2 `op xmm, xmm/m` and `op m, xmm` forms (`addsd xmm0,xmm1`, `movsd xmm0,[rdi+8]`,
//! `mulsd xmm2,[rip+c]`, spills), the AVX three-operand forms on `xmm` registers (scalar
//! `vaddsd xmm2,xmm0,xmm1`, and `vdivpd xmm2,xmm0,xmm1` of paired divisions) and `ret`, with
//! register operands or memory operands `[base+disp8]` and `[rip+label]`.
//!
//! They have one layout, `prefix [REX] 0F op ModRM [SIB] [disp]` or
//! `VEX op ModRM [SIB] [disp]`, so their bytes are gathered front to back in one integer
//! with few fields to test for: no immediate, no 32-bit displacement but a label's, no index.
//! Each mnemonic's prefix and opcode are constants of its table, so the encoder's general
//! tests of them (is there a prefix? which opcode map?) fold away. The general encoder
//! ([`encode`](crate::x64::encode())) gives the same bytes for every one of them, and handles
//! every other form; the iced cross-checks test both paths.

use crate::x64::encode::{
    Addressing, Disp, Fixup, FixupKind, Rm, address, legacy_opcode, modrm, vex_prefix,
};
use crate::x64::inst::{Inst, Opcode};
use crate::x64::mem::{Base, Mem, XmmMem};
use crate::x64::reg::Xmm;

/// The bytes of an instruction, up to a RIP-relative displacement (at most 7 in these forms:
/// prefix, REX, `0F`, opcode, ModRM, SIB and disp8, or a 3-byte VEX, opcode, ModRM, SIB and
/// disp8), first byte lowest.
#[derive(Clone, Copy)]
struct Head {
    bits: u64,
    len: u32,
}

impl Head {
    /// No bytes yet.
    const EMPTY: Head = Head { bits: 0, len: 0 };

    /// Appends the `n` low bytes of `value` (its other bytes are zero).
    #[inline(always)]
    fn then(self, value: u64, n: u32) -> Head {
        Head {
            bits: self.bits | value << (8 * self.len),
            len: self.len + n,
        }
    }

    /// Inserts `byte` after the first `at` bytes (at most 6; the bytes then number at most 8).
    #[inline(always)]
    fn insert(self, at: u32, byte: u8) -> Head {
        let before = self.bits & !(u64::MAX << (8 * at));
        let after = self.bits >> (8 * at) << (8 * at + 8);
        Head {
            bits: before | u64::from(byte) << (8 * at) | after,
            len: self.len + 1,
        }
    }

    /// Appends the SIB byte and the 8-bit displacement of `a`, if it has them (a
    /// RIP-relative displacement is written by [`Head::append_with_zeros`]).
    #[inline(always)]
    fn then_sib_disp8(self, a: &Addressing) -> Head {
        let head = match a.sib {
            Some(sib) => self.then(u64::from(sib), 1),
            None => self,
        };
        match a.disp {
            Disp::D8(d) => head.then(u64::from(d as u8), 1),
            _ => head,
        }
    }

    /// Appends the bytes to `code`: stores all 8 and cuts back to the length (one store,
    /// where a copy of variable length is a call).
    #[inline(always)]
    fn append_to(self, code: &mut Vec<u8>) {
        let end = code.len() + self.len as usize;
        code.extend_from_slice(&self.bits.to_le_bytes());
        code.truncate(end);
    }

    /// Appends the bytes and `zeros` zero bytes (at most 8) to `code`, as
    /// [`Head::append_to`] with a 16-byte store.
    #[inline(always)]
    fn append_with_zeros(self, code: &mut Vec<u8>, zeros: usize) {
        let end = code.len() + self.len as usize + zeros;
        code.extend_from_slice(&u128::from(self.bits).to_le_bytes());
        code.truncate(end);
    }
}

/// Appends `inst` to `code` if it is one of the register forms or `ret`, and tells whether
/// it was (if not, nothing is written).
#[inline(always)]
pub(in crate::x64) fn write_reg(inst: &Inst, code: &mut Vec<u8>) -> bool {
    let head = match *inst {
        Inst::Sse {
            op,
            dst,
            src: XmmMem::Xmm(src),
        } => {
            let modrm = modrm(0b11, dst.num(), src.num());
            legacy(op.info(), dst.num(), false, src.num() >= 8, modrm)
        }
        Inst::AvxScalar {
            op,
            dst,
            src1,
            src2: XmmMem::Xmm(src2),
        } => vex_reg(op.info(), dst, src1, src2),
        Inst::Avx128 {
            op,
            dst,
            src1,
            src2: XmmMem::Xmm(src2),
        } => vex_reg(op.info(), dst, src1, src2),
        Inst::Ret => Head::EMPTY.then(0xC3, 1),
        _ => return false,
    };
    head.append_to(code);
    true
}

/// Appends `inst` to `code` if it is one of the forms with a `[base+disp8]` or RIP-relative
/// operand, and returns its label reference if it has one; `None` if it is not one of these
/// forms (nothing is written). Kept apart from [`write_reg`]: its address computation needs
/// more registers than the register forms, which would otherwise all save and restore them.
#[inline(always)]
pub(in crate::x64) fn write_mem(inst: &Inst, code: &mut Vec<u8>) -> Option<Option<Fixup>> {
    let (head, disp) = match *inst {
        Inst::Sse {
            op,
            dst,
            src: XmmMem::Mem(src),
        } => legacy_mem(op.info(), dst.num(), src)?,
        Inst::SseStore { op, dst, src } => legacy_mem(op.info(), src.num(), dst)?,
        Inst::AvxScalar {
            op,
            dst,
            src1,
            src2: XmmMem::Mem(src2),
        } => vex_mem(op.info(), dst.num(), src1.num(), src2)?,
        Inst::Avx128 {
            op,
            dst,
            src1,
            src2: XmmMem::Mem(src2),
        } => vex_mem(op.info(), dst.num(), src1.num(), src2)?,
        _ => return None,
    };
    let Disp::Rip { label, addend } = disp else {
        head.append_to(code);
        return Some(None);
    };
    // The 4 bytes of the RIP-relative displacement are zero until `finish` patches them.
    head.append_with_zeros(code, 4);
    let offset = head.len as usize;
    Some(Some(Fixup {
        offset,
        kind: FixupKind::Rel32,
        label,
        addend,
    }))
}

/// The addressing of `m` with `reg`, if `m` is `[base+disp8]` (or `[base]`) or RIP-relative.
#[inline(always)]
fn compact_operand(reg: u8, m: Mem) -> Option<Addressing> {
    match m.base {
        Base::Reg { index: None, .. } if i8::try_from(m.disp).is_ok() => {}
        Base::Rip(_) => {}
        Base::Reg { .. } => return None,
    }
    Some(address(reg, Rm::Mem(m)))
}

/// `[prefix] [REX] 0F op ModRM`: an SSE2 form up to its ModRM byte, `x` and `b` the REX bits
/// of its operand. The prefix, opcode and ModRM are gathered first, with constant shifts (the
/// prefix and opcode bytes are one constant of the mnemonic: one table load), and REX, when a
/// register is 8-15 (or for REX.W), is then inserted after the prefix.
#[inline(always)]
fn legacy(opc: Opcode, reg: u8, x: bool, b: bool, modrm: u8) -> Head {
    let prefix = match opc.prefix {
        Some(prefix) => Head::EMPTY.then(u64::from(prefix), 1),
        None => Head::EMPTY,
    };
    let opcode = legacy_opcode(opc);
    let head = prefix
        .then(opcode.value(), opcode.len() as u32)
        .then(u64::from(modrm), 1);
    let (w, r) = (u8::from(opc.w), u8::from(reg >= 8));
    let rex = (w << 3) | (r << 2) | (u8::from(x) << 1) | u8::from(b);
    if rex != 0 {
        head.insert(prefix.len, 0x40 | rex)
    } else {
        head
    }
}

/// [`legacy`] with a compact memory operand: the bytes up to a RIP-relative displacement,
/// and the displacement (an 8-bit one is already in the bytes).
#[inline(always)]
fn legacy_mem(opc: Opcode, reg: u8, m: Mem) -> Option<(Head, Disp)> {
    let a = compact_operand(reg, m)?;
    let head = legacy(opc, reg, a.x, a.b, a.modrm).then_sib_disp8(&a);
    Some((head, a.disp))
}

/// `VEX op ModRM`: an AVX scalar form (VEX.128, `vvvv` the first source) up to its ModRM
/// byte, `x` and `b` the extension bits of its operand.
#[inline(always)]
fn vex(opc: Opcode, reg: u8, vvvv: u8, x: bool, b: bool, modrm: u8) -> Head {
    let prefix = vex_prefix(opc, false, reg, vvvv, x, b);
    Head::EMPTY
        .then(prefix.value(), prefix.len() as u32)
        .then(u64::from(opc.op) | u64::from(modrm) << 8, 2)
}

/// [`vex`] with three registers: `VEX op ModRM`.
#[inline(always)]
fn vex_reg(opc: Opcode, dst: Xmm, src1: Xmm, src2: Xmm) -> Head {
    let modrm = modrm(0b11, dst.num(), src2.num());
    vex(opc, dst.num(), src1.num(), false, src2.num() >= 8, modrm)
}

/// [`vex`] with a compact memory operand, as [`legacy_mem`].
#[inline(always)]
fn vex_mem(opc: Opcode, reg: u8, vvvv: u8, m: Mem) -> Option<(Head, Disp)> {
    let a = compact_operand(reg, m)?;
    let head = vex(opc, reg, vvvv, a.x, a.b, a.modrm).then_sib_disp8(&a);
    Some((head, a.disp))
}
