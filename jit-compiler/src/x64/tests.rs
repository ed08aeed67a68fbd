//! Every instruction form is encoded, decoded with iced-x86 and printed with iced's default
//! Intel formatter; the decoded length must equal ours and the text must equal our `Display`.

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

use super::*;

/// Decodes and formats with iced, comparing against our text.
struct Checker {
    fmt: IntelFormatter,
    text: String,
    count: usize,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            fmt: IntelFormatter::new(),
            text: String::new(),
            count: 0,
        }
    }

    /// Decodes the first instruction of `code` (at address 0) and checks it is `len` bytes
    /// and prints as `expected`.
    fn compare(&mut self, code: &[u8], len: usize, expected: &str) {
        let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
        let decoded = decoder.decode();
        assert!(
            !decoded.is_invalid(),
            "{expected}: iced cannot decode {:02x?}",
            &code[..len]
        );
        self.text.clear();
        self.fmt.format(&decoded, &mut self.text);
        assert_eq!(
            decoded.len(),
            len,
            "{expected}: length of {:02x?} ({})",
            &code[..len],
            self.text
        );
        assert_eq!(self.text, expected, "bytes {:02x?}", &code[..len]);
        self.count += 1;
    }

    /// Checks a label-free instruction, through the encoder and through the assembler
    /// without a listing (which takes its compact path for the common forms).
    fn check(&mut self, inst: Inst) {
        let enc = encode(&inst);
        assert_eq!(enc.fixup(), None);
        let bytes = enc.to_vec();
        assert_eq!(bytes.len(), enc.len());
        // (with room for the instruction: the compact path needs it)
        let mut a = Assembler::with_capacity(64);
        a.emit(inst);
        assert_eq!(
            a.finish().unwrap().code,
            bytes,
            "{inst}: assembler and encoder differ"
        );
        self.compare(&bytes, bytes.len(), &inst.to_string());
    }

    /// Checks an instruction referring to label 0 of an assembler: emitted after `before`
    /// bytes of nops, with the label bound `after` bytes past its end (or at 0 if `None`).
    fn check_with_label(
        &mut self,
        make: impl Fn(Label) -> Inst,
        before: usize,
        after: Option<usize>,
    ) {
        let assemble = |listing| {
            let mut a = Assembler::with_capacity(64).with_listing(listing);
            let label = a.new_label();
            if after.is_none() {
                a.bind(label);
            }
            (0..before).for_each(|_| a.nop());
            let inst = make(label);
            a.emit(inst);
            if let Some(after) = after {
                (0..after).for_each(|_| a.int3());
                a.bind(label);
                a.data_f64(2.5);
            }
            (a.finish().unwrap(), inst)
        };
        let (out, inst) = assemble(true);
        // Without a listing, the assembler may take its compact path: the same bytes.
        assert_eq!(assemble(false).0.code, out.code, "{inst}");
        let entry = out.listing[before];
        let code = &out.code[entry.offset..];
        let resolve = |l: Label| {
            out.label_offset(l)
                .map(|o| (o as i64 - entry.offset as i64) as u64)
        };
        // Decode as if the instruction were at address 0: targets shift by -offset.
        self.compare(code, entry.len, &inst.display_with(&resolve).to_string());
    }
}

/// Memory operands covering every addressing special case.
fn mems() -> Vec<Mem> {
    const DISPS: [i32; 8] = [0, 1, -1, -128, 127, 128, -129, 0x1234_5678];
    let indexes = Gpr::ALL.into_iter().filter(|&r| r != Gpr::Rsp);
    let scales = [Scale::S1, Scale::S2, Scale::S4, Scale::S8];
    let mut v = Vec::new();
    for base in Gpr::ALL {
        for disp in DISPS {
            v.push(Mem::base_disp(base, disp));
        }
        for (i, index) in indexes.clone().enumerate() {
            for (j, scale) in scales.into_iter().enumerate() {
                v.push(Mem::base_index(
                    base,
                    index,
                    scale,
                    DISPS[(i + j + base.num() as usize) % 8],
                ));
            }
        }
        v.push(Mem::base(base));
        v.push(Mem::base_index(base, Gpr::R8, Scale::S8, 0));
        v.push(Mem::base_index(base, Gpr::Rdi, Scale::S1, i32::MIN));
    }
    v
}

