use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!("");
    let _ = jit_expr!("   ");
}
