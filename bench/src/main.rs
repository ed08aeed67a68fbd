//! The benchmark of trivial-jit against native Rust, Cranelift, fasteval, meval, evalexpr and
//! exmex: evaluation ns/call and compilation µs, with the speed targets of SPEC §7.
//!
//! Run: `cargo run --release --manifest-path bench/Cargo.toml`; with `-- --quick`, a short
//! run (few repetitions, small arrays) whose figures are not worth quoting but whose checks
//! all run: every engine against native Rust, `map` and the reducers against plain loops.
//! CI runs that, so the benchmark keeps building and agreeing with its references.

mod arrays;
mod cl;
mod engines;
mod exprs;
mod live;
mod scaling;
mod sys;

use std::hint::black_box;
use std::time::{Duration, Instant};

use engines::{COMPILE_ENGINES, CompileState, EVAL_ENGINES, Runner, co, ev};
use exprs::{ExprDef, FnPtr, Row};

/// How long and how often to measure.
pub struct Config {
    /// Repetitions (after warm-up); engines are interleaved inside each repetition.
    reps: usize,
    /// Target duration of one evaluation measurement (many passes over the 1024 rows).
    eval_slice: Duration,
    /// Target duration of one batch of compilations (each one timed on its own).
    compile_slice: Duration,
    /// Repetitions of each array measurement.
    pub array_reps: usize,
    /// Elements of the large (memory-bound) reducer run.
    pub big_array: usize,
    /// Compilations of each size in the scaling section.
    scaling_reps: usize,
    /// Functions kept alive in the live-functions section.
    live_fns: usize,
}

impl Config {
    /// The full run, whose figures the README quotes.
    const FULL: Config = Config {
        reps: 15,
        eval_slice: Duration::from_millis(10),
        compile_slice: Duration::from_millis(6),
        array_reps: 9,
        big_array: 100_000_000,
        scaling_reps: 3,
        live_fns: 10_000,
    };

    /// A short run for CI: every check, few measurements.
    const QUICK: Config = Config {
        reps: 2,
        eval_slice: Duration::from_millis(1),
        compile_slice: Duration::from_millis(1),
        array_reps: 1,
        big_array: 1_000_000,
        scaling_reps: 1,
        live_fns: 2_000,
    };
}
/// Largest relative error accepted against native Rust.
const TOLERANCE: f64 = 1e-12;

/// Median and minimum of a set of samples.
#[derive(Clone, Copy, Debug)]
struct Stat {
    median: f64,
    min: f64,
}

fn stat(mut xs: Vec<f64>) -> Option<Stat> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    let median = if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    };
    Some(Stat { median, min: xs[0] })
}

/// What a table cell shows.
enum Cell {
    Value(Stat),
    Missing(String),
    Wrong(String),
}

fn main() {
    let t_start = Instant::now();
    let cfg = match std::env::args().nth(1).as_deref() {
        None => &Config::FULL,
        Some("--quick") => &Config::QUICK,
        Some(other) => {
            eprintln!("unknown argument `{other}`; the only option is --quick");
            std::process::exit(2);
        }
    };
    if cfg.reps < Config::FULL.reps {
        println!("QUICK RUN: checks only, figures not worth quoting\n");
    }
    let defs = exprs::all();
    sys::print_machine_info();

    let cl = cl::Cranelift::new().expect("Cranelift supports the host");
    let eval = bench_eval(&defs, &cl, cfg);
    let compile = bench_compile(&defs, CompileState::new(cl), cfg);
    let mprotect = sys::mprotect_cost();

    print_targets(&defs, &eval, &compile, mprotect);
    print_table(
        "Evaluation, ns per call (1024 varied inputs, results summed; median / min)",
        EVAL_ENGINES,
        &defs,
        &eval,
        |x| x,
    );
    print_table(
        "Compilation, µs from source string to result (dropped between runs; median / min)",
        COMPILE_ENGINES,
        &defs,
        &compile,
        |x| x / 1000.0,
    );
    match mprotect {
        Some(s) => println!(
            "one mprotect of a 4 KiB page (RW → RX), measured here: {:.2} µs median, {:.2} µs min",
            s.median / 1000.0,
            s.min / 1000.0
        ),
        None => println!("one mprotect: not measured on this platform"),
    }
    println!();
    arrays::run(cfg);
    println!();
    scaling::run(cfg.scaling_reps);
    println!();
    live::run(cfg.live_fns);
    println!();
    println!("total time {:.1} s", t_start.elapsed().as_secs_f64());
    let failed = failures(EVAL_ENGINES, &defs, &eval) + failures(COMPILE_ENGINES, &defs, &compile);
    if failed > 0 {
        eprintln!("{failed} cells wrong or missing where they must not be (see the tables)");
        std::process::exit(1);
    }
}

