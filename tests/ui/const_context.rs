use trivial_jit::jit_expr;

// The macro is a value made at run time, on every target: the machine code is installed at
// first use, and the plain-Rust expansion of other targets (`@rust` shows it here) is no
// constant either.
static F: extern "C" fn(f64) -> f64 = jit_expr!("x + 1");
static G: extern "C" fn(f64) -> f64 = jit_expr!(@rust "x + 1");

fn main() {
    let _ = (F, G);
}
