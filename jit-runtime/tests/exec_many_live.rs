//! Many functions alive at once: more than the kernel's default limit of mappings would allow
//! if every code buffer were a mapping of its own. A file of its own (its own process), so
//! that the other tests' buffers do not count.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use jit_runtime::exec::ExecCode;
use support::{as_u64_fn, install_u64, mapping_count};

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
    drop(live);
}
