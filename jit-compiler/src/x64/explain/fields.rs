//! The fields of an encoded instruction (prefixes, REX, VEX, opcode, ModRM, SIB,
//! displacement, immediate) and what each bit means.

use core::fmt::Write;

use crate::x64::encode::{Disp, Imm, encode};
use crate::x64::inst::{Cond, GprFromXmmOp, Inst, MovImmForm, SseImmOp};
use crate::x64::mem::{Base, Mem};
use crate::x64::reg::{Gpr, Xmm, Ymm};

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
pub(super) enum Class {
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
pub(super) enum RegField {
    /// A register operand of this class.
    Reg(Class),
    /// An opcode extension (`/n` in the manual).
    Ext,
}

/// Which register classes an instruction's fields hold.
#[derive(Clone, Copy, Debug)]
pub(super) struct Shape {
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

pub(super) fn shape_of(inst: &Inst) -> Shape {
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
        Avx128 { .. } | AvxScalar { .. } | Vcmpsd { .. } => Shape {
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

pub(super) fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub(super) fn bits(v: u8, n: u32) -> String {
    format!(
        "{:0width$b}",
        v & ((1u16 << n) - 1) as u8,
        width = n as usize
    )
}

pub(super) fn mandatory_prefix_meaning(p: u8) -> &'static str {
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
pub(super) fn mem_text(m: &Mem, rip_disp: Option<i32>) -> String {
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
                    format!("{v}: comparison predicate {}", predicate(v))
                }
                Inst::Vcmpsd { .. } | Inst::Vcmppd { .. } => {
                    format!("{v}: comparison predicate {}", predicate(v))
                }
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

pub(super) fn le_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    i32::from_le_bytes(a)
}

/// A comparison predicate (the immediate of `cmpsd`/`cmppd`, 0–7, and of `vcmpsd`/`vcmppd`,
/// 0–31) by name and meaning: `lt (less than)`, `ge_oq (greater or equal)`.
pub(super) fn predicate(v: u8) -> String {
    match crate::x64::intel::predicate_name(v) {
        Some(name) => format!("{name} ({})", PREDICATE_MEANINGS[usize::from(v & 15)]),
        None => "?".into(),
    }
}

/// What predicates 0–15 test; 16–31 test the same and differ only in which NaNs raise the
/// invalid-operation flag, which the generated code never unmasks.
const PREDICATE_MEANINGS: [&str; 16] = [
    "equal",
    "less than",
    "less or equal",
    "either is NaN",
    "not equal, or NaN",
    "not less than",
    "not less or equal",
    "neither is NaN",
    "equal, or NaN",
    "not greater or equal",
    "not greater than",
    "never",
    "not equal, neither NaN",
    "greater or equal",
    "greater than",
    "always",
];

/// The test of predicate `v` written out for its operands `a` and `b`: `xmm0 < xmm1`.
pub(super) fn relation(v: u8, a: &str, b: &str) -> String {
    const RELATIONS: [&str; 16] = [
        "==",
        "<",
        "<=",
        "is unordered with",
        "!=",
        "is not <",
        "is not <=",
        "is ordered with",
        "== (or unordered with)",
        "is not >=",
        "is not >",
        "",
        "!= (and ordered with)",
        ">=",
        ">",
        "",
    ];
    match v & 15 {
        11 => "never".into(),
        15 => "always".into(),
        r => format!("{a} {} {b}", RELATIONS[usize::from(r)]),
    }
}

pub(super) fn cond_text(cc: Cond) -> &'static str {
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
