//! JitFn as a whole: threads, memory, W^X, refused executable memory, arity errors.

use jit_runtime::{ErrorKind, Jit, JitFn};
use std::sync::Arc;

/// Whether `Jit::compile` makes machine code on this target (elsewhere it interprets).
const NATIVE: bool = cfg!(target_arch = "x86_64");

fn writable_and_executable_mappings() -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|l| {
            let perms = l.split_whitespace().nth(1).unwrap_or("");
            perms.contains('w') && perms.contains('x')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn eight_threads_call_one_function() {
    let f = Jit::compile("sin(x)*y + x^3 - min(x, y)").unwrap();
    let want: Vec<f64> = (0..1000)
        .map(|i| f.expr().eval(&[i as f64 * 0.01, 2.0]).unwrap())
        .collect();
    let want = Arc::new(want);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let f = f.clone();
            let want = want.clone();
            std::thread::spawn(move || {
                let h = f.typed2().unwrap();
                for round in 0..50 {
                    for (i, w) in want.iter().enumerate() {
                        let x = i as f64 * 0.01;
                        let got = if round % 2 == 0 {
                            f.call(&[x, 2.0])
                        } else {
                            h.call(x, 2.0)
                        };
                        assert_eq!(got.to_bits(), w.to_bits());
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn threads_compile_clone_call_and_drop_at_once() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut keep: Vec<JitFn> = Vec::new();
                for i in 0..300 {
                    let src = format!("x*{t} + {i} - sqrt(x)");
                    let f = Jit::compile(&src).unwrap();
                    let g = f.clone();
                    assert_eq!(g.call(&[4.0]), 4.0 * t as f64 + i as f64 - 2.0);
                    if i % 3 == 0 {
                        keep.push(g);
                    }
                    if keep.len() > 20 {
                        keep.remove(0);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn no_mapping_is_writable_and_executable() {
    let live: Vec<JitFn> = (0..100)
        .map(|i| Jit::compile(&format!("x + {i}")).unwrap())
        .collect();
    assert!(live.iter().all(|f| f.is_native() == NATIVE));
    assert_eq!(writable_and_executable_mappings(), Vec::<String>::new());
    drop(live);
    assert_eq!(writable_and_executable_mappings(), Vec::<String>::new());
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "no machine code here, so no executable memory to refuse"
)]
fn refused_executable_memory_is_an_error() {
    jit_runtime::exec::fault::fail_next_protect_changes(1);
    let err = Jit::compile("x + 1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ExecutableMemory);
    assert!(err.to_string().contains("executable memory"), "{err}");
    // and the next compile works again
    assert_eq!(Jit::compile("x + 1").unwrap().call(&[1.0]), 2.0);
}

#[test]
fn wrong_argument_counts() {
    let f = Jit::compile("x + y").unwrap();
    let err = f.try_call(&[1.0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ArgumentCount);
    assert!(
        err.to_string()
            .contains("2 arguments (x, y), but 1 was given"),
        "{err}"
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call(&[1.0, 2.0, 3.0])))
        .unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("but 3 were given"), "{msg}");
    assert_eq!(f.typed1().unwrap_err().kind(), ErrorKind::ArgumentCount);
}

#[test]
fn jitfn_is_clone_debug_send_sync_static() {
    fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    assert_traits::<JitFn>();
    let f = Jit::compile("2*x").unwrap();
    let dbg = format!("{f:?}");
    let native = format!("native: {NATIVE}");
    assert!(dbg.contains("2*x") && dbg.contains(&native), "{dbg}");
}

#[test]
fn deep_balanced_trees_and_long_products() {
    // depth 18: 2^18 leaves over 20 arguments, so values stay live and registers run out
    let mut level: Vec<String> = (0..1 << 18).map(|i| format!("a{}", i % 20)).collect();
    let mut depth = 0;
    while level.len() > 1 {
        let op = ["+", "*", "-", "/"][depth % 4];
        level = level
            .chunks(2)
            .map(|p| format!("({}{op}{})", p[0], p[1]))
            .collect();
        depth += 1;
    }
    let f = Jit::compile(&level[0]).unwrap();
    let args: Vec<f64> = (0..20).map(|i| 1.0 + i as f64 / 3.0).collect();
    let want = f.expr().eval(&args).unwrap();
    assert!(f.call(&args).to_bits() == want.to_bits() || (want.is_nan() && f.call(&args).is_nan()));
    let product = (0..50_000)
        .map(|i| format!("x{}", i % 9))
        .collect::<Vec<_>>()
        .join("*");
    let p = Jit::compile(&product).unwrap();
    let args = [1.0001; 9];
    assert_eq!(
        p.call(&args).to_bits(),
        p.expr().eval(&args).unwrap().to_bits()
    );
}

#[test]
fn a_batch_shares_one_mapping_and_each_function_works() {
    let srcs: Vec<String> = (0..50).map(|i| format!("x*{i} + sin(x) - {i}^2")).collect();
    let refs: Vec<&str> = srcs.iter().map(String::as_str).collect();
    let fs = Jit::compile_batch(&refs).unwrap();
    assert_eq!(fs.len(), 50);
    for (i, f) in fs.iter().enumerate() {
        assert_eq!(f.is_native(), NATIVE);
        let want = f.expr().eval(&[0.75]).unwrap();
        assert_eq!(f.call(&[0.75]).to_bits(), want.to_bits(), "function {i}");
    }
    assert_eq!(writable_and_executable_mappings(), Vec::<String>::new());
    // dropping some keeps the others alive
    let keep = fs[49].clone();
    drop(fs);
    assert_eq!(keep.call(&[1.0]), 49.0 + 1f64.sin() - 2401.0);
    let err = Jit::compile_batch(&["x", "2*", "y"]).unwrap_err();
    assert!(err.message().starts_with("source #1:"), "{err}");
    assert!(Jit::compile_batch(&[]).unwrap().is_empty());
}

/// Every typed handle, 0 to 8 arguments, and its raw entry compute what `call` does, for
/// each argument in its own place (an argument passed in the wrong register would show).
#[test]
fn typed_handles_and_raw_entries_agree_with_call() {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    // a weight per argument, so that swapped arguments give another value
    let src_of = |n: usize| {
        let terms: Vec<String> = (0..n).map(|i| format!("{}*{}", names[i], i + 2)).collect();
        if terms.is_empty() {
            "1.5".to_string()
        } else {
            terms.join(" - ")
        }
    };
    let v = [0.5, -1.25, 3.0, 7.5, -0.0, 1e-3, 2.0, -9.0];
    for avx in [false, true] {
        let b = || jit_runtime::Jit::builder().avx(avx);
        macro_rules! check {
            ($n:literal, $typed:ident, $($i:literal),*) => {{
                let f = b().compile_with_args(&src_of($n), &names[..$n]).unwrap();
                let want = f.call(&v[..$n]);
                let h = f.$typed().unwrap();
                assert_eq!(h.call($(v[$i]),*).to_bits(), want.to_bits(), "typed{}", $n);
                // SAFETY: `raw` is called while `f` lives.
                if let Some(raw) = unsafe { h.as_fn() } {
                    assert_eq!(raw($(v[$i]),*).to_bits(), want.to_bits(), "raw{}", $n);
                } else {
                    assert!(!cfg!(target_arch = "x86_64"), "native code has a raw entry");
                }
            }};
        }
        check!(0, typed0,);
        check!(1, typed1, 0);
        check!(2, typed2, 0, 1);
        check!(3, typed3, 0, 1, 2);
        check!(4, typed4, 0, 1, 2, 3);
        check!(5, typed5, 0, 1, 2, 3, 4);
        check!(6, typed6, 0, 1, 2, 3, 4, 5);
        check!(7, typed7, 0, 1, 2, 3, 4, 5, 6);
        check!(8, typed8, 0, 1, 2, 3, 4, 5, 6, 7);
    }
}
