//! The hash of the compiler's lookup tables (value numbering, the constant pool), which hold
//! small integer keys: fast and non-cryptographic. The keys come from the source, but an
//! adversary who made them collide would only slow a compilation down, and SipHash, the
//! standard library's default, cost a tenth of the compile time.

/// Hashes a 128-bit key: a multiplicative mix of its two words, then the splitmix64
/// finalizer, so that every input bit reaches the low bits, which pick the bucket (the bits of
/// doubles like 1.5, 2.5, ... differ only at the top), and the top bits, which hold the
/// table's tags.
pub(crate) fn hash128(key: u128) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut z = (key as u64).wrapping_mul(K);
    z = (z.rotate_left(5) ^ (key >> 64) as u64).wrapping_mul(K);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that differ in one bit anywhere land in different buckets of a 1024-slot table
    /// most of the time, and their top 7 bits (the tags) differ too.
    #[test]
    fn every_bit_reaches_the_bucket_and_the_tag() {
        let base = 1.5f64.to_bits() as u128;
        for bit in 0..128 {
            let (a, b) = (hash128(base), hash128(base ^ (1 << bit)));
            assert_ne!(a & 1023, b & 1023, "bit {bit}: same bucket");
        }
        let tags: std::collections::HashSet<u64> =
            (0..1000u128).map(|i| hash128(i << 64) >> 57).collect();
        assert!(tags.len() > 100, "{} distinct tags of 128", tags.len());
    }
}
