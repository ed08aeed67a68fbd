use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("atan2(x)");
    let _ = jit_expr!("sin(x, y)");
    let _ = jit_expr!("min()");
}
