//! `trivial-jit --repl`: expressions line by line.
//!
//! * `EXPR` prints the value; its free variables must have been set.
//! * `name = EXPR` sets a variable (the value of `EXPR` with the current variables); `ans`
//!   always holds the last printed value.
//! * `:asm EXPR`, `:explain EXPR`: the machine code (no values needed);
//!   `:plot EXPR x=A:B [WxH]`: a braille plot, other variables from the session.
//! * `:vars`, `:history`, `:help`, `:quit` (also `:q`, `:exit`, or end of input).
//!
//! When stdin is not a terminal (a script) there is no banner, no prompt and assignments are
//! silent: the output is exactly the values. Errors go to stderr with a caret under the
//! offending token, and a script with errors exits with status 1.

use super::args::{PlotRange, Size};
use std::collections::BTreeMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use trivial_jit::compiler::{Error, Span};
use trivial_jit::{Jit, JitFn};

const HELP: &str = "  EXPR                 evaluate, e.g. (-b+(b^2-4*a*c)^0.5)/(2*a)
  name = EXPR          set a variable (ans holds the last value)
  :asm EXPR            the machine code: offset, bytes, Intel syntax
  :explain EXPR        every instruction with its encoding fields and what it does
  :plot EXPR x=A:B [WxH]   plot over x (other variables from this session)
  :vars                the variables
  :history             the lines entered so far
  :help                this text
  :quit                leave (also :q, :exit, Ctrl-D)
";

