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

use core::fmt::Write;
use std::collections::BTreeMap;

use super::encode::{Disp, Imm, encode};
use super::inst::{Cond, GprFromXmmOp, Inst, MovImmForm, SseImmOp, SseOp, SseStoreOp};
use super::listing::{Data, Item, ListingEntry};
use super::mem::{Base, GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::{Gpr, Xmm, Ymm};
use crate::codegen::{Compiled, Reloc, Symbol};

/// One field of an encoded instruction: its name, its bytes and what they mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// `legacy prefix`, `REX`, `VEX`, `opcode`, `ModRM`, `SIB`, `disp8`, `disp32`, `imm8`, …
    pub name: &'static str,
    /// The bytes of the field, as in the code.
    pub bytes: Vec<u8>,
    /// The meaning, e.g. `0100 1001: W=1 (64-bit operand) R=0 X=0 B=1 (rm + 8)`.
    pub detail: String,
}

/// What kind of register a 4-bit register number in a field names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Gpr64,
    Gpr32,
    Gpr8,
    Xmm,
    Ymm,
}

impl Class {
    fn name(self, n: u8) -> &'static str {
        let n = n & 15;
        match self {
            Class::Gpr64 => Gpr::from_num(n).name(),
            Class::Gpr32 => Gpr::from_num(n).name32(),
            Class::Gpr8 => Gpr::from_num(n).name8(),
            Class::Xmm => Xmm::from_num(n).name(),
            Class::Ymm => Ymm::from_num(n).name(),
        }
    }
}

/// What the ModRM.reg field holds.
#[derive(Clone, Copy, Debug)]
enum RegField {
    /// A register operand of this class.
    Reg(Class),
    /// An opcode extension (`/n` in the manual).
    Ext,
}

/// Which register classes an instruction's fields hold.
#[derive(Clone, Copy, Debug)]
struct Shape {
    reg: RegField,
    /// Register class of ModRM.rm when mod = 11.
    rm: Class,
    /// Register class of VEX.vvvv (None: unused, must be 1111).
    vvvv: Option<Class>,
    /// Register class of a register encoded in the opcode's low 3 bits.
    plus_reg: Option<Class>,
}

const fn shape(reg: RegField, rm: Class) -> Shape {
    Shape {
        reg,
        rm,
        vvvv: None,
        plus_reg: None,
    }
}

