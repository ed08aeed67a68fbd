//! Executable memory: code written through a file into read-execute pages, or written while
//! read-write and then flipped to read-execute.
//!
//! # Contract
//!
//! * **W^X.** No mapping made here is ever writable and executable at once. Two kinds of
//!   buffer keep that rule:
//!   - On Linux x86-64, buffers are ranges of an in-memory file, mapped read-execute and never
//!     writable; code reaches them by `pwrite` on the file (the private `file` module: why,
//!     and how `fork`, valgrind and refusing systems are handled). No address in the process
//!     can write those pages.
//!   - Elsewhere, and as the fallback, the types enforce it: a [`MutableBuffer`] (RW) becomes
//!     an [`ExecutableBuffer`] (RX) only by [`MutableBuffer::make_exec`], which consumes it,
//!     and back only by [`ExecutableBuffer::make_mut`], which consumes the executable one.
//! * **Live code is never written or made writable.** An [`ExecCode`] handle (there may be
//!   clones, and a batch shares one buffer) keeps its buffer as it is; the buffer is written
//!   (or goes back to RW) only after the last handle drops, when it is reused. (A `JitFn`
//!   keeps the code of its own install as the buffer's sole owner, without the shared handle:
//!   the same rule, one owner. Its code, if short, is a run of slots in pages of the code file
//!   that other functions share: the pages are written, never made writable, and only in
//!   slots no live code holds; see the private `slots` module.)
//! * **Flat memory.** Dropped code returns its pages to a bounded [pool]; compiling and
//!   dropping any number of functions keeps the footprint flat.
//! * **Cheap installs.** [`install`] takes a pre-faulted buffer from the pool, copies,
//!   patches relocations, and makes one system call: a `pwrite` into the code file (about
//!   0.3 µs here, and no TLB flush), or the `mprotect` that makes a flip buffer RX (about
//!   1.2 µs, and the TLB flush that follows). No `mmap`, no `munmap`, no page fault once the
//!   pool is warm. Dropping the code costs nothing more for a code-file buffer, and one more
//!   `mprotect` (RX -> RW) for a flip buffer.
//! * **Cheap calls.** Code is mapped a few GiB below the program's own machine code (on Unix;
//!   an address hint, never forced), where indirect calls into it cost what calls of Rust
//!   functions do; see the private `place` module for the measurements.
//! * **Errors, not crashes.** Every OS failure (a failed `mprotect` or `pwrite` too) becomes an
//!   [`ExecError`]; nothing here panics or aborts on one. [`fault`] injects such failures for
//!   tests.
//!
//! ```
//! use jit_runtime::exec::install;
//!
//! // addsd xmm0, xmm1; ret
//! let code = install(&[0xf2, 0x0f, 0x58, 0xc1, 0xc3], &[])?;
//! # #[cfg(target_arch = "x86_64")] {
//! // SAFETY: the bytes are a complete function with this signature; `code` outlives the call.
//! let add: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
//! assert_eq!(add(1.0, 2.0), 3.0);
//! # }
//! # Ok::<(), jit_runtime::exec::ExecError>(())
//! ```

pub mod buffer;
mod error;
#[doc(hidden)]
pub mod fault;
mod file;
#[cfg(unix)]
mod place;
pub mod pool;
mod region;
mod slots;

pub use buffer::{ExecutableBuffer, INT3, MutableBuffer, page_size};
pub use error::{ExecError, ExecOp};
pub use pool::{ENTRY_ALIGN, ExecCode, Reloc, install, install_batch};

/// Locks `mutex`, and a poisoned one as it is: the runtime's locks guard lists and counters
/// that no holder leaves inconsistent when it panics, so a panic elsewhere never makes
/// installing or dropping code panic too. (Also the lock of `site`'s installed code.)
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The largest amount of code (in bytes, including batch padding) accepted by one
/// [`install`]/[`install_batch`] or [`MutableBuffer::new`]: 1 GiB. Larger requests are an
/// [`ExecError::InvalidLength`] rather than an attempt to map them.
///
/// ```
/// use jit_runtime::exec::{ExecError, MAX_INSTALL_LEN, MutableBuffer};
///
/// let err = MutableBuffer::new(MAX_INSTALL_LEN + 1).unwrap_err(); // nothing is mapped
/// assert!(matches!(err, ExecError::InvalidLength { len } if len == MAX_INSTALL_LEN + 1));
/// ```
pub const MAX_INSTALL_LEN: usize = 1 << 30;
