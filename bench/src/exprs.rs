//! The expression set E1–E7: sources for each engine, the native Rust versions, and inputs.

/// The accumulator of a timing loop: results summed as their u64 bit patterns (wrapping).
/// Every result is consumed, and the sum stays in a callee-saved integer register across
/// the calls (an f64 sum would be spilled around every call, since all XMM registers are
/// caller-saved, and the store-to-load chain would dominate a few-ns function). For one
/// row, [`Sum::value`] is exactly the result.
#[derive(Clone, Copy, Default)]
pub struct Sum(u64);

impl Sum {
    #[inline(always)]
    pub fn add(&mut self, x: f64) {
        self.0 = self.0.wrapping_add(x.to_bits());
    }

    pub fn value(self) -> f64 {
        f64::from_bits(self.0)
    }
}

/// One row of arguments (up to 8; an expression uses the first `arity`).
pub type Row = [f64; 8];

/// A plain function pointer of one of the arities used by the set. The native Rust
/// functions, trivial-jit's typed entries and Cranelift's functions all have this shape.
#[derive(Clone, Copy)]
pub enum FnPtr {
    A0(extern "C" fn() -> f64),
    A1(extern "C" fn(f64) -> f64),
    A3(extern "C" fn(f64, f64, f64) -> f64),
    A8(extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64),
}

impl FnPtr {
    /// Sums `f(row)` over the rows, calling through the (black-boxed) pointer from a call
    /// instruction of this `SITE`'s own.
    ///
    /// Why one site per engine and expression ([`FnPtr::site`]): on this CPU an indirect
    /// call instruction that has called several different targets is predicted more slowly
    /// for all but (at most) one of them — a bare `ret` took 2.2–2.4 ns per call instead of
    /// 1.35 (`examples/call_sites.rs`) — so a loop shared by the engines would charge each
    /// engine for the calls the others made, depending on their order. A program that calls
    /// one function in a loop has a site of its own too. `SITE` is black-boxed so that the
    /// copies differ and the compiler does not merge them back into one.
    #[inline(never)]
    pub fn run<const SITE: usize>(self, rows: &[Row]) -> f64 {
        std::hint::black_box(SITE);
        let mut s = Sum::default();
        match std::hint::black_box(self) {
            FnPtr::A0(f) => {
                for _ in rows {
                    s.add(f());
                }
            }
            FnPtr::A1(f) => {
                for r in rows {
                    s.add(f(r[0]));
                }
            }
            FnPtr::A3(f) => {
                for r in rows {
                    s.add(f(r[0], r[1], r[2]));
                }
            }
            FnPtr::A8(f) => {
                for r in rows {
                    s.add(f(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]));
                }
            }
        }
        s.value()
    }

    /// The runner of call site `site` (0..32): [`FnPtr::run`] instantiated for it.
    pub fn site(site: usize) -> fn(FnPtr, &[Row]) -> f64 {
        macro_rules! sites {
            ($($n:literal)*) => { [$(FnPtr::run::<$n> as fn(FnPtr, &[Row]) -> f64),*] };
        }
        const SITES: [fn(FnPtr, &[Row]) -> f64; 32] = sites!(
            0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        );
        SITES[site]
    }

    /// Reinterprets a raw entry address of a function of `arity` f64 arguments.
    ///
    /// # Safety
    /// `p` must be the entry of an `extern "C" fn(f64 x arity) -> f64` that stays valid
    /// while the result is used.
    pub unsafe fn from_raw(p: *const u8, arity: usize) -> Option<FnPtr> {
        // SAFETY: by the contract above.
        unsafe {
            Some(match arity {
                0 => FnPtr::A0(std::mem::transmute::<*const u8, extern "C" fn() -> f64>(p)),
                1 => FnPtr::A1(std::mem::transmute::<*const u8, extern "C" fn(f64) -> f64>(
                    p,
                )),
                3 => FnPtr::A3(std::mem::transmute::<
                    *const u8,
                    extern "C" fn(f64, f64, f64) -> f64,
                >(p)),
                8 => FnPtr::A8(std::mem::transmute::<
                    *const u8,
                    extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64,
                >(p)),
                _ => return None,
            })
        }
    }
}

