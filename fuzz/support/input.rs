//! Inputs the fuzz targets share.

use crate::values::SPECIAL;
use arbitrary::{Arbitrary, Result, Unstructured};

/// Any `f64` (special values often: half the time one of [`SPECIAL`]).
pub fn value(u: &mut Unstructured) -> Result<f64> {
    Ok(if bool::arbitrary(u)? {
        *u.choose(&SPECIAL)?
    } else {
        f64::from_bits(u64::arbitrary(u)?)
    })
}
