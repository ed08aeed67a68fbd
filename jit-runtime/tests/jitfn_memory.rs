//! Compiling and dropping many functions keeps memory flat. Alone in its test binary, so
//! that no other test's threads change the process's memory while it measures.

use jit_runtime::Jit;

fn statm_pages() -> (usize, usize) {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    let mut it = s.split_whitespace().map(|v| v.parse::<usize>().unwrap());
    (it.next().unwrap(), it.next().unwrap())
}

#[test]
fn compiling_and_dropping_keeps_memory_flat() {
    for _ in 0..2000 {
        drop(Jit::compile("(-b+(b^2-4*a*c)^0.5)/(2*a)").unwrap());
    }
    let (vsz0, rss0) = statm_pages();
    for i in 0..50_000 {
        let f = Jit::compile("(-b+(b^2-4*a*c)^0.5)/(2*a) + sin(a)").unwrap();
        std::hint::black_box(f.call(&[1.0, i as f64, 2.0]));
    }
    let (vsz1, rss1) = statm_pages();
    // pages of 4 KiB: allow a little allocator noise, nothing proportional to 50 000
    assert!(
        vsz1 <= vsz0 + 256,
        "virtual size grew from {vsz0} to {vsz1} pages"
    );
    assert!(
        rss1 <= rss0 + 256,
        "resident size grew from {rss0} to {rss1} pages"
    );
}
