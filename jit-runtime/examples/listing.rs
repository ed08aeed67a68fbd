//! Prints the machine code of an expression: `cargo run -p jit-runtime --example listing -- "x^2"`.
fn main() {
    let src = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "(-b+(b^2-4*a*c)^0.5)/(2*a)".into());
    match jit_runtime::Jit::compile(&src) {
        Ok(f) => print!("{}", f.listing()),
        Err(e) => eprint!("{}", e.render(&src)),
    }
}