/// Every form with a memory operand, registers varied by `k`.
fn mem_forms(m: Mem, k: u8) -> Vec<Inst> {
    let x = Xmm::from_num(k % 16);
    let y = Ymm::from_num((k + 5) % 16);
    let y2 = Ymm::from_num((k + 11) % 16);
    let g = Gpr::from_num((k + 3) % 16);
    let mut v = Vec::new();
    v.extend(SseOp::ALL.iter().map(|&op| Inst::Sse {
        op,
        dst: x,
        src: m.into(),
    }));
    v.extend(
        SseStoreOp::ALL
            .iter()
            .map(|&op| Inst::SseStore { op, dst: m, src: x }),
    );
    for &op in SseImmOp::ALL {
        v.push(Inst::SseImm {
            op,
            dst: x,
            src: m.into(),
            imm: k % 9,
        });
    }
    v.extend(AvxOp::ALL.iter().map(|&op| Inst::Avx {
        op,
        dst: y,
        src1: y2,
        src2: m.into(),
    }));
    let (x2, xm) = (Xmm::from_num((k + 7) % 16), m.into());
    v.extend(AvxOp::ALL.iter().map(|&op| Inst::Avx128 {
        op,
        dst: x,
        src1: x2,
        src2: xm,
    }));
    v.extend(AvxScalarOp::ALL.iter().map(|&op| Inst::AvxScalar {
        op,
        dst: x,
        src1: x2,
        src2: xm,
    }));
    v.extend(AvxUnaryOp::ALL.iter().map(|&op| Inst::AvxUnary {
        op,
        dst: y,
        src: m.into(),
    }));
    v.extend(
        AvxStoreOp::ALL
            .iter()
            .map(|&op| Inst::AvxStore { op, dst: m, src: y }),
    );
    v.push(Inst::Vcmppd {
        dst: y,
        src1: y2,
        src2: m.into(),
        imm: k % 33,
    });
    v.push(Inst::Vcmpsd {
        dst: x,
        src1: x2,
        src2: xm,
        imm: k.wrapping_mul(5) % 33,
    });
    v.push(Inst::Vblendvpd {
        dst: y,
        src1: y2,
        src2: m.into(),
        mask: Ymm::from_num(k % 16),
    });
    v.push(Inst::Vroundpd {
        dst: y,
        src: m.into(),
        imm: k % 16,
    });
    v.push(Inst::Vbroadcastsd {
        dst: y,
        src: m.into(),
    });
    v.extend(AluOp::ALL.iter().map(|&op| Inst::Alu {
        op,
        dst: g,
        src: m.into(),
    }));
    v.push(Inst::Mov {
        dst: g,
        src: m.into(),
    });
    v.push(Inst::MovStore { dst: m, src: g });
    v.push(Inst::Lea { dst: g, src: m });
    v.extend(
        PrefetchOp::ALL
            .iter()
            .map(|&op| Inst::Prefetch { op, src: m }),
    );
    v.push(Inst::Call(m.into()));
    v.push(Inst::JmpIndirect(m.into()));
    v
}

#[test]
fn memory_operands_all_forms() {
    let mut c = Checker::new();
    for (k, m) in mems().into_iter().enumerate() {
        for inst in mem_forms(m, (k % 240) as u8) {
            c.check(inst);
        }
    }
    assert!(c.count > 50_000, "{}", c.count);
}

