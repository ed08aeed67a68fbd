//! The fields of an encoded instruction (prefixes, REX, VEX, opcode, ModRM, SIB,
//! displacement, immediate) and what each bit means.

use core::fmt::Write;

use crate::x64::encode::{Disp, Encoding, Imm, ShortBytes, encode};
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
        AvxUnary { .. } | AvxStore { .. } | Vroundpd { .. } => shape(Reg(Ymm), Ymm),
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
/// patched) are `bytes`: the fields in the order the CPU reads them.
pub fn fields(inst: &Inst, bytes: &[u8]) -> Vec<Field> {
    let enc = encode(inst);
    let sh = shape_of(inst);
    let mut r = Reader { bytes, at: 0 };
    let mut out = Vec::new();
    // Extension bits: (R, X, B) as 0/1, from REX or VEX (which stores them inverted).
    let mut ext = Ext::default();
    if let Some(p) = enc.legacy_prefix {
        out.push(r.field("legacy prefix", 1, |_| {
            format!("{p:02X}: {}", mandatory_prefix_meaning(p))
        }));
    }
    if let Some(rex) = enc.rex {
        ext = Ext::of_rex(rex);
        out.push(r.field("REX", 1, |_| rex_detail(rex, &enc)));
    }
    if let Some((v, n)) = enc.vex.map(ShortBytes::bytes) {
        let (vex_ext, detail) = vex_detail(v, n, &sh);
        ext = vex_ext;
        out.push(r.field("VEX", usize::from(n), |_| detail));
    }
    let (opc, on) = enc.opcode.bytes();
    let opc = &opc[..usize::from(on)];
    out.push(r.field("opcode", opc.len(), |_| {
        opcode_detail(inst, opc, enc.vex.is_some(), &sh, ext)
    }));
    if let Some(m) = enc.modrm {
        out.push(r.field("ModRM", 1, |_| modrm_detail(m, &sh, ext)));
    }
    if let Some(s) = enc.sib {
        out.push(r.field("SIB", 1, |_| sib_detail(s, ext)));
    }
    out.extend(disp_field(&enc.disp, &mut r, bytes.len() == enc.len()));
    out.extend(imm_field(inst, &enc.imm, &mut r));
    out
}

/// Reads the fields' bytes one after the other.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// The next `n` bytes as the field `name`, explained by `detail` (given those bytes).
    fn field(
        &mut self,
        name: &'static str,
        n: usize,
        detail: impl FnOnce(&[u8]) -> String,
    ) -> Field {
        let bytes = self
            .bytes
            .get(self.at..self.at + n)
            .map_or_else(Vec::new, <[u8]>::to_vec);
        self.at += n;
        Field {
            name,
            detail: detail(&bytes),
            bytes,
        }
    }
}

/// The register-extension bits R, X and B (0 or 1 each), which give register numbers 8–15.
#[derive(Clone, Copy, Default)]
struct Ext {
    /// Extends ModRM.reg.
    r: u8,
    /// Extends SIB.index.
    x: u8,
    /// Extends ModRM.rm, SIB.base or the register in the opcode.
    b: u8,
}

impl Ext {
    fn of_rex(rex: u8) -> Ext {
        Ext {
            r: (rex >> 2) & 1,
            x: (rex >> 1) & 1,
            b: rex & 1,
        }
    }
}

/// `0100 WRXB` and what each bit does here.
fn rex_detail(rex: u8, enc: &Encoding) -> String {
    let (w, r, x, b) = ((rex >> 3) & 1, (rex >> 2) & 1, (rex >> 1) & 1, rex & 1);
    let b_note = match (b, enc.modrm.is_some(), enc.sib.is_some()) {
        (0, ..) => "B=0",
        (_, true, true) => "B=1 (SIB.base + 8)",
        (_, true, false) => "B=1 (ModRM.rm + 8)",
        (_, false, _) => "B=1 (opcode register + 8)",
    };
    let notes = [
        if w == 1 {
            "W=1 (64-bit operand size)"
        } else {
            "W=0"
        },
        if r == 1 { "R=1 (ModRM.reg + 8)" } else { "R=0" },
        if x == 1 { "X=1 (SIB.index + 8)" } else { "X=0" },
        b_note,
    ];
    let mut detail = format!("0100 {w}{r}{x}{b}: {}", notes.join(" "));
    if rex == 0x40 {
        detail.push_str(
            " (no bits set: present so that the byte registers spl/bpl/sil/dil can be named)",
        );
    }
    detail
}