fn shape_of(inst: &Inst) -> Shape {
    use Class::*;
    use Inst::*;
    use RegField::{Ext, Reg};
    match *inst {
        Sse { .. } | SseStore { .. } | SseImm { .. } => shape(Reg(Xmm), Xmm),
        XmmFromGpr { .. } => shape(Reg(Xmm), Gpr64),
        GprFromXmm { op, .. } => match op {
            GprFromXmmOp::Movq => shape(Reg(Xmm), Gpr64),
            GprFromXmmOp::Cvttsd2si => shape(Reg(Gpr64), Xmm),
            GprFromXmmOp::Movmskpd => shape(Reg(Gpr32), Xmm),
        },
        Avx { .. } | Vcmppd { .. } | Vblendvpd { .. } => Shape {
            vvvv: Some(Ymm),
            ..shape(Reg(Ymm), Ymm)
        },
        Avx128 { .. } => Shape {
            vvvv: Some(Xmm),
            ..shape(Reg(Xmm), Xmm)
        },
        AvxUnary { .. } | AvxStore { .. } => shape(Reg(Ymm), Ymm),
        Vbroadcastsd { .. } => shape(Reg(Ymm), Xmm),
        Alu { .. } | Mov { .. } | MovStore { .. } | Lea { .. } | Test { .. } => {
            shape(Reg(Gpr64), Gpr64)
        }
        MovImm { imm, .. } => Shape {
            plus_reg: match MovImmForm::of(imm) {
                MovImmForm::Zx32 => Some(Gpr32),
                MovImmForm::Imm64 => Some(Gpr64),
                MovImmForm::Sx32 => None,
            },
            ..shape(Ext, Gpr64)
        },
        Push(_) | Pop(_) => Shape {
            plus_reg: Some(Gpr64),
            ..shape(Ext, Gpr64)
        },
        Setcc(..) => shape(Ext, Gpr8),
        Movzx8 { .. } => shape(Reg(Gpr32), Gpr8),
        _ => shape(Ext, Gpr64),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn bits(v: u8, n: u32) -> String {
    format!(
        "{:0width$b}",
        v & ((1u16 << n) - 1) as u8,
        width = n as usize
    )
}

fn mandatory_prefix_meaning(p: u8) -> &'static str {
    match p {
        0x66 => {
            "operand-size prefix; for SSE a mandatory prefix selecting the packed-double (pd) form"
        }
        0xF2 => "REPNE prefix; for SSE a mandatory prefix selecting the scalar-double (sd) form",
        0xF3 => "REP prefix; for SSE a mandatory prefix selecting the scalar-single/movq form",
        _ => "prefix",
    }
}

/// A memory operand as the CPU sees it, with the final (patched) displacement.
fn mem_text(m: &Mem, rip_disp: Option<i32>) -> String {
    match m.base {
        Base::Rip(_) => match rip_disp {
            Some(d) if d < 0 => format!("[rip-{:x}h]", d.unsigned_abs()),
            Some(d) => format!("[rip+{d:x}h]"),
            None => m.to_string(),
        },
        _ => m.to_string(),
    }
}

/// The field breakdown of `inst`, whose encoded bytes (as in the code, displacements
/// patched) are `bytes`.
pub fn fields(inst: &Inst, bytes: &[u8]) -> Vec<Field> {
    let enc = encode(inst);
    let sh = shape_of(inst);
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut take = |n: usize| {
        let b = bytes.get(at..at + n).map_or_else(Vec::new, <[u8]>::to_vec);
        at += n;
        b
    };
    // Extension bits: (R, X, B) as 0/1 (VEX stores them inverted).
    let mut ext = (0u8, 0u8, 0u8);
    if let Some(p) = enc.legacy_prefix {
        out.push(Field {
            name: "legacy prefix",
            bytes: take(1),
            detail: format!("{p:02X}: {}", mandatory_prefix_meaning(p)),
        });
    }
    if let Some(rex) = enc.rex {
        let (w, r, x, b) = ((rex >> 3) & 1, (rex >> 2) & 1, (rex >> 1) & 1, rex & 1);
        ext = (r, x, b);
        let mut notes = Vec::new();
        notes.push(if w == 1 {
            "W=1 (64-bit operand size)"
        } else {
            "W=0"
        });
        notes.push(if r == 1 { "R=1 (ModRM.reg + 8)" } else { "R=0" });
        notes.push(if x == 1 { "X=1 (SIB.index + 8)" } else { "X=0" });
        notes.push(if b == 1 {
            if enc.modrm.is_some() {
                if enc.sib.is_some() {
                    "B=1 (SIB.base + 8)"
                } else {
                    "B=1 (ModRM.rm + 8)"
                }
            } else {
                "B=1 (opcode register + 8)"
            }
        } else {
            "B=0"
        });
        let mut detail = format!("0100 {w}{r}{x}{b}: {}", notes.join(" "));
        if rex == 0x40 {
            detail.push_str(
                " (no bits set: present so that the byte registers spl/bpl/sil/dil can be named)",
            );
        }
        out.push(Field {
            name: "REX",
            bytes: take(1),
            detail,
        });
    }
    if let Some((v, n)) = enc.vex {
        let (r_bar, x_bar, b_bar, map, w, vbar, l, pp);
        if n == 2 {
            r_bar = v[1] >> 7;
            x_bar = 1;
            b_bar = 1;
            map = 1;
            w = 0;
            vbar = (v[1] >> 3) & 15;
            l = (v[1] >> 2) & 1;
            pp = v[1] & 3;
        } else {
            r_bar = v[1] >> 7;
            x_bar = (v[1] >> 6) & 1;
            b_bar = (v[1] >> 5) & 1;
            map = v[1] & 31;
            w = v[2] >> 7;
            vbar = (v[2] >> 3) & 15;
            l = (v[2] >> 2) & 1;
            pp = v[2] & 3;
        }
        ext = (1 - r_bar, 1 - x_bar, 1 - b_bar);
        let vnum = !vbar & 15;
        let map_name = match map {
            1 => "0F",
            2 => "0F 38",
            3 => "0F 3A",
            _ => "?",
        };
        let pp_name = ["none", "66", "F3", "F2"][pp as usize];
        let vreg = match sh.vvvv {
            Some(c) => format!("{} (stored inverted)", c.name(vnum)),
            None => "unused (1111)".to_string(),
        };
        let head = if n == 2 {
            format!(
                "C5 = 2-byte VEX; R̄={r_bar} (R={}) vvvv̄={} → {vreg} L={l} ({}-bit) pp={} (implied prefix {pp_name}); map 0F implied",
                1 - r_bar,
                bits(vbar, 4),
                if l == 1 { 256 } else { 128 },
                bits(pp, 2),
            )
        } else {
            format!(
                "C4 = 3-byte VEX; R̄={r_bar} X̄={x_bar} B̄={b_bar} (R={} X={} B={}) mmmmm={} (map {map_name}) W={w} vvvv̄={} → {vreg} L={l} ({}-bit) pp={} (implied prefix {pp_name})",
                1 - r_bar,
                1 - x_bar,
                1 - b_bar,
                bits(map, 5),
                bits(vbar, 4),
                if l == 1 { 256 } else { 128 },
                bits(pp, 2),
            )
        };
        out.push(Field {
            name: "VEX",
            bytes: take(n as usize),
            detail: head,
        });
    }
    let (opc, on) = enc.opcode;
    let opc = &opc[..on as usize];
    let mut detail = match opc {
        [0x0F, 0x38, op] => format!("0F 38 {op:02X}: three-byte opcode (escape 0F 38, map 2)"),
        [0x0F, 0x3A, op] => format!("0F 3A {op:02X}: three-byte opcode (escape 0F 3A, map 3)"),
        [0x0F, op] => format!("0F {op:02X}: two-byte opcode (escape 0F)"),
        [op] if enc.vex.is_some() => format!("{op:02X}: opcode in the map the VEX prefix names"),
        [op] => format!("{op:02X}: one-byte opcode"),
        _ => hex(opc),
    };
    if let Some(c) = sh.plus_reg {
        let last = opc[opc.len() - 1];
        let n = (last & 7) | (ext.2 << 3);
        let _ = write!(
            detail,
            " = {:02X}+{} (register {} in the low 3 bits{})",
            last & !7,
            last & 7,
            c.name(n),
            if ext.2 == 1 { ", plus REX.B" } else { "" }
        );
    }
    match inst {
        Inst::Jcc(cc, _) | Inst::JccShort(cc, _) | Inst::Setcc(cc, _) => {
            let _ = write!(
                detail,
                " (low 4 bits {:X} = condition {})",
                cc.num(),
                cc.suffix()
            );
        }
        _ => {}
    }
    out.push(Field {
        name: "opcode",
        bytes: take(on as usize),
        detail,
    });
    if let Some(m) = enc.modrm {
        let (md, reg, rm) = (m >> 6, (m >> 3) & 7, m & 7);
        let reg_text = match sh.reg {
            RegField::Reg(c) => c.name(reg | (ext.0 << 3)).to_string(),
            RegField::Ext => format!("/{reg} (opcode extension)"),
        };
        let rm_text = if md == 3 {
            sh.rm.name(rm | (ext.2 << 3)).to_string()
        } else if rm == 4 {
            "SIB byte follows".to_string()
        } else if md == 0 && rm == 5 {
            "RIP-relative: [rip + disp32]".to_string()
        } else {
            format!("[{}]", Gpr::from_num(rm | (ext.2 << 3)).name())
        };
        let mod_text = match md {
            3 => "register operand",
            0 if rm == 5 => "memory, RIP-relative disp32",
            0 => "memory, no displacement",
            1 => "memory + disp8",
            _ => "memory + disp32",
        };
        out.push(Field {
            name: "ModRM",
            bytes: take(1),
            detail: format!(
                "{} {} {}: mod={} ({mod_text}) reg={} → {reg_text} rm={} → {rm_text}",
                bits(md, 2),
                bits(reg, 3),
                bits(rm, 3),
                bits(md, 2),
                bits(reg, 3),
                bits(rm, 3),
            ),
        });
    }
    if let Some(s) = enc.sib {
        let (ss, index, base) = (s >> 6, (s >> 3) & 7, s & 7);
        let idx = index | (ext.1 << 3);
        let index_text = if idx == 4 {
            "none (100 = no index)".to_string()
        } else {
            Gpr::from_num(idx).name().to_string()
        };
        let base_num = base | (ext.2 << 3);
        out.push(Field {
            name: "SIB",
            bytes: take(1),
            detail: format!(
                "{} {} {}: scale={} (×{}) index={} → {index_text} base={} → {}",
                bits(ss, 2),
                bits(index, 3),
                bits(base, 3),
                bits(ss, 2),
                1 << ss,
                bits(index, 3),
                bits(base, 3),
                Gpr::from_num(base_num).name(),
            ),
        });
    }
    match enc.disp {
        Disp::None => {}
        Disp::D8(_) => {
            let b = take(1);
            let d = b.first().map_or(0, |&v| v as i8);
            out.push(Field {
                name: "disp8",
                bytes: b,
                detail: format!("{d:+} (signed byte, sign-extended)"),
            });
        }
        Disp::D32(_) => {
            let b = take(4);
            let d = le_i32(&b);
            out.push(Field {
                name: "disp32",
                bytes: b,
                detail: format!("{d:+} (signed 32-bit, little-endian)"),
            });
        }
        Disp::Rip { label, .. } => {
            let b = take(4);
            let d = le_i32(&b);
            let detail = if b.iter().all(|&x| x == 0) && bytes.len() == enc.len() && d == 0 {
                format!(
                    "{d:+}: distance from the end of this instruction to {label} (filled in when the label is placed)"
                )
            } else {
                format!("{d:+} = {d:#x}: distance from the end of this instruction (little-endian)")
            };
            out.push(Field {
                name: "disp32",
                bytes: b,
                detail,
            });
        }
    }
    match enc.imm {
        Imm::None => {}
        Imm::I8(v) => {
            let b = take(1);
            let detail = match inst {
                Inst::SseImm { op, .. } if *op != SseImmOp::Shufpd => {
                    format!("{v}: comparison predicate {}", sse_predicate(v))
                }
                Inst::Vcmppd { .. } => format!("{v}: comparison predicate"),
                Inst::Vblendvpd { mask, .. } => {
                    format!("{v:#04x}: bits 7:4 = {} → mask register {mask}", v >> 4)
                }
                Inst::AluImm { imm, .. } => format!("{imm} (sign-extended to 64 bits)"),
                _ => format!("{v} = {v:#04x}"),
            };
            out.push(Field {
                name: "imm8",
                bytes: b,
                detail,
            });
        }
        Imm::I32(_) => {
            let b = take(4);
            let v = le_i32(&b);
            let detail = match inst {
                Inst::MovImm { imm, .. } if MovImmForm::of(*imm) == MovImmForm::Zx32 => {
                    format!(
                        "{} (zero-extended: writing a 32-bit register clears bits 32-63)",
                        v as u32
                    )
                }
                _ => format!("{v} (sign-extended to 64 bits)"),
            };
            out.push(Field {
                name: "imm32",
                bytes: b,
                detail,
            });
        }
        Imm::I64(v) => out.push(Field {
            name: "imm64",
            bytes: take(8),
            detail: format!("{v:#x}"),
        }),
        Imm::Rel8(l) => {
            let b = take(1);
            let d = b.first().map_or(0, |&v| v as i8);
            out.push(Field {
                name: "rel8",
                bytes: b,
                detail: format!("{d:+}: jump distance from the end of this instruction (to {l})"),
            });
        }
        Imm::Rel32(l) => {
            let b = take(4);
            let d = le_i32(&b);
            out.push(Field {
                name: "rel32",
                bytes: b,
                detail: format!("{d:+}: distance from the end of this instruction (to {l})"),
            });
        }
    }
    out
}

fn le_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    i32::from_le_bytes(a)
}

