//! The operations of the language and their exact meaning on `f64`.
//!
//! Every function here is the *definition* the rest of the project follows: the interpreter
//! calls them, the simplifier folds constants with them, and the code generator emits machine
//! code that gives the same bits (or calls these very functions through the runtime's helper
//! table). Keeping them in one place is what makes "JIT == interpreter, bit for bit" possible.

/// An operation with one operand.
///
/// ```
/// use jit_compiler::UnaryOp;
/// assert_eq!(UnaryOp::ALL.len(), 22);
/// assert_eq!(UnaryOp::ALL.iter().find(|op| op.name() == "floor"), Some(&UnaryOp::Floor));
/// assert_eq!(UnaryOp::Floor.apply(-1.5), -2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // each variant is the function of the same name; see `name()`
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `√x`, `sqrt(x)`, and `x^0.5` after lowering
    Sqrt,
    Abs,
    Floor,
    Ceil,
    /// Half away from zero, like `f64::round`.
    Round,
    Trunc,
    /// `1` for positive, `-1` for negative, the zero itself for `±0`, NaN for NaN.
    Sign,
    Exp,
    Exp2,
    /// Natural logarithm; `log` is an alias.
    Ln,
    Log2,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
}

/// An operation with two operands.
///
/// ```
/// use jit_compiler::BinaryOp;
/// assert_eq!(BinaryOp::ALL.len(), 17);
/// assert_eq!((BinaryOp::Rem.name(), BinaryOp::Rem.apply(7.5, 2.0)), ("%", 1.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a % b`, Rust's `f64` remainder (C `fmod`).
    Rem,
    /// `a ^ b` (also `**` and `pow(a, b)`) as written; the simplifier lowers it by §3.2 of the
    /// spec (see [`pow`]).
    Pow,
    /// `f64::powf`, always. Only the simplifier creates it.
    Powf,
    /// `a < b`: 1 or 0.
    Lt,
    /// `a <= b`: 1 or 0.
    Le,
    /// `a > b`: 1 or 0.
    Gt,
    /// `a >= b`: 1 or 0.
    Ge,
    /// `a == b`: 1 or 0.
    Eq,
    /// `a != b`: 1 or 0 (1 when either is NaN).
    Ne,
    /// `atan2(y, x)`
    Atan2,
    /// `hypot(x, y)`
    Hypot,
    /// `min(a, b)`: a NaN operand is ignored; on a tie (`0` and `-0`) the first operand.
    Min,
    /// `max(a, b)`: a NaN operand is ignored; on a tie (`0` and `-0`) the first operand.
    Max,
}

impl UnaryOp {
    /// Every unary operation.
    pub const ALL: [UnaryOp; 22] = {
        use UnaryOp::*;
        [
            Neg, Sqrt, Abs, Floor, Ceil, Round, Trunc, Sign, Exp, Exp2, Ln, Log2, Log10, Sin, Cos,
            Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh,
        ]
    };

    /// The function name in the language (`"neg"` for negation, which is written `-x`).
    ///
    /// ```
    /// use jit_compiler::UnaryOp;
    /// assert_eq!((UnaryOp::Ln.name(), UnaryOp::Neg.name()), ("ln", "neg"));
    /// ```
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Sqrt => "sqrt",
            Abs => "abs",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            Sign => "sign",
            Exp => "exp",
            Exp2 => "exp2",
            Ln => "ln",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
        }
    }

    /// Applies the operation.
    ///
    /// ```
    /// use jit_compiler::UnaryOp;
    /// assert_eq!(UnaryOp::Sqrt.apply(2.25), 1.5);
    /// assert_eq!(UnaryOp::Round.apply(-2.5), -3.0); // half away from zero
    /// assert_eq!(UnaryOp::Sign.apply(-0.0).to_bits(), (-0.0f64).to_bits());
    /// ```
    pub fn apply(self, x: f64) -> f64 {
        use UnaryOp::*;
        match self {
            Neg => -x,
            Sqrt => x.sqrt(),
            Abs => x.abs(),
            Floor => x.floor(),
            Ceil => x.ceil(),
            Round => round(x),
            Trunc => x.trunc(),
            Sign => sign(x),
            Exp => x.exp(),
            Exp2 => x.exp2(),
            Ln => x.ln(),
            Log2 => x.log2(),
            Log10 => x.log10(),
            Sin => x.sin(),
            Cos => x.cos(),
            Tan => x.tan(),
            Asin => x.asin(),
            Acos => x.acos(),
            Atan => x.atan(),
            Sinh => x.sinh(),
            Cosh => x.cosh(),
            Tanh => x.tanh(),
        }
    }

    /// Is the result computed by calling into Rust (a transcendental function), rather than by
    /// a few inline instructions?
    ///
    /// ```
    /// use jit_compiler::UnaryOp;
    /// assert!(UnaryOp::Sin.is_call());
    /// assert!(!UnaryOp::Sqrt.is_call()); // sqrtsd
    /// ```
    pub fn is_call(self) -> bool {
        use UnaryOp::*;
        !matches!(self, Neg | Sqrt | Abs | Floor | Ceil | Round | Trunc | Sign)
    }
}

