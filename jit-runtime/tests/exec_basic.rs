//! Installing and calling code, relocations, batches, bounds errors, W^X, fault injection
//! and concurrency of `jit_runtime::exec`.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{as_u64_fn, const_u64, install_u64, maps};

use jit_runtime::exec::{
    ENTRY_ALIGN, ExecCode, ExecError, ExecOp, ExecutableBuffer, INT3, MAX_INSTALL_LEN,
    MutableBuffer, Reloc, fault, install, install_batch, page_size,
};

type F2 = extern "C" fn(f64, f64) -> f64;
type F1 = extern "C" fn(f64) -> f64;

/// addsd xmm0, xmm1; ret
const ADD: [u8; 5] = [0xf2, 0x0f, 0x58, 0xc1, 0xc3];
/// mulsd xmm0, xmm1; ret
const MUL: [u8; 5] = [0xf2, 0x0f, 0x59, 0xc1, 0xc3];
/// subsd xmm0, xmm1; ret
const SUB: [u8; 5] = [0xf2, 0x0f, 0x5c, 0xc1, 0xc3];

/// `mov rax, imm64; jmp rax`: a tail call to a helper whose address is relocated at offset 2.
fn tail_call() -> Vec<u8> {
    let mut code = vec![0x48, 0xb8];
    code.extend_from_slice(&[0; 8]);
    code.extend_from_slice(&[0xff, 0xe0]);
    code
}

fn f2(code: &ExecCode) -> F2 {
    // SAFETY: callers only pass code that is a complete `F2` function; they keep `code` alive
    // while calling the result.
    unsafe { std::mem::transmute::<*const u8, F2>(code.as_ptr()) }
}

extern "C" fn helper_square_plus_one(x: f64) -> f64 {
    x * x + 1.0
}

fn perms_at(addr: usize) -> String {
    maps()
        .into_iter()
        .find(|(a, b, _)| (*a..*b).contains(&addr))
        .map(|(_, _, p)| p)
        .expect("address is mapped")
}

fn assert_no_wx() {
    for (a, b, p) in maps() {
        assert!(
            !(p.contains('w') && p.contains('x')),
            "mapping {a:#x}-{b:#x} is writable and executable: {p}"
        );
    }
}

#[test]
fn install_and_call() {
    let add = install(&ADD, &[]).unwrap();
    assert_eq!(add.len(), 5);
    assert!(!add.is_empty());
    assert_eq!(add.as_slice(), &ADD);
    assert_eq!(add.as_ptr() as usize % ENTRY_ALIGN, 0);
    assert_eq!(f2(&add)(1.5, 2.25), 3.75);
    let clone = add.clone();
    drop(add);
    assert_eq!(f2(&clone)(1.0, -4.0), -3.0, "a clone keeps the code alive");
}

#[test]
fn relocations_are_patched() {
    let value = 0xdead_beef_0bad_f00d_u64;
    let c = install(&const_u64(), &[Reloc { offset: 2, value }]).unwrap();
    assert_eq!(as_u64_fn(&c)(), value);

    let helper = helper_square_plus_one as F1 as usize as u64;
    let t = install(
        &tail_call(),
        &[Reloc {
            offset: 2,
            value: helper,
        }],
    )
    .unwrap();
    // SAFETY: the code tail-calls `helper_square_plus_one`, so it is an `F1`; `t` is alive.
    let f: F1 = unsafe { std::mem::transmute::<*const u8, F1>(t.as_ptr()) };
    assert_eq!(f(3.0), 10.0);
}

#[test]
fn batch_install_calls_each() {
    let k = 0x0123_4567_89ab_cdef_u64;
    let cu = const_u64();
    let relocs = [Reloc {
        offset: 2,
        value: k,
    }];
    let fns = install_batch(&[
        (&ADD[..], &[][..]),
        (&MUL[..], &[][..]),
        (&cu[..], &relocs[..]),
        (&SUB[..], &[][..]),
    ])
    .unwrap();
    assert_eq!(fns.len(), 4);
    for w in fns.windows(2) {
        assert!(w[0].shares_buffer_with(&w[1]));
        assert!(w[0].as_ptr() < w[1].as_ptr());
    }
    for f in &fns {
        assert_eq!(f.as_ptr() as usize % ENTRY_ALIGN, 0);
    }
    // Gap between the first two functions is int3.
    let base = fns[0].as_ptr();
    // SAFETY: the whole first page of the batch buffer is mapped readable while `fns` lives.
    let gap = unsafe { std::slice::from_raw_parts(base.add(5), 11) };
    assert!(gap.iter().all(|&b| b == INT3));

    let (mut fns, last) = (fns.clone(), fns);
    let sub = fns.pop().unwrap();
    let c = fns.pop().unwrap();
    let mul = fns.pop().unwrap();
    let add = fns.pop().unwrap();
    drop(last);
    assert_eq!(f2(&add)(2.0, 3.0), 5.0);
    drop(add);
    assert_eq!(f2(&mul)(2.0, 3.0), 6.0);
    assert_eq!(as_u64_fn(&c)(), k);
    drop(mul);
    drop(c);
    // Only one handle left: the buffer must still be executable.
    assert!(perms_at(sub.as_ptr() as usize).starts_with("r-x"));
    assert_eq!(f2(&sub)(2.0, 3.0), -1.0);
}

