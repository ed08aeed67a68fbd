//! After `fork`, the child's copy of a function keeps its code even when the parent drops the
//! function and installs other code: the code file's buffers are shared between the two
//! processes, so the buffers of a file made before a fork are never recycled (see the runtime's
//! `exec::file` module). Its own test binary: one test, so nothing else runs while it forks.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{ADD, MUL, code_file_forbidden, code_files, f2};
#[path = "support/fork.rs"]
mod fork;

use jit_runtime::exec::{ExecCode, install, page_size, pool};

#[test]
fn a_child_keeps_its_code_while_the_parent_recycles() {
    // Warm the pool: a dropped buffer that the next install would take again.
    drop(install(&MUL, &[]).unwrap());
    let add = install(&ADD, &[]).unwrap();
    let add_fn = f2(&add);
    let child = fork::fork_waiting(move || add_fn(2.0, 3.0) == 5.0);
    // Parent: drop the function and install other code many times over. Without the fork
    // rule the next install would write MUL into the buffer the child runs ADD from.
    let at = add.as_ptr();
    drop(add);
    let muls: Vec<ExecCode> = (0..8).map(|_| install(&MUL, &[]).unwrap()).collect();
    // (released before any assertion, so that a failure cannot leave the child waiting)
    assert!(child.release(), "the child's ADD ran other code");
    assert!(muls.iter().all(|m| f2(m)(2.0, 3.0) == 6.0));
    // (With protection flips the parent may recycle its own buffer: the child's is a copy.)
    if !code_file_forbidden() {
        assert!(
            muls.iter().all(|m| m.as_ptr() != at),
            "a frozen buffer was recycled"
        );
        drop(muls);
        frozen_files_are_closed_when_their_buffers_go();
    }
}

/// After a fork, the pool drops its idle buffers of the frozen file at the next install, and
/// the file is closed when its last live buffer goes: a program that forks often does not
/// collect open files. (Part of the one test above: it must not run beside another fork.)
fn frozen_files_are_closed_when_their_buffers_go() {
    let keep = install(&ADD, &[]).unwrap();
    let idle: Vec<ExecCode> = (0..6)
        .map(|i| install(&vec![0xc3; 1 + (i % 2) * page_size()], &[]).unwrap())
        .collect();
    drop(idle);
    assert!(pool::idle_bytes() >= 6 * page_size());
    assert_eq!(code_files().len(), 1);
    fork::fork_and_reap();
    let fresh = install(&MUL, &[]).unwrap(); // a new file; the frozen one's idle buffers go
    assert_eq!(pool::idle_bytes(), 0);
    assert_eq!(f2(&fresh)(2.0, 3.0), 6.0);
    assert_eq!(f2(&keep)(2.0, 3.0), 5.0);
    assert_eq!(code_files().len(), 2, "the frozen file lives on in `keep`");
    drop(keep);
    assert_eq!(code_files().len(), 1, "and is closed with it");
}
