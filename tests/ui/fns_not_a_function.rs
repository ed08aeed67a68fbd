use trivial_jit::jit_expr;

const HALF: f64 = 0.5;
struct Unit;

fn main() {
    let _ = jit_expr!("HALF(x)", fns = [HALF]);
    let _ = jit_expr!("Unit()", fns = [Unit]);
    let _ = jit_expr!("missing(x)", fns = [missing]);
}