fn sse_predicate(v: u8) -> &'static str {
    [
        "eq (equal)",
        "lt (less than)",
        "le (less or equal)",
        "unord (either is NaN)",
        "neq (not equal, or NaN)",
        "nlt (not less than)",
        "nle (not less or equal)",
        "ord (neither is NaN)",
    ]
    .get(v as usize)
    .copied()
    .unwrap_or("?")
}

fn cond_text(cc: Cond) -> &'static str {
    match cc {
        Cond::O => "overflow (OF=1)",
        Cond::No => "no overflow (OF=0)",
        Cond::B => "below (CF=1; after ucomisd: less or unordered)",
        Cond::Ae => "above or equal (CF=0)",
        Cond::E => "equal (ZF=1)",
        Cond::Ne => "not equal (ZF=0)",
        Cond::Be => "below or equal (CF=1 or ZF=1)",
        Cond::A => "above (CF=0 and ZF=0; after ucomisd: ordered and greater)",
        Cond::S => "sign (SF=1)",
        Cond::Ns => "no sign (SF=0)",
        Cond::P => "parity (PF=1; after ucomisd: unordered, a NaN was compared)",
        Cond::Np => "no parity (PF=0; after ucomisd: ordered)",
        Cond::L => "less (signed)",
        Cond::Ge => "greater or equal (signed)",
        Cond::Le => "less or equal (signed)",
        Cond::G => "greater (signed)",
    }
}

