//! Experiment: what one protection change costs the code that runs after it.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example tlb_flush`.
//!
//! Touches one byte in each of 64 pages (32 KiB apart, all resident) right after each of
//! these, and prints the median time of the 64 touches:
//! * nothing;
//! * a system call that changes no mapping (`getppid`);
//! * `mprotect` RW → RX → RW of a page that was never touched (no page-table entry to change);
//! * `mprotect` RW → RX → RW of a page that is present, as trivial-jit's install and drop do.
//!
//! Findings on the 2-core Xeon VM (2026-11-27), ns for the 64 touches: nothing 91,
//! `getppid` 92, untouched page 94, present page 477 (one change alone, RW → RX, costs as
//! much). A protection change of a present page flushes the whole TLB here, not just the
//! entry of its page: every page the program touches next costs a page walk, about 6 ns each.
//! Code generation right after one takes about twice its warm time (the benchmark's "TLB
//! cold" row), which is most of what `Jit::compile` costs beyond code generation plus one
//! `mprotect`.

use std::hint::black_box;
use std::time::Instant;

const PAGE: usize = 4096;
const TOUCHED: usize = 64;
const STRIDE: usize = 8 * PAGE;
const SAMPLES: usize = 5000;

/// An anonymous read-write mapping of `len` bytes (leaked: the program is short).
fn map(len: usize) -> *mut u8 {
    // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED, "mmap failed");
    p.cast()
}

/// RW → RX → RW of the page at `page`, which is one of ours and never executed.
fn cycle(page: *mut u8) {
    // SAFETY: `page` is a page of a mapping of ours; only its protection changes, and nothing
    // accesses it while it is read-execute.
    unsafe {
        let p = page.cast();
        assert_eq!(
            libc::mprotect(p, PAGE, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        assert_eq!(
            libc::mprotect(p, PAGE, libc::PROT_READ | libc::PROT_WRITE),
            0
        );
    }
}

/// Median ns of touching the `TOUCHED` pages of `data` after `before` ran.
fn median_touch(data: *mut u8, mut before: impl FnMut()) -> u128 {
    let mut ns: Vec<u128> = (0..SAMPLES)
        .map(|round| {
            before();
            let line = (round % 64) * 64; // another cache line each time
            let t = Instant::now();
            let mut sum = 0u8;
            for i in 0..TOUCHED {
                // SAFETY: inside the mapping of TOUCHED * STRIDE bytes, which is read-write.
                sum = sum.wrapping_add(unsafe { data.add(i * STRIDE + line).read_volatile() });
            }
            black_box(sum);
            t.elapsed().as_nanos()
        })
        .collect();
    ns.sort_unstable();
    ns[SAMPLES / 2]
}

fn main() {
    let data = map(TOUCHED * STRIDE);
    for i in 0..TOUCHED * STRIDE / PAGE {
        // SAFETY: inside the mapping; makes every page resident.
        unsafe { data.add(i * PAGE).write(1) };
    }
    let [present, untouched] = [map(PAGE), map(PAGE)];
    // SAFETY: inside its own mapping: the page becomes resident; `untouched` never is.
    unsafe { present.write(1) };
    println!("ns to touch {TOUCHED} resident pages (median of {SAMPLES}), right after:");
    for round in 0..2 {
        let rows: [(&str, u128); 4] = [
            ("nothing", median_touch(data, || {})),
            (
                "getppid",
                // SAFETY: a system call without arguments or effects on memory.
                median_touch(data, || {
                    black_box(unsafe { libc::getppid() });
                }),
            ),
            (
                "mprotect of an untouched page",
                median_touch(data, || cycle(untouched)),
            ),
            (
                "mprotect of a present page",
                median_touch(data, || cycle(present)),
            ),
        ];
        for (what, ns) in rows {
            println!("  round {round}: {what:<32} {ns:>5}");
        }
    }
}