impl BinaryOp {
    /// Every binary operation.
    pub const ALL: [BinaryOp; 17] = {
        use BinaryOp::*;
        [
            Add, Sub, Mul, Div, Rem, Pow, Powf, Lt, Le, Gt, Ge, Eq, Ne, Atan2, Hypot, Min, Max,
        ]
    };

    /// The operator (`"+"`) or function name (`"atan2"`) in the language. `Powf` prints as
    /// `"powf"`, which is not part of the language: it only appears in simplified trees.
    ///
    /// ```
    /// use jit_compiler::BinaryOp;
    /// assert_eq!((BinaryOp::Le.name(), BinaryOp::Hypot.name()), ("<=", "hypot"));
    /// assert_eq!(BinaryOp::Pow.name(), "^"); // `**` and `pow(a, b)` parse to it too
    /// ```
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Rem => "%",
            Pow => "^",
            Powf => "powf",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            Atan2 => "atan2",
            Hypot => "hypot",
            Min => "min",
            Max => "max",
        }
    }

    /// Is it a comparison (`<`, `<=`, ..., value 1 or 0)?
    ///
    /// ```
    /// use jit_compiler::BinaryOp;
    /// assert!(BinaryOp::Ne.is_comparison() && !BinaryOp::Sub.is_comparison());
    /// assert_eq!(BinaryOp::ALL.iter().filter(|op| op.is_comparison()).count(), 6);
    /// ```
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Lt | Le | Gt | Ge | Eq | Ne)
    }

    /// Is it written as a function call (`atan2(y, x)`) rather than an infix operator?
    ///
    /// ```
    /// use jit_compiler::BinaryOp;
    /// assert!(BinaryOp::Max.is_function());
    /// assert!(!BinaryOp::Pow.is_function()); // written `a ^ b`
    /// ```
    pub fn is_function(self) -> bool {
        use BinaryOp::*;
        matches!(self, Powf | Atan2 | Hypot | Min | Max)
    }

    /// Applies the operation. `Pow` is applied as by [`pow`] with a non-constant exponent,
    /// i.e. `powf`; the interpreter handles constant exponents itself.
    ///
    /// ```
    /// use jit_compiler::BinaryOp;
    /// assert_eq!(BinaryOp::Lt.apply(1.0, 2.0), 1.0);
    /// assert_eq!(BinaryOp::Ne.apply(f64::NAN, f64::NAN), 1.0);
    /// assert_eq!(BinaryOp::Pow.apply(2.0, 0.5), 2f64.powf(0.5));
    /// ```
    pub fn apply(self, a: f64, b: f64) -> f64 {
        use BinaryOp::*;
        let truth = |c: bool| if c { 1.0 } else { 0.0 };
        match self {
            Add => a + b,
            Sub => a - b,
            Mul => a * b,
            Div => a / b,
            Rem => a % b,
            Pow | Powf => a.powf(b),
            Lt => truth(a < b),
            Le => truth(a <= b),
            Gt => truth(a > b),
            Ge => truth(a >= b),
            Eq => truth(a == b),
            Ne => truth(a != b),
            Atan2 => a.atan2(b),
            Hypot => a.hypot(b),
            Min => min(a, b),
            Max => max(a, b),
        }
    }
}

