//! Compile time with many distinct constants (a profiling aid).
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(40_000);
    let src = (0..n)
        .map(|i| format!("x*{i}.5"))
        .collect::<Vec<_>>()
        .join("+");
    let t = std::time::Instant::now();
    let e = jit_runtime::compiler::parse(&src).unwrap();
    let p = t.elapsed();
    let c = jit_runtime::compiler::codegen::compile_with(&e, &Default::default()).unwrap();
    println!(
        "{n} terms: parse {p:?}, total {:?}, {} bytes",
        t.elapsed(),
        c.code.len()
    );
}
