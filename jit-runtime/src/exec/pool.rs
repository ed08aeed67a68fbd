//! Installing code: a global, thread-safe pool of recycled pre-faulted buffers, and
//! [`ExecCode`], the handle that keeps installed code executable.
//!
//! # Size classes and bounds
//!
//! Buffers of 1, 2, 4, 8 and 16 pages are recycled; code is placed in the smallest class that
//! fits. (A `JitFn`'s own code of up to 2 KiB takes slots of a shared chunk instead where the
//! code file is in use: see the private `slots` module. The chunks are not counted here.)
//! Bigger code gets a fresh mapping of exactly the pages it needs, unmapped when its last
//! handle drops. At most [`MAX_IDLE_BYTES`] (16 MiB) of idle buffers are kept, across all
//! classes; a buffer that would exceed that is unmapped instead of being made writable again.
//! [`trim`] unmaps every idle buffer, [`reserve`] maps some in advance.
//!
//! # Two kinds of buffer
//!
//! On Linux x86-64 the buffers are ranges of the code file (see the private `file` module):
//! mapped read-execute for good, written with `pwrite`. Elsewhere, and wherever the code file
//! is refused or does not apply, they are RW [`MutableBuffer`]s made RX by `mprotect` for as
//! long as code lives in them (protection flips). Both kinds share the size classes and the
//! bound below; a class list may hold both.
//!
//! # Cost
//!
//! With a warm pool, [`install`] is a mutex pop, a `memcpy`, the relocation stores, an `int3`
//! fill of the bytes the previous user of the buffer left beyond the new code, and then
//! **one** system call: the `pwrite` of those bytes into a code-file buffer (about 0.3 µs
//! here), or the `mprotect` (RW -> RX) of a flip buffer (about 1.2 µs, and a TLB flush). No
//! `mmap`, no `munmap`, and no page fault: the pages are already resident. Dropping the last
//! handle costs a mutex push, and for a flip buffer one more `mprotect` (RX -> RW).

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::MAX_INSTALL_LEN;
use super::buffer::{ExecutableBuffer, INT3, MutableBuffer, page_size};
use super::error::ExecError;
use super::fault;
use super::file::FileBuffer;
use super::region::Region;
use super::slots::{self, Run};

/// An absolute-address slot in the code: after the code is copied, the 8 bytes at `offset`
/// (relative to the start of the function) are overwritten with `value`, little-endian.
///
/// Used for the addresses of the functions the code calls: the code generator keeps them in
/// 8-byte slots of the constant pool, called as `call qword ptr [rip+disp]` (the example
/// below patches the immediate of a `mov rax, imm64` instead, to show the mechanism alone).
///
/// ```
/// use jit_runtime::exec::{install, Reloc};
///
/// // mov rax, imm64; ret   -- the imm64 starts at offset 2
/// let mut code = vec![0x48, 0xb8];
/// code.extend_from_slice(&[0; 8]);
/// code.push(0xc3);
/// let f = install(&code, &[Reloc { offset: 2, value: 0x1234_5678_9abc_def0 }])?;
/// assert_eq!(&f.as_slice()[2..10], &0x1234_5678_9abc_def0_u64.to_le_bytes());
/// # #[cfg(target_arch = "x86_64")] {
/// // SAFETY: the bytes are a complete function returning a u64; `f` outlives the call.
/// let get: extern "C" fn() -> u64 = unsafe { std::mem::transmute(f.as_ptr()) };
/// assert_eq!(get(), 0x1234_5678_9abc_def0);
/// # }
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reloc {
    /// Offset of the 8-byte slot from the start of the function's code.
    pub offset: usize,
    /// The value to store there (little-endian).
    pub value: u64,
}

/// Alignment of every function placed by [`install_batch`] (and of every buffer start).
///
/// ```
/// use jit_runtime::exec::{ENTRY_ALIGN, install_batch};
///
/// let ret = [0xc3]; // one byte of code each, padded to the next entry
/// let fns = install_batch(&[(&ret[..], &[][..]), (&ret[..], &[][..])])?;
/// assert!(fns.iter().all(|f| f.as_ptr() as usize % ENTRY_ALIGN == 0));
/// assert_eq!(fns[1].as_ptr() as usize - fns[0].as_ptr() as usize, ENTRY_ALIGN);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub const ENTRY_ALIGN: usize = 16;

