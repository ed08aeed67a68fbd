//! One sentence per instruction on what it does.

use core::fmt::Write;

use super::*;
use crate::x64::inst::{AvxOp, GprFromXmmOp, Inst, PrefetchOp, SseImmOp, SseOp, SseStoreOp};
use crate::x64::mem::{Base, GprMem, Label, Mem, XmmMem, YmmMem};
use crate::x64::reg::Gpr;

/// What operands and labels look like in a description.
pub(super) struct Ctx<'a> {
    /// Label → address.
    pub(super) resolve: &'a dyn Fn(Label) -> Option<u64>,
    /// The patched RIP displacement of this instruction.
    pub(super) rip_disp: Option<i32>,
    /// Describes the data at an address.
    pub(super) data_at: &'a dyn Fn(u64) -> Option<String>,
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
pub(super) fn describe(inst: &Inst, cx: &Ctx<'_>) -> String {
    let m = inst.to_string();
    let mn = m.split(' ').next().unwrap_or("");
    // one arm per variant, so that a new instruction must be given a group
    use Inst::*;
    let what = match inst {
        Sse { .. } | SseStore { .. } | SseImm { .. } | XmmFromGpr { .. } | GprFromXmm { .. } => {
            sse(inst, cx)
        }
        Avx { .. }
        | Avx128 { .. }
        | AvxScalar { .. }
        | AvxUnary { .. }
        | AvxStore { .. }
        | Vcmpsd { .. }
        | Vcmppd { .. }
        | Vblendvpd { .. }
        | Vroundpd { .. }
        | Vbroadcastsd { .. }
        | Vzeroupper => avx(inst, cx),
        Alu { .. }
        | AluImm { .. }
        | Mov { .. }
        | MovStore { .. }
        | MovImm { .. }
        | Lea { .. }
        | Test { .. }
        | Unary { .. }
        | Shift { .. } => integer(inst, cx),
        Push(_)
        | Pop(_)
        | Call(_)
        | CallLabel(_)
        | JmpIndirect(_)
        | Jmp(_)
        | JmpShort(_)
        | Jcc(..)
        | JccShort(..)
        | Setcc(..)
        | Movzx8 { .. }
        | Prefetch { .. }
        | Ret
        | Int3
        | Nop => flow(inst, cx),
    };
    format!("{mn}: {what}")
}

