//! Many functions alive at once: more than the kernel's default limit of mappings would allow
//! if every code buffer were a mapping of its own. A file of its own (its own process), so
//! that the other tests' buffers do not count.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use jit_runtime::exec::{ExecCode, pool};
use support::{as_u64_fn, code_files, install_u64, mapping_count};

#[test]
fn forty_thousand_live_functions() {
    let before = mapping_count();
    let live: Vec<ExecCode> = (0..40_000u64).map(install_u64).collect();
    let during = mapping_count();
    for (i, c) in live.iter().enumerate().step_by(997) {
        assert_eq!(as_u64_fn(c)(), i as u64);
    }
    // The first buffers have guard pages (two kernel mappings each), later ones merge with
    // their neighbours: far below the 65 530 mappings a process may have by default.
    assert!(
        during - before < 12_000,
        "{before} -> {during} mappings for 40 000 live functions"
    );
    past_the_guard_budget_buffers_are_recycled(live);
}

/// With the guard budget spent (4 096 guarded buffers live), new buffers are flip buffers;
/// dropped ones must be recycled like any other, not unmapped and mapped again each time.
/// Dropping everything and installing as many again reuses the code file's ranges: the file
/// does not grow. (Part of the one test above: it needs its live functions, and no other
/// test's buffers in the process.)
fn past_the_guard_budget_buffers_are_recycled(live: Vec<ExecCode>) {
    let size = || code_files().first().map(|m| m.len()); // of the code file, if any
    let file_len = size();
    let mut addresses = std::collections::HashSet::new();
    for i in 0..2000u64 {
        let c = install_u64(i);
        assert_eq!(as_u64_fn(&c)(), i);
        addresses.insert(c.as_ptr() as usize);
    }
    assert!(
        addresses.len() <= 2,
        "{} addresses for 2 000 installs",
        addresses.len()
    );
    assert_eq!(size(), file_len, "the file grew");
    drop(live);
    pool::trim(); // every range of the file punched out: the installs below must reuse them
    let again: Vec<ExecCode> = (0..40_000u64).map(install_u64).collect();
    assert_eq!(as_u64_fn(&again[39_999])(), 39_999);
    assert_eq!(size(), file_len, "the file grew");
}
