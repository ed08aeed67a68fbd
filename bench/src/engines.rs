//! The engines: how each one evaluates an expression over many rows, and how each one
//! compiles a source string.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Value};
use exmex::Express;
use fasteval::{Compiler, Evaler};
use trivial_jit::compiler::Expr;
use trivial_jit::compiler::codegen::{CodegenOptions, Compiled, compile_with};
use trivial_jit::{Jit, JitFn};

use crate::cl::{ClFn, Cranelift};
use crate::exprs::{ExprDef, FnPtr, Row, Sum};

/// Evaluates the expression on every row and returns the sum of the results.
pub type Runner = Box<dyn Fn(&[Row]) -> f64>;

/// The evaluation engines, in the order of the table.
pub const EVAL_ENGINES: &[&str] = &[
    "native Rust fn (not inlined)",
    "native Rust, inlined loop",
    "trivial-jit JitFn::call(&[f64])",
    "trivial-jit typed handle .call()",
    "trivial-jit typed fn pointer",
    "trivial-jit jit_expr!",
    "Cranelift opt=speed (fn pointer)",
    "fasteval (compiled slab)",
    "meval (bind)",
    "evalexpr (precompiled tree)",
    "exmex (FlatEx)",
];

/// Indices into [`EVAL_ENGINES`] used by the §7 ratios.
pub mod ev {
    pub const NATIVE: usize = 0;
    pub const CALL: usize = 2;
    pub const TYPED_PTR: usize = 4;
    pub const MACRO: usize = 5;
    pub const CRANELIFT: usize = 6;
    pub const FASTEVAL: usize = 7;
}

