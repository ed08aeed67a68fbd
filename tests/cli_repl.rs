//! `trivial-jit --repl` driven through stdin (not a terminal: no banner, no prompts).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn repl(input: &str) -> Output {
    repl_bytes(input.as_bytes())
}

fn repl_bytes(input: &[u8]) -> Output {
    repl_with(&[], input)
}

/// `trivial-jit --repl` with more arguments, fed `input`, in a 40x10 terminal.
fn repl_with(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trivial-jit"))
        .arg("--repl")
        .args(args)
        .env("COLUMNS", "40")
        .env("LINES", "10")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn a_script_prints_only_the_values() {
    let out = repl(
        "# the quadratic formula\n\
         a = 1\n\
         b = -3\n\
         c = 2\n\
         (-b+(b^2-4*a*c)^0.5)/(2*a)\n\
         ans * 10\n\
         2*x^0.5\n\
         x = 3\n\
         2*x^0.5\n",
    );
    assert_eq!(text(&out.stdout), "2\n20\n3.4641016151377544\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("no value for `x`: set it first with `x = VALUE`"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1), "a script with errors fails");
}

#[test]
fn errors_show_the_caret_and_the_session_goes_on() {
    let out = repl("1 + * 2\nsinn(1)\n1+1\n");
    assert_eq!(text(&out.stdout), "2\n");
    let err = text(&out.stderr);
    assert!(err.contains("1 | 1 + * 2\n  |     ^\n"), "{err}");
    // numbered as the line of the input it is
    assert!(err.contains("2 | sinn(1)\n  | ^^^^"), "{err}");
}

#[test]
fn clean_script_succeeds() {
    let out = repl("1+2\n:quit\nnot reached(\n");
    assert_eq!(text(&out.stdout), "3\n");
    assert_eq!(text(&out.stderr), "");
    assert!(out.status.success());
}

#[test]
fn commands() {
    let out = repl(
        "k = 2\n\
         :asm x*y\n\
         :explain x+1\n\
         :plot k*x^2 x=-1:1 30x6\n\
         :vars\n\
         :history\n\
         :help\n",
    );
    let s = text(&out.stdout);
    assert_eq!(text(&out.stderr), "");
    assert!(s.contains("mulsd xmm0,xmm1"), "{s}");
    assert!(
        s.contains("addsd: add the low doubles: xmm0 = xmm0 + [rip+"),
        "{s}"
    );
    assert!(s.contains("the double 1.0"), "{s}");
    assert!(
        s.contains("\n2 │") || s.starts_with("2 │") || s.contains(" 2 │"),
        "{s}"
    );
    assert!(s.contains("k = 2\n"), "{s}");
    assert!(s.contains("   1  k = 2\n   2  :asm x*y\n"), "{s}");
    assert!(s.contains("   6  :history\n"), "{s}");
    assert!(s.contains(":plot EXPR x=A:B"), "{s}");
}

#[test]
fn unknown_commands_and_bad_assignments() {
    let out = repl(":frobnicate\npi = 3\nsin = 1\n:plot x\n");
    let err = text(&out.stderr);
    assert!(err.contains("unknown command :frobnicate"), "{err}");
    assert!(err.contains("`pi` cannot be assigned"), "{err}");
    assert!(err.contains("usage: :plot EXPR x=A:B"), "{err}");
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn a_line_that_is_not_utf8_is_an_error_and_the_session_goes_on() {
    let out = repl_bytes(b"1\nx\xff\n2^70\r\n");
    assert_eq!(text(&out.stdout), "1\n1.1805916207174113e21\n");
    assert_eq!(text(&out.stderr), "error: line 2 is not valid UTF-8\n");
    assert!(!out.status.success(), "a script with an error fails");
}

#[test]
fn a_reader_that_stops_early_ends_the_session_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trivial-jit"))
        .arg("--repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // nobody reads the output
    let script = ":asm sin(x)*cos(x)\n".repeat(2_000);
    // the REPL may stop reading before all of it is written
    let _ = child.stdin.take().unwrap().write_all(script.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stderr), "");
    assert!(out.status.success());
}

#[test]
fn size_sets_the_size_of_plot_and_nothing_else_is_taken() {
    let out = repl_with(&["--size", "20x5"], b":plot x x=0:1\n:plot x x=0:1 30x6\n");
    assert_eq!(text(&out.stderr), "");
    // 5 lines of at most 20 characters, then the size given to :plot
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 5 + 6, "{lines:#?}");
    assert!(lines[..5].iter().all(|l| l.chars().count() <= 20));
    let out = Command::new(env!("CARGO_BIN_EXE_trivial-jit"))
        .args(["--repl", "--size", "20x5", "--asm"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--repl takes only --size WxH"));
}
