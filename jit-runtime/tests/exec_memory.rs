//! Installing and dropping many functions keeps memory flat. A file of its own so that the
//! process's memory is not disturbed by other tests running in parallel.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{as_u64_fn, code_file_memory, const_u64, install_u64, mapping_count};

use jit_runtime::exec::{install_batch, page_size, pool};

/// (virtual size, resident size) in bytes, from /proc/self/statm.
fn statm() -> (usize, usize) {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    let mut it = s.split_whitespace().map(|n| n.parse::<usize>().unwrap());
    let size = it.next().unwrap() * page_size();
    let resident = it.next().unwrap() * page_size();
    (size, resident)
}

#[test]
fn hundred_thousand_installs_keep_memory_flat() {
    let code = const_u64();
    let mut big = vec![0x90u8; 5 * page_size()];
    *big.last_mut().unwrap() = 0xc3;

    let round = |n: u64| {
        for i in 0..n {
            let c = install_u64(i);
            assert_eq!(as_u64_fn(&c)(), i);
            if i % 100 == 0 {
                let b = install_batch(&[(&big[..], &[][..]), (&code[..], &[][..])]).unwrap();
                drop(b);
            }
        }
    };
    round(1_000); // warm up the pool and the allocator
    let (vsz0, rss0) = statm();
    let maps0 = mapping_count();
    round(100_000);
    let (vsz1, rss1) = statm();
    let maps1 = mapping_count();
    eprintln!(
        "vsz {vsz0} -> {vsz1}, rss {rss0} -> {rss1}, mappings {maps0} -> {maps1}, idle {}",
        pool::idle_bytes()
    );
    let mib = 1 << 20;
    assert!(rss1 <= rss0 + 2 * mib, "RSS grew from {rss0} to {rss1}");
    assert!(
        vsz1 <= vsz0 + 2 * mib,
        "virtual size grew from {vsz0} to {vsz1}"
    );
    assert!(maps1 <= maps0 + 8, "mappings grew from {maps0} to {maps1}");
    assert!(pool::idle_bytes() <= pool::MAX_IDLE_BYTES);
    let filed = code_file_memory();
    assert!(
        filed <= (pool::MAX_IDLE_BYTES + 2 * mib) as u64,
        "code file holds {filed}"
    );

    // Many live at once, then all dropped: the pool keeps at most MAX_IDLE_BYTES.
    let live: Vec<_> = (0..6_000u64).map(install_u64).collect();
    drop(live);
    assert!(pool::idle_bytes() <= pool::MAX_IDLE_BYTES);
    let (vsz2, rss2) = statm();
    // Each idle buffer of n pages takes n + 2 pages of address space (its guard pages, never
    // resident), so at most three times the idle bytes for one-page buffers.
    assert!(vsz2 <= vsz0 + 3 * pool::MAX_IDLE_BYTES + 2 * mib);
    assert!(rss2 <= rss0 + pool::MAX_IDLE_BYTES + 2 * mib);
    let filed = code_file_memory();
    assert!(
        filed <= (pool::MAX_IDLE_BYTES + 2 * mib) as u64,
        "code file holds {filed}"
    );
    pool::trim();
    assert_eq!(pool::idle_bytes(), 0);
    // Nothing is live and nothing idle: every range of the file was punched out.
    assert_eq!(code_file_memory(), 0, "the code file keeps memory");
    let (vsz3, _) = statm();
    assert!(vsz3 <= vsz0, "trim unmaps idle buffers: {vsz0} -> {vsz3}");
}
