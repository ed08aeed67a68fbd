//! Diagnose call overhead: raw fn pointers, no closures.
use std::hint::black_box;
use std::time::Instant;

extern "C" fn e1(x: f64) -> f64 {
    2.0 * x.sqrt()
}

#[inline(never)]
fn run(f: extern "C" fn(f64) -> f64, xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in xs {
        s += f(x);
    }
    s
}

fn main() {
    let xs: Vec<f64> = (0..1024).map(|i| 0.5 + i as f64 / 100.0).collect();
    let j1 = jit_runtime::Jit::compile("2*x^0.5").unwrap();
    let t1 = j1.typed1().unwrap();
    // SAFETY: j1 lives until the end of main.
    let jf = unsafe { t1.as_fn() }.unwrap();
    let code =
        jit_runtime::exec::install(&[0xf2, 0x0f, 0x51, 0xc0, 0xf2, 0x0f, 0x58, 0xc0, 0xc3], &[])
            .unwrap();
    // SAFETY: the bytes are `sqrtsd xmm0,xmm0; addsd xmm0,xmm0; ret`; `code` outlives the calls.
    let raw: extern "C" fn(f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
    for (name, f) in [
        ("native", black_box(e1 as extern "C" fn(f64) -> f64)),
        ("jit", jf),
        ("raw install", raw),
    ] {
        let mut best = f64::MAX;
        for _ in 0..200 {
            let t = Instant::now();
            black_box(run(f, &xs));
            best = best.min(t.elapsed().as_nanos() as f64 / xs.len() as f64);
        }
        println!("{name:12} {best:.2} ns/call  fn at {:p}", f as *const u8);
    }
}
