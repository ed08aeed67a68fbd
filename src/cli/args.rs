//! The command line, parsed into a [`Command`].

/// How the plot is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Columns (characters).
    pub width: usize,
    /// Lines.
    pub height: usize,
}

impl Size {
    /// Parses `WxH`, e.g. `40x10`.
    pub fn parse(text: &str) -> Result<Size, String> {
        let bad = || format!("error: `{text}` is not a size: expected WxH, e.g. 80x24\n");
        let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
        let width: usize = w.trim().parse().map_err(|_| bad())?;
        let height: usize = h.trim().parse().map_err(|_| bad())?;
        if !(12..=1000).contains(&width) || !(4..=1000).contains(&height) {
            return Err(format!(
                "error: size {width}x{height} is out of range (12..=1000 columns, 4..=1000 lines)\n"
            ));
        }
        Ok(Size { width, height })
    }

    /// The terminal's size from `COLUMNS` and `LINES`, else 80x24.
    pub fn from_env() -> Size {
        let get = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
        };
        Size {
            width: get("COLUMNS").unwrap_or(80).clamp(12, 1000),
            height: get("LINES").unwrap_or(24).clamp(4, 1000),
        }
    }
}

/// `x=A:B`: the plotted variable and its range (the ends may be constant expressions such as
/// `-pi`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlotRange {
    /// The free variable.
    pub var: String,
    /// Left end.
    pub from: f64,
    /// Right end.
    pub to: f64,
}

impl PlotRange {
    /// Parses `x=A:B`.
    pub fn parse(text: &str) -> Result<PlotRange, String> {
        let bad = || {
            format!(
                "error: {} is not a range: expected NAME=FROM:TO, e.g. x=-1:1\n",
                quoted(text)
            )
        };
        let (var, range) = text.split_once('=').ok_or_else(bad)?;
        let (a, b) = range.split_once(':').ok_or_else(bad)?;
        let var = var.trim();
        if var.is_empty() {
            return Err(bad());
        }
        let from = number(a.trim(), var)?;
        let to = number(b.trim(), var)?;
        if !(from.is_finite() && to.is_finite()) || from >= to {
            return Err(format!(
                "error: the range {from}:{to} for {} must be finite and increasing\n",
                quoted(var)
            ));
        }
        Ok(PlotRange {
            var: var.to_string(),
            from,
            to,
        })
    }
}

/// A value given on the command line: a number, or a constant expression (`pi/2`, `-1e3`).
/// When it is neither, the error says why: the compiler's message with the value and a caret
/// under the place (the compiler shows a long value in part), or the variable it uses.
pub fn number(text: &str, name: &str) -> Result<f64, String> {
    if let Ok(v) = text.parse::<f64>() {
        return Ok(v);
    }
    let headline = format!(
        "error: {} (for {}) is not a number",
        quoted(text),
        quoted(name)
    );
    let f = trivial_jit::Jit::compile(text).map_err(|e| {
        let rendered = e.render(text);
        // one `error:` for the whole message: the compiler's follows the headline
        let reason = rendered.strip_prefix("error: ").unwrap_or(&rendered);
        format!("{headline}: {reason}")
    })?;
    if let Some(var) = f.args().first() {
        return Err(format!(
            "{headline}: it uses the variable {}, and a value may use only numbers, constants \
             (pi, tau) and functions\n",
            quoted(var)
        ));
    }
    Ok(f.call(&[]))
}

/// `text` as messages quote it, shortened past 32 characters (an argument may be any
/// length, and a message that echoes 100 KB back hides what it says).
pub use trivial_jit::compiler::error::quoted;

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Print the usage.
    Help,
    /// Read expressions from stdin; `:plot` without a size uses this one (`--size`).
    Repl(Option<Size>),
    /// Compile (and maybe run, print, explain, plot) one expression.
    Eval(Eval),
}

/// Calling convention for `--asm` / `--explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiChoice {
    /// The host's.
    Host,
    /// System V AMD64.
    SysV,
    /// Microsoft x64.
    Win64,
}

/// One expression and what to do with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Eval {
    /// The source.
    pub src: String,
    /// `name=value` pairs.
    pub values: Vec<(String, String)>,
    /// `--asm`
    pub asm: bool,
    /// `--explain`
    pub explain: bool,
    /// `--hex`
    pub hex: bool,
    /// `--plot x=A:B`
    pub plot: Option<PlotRange>,
    /// `--size WxH`
    pub size: Option<Size>,
    /// `--svg FILE`
    pub svg: Option<String>,
    /// `--abi sysv|win64`
    pub abi: AbiChoice,
    /// `--sse2`: SSE2 code even on a CPU with AVX
    pub sse2: bool,
}