/// `sign(x)`: `1` or `-1` by the sign of `x`, but `±0` and NaN are returned unchanged.
/// (Rust's `f64::signum` gives `1` for `+0`, which is not what the language promises.)
///
/// ```
/// use jit_compiler::ops::sign;
/// assert_eq!((sign(-3.5), sign(0.25)), (-1.0, 1.0));
/// assert_eq!(sign(0.0), 0.0);
/// assert!(sign(-0.0).is_sign_negative() && sign(f64::NAN).is_nan());
/// ```
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// `round(x)`: to the nearest integer, halves away from zero, as `f64::round` is specified.
///
/// Computed here from `trunc` rather than by `f64::round`, which calls the C library's `round`:
/// in the `x86_64-pc-windows-gnu` build run under wine, that one rounds the double just below
/// 0.5 up to 1 (as adding 0.5 first would). The machine code rounds without the C library,
/// and the interpreter must agree with it bit for bit on every system. `x - trunc(x)` is
/// exact (the fraction of a double is a double), so the halfway test is too.
///
/// ```
/// use jit_compiler::ops::round;
/// assert_eq!(round(2.5), 3.0);
/// assert_eq!(round(-2.5), -3.0);
/// assert_eq!(round(0.49999999999999994), 0.0); // the largest double below 0.5
/// assert!(round(-0.3).is_sign_negative()); // -0, as f64::round
/// assert_eq!(round(4503599627370497.0), 4503599627370497.0); // 2^52 + 1: already whole
/// ```
pub fn round(x: f64) -> f64 {
    if x.is_nan() {
        return x + x; // quieted, payload kept: what `f64::round` and `roundsd` give
    }
    let whole = x.trunc();
    if (x - whole).abs() >= 0.5 {
        whole + x.signum()
    } else {
        whole
    }
}

/// `min(a, b)` like `f64::min`: a NaN operand is ignored (NaN only if both are NaN). When the
/// operands compare equal (`0` and `-0`) the result is `a`, as the machine code computes it;
/// `f64::min` leaves the sign of that result open, and it differs between targets and builds.
///
/// ```
/// use jit_compiler::ops::min;
/// assert_eq!(min(2.0, -1.0), -1.0);
/// assert_eq!(min(f64::NAN, 3.0), 3.0);
/// assert!(min(0.0, -0.0).is_sign_positive()); // a tie: the first operand
/// ```
pub fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b < a { b } else { a }
}

/// `max(a, b)` like `f64::max`; see [`min`] for NaN and ties.
///
/// ```
/// use jit_compiler::ops::max;
/// assert_eq!(max(2.0, -1.0), 2.0);
/// assert_eq!(max(1.0, f64::NAN), 1.0);
/// assert!(max(-0.0, 0.0).is_sign_negative()); // a tie: the first operand
/// ```
pub fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b > a { b } else { a }
}

/// `if(c, a, b)` chooses `a` when this is true: `c` non-zero and not NaN.
///
/// ```
/// use jit_compiler::ops::is_truthy;
/// assert!(is_truthy(-0.5) && is_truthy(f64::INFINITY));
/// assert!(!is_truthy(0.0) && !is_truthy(-0.0) && !is_truthy(f64::NAN));
/// ```
pub fn is_truthy(c: f64) -> bool {
    c != 0.0 && !c.is_nan()
}

/// How `x ^ y` is computed (§3.2 of the spec). `exponent_is_constant` says whether the
/// exponent is a closed expression (no variables, no user functions), decided syntactically.
///
/// ```
/// use jit_compiler::ops::{PowPlan, pow_plan};
/// assert_eq!(pow_plan(Some(3.0)), PowPlan::Int(3));
/// assert_eq!(pow_plan(Some(-0.5)), PowPlan::RecipSqrt);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PowPlan {
    /// `x^n` by [`powi`].
    Int(i64),
    /// `sqrt(x)`
    Sqrt,
    /// `1 / sqrt(x)`
    RecipSqrt,
    /// `x.powf(y)`
    Powf,
}

/// Chooses how `x ^ y` is computed from the exponent's value, if the exponent is constant.
///
/// ```
/// use jit_compiler::ops::{PowPlan, pow_plan};
/// assert_eq!(pow_plan(Some(-2.0)), PowPlan::Int(-2));
/// assert_eq!(pow_plan(Some(0.5)), PowPlan::Sqrt);
/// assert_eq!(pow_plan(Some(1.5)), PowPlan::Powf);
/// assert_eq!(pow_plan(None), PowPlan::Powf); // an exponent known only at run time
/// ```
pub fn pow_plan(constant_exponent: Option<f64>) -> PowPlan {
    match constant_exponent {
        Some(0.5) => PowPlan::Sqrt,
        Some(-0.5) => PowPlan::RecipSqrt,
        // 2^63 itself is excluded: |n| < 2^63 keeps `unsigned_abs` and the i64 exact. Below
        // it, converting to i64 and back gives `y` exactly when `y` is an integer: the test
        // `y.fract() == 0.0` said the same with a call of the library's `trunc` (about 17
        // instructions for every `^` with a constant exponent).
        Some(y) if y.abs() < 9_223_372_036_854_775_808.0 && (y as i64) as f64 == y => {
            PowPlan::Int(y as i64)
        }
        _ => PowPlan::Powf,
    }
}

