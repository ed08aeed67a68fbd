//! What the CPU the program runs on can do.

/// Whether this CPU runs AVX code (and the OS saves the AVX registers): checked once, then
/// cached by the standard library.
pub(crate) fn has_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
