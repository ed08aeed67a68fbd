use jit_runtime::Jit;
use jit_runtime::compiler::codegen::Abi;

#[test]
fn smoke() {
    for (src, args) in [
        ("2*x^0.5", vec![3.0]),
        ("(-b+(b^2-4*a*c)^0.5)/(2*a)", vec![1.0, -3.0, 2.0]),
        ("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)", vec![]),
        ("x^7 - 3*x^5 + 2*x^3 - x + 1", vec![1.1]),
        (
            "sin(x) + cos(y)*x - min(x, y) + max(y, x) + (x < y) + if(x, y, 2)",
            vec![0.5, 2.0],
        ),
        ("x^-3 + x^0 + abs(-x) + x%0.3", vec![1.7]),
        ("a+b+c+d+e+f+g+h+i+j", (0..10).map(f64::from).collect()),
    ] {
        let want = jit_runtime::compiler::parse(src)
            .unwrap()
            .eval(&args)
            .unwrap();
        for abi in [Abi::SysV, Abi::Win64] {
            let f = Jit::builder().abi(abi).compile(src).unwrap();
            assert_eq!(f.is_native(), cfg!(target_arch = "x86_64"));
            let got = f.call(&args);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{src} {abi:?}: {got} vs {want}\n{}",
                f.listing()
            );
        }
    }
}