#[test]
fn rip_relative_all_forms() {
    let mut c = Checker::new();
    for (k, disp) in [0, 8, -8, 0x1000].into_iter().enumerate() {
        let n = mem_forms(Mem::rip(Label(0)), 0).len();
        for i in 0..n {
            let make = |l| mem_forms(Mem::rip_disp(l, disp), k as u8)[i];
            c.check_with_label(make, 0, Some(3)); // forward, after an immediate too
            c.check_with_label(make, 2, None); // backward
        }
    }
}

#[test]
fn sse_register_pairs() {
    let mut c = Checker::new();
    for dst in Xmm::ALL {
        for src in Xmm::ALL {
            for &op in SseOp::ALL {
                c.check(Inst::Sse {
                    op,
                    dst,
                    src: src.into(),
                });
            }
            for &op in SseImmOp::ALL {
                let imm = (dst.num() + src.num()) % 9;
                c.check(Inst::SseImm {
                    op,
                    dst,
                    src: src.into(),
                    imm,
                });
            }
        }
        for g in Gpr::ALL {
            for &op in XmmFromGprOp::ALL {
                c.check(Inst::XmmFromGpr { op, dst, src: g });
            }
            for &op in GprFromXmmOp::ALL {
                c.check(Inst::GprFromXmm {
                    op,
                    dst: g,
                    src: dst,
                });
            }
        }
    }
}

#[test]
fn sse_immediates_and_predicates() {
    let mut c = Checker::new();
    for imm in (0..=16).chain([0x1F, 0x20, 0x7F, 0x80, 0xFF]) {
        for &op in SseImmOp::ALL {
            c.check(Inst::SseImm {
                op,
                dst: Xmm::Xmm3,
                src: Xmm::Xmm12.into(),
                imm,
            });
        }
    }
    for imm in (0..=40).chain([0x7F, 0xFF]) {
        c.check(Inst::Vcmppd {
            dst: Ymm::Ymm1,
            src1: Ymm::Ymm9,
            src2: Ymm::Ymm2.into(),
            imm,
        });
        c.check(Inst::Vcmpsd {
            dst: Xmm::Xmm10,
            src1: Xmm::Xmm3,
            src2: Xmm::Xmm14.into(),
            imm,
        });
        c.check(Inst::Vroundpd {
            dst: Ymm::Ymm13,
            src: Ymm::Ymm6.into(),
            imm,
        });
    }
}

#[test]
fn avx_register_triples() {
    let mut c = Checker::new();
    for dst in Ymm::ALL {
        for src1 in Ymm::ALL {
            for src2 in Ymm::ALL {
                let op =
                    AvxOp::ALL[(dst.num() + src1.num() + src2.num()) as usize % AvxOp::ALL.len()];
                c.check(Inst::Avx {
                    op,
                    dst,
                    src1,
                    src2: src2.into(),
                });
                let scalar = AvxScalarOp::ALL
                    [(dst.num() + src1.num() + src2.num()) as usize % AvxScalarOp::ALL.len()];
                c.check(Inst::AvxScalar {
                    op: scalar,
                    dst: dst.xmm(),
                    src1: src1.xmm(),
                    src2: src2.xmm().into(),
                });
                c.check(Inst::Avx128 {
                    op,
                    dst: dst.xmm(),
                    src1: src1.xmm(),
                    src2: src2.xmm().into(),
                });
                let mask = Ymm::from_num((dst.num() ^ src2.num()) & 15);
                c.check(Inst::Vblendvpd {
                    dst,
                    src1,
                    src2: src2.into(),
                    mask,
                });
            }
            for &op in AvxOp::ALL {
                c.check(Inst::Avx {
                    op,
                    dst,
                    src1,
                    src2: Ymm::from_num(15 - src1.num()).into(),
                });
            }
            for &op in AvxUnaryOp::ALL {
                c.check(Inst::AvxUnary {
                    op,
                    dst,
                    src: src1.into(),
                });
            }
            c.check(Inst::Vcmppd {
                dst,
                src1,
                src2: dst.into(),
                imm: src1.num() * 2,
            });
            c.check(Inst::Vcmpsd {
                dst: dst.xmm(),
                src1: src1.xmm(),
                src2: Xmm::from_num(15 - dst.num()).into(),
                imm: dst.num() % 8,
            });
            c.check(Inst::Vroundpd {
                dst,
                src: src1.into(),
                imm: 9 + (dst.num() + src1.num()) % 3,
            });
            c.check(Inst::Vbroadcastsd {
                dst,
                src: src1.xmm().into(),
            });
        }
    }
    c.check(Inst::Vzeroupper);
}

