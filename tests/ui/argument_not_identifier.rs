use trivial_jit::jit_expr;

fn main() {
    let _ = jit_expr!(|x, 2| "x");
    let _ = jit_expr!(|x, "y"| "x");
    let _ = jit_expr!(|x y| "x");
    let _ = jit_expr!(|x, sin| "x");
    let _ = jit_expr!(|x "x");
}
