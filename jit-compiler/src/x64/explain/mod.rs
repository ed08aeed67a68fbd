//! Explaining machine code: every instruction in Intel syntax, its bytes split into the
//! fields of the encoding (legacy prefix, REX with its W/R/X/B bits, VEX, opcode, ModRM,
//! SIB, displacement, immediate), and one line on what it does; data shown as values.
//!
//! This is the "learn x64 from the output" view of the project (`trivial-jit EXPR --explain`).
//! The field breakdown is computed from the typed [`Inst`] and its [`Encoding`](super::Encoding), and the
//! bytes shown are the ones in the code (so RIP-relative and branch displacements are the
//! final, patched values).
//!
//! ```
//! use jit_compiler::x64::{explain::explain_inst, Gpr::*, Inst, Mem, SseOp, Xmm::*};
//! let i = Inst::Sse { op: SseOp::Addsd, dst: Xmm9, src: Mem::base_disp(R12, 8).into() };
//! let text = explain_inst(&i);
//! assert!(text.contains("REX"));
//! assert!(text.contains("R=1"));   // xmm9 is register 8+1: REX.R extends ModRM.reg
//! assert!(text.contains("SIB"));   // r12 as a base always needs a SIB byte
//! ```

mod describe;
mod fields;
#[cfg(test)]
mod tests;

use core::fmt::Write;
use std::collections::BTreeMap;

use crate::codegen::{Abi, Compiled, Reloc, Symbol};
use crate::x64::encode::{Disp, encode};
use crate::x64::inst::Inst;
use crate::x64::listing::{Data, Item, ListingEntry};
use crate::x64::mem::Label;

use describe::*;
use fields::*;
pub use fields::{Field, fields};

/// Describes a 16-byte mask by its role in the generated code.
fn mask_text(v: u128) -> String {
    let lo = v as u64;
    let hi = (v >> 64) as u64;
    let role = if lo == hi {
        match lo {
            0x8000_0000_0000_0000 => {
                Some("sign mask: only the sign bit; xorpd flips the sign (-x), andnpd clears it")
            }
            0x7FFF_FFFF_FFFF_FFFF => Some("abs mask: every bit but the sign; andpd gives |x|"),
            0x3FF0_0000_0000_0000 => {
                Some("1.0 in both lanes: andpd with a comparison mask gives 1.0 or 0.0")
            }
            _ => None,
        }
    } else {
        None
    };
    match role {
        Some(r) => format!("{r} (lanes {lo:#018x}, {hi:#018x})"),
        None => format!(
            "lanes {lo:#018x} ({:?}), {hi:#018x} ({:?})",
            f64::from_bits(lo),
            f64::from_bits(hi)
        ),
    }
}

fn symbol_name(s: Symbol) -> String {
    match s {
        Symbol::Unary(op) => format!("`{}`", op.name()),
        Symbol::Binary(op) => format!("`{}`", op.name()),
        Symbol::User(i) => format!("user function #{i}"),
        Symbol::UserContext(i) => format!("the context of user closure #{i}"),
        Symbol::Trampoline => "the closure trampoline".to_owned(),
    }
}

