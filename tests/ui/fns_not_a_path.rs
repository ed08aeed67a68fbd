use trivial_jit::jit_expr;

extern "C" fn f(x: f64) -> f64 {
    x
}

fn main() {
    let _ = jit_expr!("f(x)", fns = [1]);
    let _ = jit_expr!("f(x)", fns = [f::<f64>]);
    let _ = jit_expr!("f(x)", fns = [f<f64>]);
    let _ = jit_expr!("f(x)", fns = ["f"]);
    let _ = jit_expr!("f(x)", fns = [f g]);
    let _ = jit_expr!("f(x)", fns = [self]);
    let _ = jit_expr!("f(x)", fns = f);
    let _ = jit_expr!("f(x)", functions = [f]);
    let _ = jit_expr!("f(x)" fns = [f]);
}
