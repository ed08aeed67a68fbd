//! `trivial-jit EXPR --explain` and `--asm` through the binary.

use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trivial-jit"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_readme_command_still_works() {
    assert_eq!(
        run(&["2*x^0.5", "x=3"]),
        (true, "3.4641016151377544\n".into(), String::new())
    );
    let (ok, out, _) = run(&["2*x^0.5", "x=3", "--asm"]);
    assert!(ok);
    assert!(out.contains("sqrtsd xmm0,xmm0"), "{out}");
    assert!(out.ends_with("3.4641016151377544\n"), "{out}");
}

#[test]
fn explain_the_quadratic_formula() {
    // (System V named: the host's convention is the default, Win64 on Windows)
    let (ok, out, _) = run(&["(-b+(b^2-4*a*c)^0.5)/(2*a)", "--explain", "--abi", "sysv"]);
    assert!(ok);
    for needle in [
        "; array entry: extern \"sysv64\" fn(args: *const f64) -> f64; the 3 arguments are read from [rdi]",
        "; register entry: extern \"sysv64\" fn(f64, f64, f64) -> f64; arguments arrive in xmm0..xmm2",
        // movsd xmm1,[rdi+8] = F2 0F 10 /r, ModRM 01 001 111, disp8 08
        "0004  f2 0f 10 4f 08                 movsd xmm1,[rdi+8]",
        "01 001 111: mod=01 (memory + disp8) reg=001 → xmm1 rm=111 → [rdi]",
        "sqrtsd: square root of the low double",
        "subsd: subtract the low doubles: xmm3 = xmm3 - xmm1",
        "the double 4.0 (bits 0x4010000000000000)",
        "; constant pool",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // a negation that stays: a sign flip with a mask from the pool
    let (ok, neg, _) = run(&["-x*y", "--explain"]);
    assert!(ok);
    for needle in [
        "xorpd: bitwise xor of 128 bits",
        "sign mask: only the sign bit",
    ] {
        assert!(neg.contains(needle), "missing {needle:?} in\n{neg}");
    }
    // No values: the code is explained but not run.
    assert!(!out.trim_end().ends_with('2'));
    let (_, with_values, _) = run(&[
        "(-b+(b^2-4*a*c)^0.5)/(2*a)",
        "a=1",
        "b=-3",
        "c=2",
        "--explain",
    ]);
    assert!(with_values.ends_with("\n2\n"));
}

#[test]
fn explain_calls_and_win64() {
    let (ok, out, _) = run(&["sin(x)*y", "--explain", "--abi", "win64"]);
    assert!(ok, "{out}");
    assert!(out.contains("Win64 calling convention"), "{out}");
    assert!(out.contains("read from [rcx]"), "{out}");
    assert!(out.contains("address slot of `sin`"), "{out}");
    assert!(
        out.contains("call the function whose address is stored at [rip+"),
        "{out}"
    );
    assert!(out.contains("rsp = rsp - "), "{out}");
    let (ok, _, err) = run(&["x", "--abi", "vax"]);
    assert!(!ok && err.contains("unknown calling convention"));
}

#[test]
fn help_documents_every_option() {
    let (ok, out, _) = run(&["--help"]);
    assert!(ok);
    for opt in [
        "--asm",
        "--explain",
        "--abi",
        "--plot",
        "--size",
        "--svg",
        "--repl",
        "--help",
    ] {
        assert!(out.contains(opt), "{opt} is not documented:\n{out}");
    }
    let (ok, _, err) = run(&["x", "--nope"]);
    assert!(!ok && err.contains("unknown option `--nope`"));
}