/// The fields of a 2-byte (`C5`) or 3-byte (`C4`) VEX prefix, and its extension bits.
fn vex_detail(v: [u8; 3], n: u8, sh: &Shape) -> (Ext, String) {
    // the 2-byte form implies X̄ = B̄ = 1, map 0F and W = 0
    let (r_bar, x_bar, b_bar, map, w, last) = if n == 2 {
        (v[1] >> 7, 1, 1, 1, 0, v[1])
    } else {
        (
            v[1] >> 7,
            (v[1] >> 6) & 1,
            (v[1] >> 5) & 1,
            v[1] & 31,
            v[2] >> 7,
            v[2],
        )
    };
    let (vbar, l, pp) = ((last >> 3) & 15, (last >> 2) & 1, last & 3);
    let ext = Ext {
        r: 1 - r_bar,
        x: 1 - x_bar,
        b: 1 - b_bar,
    };
    let map_name = match map {
        1 => "0F",
        2 => "0F 38",
        3 => "0F 3A",
        _ => "?",
    };
    let pp_name = ["none", "66", "F3", "F2"][usize::from(pp)];
    let vreg = match sh.vvvv {
        Some(c) => format!("{} (stored inverted)", c.name(!vbar & 15)),
        None => "unused (1111)".to_string(),
    };
    let width = if l == 1 { 256 } else { 128 };
    let detail = if n == 2 {
        format!(
            "C5 = 2-byte VEX; R̄={r_bar} (R={}) vvvv̄={} → {vreg} L={l} ({width}-bit) pp={} (implied prefix {pp_name}); map 0F implied",
            ext.r,
            bits(vbar, 4),
            bits(pp, 2),
        )
    } else {
        format!(
            "C4 = 3-byte VEX; R̄={r_bar} X̄={x_bar} B̄={b_bar} (R={} X={} B={}) mmmmm={} (map {map_name}) W={w} vvvv̄={} → {vreg} L={l} ({width}-bit) pp={} (implied prefix {pp_name})",
            ext.r,
            ext.x,
            ext.b,
            bits(map, 5),
            bits(vbar, 4),
            bits(pp, 2),
        )
    };
    (ext, detail)
}

/// The opcode bytes: escape bytes and map, a register in the low 3 bits, a condition in the
/// low 4.
fn opcode_detail(inst: &Inst, opc: &[u8], vex: bool, sh: &Shape, ext: Ext) -> String {
    let mut detail = match opc {
        [0x0F, 0x38, op] => format!("0F 38 {op:02X}: three-byte opcode (escape 0F 38, map 2)"),
        [0x0F, 0x3A, op] => format!("0F 3A {op:02X}: three-byte opcode (escape 0F 3A, map 3)"),
        [0x0F, op] => format!("0F {op:02X}: two-byte opcode (escape 0F)"),
        [op] if vex => format!("{op:02X}: opcode in the map the VEX prefix names"),
        [op] => format!("{op:02X}: one-byte opcode"),
        _ => hex(opc),
    };
    if let (Some(c), Some(&last)) = (sh.plus_reg, opc.last()) {
        let n = (last & 7) | (ext.b << 3);
        let _ = write!(
            detail,
            " = {:02X}+{} (register {} in the low 3 bits{})",
            last & !7,
            last & 7,
            c.name(n),
            if ext.b == 1 { ", plus REX.B" } else { "" }
        );
    }
    if let Inst::Jcc(cc, _) | Inst::JccShort(cc, _) | Inst::Setcc(cc, _) = inst {
        let _ = write!(
            detail,
            " (low 4 bits {:X} = condition {})",
            cc.num(),
            cc.suffix()
        );
    }
    detail
}