/// The most bytes of idle buffers the pool keeps mapped (all size classes together): 16 MiB.
/// Counted are the buffers' pages; each buffer also reserves a guard page on either side,
/// address space that is never touched and so never takes memory.
///
/// ```standalone_crate
/// use jit_runtime::exec::{page_size, pool::{self, MAX_IDLE_BYTES}};
///
/// // (a crate of its own: no other test takes buffers from the pool in between)
/// // 64 MiB of 16-page buffers asked for: the pool stops at its bound, and that is no error
/// pool::reserve(16 * page_size(), (64 << 20) / (16 * page_size()))?;
/// assert!(pool::idle_bytes() <= MAX_IDLE_BYTES);
/// assert!(pool::idle_bytes() > MAX_IDLE_BYTES - 16 * page_size()); // as many as fit
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub const MAX_IDLE_BYTES: usize = 16 << 20;

/// Pages per size class.
const CLASS_PAGES: [usize; 5] = [1, 2, 4, 8, 16];

/// A buffer that code can be written into: one that is RW now, or one of the code file.
enum Writable {
    Flip(MutableBuffer),
    File(FileBuffer),
}

impl Writable {
    /// A fresh buffer of `len` bytes (whole pages): from the code file where there is one.
    fn new(len: usize) -> Result<Writable, ExecError> {
        match FileBuffer::new(len) {
            Some(file) => Ok(Writable::File(file)),
            None => Ok(Writable::Flip(MutableBuffer::new(len)?)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Writable::Flip(buf) => buf.len(),
            Writable::File(buf) => buf.len(),
        }
    }

    /// Whether an install on this thread may use it: a file buffer if this thread uses the
    /// code file and the buffer is not shared with another process since a fork; a flip
    /// buffer if this thread uses flips, or if no file buffer could be made now (the guard
    /// budget is spent, or the last attempt failed: flips are then what new buffers are too).
    fn usable(&self) -> bool {
        match self {
            Writable::Flip(_) => {
                !FileBuffer::in_use() || !Region::guards_left() || FileBuffer::failing()
            }
            Writable::File(buf) => buf.is_private() && FileBuffer::in_use(),
        }
    }
}

/// Installed code's buffer: read-execute either way. (A run of slots is a buffer of its
/// own for the code in it, in pages that other code shares: see [`super::slots`].)
enum Live {
    Flip(ExecutableBuffer),
    File(FileBuffer),
    Slot(Run),
}

impl Live {
    fn as_ptr(&self) -> *const u8 {
        match self {
            Live::Flip(buf) => buf.as_ptr(),
            Live::File(buf) => buf.as_ptr(),
            Live::Slot(run) => run.as_ptr(),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Live::Flip(buf) => buf.as_slice(),
            Live::File(buf) => buf.as_slice(),
            Live::Slot(run) => run.as_slice(),
        }
    }
}

struct Idle {
    buf: Writable,
    /// Bytes from `dirty` to the end of the buffer are known to be `int3`.
    dirty: usize,
}

struct Pool {
    classes: [Mutex<Vec<Idle>>; CLASS_PAGES.len()],
    idle_bytes: AtomicUsize,
    /// The fork count ([`FileBuffer::forks`]) when the idle buffers of files frozen by a fork
    /// were last dropped (see [`drop_frozen`]).
    forks_seen: AtomicU64,
}

static POOL: Pool = Pool {
    classes: [const { Mutex::new(Vec::new()) }; CLASS_PAGES.len()],
    idle_bytes: AtomicUsize::new(0),
    forks_seen: AtomicU64::new(0),
};

/// Locks a class list (never panics: see [`super::lock`]).
fn lock(class: usize) -> MutexGuard<'static, Vec<Idle>> {
    super::lock(&POOL.classes[class])
}

/// The smallest class holding `len` bytes, if any. (Compared in bytes: counting the pages
/// was a 64-bit division by the page size, known only at run time, on every install.)
fn class_for(len: usize) -> Option<usize> {
    let page = page_size();
    CLASS_PAGES.iter().position(|&c| len <= c * page)
}

/// The class a buffer of exactly `len` bytes belongs to, if any.
fn class_of(len: usize) -> Option<usize> {
    let page = page_size();
    CLASS_PAGES.iter().position(|&c| c * page == len)
}

