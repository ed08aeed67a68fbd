//! Where new code mappings are asked for: just below this program's own machine code.
//!
//! # Why
//!
//! On the AMD EPYC machines this library is measured on, an indirect call (the only way to
//! call code made at run time) costs about 2.2–2.4 ns per call when its target is tens of
//! TiB away from the calling instruction, and about 1.35–1.6 ns when the target is within a
//! few GiB of it, like the program's own functions; measured from call sites that each call
//! one target, pages 512 MiB to 8 GiB below the program's text were all as fast as a Rust
//! function (16 GiB in some runs, not in others), pages in the kernel's default mapping area
//! (near the top of the address space) all slow (`bench/examples/call_sites.rs`). Default placement made a short JIT function
//! 1.5x slower than the same function compiled by rustc. Callers of JIT code are in the
//! program's text (Rust links statically), so new mappings are asked for there.
//!
//! # How
//!
//! A hint, never a demand: the next address is handed out downwards from 256 MiB below this
//! module's code, one mapping after the other, over a window of 2 GiB; then it starts again at
//! the top, where earlier mappings may since have been unmapped. The kernel maps at the hint
//! only if that range is free and otherwise chooses an address itself (as with no hint), so a
//! taken or unusable hint costs nothing but the speed above. Programs whose code sits in the
//! lowest 4 GiB (non-PIE executables, near the heap) get no hints, and neither do 32-bit
//! targets, whose whole address space is 4 GiB.
//!
//! The price: the code's address is no longer independent of the program's own (address
//! space randomization moves both together). The pages are never writable, so knowing where
//! they are tells an attacker no more than knowing where the program's code is.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How far below the anchor (this module's code) the window starts: room for the program's
/// text and read-only data below the anchor.
const GAP: usize = 256 << 20;
/// The window's size: well inside the distance at which calls were measured fast.
const WINDOW: usize = 2 << 30;
/// Below this anchor no hints are given (non-PIE programs; the heap grows up from there). A
/// `u64`: on a 32-bit target every address is below it.
const LOWEST_ANCHOR: u64 = 4 << 30;

/// The next hint's end address (0 before the first).
static NEXT_END: AtomicUsize = AtomicUsize::new(0);

/// The top of the window: `GAP` below this function's address, 2 MiB aligned; `None` if the
/// program's code is too low for hints.
fn window_top() -> Option<usize> {
    let anchor = window_top as fn() -> Option<usize> as usize;
    (anchor as u64 >= LOWEST_ANCHOR).then(|| (anchor - GAP) & !((2 << 20) - 1))
}

/// The address to ask the kernel for, for a mapping of `len` bytes (a whole number of pages),
/// or 0 for "anywhere".
pub(super) fn hint(len: usize) -> usize {
    let Some(top) = window_top() else {
        return 0;
    };
    if len > WINDOW / 4 {
        return 0;
    }
    let floor = top - WINDOW;
    let mut end = NEXT_END.load(Ordering::Relaxed);
    loop {
        let this_end = if end == 0 || end - floor < len {
            top
        } else {
            end
        };
        let start = this_end - len;
        match NEXT_END.compare_exchange_weak(end, start, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return start,
            Err(now) => end = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_go_down_inside_the_window_and_wrap() {
        let Some(top) = window_top() else {
            assert_eq!(hint(4096), 0);
            return;
        };
        let a = hint(3 * 4096);
        let b = hint(5 * 4096);
        assert!(
            a < top && a >= top - WINDOW && a % 4096 == 0,
            "{a:#x} {top:#x}"
        );
        assert!(
            b >= top - WINDOW && b + 5 * 4096 <= top && b % 4096 == 0,
            "{b:#x}"
        );
        assert_eq!(hint(WINDOW), 0, "too large for the window: no hint");
        let anchor = window_top as fn() -> Option<usize> as usize;
        assert!(anchor - a <= GAP + WINDOW + (2 << 20));
        // Exhaust the window: hints wrap to the top instead of leaving it.
        for _ in 0..5 {
            let h = hint(WINDOW / 4);
            assert!(h >= top - WINDOW && h + WINDOW / 4 <= top, "{h:#x}");
        }
    }
}
