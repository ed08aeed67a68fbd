use trivial_jit::jit_expr;

mod a {
    pub extern "C" fn f(x: f64) -> f64 {
        x
    }
}

extern "C" fn f(x: f64) -> f64 {
    x
}

fn main() {
    let _ = jit_expr!("f(x)", fns = [f, a::f]);
    let _ = jit_expr!(|f| "f(f)", fns = [f]);
    let _ = jit_expr!(@win64 "f(x)", fns = [f]);
}
