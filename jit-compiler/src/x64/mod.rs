//! A typed x86-64 assembler in Intel syntax, written to be read.
//!
//! * [`reg`]: registers as enums ([`Gpr`], [`Xmm`], [`Ymm`]) whose values are hardware numbers.
//! * [`mem`]: typed memory operands ([`Mem`]), [`Label`]s and `xmm/m`-style operand unions.
//! * [`inst`]: [`Inst`], one variant per operand shape, with opcode tables.
//! * `intel`: how an [`Inst`] is written in Intel syntax ([`Inst::write_intel`]).
//! * [`encode`](mod@encode): where bytes are produced: [`Inst`] → [`Encoding`].
//! * [`asm`]: the [`Assembler`] (labels, data, `finish`), with one method per mnemonic form in
//!   [`asm::mnemonics`], and a compact path for the commonest forms (`asm/compact.rs`: the
//!   same bytes as `encode`, in fewer steps).
//! * [`listing`]: offsets, bytes and text for every instruction.
//!
//! ```
//! use jit_compiler::x64::{Assembler, Gpr::*, Mem, Xmm::*};
//! let mut a = Assembler::new().with_listing(true);
//! a.movsd(Xmm0, Mem::base_disp(Rdi, 8));
//! a.mulsd(Xmm0, Xmm0);
//! a.ret();
//! let out = a.finish().unwrap();
//! assert_eq!(out.code, [0xF2, 0x0F, 0x10, 0x47, 0x08, 0xF2, 0x0F, 0x59, 0xC0, 0xC3]);
//! assert_eq!(
//!     out.listing_text(),
//!     "0000  f2 0f 10 47 08                    movsd xmm0,[rdi+8]\n\
//!      0005  f2 0f 59 c0                       mulsd xmm0,xmm0\n\
//!      0009  c3                                ret\n"
//! );
//! ```

pub mod asm;
pub mod encode;
pub mod explain;
pub mod inst;
mod intel;
pub mod listing;
pub mod mem;
pub mod reg;
#[cfg(test)]
mod tests;

pub use asm::{
    AluForm, AsmError, AsmOutput, Assembler, AvxForm, AvxMove, CallTarget, MovForm, Movq, SseMove,
};
pub use encode::{Disp, Encoding, Fixup, FixupKind, Imm, ShortBytes, encode};
pub use explain::{Field, explain, explain_compiled, explain_inst, fields};
pub use inst::{
    AluOp, AvxOp, AvxScalarOp, AvxStoreOp, AvxUnaryOp, Cond, GprFromXmmOp, Inst, MovImmForm,
    Opcode, PrefetchOp, ShiftOp, SseImmOp, SseOp, SseStoreOp, UnaryOp, XmmFromGprOp,
};
pub use listing::{Data, Item, ListingEntry};
pub use mem::{Base, GprMem, Index, Label, Mem, Scale, XmmMem, YmmMem};
pub use reg::{Gpr, Xmm, Ymm};
