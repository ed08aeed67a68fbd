//! User constants, native functions and closures (issue: user functions).

#[path = "../../tests/support/cases.rs"]
mod cases;
#[path = "../../tests/support/values.rs"]
mod values;

use cases::cases;
use jit_runtime::compiler::codegen::Abi;
use jit_runtime::{ErrorKind, Jit, JitBuilder};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use values::same;

extern "C" fn zero() -> f64 {
    -0.0
}
extern "C" fn half(x: f64) -> f64 {
    x / 2.0
}
extern "C" fn nan_if_neg(x: f64, y: f64) -> f64 {
    if x < 0.0 { f64::NAN } else { x * y }
}
extern "C" fn inf3(a: f64, b: f64, c: f64) -> f64 {
    if a == b { f64::INFINITY } else { a - b * c }
}
extern "C" fn mix4(a: f64, b: f64, c: f64, d: f64) -> f64 {
    (a - b) * (c + d)
}

fn builder(abi: Abi) -> JitBuilder {
    Jit::builder()
        .abi(abi)
        .constant("g", 9.81)
        .function("zero", zero as extern "C" fn() -> f64)
        .function("half", half as extern "C" fn(f64) -> f64)
        .function("nn", nan_if_neg as extern "C" fn(f64, f64) -> f64)
        .function("inf3", inf3 as extern "C" fn(f64, f64, f64) -> f64)
        .function("mix4", mix4 as extern "C" fn(f64, f64, f64, f64) -> f64)
        .closure("c0", 0, |_| 0.25)
        .closure("c1", 1, |a| a[0] * 3.0)
        .closure("c5", 5, |a| a.iter().sum())
}

const CORPUS: [&str; 9] = [
    "zero() + half(x) * g",
    "nn(x, y) + inf3(x, y, 2) - mix4(x, y, x*y, 1)",
    "c0() + c1(x) - c5(x, y, 1, 2, half(y))",
    "sin(x) * c1(y + half(x)) + zero()",
    "c1(c1(c1(x))) + mix4(c1(x), y, half(y), nn(y, x))",
    "if(x < y, c1(x), half(y)) + x*y*(1 + c5(x, x, x, y, y))",
    "if(x, if(y > 0, c1(y) + x, half(x)), c5(x, y, 1, 2, x*y)) * if(y < x, zero(), c0() - y)",
    "if(x*y, x + sin(y), y) + if(x > y, cos(x*y), x*y) - if(y, half(x + y), 1/x)",
    "if(x == y, c1(x), half(y)) + if(x != y, c0(), 2) - if(x >= y, zero(), x) * if(x <= 1, c1(y), y)",
];

proptest! {
    #[test]
    fn jit_equals_interpreter_with_user_functions(
        x in prop_oneof![Just(0.0), Just(-0.0), Just(f64::NAN), Just(f64::INFINITY), Just(-1.5), any::<f64>()],
        y in prop_oneof![Just(1.0), Just(-0.0), Just(f64::NEG_INFINITY), any::<f64>()],
    ) {
        for abi in [Abi::SysV, Abi::Win64] {
            let b = builder(abi);
            for src in CORPUS {
                let f = b.compile_with_args(src, &["x", "y"]).unwrap();
                let want = f.expr().eval(&[x, y]).unwrap();
                let got = f.call(&[x, y]);
                prop_assert!(same(want, got), "{src} {abi:?} ({x}, {y}): {got} vs {want}");
            }
        }
    }
}

/// Random expressions over the user functions of [`builder`] (every arity, native and
/// closure), the built-in functions and `if`, written as source.
fn source() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("y".to_string()),
        Just("g".to_string()),
        Just("zero()".to_string()),
        Just("c0()".to_string()),
        (0u32..10).prop_map(|n| n.to_string()),
        Just("0.5".to_string()),
        Just("inf".to_string()),
        Just("nan".to_string()),
    ];
    leaf.prop_recursive(5, 40, 5, |inner| {
        let call = |name: &'static str, n: usize| {
            proptest::collection::vec(inner.clone(), n)
                .prop_map(move |args| format!("{name}({})", args.join(", ")))
        };
        let op = proptest::sample::select(vec!["+", "-", "*", "/", "^", "<", "!="]);
        prop_oneof![
            call("half", 1),
            call("c1", 1),
            call("nn", 2),
            call("inf3", 3),
            call("mix4", 4),
            call("c5", 5),
            call("sin", 1),
            call("min", 3),
            call("if", 3),
            (inner.clone(), op, inner).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        ]
    })
}