/// What operands and labels look like in a description.
struct Ctx<'a> {
    /// Label → address.
    resolve: &'a dyn Fn(Label) -> Option<u64>,
    /// The patched RIP displacement of this instruction.
    rip_disp: Option<i32>,
    /// Describes the data at an address.
    data_at: &'a dyn Fn(u64) -> Option<String>,
}

impl Ctx<'_> {
    fn mem(&self, m: &Mem) -> String {
        let mut s = mem_text(m, self.rip_disp);
        let target = match m.base {
            Base::Rip(l) => (self.resolve)(l),
            Base::Reg { .. } => None,
        };
        if let Some(t) = target {
            let t = t.wrapping_add(m.disp as i64 as u64);
            let _ = write!(s, " (= offset {t:x}h");
            if let Some(d) = (self.data_at)(t) {
                let _ = write!(s, ": {d}");
            }
            s.push(')');
        }
        s
    }

    fn xm(&self, x: XmmMem) -> String {
        match x {
            XmmMem::Xmm(r) => r.to_string(),
            XmmMem::Mem(m) => self.mem(&m),
        }
    }

    fn ym(&self, y: YmmMem) -> String {
        match y {
            YmmMem::Ymm(r) => r.to_string(),
            YmmMem::Mem(m) => self.mem(&m),
        }
    }

    fn gm(&self, g: GprMem) -> String {
        match g {
            GprMem::Gpr(r) => r.to_string(),
            GprMem::Mem(m) => self.mem(&m),
        }
    }

    fn target(&self, l: Label) -> String {
        match (self.resolve)(l) {
            Some(t) => format!("offset {t:x}h"),
            None => l.to_string(),
        }
    }
}