/// The REPL on the process's stdin/stdout/stderr; `size` is the plot size of `:plot`
/// without one (default: the terminal's).
pub fn main(size: Option<Size>) -> ExitCode {
    let stdin = io::stdin();
    let interactive = stdin.is_terminal();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut session = Session::new(interactive);
    if let Some(size) = size {
        session.size = size;
    }
    match session.run(stdin.lock(), &mut stdout.lock(), &mut stderr.lock()) {
        Ok(()) if session.errors > 0 && !interactive => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        // the reader of the output stopped early (`| head`): the rest is not wanted
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // (`eprintln!` would panic when stderr cannot be written either)
            let _ = writeln!(io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The state of a REPL session.
pub struct Session {
    /// Show a banner, prompts and assignment echoes.
    pub interactive: bool,
    /// Variables set so far.
    pub vars: BTreeMap<String, f64>,
    /// Every non-empty line entered.
    pub history: Vec<String>,
    /// How many lines failed.
    pub errors: usize,
    /// Plot size (default: the terminal's).
    pub size: Size,
    /// The number of the line being read (from 1), for error messages.
    line_no: usize,
}

/// What a line asks for.
enum Outcome {
    Text(String),
    Quiet,
    Quit,
}

impl Session {
    /// A new session.
    pub fn new(interactive: bool) -> Session {
        Session {
            interactive,
            vars: BTreeMap::new(),
            history: Vec::new(),
            errors: 0,
            size: Size::from_env(),
            line_no: 0,
        }
    }

    /// Reads lines until `:quit` or the end of the input.
    pub fn run(
        &mut self,
        input: impl BufRead,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        if self.interactive {
            writeln!(
                out,
                "trivial-jit {}: expressions to x86-64 machine code. :help for commands.",
                env!("CARGO_PKG_VERSION")
            )?;
        }
        // split by hand rather than with `lines()`, whose error for a line that is not UTF-8
        // would end the session
        let mut lines = input.split(b'\n').enumerate();
        loop {
            if self.interactive {
                write!(out, "> ")?;
                out.flush()?;
            }
            let Some((i, bytes)) = lines.next() else {
                break;
            };
            let mut bytes = bytes?;
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            self.line_no = i + 1;
            let outcome = match String::from_utf8(bytes) {
                Ok(line) => self.line(&line),
                Err(_) => Err(format!("error: line {} is not valid UTF-8\n", i + 1)),
            };
            match outcome {
                Ok(Outcome::Text(t)) => out.write_all(t.as_bytes())?,
                Ok(Outcome::Quiet) => {}
                Ok(Outcome::Quit) => break,
                Err(msg) => {
                    self.errors += 1;
                    out.flush()?;
                    // A message that cannot be written (stderr closed or full) is lost, but
                    // the session goes on: the values still go to stdout, and the exit
                    // status still says that a line failed.
                    let _ = err.write_all(msg.as_bytes()).and_then(|()| err.flush());
                }
            }
        }
        if self.interactive {
            writeln!(out)?;
        }
        out.flush()
    }

    /// Handles one line (`raw`: as typed, without its line end).
    fn line(&mut self, raw: &str) -> Result<Outcome, String> {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Outcome::Quiet);
        }
        self.history.push(line.to_string());
        if let Some(cmd) = line.strip_prefix(':') {
            let (name, rest) = cmd
                .split_once(char::is_whitespace)
                .map_or((cmd, ""), |(a, b)| (a, b.trim()));
            return self.command(raw, name, rest);
        }
        if let Some((name, value_at)) = assignment(line) {
            let v = self.value_in(raw, &line[value_at..])?;
            if !super::is_variable_name(name) {
                return Err(format!(
                    "error: `{name}` cannot be assigned: it is not a variable name (a constant, a function or not an identifier)\n"
                ));
            }
            self.vars.insert(name.to_string(), v);
            return Ok(if self.interactive {
                Outcome::Text(format!("{name} = {}\n", super::number_text(v)))
            } else {
                Outcome::Quiet
            });
        }
        let v = self.value_in(raw, line)?;
        self.vars.insert("ans".into(), v);
        Ok(Outcome::Text(format!("{}\n", super::number_text(v))))
    }

    /// Evaluates `src`, a part of the line `raw`, with the session's variables.
    fn value_in(&self, raw: &str, src: &str) -> Result<f64, String> {
        let f = self.compile_in(raw, src)?;
        let lookup = |n: &str| self.vars.get(n).copied();
        let (inputs, _) = super::bind(&f, &lookup, None, "set it first with `{} = VALUE`")?;
        Ok(f.call(&inputs))
    }

    /// Compiles `src`, a part of the line `raw`. An error is shown in the line as typed (its
    /// leading blanks, the `:asm` before the expression or the `x =` of an assignment
    /// included), numbered as the line of the input it is.
    fn compile_in(&self, raw: &str, src: &str) -> Result<JitFn, String> {
        let at = offset_in(raw, src);
        Jit::compile(src).map_err(|e| {
            let span = Span::new(e.span().start + at, e.span().end + at);
            Error::new(e.kind(), span, e.message()).render_from_line(raw, self.line_no)
        })
    }

    fn command(&mut self, raw: &str, name: &str, rest: &str) -> Result<Outcome, String> {
        let need = |what: &str| {
            if rest.is_empty() {
                Err(format!("error: :{name} needs {what}\n"))
            } else {
                Ok(())
            }
        };
        let takes_nothing = matches!(
            name,
            "q" | "quit" | "exit" | "help" | "h" | "?" | "history" | "vars"
        );
        if takes_nothing && !rest.is_empty() {
            return Err(format!(
                "error: :{name} takes nothing after it (found `{rest}`)\n"
            ));
        }
        let text = match name {
            "q" | "quit" | "exit" => return Ok(Outcome::Quit),
            "help" | "h" | "?" => HELP.to_string(),
            "history" => {
                let mut s = String::new();
                for (i, l) in self.history.iter().enumerate() {
                    s.push_str(&format!("{:>4}  {l}\n", i + 1));
                }
                s
            }
            "vars" => {
                let mut s = String::new();
                for (k, v) in &self.vars {
                    s.push_str(&format!("{k} = {}\n", super::number_text(*v)));
                }
                s
            }
            "asm" | "explain" => {
                need("an expression")?;
                let f = self.compile_in(raw, rest)?;
                super::explain::code_text(&f, name == "explain")
            }
            "plot" => {
                need("an expression and a range, e.g. :plot x^2 x=-1:1")?;
                let (src, range, size) = plot_args(rest)?;
                let f = self.compile_in(raw, src)?;
                let lookup = |n: &str| self.vars.get(n).copied();
                super::plot_text(&f, &lookup, &range, size.unwrap_or(self.size), None)?
            }
            _ => {
                return Err(format!(
                    "error: unknown command :{name} (:help lists the commands)\n"
                ));
            }
        };
        Ok(Outcome::Text(text))
    }
}

/// Where `part`, a slice of `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> usize {
    let at = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    debug_assert!(at <= whole.len() && at + part.len() <= whole.len());
    at
}

/// `name = value` (but not `a == b`, `a <= b`, `a >= b`, `a != b`).
fn assignment(line: &str) -> Option<(&str, usize)> {
    let bytes = line.as_bytes();
    let at = (0..bytes.len()).find(|&i| {
        bytes[i] == b'='
            && bytes.get(i + 1) != Some(&b'=')
            && !(i > 0 && matches!(bytes[i - 1], b'<' | b'>' | b'!' | b'='))
    })?;
    let name = line[..at].trim();
    trivial_jit::compiler::lexer::is_identifier(name).then_some((name, at + 1))
}

