use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("x + 1e");
    let _ = jit_expr!("1.2.3");
}