/// A buffer of at least `len` bytes to write code into, and how far its non-`int3` bytes may
/// reach.
fn take(len: usize) -> Result<(Writable, usize), ExecError> {
    let Some(class) = class_for(len) else {
        return Ok((Writable::Flip(MutableBuffer::new(len)?), 0));
    };
    let forks = FileBuffer::forks();
    if forks != POOL.forks_seen.load(Ordering::Relaxed) {
        drop_frozen(forks);
    }
    loop {
        let Some(Idle { buf, dirty }) = lock(class).pop() else {
            return Ok((Writable::new(CLASS_PAGES[class] * page_size())?, 0));
        };
        POOL.idle_bytes.fetch_sub(buf.len(), Ordering::Relaxed);
        if buf.usable() {
            return Ok((buf, dirty));
        }
        // A file buffer this thread may not use (it asked for flips) goes back for others,
        // and a new buffer is made. (If the code file was refused meanwhile, no thread can
        // use it: it is unmapped below.)
        if matches!(&buf, Writable::File(file) if file.is_private()) && fault::flips_forced() {
            give_back(buf, dirty);
            return Ok((Writable::new(CLASS_PAGES[class] * page_size())?, 0));
        }
        // A flip buffer that a thread which asked for flips dropped, while file buffers can
        // be made (so that others do not pay an mprotect for it), a file buffer frozen by a
        // fork, or one of a file refused since: unmapped.
        drop(buf);
    }
}

/// Drops the idle buffers of code files frozen by a fork, in every class. Each frozen file
/// stays open while any buffer of it lives; left at the bottom of the lists, idle buffers of
/// one file per fork would keep that many descriptors open in a program that forks often.
#[cold]
fn drop_frozen(forks: u64) {
    POOL.forks_seen.store(forks, Ordering::Relaxed);
    for class in 0..CLASS_PAGES.len() {
        let frozen: Vec<Idle> = {
            let mut list = lock(class);
            let (frozen, kept) = std::mem::take(&mut *list)
                .into_iter()
                .partition(|idle| matches!(&idle.buf, Writable::File(f) if !f.is_private()));
            *list = kept;
            frozen
        };
        for Idle { buf, .. } in frozen {
            POOL.idle_bytes.fetch_sub(buf.len(), Ordering::Relaxed);
            drop(buf); // unmapped outside the lock
        }
    }
}

/// Whether the pool would accept a buffer of `len` bytes right now.
fn wants(len: usize) -> bool {
    class_of(len).is_some() && POOL.idle_bytes.load(Ordering::Relaxed) + len <= MAX_IDLE_BYTES
}

/// Returns a buffer to the pool, or unmaps it if it has no class or the pool is full.
fn give_back(buf: Writable, dirty: usize) {
    let len = buf.len();
    let Some(class) = class_of(len) else {
        return; // dropped: unmapped
    };
    let mut list = lock(class);
    // Checked again under the lock: a fork since the caller's check froze the file. (A fork
    // between this check and the push still leaves it in the list, where no install will
    // write it; it is dropped when popped, or at the next fork's scan.)
    if matches!(&buf, Writable::File(file) if !file.is_private()) {
        drop(list);
        return;
    }
    // Reserve the bytes first so concurrent returns cannot overshoot the bound together.
    if POOL.idle_bytes.fetch_add(len, Ordering::Relaxed) + len <= MAX_IDLE_BYTES {
        list.push(Idle { buf, dirty });
    } else {
        POOL.idle_bytes.fetch_sub(len, Ordering::Relaxed);
        drop(list); // unmap outside the lock
        drop(buf);
    }
}

/// Bytes currently held by idle buffers in the pool.
///
/// ```standalone_crate
/// use jit_runtime::exec::{install, page_size, pool};
///
/// // (a crate of its own: no other test installs or drops code in between)
/// assert_eq!(pool::idle_bytes(), 0); // nothing installed yet
/// let code = install(&[0xc3], &[])?; // ret: one page, mapped as the pool is empty
/// drop(code); // its page goes back to the pool
/// assert_eq!(pool::idle_bytes(), page_size());
/// let again = install(&[0xc3], &[])?; // reuses it
/// assert_eq!(pool::idle_bytes(), 0);
/// # drop(again);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn idle_bytes() -> usize {
    POOL.idle_bytes.load(Ordering::Relaxed)
}

