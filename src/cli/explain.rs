//! `--asm` and `--explain`: the machine code of an expression, as a listing or explained
//! field by field (see `jit_compiler::x64::explain`).

use super::args::AbiChoice;
use trivial_jit::compiler::codegen::Abi;
use trivial_jit::{Jit, JitFn};

/// Compiles `src` for the chosen calling convention (either works with `JitFn::call` on any
/// x86-64 machine).
pub fn compile(src: &str, abi: AbiChoice, sse2: bool) -> Result<JitFn, String> {
    let builder = Jit::builder().avx(!sse2);
    let builder = match abi {
        AbiChoice::Host => builder,
        AbiChoice::SysV => builder.abi(Abi::SysV),
        AbiChoice::Win64 => builder.abi(Abi::Win64),
    };
    builder.compile(src).map_err(|e| e.render(src))
}

/// The listing (`asm`) or the explanation of `f`'s machine code.
pub fn code_text(f: &JitFn, explain: bool) -> String {
    if explain {
        let mut s = format!(
            "; {} compiled for the {} calling convention: {}\n",
            f.expr(),
            match f.abi() {
                Abi::SysV => "System V",
                Abi::Win64 => "Win64",
            },
            if f.args().is_empty() {
                "no arguments".to_string()
            } else {
                format!("arguments {}", f.args().join(", "))
            }
        );
        s.push_str(&f.explain());
        s
    } else {
        f.listing()
    }
}

/// The machine code as hex bytes, 16 a line with the offset (the relocation slots of called
/// functions are zero here: addresses are patched into the loaded copy only).
pub fn hex_text(f: &JitFn) -> String {
    let options = f.codegen_options();
    let code = match trivial_jit::compiler::codegen::compile_with(f.expr(), &options) {
        Ok(c) => c.code,
        Err(e) => return format!("; {e}\n"),
    };
    let mut out = String::new();
    for (i, line) in code.chunks(16).enumerate() {
        let bytes: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&format!("{:04x}  {}\n", i * 16, bytes.join(" ")));
    }
    out
}
