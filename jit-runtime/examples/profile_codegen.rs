//! A loop for profilers: `perf record cargo run --release -p jit-runtime --example profile_codegen`.
//! Arguments: the expression (default: the quadratic formula); environment: `N` compilations
//! (default 300 000), `AVX=1` for AVX's three-operand forms, as `Jit::compile` chooses on a
//! CPU with AVX (default: SSE2).
use jit_runtime::compiler::codegen::CodegenOptions;

fn main() {
    let src = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "(-b+(b^2-4*a*c)^0.5)/(2*a)".into());
    let opts = CodegenOptions {
        avx: std::env::var("AVX").is_ok_and(|v| v == "1"),
        ..CodegenOptions::default()
    };
    for _ in 0..std::env::var("N").map_or(300_000, |n| n.parse().unwrap()) {
        let e = jit_runtime::compiler::parse(&src).unwrap();
        std::hint::black_box(jit_runtime::compiler::codegen::compile_with(&e, &opts).unwrap());
    }
}
