use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("*x");
    let _ = jit_expr!("(x + )");
}
