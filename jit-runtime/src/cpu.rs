//! What the CPU the program runs on can do.
//!
//! Two questions, each asked of the CPU once and then cached: does it run AVX code (for
//! the scalar code of every function), and AVX2 code (for the array kernels)? Each asks
//! `cpuid` only for the leaf it needs. The standard library's `is_x86_feature_detected!`
//! reads every leaf it knows at its first question, and in a virtual machine each `cpuid`
//! traps to the hypervisor: measured here, 67–94 µs against 10–15 µs for one leaf and
//! `xgetbv`, which was most of the time of a process's first `Jit::compile`. (The
//! `cpufeatures` crate asks for fewer leaves, but its `avx` checks only that the OS saves the
//! SSE registers, not the AVX ones.)

#[cfg(target_arch = "x86_64")]
use std::sync::OnceLock;

/// Whether this CPU runs AVX code and the OS saves the AVX registers: checked once, then
/// cached.
pub(crate) fn has_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX: OnceLock<bool> = OnceLock::new();
        *AVX.get_or_init(detect::avx)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU runs AVX2 code (and AVX code, see [`has_avx`]): checked once, then
/// cached.
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: OnceLock<bool> = OnceLock::new();
        has_avx() && *AVX2.get_or_init(detect::avx2)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The questions to the CPU, as the Intel SDM (volume 1, on programming with AVX) says to ask
/// them.
#[cfg(target_arch = "x86_64")]
mod detect {
    use std::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};

    /// `cpuid` leaf 1, ECX: the OS enabled `xgetbv` (OSXSAVE), and the CPU has AVX.
    const OSXSAVE: u32 = 1 << 27;
    const AVX: u32 = 1 << 28;
    /// XCR0: the OS saves the SSE (bit 1) and the upper AVX (bit 2) register state.
    const XMM_YMM_STATE: u64 = 0b110;
    /// `cpuid` leaf 7, sub-leaf 0, EBX: AVX2.
    const AVX2: u32 = 1 << 5;

    /// AVX, and the OS saves its registers.
    pub(super) fn avx() -> bool {
        // (`cpuid` needs no target feature: newer compilers call it a safe function, hence
        // the allowance)
        #[allow(unused_unsafe)]
        // SAFETY: every x86-64 CPU has `cpuid`, and leaf 1 exists on all of them.
        let ecx = unsafe { __cpuid(1) }.ecx;
        if ecx & (OSXSAVE | AVX) != OSXSAVE | AVX {
            return false;
        }
        // SAFETY: OSXSAVE says that the OS enabled `xgetbv`, and register 0 always exists.
        let xcr0 = unsafe { _xgetbv(0) };
        xcr0 & XMM_YMM_STATE == XMM_YMM_STATE
    }

    /// AVX2, given AVX (asked first, by `has_avx2`).
    pub(super) fn avx2() -> bool {
        #[allow(unused_unsafe)]
        // SAFETY: as in `avx`: leaf 0 exists on every x86-64 CPU.
        let max = unsafe { __cpuid(0) }.eax;
        // (leaf 0 gives the highest leaf: above it, a CPU may answer with another leaf's bits)
        if max < 7 {
            return false;
        }
        #[allow(unused_unsafe)]
        // SAFETY: `cpuid` exists (as above), and leaf 7 does on this CPU.
        let ebx = unsafe { __cpuid_count(7, 0) }.ebx;
        ebx & AVX2 != 0
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    #[test]
    fn the_answers_are_the_standard_librarys() {
        assert_eq!(super::has_avx(), std::is_x86_feature_detected!("avx"));
        assert_eq!(super::has_avx2(), std::is_x86_feature_detected!("avx2"));
        // and again, from the cache
        assert_eq!(super::has_avx(), std::is_x86_feature_detected!("avx"));
        assert_eq!(super::has_avx2(), std::is_x86_feature_detected!("avx2"));
    }
}
