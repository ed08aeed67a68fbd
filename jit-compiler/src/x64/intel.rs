//! Intel-syntax printing of an [`Inst`], as iced-x86's default Intel formatter prints it:
//! lowercase mnemonics, no space after commas, hex numbers as `0FFh` (numbers 0–9 in
//! decimal), memory sizes (`qword ptr`) only where the registers do not imply them,
//! comparison predicates as pseudo-ops (`cmpltsd`), and branch/RIP targets as absolute
//! addresses. (The tests compare every form with iced's output.)

use core::fmt::{self, Write};

use super::inst::{Inst, MovImmForm, SseImmOp};
use super::mem::{Base, GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::Xmm;

/// Names of the 8 SSE comparison predicates (`cmp<pred>sd`).
const SSE_PREDICATES: [&str; 8] = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"];

/// Names of the 32 AVX comparison predicates (`vcmp<pred>pd`).
const AVX_PREDICATES: [&str; 32] = [
    "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord", "eq_uq", "nge", "ngt", "false",
    "neq_oq", "ge", "gt", "true", "eq_os", "lt_oq", "le_oq", "unord_s", "neq_us", "nlt_uq",
    "nle_uq", "ord_s", "eq_us", "nge_uq", "ngt_uq", "false_os", "neq_os", "ge_oq", "gt_oq",
    "true_us",
];

/// The name of comparison predicate `imm` (0–31; 0–7 are SSE's): `lt`, `ge_oq`.
pub(crate) fn predicate_name(imm: u8) -> Option<&'static str> {
    AVX_PREDICATES.get(usize::from(imm)).copied()
}

/// Maps a label to its address, when known (`None` prints the label's name).
pub type Resolver<'a> = &'a dyn Fn(Label) -> Option<u64>;

/// Writes a number like iced: 0–9 in decimal, otherwise uppercase hex with an `h` suffix and
/// a leading `0` when the first digit is a letter (`0FFh`).
pub(crate) fn write_num(f: &mut dyn Write, v: u64) -> fmt::Result {
    if v <= 9 {
        return write!(f, "{v}");
    }
    let digits = (64 - v.leading_zeros()).div_ceil(4);
    let top = v >> ((digits - 1) * 4);
    if top >= 10 {
        f.write_char('0')?;
    }
    write!(f, "{v:X}h")
}

/// Writes a branch target: resolved ones as iced prints them (16 hex digits), else the label.
fn write_target(f: &mut dyn Write, label: Label, resolve: Resolver<'_>) -> fmt::Result {
    match resolve(label) {
        Some(t) if t <= 9 => write!(f, "{t}"),
        Some(t) if t >> 60 >= 10 => write!(f, "0{t:016X}h"),
        Some(t) => write!(f, "{t:016X}h"),
        None => write!(f, "{label}"),
    }
}

/// Writes `+disp` / `-disp` (nothing for 0).
fn write_disp(f: &mut dyn Write, disp: i32) -> fmt::Result {
    match disp {
        0 => Ok(()),
        d if d > 0 => {
            f.write_char('+')?;
            write_num(f, d as u64)
        }
        d => {
            f.write_char('-')?;
            write_num(f, d.unsigned_abs() as u64)
        }
    }
}

/// Writes a memory operand: `[rax+rbx*8-10h]`, or for RIP-relative operands the absolute
/// target address (`[1F0h]`) when the label is resolved, else `[L3+8]`.
pub(crate) fn write_mem(f: &mut dyn Write, m: &Mem, resolve: Resolver<'_>) -> fmt::Result {
    f.write_char('[')?;
    match m.base {
        Base::Reg { base, index } => {
            f.write_str(base.name())?;
            if let Some(index) = index {
                write!(f, "+{}", index.reg())?;
                if index.scale().factor() != 1 {
                    write!(f, "*{}", index.scale().factor())?;
                }
            }
            write_disp(f, m.disp)?;
        }
        Base::Rip(label) => match resolve(label) {
            Some(t) => write_num(f, t.wrapping_add(m.disp as i64 as u64))?,
            None => {
                write!(f, "{label}")?;
                write_disp(f, m.disp)?;
            }
        },
    }
    f.write_char(']')
}

/// Writes an `xmm/m` operand.
fn write_xm(f: &mut dyn Write, x: XmmMem, resolve: Resolver<'_>) -> fmt::Result {
    match x {
        XmmMem::Xmm(r) => f.write_str(r.name()),
        XmmMem::Mem(m) => write_mem(f, &m, resolve),
    }
}

/// `mnemonic xmm, xmm, xmm/m`: the three-operand AVX forms on XMM registers, packed or
/// scalar.
fn write_xmm3(
    f: &mut dyn Write,
    mnemonic: &str,
    dst: Xmm,
    src1: Xmm,
    src2: XmmMem,
    resolve: Resolver<'_>,
) -> fmt::Result {
    write!(f, "{mnemonic} {dst},{src1},")?;
    write_xm(f, src2, resolve)
}