proptest! {
    #![proptest_config(cases(300))]

    /// SPEC §3.5: the interpreter evaluates the same registry, so JIT == interpreter covers
    /// user functions, on random expressions too (nested calls, calls in `if`s that branch,
    /// calls as arguments of calls).
    #[test]
    fn random_expressions_with_user_functions_agree(
        src in source(),
        x in prop_oneof![Just(0.0), Just(-0.0), Just(f64::NAN), Just(-1.5), Just(2.0), any::<f64>()],
        y in prop_oneof![Just(1.0), Just(-0.0), Just(f64::INFINITY), any::<f64>()],
    ) {
        for abi in [Abi::SysV, Abi::Win64] {
            let f = builder(abi).compile_with_args(&src, &["x", "y"]).unwrap();
            let want = f.expr().eval(&[x, y]).unwrap();
            let got = f.call(&[x, y]);
            prop_assert!(same(want, got), "{src} {abi:?} ({x}, {y}): {got} vs {want}");
        }
    }
}

#[test]
#[cfg_attr(not(target_arch = "x86_64"), ignore = "no machine code here")]
fn closures_run_as_machine_code_on_the_host() {
    let f = builder(Abi::host()).compile("c1(x) + half(x)").unwrap();
    assert!(f.is_native());
    assert_eq!(f.call(&[2.0]), 7.0);
    assert!(f.listing().contains("call"));
    // a native function as the result is a tail call; a closure never is (its arguments
    // are in the frame, which a tail call would take down before the closure reads them)
    let half = builder(Abi::host()).compile("half(x*3)").unwrap();
    assert_eq!(half.call(&[2.0]), 3.0);
    assert!(
        half.listing().contains("jmp qword ptr"),
        "{}",
        half.listing()
    );
    let c1 = builder(Abi::host()).compile("c1(x*3)").unwrap();
    assert_eq!(c1.call(&[2.0]), 18.0);
    assert!(!c1.listing().contains("jmp qword ptr"), "{}", c1.listing());
}

/// A builder with `tick(x) = x + 1`, a closure that counts its calls in the returned counter.
fn ticking() -> (JitBuilder, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let builder = Jit::builder().closure("tick", 1, move |a| {
        c.fetch_add(1, Ordering::Relaxed);
        a[0] + 1.0
    });
    (builder, count)
}

#[test]
fn a_closure_capturing_state_counts_exactly_across_threads() {
    let (builder, count) = ticking();
    let f = builder.compile("tick(x) * tick(x + 1)").unwrap();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let f = f.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let x = (t * 1000 + i) as f64;
                    assert_eq!(f.call(&[x]), (x + 1.0) * (x + 2.0));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // every call site called once per evaluation: CSE never merges user calls
    assert_eq!(count.load(Ordering::Relaxed), 8 * 1000 * 2);
}

/// `if` calls a user function only on the side it chooses, in machine code as in the
/// interpreter (a side that calls a function is a branch, not a blend).
#[test]
fn only_the_chosen_side_of_an_if_calls_user_functions() {
    let (builder, count) = ticking();
    let src = "if(x > 0, tick(x), 2 * tick(-x)) + if(x, 1, tick(x)) \
               + if(x < -5, if(x < -10, tick(1), 3), 4)";
    let f = builder.compile(src).unwrap();
    assert_eq!(f.is_native(), cfg!(target_arch = "x86_64"));
    let inputs = [2.0, -3.0, 0.0, -0.0, f64::NAN, -7.0, -20.0];
    // x > 0 takes the first tick, else the second; x = ±0 and NaN take the third; x < -10 the last
    let expected = [1, 1, 2, 2, 2, 1, 2];
    for (x, calls) in inputs.into_iter().zip(expected) {
        count.store(0, Ordering::Relaxed);
        let got = f.call(&[x]);
        assert_eq!(
            count.load(Ordering::Relaxed),
            calls,
            "machine code, x = {x}"
        );
        count.store(0, Ordering::Relaxed);
        let want = f.expr().eval(&[x]).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), calls, "interpreter, x = {x}");
        assert!(same(want, got), "x = {x}: {got} vs {want}");
    }
}

