//! Regenerates the generated sections of `docs/x64-walkthrough.md` from the project's own
//! output and fails if the committed document differs. `UPDATE_WALKTHROUGH=1 cargo test
//! --test walkthrough` rewrites them. A generated section is everything between
//! `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`; the prose around the
//! sections is hand-written and left alone.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use trivial_jit::compiler::codegen::{Abi, Compiled, compile};
use trivial_jit::compiler::lexer::{Lexer, TokenKind};
use trivial_jit::compiler::x64::{
    Base, Data, FixupKind, Inst, Item, Label, Mem, SseOp, SseStoreOp, XmmMem, encode,
    explain_compiled,
};
use trivial_jit::compiler::{Expr, Node, NodeId, parse};

const SRC: &str = "(-b+(b^2-4*a*c)^0.5)/(2*a)";
/// Section 10: an `if` with cheap sides, and one whose sides call functions.
const BLEND: &str = "if(x > 0, x*x, 2*x)";
const BRANCH: &str = "if(x > 0, exp(x), sin(x))";

fn token_table(src: &str) -> String {
    let mut out = String::from("| # | token | text | bytes |\n|---|---|---|---|\n");
    let mut lexer = Lexer::new(src);
    for i in 1.. {
        let t = lexer.next_token().unwrap();
        let text = &src[t.span.range()];
        let kind = match t.kind {
            TokenKind::Num(v) => format!("Num({v:?})"),
            k => format!("{k:?}"),
        };
        let _ = writeln!(
            out,
            "| {i} | `{kind}` | `{}` | {}..{} |",
            if text.is_empty() { " " } else { text },
            t.span.start,
            t.span.end
        );
        if t.kind == TokenKind::End {
            break;
        }
    }
    out
}

fn node_text(e: &Expr, n: Node) -> String {
    match n {
        Node::Num(v) => format!("Num {v:?}"),
        Node::Arg(i) => format!("Arg {} ({})", i, e.args()[i as usize]),
        Node::Unary(op, _) => format!("Unary {}", op.name()),
        Node::Binary(op, ..) => format!("Binary {}", op.name()),
        Node::PowI(_, n) => format!("PowI ^{n} (by squaring)"),
        Node::If(..) => "If".into(),
        Node::Call(i, _) => format!("Call user #{i}"),
    }
}

/// The tree, one node a line, children indented under their parent.
fn tree(e: &Expr) -> String {
    fn walk(e: &Expr, id: NodeId, prefix: &str, last: bool, top: bool, out: &mut String) {
        let node = e.ast().node(id);
        let (here, next) = if top {
            (String::new(), String::new())
        } else if last {
            (format!("{prefix}└─ "), format!("{prefix}   "))
        } else {
            (format!("{prefix}├─ "), format!("{prefix}│  "))
        };
        let _ = writeln!(out, "{here}{}", node_text(e, node));
        let kids: Vec<NodeId> = e.ast().children(node).as_slice().to_vec();
        for (i, k) in kids.iter().enumerate() {
            walk(e, *k, &next, i + 1 == kids.len(), false, out);
        }
    }
    let mut out = String::new();
    walk(e, e.root(), "", true, true, &mut out);
    out
}

fn fenced(lang: &str, body: &str) -> String {
    format!("```{lang}\n{}```\n", body)
}

/// Where a RIP-relative operand points, from the patched bytes.
fn rip_target(c: &Compiled, offset: usize, len: usize, inst: &Inst) -> Option<usize> {
    let fx = encode(inst).fixup()?;
    if fx.kind != FixupKind::Rel32 {
        return None;
    }
    let at = offset + fx.offset;
    let rel = i32::from_le_bytes(c.code[at..at + 4].try_into().ok()?);
    Some((offset as i64 + len as i64 + i64::from(rel) - i64::from(fx.addend)) as usize)
}

/// Evaluation order and register use: the body run symbolically, one row per instruction.
fn register_table(c: &Compiled, e: &Expr) -> String {
    let data: BTreeMap<usize, Data> = c
        .listing
        .iter()
        .filter_map(|l| match l.item {
            Item::Data(d) => Some((l.offset, d)),
            _ => None,
        })
        .collect();
    let mut labels = BTreeMap::new();
    for l in &c.listing {
        if let Item::Inst(inst) = l.item {
            if let (Some(fx), Some(t)) =
                (encode(&inst).fixup(), rip_target(c, l.offset, l.len, &inst))
            {
                labels.insert(fx.label, t as u64);
            }
        }
    }
    let resolve = |l: Label| labels.get(&l).copied();
    let mut regs: BTreeMap<u8, String> = BTreeMap::new();
    let mut out =
        String::from("| offset | instruction | register written | holds |\n|---|---|---|---|\n");
    let arg_of = |m: &Mem| match m.base {
        Base::Reg { index: None, .. } => e.args().get((m.disp / 8) as usize).cloned(),
        _ => None,
    };
    for l in &c.listing {
        let Item::Inst(inst) = l.item else { continue };
        let mem_val = |m: &Mem| -> String {
            if let Base::Rip(_) = m.base {
                match rip_target(c, l.offset, l.len, &inst).and_then(|t| data.get(&t)) {
                    Some(Data::U64(b)) => format!("{:?}", f64::from_bits(*b)),
                    Some(Data::F64(v)) => format!("{v:?}"),
                    Some(Data::U128(0x8000_0000_0000_0000_8000_0000_0000_0000)) => {
                        "signmask".into()
                    }
                    Some(Data::U128(0x7FFF_FFFF_FFFF_FFFF_7FFF_FFFF_FFFF_FFFF)) => "absmask".into(),
                    _ => "?".into(),
                }
            } else {
                arg_of(m).unwrap_or_else(|| m.to_string())
            }
        };
        let (dst, value) = match inst {
            Inst::Sse { op, dst, src } => {
                let s = match src {
                    XmmMem::Xmm(r) => regs.get(&r.num()).cloned().unwrap_or("?".into()),
                    XmmMem::Mem(m) => mem_val(&m),
                };
                let d = regs.get(&dst.num()).cloned().unwrap_or("?".into());
                let v = match op {
                    SseOp::Movsd | SseOp::Movapd | SseOp::Movupd | SseOp::Movq => s,
                    SseOp::Addsd => format!("({d} + {s})"),
                    SseOp::Subsd => format!("({d} - {s})"),
                    SseOp::Mulsd => format!("({d} * {s})"),
                    SseOp::Divsd => format!("({d} / {s})"),
                    SseOp::Sqrtsd => format!("sqrt({})", strip_outer(&s)),
                    SseOp::Xorpd if s == "signmask" => format!("-{d}"),
                    SseOp::Andpd if s == "absmask" => format!("abs({d})"),
                    _ => format!("{}({d}, {s})", op.mnemonic()),
                };
                (Some(dst.num()), v)
            }
            Inst::SseStore {
                op: SseStoreOp::Movsd,
                ..
            } => (None, String::new()),
            _ => (None, String::new()),
        };
        let text = inst.display_with(&resolve).to_string();
        match dst {
            Some(r) => {
                let v = strip_outer(&value);
                let _ = writeln!(out, "| {:04x} | `{text}` | xmm{r} | `{v}` |", l.offset);
                regs.insert(r, value);
            }
            None => {
                let _ = writeln!(out, "| {:04x} | `{text}` | | |", l.offset);
            }
        }
    }
    out
}