/// `x ^ y` by the rules of §3.2: `constant_exponent` is `Some(y)` when the exponent is a
/// constant expression.
/// (That is [`pow_plan`]'s argument; the parameter here is `exponent_is_constant`: whether `y`
/// is the value of a constant expression.)
///
/// ```
/// use jit_compiler::ops::pow;
/// assert_eq!(pow(f64::NAN, 0.0, true), 1.0); // x^0 is 1 for a constant 0
/// assert_eq!(pow(4.0, -0.5, true), 0.5); // 1 / sqrt(4)
/// assert_eq!(pow(2.0, 10.0, false), 1024.0); // powf
/// ```
pub fn pow(x: f64, y: f64, exponent_is_constant: bool) -> f64 {
    let plan = pow_plan(exponent_is_constant.then_some(y));
    match plan {
        PowPlan::Int(n) => powi(x, n),
        PowPlan::Sqrt => x.sqrt(),
        PowPlan::RecipSqrt => 1.0 / x.sqrt(),
        PowPlan::Powf => x.powf(y),
    }
}

/// One step of exponentiation by squaring; see [`powi_steps`].
///
/// ```
/// use jit_compiler::ops::{PowStep, powi_steps};
/// let squares = powi_steps(1 << 10).filter(|s| *s == PowStep::Square).count();
/// assert_eq!(squares, 10); // x^1024: ten squarings, one accumulation
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowStep {
    /// `acc = base` the first time, `acc = acc * base` after.
    Accumulate,
    /// `base = base * base`
    Square,
}

/// The exact multiplication sequence for `x^n`, `n > 0`: the bits of `n` from the lowest,
/// `Accumulate` for a set bit and `Square` between bits. `x^5` is
/// `[Accumulate, Square, Square, Accumulate]`: `acc = x; b = x*x; b = b*b; acc = acc*b`.
/// The interpreter and the code generator both follow this list.
///
/// ```
/// use jit_compiler::ops::{PowStep::*, powi_steps};
/// assert_eq!(powi_steps(5).collect::<Vec<_>>(), [Accumulate, Square, Square, Accumulate]);
/// assert_eq!(powi_steps(1).collect::<Vec<_>>(), [Accumulate]);
/// ```
pub fn powi_steps(n: u64) -> impl Iterator<Item = PowStep> {
    let bits = u64::BITS - n.leading_zeros();
    (0..bits).flat_map(move |i| {
        let acc = (n >> i) & 1 == 1;
        let square = i + 1 < bits;
        acc.then_some(PowStep::Accumulate)
            .into_iter()
            .chain(square.then_some(PowStep::Square))
    })
}

