//! Code written through a file: buffers whose pages are mapped read-execute from an in-memory
//! file and are never writable, so installing code needs no protection change at all.
//!
//! # Why
//!
//! The other way to W^X, a read-write buffer made read-execute by `mprotect` (the
//! [`MutableBuffer`](super::MutableBuffer) path), costs one `mprotect` per install and one
//! per drop. Each of them removes an access, so the kernel flushes the TLB, and the first
//! instructions after it miss in it: measured here, an install took about 1.9 µs beyond code
//! generation, of which `mprotect` was 1.2 µs. Writing the code into the file behind an
//! executable mapping (`pwrite`) costs about 0.3 µs, removes no access and flushes nothing.
//!
//! # How
//!
//! * One anonymous in-memory file per process (`memfd_create`, close-on-exec). Each buffer is
//!   a range of it, mapped shared and **read-execute only**, between two inaccessible guard
//!   pages like every other buffer (see the private `region` module), near the program's code
//!   (see `place`). The mapping has no write permission, and the process has no other mapping
//!   of the file, so no page is ever writable and executable at once, not even through a
//!   second address. Code reaches the pages only by a system call on the file descriptor:
//!   no store instruction anywhere in the process can change them.
//! * A buffer is filled with `int3` when made and pre-faulted (`MAP_POPULATE`), except the chunks
//!   of small functions (`exec::slots`), whose pages stay holes until written; installing is one
//!   `pwrite` of the code (and of the `int3` padding over what the previous user of the buffer
//!   left). Dropping the code returns the buffer to the pool as it is: nothing to flip. A buffer
//!   that is unmapped has its range of the file punched out (`FALLOC_FL_PUNCH_HOLE`), so its memory
//!   goes back to the system, and the range is handed out again, to a buffer of the same length,
//!   before the file grows: the file is no larger than the most buffers of each size class mapped
//!   at once. Where the process has a file size limit (`RLIMIT_FSIZE`, whose excess raises
//!   `SIGXFSZ`), the code file is not used (checked when the file is made and when a buffer is).
//! * Another thread may run code that a recycled buffer held before, until the last handle to
//!   it dropped; after that no thread can call it, and the new code reaches other threads
//!   only with its handle, which any safe way of sending it orders after the write. x86 keeps
//!   instruction caches coherent with stores, including the kernel's; the runtime issues no
//!   serializing instruction on other cores, as the mprotect path did implicitly (its TLB
//!   shootdown interrupts them).
//! * Under valgrind, which translates code once and cannot see a write made by the kernel,
//!   every write is followed by a `DISCARD_TRANSLATIONS` client request (a no-op sequence of
//!   five instructions on a real CPU).
//!
//! # Fork
//!
//! The mapping is shared, so after `fork` the child sees the same pages. A buffer the parent
//! recycles would change the code of the child's copy of a function, and the other way round.
//! So a `pthread_atfork` hook counts forks, and a file made before the last fork is frozen in
//! both processes: its buffers are not recycled, only unmapped when their code drops (without
//! punching: the other process may still run it), and the next install makes a new file. The
//! pool drops its idle buffers of frozen files at that install, and a frozen file is closed
//! when the last of its buffers in the process is gone. (An install that took a buffer just
//! before a fork on another thread writes it just after: harmless, as the buffer was idle at
//! the fork, so the child has no code in it and will never take it.)
//!
//! Not covered: a fork made by a raw `clone`/`fork` system call, which bypasses
//! `pthread_atfork`; and, as for every lock in a program that forks while other threads run,
//! a child whose fork found the runtime's lock held waits forever at its first install. Nor a
//! file size limit lowered below the file's size while its buffers are in use: the next write
//! past it raises `SIGXFSZ`.
//!
//! # When it is not used
//!
//! Only on Linux x86-64: `memfd_create` is Linux's, and other architectures run no generated
//! machine code; on Windows and other Unixes the flip path is the only one. If the system
//! refuses the file or an executable mapping of it (a seccomp filter, `vm.memfd_noexec = 2`,
//! an SELinux `execmem`-style policy: `EPERM`, `EACCES`, `ENOSYS`, `EINVAL`; `EFBIG` for a
//! file size limit), the process falls back to protection flips for good; when it runs short
//! of descriptors or memory, until a new buffer can be made again. Buffers over 16 pages,
//! buffers beyond the guard budget, and installs on a thread that asked for flips
//! ([`fault::force_protection_flips`](super::fault::force_protection_flips)) use flips too.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod memfd;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(super) use memfd::FileBuffer;

/// Elsewhere there are no file buffers: the type has no values, and the pool's branches for
/// it compile to nothing.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub(super) enum FileBuffer {}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
impl FileBuffer {
    /// Never a buffer: the flip path is the only one here.
    pub(super) fn new(_len: usize) -> Option<FileBuffer> {
        None
    }

    /// Never a buffer, as [`new`](Self::new).
    pub(super) fn new_sparse(_len: usize) -> Option<FileBuffer> {
        None
    }

    /// Nothing to let go of: there is no code file here.
    pub(super) fn trim() {}

    /// No fork is counted here: there is no code file to freeze.
    pub(super) fn forks() -> u64 {
        0
    }

    /// Never: there is no code file to fail.
    pub(super) fn failing() -> bool {
        false
    }

    /// Never: there is no code file here.
    pub(super) fn in_use() -> bool {
        false
    }

    pub(super) fn write(&mut self, _bytes: &[u8]) -> Result<(), super::ExecError> {
        match *self {}
    }

    /// # Safety
    /// As on Linux x86-64 (never called: there are no values).
    pub(super) unsafe fn write_at(
        &self,
        _at: usize,
        _bytes: &[u8],
    ) -> Result<(), super::ExecError> {
        match *self {}
    }

    pub(super) fn punch(&self, _at: usize, _len: usize) {
        match *self {}
    }

    pub(super) fn is_private(&self) -> bool {
        match *self {}
    }

    pub(super) fn as_ptr(&self) -> *const u8 {
        match *self {}
    }

    pub(super) fn len(&self) -> usize {
        match *self {}
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        match *self {}
    }
}