/// One sentence on what the instruction does.
fn describe(inst: &Inst, cx: &Ctx<'_>) -> String {
    use Inst::*;
    let m = inst.to_string();
    let mn = m.split(' ').next().unwrap_or("").to_string();
    let what = match *inst {
        Sse { op, dst, src } => {
            let s = cx.xm(src);
            let is_mem = matches!(src, XmmMem::Mem(_));
            match op {
                SseOp::Movsd if is_mem => {
                    format!(
                        "load the double at {s} into the low half of {dst}, zeroing the upper half"
                    )
                }
                SseOp::Movsd => format!("copy the low double of {s} into {dst} (upper half kept)"),
                SseOp::Movapd if is_mem => {
                    format!("{dst} = {s} (all 128 bits; the address must be 16-byte aligned)")
                }
                SseOp::Movapd => format!(
                    "{dst} = {s} (copies all 128 bits: shorter than movsd, no dependency on {dst})"
                ),
                SseOp::Movupd => format!("{dst} = {s} (all 128 bits, any alignment)"),
                SseOp::Movq => {
                    format!("copy the low 64 bits of {s} into {dst}, zeroing the upper half")
                }
                SseOp::Addsd => format!("add the low doubles: {dst} = {dst} + {s}"),
                SseOp::Subsd => format!("subtract the low doubles: {dst} = {dst} - {s}"),
                SseOp::Mulsd => format!("multiply the low doubles: {dst} = {dst} * {s}"),
                SseOp::Divsd => format!("divide the low doubles: {dst} = {dst} / {s}"),
                SseOp::Minsd => format!(
                    "{dst} = {dst} < {s} ? {dst} : {s} (the second operand if either is NaN)"
                ),
                SseOp::Maxsd => format!(
                    "{dst} = {dst} > {s} ? {dst} : {s} (the second operand if either is NaN)"
                ),
                SseOp::Sqrtsd => {
                    format!("square root of the low double: {dst} = sqrt({s}) (correctly rounded)")
                }
                SseOp::Addpd => format!("add both doubles lane by lane: {dst} = {dst} + {s}"),
                SseOp::Subpd => format!("subtract both doubles lane by lane: {dst} = {dst} - {s}"),
                SseOp::Mulpd => format!("multiply both doubles lane by lane: {dst} = {dst} * {s}"),
                SseOp::Divpd => format!("divide both doubles lane by lane: {dst} = {dst} / {s}"),
                SseOp::Minpd => format!("lane-wise minimum: {dst} = min({dst}, {s})"),
                SseOp::Maxpd => format!("lane-wise maximum: {dst} = max({dst}, {s})"),
                SseOp::Sqrtpd => format!("square roots of both doubles: {dst} = sqrt({s})"),
                SseOp::Andpd => format!("bitwise and of 128 bits: {dst} = {dst} & {s}"),
                SseOp::Andnpd => format!("bitwise and-not of 128 bits: {dst} = !{dst} & {s}"),
                SseOp::Orpd => format!("bitwise or of 128 bits: {dst} = {dst} | {s}"),
                SseOp::Xorpd => format!("bitwise xor of 128 bits: {dst} = {dst} ^ {s}"),
                SseOp::Ucomisd => format!(
                    "compare the low doubles {dst} and {s}: sets ZF, CF (less) and PF (unordered: a NaN)"
                ),
                SseOp::Unpcklpd => format!("{dst} = (low of {dst}, low of {s})"),
                SseOp::Unpckhpd => format!("{dst} = (high of {dst}, high of {s})"),
            }
        }
        SseStore { op, dst, src } => {
            let d = cx.mem(&dst);
            match op {
                SseStoreOp::Movsd | SseStoreOp::Movq => {
                    format!("store the low double of {src} to {d}")
                }
                SseStoreOp::Movapd => {
                    format!("store all 128 bits of {src} to {d} (16-byte aligned)")
                }
                SseStoreOp::Movupd => format!("store all 128 bits of {src} to {d}"),
            }
        }
        SseImm { op, dst, src, imm } => {
            let s = cx.xm(src);
            match op {
                SseImmOp::Cmpsd => format!(
                    "compare the low doubles: {dst} = all ones if {dst} {} {s}, else all zeros",
                    [
                        "==",
                        "<",
                        "<=",
                        "is unordered with",
                        "!=",
                        "is not <",
                        "is not <=",
                        "is ordered with"
                    ]
                    .get(usize::from(imm))
                    .copied()
                    .unwrap_or("?")
                ),
                SseImmOp::Cmppd => format!(
                    "compare both lanes ({}): each lane all ones if true, else zeros",
                    sse_predicate(imm)
                ),
                SseImmOp::Shufpd => format!("pick lanes of {dst} and {s} by the bits of {imm}"),
            }
        }
        XmmFromGpr { op, dst, src } => match op {
            super::inst::XmmFromGprOp::Cvtsi2sd => {
                format!("convert the 64-bit integer {src} to a double in {dst}")
            }
            super::inst::XmmFromGprOp::Movq => {
                format!("copy the 64 bits of {src} into the low half of {dst}")
            }
        },
        GprFromXmm { op, dst, src } => match op {
            GprFromXmmOp::Cvttsd2si => {
                format!(
                    "convert the low double of {src} to a 64-bit integer in {dst}, rounding toward zero"
                )
            }
            GprFromXmmOp::Movmskpd => {
                format!(
                    "the sign bits of the two lanes of {src} → bits 0 and 1 of {}",
                    dst.name32()
                )
            }
            GprFromXmmOp::Movq => format!("copy the low 64 bits of {src} into {dst}"),
        },
        Avx {
            op,
            dst,
            src1,
            src2,
        } => format!(
            "4 doubles lane by lane: {dst} = {src1} {} {}",
            avx_sym(op.mnemonic()),
            cx.ym(src2)
        ),
        Avx128 {
            op,
            dst,
            src1,
            src2,
        } => format!(
            "2 doubles lane by lane: {dst} = {src1} {} {} (upper 128 bits of the ymm zeroed)",
            avx_sym(op.mnemonic()),
            cx.xm(src2)
        ),
        AvxUnary { op, dst, src } => match op {
            super::inst::AvxUnaryOp::Vsqrtpd => {
                format!("{dst} = sqrt({}) lane by lane", cx.ym(src))
            }
            _ => format!("{dst} = {} (256 bits)", cx.ym(src)),
        },
        AvxStore { dst, src, .. } => format!("store the 256 bits of {src} to {}", cx.mem(&dst)),
        Vcmppd {
            dst, src1, src2, ..
        } => format!(
            "compare {src1} with {} lane by lane: {dst} lane = all ones if true",
            cx.ym(src2)
        ),
        Vblendvpd {
            dst,
            src1,
            src2,
            mask,
        } => format!(
            "per lane: {dst} = sign of {mask} set ? {} : {src1}",
            cx.ym(src2)
        ),
        Vbroadcastsd { dst, src } => {
            format!("copy the double {} into all 4 lanes of {dst}", cx.xm(src))
        }
        Vzeroupper => {
            "zero the upper halves of all ymm registers (avoids SSE/AVX transition stalls)"
                .to_string()
        }
        Alu { op, dst, src } => {
            let s = cx.gm(src);
            match op.mnemonic() {
                "cmp" => format!("compare {dst} with {s} (computes {dst} - {s}, sets flags only)"),
                o => format!(
                    "{dst} = {dst} {} {s} (64-bit integers; sets flags)",
                    int_sym(o)
                ),
            }
        }
        AluImm { op, dst, imm } => match op.mnemonic() {
            "cmp" => format!("compare {dst} with {imm} (sets flags only)"),
            "sub" if dst == Gpr::Rsp => {
                format!("rsp = rsp - {imm}: reserve {imm} bytes of stack")
            }
            "add" if dst == Gpr::Rsp => {
                format!("rsp = rsp + {imm}: release {imm} bytes of stack")
            }
            o => format!(
                "{dst} = {dst} {} {imm} (64-bit integers; sets flags)",
                int_sym(o)
            ),
        },
        Mov { dst, src } => format!("{dst} = {}", cx.gm(src)),
        MovStore { dst, src } => format!("store {src} to {}", cx.mem(&dst)),
        MovImm { dst, imm } => format!("{dst} = {imm:#x}"),
        Lea { dst, src } => format!("{dst} = the address {} (no memory access)", cx.mem(&src)),
        Test { dst, src } => format!("set flags from {dst} & {src} (result discarded)"),
        Unary { op, dst } => match op.mnemonic() {
            "inc" => format!("{dst} = {dst} + 1"),
            "dec" => format!("{dst} = {dst} - 1"),
            "not" => format!("{dst} = !{dst} (bitwise)"),
            _ => format!("{dst} = -{dst} (two's complement)"),
        },
        Shift { op, dst, imm } => match op.mnemonic() {
            "shl" => format!("{dst} = {dst} << {imm}"),
            "shr" => format!("{dst} = {dst} >> {imm} (logical: zeros shifted in)"),
            _ => format!("{dst} = {dst} >> {imm} (arithmetic: sign bit shifted in)"),
        },
        Push(r) => format!("rsp = rsp - 8; [rsp] = {r}"),
        Pop(r) => format!("{r} = [rsp]; rsp = rsp + 8"),
        Call(t) => match t {
            GprMem::Gpr(r) => {
                format!("call the function at the address in {r} (pushes the return address)")
            }
            GprMem::Mem(mm) => format!(
                "call the function whose address is stored at {} (pushes the return address)",
                cx.mem(&mm)
            ),
        },
        CallLabel(l) => format!("call {} (pushes the return address)", cx.target(l)),
        Jmp(l) | JmpShort(l) => format!("jump to {}", cx.target(l)),
        Jcc(cc, l) | JccShort(cc, l) => {
            format!("jump to {} if {}", cx.target(l), cond_text(cc))
        }
        Setcc(cc, r) => format!("{} = 1 if {}, else 0", r.name8(), cond_text(cc)),
        Movzx8 { dst, src } => format!(
            "{} = {} zero-extended (the whole of {dst} is written)",
            dst.name32(),
            src.name8()
        ),
        Ret => "return: pop the return address and jump to it (the result is in xmm0)".to_string(),
        Int3 => "breakpoint trap (padding; never executed)".to_string(),
        Nop => "do nothing".to_string(),
    };
    format!("{mn}: {what}")
}