/// Unmaps every idle buffer and the spare chunk of slots for small functions, gives back the
/// memory of every page of slots without a function, lets go of a code file frozen by a fork
/// (closed once no code is left in it), and retries the unmappings the kernel refused (see
/// [`deferred_bytes`]). Installed code is not affected.
///
/// ```standalone_crate
/// use jit_runtime::exec::{install, pool};
///
/// // (a crate of its own: trimming would empty the pool under other tests' feet)
/// pool::reserve(1, 8)?;
/// let code = install(&[0xc3], &[])?; // ret
/// assert!(pool::idle_bytes() > 0);
/// pool::trim();
/// assert_eq!(pool::idle_bytes(), 0);
/// assert_eq!(code.as_slice(), &[0xc3]); // still installed
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn trim() {
    for class in 0..CLASS_PAGES.len() {
        let idle = std::mem::take(&mut *lock(class));
        for Idle { buf, .. } in idle {
            POOL.idle_bytes.fetch_sub(buf.len(), Ordering::Relaxed);
            drop(buf);
        }
    }
    slots::trim();
    FileBuffer::trim();
    super::region::retry_deferred();
}

/// Bytes of address space whose unmapping the kernel refused and that wait to be unmapped:
/// `munmap` fails when it would split a kernel region and the process is at
/// `vm.max_map_count`. Their memory is given back at once; the addresses are unmapped when a
/// later unmapping succeeds, or by [`trim`]. Zero unless the process ran out of regions.
///
/// ```
/// assert_eq!(jit_runtime::exec::pool::deferred_bytes(), 0);
/// ```
pub fn deferred_bytes() -> usize {
    super::region::deferred_bytes()
}

/// Maps `count` pre-faulted buffers of the size class that fits `len` bytes and puts them in
/// the pool (as far as [`MAX_IDLE_BYTES`] allows), so the next installs need no `mmap`.
///
/// Errors: [`ExecError::InvalidLength`] if `len` is zero or larger than the biggest class
/// (16 pages); [`ExecError::Os`] if mapping fails.
///
/// ```
/// use jit_runtime::exec::pool;
///
/// pool::reserve(100, 4)?;
/// assert!(pool::idle_bytes() >= 4 * jit_runtime::exec::page_size());
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn reserve(len: usize, count: usize) -> Result<(), ExecError> {
    let class = match class_for(len) {
        Some(class) if len > 0 => class,
        _ => return Err(ExecError::InvalidLength { len }),
    };
    let size = CLASS_PAGES[class] * page_size();
    for _ in 0..count {
        if !wants(size) {
            break;
        }
        give_back(Writable::new(size)?, 0);
    }
    Ok(())
}

/// The exclusive owner of one executable buffer, shared by all handles into it.
struct Owner {
    /// `None` only while dropping.
    buf: Option<Live>,
    /// Bytes at the start of the buffer that may differ from `int3`.
    used: usize,
}

impl Drop for Owner {
    fn drop(&mut self) {
        match self.buf.take() {
            None => {}
            Some(Live::Flip(buf)) if wants(buf.len()) => {
                // The last handle is gone, so no code in these pages can still be called:
                // making them writable again does not break W^X for live code. If the
                // change fails, make_mut has already unmapped the buffer; nothing leaks and
                // nothing panics.
                if let Ok(buf) = buf.make_mut() {
                    give_back(Writable::Flip(buf), self.used);
                }
            }
            // Its slots are freed for other small functions (by the run's own drop).
            Some(Live::Slot(run)) => drop(run),
            // Nothing to change: the pages stay read-execute until code is written again.
            // (`give_back` unmaps one shared with a child since a fork.)
            Some(Live::File(buf)) if wants(buf.len()) => {
                give_back(Writable::File(buf), self.used);
            }
            // Not wanted (the pool is full, or the buffer has no class): dropping it unmaps it,
            // which is cheaper than a protection change.
            Some(_) => {}
        }
    }
}

/// One function installed by [`install_sole`] into a buffer of its own, with exactly one
/// owner: unlike an [`ExecCode`] it is not shared, so it needs no allocation of its own.
/// The runtime keeps it inside a `JitFn`, which is shared already (one `malloc` and `free`
/// fewer per `Jit::compile`: 144 instructions of about 1 000 beyond code generation).
/// Dropping it recycles the buffer, as dropping the last handle of an [`ExecCode`] does.
pub(crate) struct SoleCode(Owner);

impl SoleCode {
    /// Address of the first byte of the function (64-byte aligned: a slot, or a page).
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.0.buf.as_ref().map_or(std::ptr::null(), Live::as_ptr)
    }

    /// A shareable handle to the same code.
    fn into_shared(self) -> ExecCode {
        let len = self.0.used;
        handle(&Arc::new(self.0), 0, len)
    }
}

