use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("2 + pi(1)");
    let _ = jit_expr!(|x| "x(2)");
    let _ = jit_expr!("x + x(2)");
}
