//! Limits (§6 of the spec): every `Limits` field gives its typed error through
//! `Jit::builder().limits(..)`, malformed or huge input gives an `Error` rather than a panic
//! or a stack overflow, and a 1 MiB expression compiles in about linear time.

use trivial_jit::{ErrorKind, Jit, Limits, Reducer};

fn limited(limits: Limits) -> trivial_jit::JitBuilder {
    Jit::builder().limits(limits)
}

#[test]
fn source_length_limit() {
    let limits = Limits {
        max_source_len: 9,
        ..Limits::default()
    };
    let ok = "x + 1 + 2"; // 9 bytes: at the limit
    assert_eq!(limited(limits).compile(ok).unwrap().call(&[1.0]), 4.0);
    let long = "x + 1 + 2 + 3";
    let err = limited(limits).compile(long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceTooLong);
    assert_eq!(err.span(), 9..long.len());
    let err = limited(limits).compile_with_args(long, &["x"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceTooLong);
}

#[test]
fn nesting_depth_limit() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert_eq!(limited(limits).compile("((x))").unwrap().call(&[2.0]), 2.0);
    for src in [
        "((((x))))",
        "- - - - x",
        "2^2^2^2^2",
        "sin(cos(tan(exp(x))))",
    ] {
        let err = limited(limits).compile(src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep, "{src}");
        assert!(err.span().end <= src.len(), "{src}: {:?}", err.span());
    }
}

#[test]
fn argument_limit() {
    let limits = Limits {
        max_args: 2,
        ..Limits::default()
    };
    assert_eq!(limited(limits).compile("a + b").unwrap().arity(), 2);
    let err = limited(limits).compile("a + b + c").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyArguments);
    assert_eq!(err.span(), 8..9);
    let err = limited(limits)
        .compile_with_args("a", &["a", "b", "c"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyArguments);
}

#[test]
fn code_length_limit() {
    let limits = Limits {
        max_code_len: 64,
        ..Limits::default()
    };
    let src = (0..50)
        .map(|i| format!("sin(x*{i}.5)"))
        .collect::<Vec<_>>()
        .join(" + ");
    let err = limited(limits).compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CodeTooLarge);
    assert!(Jit::compile(&src).is_ok());
}

#[test]
fn code_length_limit_stops_code_generation_early() {
    // 2 000 integer powers of distinct bases, 114 multiplications each: about 0.9 MB of
    // code, far past a 64 KiB limit, which is found while the instructions are generated
    let src = (0..2_000)
        .map(|i| format!("(x+{i})^9223372036854774807"))
        .collect::<Vec<_>>()
        .join("+");
    let limits = Limits {
        max_code_len: 64 << 10,
        ..Limits::default()
    };
    let err = limited(limits).compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CodeTooLarge);
    assert_eq!(err.span(), 0..src.len(), "the whole expression");
    assert!(err.to_string().contains("more than 65536 bytes"), "{err}");
}

