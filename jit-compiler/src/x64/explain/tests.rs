//! The field breakdowns compared with the Intel manual's encodings.
//!
//! The expected breakdowns below are written by hand from the Intel SDM, Vol. 2 (§2.1
//! "Instruction format", Tables 2-2 and 2-3 for ModRM/SIB, §2.2.1 REX, §2.3.5 VEX) and the
//! instruction pages (ADDSD `F2 0F 58 /r`, MOVSD `F2 0F 10 /r`, ADD `REX.W 83 /0 ib`,
//! SUB `REX.W 83 /5 ib`, CALL `FF /2`, PUSH `50+rd`, VADDPD `VEX.256.66.0F.WIG 58 /r`).

use super::*;
use crate::x64::*;
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
        text.contains("mod=00 (memory, RIP-relative disp32) reg=000 → xmm0 rm=101 → RIP-relative"),
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
    assert!(detail(&push, "opcode").contains("50+4 (register r12 in the low 3 bits, plus REX.B)"));
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
    assert!(
        d.contains(
            "R̄=1 (R=0) vvvv̄=1110 → ymm1 (stored inverted) L=1 (256-bit) pp=01 (implied prefix 66)"
        ),
        "{d}"
    );
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
        text.contains("01 00 00 00  rel32          +1: distance from the end of this instruction"),
        "{text}"
    );
    assert!(text.contains("jp: jump to offset 7h if parity"), "{text}");
}

#[test]
fn one_instruction_names_its_labels_instead_of_inventing_addresses() {
    let l = Assembler::new().new_label();
    let text = explain_inst(&Inst::JmpShort(l));
    assert!(text.contains("jmp short L0"), "{text}");
    assert!(!text.contains("offset 2h"), "{text}");
    let text = explain_inst(&sse(SseOp::Addsd, Xmm0, Mem::rip(l)));
    assert!(text.contains("addsd xmm0,[L0]"), "{text}");
    assert!(!text.contains("= offset"), "{text}");
}

#[test]
fn predicate_bits_the_cpu_ignores_are_said_to_be_ignored() {
    // legacy cmpsd reads bits 2:0: 13 is 5, "not less than" (true for NaN), not "ge"
    let i = Inst::SseImm {
        op: SseImmOp::Cmpsd,
        dst: Xmm0,
        src: Xmm1.into(),
        imm: 13,
    };
    let text = explain_inst(&i);
    assert!(text.contains("cmpsd xmm0,xmm1,0Dh"), "{text}");
    assert!(text.contains("all ones if xmm0 is not < xmm1"), "{text}");
    assert!(
        text.contains(
            "13: comparison predicate nlt (not less than) (the CPU reads only bits 2:0: 5)"
        ),
        "{text}"
    );
    // the VEX forms read bits 4:0: 45 is 13, "ge"
    let text = explain_inst(&vcmpsd(45));
    assert!(text.contains("all ones if xmm1 >= xmm2"), "{text}");
    assert!(text.contains("(the CPU reads only bits 4:0: 13)"), "{text}");
}

/// `vcmpsd xmm3, xmm1, xmm2, imm`.
fn vcmpsd(imm: u8) -> Inst {
    Inst::Vcmpsd {
        dst: Xmm3,
        src1: Xmm1,
        src2: Xmm2.into(),
        imm,
    }
}

#[test]
fn avx_predicates_beyond_sse_are_named_and_written_out() {
    let vcmp = vcmpsd;
    let text = explain_inst(&vcmp(14));
    assert!(text.contains("vcmpgtsd xmm3,xmm1,xmm2"), "{text}");
    assert!(
        text.contains("(gt (greater than)): xmm3 = all ones if xmm1 > xmm2"),
        "{text}"
    );
    assert!(
        text.contains("14: comparison predicate gt (greater than)"),
        "{text}"
    );
    // 16–31 test what 0–15 do (they differ in signalling, which is masked)
    let text = explain_inst(&vcmp(29));
    assert!(text.contains("ge_oq (greater or equal)"), "{text}");
    assert!(text.contains("all ones if xmm1 >= xmm2"), "{text}");
    assert!(explain_inst(&vcmp(11)).contains("all ones if never"));
    let packed = Inst::Vcmppd {
        dst: Ymm0,
        src1: Ymm1,
        src2: Ymm2.into(),
        imm: 1,
    };
    let text = explain_inst(&packed);
    assert!(
        text.contains("each lane of ymm0 = all ones if ymm1 < ymm2"),
        "{text}"
    );
}