/// SSE2: doubles in `xmm` registers, and moves between them and integer registers.
fn sse(inst: &Inst, cx: &Ctx<'_>) -> String {
    use Inst::*;
    match *inst {
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
                SseOp::Movapd => {
                    format!("{dst} = {s} (all 128 bits: unlike movsd, no wait for the old {dst})")
                }
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
            let p = effective_predicate(imm, false);
            match op {
                SseImmOp::Cmpsd => format!(
                    "compare the low doubles: {dst} = all ones if {}, else all zeros",
                    relation(p, &dst.to_string(), &s)
                ),
                SseImmOp::Cmppd => format!(
                    "compare both lanes ({}): each lane of {dst} = all ones if {}, else zeros",
                    predicate(p),
                    relation(p, &dst.to_string(), &s)
                ),
                SseImmOp::Shufpd => format!("pick lanes of {dst} and {s} by the bits of {imm}"),
            }
        }
        XmmFromGpr { op, dst, src } => match op {
            crate::x64::inst::XmmFromGprOp::Cvtsi2sd => {
                format!("convert the 64-bit integer {src} to a double in {dst}")
            }
            crate::x64::inst::XmmFromGprOp::Movq => {
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
        // not reached: `describe` sends only this group here
        _ => inst.to_string(),
    }
}

/// AVX: the three-operand (VEX) forms, 256-bit `ymm` operations, blends and broadcasts.
fn avx(inst: &Inst, cx: &Ctx<'_>) -> String {
    use Inst::*;
    match *inst {
        Avx {
            op,
            dst,
            src1,
            src2,
        } => format!(
            "4 doubles lane by lane: {dst} = {}",
            avx_expr(op.mnemonic(), &src1.to_string(), &cx.ym(src2))
        ),
        Avx128 {
            op: op @ (AvxOp::Vunpcklpd | AvxOp::Vunpckhpd),
            dst,
            src1,
            src2,
        } => {
            let half = if op == AvxOp::Vunpcklpd {
                "low"
            } else {
                "high"
            };
            let s2 = cx.xm(src2);
            format!("{dst} = ({half} of {src1}, {half} of {s2}) (upper 128 bits of the ymm zeroed)")
        }
        Avx128 {
            op,
            dst,
            src1,
            src2,
        } => format!(
            "2 doubles lane by lane: {dst} = {} (upper 128 bits of the ymm zeroed)",
            avx_expr(op.mnemonic(), &src1.to_string(), &cx.xm(src2))
        ),
        AvxScalar {
            op,
            dst,
            src1,
            src2,
        } => format!(
            "{dst} = {} (low double; the high one is copied from {src1})",
            avx_expr(op.mnemonic(), &src1.to_string(), &cx.xm(src2))
        ),
        AvxUnary { op, dst, src } => match op {
            crate::x64::inst::AvxUnaryOp::Vsqrtpd => {
                format!("{dst} = sqrt({}) lane by lane", cx.ym(src))
            }
            _ => format!("{dst} = {} (256 bits)", cx.ym(src)),
        },
        AvxStore { dst, src, .. } => format!("store the 256 bits of {src} to {}", cx.mem(&dst)),
        Vcmpsd {
            dst,
            src1,
            src2,
            imm,
        } => format!(
            "compare the low doubles ({}): {dst} = all ones if {}, else zeros \
             (the high double is copied from {src1})",
            predicate(effective_predicate(imm, true)),
            relation(
                effective_predicate(imm, true),
                &src1.to_string(),
                &cx.xm(src2)
            )
        ),
        Vcmppd {
            dst,
            src1,
            src2,
            imm,
        } => format!(
            "compare lane by lane ({}): each lane of {dst} = all ones if {}, else zeros",
            predicate(effective_predicate(imm, true)),
            relation(
                effective_predicate(imm, true),
                &src1.to_string(),
                &cx.ym(src2)
            )
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
        Vroundpd { dst, src, imm } => format!(
            "{dst} = each lane of {} rounded to an integer {}",
            cx.ym(src),
            rounding(imm)
        ),
        Vbroadcastsd { dst, src } => {
            format!("copy the double {} into all 4 lanes of {dst}", cx.xm(src))
        }
        Vzeroupper => {
            "zero the upper halves of all ymm registers (avoids SSE/AVX transition stalls)"
                .to_string()
        }
        // not reached: `describe` sends only this group here
        _ => inst.to_string(),
    }
}

/// Integer arithmetic, moves and flags in the general-purpose registers.
fn integer(inst: &Inst, cx: &Ctx<'_>) -> String {
    use Inst::*;
    match *inst {
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
            "sub" if dst == Gpr::Rsp && imm >= 0 => {
                format!("rsp = rsp - {imm}: reserve {imm} bytes of stack")
            }
            "add" if dst == Gpr::Rsp && imm >= 0 => {
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
        Shift { op, dst, imm } => {
            // the CPU shifts a 64-bit register by the count's low 6 bits
            let n = imm & 63;
            let masked = if n != imm {
                format!(" (the CPU shifts by {imm} mod 64 = {n})")
            } else {
                String::new()
            };
            match op.mnemonic() {
                "shl" => format!("{dst} = {dst} << {n}{masked}"),
                "shr" => format!("{dst} = {dst} >> {n} (logical: zeros shifted in){masked}"),
                _ => format!("{dst} = {dst} >> {n} (arithmetic: sign bit shifted in){masked}"),
            }
        }
        // not reached: `describe` sends only this group here
        _ => inst.to_string(),
    }
}

/// The stack, calls, jumps, condition bytes, and the rest.
fn flow(inst: &Inst, cx: &Ctx<'_>) -> String {
    use Inst::*;
    match *inst {
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
        JmpIndirect(t) => match t {
            GprMem::Gpr(r) => format!("jump to the address in {r}"),
            GprMem::Mem(mm) => format!(
                "jump to the address stored at {} (no return address is pushed: at the end of \
                 a function, a tail call, whose ret returns to our caller)",
                cx.mem(&mm)
            ),
        },
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
        Prefetch { op, src } => format!(
            "hint: bring the cache line holding {} {} (no load into a register, never \
             faults)",
            cx.mem(&src),
            match op {
                PrefetchOp::Prefetcht0 => "into every cache level",
                PrefetchOp::Prefetcht1 => "into L2 and the caches further out",
                PrefetchOp::Prefetcht2 =>
                    "into L3 and the caches further out (or where the CPU chooses)",
                PrefetchOp::Prefetchnta =>
                    "close to the core, polluting the caches as little as it can",
            }
        ),
        Ret => {
            "return: pop the return address and jump to it (a double result is in xmm0)".to_string()
        }
        Int3 => {
            "breakpoint trap (the generated code pads with it where nothing may run)".to_string()
        }
        Nop => "do nothing".to_string(),
        // not reached: `describe` sends only this group here
        _ => inst.to_string(),
    }
}

/// What a three-operand AVX operation computes from its sources `a` and `b`.
pub(super) fn avx_expr(mn: &str, a: &str, b: &str) -> String {
    let infix = |op: &str| format!("{a} {op} {b}");
    match mn {
        "vaddpd" | "vaddsd" => infix("+"),
        "vsubpd" | "vsubsd" => infix("-"),
        "vmulpd" | "vmulsd" => infix("*"),
        "vdivpd" | "vdivsd" => infix("/"),
        "vminpd" | "vminsd" => format!("min({a}, {b})"),
        "vmaxpd" | "vmaxsd" => format!("max({a}, {b})"),
        "vandpd" => infix("&"),
        "vandnpd" => format!("!{a} & {b} (and-not: the first source inverted)"),
        "vorpd" => infix("|"),
        _ => infix("^"),
    }
}

pub(super) fn int_sym(mn: &str) -> &'static str {
    match mn {
        "add" => "+",
        "sub" => "-",
        "and" => "&",
        "or" => "|",
        _ => "^",
    }
}
