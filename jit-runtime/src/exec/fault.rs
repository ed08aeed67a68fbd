//! Fault injection for tests: make protection changes, unmappings and code writes fail on
//! demand, and make a thread use protection flips instead of the code file.
//!
//! Real `mprotect` failures (`ENOMEM` when the process runs out of memory mappings, `EACCES`
//! under a strict SELinux/PaX policy) are rare and hard to provoke, yet callers must turn them
//! into errors rather than crashes. [`fail_next_protect_changes`] makes the next `n` protection
//! changes performed **on the calling thread** fail with `ENOMEM`, before any system call is
//! made, exactly as [`MutableBuffer::make_exec`](crate::exec::MutableBuffer::make_exec) and
//! [`ExecutableBuffer::make_mut`](crate::exec::ExecutableBuffer::make_mut) would fail for
//! real: the buffer is consumed and unmapped.
//!
//! The counter is thread-local so that tests running in parallel in one process do not steal
//! each other's failures. Note that the `make_mut` done when an
//! [`ExecCode`](crate::exec::ExecCode) is dropped happens on the thread that drops the last
//! handle.
//!
//! This module is hidden from the documentation: it is a testing hook, not part of the stable
//! API.

use std::cell::Cell;

thread_local! {
    static FAIL_PROTECT: Cell<usize> = const { Cell::new(0) };
    static FAIL_UNMAP: Cell<usize> = const { Cell::new(0) };
    static FAIL_WRITE: Cell<usize> = const { Cell::new(0) };
    static FLIPS: Cell<bool> = const { Cell::new(false) };
}

/// Makes the next `n` protection changes on the calling thread fail with `ENOMEM`
/// (replacing any count still pending; `0` disarms).
///
/// While failures are pending, installs on this thread take the protection-flip path (a RW
/// buffer made RX by `mprotect`, see [`force_protection_flips`]) even where code is normally
/// written through the code file: that path makes no protection change that could fail.
///
/// ```
/// use jit_runtime::exec::{fault, install, ExecOp};
///
/// fault::fail_next_protect_changes(1);
/// let err = install(&[0xc3], &[]).unwrap_err();
/// assert_eq!(err.op(), Some(ExecOp::MakeExecutable));
/// assert!(install(&[0xc3], &[]).is_ok()); // only one failure was armed
/// ```
pub fn fail_next_protect_changes(n: usize) {
    FAIL_PROTECT.with(|c| c.set(n));
}

/// How many injected failures are still pending on the calling thread.
///
/// ```
/// use jit_runtime::exec::{fault, install};
///
/// fault::fail_next_protect_changes(2);
/// assert!(install(&[0xc3], &[]).is_err()); // takes one
/// assert_eq!(fault::pending_protect_failures(), 1);
/// fault::fail_next_protect_changes(0); // disarms
/// assert_eq!(fault::pending_protect_failures(), 0);
/// ```
pub fn pending_protect_failures() -> usize {
    FAIL_PROTECT.try_with(Cell::get).unwrap_or(0)
}

/// Consumes one pending failure, if any. Never panics, even during thread-local destruction
/// (an [`ExecCode`](crate::exec::ExecCode) may be dropped from a TLS destructor).
pub(crate) fn take_protect_failure() -> bool {
    take(&FAIL_PROTECT)
}

/// Makes installs on the calling thread use protection flips (a RW buffer made RX by
/// `mprotect`, and RW again when dropped) instead of the code file, on Linux x86-64 where
/// the code file is the default (see the `exec::file` module); elsewhere flips are the only
/// way. For testing the fallback path on a machine where the code file works.
///
/// ```
/// use jit_runtime::exec::{fault, install};
///
/// fault::force_protection_flips(true);
/// let code = install(&[0xc3], &[])?; // ret, in a buffer of its own made RX by mprotect
/// assert_eq!(code.as_slice(), &[0xc3]);
/// fault::force_protection_flips(false);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn force_protection_flips(on: bool) {
    FLIPS.with(|c| c.set(on));
}

