//! Small compiled functions share pages of the code file (the runtime's `exec::slots`): a
//! program that keeps thousands of functions holds 64-byte slots, not a page and a mapping
//! each, and the slots of dropped functions are used again. Its own test binary: the counts of
//! pages, mappings and file blocks are not disturbed by other tests' code.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{code_file_forbidden, code_file_memory, code_files, mapping_count, maps};

use jit_runtime::exec::{fault, page_size, pool};
use jit_runtime::{Jit, JitFn};
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;

/// Held by each test: the counts of the first are not to see the second's functions.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Functions kept alive at once.
const N: usize = 3000;

/// The address of `f`'s code (its one-argument entry).
fn entry(f: &JitFn) -> usize {
    // SAFETY: only the address is used, never called after `f` drops.
    let raw = unsafe { f.typed1().unwrap().as_fn() };
    raw.expect("compiled to machine code") as usize
}

/// `x + i` for each `i` in `range`, checked.
fn compile_range(range: std::ops::Range<usize>) -> Vec<JitFn> {
    range
        .map(|i| {
            let f = Jit::compile(&format!("x + {i}")).unwrap();
            assert_eq!(f.call(&[0.5]), 0.5 + i as f64);
            f
        })
        .collect()
}

/// Bytes of the code files, holes included.
fn file_size() -> u64 {
    code_files().iter().map(|m| m.size()).sum()
}

#[test]
fn small_functions_share_pages_and_give_their_slots_back() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if code_file_forbidden() {
        return;
    }
    assert!(fault::code_file_in_use());
    let maps_before = mapping_count();
    let fns = compile_range(0..N);
    // a page each would be N pages, N mappings and N * 4 KiB of the file
    let pages: HashSet<usize> = fns.iter().map(|f| entry(f) / page_size()).collect();
    assert!(
        pages.len() <= N / 16,
        "{} pages for {N} functions",
        pages.len()
    );
    let memory = code_file_memory();
    assert!(memory <= (N * 256) as u64, "{memory} bytes of code file");
    let new_maps = mapping_count() - maps_before;
    // (a bound with room for mappings of the allocator, or of a sanitizer's)
    assert!(new_maps <= N / 64, "{new_maps} new mappings");
    // every function still computes its own value (no slot was written twice)
    for (i, f) in fns.iter().enumerate() {
        assert_eq!(f.call(&[2.0]), 2.0 + i as f64);
    }

    // Every other one dropped, and as many compiled: they take the freed slots of full
    // chunks, so the file does not grow.
    let size = file_size();
    let (kept, dropped): (Vec<_>, Vec<_>) =
        fns.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    drop(dropped);
    let refill = compile_range(N..N + N / 2);
    assert_eq!(file_size(), size, "freed slots were not used again");
    for (i, f) in &kept {
        assert_eq!(f.call(&[2.0]), 2.0 + *i as f64);
    }
    // All dropped, then as many compiled again: the chunks are used again; once all are
    // dropped and the pool trimmed, the file holds no memory.
    drop((kept, refill));
    let again = compile_range(0..N);
    assert_eq!(file_size(), size, "the file grew instead of reusing chunks");
    drop(again);
    pool::trim();
    assert_eq!(
        code_file_memory(),
        0,
        "chunks kept after their functions and the trim"
    );
}

#[test]
fn threads_compile_call_and_drop_side_by_side() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Two threads fill and free slots of the same chunks at once; each function must keep
    // its own code throughout.
    let worker = |t: usize| {
        move || {
            let mut kept: Vec<(JitFn, f64)> = Vec::new();
            for i in 0..4000 {
                let k = (t * 10_000 + i) as f64;
                // lengths vary (one to several slots), so runs of different sizes interleave
                let src = match i % 3 {
                    0 => format!("x + {k}"),
                    1 => format!("(x + {k}) * (x - 1) / (x + 3) + x^2"),
                    _ => format!("sin(x) * 0 + {k} + x*x*x*x*x*x*x*x*x*x - x^10"),
                };
                let f = Jit::compile(&src).unwrap();
                let want = f.expr().eval(&[3.0]).unwrap();
                assert_eq!(f.call(&[3.0]).to_bits(), want.to_bits(), "{src}");
                if i % 2 == 0 {
                    kept.push((f, want));
                }
                if kept.len() > 500 {
                    kept.drain(..250);
                }
            }
            for (f, want) in &kept {
                assert_eq!(f.call(&[3.0]).to_bits(), want.to_bits());
            }
        }
    };
    let a = std::thread::spawn(worker(0));
    let b = std::thread::spawn(worker(1));
    a.join().unwrap();
    b.join().unwrap();
}

