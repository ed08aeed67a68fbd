use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("x(2) + pi(1)");
}