/// Cells that fail the run: a wrong result from any engine, and a missing one from
/// trivial-jit (which compiles every expression of the set; peers may lack a feature).
fn failures(engines: &[&str], defs: &[ExprDef], cells: &Cells) -> usize {
    let mut n = 0;
    for (name, row) in engines.iter().zip(cells) {
        for (def, cell) in defs.iter().zip(row) {
            let bad = match cell {
                Cell::Value(_) => false,
                Cell::Wrong(_) => true,
                Cell::Missing(why) => {
                    name.contains("trivial-jit") && why != engines::NOT_ON_THIS_PLATFORM
                }
            };
            if bad {
                eprintln!("FAILED: {}, {}", name.trim(), def.name);
                n += 1;
            }
        }
    }
    n
}

// ----------------------------------------------------------------------------------------
// Evaluation

/// `cells[engine][expr]`
type Cells = Vec<Vec<Cell>>;

fn bench_eval(defs: &[ExprDef], cl: &cl::Cranelift, cfg: &Config) -> Cells {
    let inputs: Vec<Vec<Row>> = defs.iter().map(exprs::inputs).collect();
    // Build every runner and check it against native Rust, row by row.
    let mut runners: Vec<Vec<Option<Runner>>> = Vec::new();
    let mut cells: Cells = Vec::new();
    for i in 0..EVAL_ENGINES.len() {
        let mut rrow = Vec::new();
        let mut crow = Vec::new();
        for (d, def) in defs.iter().enumerate() {
            match engines::eval_runner(i, d, def, cl) {
                Err(why) => {
                    rrow.push(None);
                    crow.push(Cell::Missing(why));
                }
                Ok(run) => match verify(&run, def, &inputs[d]) {
                    Ok(()) => {
                        rrow.push(Some(run));
                        crow.push(Cell::Missing(String::new()));
                    }
                    Err(why) => {
                        rrow.push(None);
                        crow.push(Cell::Wrong(why));
                    }
                },
            }
        }
        runners.push(rrow);
        cells.push(crow);
    }

    // Warm-up and calibration: passes per measurement so that one takes about eval_slice.
    let mut passes = vec![vec![1usize; defs.len()]; EVAL_ENGINES.len()];
    for (i, rrow) in runners.iter().enumerate() {
        for (d, run) in rrow.iter().enumerate() {
            if let Some(run) = run {
                let t = Instant::now();
                let mut k = 0;
                while t.elapsed() < cfg.eval_slice / 2 || k < 3 {
                    black_box(run(black_box(&inputs[d])));
                    k += 1;
                }
                let per = t.elapsed().as_secs_f64() / k as f64;
                passes[i][d] = ((cfg.eval_slice.as_secs_f64() / per) as usize).max(1);
            }
        }
    }

    let mut samples = vec![vec![Vec::new(); defs.len()]; EVAL_ENGINES.len()];
    for _ in 0..cfg.reps {
        for d in 0..defs.len() {
            for i in 0..EVAL_ENGINES.len() {
                if let Some(run) = &runners[i][d] {
                    let rows = &inputs[d];
                    let k = passes[i][d];
                    let t = Instant::now();
                    for _ in 0..k {
                        black_box(run(black_box(rows)));
                    }
                    let ns = t.elapsed().as_nanos() as f64 / (k * rows.len()) as f64;
                    samples[i][d].push(ns);
                }
            }
        }
    }
    for (i, crow) in cells.iter_mut().enumerate() {
        for (d, cell) in crow.iter_mut().enumerate() {
            if let Some(s) = stat(std::mem::take(&mut samples[i][d])) {
                *cell = Cell::Value(s);
            }
        }
    }
    cells
}