#[test]
fn memory_follows_the_live_functions() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if code_file_forbidden() {
        return;
    }
    pool::trim();
    assert_eq!(code_file_memory(), 0);
    // one small function: one page, not its chunk's sixteen
    let one = Jit::compile("x + 1").unwrap();
    assert_eq!(code_file_memory(), page_size() as u64);
    drop(one);
    // four chunks' worth, one in 512 kept: once trimmed, only their pages stay in memory
    let kept: Vec<JitFn> = compile_range(0..4096).into_iter().step_by(512).collect();
    pool::trim();
    let pages: HashSet<usize> = kept.iter().map(|f| entry(f) / page_size()).collect();
    assert_eq!(code_file_memory(), (pages.len() * page_size()) as u64);
    // the punched pages are used again, and read as code, not as the zeros of a hole; once
    // those functions are gone again, so is their memory
    let more = compile_range(0..2048);
    for (i, f) in kept.iter().enumerate() {
        assert_eq!(f.call(&[1.0]), 1.0 + (i * 512) as f64);
    }
    drop(more);
    pool::trim();
    assert_eq!(code_file_memory(), (pages.len() * page_size()) as u64);
}

#[test]
fn a_loop_of_compiles_and_drops_punches_nothing() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if code_file_forbidden() {
        return;
    }
    // Functions of about 1 400 bytes (22 slots: two to a page), five at a time beside one
    // that lives on: the loop frees three pages and takes them again each time. Punching
    // them out as the functions drop would give their memory back and fault it in again at
    // every turn: the code file's memory would then shrink at each drop. (Counted in the
    // file's blocks: the process's page faults also count the allocator's, which a sanitizer
    // multiplies.)
    let long = |k: usize| {
        (0..70)
            .map(|i| format!("x*{}.5", i + k))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let _lives = Jit::compile("x - 1").unwrap();
    // the code file's memory with the turn's functions alive, and after they dropped
    let turn = |k: usize| {
        let fns: Vec<JitFn> = (0..5)
            .map(|i| Jit::compile(&long(k + i)).unwrap())
            .collect();
        assert!(fns.iter().all(|f| f.call(&[0.0]) == 0.0));
        let alive = code_file_memory();
        drop(fns);
        (alive, code_file_memory())
    };
    for k in 0..20 {
        turn(k); // warm: the pages settle
    }
    for k in 0..200 {
        let (alive, after) = turn(k);
        assert_eq!(after, alive, "memory given back at the drop of turn {k}");
    }
}

#[test]
fn a_failed_write_frees_its_slots_and_flips_bypass_them() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if code_file_forbidden() {
        return;
    }
    let keep = Jit::compile("x + 1").unwrap();
    // where the next function goes (runs are placed first fit: the same slots, once these
    // are free again)
    let probe = Jit::compile("x + 2").unwrap();
    let free = entry(&probe);
    drop(probe);
    fault::fail_next_code_writes(1);
    let err = Jit::compile("x + 2").expect_err("the injected write failure");
    assert!(err.to_string().contains("executable memory"), "{err}");
    // the failed function's slots are free again: the next function takes them, and once
    // everything is dropped and trimmed, nothing of the file is left in memory
    let next = Jit::compile("x + 2").unwrap();
    assert_eq!(
        entry(&next),
        free,
        "the failed write's slots were not freed"
    );
    assert_eq!(next.call(&[1.0]), 3.0);
    let fns = compile_range(0..100);
    drop((next, fns));
    // a thread that asked for protection flips gets a private read-execute page, not a slot
    let flipped = std::thread::spawn(|| {
        fault::force_protection_flips(true);
        let f = Jit::compile("x * 3").unwrap();
        assert_eq!(f.call(&[2.0]), 6.0);
        let at = entry(&f);
        let perms = maps()
            .into_iter()
            .find(|&(start, end, _)| (start..end).contains(&at))
            .map(|(_, _, perms)| perms);
        assert_eq!(perms.as_deref(), Some("r-xp"));
    });
    flipped.join().unwrap();
    assert_eq!(keep.call(&[1.0]), 2.0);
    drop(keep);
    pool::trim();
    assert_eq!(code_file_memory(), 0, "the failed write's slots were kept");
}