/// Parses the arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Command, String> {
    let mut src: Option<String> = None;
    let mut e = Eval {
        src: String::new(),
        values: Vec::new(),
        asm: false,
        explain: false,
        hex: false,
        plot: None,
        size: None,
        svg: None,
        abi: AbiChoice::Host,
        sse2: false,
    };
    let mut repl = false;
    // the first argument other than `--repl` and `--size WxH`, which `--repl` does not take
    let mut not_for_repl: Option<&str> = None;
    // after `--`, every argument is EXPR or a value, even one that looks like an option
    let mut positional_only = false;
    let mut it = args.iter();
    let mut given: Vec<&str> = Vec::new();
    while let Some(arg) = it.next() {
        if positional_only {
            not_for_repl.get_or_insert(arg);
            positional(arg, &mut src, &mut e.values)?;
            continue;
        }
        if !matches!(arg.as_str(), "--repl" | "--size" | "--") {
            not_for_repl.get_or_insert(arg);
        }
        if matches!(arg.as_str(), "--plot" | "--size" | "--svg" | "--abi") {
            if given.contains(&arg.as_str()) {
                return Err(format!("error: {arg} is given twice\n"));
            }
            given.push(arg);
        }
        let mut value_of = |flag: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("error: {flag} needs a value\n\n{}\n", super::USAGE))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--repl" => repl = true,
            "--asm" => e.asm = true,
            "--explain" => e.explain = true,
            "--hex" => e.hex = true,
            "--sse2" => e.sse2 = true,
            "--plot" => e.plot = Some(PlotRange::parse(&value_of("--plot")?)?),
            "--size" => e.size = Some(Size::parse(&value_of("--size")?)?),
            "--svg" => e.svg = Some(value_of("--svg")?),
            "--abi" => {
                e.abi = match value_of("--abi")?.to_ascii_lowercase().as_str() {
                    "sysv" => AbiChoice::SysV,
                    "win64" => AbiChoice::Win64,
                    other => {
                        return Err(format!(
                            "error: unknown calling convention `{other}`: use sysv or win64\n"
                        ));
                    }
                }
            }
            "--" => positional_only = true,
            a if a.starts_with("--") => {
                return Err(format!(
                    "error: unknown option `{a}` (an expression that starts with `--` goes \
                     after a `--`: trivial-jit -- \"--x\" x=1)\n\n{}\n",
                    super::USAGE
                ));
            }
            a => positional(a, &mut src, &mut e.values)?,
        }
    }
    if repl {
        return match not_for_repl {
            Some(arg) => Err(format!(
                "error: --repl takes only --size WxH (the size of :plot), not {}: it reads \
                 expressions and values from stdin, and :asm, :explain and :plot there\n",
                quoted(arg)
            )),
            None => Ok(Command::Repl(e.size)),
        };
    }
    let Some(src) = src else {
        return Err(format!("{}\n", super::USAGE));
    };
    if (e.size.is_some() || e.svg.is_some()) && e.plot.is_none() {
        return Err(
            "error: --size and --svg go with --plot NAME=FROM:TO (--size also with --repl)\n"
                .into(),
        );
    }
    e.src = src;
    Ok(Command::Eval(e))
}