/// Every row's result within TOLERANCE (relative) of native Rust's.
fn verify(run: &Runner, def: &ExprDef, rows: &[Row]) -> Result<(), String> {
    for r in rows {
        let one = std::slice::from_ref(r);
        let want = FnPtr::site(31)(def.native, one); // a site no runner uses
        let got = run(one);
        let ok = got == want || (got - want).abs() <= TOLERANCE * want.abs();
        if !ok {
            let args = &r[..def.vars.len()];
            return Err(format!(
                "WRONG: {args:?} gives {got:e}, native Rust {want:e}"
            ));
        }
    }
    Ok(())
}

// ----------------------------------------------------------------------------------------
// Compilation

fn bench_compile(defs: &[ExprDef], mut st: CompileState, cfg: &Config) -> Cells {
    let n_eng = COMPILE_ENGINES.len();
    let mut cells: Cells = Vec::new();
    let mut batch = vec![vec![0usize; defs.len()]; n_eng];
    // Warm-up and calibration.
    for (i, brow) in batch.iter_mut().enumerate() {
        let mut crow = Vec::new();
        for (d, def) in defs.iter().enumerate() {
            match engines::compile_once(i, def, &mut st) {
                Err(why) => crow.push(Cell::Missing(why)),
                Ok(_) => {
                    let t = Instant::now();
                    let mut k = 0;
                    while t.elapsed() < cfg.compile_slice / 2 || k < 5 {
                        let _ = engines::compile_once(i, def, &mut st);
                        k += 1;
                    }
                    let per = t.elapsed().as_secs_f64() / k as f64;
                    let per_slice = (cfg.compile_slice.as_secs_f64() / per) as usize;
                    brow[d] = per_slice.clamp(10, 5000);
                    crow.push(Cell::Missing(String::new()));
                }
            }
        }
        cells.push(crow);
    }
    let mut samples = vec![vec![Vec::new(); defs.len()]; n_eng];
    for _ in 0..cfg.reps {
        for (d, def) in defs.iter().enumerate() {
            for i in 0..n_eng {
                for _ in 0..batch[i][d] {
                    if let Ok(dt) = engines::compile_once(i, def, &mut st) {
                        samples[i][d].push(dt.as_nanos() as f64);
                    }
                }
            }
        }
    }
    for (i, crow) in cells.iter_mut().enumerate() {
        for (d, cell) in crow.iter_mut().enumerate() {
            if let Some(s) = stat(std::mem::take(&mut samples[i][d])) {
                *cell = Cell::Value(s);
            }
        }
    }
    cells
}

// ----------------------------------------------------------------------------------------
// Output

fn median(cells: &Cells, engine: usize, d: usize) -> Option<f64> {
    match cells[engine][d] {
        Cell::Value(s) => Some(s.median),
        _ => None,
    }
}

/// One §7 target: a ratio per expression and its limit.
struct Target {
    what: String,
    /// `true`: ratio must be ≤ limit; `false`: ≥ limit.
    at_most: bool,
    limit: f64,
    /// Which expressions (by name) it applies to.
    exprs: &'static [&'static str],
    ratio: Box<dyn Fn(usize) -> Option<f64>>,
    /// Shown for comparison, not one of §7's targets: marked `info`, not counted.
    info: bool,
}