/// `EXPR x=A:B [WxH]` → its parts.
fn plot_args(rest: &str) -> Result<(&str, PlotRange, Option<Size>), String> {
    let mut head = rest.trim_end();
    let mut size = None;
    if let Some((before, last)) = head.rsplit_once(char::is_whitespace) {
        // a last word of digits, `x` and digits is a size, even one out of range (say so)
        let is_size = last.split_once(['x', 'X']).is_some_and(|(w, h)| {
            [w, h]
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        if is_size {
            size = Some(Size::parse(last)?);
            head = before.trim_end();
        }
    }
    let usage = || "error: usage: :plot EXPR x=A:B [WxH]\n".to_string();
    let (src, range) = head.rsplit_once(char::is_whitespace).ok_or_else(usage)?;
    if !range.contains('=') || !range.contains(':') {
        return Err(usage());
    }
    Ok((src.trim(), PlotRange::parse(range)?, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(s: &str) -> (String, String, Session) {
        let mut session = Session::new(false);
        session.size = Size {
            width: 30,
            height: 6,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        session.run(s.as_bytes(), &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            session,
        )
    }

    #[test]
    fn assignments_are_remembered() {
        let (out, err, s) = script("a = 1\nb = -3\nc = 2\n(-b+(b^2-4*a*c)^0.5)/(2*a)\nans*10\n");
        assert_eq!(out, "2\n20\n");
        assert_eq!(err, "");
        assert_eq!(s.vars["ans"], 20.0);
    }

    #[test]
    fn comparisons_are_not_assignments() {
        assert_eq!(assignment("a = 1"), Some(("a", 3)));
        assert_eq!(assignment("a == 1"), None);
        assert_eq!(assignment("a <= 1"), None);
        assert_eq!(assignment("2 = 1"), None);
        let (out, _, _) = script("a = 1\na == 1\na != 1\n");
        assert_eq!(out, "1\n0\n");
    }

    #[test]
    fn an_error_in_an_assignment_is_shown_in_the_whole_line() {
        let (_, err, _) = script("x =  1 +\n:vars all\n");
        assert!(err.contains("1 | x =  1 +\n  |         ^"), "{err}");
        assert!(
            err.contains(":vars takes nothing after it (found `all`)"),
            "{err}"
        );
    }

    #[test]
    fn errors_keep_going() {
        let (out, err, s) = script("1 +\nx\npi = 3\n:nope\n2\n");
        assert_eq!(out, "2\n");
        assert!(err.contains("expected an operand"), "{err}");
        assert!(err.contains("  ^"), "{err}");
        assert!(err.contains("no value for `x`"), "{err}");
        assert!(err.contains("`pi` cannot be assigned"), "{err}");
        assert!(err.contains("unknown command"), "{err}");
        assert_eq!(s.errors, 4);
    }

    #[test]
    fn commands() {
        let (out, _, s) = script("x = 2\n:asm x*y\n:plot x*k x=0:1\n:history\n:quit\n3\n");
        assert!(out.contains("mulsd"), "{out}");
        assert!(!out.contains("3\n"), "{out}");
        assert_eq!(s.history.len(), 5);
        let (out, err, _) = script("k = 3\n:plot x*k x=0:1 20x5\n");
        assert_eq!(err, "");
        assert_eq!(out.lines().count(), 5);
        assert!(out.starts_with("3 │"), "{out}");
    }

    #[test]
    fn errors_are_shown_in_the_line_as_typed_under_its_number() {
        let (_, err, _) = script("1\n   1 + * 2\n:asm 1 +\ny = 3 4\n  :plot x+ x=0:1\n");
        for shown in [
            "2 |    1 + * 2\n  |        ^\n",
            "3 | :asm 1 +\n  |         ^\n",
            "4 | y = 3 4\n  |       ^\n",
            "5 |   :plot x+ x=0:1\n  |           ^\n",
        ] {
            assert!(err.contains(shown), "{shown}\nnot in\n{err}");
        }
    }

    /// A writer whose every write fails, as stderr does when closed or on a full disk.
    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn a_session_goes_on_when_its_errors_cannot_be_written() {
        let mut session = Session::new(false);
        let mut out = Vec::new();
        let done = session.run("1+\n2\nx\n3\n".as_bytes(), &mut out, &mut Broken);
        assert!(done.is_ok(), "{done:?}");
        assert_eq!(String::from_utf8(out).unwrap(), "2\n3\n");
        assert_eq!(session.errors, 2);
    }

    #[test]
    fn a_plot_size_out_of_range_is_named() {
        let (out, err, _) = script(":plot x x=0:1 5x5\n");
        assert_eq!(out, "");
        assert!(err.contains("size 5x5 is out of range"), "{err}");
        // a last word that is not a size belongs to the range
        let (_, err, _) = script(":plot x x=0:1x\n");
        assert!(err.contains("`1x` (for `x`) is not a number"), "{err}");
    }
}
