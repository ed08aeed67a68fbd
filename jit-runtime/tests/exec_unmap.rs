//! When the kernel refuses to unmap a buffer (as `munmap` does at `vm.max_map_count` when it
//! would split a region), its memory is still given back at once, and its addresses are
//! unmapped later. A file of its own: another test's unmapping would retry in between.
//! Linux only: failures are injected into `munmap` (Unix), and the test reads
//! `/proc/self/smaps`.
#![cfg(target_os = "linux")]

use jit_runtime::exec::{fault, install, page_size, pool};

/// The `/proc/self/smaps` entry of the mapping that contains `addr`: (is it mapped, its Rss
/// in kB).
fn mapping_at(addr: usize) -> (bool, u64) {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut inside = false;
    for line in smaps.lines() {
        let range = line.split_whitespace().next().unwrap_or("");
        if let Some((a, b)) = range.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            inside = (a..b).contains(&addr);
            continue;
        }
        if inside && let Some(kb) = line.strip_prefix("Rss:") {
            return (true, kb.trim().trim_end_matches(" kB").parse().unwrap());
        }
    }
    (false, 0)
}

#[test]
fn a_refused_unmapping_gives_the_memory_back_and_the_addresses_later() {
    let pages = 17; // more than the pool's largest class: dropping it unmaps it
    let code = vec![0xc3; pages * page_size()];
    let big = install(&code, &[]).unwrap();
    let at = big.as_ptr() as usize;
    let (mapped, rss) = mapping_at(at);
    assert!(
        mapped && rss >= (pages * page_size() / 1024) as u64,
        "{rss} kB"
    );

    fault::fail_next_unmaps(1);
    drop(big);
    assert!(pool::deferred_bytes() >= pages * page_size());
    let (mapped, rss) = mapping_at(at);
    assert!(mapped, "the refused unmapping left the addresses mapped");
    assert_eq!(rss, 0, "but not the memory");

    // the next successful unmapping retries it
    drop(install(&code, &[]).unwrap());
    assert_eq!(pool::deferred_bytes(), 0);
    assert!(!mapping_at(at).0, "unmapped now");
}
