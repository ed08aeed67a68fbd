// `@win64` and `@rust` are the only hooks (for trivial-jit's own tests).
fn main() {
    let _ = trivial_jit::jit_expr!(@arm "x + 1");
}
