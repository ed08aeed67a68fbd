//! The Rust functions that JIT code calls for operations without an inline instruction
//! sequence (transcendental functions, `powf`, `%`, ...). Each is the very `apply` the
//! reference interpreter uses, so JIT and interpreter agree to the bit.

use jit_compiler::codegen::Symbol;
use jit_compiler::{BinaryOp, Registry, UnaryOp, UserFn};

macro_rules! unary_helpers {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 { UnaryOp::$op.apply(x) })*
        /// The helper for a unary operation.
        fn unary_address(op: UnaryOp) -> usize {
            match op {
                $(UnaryOp::$op => $name as extern "C" fn(f64) -> f64 as usize,)*
            }
        }
        /// Same, with the Win64 convention.
        fn unary_address_win64(op: UnaryOp) -> usize {
            mod win { use super::*; $(pub extern "win64" fn $name(x: f64) -> f64 { UnaryOp::$op.apply(x) })* }
            match op {
                $(UnaryOp::$op => win::$name as extern "win64" fn(f64) -> f64 as usize,)*
            }
        }
    };
}

macro_rules! binary_helpers {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(extern "C" fn $name(a: f64, b: f64) -> f64 { BinaryOp::$op.apply(a, b) })*
        /// The helper for a binary operation.
        fn binary_address(op: BinaryOp) -> usize {
            match op {
                $(BinaryOp::$op => $name as extern "C" fn(f64, f64) -> f64 as usize,)*
            }
        }
        /// Same, with the Win64 convention.
        fn binary_address_win64(op: BinaryOp) -> usize {
            mod win { use super::*; $(pub extern "win64" fn $name(a: f64, b: f64) -> f64 { BinaryOp::$op.apply(a, b) })* }
            match op {
                $(BinaryOp::$op => win::$name as extern "win64" fn(f64, f64) -> f64 as usize,)*
            }
        }
    };
}

unary_helpers! {
    neg => Neg, sqrt => Sqrt, abs => Abs, floor => Floor, ceil => Ceil, round => Round,
    trunc => Trunc, sign => Sign, exp => Exp, exp2 => Exp2, ln => Ln, log2 => Log2,
    log10 => Log10, sin => Sin, cos => Cos, tan => Tan, asin => Asin, acos => Acos,
    atan => Atan, sinh => Sinh, cosh => Cosh, tanh => Tanh,
}

binary_helpers! {
    add => Add, sub => Sub, mul => Mul, div => Div, rem => Rem, pow => Pow, powf => Powf,
    lt => Lt, le => Le, gt => Gt, ge => Ge, eq => Eq, ne => Ne, atan2 => Atan2,
    hypot => Hypot, min => Min, max => Max,
}

/// The address to patch in for `symbol`, for code of the given convention, or `None` if
/// the symbol cannot be called directly (a user closure, or an unknown index).
pub fn address(symbol: Symbol, win64: bool, registry: Option<&Registry>) -> Option<u64> {
    let addr = match (symbol, win64) {
        (Symbol::Unary(op), false) => unary_address(op),
        (Symbol::Unary(op), true) => unary_address_win64(op),
        (Symbol::Binary(op), false) => binary_address(op),
        (Symbol::Binary(op), true) => binary_address_win64(op),
        // A user's `extern "C"` function has the host convention only.
        (Symbol::User(i), cfg!(windows)) => {
            registry?.functions().get(i as usize)?.native_address()?
        }
        (Symbol::User(_), _) => return None,
        (Symbol::UserContext(i), _) => {
            registry?.functions().get(i as usize)? as *const UserFn as usize
        }
        (Symbol::Trampoline, false) => {
            crate::trampoline::trampoline as extern "sysv64" fn(*const UserFn, *const f64) -> f64
                as usize
        }
        (Symbol::Trampoline, true) => {
            crate::trampoline::trampoline_win64
                as extern "win64" fn(*const UserFn, *const f64) -> f64 as usize
        }
    };
    Some(addr as u64)
}