/// `mod reg rm` and what each names.
fn modrm_detail(m: u8, sh: &Shape, ext: Ext) -> String {
    let (md, reg, rm) = (m >> 6, (m >> 3) & 7, m & 7);
    let reg_text = match sh.reg {
        RegField::Reg(c) => c.name(reg | (ext.r << 3)).to_string(),
        RegField::Ext => format!("/{reg} (opcode extension)"),
    };
    let rm_text = if md == 3 {
        sh.rm.name(rm | (ext.b << 3)).to_string()
    } else if rm == 4 {
        "SIB byte follows".to_string()
    } else if md == 0 && rm == 5 {
        "RIP-relative: [rip + disp32]".to_string()
    } else {
        format!("[{}]", Gpr::from_num(rm | (ext.b << 3)).name())
    };
    let mod_text = match md {
        3 => "register operand",
        0 if rm == 5 => "memory, RIP-relative disp32",
        0 => "memory, no displacement",
        1 => "memory + disp8",
        _ => "memory + disp32",
    };
    let (md, reg, rm) = (bits(md, 2), bits(reg, 3), bits(rm, 3));
    format!("{md} {reg} {rm}: mod={md} ({mod_text}) reg={reg} → {reg_text} rm={rm} → {rm_text}")
}

/// `scale index base` and what each names.
fn sib_detail(s: u8, ext: Ext) -> String {
    let (ss, index, base) = (s >> 6, (s >> 3) & 7, s & 7);
    let idx = index | (ext.x << 3);
    let index_text = if idx == 4 {
        "none (100 = no index)".to_string()
    } else {
        Gpr::from_num(idx).name().to_string()
    };
    let base_name = Gpr::from_num(base | (ext.b << 3)).name();
    let factor = 1 << ss;
    let (ss, index, base) = (bits(ss, 2), bits(index, 3), bits(base, 3));
    format!(
        "{ss} {index} {base}: scale={ss} (×{factor}) index={index} → {index_text} base={base} → {base_name}"
    )
}

/// The displacement, if any. `complete`: `bytes` is the whole instruction as encoded (a
/// zero RIP displacement is then a label not placed yet).
fn disp_field(disp: &Disp, r: &mut Reader<'_>, complete: bool) -> Option<Field> {
    Some(match *disp {
        Disp::None => return None,
        Disp::D8(_) => r.field("disp8", 1, |b| {
            let d = b.first().map_or(0, |&v| v as i8);
            format!("{d:+} (signed byte, sign-extended)")
        }),
        Disp::D32(_) => r.field("disp32", 4, |b| {
            format!("{:+} (signed 32-bit, little-endian)", le_i32(b))
        }),
        Disp::Rip { label, .. } => r.field("disp32", 4, |b| {
            let d = le_i32(b);
            if b.iter().all(|&x| x == 0) && complete && d == 0 {
                format!(
                    "{d:+}: distance from the end of this instruction to {label} (filled in when the label is placed)"
                )
            } else {
                format!("{d:+} = {d:#x}: distance from the end of this instruction (little-endian)")
            }
        }),
    })
}