/// Builds the runner of engine `i` for `def`, the `d`-th expression of the set, or says why
/// there is none.
pub fn eval_runner(i: usize, d: usize, def: &ExprDef, cl: &Cranelift) -> Result<Runner, String> {
    let n = def.vars.len();
    // Engines that call a fn pointer do it from a call site per engine and expression (see
    // `FnPtr::run`).
    let site = |slot: usize| FnPtr::site(slot * 8 + d);
    match i {
        0 => {
            let (p, run) = (def.native, site(0));
            Ok(Box::new(move |rows| run(p, rows)))
        }
        1 => Ok(Box::new(def.native_loop)),
        2 => {
            let f = Jit::compile(def.src).map_err(|e| e.to_string())?;
            check_args(&f, def)?;
            let run = CALL_SITES[d];
            Ok(Box::new(move |rows| run(&f, rows)))
        }
        3 => {
            let f = Jit::compile(def.src).map_err(|e| e.to_string())?;
            check_args(&f, def)?;
            let run = TYPED_SITES[d];
            Ok(Box::new(move |rows| run(&f, rows)))
        }
        4 => {
            let f = Jit::compile(def.src).map_err(|e| e.to_string())?;
            check_args(&f, def)?;
            let raw = typed_ptr(&f).ok_or("no native entry (interpreter fallback)")?;
            let run = site(1);
            Ok(Box::new(move |rows| {
                let _keep_alive = &f;
                run(raw, rows)
            }))
        }
        5 => {
            let p = crate::exprs::macro_fn(def.name).ok_or("n/a (no jit_expr! for it)")?;
            let run = site(2);
            Ok(Box::new(move |rows| run(p, rows)))
        }
        6 => {
            let f: ClFn = cl.compile(def.src)?;
            // SAFETY: `f.ptr()` is the entry of a function of `f.arity()` f64 register
            // arguments, valid while `f` lives; the closure owns `f`.
            let p = unsafe { FnPtr::from_raw(f.ptr(), f.arity()) }.ok_or("unsupported arity")?;
            let run = site(3);
            Ok(Box::new(move |rows| {
                let _keep_alive = &f;
                run(p, rows)
            }))
        }
        7 => {
            let src = def.fasteval.ok_or("n/a (not expressible)")?;
            let mut slab = fasteval::Slab::with_capacity(1024);
            let instr = fasteval::Parser::new()
                .parse(src, &mut slab.ps)
                .map_err(|e| format!("{e:?}"))?
                .from(&slab.ps)
                .compile(&slab.ps, &mut slab.cs);
            let vars = def.vars;
            Ok(Box::new(move |rows| {
                let mut s = Sum::default();
                for r in rows {
                    s.add(fasteval_eval(&instr, &slab, vars, r).unwrap_or(f64::NAN));
                }
                s.value()
            }))
        }
        8 => {
            let src = def.meval.ok_or("n/a (not expressible)")?;
            let e: meval::Expr = src.parse().map_err(|e| format!("{e}"))?;
            let err = |e: meval::Error| format!("{e}");
            match n {
                0 => {
                    let f = e.bindn(&[]).map_err(err)?;
                    Ok(Box::new(move |rows| {
                        rows.iter()
                            .fold(Sum::default(), |mut s, _| {
                                s.add(f(&[]));
                                s
                            })
                            .value()
                    }))
                }
                1 => {
                    let f = e.bind(def.vars[0]).map_err(err)?;
                    Ok(Box::new(move |rows| {
                        rows.iter()
                            .fold(Sum::default(), |mut s, r| {
                                s.add(f(r[0]));
                                s
                            })
                            .value()
                    }))
                }
                3 => {
                    let v = def.vars;
                    let f = e.bind3(v[0], v[1], v[2]).map_err(err)?;
                    Ok(Box::new(move |rows| {
                        rows.iter()
                            .fold(Sum::default(), |mut s, r| {
                                s.add(f(r[0], r[1], r[2]));
                                s
                            })
                            .value()
                    }))
                }
                _ => {
                    let f = e.bindn(def.vars).map_err(err)?;
                    Ok(Box::new(move |rows| {
                        rows.iter()
                            .fold(Sum::default(), |mut s, r| {
                                s.add(f(&r[..n]));
                                s
                            })
                            .value()
                    }))
                }
            }
        }
        9 => {
            let src = def.evalexpr.ok_or("n/a (not expressible)")?;
            let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(src)
                .map_err(|e| e.to_string())?;
            let ctx = RefCell::new(HashMapContext::<DefaultNumericTypes>::new());
            let names: Vec<String> = def.vars.iter().map(|s| s.to_string()).collect();
            Ok(Box::new(move |rows| {
                let mut ctx = ctx.borrow_mut();
                let mut s = Sum::default();
                for r in rows {
                    for (name, &x) in names.iter().zip(r) {
                        if ctx.set_value(name.clone(), Value::Float(x)).is_err() {
                            return f64::NAN;
                        }
                    }
                    s.add(tree.eval_number_with_context(&*ctx).unwrap_or(f64::NAN));
                }
                s.value()
            }))
        }
        10 => {
            let src = def.exmex.ok_or("n/a (not expressible)")?;
            let e = exmex::parse::<f64>(src).map_err(|e| e.to_string())?;
            // exmex orders its variables by name; `{e}` (the variable e, written in braces
            // because a bare `e` is not a variable in exmex) sorts after `h`.
            let perm: Vec<usize> = e
                .var_names()
                .iter()
                .map(|v| {
                    def.vars
                        .iter()
                        .position(|d| *d == v.trim_matches(['{', '}']))
                })
                .collect::<Option<_>>()
                .ok_or_else(|| format!("exmex sees variables {:?}", e.var_names()))?;
            if perm.len() != n {
                return Err(format!("exmex sees variables {:?}", e.var_names()));
            }
            if perm.iter().enumerate().all(|(i, &p)| i == p) {
                Ok(Box::new(move |rows| {
                    let mut s = Sum::default();
                    for r in rows {
                        s.add(e.eval(&r[..n]).unwrap_or(f64::NAN));
                    }
                    s.value()
                }))
            } else {
                Ok(Box::new(move |rows| {
                    let mut s = Sum::default();
                    let mut buf = [0.0; 8];
                    for r in rows {
                        for (b, &p) in buf.iter_mut().zip(&perm) {
                            *b = r[p];
                        }
                        s.add(e.eval(&buf[..n]).unwrap_or(f64::NAN));
                    }
                    s.value()
                }))
            }
        }
        _ => Err("no such engine".into()),
    }
}

fn check_args(f: &JitFn, def: &ExprDef) -> Result<(), String> {
    if f.args() != def.vars {
        return Err(format!("arguments {:?}, expected {:?}", f.args(), def.vars));
    }
    Ok(())
}

fn fasteval_eval(
    instr: &fasteval::Instruction,
    slab: &fasteval::Slab,
    vars: &[&str],
    row: &Row,
) -> Result<f64, fasteval::Error> {
    let mut ns = |name: &str, _args: Vec<f64>| -> Option<f64> {
        vars.iter().position(|v| *v == name).map(|i| row[i])
    };
    Ok(fasteval::eval_compiled_ref!(instr, slab, &mut ns))
}

/// `[f::<0>, …, f::<7>]`: a runner per expression, each with its own call site (see
/// `FnPtr::run`).
macro_rules! eight_sites {
    ($f:ident) => {
        [
            $f::<0>, $f::<1>, $f::<2>, $f::<3>, $f::<4>, $f::<5>, $f::<6>, $f::<7>,
        ]
    };
}

/// [`call_run`] with a call site per expression.
const CALL_SITES: [fn(&JitFn, &[Row]) -> f64; 8] = eight_sites!(call_run);

/// Sums over the rows through `JitFn::call(&[f64])`.
#[inline(never)]
fn call_run<const SITE: usize>(f: &JitFn, rows: &[Row]) -> f64 {
    std::hint::black_box(SITE);
    let n = f.arity();
    let mut s = Sum::default();
    for r in rows {
        s.add(f.call(&r[..n]));
    }
    s.value()
}

