//! The assembler's compact path for the forms a compiled expression is mostly made of: the
//! SSE2 `op xmm, xmm` forms (`addsd xmm0,xmm1`, `movapd xmm2,xmm0`), their AVX
//! three-operand scalar forms (`vaddsd xmm2,xmm0,xmm1`) and `ret`.
//!
//! They have one layout each, `prefix [REX] 0F op ModRM` or `VEX op ModRM`, so their bytes
//! are gathered front to back in one integer with no field to test for: no SIB, no
//! displacement, no immediate, no label. Each mnemonic's prefix and opcode are constants of
//! its table, so the encoder's general tests of them (is there a prefix? which opcode map?)
//! fold away. The general encoder ([`encode`](crate::x64::encode())) gives the same bytes for
//! every one of them, and handles every other form; the iced cross-checks test both paths.

use crate::x64::encode::{legacy_opcode, modrm, vex_prefix};
use crate::x64::inst::{Inst, Opcode};
use crate::x64::mem::XmmMem;

/// The bytes of an instruction (at most 7 in these forms with an 8-bit displacement:
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

    /// Appends the bytes to `code`: stores all 8 and cuts back to the length (one store,
    /// where a copy of variable length is a call).
    #[inline(always)]
    fn append_to(self, code: &mut Vec<u8>) {
        let end = code.len() + self.len as usize;
        code.extend_from_slice(&self.bits.to_le_bytes());
        code.truncate(end);
    }
}

/// Appends `inst` to `code` if it is one of the compact forms without a label reference, and
/// tells whether it was (if not, nothing is written).
#[inline(always)]
pub(in crate::x64) fn write(inst: &Inst, code: &mut Vec<u8>) -> bool {
    let head = match *inst {
        Inst::Sse {
            op,
            dst,
            src: XmmMem::Xmm(src),
        } => legacy_reg_reg(op.info(), dst.num(), src.num()),
        Inst::AvxScalar {
            op,
            dst,
            src1,
            src2: XmmMem::Xmm(src2),
        } => vex_reg_reg(op.info(), dst.num(), src1.num(), src2.num()),
        Inst::Ret => Head::EMPTY.then(0xC3, 1),
        _ => return false,
    };
    head.append_to(code);
    true
}

/// `[prefix] [REX] 0F op ModRM` with two registers: an SSE2 form. (Every SSE2 table entry
/// has a mandatory prefix and no REX.W, so the tests of those fold away: REX is only there
/// for registers 8-15.)
#[inline(always)]
fn legacy_reg_reg(opc: Opcode, reg: u8, rm: u8) -> Head {
    let mut head = match opc.prefix {
        Some(prefix) => Head::EMPTY.then(u64::from(prefix), 1),
        None => Head::EMPTY,
    };
    let rex = (u8::from(opc.w) << 3) | (u8::from(reg >= 8) << 2) | u8::from(rm >= 8);
    if rex != 0 {
        head = head.then(u64::from(0x40 | rex), 1);
    }
    // The opcode and ModRM in one step: their shift is then a constant.
    let opcode = legacy_opcode(opc);
    let modrm = u64::from(modrm(0b11, reg, rm));
    head.then(
        opcode.value() | modrm << (8 * opcode.len()),
        opcode.len() as u32 + 1,
    )
}

/// `VEX op ModRM` with three registers: an AVX scalar form (VEX.128, `vvvv` the first
/// source).
#[inline(always)]
fn vex_reg_reg(opc: Opcode, reg: u8, vvvv: u8, rm: u8) -> Head {
    let prefix = vex_prefix(opc, false, reg, vvvv, false, rm >= 8);
    Head::EMPTY
        .then(prefix.value(), prefix.len() as u32)
        .then(u64::from(opc.op), 1)
        .then(u64::from(modrm(0b11, reg, rm)), 1)
}
