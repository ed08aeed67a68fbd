//! The special values the agreement tests run on, and the equality they compare with; shared
//! by the test files (included with `#[path]`).
#![allow(dead_code)]

/// Same bits, or both NaN (the sign and payload of a NaN are not part of the contract).
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Zeros of both signs, small integers and halves, the largest and smallest magnitudes
/// (subnormals and the smallest normal included), infinities and NaNs of both signs, and a
/// few ordinary values; and two where rounding by adding 0.5 goes wrong (the double just below
/// one half, and 2^52 + 1), as a C library's `round` did.
pub const SPECIAL: [f64; 31] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.0,
    -2.0,
    2.5,
    -2.5,
    0.49999999999999994,
    4503599627370497.0,
    3.0,
    -7.25,
    0.1,
    123456.789,
    f64::MAX,
    1e308,
    -1e308,
    1e300,
    1e-300,
    -1e-300,
    5e-324,
    -5e-324,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
];