/// The entries' lines of an explained expression.
fn entries(src: &str, abi: Abi) -> Vec<String> {
    let code = crate::codegen::compile(&crate::parse(src).unwrap(), abi).unwrap();
    explain_compiled(&code)
        .lines()
        .filter(|l| l.contains(" entry: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_entries_name_their_convention_and_where_the_arguments_arrive() {
    assert_eq!(
        entries("a+b+c+d+e+f", Abi::Win64),
        [
            "; array entry: extern \"win64\" fn(args: *const f64) -> f64; the 6 arguments are read from [rcx]",
            "; register entry: extern \"win64\" fn(f64, f64, f64, f64, f64, f64) -> f64; arguments arrive in xmm0..xmm3 and the other 2 on the stack from [rsp+28h]",
        ]
    );
    assert_eq!(
        entries("a+b+c+d+e+f", Abi::SysV)[1],
        "; register entry: extern \"sysv64\" fn(f64, f64, f64, f64, f64, f64) -> f64; arguments arrive in xmm0..xmm5"
    );
    assert!(entries("2", Abi::SysV)[1].ends_with("fn() -> f64; no arguments"));
    assert!(entries("x", Abi::Win64)[1].ends_with("the argument arrives in xmm0"));
}

#[test]
fn vroundpd_fields_and_rounding_direction() {
    // VROUNDPD ymm1, ymm2/m256, imm8 = VEX.256.66.0F3A.WIG 09 /r ib: map 0F 3A needs C4;
    // vvvv is unused (1111)
    let i = Inst::Vroundpd {
        dst: Ymm2,
        src: Ymm9.into(),
        imm: 9,
    };
    assert_eq!(layout(&i), "VEX c4 c3 7d; opcode 09; ModRM d1; imm8 09");
    let d = detail(&i, "VEX");
    assert!(
        d.contains("mmmmm=00011 (map 0F 3A) W=0 vvvv̄=1111 → unused (1111) L=1 (256-bit)"),
        "{d}"
    );
    assert!(detail(&i, "ModRM").contains("reg=010 → ymm2 rm=001 → ymm9"));
    let d = detail(&i, "imm8");
    assert!(d.contains("bits 1:0 = 01 → round down (floor)"), "{d}");
    assert!(
        d.contains("bit 3 = 1: precision exception suppressed"),
        "{d}"
    );
    let text = explain_inst(&i);
    assert!(
        text.contains("ymm2 = each lane of ymm9 rounded to an integer down (floor)"),
        "{text}"
    );
    let mxcsr = Inst::Vroundpd {
        dst: Ymm0,
        src: Mem::base(Rax).into(),
        imm: 0x1C,
    };
    let d = detail(&mxcsr, "imm8");
    assert!(d.contains("bit 2 = 1: direction from MXCSR.RC"), "{d}");
    assert!(d.contains("bits 7:4 are ignored"), "{d}");
    assert!(explain_inst(&mxcsr).contains("rounded to an integer in the direction MXCSR.RC sets"));
}

#[test]
fn prefetch_is_an_opcode_extension_with_a_memory_operand() {
    // prefetcht0 [r9+rcx*8+2000h] = REX.B 0F 18 /1: ModRM 10 001 100 (SIB, disp32)
    let m = Mem::base_index(R9, Rcx, Scale::S8, 0x2000);
    let t0 = Inst::Prefetch {
        op: PrefetchOp::Prefetcht0,
        src: m,
    };
    assert_eq!(
        layout(&t0),
        "REX 41; opcode 0f 18; ModRM 8c; SIB c9; disp32 00 20 00 00"
    );
    assert!(detail(&t0, "ModRM").contains("reg=001 → /1 (opcode extension)"));
    // prefetchnta [rax] = 0F 18 /0: ModRM 00 000 000, no REX
    let nta = Inst::Prefetch {
        op: PrefetchOp::Prefetchnta,
        src: Mem::base(Rax),
    };
    assert_eq!(layout(&nta), "opcode 0f 18; ModRM 00");
    let text = explain_inst(&t0);
    assert!(
        text.contains("prefetcht0: hint: bring the cache line"),
        "{text}"
    );
    assert!(text.contains("never faults"), "{text}");
}
