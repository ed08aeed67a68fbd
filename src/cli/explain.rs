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
    code_text_on(f, explain, Abi::host())
}

/// [`code_text`] as shown on a machine whose own convention is `host`: the entries' Rust
/// signatures name the convention of the code shown (see [`abi_keyword`]).
fn code_text_on(f: &JitFn, explain: bool, host: Abi) -> String {
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
        s.push_str(&entry_signatures(&f.explain(), abi_keyword(f.abi(), host)));
        s
    } else {
        f.listing()
    }
}

/// The Rust ABI string for calling code of convention `code` on a machine whose own is
/// `host`: `"C"` is the host's (System V on Linux, Win64 on Windows), so Win64 code shown on
/// Linux needs `"win64"` and System V code on Windows `"sysv64"`.
fn abi_keyword(code: Abi, host: Abi) -> &'static str {
    match code {
        _ if code == host => "C",
        Abi::SysV => "sysv64",
        Abi::Win64 => "win64",
    }
}

/// `explanation` with the entries' signatures (`; array entry: extern "C" fn…`, as the
/// compiler writes them whatever the convention) given the ABI string `keyword`.
fn entry_signatures(explanation: &str, keyword: &str) -> String {
    if keyword == "C" {
        return explanation.to_string();
    }
    let mut out = String::with_capacity(explanation.len());
    for line in explanation.split_inclusive('\n') {
        match ["; array entry: ", "; register entry: "]
            .iter()
            .find(|entry| line.starts_with(*entry))
        {
            Some(entry) => out.push_str(&line.replacen(
                &format!("{entry}extern \"C\""),
                &format!("{entry}extern \"{keyword}\""),
                1,
            )),
            None => out.push_str(line),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry lines of the explanation of `src` compiled for `abi`, shown on `host`.
    fn entries(src: &str, abi: AbiChoice, host: Abi) -> Vec<String> {
        let f = compile(src, abi, false).unwrap();
        code_text_on(&f, true, host)
            .lines()
            .filter(|l| l.contains(" entry: "))
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_signature_names_the_convention_of_the_code_shown() {
        let array = |kw: &str, reg: &str| {
            format!(
                "; array entry: extern \"{kw}\" fn(args: *const f64) -> f64; the 2 arguments are read from [{reg}]"
            )
        };
        let register = |kw: &str| format!("; register entry: extern \"{kw}\" fn(f64, f64) -> f64");
        for (abi, host, kw, reg) in [
            (AbiChoice::Win64, Abi::SysV, "win64", "rcx"),
            (AbiChoice::Win64, Abi::Win64, "C", "rcx"),
            (AbiChoice::SysV, Abi::Win64, "sysv64", "rdi"),
            (AbiChoice::SysV, Abi::SysV, "C", "rdi"),
        ] {
            let lines = entries("hypot(x,y) + x*y", abi, host);
            assert_eq!(lines[0], array(kw, reg), "{abi:?} on {host:?}");
            assert!(
                lines[1].starts_with(&register(kw)),
                "{abi:?} on {host:?}: {lines:?}"
            );
        }
        // on this machine: its own convention is "C"
        let lines = entries("x*y", AbiChoice::Host, Abi::host());
        assert!(
            lines[0].starts_with("; array entry: extern \"C\" fn"),
            "{lines:?}"
        );
    }
}
