//! User constants and functions: the range of a projectile launched at speed `v` and angle
//! `theta` (degrees) from height `h`, with a registered constant `g` and Rust functions.
//!
//! `cargo run --release --example custom_functions`

use trivial_jit::Jit;

/// Degrees to radians, called straight from the machine code.
extern "C" fn rad(degrees: f64) -> f64 {
    degrees.to_radians()
}

fn main() -> Result<(), trivial_jit::Error> {
    let drag = 0.98; // captured by the closure below
    let range = Jit::builder()
        .constant("g", 9.80665)
        .function("rad", rad as extern "C" fn(f64) -> f64)
        .closure("damp", 1, move |a| a[0] * drag)
        .compile_with_args(
            "damp(v*cos(rad(theta))/g * (v*sin(rad(theta)) + sqrt((v*sin(rad(theta)))^2 + 2*g*h)))",
            &["v", "theta", "h"],
        )?;
    println!(
        "range(v, theta, h): {} lines of machine-code listing",
        range.listing().lines().count()
    );
    println!(
        "{:>8} {:>8} {:>8} {:>12}",
        "v m/s", "theta", "h m", "range m"
    );
    for (v, theta, h) in [(10.0, 45.0, 0.0), (20.0, 30.0, 1.5), (30.0, 60.0, 10.0)] {
        let r = range.call(&[v, theta, h]);
        // the same formula in plain Rust, for comparison
        let (s, c) = rad(theta).sin_cos();
        let g = 9.80665;
        let want = (v * c / g * (v * s + ((v * s).powi(2) + 2.0 * g * h).sqrt())) * drag;
        println!("{v:8.1} {theta:8.1} {h:8.1} {r:12.6}   (Rust: {want:.6})");
        // (`sin_cos` and separate `sin`, `cos` calls may round differently in the last bit)
        assert!((r - want).abs() <= 1e-12 * want.abs(), "{r} vs {want}");
    }
    Ok(())
}
