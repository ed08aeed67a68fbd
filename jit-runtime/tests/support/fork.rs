//! Forking in the exec tests (Linux): a child that waits for the parent before it checks the
//! code it inherited, and a child that exits at once. (Included with `#[path]` by the fork
//! tests, each a test binary of one test, so that nothing else runs while they fork.)
#![allow(dead_code)] // each file uses some of them

/// A forked child waiting for [`Waiting::release`] before it runs its check.
pub struct Waiting {
    pid: libc::pid_t,
    /// The pipe's read and write ends (the parent's copies).
    pipe: [libc::c_int; 2],
}

/// Forks a child that waits until the parent calls [`Waiting::release`], then exits with
/// status 0 if `check` returns true and 1 if not. `check` runs in the child of a process that
/// may have other threads: it may call only async-signal-safe functions and installed code
/// (which takes no lock), and must not panic.
pub fn fork_waiting(check: impl FnOnce() -> bool) -> Waiting {
    let mut pipe = [0; 2];
    // SAFETY: a plain pipe(2) into a two-element array.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    // SAFETY: the child runs only `check` (whose callers keep to async-signal-safe calls and
    // installed code), read and _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut byte = 0u8;
        // SAFETY: closes the child's copy of the write end (so the read ends if the parent
        // goes away), reads one byte into a local: waits until the parent releases it.
        unsafe {
            libc::close(pipe[1]);
            libc::read(pipe[0], (&raw mut byte).cast(), 1);
        }
        let ok = check();
        // SAFETY: ends the child at once, without running the parent's destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    Waiting { pid, pipe }
}

impl Waiting {
    /// Lets the child run its check, waits for it, and says whether the check held.
    pub fn release(self) -> bool {
        // SAFETY: writes one byte from a local to the pipe and closes both ends; then waits
        // for our own child.
        let status = unsafe {
            libc::write(self.pipe[1], [1u8].as_ptr().cast(), 1);
            libc::close(self.pipe[1]);
            libc::close(self.pipe[0]);
            let mut status = 0;
            assert_eq!(libc::waitpid(self.pid, &mut status, 0), self.pid);
            status
        };
        assert!(libc::WIFEXITED(status), "child status {status:#x}");
        libc::WEXITSTATUS(status) == 0
    }
}

/// Forks a child that exits at once, and waits for it: the fork alone, as the runtime's
/// fork hook counts it.
pub fn fork_and_reap() {
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
}