/// Installed, executable code: one function, kept callable as long as any handle lives.
///
/// Handles are cheap to clone. All functions of one [`install_batch`] share one buffer;
/// it is recycled (returned to the pool; a flip buffer is made RW first) when the last handle
/// into it drops.
/// Calling the code through a pointer obtained from a handle is only valid while some handle
/// to the same buffer is alive.
///
/// ```
/// use jit_runtime::exec::{install, ExecCode};
///
/// // addsd xmm0, xmm1; ret
/// let code: ExecCode = install(&[0xf2, 0x0f, 0x58, 0xc1, 0xc3], &[])?;
/// assert_eq!(code.len(), 5);
/// assert_eq!(code.entry(4)?, code.as_ptr().wrapping_add(4));
/// assert!(code.entry(5).is_err());
/// # #[cfg(target_arch = "x86_64")] {
/// // SAFETY: the bytes are a complete function with this signature; `code` outlives the call.
/// let add: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
/// assert_eq!(add(0.5, 0.25), 0.75);
/// # }
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
#[derive(Clone)]
pub struct ExecCode {
    owner: Arc<Owner>,
    /// Offset of this function in the buffer.
    start: usize,
    /// Length of this function's code.
    len: usize,
    /// Address of the function (kept as an integer so the handle is `Send + Sync`).
    addr: usize,
}

impl ExecCode {
    /// Address of the first byte of the function (16-byte aligned).
    ///
    /// ```
    /// use jit_runtime::exec::install;
    ///
    /// let code = install(&[0xf2, 0x0f, 0x59, 0xc1, 0xc3], &[])?; // mulsd xmm0, xmm1; ret
    /// assert_eq!(code.as_ptr() as usize % 16, 0);
    /// # #[cfg(target_arch = "x86_64")] {
    /// // SAFETY: the bytes are a complete function with this signature; `code` outlives the call.
    /// let mul: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
    /// assert_eq!(mul(1.5, 4.0), 6.0);
    /// # }
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.addr as *const u8
    }

    /// Length of the function's code in bytes (without padding).
    ///
    /// ```
    /// let code = jit_runtime::exec::install(&[0x90, 0x90, 0xc3], &[])?; // nop; nop; ret
    /// assert_eq!(code.len(), 3); // not the page it sits in
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: empty code cannot be installed.
    ///
    /// ```
    /// use jit_runtime::exec::{ExecError, install};
    ///
    /// assert!(!install(&[0xc3], &[])?.is_empty());
    /// assert!(matches!(install(&[], &[]), Err(ExecError::EmptyCode { function: 0 })));
    /// # Ok::<(), ExecError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Address of the byte at `offset` from the start of the function, for functions with
    /// several entry points.
    ///
    /// Errors: [`ExecError::EntryOutOfBounds`] unless `offset < self.len()`.
    ///
    /// ```
    /// use jit_runtime::exec::{ExecError, install};
    ///
    /// let code = install(&[0x90, 0xc3], &[])?; // nop; ret: a second entry at the ret
    /// assert_eq!(code.entry(1)?, code.as_ptr().wrapping_add(1));
    /// assert!(matches!(code.entry(2), Err(ExecError::EntryOutOfBounds { offset: 2, len: 2 })));
    /// # Ok::<(), ExecError>(())
    /// ```
    pub fn entry(&self, offset: usize) -> Result<*const u8, ExecError> {
        if offset < self.len {
            Ok(self.as_ptr().wrapping_add(offset))
        } else {
            Err(ExecError::EntryOutOfBounds {
                offset,
                len: self.len,
            })
        }
    }

    /// The function's bytes as installed (relocations applied), e.g. to disassemble them.
    ///
    /// ```
    /// use jit_runtime::exec::{Reloc, install};
    ///
    /// // mov rax, imm64; ret   -- the imm64 is patched in
    /// let code = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xc3];
    /// let f = install(&code, &[Reloc { offset: 2, value: 0x0807_0605_0403_0201 }])?;
    /// assert_eq!(f.as_slice(), &[0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 0xc3]);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        match &self.owner.buf {
            Some(buf) => &buf.as_slice()[self.start..self.start + self.len],
            None => &[],
        }
    }

    /// Whether `self` and `other` share one buffer (come from the same install).
    ///
    /// ```
    /// use jit_runtime::exec::{install, install_batch};
    ///
    /// let ret = [0xc3];
    /// let batch = install_batch(&[(&ret[..], &[][..]), (&ret[..], &[][..])])?;
    /// assert!(batch[0].shares_buffer_with(&batch[1]));
    /// let single = install(&ret, &[])?;
    /// assert!(single.shares_buffer_with(&single.clone()));
    /// assert!(!single.shares_buffer_with(&batch[0]));
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn shares_buffer_with(&self, other: &ExecCode) -> bool {
        Arc::ptr_eq(&self.owner, &other.owner)
    }
}