/// A power of exponent 0 is 1 whatever its base, but a call in the base is still made, as
/// the interpreter makes it (its effects and its panic are observable).
#[test]
fn a_call_raised_to_the_power_0_is_still_made() {
    let (builder, count) = ticking();
    for src in [
        "tick(x)^0",
        "pow(tick(x), 0)",
        "tick(x)^(1-1)",
        "(tick(x)^0)^0 + tick(x)^-0",
    ] {
        let f = builder.compile(src).unwrap();
        for x in [2.0, f64::NAN] {
            count.store(0, Ordering::Relaxed);
            let got = f.call(&[x]);
            let made = count.swap(0, Ordering::Relaxed);
            let want = f.expr().eval(&[x]).unwrap();
            // as many calls in machine code as in the interpreter
            assert_eq!(made, count.load(Ordering::Relaxed), "{src}: x = {x}");
            assert!(made >= 1, "{src}: no call");
            assert!(same(want, got), "{src}: {got} vs {want}");
        }
    }
    let boom = Jit::builder()
        .closure("boom", 1, |_| panic!("boom"))
        .compile("boom(x)^0")
        .unwrap();
    let err = boom.try_call(&[1.0]).unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
}

#[test]
fn user_names_shadow_builtins() {
    let f = Jit::builder()
        .closure("sin", 1, |a| a[0] * 10.0)
        .constant("pi", 3.0)
        .compile("sin(pi)")
        .unwrap();
    assert_eq!(f.call(&[]), 30.0);
}

#[test]
fn a_user_name_shadows_the_builtin_in_both_roles() {
    extern "C" fn seven() -> f64 {
        7.0
    }
    // a user function `pi`: `pi()` calls it, and a bare `pi` is no longer the constant
    let with_pi = || Jit::builder().function("pi", seven as extern "C" fn() -> f64);
    assert_eq!(with_pi().compile("pi() + 1").unwrap().call(&[]), 8.0);
    let err = with_pi().compile("2 * pi").unwrap_err();
    assert_eq!(
        (err.kind(), err.span()),
        (ErrorKind::FunctionNotCalled, 4..6)
    );
    // a user constant `sqrt`: a bare `sqrt` is 2, and `sqrt(9)` calls no function
    let with_sqrt = || Jit::builder().constant("sqrt", 2.0);
    assert_eq!(with_sqrt().compile("sqrt * 3").unwrap().call(&[]), 6.0);
    let err = with_sqrt().compile("sqrt(9) + sqrt").unwrap_err();
    assert_eq!((err.kind(), err.span()), (ErrorKind::NotAFunction, 0..4));
    assert_eq!(
        err.to_string(),
        "`sqrt` is a constant, not a function (at bytes 0..4)"
    );
    // a variable seen before, called
    let err = Jit::compile("x + x(2)").unwrap_err();
    assert_eq!((err.kind(), err.span()), (ErrorKind::NotAFunction, 4..5));
}

