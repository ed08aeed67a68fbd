use trivial_jit::jit_expr;

mod not_the_crate {}

fn main() {
    let _ = jit_expr!("x + 1", crate = not_the_crate);
    let _ = jit_expr!("x + 1", crate = "trivial_jit");
    let _ = jit_expr!("x + 1", crate = ::trivial_jit, crate = ::trivial_jit);
    let _ = jit_expr!("x + 1", fns = [], fns = []);
    let _ = jit_expr!("x + 1", krate = ::trivial_jit);
}
