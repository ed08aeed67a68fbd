use trivial_jit::jit_expr;

extern "C" fn one(x: f64) -> f64 {
    x
}

fn rust_abi(x: f64) -> f64 {
    x
}

extern "C" fn single(x: f32) -> f32 {
    x
}

fn main() {
    // Called with two arguments, but takes one.
    let _ = jit_expr!("one(x, y)", fns = [one]);
    // Not `extern "C"`.
    let _ = jit_expr!("rust_abi(x)", fns = [rust_abi]);
    // Not `f64`.
    let _ = jit_expr!("single(x)", fns = [single]);
}