/// Writes a `ymm/m` operand.
fn write_ym(f: &mut dyn Write, y: YmmMem, resolve: Resolver<'_>) -> fmt::Result {
    match y {
        YmmMem::Ymm(r) => f.write_str(r.name()),
        YmmMem::Mem(m) => write_mem(f, &m, resolve),
    }
}

/// Writes an `r/m64` operand; `size` is printed before memory (`qword ptr `).
fn write_gm(f: &mut dyn Write, g: GprMem, size: &str, resolve: Resolver<'_>) -> fmt::Result {
    match g {
        GprMem::Gpr(r) => f.write_str(r.name()),
        GprMem::Mem(m) => {
            f.write_str(size)?;
            write_mem(f, &m, resolve)
        }
    }
}

impl Inst {
    /// Writes the instruction in Intel syntax, resolving labels with `resolve` (branch and
    /// RIP-relative targets then print as absolute addresses, as iced-x86 shows them).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Inst, Mem, SseOp, Xmm::*};
    /// let mut a = Assembler::new();
    /// let c = a.new_label();
    /// let i = Inst::Sse { op: SseOp::Mulsd, dst: Xmm0, src: Mem::rip(c).into() };
    /// let mut text = String::new();
    /// i.write_intel(&mut text, &|l| (l == c).then_some(0x40)).unwrap();
    /// assert_eq!(text, "mulsd xmm0,[40h]");
    /// ```
    pub fn write_intel(&self, f: &mut dyn Write, resolve: Resolver<'_>) -> fmt::Result {
        use Inst::*;
        match *self {
            Sse { op, dst, src } => {
                write!(f, "{} {dst},", op.mnemonic())?;
                write_xm(f, src, resolve)
            }
            SseStore { op, dst, src } => {
                write!(f, "{} ", op.mnemonic())?;
                write_mem(f, &dst, resolve)?;
                write!(f, ",{src}")
            }
            SseImm { op, dst, src, imm } => write_sse_imm(f, op, dst, src, imm, resolve),
            XmmFromGpr { op, dst, src } => write!(f, "{} {dst},{src}", op.mnemonic()),
            GprFromXmm { op, dst, src } => {
                let name = if op.info().0.w {
                    dst.name()
                } else {
                    dst.name32()
                };
                write!(f, "{} {name},{src}", op.mnemonic())
            }
            Avx {
                op,
                dst,
                src1,
                src2,
            } => {
                write!(f, "{} {dst},{src1},", op.mnemonic())?;
                write_ym(f, src2, resolve)
            }
            Avx128 {
                op,
                dst,
                src1,
                src2,
            } => write_xmm3(f, op.mnemonic(), dst, src1, src2, resolve),
            AvxScalar {
                op,
                dst,
                src1,
                src2,
            } => write_xmm3(f, op.mnemonic(), dst, src1, src2, resolve),
            AvxUnary { op, dst, src } => {
                write!(f, "{} {dst},", op.mnemonic())?;
                write_ym(f, src, resolve)
            }
            AvxStore { op, dst, src } => {
                write!(f, "{} ", op.mnemonic())?;
                write_mem(f, &dst, resolve)?;
                write!(f, ",{src}")
            }
            Vcmpsd {
                dst,
                src1,
                src2,
                imm,
            } => {
                write_vcmp(f, "sd", &dst, &src1, imm)?;
                write_xm(f, src2, resolve)?;
                write_vcmp_imm(f, imm)
            }
            Vcmppd {
                dst,
                src1,
                src2,
                imm,
            } => {
                write_vcmp(f, "pd", &dst, &src1, imm)?;
                write_ym(f, src2, resolve)?;
                write_vcmp_imm(f, imm)
            }
            Vblendvpd {
                dst,
                src1,
                src2,
                mask,
            } => {
                write!(f, "vblendvpd {dst},{src1},")?;
                write_ym(f, src2, resolve)?;
                write!(f, ",{mask}")
            }
            Vroundpd { dst, src, imm } => {
                write!(f, "vroundpd {dst},")?;
                write_ym(f, src, resolve)?;
                f.write_char(',')?;
                write_num(f, imm.into())
            }
            Vbroadcastsd { dst, src } => {
                write!(f, "vbroadcastsd {dst},")?;
                write_xm(f, src, resolve)
            }
            Vzeroupper => f.write_str("vzeroupper"),
            Alu { op, dst, src } => {
                write!(f, "{} {dst},", op.mnemonic())?;
                write_gm(f, src, "", resolve)
            }
            AluImm { op, dst, imm } => {
                write!(f, "{} {dst},", op.mnemonic())?;
                write_num(f, imm as i64 as u64)
            }
            Mov { dst, src } => {
                write!(f, "mov {dst},")?;
                write_gm(f, src, "", resolve)
            }
            MovStore { dst, src } => {
                f.write_str("mov ")?;
                write_mem(f, &dst, resolve)?;
                write!(f, ",{src}")
            }
            MovImm { dst, imm } => {
                let name = match MovImmForm::of(imm) {
                    MovImmForm::Zx32 => dst.name32(),
                    _ => dst.name(),
                };
                write!(f, "mov {name},")?;
                write_num(f, imm)
            }
            Lea { dst, src } => {
                write!(f, "lea {dst},")?;
                write_mem(f, &src, resolve)
            }
            Test { dst, src } => write!(f, "test {dst},{src}"),
            Unary { op, dst } => write!(f, "{} {dst}", op.mnemonic()),
            Shift { op, dst, imm } => {
                write!(f, "{} {dst},", op.mnemonic())?;
                write_num(f, imm.into())
            }
            Push(r) => write!(f, "push {r}"),
            Pop(r) => write!(f, "pop {r}"),
            Call(target) => {
                f.write_str("call ")?;
                write_gm(f, target, "qword ptr ", resolve)
            }
            CallLabel(l) => {
                f.write_str("call ")?;
                write_target(f, l, resolve)
            }
            JmpIndirect(target) => {
                f.write_str("jmp ")?;
                write_gm(f, target, "qword ptr ", resolve)
            }
            Jmp(l) => {
                f.write_str("jmp ")?;
                write_target(f, l, resolve)
            }
            JmpShort(l) => {
                f.write_str("jmp short ")?;
                write_target(f, l, resolve)
            }
            Jcc(cc, l) => {
                write!(f, "j{} ", cc.suffix())?;
                write_target(f, l, resolve)
            }
            JccShort(cc, l) => {
                write!(f, "j{} short ", cc.suffix())?;
                write_target(f, l, resolve)
            }
            Setcc(cc, r) => write!(f, "set{} {}", cc.suffix(), r.name8()),
            Movzx8 { dst, src } => write!(f, "movzx {},{}", dst.name32(), src.name8()),
            Prefetch { op, src } => {
                write!(f, "{} ", op.mnemonic())?;
                write_mem(f, &src, resolve)
            }
            Ret => f.write_str("ret"),
            Int3 => f.write_str("int3"),
            Nop => f.write_str("nop"),
        }
    }

