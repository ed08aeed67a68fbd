// Items named like primitive types at the call site do not change the expansion, which
// writes `::core::primitive::f64` (and `u8`, `u32`) in full: the machine-code expansion and
// the plain-Rust one of other targets (`@rust`, a test hook), with a user function.
#![allow(non_camel_case_types, dead_code)]

mod shadowing {
    struct u8;
    struct u32;
    mod f64 {
        pub fn from_bits(_: u64) -> bool {
            false
        }
        pub const NAN: bool = false;
    }

    extern "C" fn twice(x: ::core::primitive::f64) -> ::core::primitive::f64 {
        x * 2.0
    }

    type F = extern "C" fn(::core::primitive::f64) -> ::core::primitive::f64;

    pub fn run() {
        let f: F = trivial_jit::jit_expr!("x + 1.5");
        let g: F = trivial_jit::jit_expr!(@rust "x + 1.5 + twice(x)", fns = [twice]);
        let h = trivial_jit::jit_expr!(@rust "a+b+c+d+e+f+g+h+i");
        let k = trivial_jit::jit_expr!(|| "twice(2)", fns = [twice]);
        assert_eq!(f(1.0), 2.5);
        assert_eq!(g(1.0), 4.5);
        assert_eq!(h(&[1.0; 9]), 9.0);
        assert_eq!(k(), 4.0);
    }
}

fn main() {
    shadowing::run();
}