/// [`typed_run`] with a call site per expression.
const TYPED_SITES: [fn(&JitFn, &[Row]) -> f64; 8] = eight_sites!(typed_run);

/// Sums over the rows through trivial-jit's typed handle (`typedN()?.call(..)`).
#[inline(never)]
fn typed_run<const SITE: usize>(f: &JitFn, rows: &[Row]) -> f64 {
    std::hint::black_box(SITE);
    let mut s = Sum::default();
    match f.arity() {
        0 => {
            let h = f.typed0().expect("arity 0");
            for _ in rows {
                s.add(h.call());
            }
        }
        1 => {
            let h = f.typed1().expect("arity 1");
            for r in rows {
                s.add(h.call(r[0]));
            }
        }
        3 => {
            let h = f.typed3().expect("arity 3");
            for r in rows {
                s.add(h.call(r[0], r[1], r[2]));
            }
        }
        8 => {
            let h = f.typed8().expect("arity 8");
            for r in rows {
                s.add(h.call(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]));
            }
        }
        _ => return f64::NAN,
    }
    s.value()
}

/// trivial-jit's raw typed entry (`typedN()?.as_fn()`), as an [`FnPtr`]. The pointer is
/// valid while `f` lives.
fn typed_ptr(f: &JitFn) -> Option<FnPtr> {
    // SAFETY (all arms): the pointers are only used while `f` lives (the runner owns `f`).
    unsafe {
        Some(match f.arity() {
            0 => FnPtr::A0(f.typed0().ok()?.as_fn()?),
            1 => FnPtr::A1(f.typed1().ok()?.as_fn()?),
            3 => FnPtr::A3(f.typed3().ok()?.as_fn()?),
            8 => FnPtr::A8(f.typed8().ok()?.as_fn()?),
            _ => return None,
        })
    }
}

// ----------------------------------------------------------------------------------------
// Compilation

/// The compilation engines, in the order of the table.
pub const COMPILE_ENGINES: &[&str] = &[
    "trivial-jit string → machine code",
    "trivial-jit Jit::compile (→ callable)",
    "  trivial-jit compile_batch (per fn, ×64)",
    "  trivial-jit parse only",
    "  trivial-jit codegen::compile (+listing)",
    "  trivial-jit string → machine code, TLB cold",
    "Cranelift opt=speed (→ callable)",
    "fasteval parse + compile (new Slab)",
    "fasteval parse + compile (reused Slab)",
    "meval parse + bind",
    "evalexpr build_operator_tree",
    "exmex parse (FlatEx)",
];

/// Why a trivial-jit row has no figure where the benchmark cannot measure it (the TLB-cold
/// row off Unix): not a failure.
pub const NOT_ON_THIS_PLATFORM: &str = "not measured on this platform";

/// Indices into [`COMPILE_ENGINES`].
pub mod co {
    pub const MACHINE_CODE: usize = 0;
    pub const JIT_COMPILE: usize = 1;
    pub const BATCH: usize = 2;
    pub const PARSE: usize = 3;
    pub const CODEGEN_LISTING: usize = 4;
    pub const MACHINE_CODE_TLB_COLD: usize = 5;
    pub const CRANELIFT: usize = 6;
    pub const FASTEVAL: usize = 7;
    pub const FASTEVAL_REUSED: usize = 8;
    pub const MEVAL: usize = 9;
    pub const EVALEXPR: usize = 10;
    pub const EXMEX: usize = 11;
}

/// Functions per [`Jit::compile_batch`] in the batch row: one protection change for all.
const BATCH_SIZE: usize = 64;

/// State kept between compilations (fasteval's slab is reused, cleared each time).
pub struct CompileState {
    pub cl: Cranelift,
    fasteval_slab: fasteval::Slab,
    /// Whether `Jit::compile` generates AVX forms here.
    avx: bool,
    /// The page whose protection changes flush the TLB before each TLB-cold sample.
    flush: Option<crate::sys::GuardedPage>,
}

impl CompileState {
    pub fn new(cl: Cranelift) -> CompileState {
        CompileState {
            cl,
            fasteval_slab: fasteval::Slab::with_capacity(1024),
            avx: trivial_jit::Jit::builder()
                .compile("x")
                .is_ok_and(|f| f.codegen_options().avx),
            flush: crate::sys::GuardedPage::new(),
        }
    }
}

/// Times `f` and then drops its result outside the timed region.
#[inline(always)]
fn timed<T, E: ToString>(f: impl FnOnce() -> Result<T, E>) -> Result<Duration, String> {
    let t = Instant::now();
    let r = f();
    let dt = t.elapsed();
    let r = std::hint::black_box(r).map_err(|e| e.to_string())?;
    drop(r);
    Ok(dt)
}