/// `(x)` → `x` when the outer parentheses enclose everything.
fn strip_outer(s: &str) -> &str {
    let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
        return s;
    };
    let mut depth = 0i32;
    for ch in inner.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return s;
        }
    }
    inner
}

fn sections() -> Vec<(&'static str, String)> {
    let expr = parse(SRC).unwrap();
    let simple = expr.simplified();
    let sysv = compile(&expr, Abi::SysV).unwrap();
    let win = compile(&expr, Abi::Win64).unwrap();
    let six = parse("a*b + c*d + e*f").unwrap();
    let six_win = compile(&six, Abi::Win64).unwrap();
    let six_sysv = compile(&six, Abi::SysV).unwrap();
    let f = trivial_jit::Jit::compile(SRC).unwrap();
    let blend = compile(&parse(BLEND).unwrap(), Abi::SysV).unwrap();
    let branch = compile(&parse(BRANCH).unwrap(), Abi::SysV).unwrap();
    vec![
        ("source", fenced("text", &format!("{SRC}\n"))),
        ("tokens", token_table(SRC)),
        (
            "ast",
            format!(
                "{}\nprinted back: `{expr}`; arguments (in byte order of their names): {}\n",
                fenced("text", &tree(&expr)),
                expr.args().join(", ")
            ),
        ),
        (
            "simplified",
            format!("{}\nprinted: `{simple}`\n", fenced("text", &tree(&simple))),
        ),
        ("registers", register_table(&sysv, &expr)),
        ("listing", fenced("text", &sysv.listing_text())),
        ("explain", fenced("text", &explain_compiled(&sysv))),
        ("win64", fenced("text", &win.listing_text())),
        ("six-sysv", fenced("text", &six_sysv.listing_text())),
        ("six-win64", fenced("text", &six_win.listing_text())),
        (
            "call",
            fenced(
                "text",
                &format!(
                    "$ trivial-jit \"{SRC}\" a=1 b=-3 c=2\n{}\n",
                    f.call(&[1.0, -3.0, 2.0])
                ),
            ),
        ),
        (
            "blend",
            fenced("text", &format!("; {BLEND}\n{}", blend.listing_text())),
        ),
        (
            "branch",
            fenced("text", &format!("; {BRANCH}\n{}", branch.listing_text())),
        ),
    ]
}

/// Replaces the body of every generated section; fails on a missing or unknown one.
fn regenerate(doc: &str) -> Result<String, String> {
    let mut out = doc.to_string();
    let sections = sections();
    for (name, body) in &sections {
        let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
        let end = format!("<!-- END GENERATED: {name} -->");
        let b = out
            .find(&begin)
            .ok_or_else(|| format!("the document has no section `{name}`"))?
            + begin.len();
        let e = b + out[b..]
            .find(&end)
            .ok_or_else(|| format!("section `{name}` is not closed"))?;
        out.replace_range(b..e, body);
    }
    for line in out.lines() {
        if let Some(name) = line
            .strip_prefix("<!-- BEGIN GENERATED: ")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            if !sections.iter().any(|(n, _)| *n == name) {
                return Err(format!("unknown generated section `{name}`"));
            }
        }
    }
    Ok(out)
}

#[test]
fn walkthrough_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/x64-walkthrough.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let fresh = regenerate(&doc).unwrap();
    if std::env::var_os("UPDATE_WALKTHROUGH").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    if fresh != doc {
        let first = doc
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .map_or(doc.lines().count().min(fresh.lines().count()) + 1, |i| {
                i + 1
            });
        panic!(
            "docs/x64-walkthrough.md is out of date (first difference at line {first}); \
             run `UPDATE_WALKTHROUGH=1 cargo test --test walkthrough` and review the diff"
        );
    }
}

#[test]
fn regenerate_rejects_broken_documents() {
    assert!(regenerate("no sections").is_err());
}
