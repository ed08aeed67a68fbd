use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!(|x| "x + y");
    let _ = jit_expr!(|| "2*t");
}