#[test]
fn batch_spanning_several_pages_and_large_code() {
    // 300 functions of 100 bytes: 300 * 112 bytes, > 8 pages.
    let mut body = vec![0x90u8; 99]; // nops
    body.push(0xc3);
    let code = body.clone();
    let mut entries: Vec<Vec<u8>> = Vec::new();
    for _ in 0..300 {
        let mut c = const_u64();
        c.extend_from_slice(&code);
        entries.push(c);
    }
    let relocs: Vec<[Reloc; 1]> = (0..300u64)
        .map(|i| {
            [Reloc {
                offset: 2,
                value: i,
            }]
        })
        .collect();
    let list: Vec<(&[u8], &[Reloc])> = entries
        .iter()
        .zip(&relocs)
        .map(|(c, r)| (&c[..], &r[..]))
        .collect();
    let fns = install_batch(&list).unwrap();
    for (i, f) in fns.iter().enumerate() {
        assert_eq!(as_u64_fn(f)(), i as u64);
    }

    // Bigger than the largest size class (16 pages): mapped fresh, still works.
    let mut big = vec![0x90u8; 20 * page_size()];
    let n = big.len();
    big[n - 1] = 0xc3;
    let b = install(&big, &[]).unwrap();
    // SAFETY: a run of nops ending in `ret` is a function taking and returning nothing.
    let f: extern "C" fn() =
        unsafe { std::mem::transmute::<*const u8, extern "C" fn()>(b.as_ptr()) };
    f();
}

#[test]
fn bounds_errors() {
    let cu = const_u64(); // 11 bytes: slot 2..10 fits, 3..11 fits, 4..12 does not
    assert!(
        install(
            &cu,
            &[Reloc {
                offset: 3,
                value: 0
            }]
        )
        .is_ok()
    );
    let err = install(
        &cu,
        &[
            Reloc {
                offset: 2,
                value: 0,
            },
            Reloc {
                offset: 4,
                value: 0,
            },
        ],
    )
    .unwrap_err();
    assert!(matches!(
        err,
        ExecError::RelocOutOfBounds {
            function: 0,
            index: 1,
            offset: 4,
            code_len: 11
        }
    ));
    assert!(err.op().is_none() && err.io_kind().is_none());
    let err = install(
        &cu,
        &[Reloc {
            offset: usize::MAX - 3,
            value: 0,
        }],
    )
    .unwrap_err();
    assert!(matches!(err, ExecError::RelocOutOfBounds { .. }));

    let err = install_batch(&[
        (&ADD[..], &[][..]),
        (
            &ADD[..],
            &[Reloc {
                offset: 0,
                value: 0,
            }][..],
        ),
    ])
    .unwrap_err();
    assert!(matches!(
        err,
        ExecError::RelocOutOfBounds { function: 1, .. }
    ));

    assert!(matches!(
        install(&[], &[]),
        Err(ExecError::EmptyCode { function: 0 })
    ));
    assert!(matches!(
        install_batch(&[(&ADD[..], &[][..]), (&[][..], &[][..])]),
        Err(ExecError::EmptyCode { function: 1 })
    ));
    assert!(install_batch(&[]).unwrap().is_empty());

    let add = install(&ADD, &[]).unwrap();
    assert_eq!(add.entry(0).unwrap(), add.as_ptr());
    assert_eq!(add.entry(4).unwrap() as usize, add.as_ptr() as usize + 4);
    assert!(matches!(
        add.entry(5),
        Err(ExecError::EntryOutOfBounds { offset: 5, len: 5 })
    ));
    assert!(add.entry(usize::MAX).is_err());

    // Oversized: rejected before anything is mapped (vec![0; n] is lazily zeroed, not touched).
    let huge = vec![0u8; MAX_INSTALL_LEN + 1];
    assert!(matches!(
        install(&huge, &[]),
        Err(ExecError::InvalidLength { .. })
    ));
    let half = &huge[..MAX_INSTALL_LEN / 2 + 1];
    assert!(matches!(
        install_batch(&[(half, &[][..]), (half, &[][..])]),
        Err(ExecError::InvalidLength { .. })
    ));
    assert!(matches!(
        MutableBuffer::new(0),
        Err(ExecError::InvalidLength { len: 0 })
    ));
}