impl fmt::Debug for ExecCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecCode")
            .field("ptr", &self.as_ptr())
            .field("len", &self.len)
            .finish()
    }
}

/// Checks that `code` is non-empty and every relocation slot lies inside it.
fn validate(function: usize, code: &[u8], relocs: &[Reloc]) -> Result<(), ExecError> {
    if code.is_empty() {
        return Err(ExecError::EmptyCode { function });
    }
    for (index, r) in relocs.iter().enumerate() {
        if r.offset.checked_add(8).is_none_or(|end| end > code.len()) {
            return Err(ExecError::RelocOutOfBounds {
                function,
                index,
                offset: r.offset,
                code_len: code.len(),
            });
        }
    }
    Ok(())
}

/// Copies validated `code` to the start of `dst` and applies `relocs`.
fn place(dst: &mut [u8], code: &[u8], relocs: &[Reloc]) {
    dst[..code.len()].copy_from_slice(code);
    for r in relocs {
        dst[r.offset..r.offset + 8].copy_from_slice(&r.value.to_le_bytes());
    }
}

/// Takes a buffer for `total` bytes, lets `write` fill `[0, total)`, pads the rest with `int3`
/// as far as the previous user wrote, and makes it executable: the one system call, a
/// `pwrite` into a code-file buffer or the `mprotect` of a flip buffer.
fn build(total: usize, write: impl FnOnce(&mut [u8])) -> Result<Owner, ExecError> {
    if total == 0 || total > MAX_INSTALL_LEN {
        return Err(ExecError::InvalidLength { len: total });
    }
    // On failure below, the buffer is dropped (unmapped); the pool stays usable.
    let live = match take(total)? {
        (Writable::Flip(mut buf), dirty) => {
            let bytes = buf.as_mut_slice();
            write(&mut bytes[..total]);
            if dirty > total {
                bytes[total..dirty].fill(INT3);
            }
            Live::Flip(buf.make_exec()?)
        }
        (Writable::File(mut buf), dirty) => {
            assembled(total.max(dirty), total, write, |bytes| buf.write(bytes))?;
            Live::File(buf)
        }
    };
    Ok(Owner {
        buf: Some(live),
        used: total,
    })
}

/// Assembles `len` bytes for a write through the code file: `write` fills `[0, total)`, the
/// rest is `int3`; then `sink` gets them (one `pwrite`). On the stack up to
/// [`slots::MAX_SLOTTED`] bytes (every expression of the benchmark): a heap buffer cost 124
/// instructions an install, and filling all 2 KiB for a short run 60, so short code fills a
/// short array.
fn assembled<R>(
    len: usize,
    total: usize,
    write: impl FnOnce(&mut [u8]),
    sink: impl FnOnce(&[u8]) -> R,
) -> R {
    let (mut short, mut long, mut heap);
    let bytes: &mut [u8] = if len <= 256 {
        short = [INT3; 256];
        &mut short[..len]
    } else if len <= slots::MAX_SLOTTED {
        long = [INT3; slots::MAX_SLOTTED];
        &mut long[..len]
    } else {
        heap = vec![INT3; len];
        &mut heap[..]
    };
    write(&mut bytes[..total]);
    sink(bytes)
}

fn handle(owner: &Arc<Owner>, start: usize, len: usize) -> ExecCode {
    let base = owner.buf.as_ref().map_or(0, |b| b.as_ptr() as usize);
    ExecCode {
        owner: Arc::clone(owner),
        start,
        len,
        addr: base + start,
    }
}

