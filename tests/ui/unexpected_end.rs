use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("2*x +");
    let _ = jit_expr!("(x + 1");
}