#[test]
fn integer_register_pairs() {
    let mut c = Checker::new();
    for dst in Gpr::ALL {
        for src in Gpr::ALL {
            for &op in AluOp::ALL {
                c.check(Inst::Alu {
                    op,
                    dst,
                    src: src.into(),
                });
            }
            c.check(Inst::Mov {
                dst,
                src: src.into(),
            });
            c.check(Inst::Test { dst, src });
            c.check(Inst::Movzx8 { dst, src });
        }
        for &op in UnaryOp::ALL {
            c.check(Inst::Unary { op, dst });
        }
        for cond in Cond::ALL {
            c.check(Inst::Setcc(cond, dst));
        }
        c.check(Inst::Push(dst));
        c.check(Inst::Pop(dst));
        c.check(Inst::Call(dst.into()));
        c.check(Inst::JmpIndirect(dst.into()));
    }
    for inst in [Inst::Ret, Inst::Int3, Inst::Nop] {
        c.check(inst);
    }
}

#[test]
#[cfg_attr(
    target_pointer_width = "32",
    ignore = "iced-x86 prints the 64-bit immediates of our (right) bytes as 0 on 32-bit hosts"
)]
fn integer_immediates() {
    let mut c = Checker::new();
    let imms = [
        0,
        1,
        -1,
        9,
        10,
        127,
        128,
        -128,
        -129,
        0x1234_5678,
        i32::MAX,
        i32::MIN,
    ];
    let movs: [u64; 14] = [
        0,
        1,
        9,
        0xAB,
        0x7FFF_FFFF,
        0xFFFF_FFFF,
        0x1_0000_0000,
        u64::MAX,
        -129i64 as u64,
        i32::MIN as i64 as u64,
        i32::MIN as i64 as u64 - 1,
        0x0123_4567_89AB_CDEF,
        0xA000_0000_0000_0000,
        0x3FF0_0000_0000_0000,
    ];
    for dst in Gpr::ALL {
        for imm in imms {
            for &op in AluOp::ALL {
                c.check(Inst::AluImm { op, dst, imm });
            }
        }
        for imm in movs {
            c.check(Inst::MovImm { dst, imm });
        }
        for imm in [0, 1, 2, 9, 10, 63, 64, 0xFF] {
            for &op in ShiftOp::ALL {
                c.check(Inst::Shift { op, dst, imm });
            }
        }
    }
}

#[test]
fn mov_immediate_form_lengths() {
    let len = |imm| encode(&Inst::MovImm { dst: Gpr::Rax, imm }).len();
    assert_eq!(len(0xFFFF_FFFF), 5);
    assert_eq!(len(-1i64 as u64), 7);
    assert_eq!(len(0x1_0000_0000), 10);
    assert_eq!(
        encode(&Inst::MovImm {
            dst: Gpr::R9,
            imm: 1
        })
        .len(),
        6
    );
}

#[test]
fn branches_to_labels() {
    let mut c = Checker::new();
    for distance in [0, 1, 100, 127, 300] {
        for before in [0, 5, 128, 200] {
            c.check_with_label(Inst::Jmp, before, Some(distance));
            c.check_with_label(Inst::CallLabel, before, Some(distance));
            c.check_with_label(Inst::Jmp, before, None);
            for cond in Cond::ALL {
                c.check_with_label(|l| Inst::Jcc(cond, l), before, Some(distance));
                c.check_with_label(|l| Inst::Jcc(cond, l), before, None);
            }
        }
    }
    for (before, after) in [(0, Some(0)), (0, Some(127)), (126, None), (10, Some(20))] {
        c.check_with_label(Inst::JmpShort, before, after);
        for cond in Cond::ALL {
            c.check_with_label(|l| Inst::JccShort(cond, l), before, after);
        }
    }
}