/// Installs one function: copies `code` into executable memory and applies `relocs`.
///
/// Takes a pre-faulted buffer from the pool (mapping one only if the pool has none of the
/// right size), so with a warm pool this costs exactly one system call (a `pwrite` into the
/// code file, or an `mprotect`; see the [module documentation](self)) and no `mmap` or page
/// fault. Everything after the code up to the end of its pages is `int3`.
///
/// Errors: [`ExecError::EmptyCode`], [`ExecError::RelocOutOfBounds`] (checked before any
/// memory is touched), [`ExecError::InvalidLength`] for more than
/// [`MAX_INSTALL_LEN`] bytes, [`ExecError::Os`] if mapping, the write or the
/// protection change fails (the pool stays usable).
///
/// ```
/// let code = jit_runtime::exec::install(&[0xc3], &[])?; // ret
/// assert_eq!(code.as_slice(), &[0xc3]);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn install(code: &[u8], relocs: &[Reloc]) -> Result<ExecCode, ExecError> {
    validate(0, code, relocs)?;
    build(code.len(), |dst| place(dst, code, relocs)).map(|owner| SoleCode(owner).into_shared())
}

/// [`install`] without the shareable handle: the same checks, errors, bytes and single
/// system call, one allocation fewer; and small code shares pages.
///
/// Code of up to [`slots::MAX_SLOTTED`] bytes goes into slots of a page that other small
/// functions share, where the code file is in use (see [`super::slots`]): no page of its own,
/// and no new mapping for each function kept alive.
pub(crate) fn install_sole(code: &[u8], relocs: &[Reloc]) -> Result<SoleCode, ExecError> {
    validate(0, code, relocs)?;
    let write = |dst: &mut [u8]| place(dst, code, relocs);
    match slots::take(code.len()) {
        Some(run) => slotted(run, code.len(), write),
        None => build(code.len(), write),
    }
    .map(SoleCode)
}

/// [`build`] into a run of slots: `write` fills `[0, total)`, `int3` the rest of the run, and
/// the run is written with one `pwrite`. (On failure the run is dropped: its slots are free.)
fn slotted(mut run: Run, total: usize, write: impl FnOnce(&mut [u8])) -> Result<Owner, ExecError> {
    assembled(run.len(), total, write, |bytes| run.write(bytes))?;
    Ok(Owner {
        buf: Some(Live::Slot(run)),
        used: total,
    })
}

