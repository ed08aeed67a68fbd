use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("2x");
    let _ = jit_expr!("1 2");
    let _ = jit_expr!("(a)(b)");
}