#[test]
fn label_fixups_resolve() {
    let mut a = Assembler::new();
    let top = a.new_label();
    let end = a.new_label();
    let data = a.new_label();
    a.bind(top);
    a.jmp(end); // forward rel32
    a.movsd(Xmm::Xmm0, Mem::rip(data));
    a.jcc_short(Cond::Ne, top); // backward rel8
    a.bind(end);
    a.ret();
    a.align(16);
    a.bind(data);
    a.data_f64(1.0);
    let out = a.finish().unwrap();
    let data_at = out.label_offset(data).unwrap();
    assert_eq!(data_at, 16);
    let mut decoder = Decoder::with_ip(64, &out.code, 0, DecoderOptions::NONE);
    let jmp = decoder.decode();
    let movsd = decoder.decode();
    let jne = decoder.decode();
    assert_eq!(
        jmp.near_branch_target(),
        out.label_offset(end).unwrap() as u64
    );
    assert_eq!(movsd.ip_rel_memory_address(), data_at as u64);
    assert_eq!(jne.near_branch_target(), 0);
    assert_eq!(out.code[data_at..], 1.0f64.to_le_bytes());
    assert!(out.listing.is_empty());
}

#[test]
fn label_errors() {
    let mut a = Assembler::new();
    let l = a.new_label();
    a.jmp(l);
    assert_eq!(a.finish().unwrap_err(), AsmError::UnboundLabel(l));

    let mut a = Assembler::new();
    let l = a.new_label();
    a.bind(l);
    a.bind(l);
    assert_eq!(a.finish().unwrap_err(), AsmError::LabelBoundTwice(l));

    // a label of another assembler, bound or referenced
    let mut other = Assembler::new();
    let foreign = (0..3).map(|_| other.new_label()).last().unwrap();
    let mut a = Assembler::new();
    a.bind(foreign);
    assert_eq!(a.finish().unwrap_err(), AsmError::ForeignLabel(foreign));
    let mut a = Assembler::new();
    a.jmp(foreign);
    assert_eq!(a.finish().unwrap_err(), AsmError::ForeignLabel(foreign));

    let mut a = Assembler::new();
    let l = a.new_label();
    a.jmp_short(l);
    (0..128).for_each(|_| a.nop());
    a.bind(l);
    assert_eq!(
        a.finish().unwrap_err(),
        AsmError::Rel8OutOfRange {
            label: l,
            distance: 128
        }
    );

    let mut a = Assembler::new();
    let l = a.new_label();
    a.bind(l);
    (0..126).for_each(|_| a.nop());
    a.jmp_short(l); // -128: just fits
    assert!(a.finish().is_ok());
}