/// String → machine code: parse and `compile_with`, with the settings `Jit::compile` uses on
/// this CPU (AVX forms when it has AVX).
fn machine_code(def: &ExprDef, avx: bool) -> trivial_jit::Result<(Expr, Compiled)> {
    let e = trivial_jit::compiler::parse(def.src)?;
    let options = CodegenOptions {
        avx,
        ..CodegenOptions::default()
    };
    // The parsed tree is returned with the code and so dropped untimed, as fasteval's slab
    // is (`co::FASTEVAL`): both are what a compiled function keeps (a `JitFn` holds its
    // `Expr`).
    compile_with(&e, &options).map(|code| (e, code))
}

/// One compilation of `def` by engine `i`: the time from the source string to the result.
pub fn compile_once(i: usize, def: &ExprDef, st: &mut CompileState) -> Result<Duration, String> {
    let n = def.vars.len();
    match i {
        co::MACHINE_CODE => timed(|| machine_code(def, st.avx)),
        co::MACHINE_CODE_TLB_COLD => {
            // Two protection changes, untimed, as a `Jit::compile` and its drop make where
            // the runtime flips protections (not on Linux x86-64, where it writes through its
            // code file): on this machine kind each flushes the whole TLB, so the compilation
            // after them finds its code and data pages out of the TLB.
            let page = st.flush.as_ref().ok_or(NOT_ON_THIS_PLATFORM)?;
            page.cycle(0).ok_or("mprotect failed")?;
            timed(|| machine_code(def, st.avx))
        }
        co::JIT_COMPILE => timed(|| Jit::compile(def.src)),
        co::BATCH => {
            let srcs = [def.src; BATCH_SIZE];
            Ok(timed(|| Jit::compile_batch(&srcs))? / BATCH_SIZE as u32)
        }
        co::PARSE => timed(|| trivial_jit::compiler::parse(def.src)),
        co::CODEGEN_LISTING => timed(|| {
            let e = trivial_jit::compiler::parse(def.src)?;
            let abi = trivial_jit::compiler::codegen::Abi::host();
            trivial_jit::compiler::codegen::compile(&e, abi).map(|code| (e, code))
        }),
        co::CRANELIFT => timed(|| st.cl.compile(def.src)),
        co::FASTEVAL => {
            // A fresh slab per expression: the compiled instruction lives in its slab, so a
            // standalone compiled expression (like a JitFn) owns one. Dropped untimed.
            let src = def.fasteval.ok_or("n/a")?;
            timed(
                || -> Result<(fasteval::Slab, fasteval::Instruction), String> {
                    let mut slab = fasteval::Slab::new();
                    let parsed = fasteval::Parser::new()
                        .parse(src, &mut slab.ps)
                        .map_err(|e| format!("{e:?}"))?;
                    let instr = parsed.from(&slab.ps).compile(&slab.ps, &mut slab.cs);
                    Ok((slab, instr))
                },
            )
        }
        co::FASTEVAL_REUSED => {
            // fasteval's fastest use: one slab, cleared and reused for every compilation.
            let src = def.fasteval.ok_or("n/a")?;
            let slab = &mut st.fasteval_slab;
            let dt = timed(|| -> Result<fasteval::Instruction, String> {
                let parsed = fasteval::Parser::new()
                    .parse(src, &mut slab.ps)
                    .map_err(|e| format!("{e:?}"))?;
                Ok(parsed.from(&slab.ps).compile(&slab.ps, &mut slab.cs))
            });
            slab.ps.clear();
            slab.cs.clear();
            dt
        }
        co::MEVAL => {
            let src = def.meval.ok_or("n/a")?;
            let v = def.vars;
            let err = |e: meval::Error| e.to_string();
            match n {
                0 => timed(|| {
                    src.parse::<meval::Expr>()
                        .map_err(err)?
                        .bindn(&[])
                        .map_err(err)
                }),
                1 => timed(|| {
                    src.parse::<meval::Expr>()
                        .map_err(err)?
                        .bind(v[0])
                        .map_err(err)
                }),
                3 => timed(|| {
                    src.parse::<meval::Expr>()
                        .map_err(err)?
                        .bind3(v[0], v[1], v[2])
                        .map_err(err)
                }),
                _ => timed(|| {
                    src.parse::<meval::Expr>()
                        .map_err(err)?
                        .bindn(v)
                        .map_err(err)
                }),
            }
        }
        co::EVALEXPR => {
            let src = def.evalexpr.ok_or("n/a")?;
            timed(|| evalexpr::build_operator_tree::<DefaultNumericTypes>(src))
        }
        co::EXMEX => {
            let src = def.exmex.ok_or("n/a")?;
            timed(|| exmex::parse::<f64>(src))
        }
        _ => Err("no such engine".into()),
    }
}
