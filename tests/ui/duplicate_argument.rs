use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!(|x, y, x| "x + y");
}