#[test]
fn a_panicking_closure_becomes_an_error_or_a_panic_after_the_code_returned() {
    let f = Jit::builder()
        .closure("boom", 1, |a| {
            if a[0] > 0.0 {
                panic!("boom at {}", a[0])
            } else {
                a[0]
            }
        })
        .compile("1 + boom(x)*2")
        .unwrap();
    assert_eq!(f.try_call(&[-1.0]).unwrap(), -1.0);
    let err = f.try_call(&[3.0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert!(err.to_string().contains("boom at 3"), "{err}");
    // the slot was consumed: the next call is clean
    assert_eq!(f.try_call(&[-2.0]).unwrap(), -3.0);
    // (a `JitFn` is unwind safe: no `AssertUnwindSafe` needed)
    let payload = std::panic::catch_unwind(|| f.call(&[5.0])).unwrap_err();
    let msg = payload.downcast_ref::<String>().unwrap();
    assert!(msg.contains("boom at 5"), "{msg}");
    // typed handles of such functions go through the checked path
    let h = f.typed1().unwrap();
    assert_eq!(h.call(-4.0), -7.0);
    assert!(std::panic::catch_unwind(|| h.call(4.0)).is_err());
    assert_eq!(std::panic::catch_unwind(|| h.call(-1.0)).unwrap(), -1.0);
}

#[test]
fn a_nested_call_neither_takes_nor_loses_the_panic_of_the_call_around_it() {
    // `boom` panics first; then `probe`, in the same call, calls `inner`, which must report
    // its own (no) panic and leave `boom`'s to `f`
    let inner = Jit::builder()
        .closure("id", 1, |a| a[0])
        .compile("id(x)")
        .unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let f = Jit::builder()
        .closure("boom", 1, |_| panic!("boom in f"))
        .closure("probe", 1, move |a| {
            let r = inner.try_call(&[a[0]]).map_err(|e| e.to_string());
            record.lock().unwrap().push(r.clone());
            r.unwrap_or(-1.0)
        })
        .compile("boom(x) + probe(x)")
        .unwrap();
    let err = f.try_call(&[2.0]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panic);
    assert_eq!(err.to_string(), "a user function panicked: boom in f");
    if f.is_native() {
        // machine code goes on after `boom`'s NaN, so `probe` runs, and `inner` is clean
        assert_eq!(*seen.lock().unwrap(), [Ok(2.0)]);
    } else {
        // the interpreter (other targets) stops at the panic
        assert_eq!(*seen.lock().unwrap(), []);
    }
}

/// A panic payload whose `Drop` panics, or calls a `JitFn` with closures itself: the second
/// panic of a call is dropped in the trampoline, and the first one's after its message is
/// taken; neither may unwind out of there (both aborted the process).
#[test]
fn payloads_with_troublesome_drops_are_reported_or_dropped_quietly() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("the payload's drop panics");
        }
    }
    struct CallsOnDrop(jit_runtime::JitFn);
    impl Drop for CallsOnDrop {
        fn drop(&mut self) {
            assert_eq!(self.0.try_call(&[2.0]).unwrap(), 2.0);
        }
    }
    let f = Jit::builder()
        .closure("a", 1, |_| std::panic::panic_any(PanicsOnDrop))
        .closure("b", 1, |_| std::panic::panic_any(PanicsOnDrop))
        .compile("a(x) + b(x)")
        .unwrap();
    let err = f.try_call(&[1.0]).unwrap_err();
    assert_eq!(err.to_string(), "a user function panicked");
    let id = Jit::builder()
        .closure("id", 1, |a| a[0])
        .compile("id(x)")
        .unwrap();
    let g = Jit::builder()
        .closure("a", 1, move |_| {
            std::panic::panic_any(CallsOnDrop(id.clone()))
        })
        .closure("b", 1, |_| panic!("second"))
        .compile("a(x) + b(x)")
        .unwrap();
    assert_eq!(g.try_call(&[1.0]).unwrap_err().kind(), ErrorKind::Panic);
}

/// A call from a thread-local's destructor at thread exit, when other thread-locals of the
/// runtime may be gone already (the panic slot was one, and the call aborted the process).
#[test]
fn a_call_from_a_thread_local_destructor_works() {
    struct CallOnExit(Option<jit_runtime::JitFn>, std::sync::mpsc::Sender<String>);
    impl Drop for CallOnExit {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                let r = f.try_call(&[3.0]).map_err(|e| e.to_string());
                let _ = self.1.send(format!("{r:?}"));
            }
        }
    }
    thread_local! {
        static ON_EXIT: std::cell::RefCell<Option<CallOnExit>> = const { std::cell::RefCell::new(None) };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let f = Jit::builder()
            .closure(
                "boom",
                1,
                |a| if a[0] > 2.0 { panic!("at exit") } else { a[0] },
            )
            .compile("boom(x)")
            .unwrap();
        // `ON_EXIT` is used first and the runtime's thread-locals after it, so they would be
        // destroyed before it (in reverse order of first use)
        ON_EXIT.with(|s| *s.borrow_mut() = Some(CallOnExit(Some(f.clone()), tx)));
        assert_eq!(f.try_call(&[1.0]).unwrap(), 1.0);
        assert!(f.try_call(&[5.0]).is_err());
    })
    .join()
    .unwrap();
    assert_eq!(
        rx.recv().unwrap(),
        r#"Err("a user function panicked: at exit")"#
    );
}

#[test]
fn a_panic_without_a_message_is_named_once() {
    let f = Jit::builder()
        .closure("boom", 0, |_| std::panic::panic_any(42))
        .compile("boom()")
        .unwrap();
    let err = f.try_call(&[]).unwrap_err();
    assert_eq!(err.to_string(), "a user function panicked");
}

#[test]
fn registration_and_arity_errors() {
    let err = Jit::builder().constant("2x", 1.0).compile("x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidName);
    let err = builder(Abi::host()).compile("half(1, 2)").unwrap_err();
    assert_eq!((err.kind(), err.span()), (ErrorKind::WrongArity, 0..10));
    let err = builder(Abi::host()).compile("c5(1)").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongArity);
    let err = builder(Abi::host()).compile("half + 1").unwrap_err();
    assert_eq!(
        (err.kind(), err.span()),
        (ErrorKind::FunctionNotCalled, 0..4)
    );
}