#[test]
fn default_depth_limit_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    for src in [
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x", "-".repeat(n)),
        format!("{}x", "√".repeat(n)),
        format!("x{}", "^x".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        "(".repeat(n),
    ] {
        let err = Jit::compile(&src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
    }
}

/// A flat sum of `terms` products over 8 variables, `a*123.5+b*124.5+…`, about 8 bytes a
/// term, with `distinct` different constants.
fn big_sum(terms: usize, distinct: usize) -> String {
    let vars = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut s = String::with_capacity(terms * 9);
    for i in 0..terms {
        if i > 0 {
            s.push('+');
        }
        s.push_str(vars[i % vars.len()]);
        s.push('*');
        s.push_str(&(i % distinct).to_string());
        s.push_str(".5");
    }
    s
}

/// The function compiled from `src` computes what the interpreter does.
fn assert_agrees(src: &str) {
    let f = Jit::compile(src).unwrap();
    let args: Vec<f64> = (0..f.arity())
        .map(|i| [1.5, -2.0, 0.25, 3.0][i % 4] * (i + 1) as f64)
        .collect();
    let want = f.expr().eval(&args).unwrap();
    assert_eq!(f.call(&args).to_bits(), want.to_bits());
}

/// 150 000 terms of [`big_sum`] (a megabyte), which computes what the interpreter does.
/// (That compile time grows linearly is measured by the benchmark's scaling section, not
/// here: speed is never asserted by a timed test.)
fn assert_big_sum(distinct: usize) {
    let big = big_sum(150_000, distinct);
    assert!(big.len() >= 1 << 20, "{} bytes", big.len());
    assert_agrees(&big);
}

#[test]
fn one_mebibyte_expression_compiles() {
    assert_big_sum(1000);
}

#[test]
fn one_mebibyte_of_distinct_constants_compiles() {
    assert_big_sum(usize::MAX);
}

/// A sum of `n` branching `if`s (each side with a call), each joining before the next.
fn branching_ifs(n: usize) -> String {
    (0..n)
        .map(|i| format!("if(x > {i}, exp(x*{i}.5), y*{i})"))
        .collect::<Vec<_>>()
        .join("+")
}

/// Thousands of branches, tail calls and dropped stores (emitting them once looked each
/// instruction up in lists of them: 16 000 `if`s took 650 ms, now 40 ms in release; the
/// benchmark's scaling section measures it).
#[test]
fn thousands_of_branching_ifs_compile() {
    assert_agrees(&branching_ifs(8000));
}

/// `(x*1.5 + x*2.5 + …) * (x*1.5 - x*2.5 - …)` with `n` products in each factor: the products
/// are shared, so all `n` are kept from the first factor to the second, most of them in the
/// stack frame (8 bytes each).
fn shared_products(n: usize) -> String {
    let terms = |sep: &str| {
        (1..=n)
            .map(|i| format!("x*{i}.5"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    format!("({})*({})", terms("+"), terms("-"))
}

/// The immediates of the listing's `sub rsp, N` instructions: how the frame is reserved.
fn rsp_steps(listing: &str) -> Vec<i64> {
    listing
        .lines()
        .filter_map(|l| l.split("sub rsp,").nth(1))
        .map(|imm| i64::from_str_radix(imm.trim_end_matches('h'), 16).unwrap())
        .collect()
}

#[test]
fn frame_length_limit() {
    // about 1 000 values kept at once: a frame of about 8 KiB
    let src = shared_products(1_000);
    let limits = Limits {
        max_frame_len: 4096,
        ..Limits::default()
    };
    let err = limited(limits).compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FrameTooLarge);
    assert_eq!(err.span(), 0..src.len(), "the whole expression");
    assert!(err.to_string().contains("the limit is 4096"), "{err}");
}

/// A frame over a page is reserved a page at a time (each page read before the next is
/// reserved, so a frame too large for the caller's stack stops at its guard page): such
/// code computes what the interpreter does, in both conventions and both instruction sets.
#[cfg(target_arch = "x86_64")]
#[test]
fn frames_over_a_page_grow_a_page_at_a_time() {
    use trivial_jit::compiler::codegen::Abi;
    let src = shared_products(1_000);
    let want = trivial_jit::compiler::parse(&src)
        .unwrap()
        .eval(&[0.37])
        .unwrap();
    for abi in [Abi::SysV, Abi::Win64] {
        for avx in [false, true] {
            if avx && !std::is_x86_feature_detected!("avx") {
                continue;
            }
            let f = Jit::builder().abi(abi).avx(avx).compile(&src).unwrap();
            let listing = f.listing();
            let probe = "mov r10,[rsp]";
            assert!(listing.contains(probe), "{abi:?} avx {avx}: no probe");
            let largest_step = rsp_steps(&listing).into_iter().max();
            assert_eq!(largest_step, Some(4096), "{abi:?} avx {avx}");
            assert_eq!(
                f.call(&[0.37]).to_bits(),
                want.to_bits(),
                "{abi:?} avx {avx}"
            );
        }
    }
}

/// 40 000 values kept at once need a frame of 320 KB: past the default limit of 256 KiB, an
/// error rather than a frame that overflows the test thread's 2 MiB stack (300 000 of them,
/// 2.4 MB, crashed it).
#[test]
fn default_frame_limit_is_an_error_not_a_stack_overflow() {
    let src = shared_products(40_000);
    let err = Jit::compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FrameTooLarge);
}

/// Calls of a closure (a user function run through the trampoline) store their arguments
/// in one block of the frame that every call uses: the frame does not grow with the number
/// of calls (one block a call made a megabyte of `c0()+c0()+…` need 1.6 MB of stack, and
/// crash a thread with 1 MiB).
#[test]
fn closure_calls_share_one_argument_block() {
    let builder = || {
        Jit::builder()
            .closure("c0", 0, |_| 1.0)
            .closure("c2", 2, |a| a[0] - a[1])
    };
    let calls = |n: usize| {
        (0..n)
            .map(|i| if i % 2 == 0 { "c0()" } else { "c2(x, c0())" })
            .collect::<Vec<_>>()
            .join("+")
    };
    let frame = |src: &str| rsp_steps(&builder().compile(src).unwrap().listing());
    assert_eq!(frame(&calls(4)), frame(&calls(400)));

    let big = calls(150_000);
    assert!(big.len() >= 1 << 20, "{} bytes", big.len());
    let run = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || builder().compile(&big).unwrap().call(&[2.0]))
        .unwrap();
    // 75 000 c0() and 75 000 c2(2, 1) = 1
    assert_eq!(run.join().unwrap(), 150_000.0);
}

/// The strict reducer's loop (the fold kernel) keeps its spill slots in a frame too: over a
/// page, it is reserved a page at a time as well, and the fold computes what the
/// interpreter's element-by-element fold does.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "the fold kernel is machine code"
)]
fn a_fold_with_a_frame_over_a_page() {
    let src = format!("t*0.5 + {}", shared_products(1_000));
    let r = Jit::reducer(&src, "t", 1.0).unwrap();
    assert!(r.is_strict_native(), "the fold kernel runs");
    let f = trivial_jit::compiler::parse_with_args(&src, &["t", "x"]).unwrap();
    let kernel = trivial_jit::compiler::codegen::fold_kernel(&f, 1 << 18, true).unwrap();
    assert!(
        kernel.listing.contains("mov r10,[rsp]"),
        "the kernel probes"
    );
    let xs = [0.37, -1.5, 2.0, 0.0, 1e-3, -7.25, 3.5];
    let want = xs.iter().fold(1.0, |t, &x| f.eval(&[t, x]).unwrap());
    assert_eq!(r.reduce(&xs).to_bits(), want.to_bits());
}

