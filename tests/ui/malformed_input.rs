use trivial_jit::jit_expr;

fn f(x: f64) -> f64 {
    x
}

fn main() {
    let _ = jit_expr!(|x,);
    let _ = jit_expr!(@ "x");
    let _ = jit_expr!("f(x)", fns [f]);
    let _ = jit_expr!("x", crate);
}
