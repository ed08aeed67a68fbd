//! `trivial-jit EXPR [name=value ...] [--asm]`: compile an expression to machine code, run it.

use std::process::ExitCode;
use trivial_jit::Jit;

const USAGE: &str = "usage: trivial-jit EXPR [name=value ...] [--asm]

Compiles EXPR to x86-64 machine code and calls it with the given values.
  --asm    print the machine code (offset, bytes, Intel syntax) before the result

example: trivial-jit \"2*x^0.5\" x=3";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprint!("{msg}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command line; the output on success, the message on failure.
fn run(args: &[String]) -> Result<String, String> {
    let mut src = None;
    let mut values: Vec<(&str, &str)> = Vec::new();
    let mut asm = false;
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Ok(format!("{USAGE}\n")),
            "--asm" => asm = true,
            a if src.is_none() => src = Some(a),
            a => match a.split_once('=') {
                Some((name, value)) => values.push((name.trim(), value.trim())),
                None => {
                    return Err(format!(
                        "error: expected name=value, found `{a}`\n\n{USAGE}\n"
                    ));
                }
            },
        }
    }
    let Some(src) = src else {
        return Err(format!("{USAGE}\n"));
    };
    let f = Jit::compile(src).map_err(|e| e.render(src))?;
    let mut inputs = Vec::with_capacity(f.arity());
    for name in f.args() {
        let Some((_, text)) = values.iter().find(|(n, _)| n == name) else {
            return Err(format!("error: no value for `{name}`: pass {name}=VALUE\n"));
        };
        let v = text
            .parse::<f64>()
            .map_err(|_| format!("error: `{text}` (for `{name}`) is not a number\n"))?;
        inputs.push(v);
    }
    if let Some((name, _)) = values
        .iter()
        .find(|(n, _)| !f.args().iter().any(|a| a == n))
    {
        return Err(format!(
            "error: `{name}` is not a variable of the expression\n"
        ));
    }
    let mut out = String::new();
    if asm {
        out.push_str(&f.listing());
    }
    out.push_str(&format!("{}\n", f.call(&inputs)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::run;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn runs_the_readme_command() {
        assert_eq!(
            run(&args(&["2*x^0.5", "x=3"])).unwrap(),
            "3.4641016151377544\n"
        );
        assert_eq!(
            run(&args(&["3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"])).unwrap(),
            "-33\n"
        );
        assert!(
            run(&args(&["x+y", "x=1", "y=2", "--asm"]))
                .unwrap()
                .contains("addsd")
        );
    }

    #[test]
    fn explains_mistakes() {
        let err = run(&args(&["2*x +", "x=1"])).unwrap_err();
        assert!(
            err.contains("expected an operand") && err.contains('^'),
            "{err}"
        );
        assert!(
            run(&args(&["x", "y=1"]))
                .unwrap_err()
                .contains("no value for `x`")
        );
        assert!(
            run(&args(&["x", "x=a"]))
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            run(&args(&["x", "x=1", "z=2"]))
                .unwrap_err()
                .contains("`z`")
        );
        assert!(run(&args(&[])).unwrap_err().contains("usage"));
    }
}