/// Installs several functions into one buffer with one system call (as [`install`]);
/// returns one handle per function, in order.
///
/// Each function starts at a multiple of [`ENTRY_ALIGN`] (16) bytes; the gaps are `int3`.
/// Relocation offsets are relative to the start of their own function. All handles share the
/// buffer, which stays executable until the last of them drops. An empty list returns an
/// empty vector without touching memory.
///
/// Errors: as for [`install`], with `function` naming the offending entry;
/// [`ExecError::InvalidLength`] if the total with padding exceeds
/// [`MAX_INSTALL_LEN`].
///
/// ```
/// use jit_runtime::exec::{install_batch, Reloc};
///
/// let add = [0xf2, 0x0f, 0x58, 0xc1, 0xc3]; // addsd xmm0, xmm1; ret
/// let mul = [0xf2, 0x0f, 0x59, 0xc1, 0xc3]; // mulsd xmm0, xmm1; ret
/// let fns = install_batch(&[(&add[..], &[][..]), (&mul[..], &[][..])])?;
/// assert_eq!(fns.len(), 2);
/// assert_eq!(fns[1].as_ptr() as usize - fns[0].as_ptr() as usize, 16);
/// assert!(fns[0].shares_buffer_with(&fns[1]));
/// # #[cfg(target_arch = "x86_64")] {
/// // SAFETY: both are complete functions with this signature; the handles outlive the calls.
/// let (a, m): (extern "C" fn(f64, f64) -> f64, extern "C" fn(f64, f64) -> f64) = unsafe {
///     (std::mem::transmute(fns[0].as_ptr()), std::mem::transmute(fns[1].as_ptr()))
/// };
/// assert_eq!((a(2.0, 3.0), m(2.0, 3.0)), (5.0, 6.0));
/// # }
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub fn install_batch(codes: &[(&[u8], &[Reloc])]) -> Result<Vec<ExecCode>, ExecError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let mut starts = Vec::with_capacity(codes.len());
    let mut end = 0usize;
    for (function, (code, relocs)) in codes.iter().enumerate() {
        validate(function, code, relocs)?;
        let start = end
            .checked_next_multiple_of(ENTRY_ALIGN)
            .filter(|s| *s <= MAX_INSTALL_LEN)
            .ok_or(ExecError::InvalidLength { len: end })?;
        starts.push(start);
        end = start
            .checked_add(code.len())
            .ok_or(ExecError::InvalidLength { len: usize::MAX })?;
    }
    let owner = Arc::new(build(end, |dst| {
        let mut filled = 0;
        for (&start, (code, relocs)) in starts.iter().zip(codes) {
            dst[filled..start].fill(INT3);
            place(&mut dst[start..], code, relocs);
            filled = start + code.len();
        }
    })?);
    Ok(starts
        .iter()
        .zip(codes)
        .map(|(&start, (code, _))| handle(&owner, start, code.len()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer_bytes(code: &ExecCode) -> &[u8] {
        code.owner.buf.as_ref().map_or(&[], Live::as_slice)
    }

    #[test]
    fn reused_buffers_are_padded_with_int3() {
        // Fill most of a one-page buffer with nops, drop it, then install a tiny function:
        // whichever buffer it gets, everything after the code must be int3.
        let mut long = vec![0x90; page_size() - 100];
        *long.last_mut().unwrap() = 0xc3;
        for _ in 0..4 {
            drop(install(&long, &[]).unwrap());
            let small = install(&[0xc3], &[]).unwrap();
            let bytes = buffer_bytes(&small);
            assert_eq!(bytes.len(), page_size());
            assert_eq!(bytes[0], 0xc3);
            assert!(bytes[1..].iter().all(|&b| b == INT3));
        }
    }

    #[test]
    fn sole_code_is_installed_as_a_handle_is() {
        // mov rax, imm64; ret -- the imm64 patched in
        let code = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xc3];
        let relocs = [Reloc {
            offset: 2,
            value: 0x0807_0605_0403_0201,
        }];
        let sole = install_sole(&code, &relocs).unwrap();
        let shared = install(&code, &relocs).unwrap();
        let bytes = sole.0.buf.as_ref().unwrap().as_slice();
        assert_eq!(bytes.as_ptr(), sole.as_ptr());
        assert_eq!(&bytes[..code.len()], shared.as_slice());
        assert!(bytes[code.len()..].iter().all(|&b| b == INT3));
        assert!(matches!(
            install_sole(&[], &[]),
            Err(ExecError::EmptyCode { function: 0 })
        ));
        let too_far = [Reloc {
            offset: 4,
            value: 0,
        }];
        assert_eq!(
            format!("{:?}", install_sole(&code, &too_far).err()),
            format!("{:?}", install(&code, &too_far).err())
        );
    }

    #[test]
    fn small_sole_code_fills_its_slots_with_int3() {
        // A run of two slots dropped, then one byte of code: whichever slots it gets, the
        // rest of its run is int3 (or of its page, without the code file).
        let run = if fault::code_file_in_use() {
            slots::SLOT
        } else {
            page_size()
        };
        for _ in 0..4 {
            drop(install_sole(&[0x90; 100], &[]).unwrap());
            let small = install_sole(&[0xc3], &[]).unwrap();
            let bytes = small.0.buf.as_ref().unwrap().as_slice();
            assert_eq!(bytes.len(), run);
            assert_eq!(small.as_ptr() as usize % run, 0);
            assert_eq!(bytes[0], 0xc3);
            assert!(bytes[1..].iter().all(|&b| b == INT3));
        }
        // the longest slotted code fills 32 slots; longer code has a page of its own
        let longest = install_sole(&[0xc3; slots::MAX_SLOTTED], &[]).unwrap();
        assert_eq!(
            longest.0.buf.as_ref().unwrap().as_slice().len(),
            run.max(2048)
        );
        let long = install_sole(&[0xc3; slots::MAX_SLOTTED + 1], &[]).unwrap();
        assert_eq!(long.0.buf.as_ref().unwrap().as_slice().len(), page_size());
        assert_eq!(long.as_ptr() as usize % page_size(), 0);
    }

    #[test]
    fn size_classes() {
        let p = page_size();
        assert_eq!(class_for(1), Some(0));
        assert_eq!(class_for(p), Some(0));
        assert_eq!(class_for(p + 1), Some(1));
        assert_eq!(class_for(3 * p), Some(2));
        assert_eq!(class_for(16 * p), Some(4));
        assert_eq!(class_for(16 * p + 1), None);
        assert_eq!(class_of(8 * p), Some(3));
        assert_eq!(class_of(3 * p), None);
        assert!(reserve(0, 1).is_err());
        assert!(reserve(17 * p, 1).is_err());
    }
}