/// An expression of the set.
pub struct ExprDef {
    pub name: &'static str,
    /// trivial-jit's (and Cranelift's, through jit_compiler's parser) source text.
    pub src: &'static str,
    /// The arguments, in trivial-jit's order (byte order of the names), which is also
    /// exmex's order.
    pub vars: &'static [&'static str],
    /// Per-engine sources where the syntax differs; `None` = the engine cannot express it.
    pub fasteval: Option<&'static str>,
    pub meval: Option<&'static str>,
    pub evalexpr: Option<&'static str>,
    pub exmex: Option<&'static str>,
    /// Is it one of E1–E5, the set of the §7 targets?
    pub in_targets: bool,
    /// The native Rust function, not inlined.
    pub native: FnPtr,
    /// The native Rust expression inlined into the summing loop.
    pub native_loop: fn(&[Row]) -> f64,
    /// Input range of each argument.
    pub ranges: &'static [(f64, f64)],
}

macro_rules! native {
    ($body:ident, $ext:ident, $lp:ident, ($($a:ident),*), $e:expr) => {
        // E5 has eight arguments; E3 is the original's constant expression, written as is
        #[allow(clippy::too_many_arguments, clippy::eq_op)]
        #[inline(always)]
        fn $body($($a: f64),*) -> f64 {
            $e
        }
        #[inline(never)]
        extern "C" fn $ext($($a: f64),*) -> f64 {
            $body($($a),*)
        }
        #[inline(never)]
        fn $lp(rows: &[Row]) -> f64 {
            let mut s = Sum::default();
            for r in std::hint::black_box(rows) {
                #[allow(unused_variables, unused_mut)]
                let mut it = r.iter().copied();
                $(let $a = it.next().unwrap_or(0.0);)*
                s.add($body($($a),*));
            }
            s.value()
        }
    };
}

native!(e1_body, e1_native, e1_loop, (x), 2.0 * x.sqrt());
native!(
    e2_body,
    e2_native,
    e2_loop,
    (a, b, c),
    (-b + (b * b - 4.0 * a * c).sqrt()) / (2.0 * a)
);
native!(
    e3_body,
    e3_native,
    e3_loop,
    (),
    3.0 + (8.0 - 7.5) * 10.0 / 5.0 - (2.0 + 5.0 * 7.0)
);
native!(
    e4_body,
    e4_native,
    e4_loop,
    (x),
    x.powi(7) - 3.0 * x.powi(5) + 2.0 * x.powi(3) - x + 1.0
);
native!(
    e5_body,
    e5_native,
    e5_loop,
    (a, b, c, d, e, f, g, h),
    (a * b + c * d - e / f + g * h) * (a - b) / (c + d * e) + (f * g - h) * (a + b * c)
        - d * (e - f * g)
        + h / (a + 1.0)
        + a * a * b
        - c * c * c / (d + 2.0)
        + (e * f - g) / (h * h + 1.0)
        - (b - c) * (g + h) * e
);
native!(
    e6_body,
    e6_native,
    e6_loop,
    (x),
    x.sin() * (-(x * x) / 2.0).exp() + x.abs().sqrt()
);
native!(
    e7_body,
    e7_native,
    e7_loop,
    (x),
    if x > 0.0 { x.exp() } else { x.sin() }
);

const E5: &str = "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) + h/(a+1) + a^2*b - c^3/(d+2) + (e*f - g)/(h*h + 1) - (b - c)*(g + h)*e";
/// E5 for exmex, where a bare `e` is not a variable: `{e}` is.
const E5_EXMEX: &str = "(a*b + c*d - {e}/f + g*h) * (a - b) / (c + d*{e}) + (f*g - h) * (a + b*c) - d*({e} - f*g) + h/(a+1) + a^2*b - c^3/(d+2) + ({e}*f - g)/(h*h + 1) - (b - c)*(g + h)*{e}";
const ABCDEFGH: &[&str] = &["a", "b", "c", "d", "e", "f", "g", "h"];