/// `x^n` for an integer constant: `1` for `n = 0` (even for NaN), `1 / x^|n|` for `n < 0`,
/// otherwise the multiplications of [`powi_steps`].
///
/// ```
/// use jit_compiler::ops::powi;
/// assert_eq!(powi(3.0, 4), 81.0);
/// assert_eq!(powi(2.0, -3), 0.125);
/// assert_eq!(powi(f64::NAN, 0), 1.0);
/// ```
pub fn powi(x: f64, n: i64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let mut base = x;
    let mut acc: Option<f64> = None;
    for step in powi_steps(n.unsigned_abs()) {
        match step {
            PowStep::Accumulate => acc = Some(acc.map_or(base, |a| a * base)),
            PowStep::Square => base *= base,
        }
    }
    let positive = acc.unwrap_or(1.0);
    if n < 0 { 1.0 / positive } else { positive }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_sequence_is_square_and_multiply() {
        use PowStep::*;
        assert_eq!(powi_steps(1).collect::<Vec<_>>(), [Accumulate]);
        assert_eq!(powi_steps(2).collect::<Vec<_>>(), [Square, Accumulate]);
        assert_eq!(
            powi_steps(5).collect::<Vec<_>>(),
            [Accumulate, Square, Square, Accumulate]
        );
        assert_eq!(powi_steps(u64::MAX).filter(|s| *s == Square).count(), 63);
    }

    #[test]
    fn powi_values() {
        assert_eq!(powi(3.0, 0), 1.0);
        assert_eq!(powi(f64::NAN, 0), 1.0);
        assert_eq!(powi(2.0, 10), 1024.0);
        assert_eq!(powi(2.0, -2), 0.25);
        assert_eq!(powi(-2.0, 3), -8.0);
        assert_eq!(powi(1.0000001, i64::MAX), f64::INFINITY);
        assert_eq!(powi(-1.0, i64::MIN + 1), -1.0);
        // x^3 = x * (x*x), in that order.
        let x = 1.1f64;
        assert_eq!(powi(x, 3).to_bits(), (x * (x * x)).to_bits());
    }

    #[test]
    fn pow_plan_follows_the_spec() {
        assert_eq!(pow_plan(Some(0.5)), PowPlan::Sqrt);
        assert_eq!(pow_plan(Some(-0.5)), PowPlan::RecipSqrt);
        assert_eq!(pow_plan(Some(-3.0)), PowPlan::Int(-3));
        assert_eq!(pow_plan(Some(-0.0)), PowPlan::Int(0));
        assert_eq!(pow_plan(Some(1.5)), PowPlan::Powf);
        assert_eq!(pow_plan(Some(9.3e18)), PowPlan::Powf);
        assert_eq!(
            pow_plan(Some(-9.2e18)),
            PowPlan::Int(-9_200_000_000_000_000_000)
        );
        assert_eq!(
            pow_plan(Some(4_503_599_627_370_497.0)),
            PowPlan::Int(4_503_599_627_370_497)
        );
        assert_eq!(pow_plan(Some(2.000_000_000_000_000_4)), PowPlan::Powf);
        assert_eq!(pow_plan(Some(f64::MIN_POSITIVE)), PowPlan::Powf);
        assert_eq!(pow_plan(Some(f64::INFINITY)), PowPlan::Powf);
        assert_eq!(pow_plan(Some(f64::NAN)), PowPlan::Powf);
        assert_eq!(pow_plan(None), PowPlan::Powf);
        assert_eq!(pow(-0.0, 0.5, true).to_bits(), (-0.0f64).to_bits());
        assert_eq!(pow(4.0, 0.5, false), 2.0);
    }

    /// `round` against `f64::round` on halves, their neighbours, specials and pseudo-random
    /// bit patterns, where the C library's `round` is exact (not MinGW's: see `round`).
    #[test]
    fn round_is_f64_round() {
        let mut values = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            5e-324,
        ];
        for k in [
            0.0f64,
            1.0,
            2.0,
            1e6,
            4503599627370495.0,
            9007199254740991.0,
        ] {
            for h in [k + 0.5, -(k + 0.5), k, -k] {
                values.extend([
                    h,
                    f64::from_bits(h.to_bits().wrapping_add(1)),
                    f64::from_bits(h.to_bits().wrapping_sub(1)),
                ]);
            }
        }
        let mut bits = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            bits = bits
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push(f64::from_bits(bits));
        }
        for x in values {
            let got = round(x);
            if cfg!(not(all(windows, target_env = "gnu"))) {
                assert_eq!(got.to_bits(), x.round().to_bits(), "round({x:e})");
            }
            // the rule itself: a whole number at most half away, ties away from zero
            if x.is_finite() {
                let d = (got - x).abs();
                assert!(got.fract() == 0.0 && d <= 0.5, "round({x:e}) = {got:e}");
                assert!(d < 0.5 || got.abs() > x.abs(), "round({x:e}) = {got:e}");
                assert_eq!(got.is_sign_negative(), x.is_sign_negative(), "round({x:e})");
            }
        }
    }

    #[test]
    fn min_max_sign_match_rust() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for a in values {
            for b in values {
                let (ra, rb) = (std::hint::black_box(a), std::hint::black_box(b));
                // f64::min leaves the sign of a tie (0, -0) open (aarch64's `fminnm` and a
                // nightly build with sanitizers give -0): the rule alone decides a tie
                if a == b {
                    assert_eq!(min(a, b).to_bits(), a.to_bits(), "min({a}, {b})");
                    assert_eq!(max(a, b).to_bits(), a.to_bits(), "max({a}, {b})");
                } else {
                    assert_eq!(min(a, b).to_bits(), ra.min(rb).to_bits(), "min({a}, {b})");
                    assert_eq!(max(a, b).to_bits(), ra.max(rb).to_bits(), "max({a}, {b})");
                }
            }
        }
        assert_eq!(sign(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(sign(3.0), 1.0);
        assert_eq!(sign(-3.0), -1.0);
        assert!(sign(f64::NAN).is_nan());
    }

    #[test]
    fn comparisons_with_nan() {
        assert_eq!(BinaryOp::Lt.apply(f64::NAN, 1.0), 0.0);
        assert_eq!(BinaryOp::Eq.apply(f64::NAN, f64::NAN), 0.0);
        assert_eq!(BinaryOp::Ne.apply(f64::NAN, f64::NAN), 1.0);
        assert!(!is_truthy(f64::NAN));
        assert!(is_truthy(-0.5));
        assert!(!is_truthy(-0.0));
    }
}
