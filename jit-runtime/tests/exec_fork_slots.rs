//! After `fork`, the child's copy of a small function keeps its code while the parent drops
//! the function and compiles others: their slots would be the freed one, in pages the two
//! processes share, so chunks of a file made before a fork are never written again (see the
//! runtime's `exec::slots` module). Its own test binary: one test, so nothing else runs while
//! it forks.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

#[path = "support/code.rs"]
mod support;
use support::{code_file_forbidden, code_files};
#[path = "support/fork.rs"]
mod fork;

use jit_runtime::{Jit, JitFn};

#[test]
fn a_child_keeps_its_small_function_while_the_parent_compiles() {
    let keep = Jit::compile("x - 1").unwrap(); // another function in the same chunk
    let f = Jit::compile("x + 100").unwrap();
    // SAFETY: called in the child only, where `f`'s copy is never dropped.
    let f_fn = unsafe { f.typed1().unwrap().as_fn() }.expect("machine code");
    let child = fork::fork_waiting(move || f_fn(3.0) == 103.0);
    // Parent: compile one function (the first look at the list after the fork), drop `f`,
    // and compile others. Without the fork rule one of them would take the freed slot, which
    // the child still runs `x + 100` from.
    let first = Jit::compile("x * 3").unwrap();
    drop(f);
    let mut others: Vec<JitFn> = (0..200)
        .map(|i| Jit::compile(&format!("x * 2 + {i}")).unwrap())
        .collect();
    // (released before any assertion, so that a failure cannot leave the child waiting)
    assert!(child.release(), "the child's function ran other code");
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
    fork::fork_and_reap();
    drop(others);
    jit_runtime::exec::pool::trim();
    assert_eq!(
        code_files().len(),
        0,
        "a frozen chunk outlived its functions"
    );

    // A third fork: the parent drops ten pages' worth of functions, all but one, which would
    // have the highest of those pages punched out of the file (reading as zeros) but for the
    // fork rule; the child runs the last of them, in that page.
    let fns: Vec<JitFn> = (0..640)
        .map(|i| Jit::compile(&format!("x + {i}")).unwrap())
        .collect();
    // SAFETY: called in the child only, where the functions' copies are never dropped.
    let last = unsafe { fns[639].typed1().unwrap().as_fn() }.expect("machine code");
    let child = fork::fork_waiting(move || last(1.0) == 640.0);
    let first = fns.into_iter().next();
    jit_runtime::exec::pool::trim();
    assert!(child.release(), "the child's function was punched out");
    assert_eq!(first.map(|f| f.call(&[1.0])), Some(1.0));
}