/// Label addresses recovered from the patched displacements in the code.
fn recover_labels(code: &[u8], listing: &[ListingEntry]) -> BTreeMap<Label, u64> {
    let mut labels = BTreeMap::new();
    for e in listing {
        let Item::Inst(inst) = e.item else { continue };
        let Some(fx) = encode(&inst).fixup() else {
            continue;
        };
        let at = e.offset + fx.offset;
        let end = (e.offset + e.len) as i64;
        let rel = match fx.kind {
            crate::x64::encode::FixupKind::Rel8 => code.get(at).map(|&b| i64::from(b as i8)),
            crate::x64::encode::FixupKind::Rel32 => code
                .get(at..at + 4)
                .map(|b| i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
        };
        if let Some(rel) = rel {
            labels.insert(fx.label, (end + rel - i64::from(fx.addend)) as u64);
        }
    }
    labels
}

/// The text of a data directive's value.
fn data_text(d: Data, offset: usize, relocs: &[Reloc]) -> String {
    match d {
        Data::F64(v) => format!("the double {v:?}"),
        Data::U64(bits) => match relocs.iter().find(|r| r.offset as usize == offset) {
            Some(r) => format!(
                "address slot of {} (zero here; the loader writes the function's address)",
                symbol_name(r.symbol)
            ),
            None => format!("the double {:?} (bits {bits:#018x})", f64::from_bits(bits)),
        },
        Data::U128(v) => mask_text(v),
    }
}

/// Explains machine code with its listing: every instruction and its fields, and the data
/// (constants and masks as values).
///
/// ```
/// use jit_compiler::x64::{explain, Assembler, Mem, Xmm::*};
/// let mut a = Assembler::new().with_listing(true);
/// let one = a.new_label();
/// a.addsd(Xmm0, Mem::rip(one));
/// a.ret();
/// a.bind(one);
/// a.data_f64(1.0);
/// let out = a.finish().unwrap();
/// let text = explain(&out.code, &out.listing);
/// assert!(text.contains("addsd xmm0,[9]"));
/// // the patched displacement: 9 (the constant) - 8 (the end of the addsd)
/// assert!(text.contains("01 00 00 00  disp32"));
/// assert!(text.contains("the double 1.0"));
/// ```
pub fn explain(code: &[u8], listing: &[ListingEntry]) -> String {
    explain_with(code, listing, &[], &[], Patched::Yes)
}

/// Explains a compiled expression: the entries, every instruction, the constant pool and
/// the call slots. Needs the listing ([`compile`](crate::codegen::compile) keeps one).
///
/// ```
/// use jit_compiler::codegen::{compile, Abi};
/// use jit_compiler::x64::explain_compiled;
/// let c = compile(&jit_compiler::parse("x + 1").unwrap(), Abi::SysV).unwrap();
/// let text = explain_compiled(&c);
/// assert!(text.contains("; array entry: extern \"sysv64\" fn(args: *const f64) -> f64"));
/// assert!(text.contains("; register entry: extern \"sysv64\" fn(f64) -> f64"));
/// assert!(text.contains("movsd xmm0,[rdi]"));
/// assert!(text.contains("; constant pool"));
/// ```
pub fn explain_compiled(c: &Compiled) -> String {
    let ptr = c.abi.pointer_arg();
    // the convention by its own name: `extern "C"` would be another one on another host
    let abi = c.abi.rust_name();
    let read = match c.arity {
        0 => "no argument is read".to_string(),
        1 => format!("the argument is read from [{ptr}]"),
        n => format!("the {n} arguments are read from [{ptr}]"),
    };
    let mut notes = vec![(
        c.array_entry,
        format!("array entry: extern \"{abi}\" fn(args: *const f64) -> f64; {read}"),
    )];
    if let Some(r) = c.register_entry {
        notes.push((
            r,
            format!(
                "register entry: extern \"{abi}\" fn({}) -> f64; {}",
                vec!["f64"; c.arity].join(", "),
                arrival(c.abi, c.arity)
            ),
        ));
    }
    explain_with(&c.code, &c.listing, &c.relocs, &notes, Patched::Yes)
}

/// Where the register entry finds `arity` arguments: the first ones in `xmm0`..., those
/// beyond the convention's registers on the stack, above the return address (and Win64's
/// 32 bytes of shadow space).
fn arrival(abi: Abi, arity: usize) -> String {
    let in_regs = arity.min(abi.register_args());
    let regs = match in_regs {
        0 => return "no arguments".to_string(),
        1 => "the argument arrives in xmm0".to_string(),
        n => format!("arguments arrive in xmm0..xmm{}", n - 1),
    };
    match arity - in_regs {
        0 => regs,
        rest => format!(
            "{regs} and the other {rest} on the stack from [rsp+{:X}h]",
            8 + abi.shadow_space()
        ),
    }
}

/// Explains one instruction on its own (at offset 0; RIP-relative and branch fields are
/// shown as unpatched zeros).
///
/// ```
/// use jit_compiler::x64::{explain_inst, Gpr::*, Inst};
/// let text = explain_inst(&Inst::Push(R12));
/// assert!(text.starts_with("0000  41 54"));
/// assert!(text.contains("push r12"));
/// assert!(text.contains("0100 0001: W=0 R=0 X=0 B=1")); // REX.B: r12 is 8 + 4
/// assert!(text.contains("50+4"));
/// ```
pub fn explain_inst(inst: &Inst) -> String {
    let bytes = encode(inst).to_vec();
    let entry = ListingEntry {
        offset: 0,
        len: bytes.len(),
        item: Item::Inst(*inst),
    };
    explain_with(&bytes, &[entry], &[], &[], Patched::No)
}

/// Are the label fields of the code filled in (code from `finish`), or zeros (one
/// instruction encoded on its own), which say nothing about where the labels are?
#[derive(Clone, Copy, PartialEq, Eq)]
enum Patched {
    Yes,
    No,
}

fn explain_with(
    code: &[u8],
    listing: &[ListingEntry],
    relocs: &[Reloc],
    notes: &[(usize, String)],
    patched: Patched,
) -> String {
    let labels = match patched {
        Patched::Yes => recover_labels(code, listing),
        Patched::No => BTreeMap::new(),
    };
    let resolve = |l: Label| labels.get(&l).copied();
    let data: BTreeMap<u64, String> = listing
        .iter()
        .filter_map(|e| match e.item {
            Item::Data(d) => Some((e.offset as u64, data_text(d, e.offset, relocs))),
            _ => None,
        })
        .collect();
    let data_at = |a: u64| data.get(&a).cloned();
    let mut out = String::new();
    let mut pool_started = false;
    for e in listing {
        for (at, note) in notes {
            if *at == e.offset && matches!(e.item, Item::Inst(_)) {
                let _ = writeln!(out, "; {note}");
            }
        }
        let bytes = code.get(e.offset..e.offset + e.len).unwrap_or(&[]);
        match e.item {
            Item::Inst(inst) => {
                let text = inst.display_with(&resolve).to_string();
                let _ = writeln!(out, "{:04x}  {:<30} {text}", e.offset, hex(bytes));
                let rip_disp = match encode(&inst).disp {
                    Disp::Rip { .. } if patched == Patched::Yes => {
                        let at = e.len.saturating_sub(4 + encode(&inst).imm.len());
                        bytes.get(at..at + 4).map(le_i32)
                    }
                    _ => None,
                };
                let cx = Ctx {
                    resolve: &resolve,
                    rip_disp,
                    data_at: &data_at,
                };
                let _ = writeln!(out, "      {}", describe(&inst, &cx));
                for f in fields(&inst, bytes) {
                    let _ = writeln!(
                        out,
                        "        {:<12} {:<14} {}",
                        hex(&f.bytes),
                        f.name,
                        f.detail
                    );
                }
            }
            Item::Align(n) => {
                let _ = writeln!(
                    out,
                    "{:04x}  {:<30} align {n}\n      padding with int3 (cc) up to a multiple of {n} bytes",
                    e.offset,
                    abbreviate(bytes)
                );
            }
            Item::Data(d) => {
                if !pool_started {
                    pool_started = true;
                    let _ = writeln!(
                        out,
                        "; constant pool (after the code, read RIP-relative so the code can live at any address)"
                    );
                }
                let _ = writeln!(
                    out,
                    "{:04x}  {:<30} {}",
                    e.offset,
                    abbreviate(bytes),
                    data_text(d, e.offset, relocs)
                );
            }
        }
    }
    out
}

/// Hex bytes, shortened to the first 8 and a count for long runs.
fn abbreviate(bytes: &[u8]) -> String {
    if bytes.len() <= 10 {
        hex(bytes)
    } else {
        format!("{} … ({} bytes)", hex(&bytes[..8]), bytes.len())
    }
}