/// The immediate, if any: a value, a comparison predicate, a mask register, a jump distance.
fn imm_field(inst: &Inst, imm: &Imm, r: &mut Reader<'_>) -> Option<Field> {
    Some(match *imm {
        Imm::None => return None,
        Imm::I8(v) => r.field("imm8", 1, |_| match inst {
            Inst::SseImm { op, .. } if *op != SseImmOp::Shufpd => predicate_field(v, false),
            Inst::Vcmpsd { .. } | Inst::Vcmppd { .. } => predicate_field(v, true),
            Inst::Vblendvpd { mask, .. } => {
                format!("{v:#04x}: bits 7:4 = {} → mask register {mask}", v >> 4)
            }
            Inst::Vroundpd { .. } => rounding_field(v),
            Inst::AluImm { imm, .. } => format!("{imm} (sign-extended to 64 bits)"),
            _ => format!("{v} = {v:#04x}"),
        }),
        Imm::I32(_) => r.field("imm32", 4, |b| {
            let v = le_i32(b);
            match inst {
                Inst::MovImm { imm, .. } if MovImmForm::of(*imm) == MovImmForm::Zx32 => {
                    format!(
                        "{} (zero-extended: writing a 32-bit register clears bits 32-63)",
                        v as u32
                    )
                }
                _ => format!("{v} (sign-extended to 64 bits)"),
            }
        }),
        Imm::I64(v) => r.field("imm64", 8, |_| format!("{v:#x}")),
        Imm::Rel8(l) => r.field("rel8", 1, |b| {
            let d = b.first().map_or(0, |&v| v as i8);
            format!("{d:+}: jump distance from the end of this instruction (to {l})")
        }),
        Imm::Rel32(l) => r.field("rel32", 4, |b| {
            format!(
                "{:+}: distance from the end of this instruction (to {l})",
                le_i32(b)
            )
        }),
    })
}

/// The immediate of `vroundpd`: its value and what its bits select.
fn rounding_field(imm: u8) -> String {
    let precision = if imm & 8 != 0 {
        "bit 3 = 1: precision exception suppressed"
    } else {
        "bit 3 = 0: precision exception signalled (masked by default)"
    };
    let direction = if imm & 4 != 0 {
        "bit 2 = 1: direction from MXCSR.RC (bits 1:0 ignored)".to_string()
    } else {
        format!("bits 1:0 = {} → round {}", bits(imm & 3, 2), rounding(imm))
    };
    let mut text = format!("{imm} = {imm:#04x}: {direction}; {precision}");
    if imm >> 4 != 0 {
        text.push_str("; bits 7:4 are ignored");
    }
    text
}

pub(super) fn le_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    for (d, s) in a.iter_mut().zip(b) {
        *d = *s;
    }
    i32::from_le_bytes(a)
}

/// The predicate the CPU reads from the immediate `imm` of a comparison: its bits 2:0 for
/// `cmpsd`/`cmppd` (0–7), its bits 4:0 for the VEX forms (0–31). The other bits are ignored.
pub(super) fn effective_predicate(imm: u8, vex: bool) -> u8 {
    if vex { imm & 31 } else { imm & 7 }
}

/// The immediate field of a comparison: its value and the predicate it selects.
fn predicate_field(imm: u8, vex: bool) -> String {
    let p = effective_predicate(imm, vex);
    let mut text = format!("{imm}: comparison predicate {}", predicate(p));
    if p != imm {
        let bits = if vex { "4:0" } else { "2:0" };
        text.push_str(&format!(" (the CPU reads only bits {bits}: {p})"));
    }
    text
}

/// A comparison predicate (0–7 for `cmpsd`/`cmppd`, 0–31 for `vcmpsd`/`vcmppd`; see
/// [`effective_predicate`]) by name and meaning: `lt (less than)`, `ge_oq (greater or equal)`.
pub(super) fn predicate(v: u8) -> String {
    match crate::x64::intel::predicate_name(v) {
        Some(name) => format!("{name} ({})", PREDICATE_MEANINGS[usize::from(v & 15)]),
        None => "?".into(),
    }
}

/// The direction a `vroundpd` immediate selects, as the CPU reads it: bit 2 defers to
/// MXCSR, else bits 1:0 name the direction.
pub(super) fn rounding(imm: u8) -> &'static str {
    if imm & 4 != 0 {
        return "in the direction MXCSR.RC sets";
    }
    match imm & 3 {
        0 => "to nearest (ties to even)",
        1 => "down (floor)",
        2 => "up (ceil)",
        _ => "toward zero (trunc)",
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
        Cond::Ae => "above or equal (CF=0; after ucomisd: ordered and greater or equal)",
        Cond::E => "equal (ZF=1; after ucomisd: equal or unordered)",
        Cond::Ne => "not equal (ZF=0; after ucomisd: ordered and not equal)",
        Cond::Be => "below or equal (CF=1 or ZF=1; after ucomisd: not greater, or unordered)",
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