/// The set.
pub fn all() -> Vec<ExprDef> {
    vec![
        ExprDef {
            name: "E1",
            src: "2*x^0.5",
            vars: &["x"],
            fasteval: Some("2*x^0.5"),
            meval: Some("2*x^0.5"),
            evalexpr: Some("2*x^0.5"),
            exmex: Some("2*x^0.5"),
            in_targets: true,
            native: FnPtr::A1(e1_native),
            native_loop: e1_loop,
            ranges: &[(0.5, 100.0)],
        },
        ExprDef {
            name: "E2",
            src: "(-b+(b^2-4*a*c)^0.5)/(2*a)",
            vars: &["a", "b", "c"],
            fasteval: Some("(-b+(b^2-4*a*c)^0.5)/(2*a)"),
            meval: Some("(-b+(b^2-4*a*c)^0.5)/(2*a)"),
            evalexpr: Some("(-b+(b^2-4*a*c)^0.5)/(2*a)"),
            exmex: Some("(-b+(b^2-4*a*c)^0.5)/(2*a)"),
            in_targets: true,
            native: FnPtr::A3(e2_native),
            native_loop: e2_loop,
            ranges: &[(1.0, 2.0), (-3.0, 3.0), (-2.0, -1.0)],
        },
        ExprDef {
            name: "E3",
            src: "3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)",
            vars: &[],
            fasteval: Some("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
            meval: Some("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
            evalexpr: Some("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
            exmex: Some("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
            in_targets: true,
            native: FnPtr::A0(e3_native),
            native_loop: e3_loop,
            ranges: &[],
        },
        ExprDef {
            name: "E4",
            src: "x^7 - 3*x^5 + 2*x^3 - x + 1",
            vars: &["x"],
            fasteval: Some("x^7 - 3*x^5 + 2*x^3 - x + 1"),
            meval: Some("x^7 - 3*x^5 + 2*x^3 - x + 1"),
            evalexpr: Some("x^7 - 3*x^5 + 2*x^3 - x + 1"),
            exmex: Some("x^7 - 3*x^5 + 2*x^3 - x + 1"),
            in_targets: true,
            native: FnPtr::A1(e4_native),
            native_loop: e4_loop,
            // No root of the polynomial in the range, so no cancellation.
            ranges: &[(1.6, 2.6)],
        },
        ExprDef {
            name: "E5",
            src: E5,
            vars: ABCDEFGH,
            fasteval: Some(E5),
            meval: Some(E5),
            evalexpr: Some(E5),
            exmex: Some(E5_EXMEX),
            in_targets: true,
            native: FnPtr::A8(e5_native),
            native_loop: e5_loop,
            ranges: &[(0.5, 2.0); 8],
        },
        ExprDef {
            name: "E6",
            src: "sin(x)*exp(-x^2/2) + sqrt(abs(x))",
            vars: &["x"],
            // fasteval has no exp or sqrt: e()^y and abs(x)^0.5 instead.
            fasteval: Some("sin(x)*e()^(-(x^2)/2) + abs(x)^0.5"),
            meval: Some("sin(x)*exp(-(x^2)/2) + sqrt(abs(x))"),
            evalexpr: Some("math::sin(x)*math::exp(-(x^2)/2) + math::sqrt(math::abs(x))"),
            exmex: Some("sin(x)*exp(-(x^2)/2) + sqrt(abs(x))"),
            in_targets: false,
            native: FnPtr::A1(e6_native),
            native_loop: e6_loop,
            ranges: &[(-3.0, 3.0)],
        },
        ExprDef {
            name: "E7",
            // a piecewise function: the JIT branches (a side calls a function), as Rust does;
            // the inputs take either side at random
            src: "if(x > 0, exp(x), sin(x))",
            vars: &["x"],
            fasteval: None,
            meval: None,
            evalexpr: Some("if(x > 0, math::exp(x), math::sin(x))"),
            exmex: None,
            in_targets: false,
            native: FnPtr::A1(e7_native),
            native_loop: e7_loop,
            ranges: &[(-2.0, 2.0)],
        },
    ]
}

/// The `jit_expr!` function of an expression of the set (compiled when this crate is).
pub fn macro_fn(name: &str) -> Option<FnPtr> {
    use trivial_jit::jit_expr;
    Some(match name {
        "E1" => FnPtr::A1(jit_expr!("2*x^0.5")),
        "E2" => FnPtr::A3(jit_expr!("(-b+(b^2-4*a*c)^0.5)/(2*a)")),
        "E3" => FnPtr::A0(jit_expr!("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)")),
        "E4" => FnPtr::A1(jit_expr!("x^7 - 3*x^5 + 2*x^3 - x + 1")),
        "E5" => FnPtr::A8(jit_expr!(
            "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) + h/(a+1) + a^2*b - c^3/(d+2) + (e*f - g)/(h*h + 1) - (b - c)*(g + h)*e"
        )),
        "E6" => FnPtr::A1(jit_expr!("sin(x)*exp(-x^2/2) + sqrt(abs(x))")),
        "E7" => FnPtr::A1(jit_expr!("if(x > 0, exp(x), sin(x))")),
        _ => return None,
    })
}

/// The number of input rows.
pub const ROWS: usize = 1024;

/// Deterministic, varied inputs: each argument uniform in its range (splitmix64).
pub fn inputs(def: &ExprDef) -> Vec<Row> {
    let mut state: u64 =
        0x9E37_79B9_7F4A_7C15 ^ def.name.len() as u64 ^ u64::from(def.name.as_bytes()[1]);
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..ROWS)
        .map(|_| {
            let mut row = [0.0; 8];
            for (slot, &(lo, hi)) in row.iter_mut().zip(def.ranges) {
                *slot = lo + (hi - lo) * next();
            }
            row
        })
        .collect()
}