    /// Displays the instruction with labels resolved by `resolve`.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Inst};
    /// let mut a = Assembler::new();
    /// let l = a.new_label();
    /// let i = Inst::JccShort(Cond::B, l);
    /// // branch targets above 9 print with 16 hex digits, as iced-x86 prints them
    /// assert_eq!(i.display_with(&|_| Some(0x1C)).to_string(), "jb short 000000000000001Ch");
    /// assert_eq!(i.display_with(&|_| Some(7)).to_string(), "jb short 7");
    /// ```
    pub fn display_with<'a>(&'a self, resolve: Resolver<'a>) -> impl fmt::Display + 'a {
        DisplayWith {
            inst: self,
            resolve,
        }
    }
}

/// `cmpsd`/`cmppd` print predicates 0–7 as pseudo-ops (`cmpltsd xmm0,xmm1`).
fn write_sse_imm(
    f: &mut dyn Write,
    op: SseImmOp,
    dst: Xmm,
    src: XmmMem,
    imm: u8,
    resolve: Resolver<'_>,
) -> fmt::Result {
    let suffix = match op {
        SseImmOp::Cmpsd => "sd",
        SseImmOp::Cmppd => "pd",
        SseImmOp::Shufpd => "",
    };
    let pseudo = !suffix.is_empty() && imm < 8;
    if pseudo {
        write!(f, "cmp{}{suffix} {dst},", SSE_PREDICATES[imm as usize])?;
    } else {
        write!(f, "{} {dst},", op.mnemonic())?;
    }
    write_xm(f, src, resolve)?;
    if !pseudo {
        f.write_char(',')?;
        write_num(f, imm.into())?;
    }
    Ok(())
}

/// `vcmppd`/`vcmpsd` print predicates 0–31 as pseudo-ops (`vcmplt_oqpd`, `vcmpunordsd`): the
/// mnemonic and the registers before the second source.
fn write_vcmp(
    f: &mut dyn Write,
    suffix: &str,
    dst: &dyn fmt::Display,
    src1: &dyn fmt::Display,
    imm: u8,
) -> fmt::Result {
    match AVX_PREDICATES.get(imm as usize) {
        Some(pred) => write!(f, "vcmp{pred}{suffix} {dst},{src1},"),
        None => write!(f, "vcmp{suffix} {dst},{src1},"),
    }
}

/// The immediate of `vcmppd`/`vcmpsd`, written only when it has no pseudo-op.
fn write_vcmp_imm(f: &mut dyn Write, imm: u8) -> fmt::Result {
    if imm >= 32 {
        f.write_char(',')?;
        write_num(f, imm.into())?;
    }
    Ok(())
}

/// Adapter returned by [`Inst::display_with`].
struct DisplayWith<'a> {
    inst: &'a Inst,
    resolve: Resolver<'a>,
}

impl fmt::Display for DisplayWith<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inst.write_intel(f, self.resolve)
    }
}

impl fmt::Display for Inst {
    /// Intel syntax; unresolved labels print by name (`jmp L0`, `[L1]`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_intel(f, &|_| None)
    }
}
