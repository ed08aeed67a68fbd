//! `trivial-jit EXPR --plot`: the braille plot of a known function against a golden file,
//! and the SVG output. `UPDATE_GOLDEN=1 cargo test --test cli_plot` rewrites the golden files.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trivial-jit"));
    c.env_remove("COLUMNS").env_remove("LINES");
    c
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "the plot differs from {}; UPDATE_GOLDEN=1 rewrites it",
        path.display()
    );
}

fn run(args: &[&str]) -> String {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn parabola_matches_the_golden_file() {
    let text = run(&["x^2", "--plot", "x=-1:1", "--size", "40x10"]);
    assert_eq!(text.lines().count(), 10);
    assert!(text.lines().all(|l| l.chars().count() <= 40), "{text}");
    golden("plot_x2_40x10.txt", &text);
}

#[test]
fn sized_from_the_environment() {
    let out = bin()
        .args(["x^3", "--plot", "x=-2:2"])
        .env("COLUMNS", "50")
        .env("LINES", "13")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 13, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 50), "{text}");
    let text = run(&["x", "--plot", "x=0:1"]);
    assert_eq!(text.lines().count(), 24, "default 80x24");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn gaps_and_other_variables() {
    // sqrt is NaN for x < 0: the left half is empty.
    let text = run(&["a*x^0.5", "a=2", "--plot", "x=-1:1", "--size", "30x8"]);
    let first_row = text.lines().next().unwrap();
    assert!(first_row.trim_start().starts_with("2 │"), "{text}");
    for row in text.lines().take(6) {
        let (_, plot) = row.split_once('│').unwrap();
        let cells: String = plot.chars().take(10).collect();
        assert!(cells.trim().is_empty(), "{text}");
    }
    assert!(text.lines().last().unwrap().trim_start().starts_with("-1"));
}

#[test]
fn svg_file() {
    let path = std::env::temp_dir().join(format!("trivial-jit-plot-{}.svg", std::process::id()));
    let p = path.to_str().unwrap();
    let text = run(&["1/x", "--plot", "x=-1:1", "--size", "40x10", "--svg", p]);
    assert!(text.ends_with(&format!("wrote {p}\n")));
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<polyline"));
    assert!(svg.contains(">y = 1/x</text>"));
    assert!(svg.contains(">-1</text>") && svg.contains(">1</text>"));
    // Without a sample at exactly 0 the curve is one polyline per side at most.
    let bad = run(&["x^0.5*0/0", "--plot", "x=0:1", "--size", "40x10"]);
    assert!(bad.contains("no finite value"), "{bad}");
}

#[test]
fn plot_errors() {
    for (args, msg) in [
        (&["x", "--plot", "x=1:0"][..], "increasing"),
        (&["x", "--plot", "x"][..], "not a range"),
        (&["x", "--plot", "x=0:1", "--size", "3"][..], "not a size"),
        (&["x*y", "--plot", "x=0:1"][..], "no value for `y`"),
        (&["x", "--svg", "a.svg"][..], "go with --plot"),
    ] {
        let out = bin().args(args).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `| head -1`: the plot is written in one piece into a pipe nobody reads any more
    let mut child = bin()
        .args(["sin(x)", "--plot", "x=0:1", "--size", "1000x1000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(out.status.success());
}