fn avx_sym(mn: &str) -> &'static str {
    match mn {
        "vaddpd" => "+",
        "vsubpd" => "-",
        "vmulpd" => "*",
        "vdivpd" => "/",
        "vminpd" => "min",
        "vmaxpd" => "max",
        "vandpd" => "&",
        "vandnpd" => "&! (and-not)",
        "vorpd" => "|",
        _ => "^",
    }
}

fn int_sym(mn: &str) -> &'static str {
    match mn {
        "add" => "+",
        "sub" => "-",
        "and" => "&",
        "or" => "|",
        _ => "^",
    }
}

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
            super::encode::FixupKind::Rel8 => code.get(at).map(|&b| i64::from(b as i8)),
            super::encode::FixupKind::Rel32 => code
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
pub fn explain(code: &[u8], listing: &[ListingEntry]) -> String {
    explain_with(code, listing, &[], &[])
}

/// Explains a compiled expression: the entries, every instruction, the constant pool and
/// the call slots. Needs the listing ([`compile`](crate::codegen::compile) keeps one).
pub fn explain_compiled(c: &Compiled) -> String {
    let mut notes = vec![(
        c.array_entry,
        format!(
            "array entry: extern \"C\" fn(args: *const f64) -> f64; the {} argument(s) are read from [{}]",
            c.arity,
            c.abi.pointer_arg()
        ),
    )];
    if let Some(r) = c.register_entry {
        notes.push((
            r,
            format!(
                "register entry: extern \"C\" fn({}) -> f64; arguments arrive in {}",
                vec!["f64"; c.arity].join(", "),
                match c.arity {
                    0 => "no registers".to_string(),
                    1 => "xmm0".to_string(),
                    n => format!("xmm0..xmm{}", n - 1),
                }
            ),
        ));
    }
    explain_with(&c.code, &c.listing, &c.relocs, &notes)
}

/// Explains one instruction on its own (at offset 0; RIP-relative and branch fields are
/// shown as unpatched zeros).
pub fn explain_inst(inst: &Inst) -> String {
    let bytes = encode(inst).to_vec();
    let entry = ListingEntry {
        offset: 0,
        len: bytes.len(),
        item: Item::Inst(*inst),
    };
    explain(&bytes, &[entry])
}

