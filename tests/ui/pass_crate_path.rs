#![forbid(unsafe_code)]
#![deny(warnings)]

//! `crate = path`: the expansion finds trivial-jit through the path given, as it must when
//! the dependency is renamed or reached through a crate that re-exports it.

/// What a library that wraps trivial-jit does: re-export it, and forward to `jit_expr!`
/// with `crate = $crate::...`, so that its users need no dependency on trivial-jit.
pub mod wrapper {
    pub use trivial_jit as engine;

    #[macro_export]
    macro_rules! my_expr {
        ($src:literal) => {
            $crate::wrapper::engine::jit_expr!($src, crate = $crate::wrapper::engine)
        };
    }
}

extern "C" fn half(x: f64) -> f64 {
    x / 2.0
}

fn main() {
    use trivial_jit as tj;
    let f = tj::jit_expr!("2*x^0.5", crate = tj);
    assert_eq!(f(4.0), 4.0);
    // with `fns`, in either order, and a trailing comma
    let g = tj::jit_expr!("half(x) + y", crate = tj, fns = [half],);
    let h = tj::jit_expr!(|y, x| "half(x) + y", fns = [half], crate = ::trivial_jit);
    assert_eq!((g(3.0, 1.0), h(1.0, 3.0)), (2.5, 2.5));
    // through the wrapper's macro (`$crate` resolves to this crate)
    let k = my_expr!("x*y + 1");
    assert_eq!(k(2.0, 3.0), 7.0);
    // the plain-Rust expansion of other targets, on this one
    let r = tj::jit_expr!(@rust "x^3", crate = crate::wrapper::engine);
    assert_eq!(r(2.0), 8.0);
}
