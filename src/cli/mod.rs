//! The command-line tool: evaluate, show the machine code (`--asm`), explain it field by
//! field (`--explain`), plot (`--plot`, `--svg`), or read expressions from stdin (`--repl`).

pub mod args;
pub mod explain;
pub mod plot;
pub mod repl;
/// The property tests' case counts, shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/support/cases.rs"]
mod test_cases;

use args::{Command, Eval, PlotRange, Size};
use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;
use trivial_jit::JitFn;

/// The `--help` text.
pub const USAGE: &str = "usage: trivial-jit EXPR [name=value ...] [options]
       trivial-jit --repl [--size WxH]

Compiles EXPR to x86-64 machine code and calls it with the given values.
Values may be numbers or constant expressions (x=pi/2).

options:
  --asm              print the machine code: offset, bytes, Intel syntax
  --hex              print the machine code as hex bytes (16 a line)
  --explain          print every instruction with its bytes split into fields
                     (prefix, REX W/R/X/B, VEX, opcode, ModRM, SIB, displacement,
                     immediate), what it does, and the constant pool as values
  --abi sysv|win64   calling convention of the code shown and run (default: this machine's)
  --sse2             SSE2 code even on a CPU with AVX (two-operand forms, as every
                     x86-64 CPU runs them; default: AVX's three-operand forms if present)
  --plot NAME=A:B    plot EXPR over NAME from A to B in the terminal (braille dots);
                     NAME is a variable of EXPR (any variable name if EXPR has none),
                     the other variables are given as name=value
  --size WxH         plot size in characters (default: COLUMNS x LINES, else 80x24);
                     with --repl, the size of :plot without one
  --svg FILE         also write the plot as an SVG file
  --repl             read lines from stdin: expressions (printed), `name = value`
                     assignments (remembered), and :asm, :explain, :plot, :vars,
                     :history, :help, :quit (no other option but --size)
  -h, --help         this text
  --                 the arguments after it are EXPR and values, even those that
                     look like options (trivial-jit -- \"--x\" x=1)

With --asm or --explain and no values, the code is printed without running it.

examples:
  trivial-jit \"2*x^0.5\" x=3
  trivial-jit \"(-b+(b^2-4*a*c)^0.5)/(2*a)\" --explain
  trivial-jit \"sin(x)/x\" --plot x=-10:10 --svg sinc.svg
  printf 'a = 2\\na^10\\n' | trivial-jit --repl";

/// The binary's entry point.
pub fn main() -> ExitCode {
    let command = utf8_args(std::env::args_os().skip(1)).and_then(|args| args::parse(&args));
    match command {
        Ok(Command::Repl(size)) => repl::main(size),
        Ok(command) => match run_command(command) {
            Ok(out) => write_out(&out),
            Err(msg) => fail(&msg),
        },
        Err(msg) => fail(&msg),
    }
}

/// The arguments as text, or an error naming the first that is not UTF-8 (expressions and
/// values are text; `std::env::args` would panic on it).
fn utf8_args(args: impl Iterator<Item = OsString>) -> Result<Vec<String>, String> {
    args.enumerate()
        .map(|(i, a)| {
            a.into_string().map_err(|a| {
                format!(
                    "error: argument {} is not valid UTF-8: {}\n",
                    i + 1,
                    args::quoted(&a.to_string_lossy())
                )
            })
        })
        .collect()
}

/// Writes the output. A reader that stops early (`| head`) is not an error: the rest is not
/// wanted (`print!` would panic on the closed pipe).
fn write_out(out: &str) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => fail(&format!("error: {e}\n")),
        _ => ExitCode::SUCCESS,
    }
}

/// Writes the error message (if stderr is still there) and fails.
fn fail(msg: &str) -> ExitCode {
    let _ = io::stderr().write_all(msg.as_bytes());
    ExitCode::FAILURE
}

/// A result as the CLI prints it: Rust's shortest text that reads back as the same number,
/// in positional notation from 1e-5 to 1e16 (`3.4641016151377544`, `1024`, `-0`), and
/// in scientific notation beyond (`1e300`, `1.1805916207174113e21`, `5e-324`): `2^70`
/// written out in full as `1180591620717411300000` would look exact, and is not.
pub fn number_text(v: f64) -> String {
    let magnitude = v.abs();
    if v == 0.0 || !v.is_finite() || (1e-5..1e16).contains(&magnitude) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

fn run_command(command: Command) -> Result<String, String> {
    match command {
        Command::Help => Ok(format!("{USAGE}\n")),
        Command::Repl(_) => Err("error: --repl reads from stdin\n".into()),
        Command::Eval(e) => eval(&e),
    }
}

fn eval(e: &Eval) -> Result<String, String> {
    let f = explain::compile(&e.src, e.abi, e.sse2)?;
    let free = e.plot.as_ref().map(|p| p.var.as_str());
    if let Some((name, _)) = e
        .values
        .iter()
        .find(|(n, _)| !f.args().iter().any(|a| a == n))
    {
        return Err(not_a_variable(&f, name, ""));
    }
    let mut values: Vec<(String, f64)> = Vec::new();
    for (name, text) in &e.values {
        if values.iter().any(|(n, _)| n == name) {
            return Err(format!(
                "error: {} is given more than one value\n",
                args::quoted(name)
            ));
        }
        if Some(name.as_str()) == free {
            return Err(format!(
                "error: {} is the plotted variable: it takes its values from the range\n",
                args::quoted(name)
            ));
        }
        values.push((name.clone(), args::number(text, name)?));
    }
    let lookup = |n: &str| values.iter().find(|(v, _)| v == n).map(|(_, x)| *x);
    let mut out = String::new();
    if e.asm || e.explain {
        out.push_str(&explain::code_text(&f, e.explain));
    }
    if e.hex {
        out.push_str(&explain::hex_text(&f));
    }
    if let Some(range) = &e.plot {
        let size = e.size.unwrap_or_else(Size::from_env);
        out.push_str(&plot_text(&f, &lookup, range, size, e.svg.as_deref())?);
        return Ok(out);
    }
    let code_only = (e.asm || e.explain || e.hex) && e.values.is_empty() && f.arity() > 0;
    if !code_only {
        let (inputs, _) = bind(&f, &lookup, free, "pass {}=VALUE")?;
        out.push_str(&format!("{}\n", number_text(f.call(&inputs))));
    }
    Ok(out)
}

/// The error for a name that is given a value or plotted over but is not a variable of `f`,
/// with the variables `f` has (at most eight: an expression may have thousands) and, for
/// one without variables, `note`.
fn not_a_variable(f: &JitFn, name: &str, note: &str) -> String {
    const SHOWN: usize = 8;
    let names: Vec<String> = f
        .args()
        .iter()
        .take(SHOWN)
        .map(|a| args::quoted(a))
        .collect();
    let has = match f.args().len() {
        0 => format!("it has none{note}"),
        n if n > SHOWN => format!("its {n} variables are {}, ...", names.join(", ")),
        _ => format!("its variables: {}", names.join(", ")),
    };
    format!(
        "error: {} is not a variable of the expression ({has})\n",
        args::quoted(name)
    )
}

/// Checks that `f` can be plotted over `var`: one of its variables, or, for an expression
/// without variables (a constant, drawn as a horizontal line), any name that would be a
/// variable. Values are taken for the variables of the expression only; a plotted name is
/// held to the same rule (plotting `2*pi` over `pi` drew a flat line labelled `pi`).
/// A name the parser treats as a variable (not a constant like `pi`, not a function).
pub fn is_variable_name(name: &str) -> bool {
    trivial_jit::Jit::compile(name).is_ok_and(|f| f.args() == [name])
}

fn check_plotted(f: &JitFn, var: &str) -> Result<(), String> {
    if f.args().iter().any(|a| a == var) {
        return Ok(());
    }
    // a name that compiles to that one variable (not `pi`, `sin` or `1+1`)
    if f.args().is_empty() && is_variable_name(var) {
        return Ok(());
    }
    let note = ": a constant is plotted over any variable name, such as x=0:1";
    Err(not_a_variable(f, var, note))
}

/// The argument vector for `f` from `lookup`, with the slot of `free` (if `f` has that
/// argument) left 0. `hint` tells how to give a missing value (`{}` is the name).
pub fn bind(
    f: &JitFn,
    lookup: &dyn Fn(&str) -> Option<f64>,
    free: Option<&str>,
    hint: &str,
) -> Result<(Vec<f64>, Option<usize>), String> {
    let mut inputs = Vec::with_capacity(f.arity());
    let mut slot = None;
    for (i, name) in f.args().iter().enumerate() {
        if Some(name.as_str()) == free {
            slot = Some(i);
            inputs.push(0.0);
            continue;
        }
        match lookup(name) {
            Some(v) => inputs.push(v),
            None => {
                return Err(format!(
                    "error: no value for {}: {}\n",
                    args::quoted(name),
                    hint.replace("{}", &trivial_jit::compiler::error::short_name(name))
                ));
            }
        }
    }
    Ok((inputs, slot))
}

/// The terminal plot of `f` over `range` (and the SVG file, if asked for).
pub fn plot_text(
    f: &JitFn,
    lookup: &dyn Fn(&str) -> Option<f64>,
    range: &PlotRange,
    size: Size,
    svg: Option<&str>,
) -> Result<String, String> {
    check_plotted(f, &range.var)?;
    // (an expression without the plotted variable is a constant: a horizontal line)
    let (mut inputs, slot) = bind(f, lookup, Some(&range.var), "pass {}=VALUE")?;
    let mut eval = |x: f64| {
        if let Some(slot) = slot {
            inputs[slot] = x;
        }
        f.call(&inputs)
    };
    let mut out = plot::braille(range, size, &mut eval);
    if let Some(path) = svg {
        let doc = plot::svg(&f.expr().to_string(), range, &mut eval);
        std::fs::write(path, doc).map_err(|e| format!("error: cannot write {path}: {e}\n"))?;
        out.push_str(&format!("wrote {path}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// Runs a command line (not `--repl`); the output on success, the message on failure.
    fn run(args: &[String]) -> Result<String, String> {
        super::run_command(super::args::parse(args)?)
    }

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn numbers_are_printed_positionally_only_where_that_reads_right() {
        use super::number_text;
        let cases = [
            (3.4641016151377544, "3.4641016151377544"),
            (1024.0, "1024"),
            (-0.0, "-0"),
            (9007199254740992.0, "9007199254740992"),
            (0.00001234, "0.00001234"),
            (1e16, "1e16"),
            (2f64.powi(70), "1.1805916207174113e21"),
            (-1e300, "-1e300"),
            (5e-324, "5e-324"),
            (1.5e-6, "1.5e-6"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "NaN"),
        ];
        for (v, text) in cases {
            assert_eq!(number_text(v), text);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_argument_that_is_not_utf8_is_an_error() {
        use std::os::unix::ffi::OsStringExt;
        let args = [
            std::ffi::OsString::from("x+1"),
            std::ffi::OsString::from_vec(b"x=\xff".to_vec()),
        ];
        assert_eq!(
            super::utf8_args(args.into_iter()).unwrap_err(),
            "error: argument 2 is not valid UTF-8: `x=\u{fffd}`\n"
        );
        // a long one is quoted by its start
        let long = std::ffi::OsString::from_vec([&[0xff][..], &[b'v'; 100_000]].concat());
        let err = super::utf8_args([long].into_iter()).unwrap_err();
        assert!(err.len() < 100, "{err}");
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
    fn prints_the_bytes() {
        assert_eq!(
            run(&args(&["2*x^0.5", "x=3", "--hex", "--abi", "sysv"])).unwrap(),
            "0000  f2 0f 10 07 f2 0f 51 c0 f2 0f 58 c0 c3\n3.4641016151377544\n"
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
                .contains("`y` is not a variable")
        );
        assert!(
            run(&args(&["x+y", "y=1"]))
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

    #[test]
    fn code_without_values() {
        let out = run(&args(&["x*y", "--explain"])).unwrap();
        assert!(out.contains("mulsd: multiply the low doubles"), "{out}");
        assert!(!out.ends_with("0\n"));
        let out = run(&args(&["x*y", "--asm", "--abi", "win64"])).unwrap();
        assert!(out.contains("[rcx]"), "{out}");
        // --sse2: the two-operand SSE2 forms, whatever the CPU
        let sse2 = run(&args(&["x*y + x", "--asm", "--sse2"])).unwrap();
        assert!(sse2.contains("mulsd") && !sse2.contains("vmulsd"), "{sse2}");
        assert_eq!(
            run(&args(&["x*y + x", "x=2", "y=3", "--sse2"])).unwrap(),
            "8\n"
        );
    }

    #[test]
    fn plots_with_other_values() {
        let out = run(&args(&["a*x", "a=2", "--plot", "x=0:1", "--size", "30x8"])).unwrap();
        assert_eq!(out.lines().count(), 8);
        assert!(out.starts_with("2 │"), "{out}");
        assert!(
            run(&args(&["a*x", "--plot", "x=0:1"]))
                .unwrap_err()
                .contains("no value for `a`")
        );
        // an expression without variables is a horizontal line
        let flat = run(&args(&["2", "--plot", "x=0:1", "--size", "30x8"])).unwrap();
        let dotted = |l: &&str| l.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c));
        assert_eq!(flat.lines().filter(dotted).count(), 1, "{flat}");
        assert!(
            run(&args(&["x", "--plot", "x=0:1", "--plot", "x=0:2"]))
                .unwrap_err()
                .contains("--plot is given twice")
        );
        let err = run(&args(&["a*x", "a=1", "x=2", "--plot", "x=0:1"])).unwrap_err();
        assert!(err.contains("`x` is the plotted variable"), "{err}");
    }

    #[test]
    fn the_plotted_name_is_a_variable_of_the_expression() {
        for (line, msg) in [
            (
                &["2*pi", "--plot", "pi=0:1"][..],
                "`pi` is not a variable of the expression (it has none: a constant is plotted",
            ),
            (
                &["a", "a=1", "--plot", "x=0:1"],
                "`x` is not a variable of the expression (its variables: `a`)",
            ),
            (
                &["x*y", "x=1", "--plot", "z=0:1"],
                "`z` is not a variable of the expression (its variables: `x`, `y`)",
            ),
            (
                &["3", "--plot", "1+1=0:1"],
                "`1+1` is not a variable of the expression (it has none: a constant is \
                 plotted over any variable name, such as x=0:1)\n",
            ),
            (&["3", "--plot", "sin=0:1"], "`sin` is not a variable"),
        ] {
            let err = run(&args(line)).unwrap_err();
            assert!(err.contains(msg), "{line:?}: {err}");
        }
        // values are held to the same rule, and say the same
        let err = run(&args(&["2*pi", "pi=1"])).unwrap_err();
        assert!(err.contains("`pi` is not a variable of the expression (it has none)"));
        // a constant over any variable name; a variable of the expression over itself
        assert!(run(&args(&["3", "--plot", "θ=0:1", "--size", "20x5"])).is_ok());
        assert!(run(&args(&["x*y", "y=2", "--plot", "x=0:1", "--size", "20x5"])).is_ok());
        // many variables: eight are named
        let sum: Vec<String> = (0..20).map(|i| format!("v{i:02}")).collect();
        let err = run(&args(&[&sum.join("+"), "--plot", "x=0:1"])).unwrap_err();
        assert!(err.contains("its 20 variables are `v00`,"), "{err}");
        assert!(err.contains("`v07`, ...)") && !err.contains("v08"), "{err}");
    }

    #[test]
    fn a_value_given_twice_is_an_error() {
        let err = run(&args(&["x + y", "x=1", "y=2", "x=3"])).unwrap_err();
        assert!(err.contains("`x` is given more than one value"), "{err}");
    }

    /// A command line built from parts that are each valid or not, in any order.
    fn command_line() -> impl proptest::strategy::Strategy<Value = Vec<String>> {
        use proptest::prelude::*;
        const EXPRS: [&str; 6] = ["x*y", "2*x^0.5", "sin(x)/x", "1/x", "x^", "--x"];
        const RANGES: [&str; 5] = ["x=0:1", "x=-1e308:1e308", "x=0:1e-320", "x=1:0", "y=0:1"];
        const SIZES: [&str; 4] = ["12x4", "200x60", "1000x1000", "0x0"];
        const VALUES: [&str; 6] = ["y=1", "x=2", "y=nan", "y=1e308", "x=", "z=1"];
        const FLAGS: [&str; 7] = [
            "--asm",
            "--hex",
            "--explain",
            "--sse2",
            "--abi",
            "win64",
            "--",
        ];
        let word = prop_oneof![
            proptest::sample::select(&VALUES[..]).prop_map(|v| vec![v]),
            proptest::sample::select(&FLAGS[..]).prop_map(|v| vec![v]),
            proptest::sample::select(&RANGES[..]).prop_map(|r| vec!["--plot", r]),
            proptest::sample::select(&SIZES[..]).prop_map(|s| vec!["--size", s]),
        ];
        (
            proptest::sample::select(&EXPRS[..]),
            proptest::collection::vec(word, 0..6),
        )
            .prop_map(|(expr, words)| {
                std::iter::once(expr)
                    .chain(words.into_iter().flatten())
                    .map(String::from)
                    .collect()
            })
    }

    proptest::proptest! {
        #![proptest_config(crate::cli::test_cases::cases(600))]

        /// Any such command line is a result or a message, never a panic (no `--svg`: it
        /// would write files); a plot has the size asked for.
        #[test]
        fn any_command_line_is_an_answer(line in command_line()) {
            match run(&line) {
                Ok(out) => {
                    proptest::prop_assert!(!out.is_empty(), "{line:?}");
                    let size = line.windows(2).rfind(|w| w[0] == "--size");
                    // (without a finite value, a one-line message stands for the plot)
                    let plotted = line.contains(&"--plot".to_string())
                        && !out.contains("no finite value");
                    if let (Some(w), true) = (size, plotted) {
                        let (cols, rows) = w[1].split_once('x').unwrap();
                        let (cols, rows): (usize, usize) = (cols.parse().unwrap(), rows.parse().unwrap());
                        let plot: Vec<&str> = out.lines().rev().take(rows).collect();
                        proptest::prop_assert!(plot.iter().all(|l| l.chars().count() <= cols), "{line:?}");
                    }
                }
                Err(msg) => proptest::prop_assert!(!msg.is_empty(), "{line:?}"),
            }
        }
    }
}