fn explain_with(
    code: &[u8],
    listing: &[ListingEntry],
    relocs: &[Reloc],
    notes: &[(usize, String)],
) -> String {
    let labels = recover_labels(code, listing);
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
                    Disp::Rip { .. } => {
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

/// The expected breakdowns below are written by hand from the Intel SDM, Vol. 2 (§2.1
/// "Instruction format", Tables 2-2 and 2-3 for ModRM/SIB, §2.2.1 REX, §2.3.5 VEX) and the
/// instruction pages (ADDSD `F2 0F 58 /r`, MOVSD `F2 0F 10 /r`, ADD `REX.W 83 /0 ib`,
/// SUB `REX.W 83 /5 ib`, CALL `FF /2`, PUSH `50+rd`, VADDPD `VEX.256.66.0F.WIG 58 /r`).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::x64::{Assembler, AvxOp, Gpr::*, Scale, Xmm::*, Ymm::*};

    /// `name bytes` per field, one per line.
    fn layout(inst: &Inst) -> String {
        let bytes = encode(inst).to_vec();
        fields(inst, &bytes)
            .iter()
            .map(|f| format!("{} {}", f.name, hex(&f.bytes)))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn detail(inst: &Inst, name: &str) -> String {
        let bytes = encode(inst).to_vec();
        fields(inst, &bytes)
            .into_iter()
            .find(|f| f.name == name)
            .map(|f| f.detail)
            .unwrap_or_default()
    }

    fn sse(op: SseOp, dst: Xmm, src: impl Into<XmmMem>) -> Inst {
        Inst::Sse {
            op,
            dst,
            src: src.into(),
        }
    }

    #[test]
    fn rex_r_for_xmm8_to_15_in_modrm_reg() {
        // addsd xmm9, xmm1 = F2 REX.R 0F 58 /r; REX = 0100 0100; ModRM = 11 001 001
        let i = sse(SseOp::Addsd, Xmm9, Xmm1);
        assert_eq!(
            layout(&i),
            "legacy prefix f2; REX 44; opcode 0f 58; ModRM c9"
        );
        assert!(detail(&i, "REX").starts_with("0100 0100: W=0 R=1"));
        assert!(detail(&i, "ModRM").contains("reg=001 → xmm9 rm=001 → xmm1"));
    }

    #[test]
    fn rex_b_for_xmm8_to_15_in_modrm_rm() {
        // addsd xmm1, xmm10: REX.B = 0100 0001; ModRM = 11 001 010
        let i = sse(SseOp::Addsd, Xmm1, Xmm10);
        assert_eq!(
            layout(&i),
            "legacy prefix f2; REX 41; opcode 0f 58; ModRM ca"
        );
        assert!(detail(&i, "REX").contains("B=1 (ModRM.rm + 8)"));
        assert!(
            detail(&i, "ModRM").contains("mod=11 (register operand) reg=001 → xmm1 rm=010 → xmm10")
        );
    }

    #[test]
    fn sib_for_rsp_base_with_disp8() {
        // movsd xmm0, [rsp+8]: ModRM 01 000 100 (SIB follows), SIB 00 100 100, disp8 08
        let i = sse(SseOp::Movsd, Xmm0, Mem::base_disp(Rsp, 8));
        assert_eq!(
            layout(&i),
            "legacy prefix f2; opcode 0f 10; ModRM 44; SIB 24; disp8 08"
        );
        assert!(
            detail(&i, "ModRM")
                .contains("mod=01 (memory + disp8) reg=000 → xmm0 rm=100 → SIB byte follows")
        );
        assert!(
            detail(&i, "SIB")
                .contains("scale=00 (×1) index=100 → none (100 = no index) base=100 → rsp")
        );
        assert_eq!(detail(&i, "disp8"), "+8 (signed byte, sign-extended)");
    }

    #[test]
    fn sib_for_r12_base_needs_rex_b() {
        // movsd xmm0, [r12]: REX.B, ModRM 00 000 100, SIB 00 100 100 (base 100 + B = r12)
        let i = sse(SseOp::Movsd, Xmm0, Mem::base(R12));
        assert_eq!(
            layout(&i),
            "legacy prefix f2; REX 41; opcode 0f 10; ModRM 04; SIB 24"
        );
        assert!(detail(&i, "REX").contains("B=1 (SIB.base + 8)"));
        assert!(detail(&i, "SIB").ends_with("base=100 → r12"));
    }

    #[test]
    fn r13_base_needs_a_zero_disp8() {
        // mod=00 rm=101 would mean RIP-relative, so [r13] is [r13+0] with mod=01.
        let i = sse(SseOp::Movsd, Xmm0, Mem::base(R13));
        assert_eq!(
            layout(&i),
            "legacy prefix f2; REX 41; opcode 0f 10; ModRM 45; disp8 00"
        );
    }

    #[test]
    fn disp32_when_it_does_not_fit_a_byte() {
        // movsd xmm0, [rdi+1000]: ModRM 10 000 111, disp32 E8 03 00 00 (little-endian)
        let i = sse(SseOp::Movsd, Xmm0, Mem::base_disp(Rdi, 1000));
        assert_eq!(
            layout(&i),
            "legacy prefix f2; opcode 0f 10; ModRM 87; disp32 e8 03 00 00"
        );
        assert!(detail(&i, "ModRM").contains("mod=10 (memory + disp32)"));
        assert_eq!(detail(&i, "disp32"), "+1000 (signed 32-bit, little-endian)");
    }

    #[test]
    fn scaled_index_and_rex_x() {
        // movsd xmm0, [rdi+rcx*8-16]: ModRM 01 000 100, SIB 11 001 111, disp8 F0
        let i = sse(
            SseOp::Movsd,
            Xmm0,
            Mem::base_index(Rdi, Rcx, Scale::S8, -16),
        );
        assert_eq!(
            layout(&i),
            "legacy prefix f2; opcode 0f 10; ModRM 44; SIB cf; disp8 f0"
        );
        assert!(detail(&i, "SIB").contains("scale=11 (×8) index=001 → rcx base=111 → rdi"));
        // movsd xmm0, [rdi+r9*8]: REX.X = 0100 0010
        let i = sse(SseOp::Movsd, Xmm0, Mem::base_index(Rdi, R9, Scale::S8, 0));
        assert_eq!(
            layout(&i),
            "legacy prefix f2; REX 42; opcode 0f 10; ModRM 04; SIB cf"
        );
        assert!(detail(&i, "REX").contains("X=1 (SIB.index + 8)"));
        assert!(detail(&i, "SIB").contains("index=001 → r9"));
    }

    #[test]
    fn rip_relative_displacement_is_patched() {
        // addsd xmm0, [rip+disp32]: ModRM 00 000 101; the constant is 8 bytes after the
        // end of the 8-byte instruction (ret, then 7 bytes of padding to offset 16).
        let mut a = Assembler::new().with_listing(true);
        let c = a.new_label();
        a.addsd(Xmm0, Mem::rip(c));
        a.ret();
        a.align(8);
        a.bind(c);
        a.data_f64(2.5);
        let out = a.finish().unwrap();
        assert_eq!(&out.code[..8], [0xF2, 0x0F, 0x58, 0x05, 0x08, 0, 0, 0]);
        let text = explain(&out.code, &out.listing);
        assert!(
            text.contains(
                "addsd: add the low doubles: xmm0 = xmm0 + [rip+8h] (= offset 10h: the double 2.5)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "mod=00 (memory, RIP-relative disp32) reg=000 → xmm0 rm=101 → RIP-relative"
            ),
            "{text}"
        );
        assert!(
            text.contains("08 00 00 00  disp32         +8 = 0x8: distance from the end"),
            "{text}"
        );
        assert!(text.contains("0010  00 00 00 00 00 00 04 40"), "{text}");
    }

    #[test]
    fn integer_forms() {
        // add rsp, 24 = REX.W 83 /0 ib: ModRM 11 000 100
        let add = Inst::AluImm {
            op: crate::x64::AluOp::Add,
            dst: Rsp,
            imm: 24,
        };
        assert_eq!(layout(&add), "REX 48; opcode 83; ModRM c4; imm8 18");
        assert!(detail(&add, "REX").starts_with("0100 1000: W=1 (64-bit operand size)"));
        assert!(detail(&add, "ModRM").contains("reg=000 → /0 (opcode extension) rm=100 → rsp"));
        // sub rsp, 24 = REX.W 83 /5 ib: ModRM 11 101 100
        let sub = Inst::AluImm {
            op: crate::x64::AluOp::Sub,
            dst: Rsp,
            imm: 24,
        };
        assert_eq!(layout(&sub), "REX 48; opcode 83; ModRM ec; imm8 18");
        // push r12 = REX.B 50+4
        let push = Inst::Push(R12);
        assert_eq!(layout(&push), "REX 41; opcode 54");
        assert!(
            detail(&push, "opcode").contains("50+4 (register r12 in the low 3 bits, plus REX.B)")
        );
        // call qword ptr [rdi+8] = FF /2: ModRM 01 010 111
        let call = Inst::Call(GprMem::Mem(Mem::base_disp(Rdi, 8)));
        assert_eq!(layout(&call), "opcode ff; ModRM 57; disp8 08");
        assert!(detail(&call, "ModRM").contains("reg=010 → /2 (opcode extension)"));
    }

    #[test]
    fn vex_two_and_three_bytes() {
        // vaddpd ymm0, ymm1, ymm2 = VEX.256.66.0F 58 /r; C5: R̄=1 vvvv̄=1110 L=1 pp=01
        let i = Inst::Avx {
            op: AvxOp::Vaddpd,
            dst: Ymm0,
            src1: Ymm1,
            src2: Ymm2.into(),
        };
        assert_eq!(layout(&i), "VEX c5 f5; opcode 58; ModRM c2");
        let d = detail(&i, "VEX");
        assert!(d.contains("R̄=1 (R=0) vvvv̄=1110 → ymm1 (stored inverted) L=1 (256-bit) pp=01 (implied prefix 66)"), "{d}");
        // vaddpd ymm8, ymm1, ymm12: needs B, so C4: R̄=0 X̄=1 B̄=0 mmmmm=00001; W=0 vvvv̄=1110 L=1 pp=01
        let i = Inst::Avx {
            op: AvxOp::Vaddpd,
            dst: Ymm8,
            src1: Ymm1,
            src2: Ymm12.into(),
        };
        assert_eq!(layout(&i), "VEX c4 41 75; opcode 58; ModRM c4");
        let d = detail(&i, "VEX");
        assert!(
            d.contains("R̄=0 X̄=1 B̄=0 (R=1 X=0 B=1) mmmmm=00001 (map 0F) W=0 vvvv̄=1110 → ymm1"),
            "{d}"
        );
        assert!(detail(&i, "ModRM").contains("reg=000 → ymm8 rm=100 → ymm12"));
    }

    #[test]
    fn comparison_predicate_and_relative_jumps() {
        let i = Inst::SseImm {
            op: SseImmOp::Cmpsd,
            dst: Xmm1,
            src: Xmm2.into(),
            imm: 1,
        };
        assert_eq!(
            layout(&i),
            "legacy prefix f2; opcode 0f c2; ModRM ca; imm8 01"
        );
        assert!(detail(&i, "imm8").contains("lt (less than)"));
        let mut a = Assembler::new().with_listing(true);
        let l = a.new_label();
        a.jcc(Cond::P, l);
        a.nop();
        a.bind(l);
        a.ret();
        let out = a.finish().unwrap();
        let text = explain(&out.code, &out.listing);
        assert!(text.contains("0f 8a        opcode         0F 8A: two-byte opcode (escape 0F) (low 4 bits A = condition p)"), "{text}");
        assert!(
            text.contains(
                "01 00 00 00  rel32          +1: distance from the end of this instruction"
            ),
            "{text}"
        );
        assert!(text.contains("jp: jump to offset 7h if parity"), "{text}");
    }
}