/// An argument that is not an option: the expression if there is none yet, else `name=value`.
fn positional(
    a: &str,
    src: &mut Option<String>,
    values: &mut Vec<(String, String)>,
) -> Result<(), String> {
    if src.is_none() {
        *src = Some(a.to_string());
        return Ok(());
    }
    match a.split_once('=') {
        Some((name, value)) => {
            values.push((name.trim().to_string(), value.trim().to_string()));
            Ok(())
        }
        None => Err(format!(
            "error: expected name=value, found `{a}`\n\n{}\n",
            super::USAGE
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ranges() {
        assert_eq!(
            Size::parse("40x10"),
            Ok(Size {
                width: 40,
                height: 10
            })
        );
        assert!(Size::parse("40").is_err());
        assert!(Size::parse("2x2").is_err());
        let r = PlotRange::parse("x=-1:1").unwrap();
        assert_eq!((r.var.as_str(), r.from, r.to), ("x", -1.0, 1.0));
        let r = PlotRange::parse("t=0:2*pi").unwrap();
        assert_eq!(r.to, 2.0 * std::f64::consts::PI);
        assert!(PlotRange::parse("x=1:1").is_err());
        assert!(PlotRange::parse("x=0:nan").is_err());
        assert!(PlotRange::parse("x:1").is_err());
    }

    #[test]
    fn a_value_that_is_not_a_number_says_why() {
        let err = number("sin(", "x").unwrap_err();
        assert_eq!(
            err,
            "error: `sin(` (for `x`) is not a number: expected an operand, found the end of \
             the expression\n  |\n1 | sin(\n  |     ^\n"
        );
        let err = number("1+", "x").unwrap_err();
        assert!(
            err.contains("expected an operand") && err.contains("1 | 1+\n"),
            "{err}"
        );
        let err = PlotRange::parse("x=0:1+").unwrap_err();
        assert!(err.contains("`1+` (for `x`) is not a number: expected an operand"));
        let err = number("2*y+z", "x").unwrap_err();
        assert!(err.contains("it uses the variable `y`"), "{err}");
        // a value of 130 KB is not echoed back: the compiler's reason, a part of the line
        let deep = format!("{}1{}", "(".repeat(65_000), ")".repeat(65_000));
        let err = number(&deep, "x").unwrap_err();
        assert!(
            err.contains("nested too deeply") && err.len() < 1000,
            "{err}"
        );
        let err = PlotRange::parse(&format!("{}=1:0", "v".repeat(100_000))).unwrap_err();
        assert!(err.contains("increasing") && err.len() < 200, "{err}");
        let err = PlotRange::parse(&"v".repeat(100_000)).unwrap_err();
        assert!(err.contains("not a range") && err.len() < 200, "{err}");
        assert_eq!(number("pi/2", "x"), Ok(std::f64::consts::FRAC_PI_2));
    }

    #[test]
    fn options() {
        let a: Vec<String> = ["x^2", "--plot", "x=-1:1", "--size", "40x10"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let Command::Eval(e) = parse(&a).unwrap() else {
            panic!()
        };
        assert_eq!(e.size.unwrap().width, 40);
        assert!(parse(&["--bogus".to_string()]).is_err());
        assert!(parse(&["--x".to_string()]).is_err());
        assert_eq!(parse(&["--repl".to_string()]), Ok(Command::Repl(None)));
    }

    #[test]
    fn repl_takes_only_a_size() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let size = Size {
            width: 20,
            height: 5,
        };
        assert_eq!(
            parse(&a(&["--size", "20x5", "--repl"])),
            Ok(Command::Repl(Some(size)))
        );
        for (line, found) in [
            (&["--repl", "--plot", "x=0:1"][..], "`--plot`"),
            (&["--svg", "a.svg", "--repl"], "`--svg`"),
            (&["--repl", "--asm"], "`--asm`"),
            (&["--repl", "--explain"], "`--explain`"),
            (&["--repl", "--hex"], "`--hex`"),
            (&["--repl", "--abi", "sysv"], "`--abi`"),
            (&["--repl", "--sse2"], "`--sse2`"),
            (&["--repl", "x+1"], "`x+1`"),
            (&["x", "--repl", "x=1"], "`x`"),
            (&["--repl", "--", "x"], "`x`"),
        ] {
            let err = parse(&a(line)).unwrap_err();
            assert!(
                err.contains("--repl takes only --size WxH") && err.contains(found),
                "{line:?}: {err}"
            );
        }
        // (an argument quoted back is shortened: it may be any length)
        let long = "y".repeat(100_000);
        let err = parse(&a(&["--repl", &long])).unwrap_err();
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn a_double_dash_ends_the_options() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let Command::Eval(e) = parse(&a(&["--", "--x", "x=1"])).unwrap() else {
            panic!()
        };
        assert_eq!(e.src, "--x");
        assert_eq!(e.values, [("x".to_string(), "1".to_string())]);
        // options still work before it; after it, `-h` and `--asm` are an expression and a value
        let Command::Eval(e) = parse(&a(&["--asm", "--", "-h", "h=--2"])).unwrap() else {
            panic!()
        };
        assert!(e.asm);
        assert_eq!((e.src.as_str(), e.values[0].1.as_str()), ("-h", "--2"));
        let err = parse(&a(&["--", "x", "--asm"])).unwrap_err();
        assert!(err.contains("expected name=value, found `--asm`"), "{err}");
        let err = parse(&a(&["--9"])).unwrap_err();
        assert!(err.contains("goes after a `--`"), "{err}");
    }
}
