//! The examples at the end of `trivial-jit --help` are run as a user would paste them: in
//! `sh` and in `bash` (where present), with the binary on the `PATH`. An example that works in
//! one shell only, such as `echo` with `\n` (dash expands it, bash does not), fails here.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn help() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trivial-jit"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The lines after `examples:`, without their indentation.
fn examples() -> Vec<String> {
    let help = help();
    let (_, rest) = help
        .split_once("\nexamples:\n")
        .expect("an examples section");
    rest.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The shells to paste into: `sh` always, `bash` when it is installed.
fn shells() -> Vec<&'static str> {
    let has_bash = Command::new("bash").arg("-c").arg("true").output().is_ok();
    if has_bash {
        vec!["sh", "bash"]
    } else {
        vec!["sh"]
    }
}

/// Runs `example` in `shell`, in `dir`, with the binary's directory first on the `PATH`.
fn run(shell: &str, example: &str, dir: &Path) -> Output {
    let exe = Path::new(env!("CARGO_BIN_EXE_trivial-jit"));
    let path = format!(
        "{}:{}",
        exe.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(shell)
        .arg("-c")
        .arg(example)
        .current_dir(dir)
        .env("PATH", path)
        .env("COLUMNS", "60")
        .env("LINES", "12")
        .output()
        .unwrap()
}

/// A fresh directory for the files an example writes (the plot example writes an SVG).
fn scratch(shell: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trivial-jit-help-{shell}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_example_in_the_help_runs() {
    let examples = examples();
    assert!(examples.len() >= 4, "{examples:?}");
    for shell in shells() {
        let dir = scratch(shell);
        for example in &examples {
            assert!(example.starts_with("trivial-jit ") || example.contains("| trivial-jit "));
            let out = run(shell, example, &dir);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{shell}: `{example}` failed:\n{stderr}"
            );
            assert!(
                stderr.is_empty(),
                "{shell}: `{example}` wrote to stderr:\n{stderr}"
            );
            assert!(
                !out.stdout.is_empty(),
                "{shell}: `{example}` printed nothing"
            );
        }
        assert!(dir.join("sinc.svg").is_file(), "{shell}: no SVG written");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn the_repl_example_prints_its_power_in_every_shell() {
    let example = examples()
        .into_iter()
        .find(|e| e.contains("--repl"))
        .expect("a --repl example");
    for shell in shells() {
        let out = run(shell, &example, &std::env::temp_dir());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "1024\n", "{shell}");
    }
}
