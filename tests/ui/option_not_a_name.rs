// After the expression string and a comma, an option: `fns = [...]` or `crate = path`.
extern "C" fn f(x: f64) -> f64 {
    x
}

fn main() {
    let _ = trivial_jit::jit_expr!("f(x)", [f]);
    let _ = trivial_jit::jit_expr!("f(x)", "fns" = [f]);
}