#[test]
fn w_xor_x_while_code_is_alive() {
    let live: Vec<ExecCode> = (0..64)
        .map(|i| install(if i % 2 == 0 { &ADD } else { &MUL }, &[]).unwrap())
        .collect();
    let batch = install_batch(&[(&ADD[..], &[][..]), (&SUB[..], &[][..])]).unwrap();
    let mut buf = MutableBuffer::new(100).unwrap();
    buf.as_mut_slice()[0] = 0xc3;
    assert!(perms_at(buf.as_ptr() as usize).starts_with("rw-"));
    assert_no_wx();
    for c in live.iter().chain(&batch) {
        assert!(perms_at(c.as_ptr() as usize).starts_with("r-x"));
    }
    let exec = buf.make_exec().unwrap();
    assert!(perms_at(exec.as_ptr() as usize).starts_with("r-x"));
    assert_no_wx();
    let addr = live[0].as_ptr() as usize;
    drop(live);
    // The dropped code's page went back to the pool as RW (or was unmapped): never RWX.
    assert_no_wx();
    if let Some((_, _, p)) = maps()
        .into_iter()
        .find(|(a, b, _)| (*a..*b).contains(&addr))
    {
        assert!(!p.contains('x') || !p.contains('w'), "{p}");
    }
    assert_eq!(f2(&batch[1])(1.0, 1.0), 0.0);
}

/// Asserts that `len` bytes at `ptr` are one kernel mapping of their own with `perms`,
/// between two inaccessible guard pages.
fn assert_own_mapping(ptr: *const u8, len: usize, perms: &str) {
    let ptr = ptr as usize;
    let (start, end, p) = maps()
        .into_iter()
        .find(|(a, b, _)| (*a..*b).contains(&ptr))
        .expect("buffer is mapped");
    assert_eq!((start, end), (ptr, ptr + len), "not a mapping of its own");
    assert!(p.starts_with(perms), "{p} instead of {perms}");
    assert!(perms_at(ptr - 1).starts_with("---"), "guard page before");
    assert!(perms_at(ptr + len).starts_with("---"), "guard page after");
}

#[test]
fn buffers_are_mappings_of_their_own_between_guards() {
    // Mapped one after the other, so neighbours in the address space; without the guards the
    // kernel would merge them, and each protection change would split the merged mapping.
    let mut a = MutableBuffer::new(1).unwrap();
    let b = MutableBuffer::new(3 * page_size()).unwrap();
    a.as_mut_slice()[..5].copy_from_slice(&ADD);
    assert_own_mapping(a.as_ptr(), page_size(), "rw-p");
    assert_own_mapping(b.as_ptr(), 3 * page_size(), "rw-p");
    let a = a.make_exec().unwrap();
    assert_own_mapping(a.as_ptr(), page_size(), "r-xp");
    assert_own_mapping(b.as_ptr(), 3 * page_size(), "rw-p");
    let b = b.make_exec().unwrap();
    assert_own_mapping(b.as_ptr(), 3 * page_size(), "r-xp");
    let a = a.make_mut().unwrap();
    assert_own_mapping(a.as_ptr(), page_size(), "rw-p");
    assert_eq!(&a.as_slice()[..5], &ADD, "the code survives the round trip");
    assert_own_mapping(b.as_ptr(), 3 * page_size(), "r-xp");
}

#[test]
fn code_is_placed_a_few_gib_below_the_program_text() {
    // Calls from the program's text to targets tens of TiB away (the kernel's default
    // mapping area) are predicted more slowly on some CPUs; see jit-runtime's `exec::place`.
    let text = helper_square_plus_one as F1 as usize;
    let fns: Vec<ExecCode> = (0..20).map(|_| install(&ADD, &[]).unwrap()).collect();
    for f in &fns {
        let at = f.as_ptr() as usize;
        assert!(
            at < text && text - at < 3 << 30,
            "code at {at:#x}, text at {text:#x}"
        );
        assert_eq!(f2(f)(2.0, 3.0), 5.0);
    }
}