#[test]
fn assembler_methods_match_inst() {
    use Gpr::*;
    use Xmm::*;
    use Ymm::*;
    let mut a = Assembler::new().with_listing(true);
    a.movsd(Xmm1, Xmm2);
    a.movsd(Xmm1, Mem::base(Rax));
    a.movsd(Mem::base(Rax), Xmm1);
    a.movq(Xmm1, Rax);
    a.movq(Rax, Xmm1);
    a.movq(Xmm1, Mem::base(Rax));
    a.addsd(Xmm0, Mem::base_disp(Rsp, 8));
    a.mov(Rax, 5);
    a.mov(Rax, -1i64);
    a.mov(Rax, 0x1234_5678_9ABC_DEF0u64);
    a.mov(Mem::base(Rsp), R12);
    a.add(Rsp, 8);
    a.sub(Rsp, Rax);
    a.cmp(Rax, Mem::base(Rdi));
    a.vaddpd(Ymm0, Ymm1, Mem::base(Rax));
    a.vmulpd(Xmm1, Xmm9, Xmm10);
    a.vxorpd(Ymm1, Ymm2, YmmMem::from(Ymm3));
    a.vmovupd(Mem::base(Rax), Ymm3);
    a.vbroadcastsd(Ymm2, Mem::base(Rsi));
    a.vroundpd(Ymm4, Ymm12, 10);
    a.vroundpd(Ymm11, Mem::base_disp(R13, 32), 11);
    a.call(Rax);
    a.call(Mem::base_disp(Rbx, 16));
    a.setcc(Cond::E, Rsi);
    a.movzx(Rax, Rsi);
    let out = a.finish().unwrap();
    let text: Vec<String> = out
        .listing
        .iter()
        .map(|e| match e.item {
            Item::Inst(i) => i.to_string(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        text,
        [
            "movsd xmm1,xmm2",
            "movsd xmm1,[rax]",
            "movsd [rax],xmm1",
            "movq xmm1,rax",
            "movq rax,xmm1",
            "movq xmm1,[rax]",
            "addsd xmm0,[rsp+8]",
            "mov eax,5",
            "mov rax,0FFFFFFFFFFFFFFFFh",
            "mov rax,123456789ABCDEF0h",
            "mov [rsp],r12",
            "add rsp,8",
            "sub rsp,rax",
            "cmp rax,[rdi]",
            "vaddpd ymm0,ymm1,[rax]",
            "vmulpd xmm1,xmm9,xmm10",
            "vxorpd ymm1,ymm2,ymm3",
            "vmovupd [rax],ymm3",
            "vbroadcastsd ymm2,[rsi]",
            "vroundpd ymm4,ymm12,0Ah",
            "vroundpd ymm11,[r13+20h],0Bh",
            "call rax",
            "call qword ptr [rbx+10h]",
            "sete sil",
            "movzx eax,sil",
        ]
    );
    // Every listed instruction decodes to exactly its bytes with iced's text.
    let mut c = Checker::new();
    for e in &out.listing {
        c.compare(&out.code[e.offset..], e.len, &text[c.count]);
    }
}

#[test]
fn encoding_structure() {
    // vaddpd ymm8, ymm1, [r13]: R and B set, so the 3-byte VEX form is needed.
    let e = encode(&Inst::Avx {
        op: AvxOp::Vaddpd,
        dst: Ymm::Ymm8,
        src1: Ymm::Ymm1,
        src2: Mem::base(Gpr::R13).into(),
    });
    assert_eq!(e.vex.map(ShortBytes::len), Some(3));
    assert_eq!(e.disp, Disp::D8(0));
    assert_eq!(e.to_vec(), [0xC4, 0x41, 0x75, 0x58, 0x45, 0x00]);
    // The same with low registers uses the 2-byte C5 form.
    let e = encode(&Inst::Avx {
        op: AvxOp::Vaddpd,
        dst: Ymm::Ymm0,
        src1: Ymm::Ymm1,
        src2: Ymm::Ymm2.into(),
    });
    assert_eq!(e.to_vec(), [0xC5, 0xF5, 0x58, 0xC2]);
    // cmpsd with RIP: the fixup is relative to the end, after the imm8.
    let l = Label(7);
    let e = encode(&Inst::SseImm {
        op: SseImmOp::Cmpsd,
        dst: Xmm::Xmm0,
        src: Mem::rip(l).into(),
        imm: 1,
    });
    assert_eq!(
        e.fixup(),
        Some(Fixup {
            offset: 4,
            kind: FixupKind::Rel32,
            label: l,
            addend: 0
        })
    );
    assert_eq!(e.len(), 9);
}

#[test]
fn listing_text_for_small_program() {
    let mut a = Assembler::new().with_listing(true);
    let c = a.new_label();
    let mask = a.new_label();
    let done = a.new_label();
    a.ucomisd(Xmm::Xmm0, Xmm::Xmm0);
    a.jcc(Cond::P, done);
    a.addsd(Xmm::Xmm0, Mem::rip(c));
    a.andpd(Xmm::Xmm0, Mem::rip(mask));
    a.bind(done);
    a.ret();
    a.align(16);
    a.bind(c);
    a.data_f64(1.0);
    a.data_u64(42);
    a.bind(mask);
    a.data_u128(u128::MAX >> 1);
    let out = a.finish().unwrap();
    let expected = "\
0000  66 0f 2e c0                       ucomisd xmm0,xmm0
0004  0f 8a 10 00 00 00                 jp 000000000000001Ah
000a  f2 0f 58 05 0e 00 00 00           addsd xmm0,[20h]
0012  66 0f 54 05 16 00 00 00           andpd xmm0,[30h]
L2:
001a  c3                                ret
001b  cc cc cc cc cc                    align 16
L0:
0020  00 00 00 00 00 00 f0 3f           dq 0x3ff0000000000000 ; 1.0
0028  2a 00 00 00 00 00 00 00           dq 0x000000000000002a
L1:
0030  ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff 7f  dq 0xffffffffffffffff, 0x7fffffffffffffff
";
    assert_eq!(out.listing_text(), expected);
}

#[test]
#[should_panic(expected = "rsp cannot be an index register")]
fn rsp_index_panics() {
    let _ = Mem::base_index(Gpr::Rax, Gpr::Rsp, Scale::S1, 0);
}

#[test]
fn unresolved_labels_print_by_name() {
    let l = Label(3);
    assert_eq!(Inst::Jmp(l).to_string(), "jmp L3");
    assert_eq!(Inst::JccShort(Cond::Ne, l).to_string(), "jne short L3");
    let i = Inst::Sse {
        op: SseOp::Movsd,
        dst: Xmm::Xmm1,
        src: Mem::rip_disp(l, -8).into(),
    };
    assert_eq!(i.to_string(), "movsd xmm1,[L3-8]");
    assert_eq!(Cond::L.negate(), Cond::Ge);
}

#[test]
fn listing_off_records_nothing() {
    let mut a = Assembler::new();
    a.nop();
    a.data_u64(1);
    let out = a.finish().unwrap();
    assert!(out.listing.is_empty());
    assert_eq!(out.listing_text(), "");
    assert_eq!(out.code.len(), 9);
}

#[test]
fn recorded_instructions_are_emitted_later_with_their_label_references() {
    let mut a = Assembler::new();
    let one = a.new_label();
    let (nested, recorded) = a.record(|a| {
        a.addsd(Xmm::Xmm0, Mem::rip(one));
        a.record(|a| a.ret()) // nested: the inner recording gets its own instructions
    });
    let ((), ret) = nested;
    assert_eq!(ret, [Inst::Ret]);
    assert_eq!(recorded.len(), 1);
    assert_eq!(a.offset(), 0);
    a.emit_interleaved(&[recorded, ret, Vec::new()]);
    a.bind(one);
    a.data_f64(1.0);
    let out = a.finish().unwrap();
    // addsd xmm0,[rip+1]; ret; 1.0 (the displacement counts from the end of addsd)
    assert_eq!(out.code[..9], [0xf2, 0x0f, 0x58, 0x05, 1, 0, 0, 0, 0xc3]);
}

#[test]
fn placing_a_label_padding_or_data_while_recording_is_an_error() {
    let place: [fn(&mut Assembler, Label); 3] =
        [|a, l| a.bind(l), |a, _| a.align(16), |a, _| a.data_u64(7)];
    for f in place {
        let mut a = Assembler::new();
        let l = a.new_label();
        let _ = a.record(|a| f(a, l));
        assert_eq!(a.finish().unwrap_err(), AsmError::PlacedWhileRecording);
    }
}
