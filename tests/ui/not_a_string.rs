use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!(42);
    let _ = jit_expr!(b"x + 1");
    let _ = jit_expr!(x + 1);
    let _ = jit_expr!();
    let _ = jit_expr!("x" "y");
    let _ = jit_expr!("x"suffix);
    let _ = jit_expr!(concat!("x", "+1"));
}
