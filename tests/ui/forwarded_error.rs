use trivial_jit::jit_expr;

macro_rules! my_expr {
    ($e:literal) => {
        jit_expr!($e)
    };
}

fn main() {
    let _ = my_expr!("2*x +");
}
