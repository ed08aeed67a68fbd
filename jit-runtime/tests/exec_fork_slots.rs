//! After `fork`, the child's copy of a small function keeps its code while the parent drops
//! the function and compiles others: their slots would be the freed one, in pages the two
//! processes share, so chunks of a file made before a fork are never written again (see the
//! runtime's `exec::slots` module). Its own test binary: one test, so nothing else runs while
//! it forks.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{code_file_forbidden, code_files};

use jit_runtime::{Jit, JitFn};

#[test]
fn a_child_keeps_its_small_function_while_the_parent_compiles() {
    let keep = Jit::compile("x - 1").unwrap(); // another function in the same chunk
    let f = Jit::compile("x + 100").unwrap();
    // SAFETY: called in the child only, where `f`'s copy is never dropped.
    let f_fn = unsafe { f.typed1().unwrap().as_fn() }.expect("machine code");
    let mut pipe = [0; 2];
    // SAFETY: a plain pipe(2) into a two-element array.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    // SAFETY: the child only calls async-signal-safe functions (read, _exit) and the
    // compiled code, which takes no lock.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut byte = 0u8;
        // SAFETY: closes the child's copy of the write end (so the read ends if the parent
        // goes away), reads one byte into a local: waits until the parent has compiled.
        unsafe {
            libc::close(pipe[1]);
            libc::read(pipe[0], (&raw mut byte).cast(), 1);
        }
        let ok = f_fn(3.0) == 103.0;
        // SAFETY: ends the child at once, without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    // Parent: compile one function (the first look at the list after the fork), drop `f`,
    // and compile others. Without the fork rule one of them would take the freed slot, which
    // the child still runs `x + 100` from.
    let first = Jit::compile("x * 3").unwrap();
    drop(f);
    let mut others: Vec<JitFn> = (0..200)
        .map(|i| Jit::compile(&format!("x * 2 + {i}")).unwrap())
        .collect();
    // SAFETY: writes one byte from a local to the pipe and closes it; then waits for our own
    // child. (Before any assertion, so that a failure cannot leave the child waiting.)
    let status = unsafe {
        libc::write(pipe[1], [1u8].as_ptr().cast(), 1);
        libc::close(pipe[1]);
        libc::close(pipe[0]);
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        status
    };
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the child's function ran other code"
    );
    for (i, g) in others.iter().enumerate() {
        assert_eq!(g.call(&[3.0]), 6.0 + i as f64);
    }
    assert_eq!(first.call(&[3.0]), 9.0);
    assert_eq!(keep.call(&[3.0]), 2.0);
    if code_file_forbidden() {
        return;
    }
    // the others went to a new file; the frozen one lives on in `keep` alone
    assert_eq!(code_files().len(), 2);
    drop(keep);
    assert_eq!(
        code_files().len(),
        1,
        "the frozen file outlived its last function"
    );

    // Another fork, and no compilation after it: once its functions are dropped and the
    // pool trimmed, the file it froze is gone too.
    others.push(first);
    // SAFETY: the child only calls _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    drop(others);
    jit_runtime::exec::pool::trim();
    assert_eq!(
        code_files().len(),
        0,
        "a frozen chunk outlived its functions"
    );
}