fn print_targets(defs: &[ExprDef], eval: &Cells, compile: &Cells, mprotect: Option<Stat>) {
    let e = |a: usize, b: usize| {
        let m: Vec<(Option<f64>, Option<f64>)> = (0..defs.len())
            .map(|d| (median(eval, a, d), median(eval, b, d)))
            .collect();
        Box::new(move |d: usize| match m[d] {
            (Some(x), Some(y)) => Some(x / y),
            _ => None,
        }) as Box<dyn Fn(usize) -> Option<f64>>
    };
    let c = |a: usize, b: usize| {
        let m: Vec<(Option<f64>, Option<f64>)> = (0..defs.len())
            .map(|d| (median(compile, a, d), median(compile, b, d)))
            .collect();
        Box::new(move |d: usize| match m[d] {
            (Some(x), Some(y)) => Some(x / y),
            _ => None,
        }) as Box<dyn Fn(usize) -> Option<f64>>
    };
    const ALL5: &[&str] = &["E1", "E2", "E3", "E4", "E5"];
    const FOUR: &[&str] = &["E1", "E2", "E4", "E5"];
    let mut targets = vec![
        Target {
            what: "eval: jit fn pointer / native Rust fn".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: e(ev::TYPED_PTR, ev::NATIVE),
            info: false,
        },
        Target {
            what: "eval: jit fn pointer / Cranelift".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: e(ev::TYPED_PTR, ev::CRANELIFT),
            info: false,
        },
        Target {
            what: "eval: jit_expr! / native Rust fn".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: e(ev::MACRO, ev::NATIVE),
            info: false,
        },
        Target {
            what: "eval: jit_expr! / Cranelift".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: e(ev::MACRO, ev::CRANELIFT),
            info: false,
        },
        Target {
            what: "eval: JitFn::call / jit fn pointer".into(),
            at_most: true,
            limit: 1.2,
            exprs: ALL5,
            ratio: e(ev::CALL, ev::TYPED_PTR),
            info: false,
        },
        Target {
            what: "eval: fasteval / jit fn pointer".into(),
            at_most: false,
            limit: 10.0,
            exprs: FOUR,
            ratio: e(ev::FASTEVAL, ev::TYPED_PTR),
            info: false,
        },
        Target {
            what: "compile: string→machine code / fasteval (new Slab)".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: c(co::MACHINE_CODE, co::FASTEVAL),
            info: false,
        },
        Target {
            what: "  (same, fasteval reusing one cleared Slab)".into(),
            at_most: true,
            limit: 1.0,
            exprs: ALL5,
            ratio: c(co::MACHINE_CODE, co::FASTEVAL_REUSED),
            info: false,
        },
        Target {
            what: "compile: Cranelift / Jit::compile".into(),
            at_most: false,
            limit: 25.0,
            exprs: ALL5,
            ratio: c(co::CRANELIFT, co::JIT_COMPILE),
            info: false,
        },
        Target {
            what: "  (info: Cranelift / compile_batch per function)".into(),
            at_most: false,
            limit: 25.0,
            exprs: ALL5,
            ratio: c(co::CRANELIFT, co::BATCH),
            info: true,
        },
    ];
    if let Some(mp) = mprotect {
        // Jit::compile may cost string→machine code plus one protection change: the ratio
        // (Jit::compile − string→machine code) / one mprotect must be ≤ 1. (On Linux x86-64
        // the runtime makes none: it writes the code into read-execute pages of its code
        // file.) For information, the same with the code generation measured TLB-cold
        // (after a protection change): what the runtime's own part costs beyond the refill
        // that a flush causes, where installs flip protections.
        let over_mprotect = |machine_code: usize, what: &str, info: bool| {
            let m: Vec<(Option<f64>, Option<f64>)> = (0..defs.len())
                .map(|d| {
                    (
                        median(compile, co::JIT_COMPILE, d),
                        median(compile, machine_code, d),
                    )
                })
                .collect();
            Target {
                what: what.into(),
                at_most: true,
                limit: 1.0,
                exprs: ALL5,
                ratio: Box::new(move |d| match m[d] {
                    (Some(x), Some(y)) => Some((x - y) / mp.median),
                    _ => None,
                }),
                info,
            }
        };
        targets.push(over_mprotect(
            co::MACHINE_CODE,
            "compile: (Jit::compile − machine code) / mprotect",
            false,
        ));
        targets.push(over_mprotect(
            co::MACHINE_CODE_TLB_COLD,
            "  (info: same, machine code TLB-cold)",
            true,
        ));
    }

    println!("§7 speed targets (ratios of medians; `met` / `NOT met` per expression)");
    print!("{:<52} {:>7}", "ratio", "target");
    let shown: Vec<usize> = (0..defs.len()).filter(|&d| defs[d].in_targets).collect();
    for &d in &shown {
        print!("  {:<13}", defs[d].name);
    }
    println!();
    let (mut met, mut total) = (0, 0);
    for t in &targets {
        let limit = format!("{}{}", if t.at_most { "≤" } else { "≥" }, t.limit);
        print!("{:<52} {:>7}", t.what, limit);
        for &d in &shown {
            let cell = if !t.exprs.contains(&defs[d].name) {
                "—".to_string()
            } else {
                match (t.ratio)(d) {
                    None => "n/a".to_string(),
                    Some(r) if t.info => format!("{} info", fmt_ratio(r)),
                    Some(r) => {
                        let ok = if t.at_most {
                            r <= t.limit
                        } else {
                            r >= t.limit
                        };
                        total += 1;
                        met += usize::from(ok);
                        format!("{} {}", fmt_ratio(r), if ok { "met" } else { "NOT met" })
                    }
                }
            };
            print!("  {cell:<13}");
        }
        println!();
    }
    println!("{met} of {total} measured targets met");
    println!(
        "(repeated runs differ by about 1-2% in eval ratios: a ratio of 1.01 against ≤1 is a tie)\n"
    );
}

