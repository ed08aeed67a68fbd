//! First use of a `jit_expr!` site from 16 threads at once: the code is installed exactly
//! once and every thread gets the same fn pointer. (Its own test binary, with one test, so
//! that no other test installs the sites first.)
#![forbid(unsafe_code)]
#![cfg(target_arch = "x86_64")]

use std::sync::{Arc, Barrier};
use trivial_jit::__private::install_count;
use trivial_jit::jit_expr;

fn site() -> extern "C" fn(f64) -> f64 {
    jit_expr!("x*3 + sin(x)")
}

#[test]
fn sixteen_threads_race_on_first_use() {
    assert_eq!(install_count(), 0);
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let f = site();
                (f as usize, f(1.0))
            })
        })
        .collect();
    let results: Vec<(usize, f64)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(results.iter().all(|r| *r == results[0]), "{results:?}");
    assert_eq!(results[0].1, 3.0 + 1f64.sin());
    assert_eq!(site() as usize, results[0].0);
    assert_eq!(install_count(), 1);

    // Every other site of the program was installed in the same batch: no new install, and
    // its code sits in the same buffer, a few bytes away rather than a page per site. Where
    // the linker keeps no list of the sites (MinGW's `ld`), each site installs on its own.
    let batched = !trivial_jit::__private::SITES.is_empty();
    let other = jit_expr!("x - 1");
    assert_eq!(other(1.0), 0.0);
    assert_eq!(install_count(), if batched { 1 } else { 2 });
    let distance = (other as usize).abs_diff(results[0].0);
    assert!(!batched || distance < 4096, "{distance}");
}
