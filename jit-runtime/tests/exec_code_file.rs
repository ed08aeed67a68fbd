//! The code file (Linux x86-64): installed code lives in read-execute mappings of an in-memory
//! file, written with `pwrite`, never writable; recycled buffers run their new code; failures
//! are errors; a thread may ask for protection flips instead.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{ADD, MUL, code_file_forbidden, f2};

use jit_runtime::exec::{ExecOp, INT3, fault, install, install_batch, page_size};

/// The `/proc/self/maps` line of the mapping that holds `addr`: (start, end, perms, path).
fn mapping_at(addr: usize) -> (usize, usize, String, String) {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (a, b) = fields[0].split_once('-').unwrap();
            let a = usize::from_str_radix(a, 16).unwrap();
            let b = usize::from_str_radix(b, 16).unwrap();
            (a, b, fields[1].to_string(), fields[5..].join(" "))
        })
        .find(|(a, b, _, _)| (*a..*b).contains(&addr))
        .expect("address is mapped")
}

#[test]
fn installed_code_is_a_read_execute_mapping_of_the_code_file() {
    if code_file_forbidden() {
        return;
    }
    let code = install(&ADD, &[]).unwrap();
    let at = code.as_ptr() as usize;
    let (start, end, perms, path) = mapping_at(at);
    assert_eq!((start, end), (at, at + page_size()), "a mapping of its own");
    assert_eq!(perms, "r-xs", "shared, read-execute, never writable");
    assert!(path.starts_with("/memfd:trivial-jit code"), "{path}");
    assert!(mapping_at(at - 1).2.starts_with("---"), "guard page before");
    assert!(
        mapping_at(at + page_size()).2.starts_with("---"),
        "guard page after"
    );
    assert_eq!(f2(&code)(2.0, 3.0), 5.0);
    // No mapping of the file anywhere in the process is writable.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps
        .lines()
        .filter(|l| l.contains("/memfd:trivial-jit code"))
    {
        let perms = line.split_whitespace().nth(1).unwrap();
        assert!(!perms.contains('w'), "{line}");
    }
}

#[test]
fn recycled_buffers_run_their_new_code() {
    if code_file_forbidden() {
        return;
    }
    // Long code, then short code in the same buffer: the short one must run, and everything
    // after it must be int3 again (the pwrite covers what the previous user left).
    let mut long = vec![0x90; page_size() - 100]; // nops
    long.extend_from_slice(&ADD);
    let mut reused = 0;
    for round in 0..50 {
        let first = install(&long, &[]).unwrap();
        let addr = first.as_ptr();
        assert_eq!(f2(&first)(1.0, round as f64), 1.0 + round as f64);
        drop(first);
        // The page stays read-execute: dropping flips nothing.
        if let Some((_, _, perms, _)) = std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let (a, b) = f[0].split_once('-').unwrap();
                let a = usize::from_str_radix(a, 16).unwrap();
                let b = usize::from_str_radix(b, 16).unwrap();
                (a, b, f[1].to_string(), ())
            })
            .find(|(a, b, _, _)| (*a..*b).contains(&(addr as usize)))
        {
            assert!(!perms.contains('w'), "{perms}");
        }
        let second = install(&MUL, &[]).unwrap();
        reused += usize::from(second.as_ptr() == addr);
        assert_eq!(f2(&second)(3.0, round as f64), 3.0 * round as f64);
        // SAFETY: `second` is alive, and its buffer is one page of readable memory.
        let page = unsafe { std::slice::from_raw_parts(second.as_ptr(), page_size()) };
        assert_eq!(&page[..MUL.len()], &MUL);
        assert!(
            page[MUL.len()..].iter().all(|&b| b == INT3),
            "round {round}"
        );
    }
    // Other tests' threads take buffers from the same pool, but not every time.
    assert!(reused > 0, "no round reused the dropped buffer");
}

#[test]
fn batches_are_written_in_one_piece() {
    if code_file_forbidden() {
        return;
    }
    let fns = install_batch(&[(&ADD[..], &[][..]), (&MUL[..], &[][..])]).unwrap();
    assert_eq!(mapping_at(fns[0].as_ptr() as usize).2, "r-xs");
    assert_eq!((f2(&fns[0])(2.0, 5.0), f2(&fns[1])(2.0, 5.0)), (7.0, 10.0));
    // SAFETY: the batch is alive; 32 bytes of its buffer are readable.
    let bytes = unsafe { std::slice::from_raw_parts(fns[0].as_ptr(), 32) };
    assert!(
        bytes[ADD.len()..16].iter().all(|&b| b == INT3),
        "{bytes:x?}"
    );
    assert_eq!(&bytes[16..16 + MUL.len()], &MUL);
}

#[test]
fn write_failures_are_errors_and_the_pool_stays_usable() {
    if code_file_forbidden() {
        return;
    }
    fault::fail_next_code_writes(1);
    let err = install(&ADD, &[]).unwrap_err();
    assert_eq!(err.op(), Some(ExecOp::WriteCode));
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::OutOfMemory));
    assert!(err.to_string().contains("pwrite"), "{err}");
    let add = install(&ADD, &[]).unwrap();
    assert_eq!(f2(&add)(1.0, 1.0), 2.0);
    fault::fail_next_code_writes(1);
    assert!(install_batch(&[(&ADD[..], &[][..]), (&MUL[..], &[][..])]).is_err());
    fault::fail_next_code_writes(0);
}

#[test]
fn a_thread_may_ask_for_protection_flips() {
    if code_file_forbidden() {
        return;
    }
    fault::force_protection_flips(true);
    let flipped = install(&MUL, &[]).unwrap();
    let (_, _, perms, path) = mapping_at(flipped.as_ptr() as usize);
    assert_eq!(
        perms, "r-xp",
        "private anonymous memory made RX by mprotect"
    );
    assert!(path.is_empty(), "{path}");
    assert_eq!(f2(&flipped)(2.0, 4.0), 8.0);
    fault::force_protection_flips(false);
    let filed = install(&MUL, &[]).unwrap();
    assert_eq!(mapping_at(filed.as_ptr() as usize).2, "r-xs");
}
