use trivial_jit::jit_expr;

extern "C" fn f(x: f64) -> f64 {
    x
}

fn main() {
    let _ = jit_expr!("f(x) + f(x, y)", fns = [f]);
    let _ = jit_expr!("f(f(), 2)", fns = [f]);
    let _ = jit_expr!("f(a, b, c, d, e)", fns = [f]);
    // Listed but never called: its arity is unknown.
    let _ = jit_expr!("x + 1", fns = [f]);
    // Named but not called.
    let _ = jit_expr!("f + 1", fns = [f]);
}
