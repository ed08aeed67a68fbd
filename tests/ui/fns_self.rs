// `Self::f` in `fns`: the functions are kept in a `static`, where `Self` does not exist.
struct Model;

impl Model {
    extern "C" fn damp(x: f64) -> f64 {
        x * 0.5
    }

    fn compiled() -> extern "C" fn(f64) -> f64 {
        trivial_jit::jit_expr!("damp(x) + 1", fns = [Self::damp])
    }
}

fn main() {
    let _ = Model::compiled();
}