/// Whether installs on this thread must use protection flips: forced, or protection failures
/// are pending (which only that path can consume).
pub(crate) fn flips_forced() -> bool {
    FLIPS.try_with(Cell::get).unwrap_or(false) || pending_protect_failures() > 0
}

/// Makes the next `n` writes of code through the code file on the calling thread fail with
/// `ENOMEM`, as `pwrite` fails when the system is out of memory (replacing any count still
/// pending; `0` disarms). Where there is no code file (not Linux x86-64, or refused by the
/// system), nothing consumes the count.
///
/// ```
/// use jit_runtime::exec::{ExecOp, fault, install};
///
/// drop(install(&[0xc3], &[])?); // (the first install finds out whether there is a code file)
/// fault::fail_next_code_writes(1);
/// let first = install(&[0xc3], &[]);
/// if fault::code_file_in_use() {
///     // the buffer is gone; nothing leaks
///     assert_eq!(first.unwrap_err().op(), Some(ExecOp::WriteCode));
/// } else {
///     assert!(first.is_ok()); // no code file here: nothing consumes the count
/// }
/// assert!(install(&[0xc3], &[]).is_ok()); // only one failure was armed
/// fault::fail_next_code_writes(0);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn fail_next_code_writes(n: usize) {
    FAIL_WRITE.with(|c| c.set(n));
}

/// Whether installs on the calling thread write code through the code file: on Linux x86-64,
/// unless the system refused it (as far as the installs so far found out: the first install
/// tries it) or the thread asked for protection flips.
///
/// ```
/// use jit_runtime::exec::{fault, install};
///
/// drop(install(&[0xc3], &[])?);
/// if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
///     assert!(!fault::code_file_in_use());
/// }
/// fault::force_protection_flips(true);
/// assert!(!fault::code_file_in_use());
/// fault::force_protection_flips(false);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn code_file_in_use() -> bool {
    super::file::FileBuffer::in_use()
}

/// Consumes one pending code-write failure, if any (never panics).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) fn take_write_failure() -> bool {
    take(&FAIL_WRITE)
}

/// Consumes one of the failures counted in `counter`, if any.
fn take(counter: &'static std::thread::LocalKey<Cell<usize>>) -> bool {
    counter
        .try_with(|c| {
            let n = c.get();
            if n > 0 {
                c.set(n - 1);
            }
            n > 0
        })
        .unwrap_or(false)
}

/// Makes the next `n` unmappings on the calling thread fail, as `munmap` fails (`ENOMEM`)
/// when it would have to split a kernel region and the process is at `vm.max_map_count`
/// (replacing any count still pending; `0` disarms). The memory is then given back at once
/// and the addresses unmapped later (see [`pool::deferred_bytes`](crate::exec::pool::deferred_bytes)).
/// On Unix only: elsewhere memmap2 unmaps, and nothing consumes the count.
///
/// ```standalone_crate
/// use jit_runtime::exec::{fault, install, pool};
///
/// // (a crate of its own: no other test's unmapping retries it in between)
/// // 17 pages: more than the pool keeps, so dropping it unmaps it
/// let big = install(&vec![0xc3; 17 * 4096], &[])?;
/// fault::fail_next_unmaps(1);
/// drop(big);
/// # #[cfg(unix)] // (elsewhere nothing fails)
/// assert!(pool::deferred_bytes() >= 17 * 4096);
/// pool::trim(); // retries
/// assert_eq!(pool::deferred_bytes(), 0);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn fail_next_unmaps(n: usize) {
    FAIL_UNMAP.with(|c| c.set(n));
}

/// Consumes one pending unmapping failure, if any (never panics, as
/// [`take_protect_failure`]). Unix only: elsewhere memmap2 unmaps, and a refused
/// unmapping is not retried.
#[cfg(unix)]
pub(crate) fn take_unmap_failure() -> bool {
    take(&FAIL_UNMAP)
}

/// The error an injected failure reports: the one a real `mprotect` gives when the process
/// has run out of memory mappings.
pub(crate) fn injected_error() -> std::io::Error {
    std::io::Error::from_raw_os_error(libc::ENOMEM)
}