#[test]
fn buffers_round_trip() {
    let mut buf = MutableBuffer::new(1).unwrap();
    assert_eq!(buf.len(), page_size());
    assert!(!buf.is_empty());
    assert!(
        buf.as_slice().iter().all(|&b| b == INT3),
        "fresh buffers are int3"
    );
    buf.as_mut_slice()[..5].copy_from_slice(&ADD);
    let exec: ExecutableBuffer = buf.make_exec().unwrap();
    // SAFETY: the buffer starts with a complete `F2` function and lives during the call.
    let f: F2 = unsafe { std::mem::transmute::<*const u8, F2>(exec.as_ptr()) };
    assert_eq!(f(1.0, 2.0), 3.0);
    let mut buf = exec.make_mut().unwrap();
    buf.as_mut_slice()[..5].copy_from_slice(&MUL);
    let exec = buf.make_exec().unwrap();
    // SAFETY: as above, now holding mulsd.
    let f: F2 = unsafe { std::mem::transmute::<*const u8, F2>(exec.as_ptr()) };
    assert_eq!(f(4.0, 2.0), 8.0);
    assert_eq!(exec.len(), page_size());
    assert!(format!("{exec:?}").contains("ExecutableBuffer"));
}

#[test]
fn injected_protect_failures_are_errors() {
    fn assert_send_sync_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_send_sync_error::<ExecError>();

    // install: RW -> RX fails.
    fault::fail_next_protect_changes(1);
    let err = install(&ADD, &[]).unwrap_err();
    assert_eq!(err.op(), Some(ExecOp::MakeExecutable));
    assert_eq!(err.io_kind(), Some(std::io::ErrorKind::OutOfMemory));
    assert!(std::error::Error::source(&err).is_some());
    let msg = err.to_string();
    assert!(msg.contains("mprotect") && msg.contains("bytes"), "{msg}");
    assert_eq!(fault::pending_protect_failures(), 0);
    // The pool is still usable.
    let add = install(&ADD, &[]).unwrap();
    assert_eq!(f2(&add)(1.0, 1.0), 2.0);

    // Batch: same.
    fault::fail_next_protect_changes(1);
    assert!(install_batch(&[(&ADD[..], &[][..]), (&MUL[..], &[][..])]).is_err());
    let fns = install_batch(&[(&ADD[..], &[][..]), (&MUL[..], &[][..])]).unwrap();
    assert_eq!(f2(&fns[1])(3.0, 3.0), 9.0);

    // Drop: RX -> RW fails; the buffer is unmapped instead of recycled, no panic. (A buffer
    // of the code file makes no protection change on drop: this one is a flip buffer.)
    fault::force_protection_flips(true);
    let doomed = install(&MUL, &[]).unwrap();
    fault::fail_next_protect_changes(1);
    drop(doomed);
    assert_eq!(
        fault::pending_protect_failures(),
        0,
        "the drop's mprotect failed"
    );
    fault::force_protection_flips(false);
    for _ in 0..10 {
        let m = install(&MUL, &[]).unwrap();
        assert_eq!(f2(&m)(3.0, 4.0), 12.0);
    }

    // The raw buffer transitions.
    fault::fail_next_protect_changes(1);
    let err = MutableBuffer::new(1).unwrap().make_exec().unwrap_err();
    assert_eq!(err.op(), Some(ExecOp::MakeExecutable));
    let exec = MutableBuffer::new(1).unwrap().make_exec().unwrap();
    fault::fail_next_protect_changes(2);
    let err = exec.make_mut().unwrap_err();
    assert_eq!(err.op(), Some(ExecOp::MakeWritable));
    assert_eq!(fault::pending_protect_failures(), 1);
    fault::fail_next_protect_changes(0);

    // Injection is per thread.
    fault::fail_next_protect_changes(5);
    std::thread::spawn(|| assert!(install(&ADD, &[]).is_ok()))
        .join()
        .unwrap();
    assert_eq!(fault::pending_protect_failures(), 5);
    fault::fail_next_protect_changes(0);
}

#[test]
fn eight_threads_install_call_drop() {
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut keep = Vec::new();
                for i in 0..2_000u64 {
                    let value = t << 32 | i;
                    let c = install_u64(value);
                    assert_eq!(as_u64_fn(&c)(), value);
                    if i % 7 == 0 {
                        keep.push((value, c)); // some live longer, out of order
                    }
                    if i % 50 == 0 {
                        let fns =
                            install_batch(&[(&ADD[..], &[][..]), (&SUB[..], &[][..])]).unwrap();
                        assert_eq!(f2(&fns[0])(i as f64, 1.0), i as f64 + 1.0);
                        assert_eq!(f2(&fns[1])(i as f64, 1.0), i as f64 - 1.0);
                    }
                    if keep.len() > 20 {
                        keep.remove(t as usize % keep.len());
                    }
                }
                for (value, c) in &keep {
                    assert_eq!(as_u64_fn(c)(), *value);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_no_wx();
}
