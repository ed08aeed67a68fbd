//! The hash of the compiler's lookup tables (value numbering, the constant pool), which hold
//! small integer keys: fast and non-cryptographic, and seeded per process. The keys come from
//! the source, which may be hostile: with a fixed function, keys can be computed whose hashes
//! all fall in one bucket (a review did it for constants: 80 000 of them took 12.7 s to
//! compile instead of 36 ms, quadratic). With a random seed mixed in first, such keys cannot
//! be computed in advance; the seed is not a cryptographic guarantee (SipHash, the standard
//! library's default, would be, and cost a tenth of the compile time).

use std::sync::atomic::{AtomicU64, Ordering};

/// This process's seed (0 until [`seed_once`]).
static SEED: AtomicU64 = AtomicU64::new(0);

/// Draws this process's seed from the standard library's random hasher keys, once: called
/// before a table is first hashed, so that every table of the process hashes with the same
/// seed from its first key on (the first thread to draw one sets it; the seed never changes
/// afterwards, which a table being filled relies on). Read in [`hash128`] as a plain load,
/// rather than through a lazy cell on every hash (that cost E5 2.5% more instructions).
pub(crate) fn seed_once() {
    if SEED.load(Ordering::Relaxed) == 0 {
        use std::hash::BuildHasher;
        let fresh = std::hash::RandomState::new().hash_one(0x5eed_u64) | 1;
        let _ = SEED.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// Hashes a 128-bit key with this process's seed (see [`mix`]).
pub(crate) fn hash128(key: u128) -> u64 {
    mix(key, SEED.load(Ordering::Relaxed))
}

/// The seed mixed into the key's low word, a multiplicative mix of the two words, then the
/// splitmix64 finalizer, so that every input bit reaches the low bits, which pick the bucket
/// (the bits of doubles like 1.5, 2.5, ... differ only at the top), and the top bits, which
/// hold the table's tags.
fn mix(key: u128, seed: u64) -> u64 {
    let mut z = (key as u64 ^ seed).wrapping_mul(K);
    z = (z.rotate_left(5) ^ (key >> 64) as u64).wrapping_mul(K);
    z = (z ^ (z >> 30)).wrapping_mul(M1);
    z = (z ^ (z >> 27)).wrapping_mul(M2);
    z ^ (z >> 31)
}

const K: u64 = 0x517c_c1b7_2722_0a95;
const M1: u64 = 0xbf58_476d_1ce4_e5b9;
const M2: u64 = 0x94d0_49bb_1331_11eb;

#[cfg(test)]
mod tests {
    use super::*;

    /// The inverse of an odd number modulo 2^64 (Newton's iteration).
    fn inverse(a: u64) -> u64 {
        (0..6).fold(a, |x, _| {
            x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)))
        })
    }

    /// The inverse of `x ^ (x >> s)`.
    fn unshift(y: u64, s: u32) -> u64 {
        (1..)
            .map(|i| i * s)
            .take_while(|&k| k < 64)
            .fold(y, |x, k| x ^ (y >> k))
    }

    /// A key with high word 0 whose hash with seed 0 is `h`: every step of [`mix`] is a
    /// bijection, so without a seed anyone can compute keys for the hashes they want.
    fn unseeded_preimage(h: u64) -> u128 {
        let mut z = unshift(h, 31).wrapping_mul(inverse(M2));
        z = unshift(z, 27).wrapping_mul(inverse(M1));
        z = unshift(z, 30).wrapping_mul(inverse(K));
        u128::from(z.rotate_right(5).wrapping_mul(inverse(K)))
    }

    /// Keys made to share a bucket and a tag without the seed (a hash-flooding input: 80 000
    /// such constants made a compilation quadratic, 12.7 s) spread over the buckets with it.
    #[test]
    fn crafted_collisions_do_not_survive_the_seed() {
        seed_once();
        assert_ne!(SEED.load(Ordering::Relaxed), 0);
        let keys: Vec<u128> = (1..=1000u64)
            .map(|i| unseeded_preimage((0x55 << 57) | (i << 32) | 0x1234_5678))
            .collect();
        for &k in &keys {
            let h = mix(k, 0);
            assert_eq!(
                (h & 0xffff_ffff, h >> 57),
                (0x1234_5678, 0x55),
                "one bucket, one tag"
            );
        }
        let buckets: std::collections::HashSet<u64> =
            keys.iter().map(|&k| hash128(k) & 0xffff).collect();
        assert!(buckets.len() > 950, "{} buckets of 65 536", buckets.len());
    }

    /// Keys that differ in one bit anywhere land in different buckets of a 1024-slot table
    /// most of the time, and their top 7 bits (the tags) differ too. (With a fixed seed: with
    /// the process's random one, two of the 128 keys share a bucket in about one run of
    /// eight, and the test failed now and then.)
    #[test]
    fn every_bit_reaches_the_bucket_and_the_tag() {
        let base = 1.5f64.to_bits() as u128;
        for bit in 0..128 {
            let (a, b) = (mix(base, 0), mix(base ^ (1 << bit), 0));
            assert_ne!(a & 1023, b & 1023, "bit {bit}: same bucket");
        }
        let tags: std::collections::HashSet<u64> =
            (0..1000u128).map(|i| mix(i << 64, 0) >> 57).collect();
        assert!(tags.len() > 100, "{} distinct tags of 128", tags.len());
    }
}