/// The fold kernel's frame is bounded by the limit its step was compiled with, as the step's
/// own frame is: a step whose frame is over the default 256 KiB, compiled with a raised
/// `max_frame_len`, still gets a fold kernel (it used to run element by element), and a frame
/// over a lowered limit gets none.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "the fold kernel is machine code"
)]
fn the_fold_kernel_takes_the_step_s_frame_limit() {
    let f = |n| trivial_jit::compiler::parse_with_args(&shared_products(n), &["t", "x"]).unwrap();
    let small = f(1_000); // a frame of about 8 KiB
    assert!(trivial_jit::compiler::codegen::fold_kernel(&small, 4096, false).is_none());
    assert!(trivial_jit::compiler::codegen::fold_kernel(&small, 16 << 10, false).is_some());
    // about 40 000 values kept at once: a frame of about 320 KiB
    let src = format!("t + {}", shared_products(40_000));
    let raised = Limits {
        max_frame_len: 1 << 20,
        ..Limits::default()
    };
    let run = std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(move || {
            let step = Jit::builder()
                .limits(raised)
                .compile_with_args(&src, &["t", "x"])
                .unwrap();
            let r = Reducer::new(step, 0.0).unwrap();
            assert!(r.is_strict_native(), "the fold kernel runs");
            let xs = [0.5, -2.0, 3.0];
            let want = xs.iter().fold(0.0, |t, &x| r.function().call(&[t, x]));
            assert_eq!(r.reduce(&xs).to_bits(), want.to_bits());
        })
        .unwrap();
    run.join().unwrap();
}

/// Thousands of registered names, each used once: registering and looking them up takes the
/// same time per name however many there are (scans made it quadratic: 10 000 constants took
/// 0.1 s to register and as long to parse), and the code calls the right functions.
#[test]
fn thousands_of_user_names() {
    extern "C" fn twice(x: f64) -> f64 {
        2.0 * x
    }
    let n = 10_000;
    let mut builder = Jit::builder();
    for i in 0..n {
        builder = builder.constant(&format!("k{i}"), i as f64);
        if i % 2 == 0 {
            builder = builder.function1(&format!("u{i}"), twice);
        } else {
            builder = builder.closure(&format!("u{i}"), 1, move |a| a[0] + i as f64);
        }
    }
    let src = (0..n)
        .map(|i| format!("u{i}(k{i}*x)"))
        .collect::<Vec<_>>()
        .join("+");
    let f = builder.compile(&src).unwrap();
    let want = f.expr().eval(&[0.5]).unwrap();
    assert_eq!(f.call(&[0.5]).to_bits(), want.to_bits());
    // u_i(k_i * x) at x = 0.5: i for even i, 1.5 i for odd i
    let exact: f64 = (0..n)
        .map(|i| if i % 2 == 0 { i as f64 } else { 1.5 * i as f64 })
        .sum();
    assert_eq!(want, exact);
}