fn fmt_ratio(r: f64) -> String {
    if r.abs() >= 100.0 {
        format!("{r:.0}")
    } else if r.abs() >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.3}")
    }
}

fn fmt_num(x: f64) -> String {
    if x >= 1000.0 {
        format!("{x:.0}")
    } else if x >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn print_table(
    title: &str,
    engines: &[&str],
    defs: &[ExprDef],
    cells: &Cells,
    scale: impl Fn(f64) -> f64,
) {
    println!("{title}");
    print!("{:<42}", "engine");
    for def in defs {
        print!(" {:>15}", def.name);
    }
    println!();
    let mut notes = Vec::new();
    for (i, name) in engines.iter().enumerate() {
        print!("{name:<42}");
        for (d, def) in defs.iter().enumerate() {
            let text = match &cells[i][d] {
                Cell::Value(s) => {
                    format!("{} / {}", fmt_num(scale(s.median)), fmt_num(scale(s.min)))
                }
                Cell::Missing(why) if why.starts_with("n/a") => why.clone(),
                Cell::Missing(why) => {
                    notes.push(format!("{name}, {}: {why}", def.name));
                    "n/a".into()
                }
                Cell::Wrong(why) => {
                    notes.push(format!("{name}, {}: {why}", def.name));
                    "WRONG".into()
                }
            };
            let text = if text.starts_with("n/a (") {
                "n/a".to_string()
            } else {
                text
            };
            print!(" {text:>15}");
        }
        println!();
        if let Some(Cell::Missing(why)) = cells[i].first()
            && why.starts_with("n/a (")
            && cells[i]
                .iter()
                .all(|c| matches!(c, Cell::Missing(w) if w == why))
        {
            println!("{:<42} ↳ {why}", "");
        }
    }
    for n in notes {
        println!("  note: {n}");
    }
    println!();
}
