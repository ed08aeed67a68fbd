//! What the call experiments share (included with `#[path]`): timing calls through a function
//! pointer from a call instruction of a chosen site, and making code pages.
#![allow(dead_code)] // each experiment uses some of it

use std::hint::black_box;
use std::time::Instant;

/// A function of no arguments returning a double, the shape of every target here.
pub type F = extern "C" fn() -> f64;

/// Best of 30 runs of 100 000 calls of `f`, ns per call, from this `SITE`'s own call
/// instruction (`SITE` is black-boxed so that the instantiations are not merged into one).
#[inline(never)]
pub fn time<const SITE: usize>(f: F) -> f64 {
    black_box(SITE);
    let mut best = f64::INFINITY;
    for _ in 0..30 {
        let f = black_box(f);
        let t = Instant::now();
        let mut s = 0u64;
        for _ in 0..100_000 {
            s = s.wrapping_add(f().to_bits());
        }
        black_box(s);
        best = best.min(t.elapsed().as_nanos() as f64 / 100_000.0);
    }
    best
}

/// A fresh `len`-byte mapping at `hint` (0: anywhere; otherwise exactly there, or `None` if
/// that address is taken), filled by `fill` while read-write, then made read-execute. The
/// mapping is leaked (the experiment is short).
pub fn code_page(hint: usize, len: usize, fill: impl FnOnce(&mut [u8])) -> Option<*mut u8> {
    let fixed = if hint != 0 {
        libc::MAP_FIXED_NOREPLACE
    } else {
        0
    };
    // SAFETY: a new private anonymous mapping; nothing else refers to it.
    let p = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | fixed,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: `len` bytes, mapped read-write above, only reachable through this slice now.
    fill(unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) });
    // SAFETY: the mapping made above, no longer written.
    assert_eq!(
        unsafe { libc::mprotect(p, len, libc::PROT_READ | libc::PROT_EXEC) },
        0
    );
    Some(p as *mut u8)
}

/// The function at `p`.
///
/// # Safety
/// `p` is executable and holds a complete `extern "C" fn() -> f64` that stays mapped.
pub unsafe fn as_fn(p: *const u8) -> F {
    // SAFETY: the caller's promise.
    unsafe { std::mem::transmute::<*const u8, F>(p) }
}
