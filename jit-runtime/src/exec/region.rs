//! The mapping under every code buffer: whole pages, normally with an inaccessible guard page
//! on each side, whose inner pages change protection on their own.
//!
//! # Why the guard pages
//!
//! Linux keeps neighbouring anonymous mappings with the same protection as one kernel region
//! (a VMA). Code buffers are mapped next to each other, so without guards a buffer's pages are
//! part of a larger region: making them RX splits that region, and making them RW again
//! merges it back. Measured here, that costs 2–2.5 µs per `mprotect`. With a `PROT_NONE` page
//! on each side, the inner pages are a region of their own whatever their neighbours are, and
//! `mprotect` only rewrites its flags and page-table entries: about 1.0 µs, on installing code
//! and again on dropping it. The guards cost address space only (never touched, so never
//! backed by memory), and a run-away access past either end of the code faults at once.
//!
//! # Why not always
//!
//! A guarded buffer is two kernel regions of its own (guards next to each other merge), and a
//! process may have only so many (`vm.max_map_count`, 65 530 by default): with guards on every
//! buffer, mapping failed at 32 747 live functions, where unguarded neighbours merge and
//! 100 000 live functions took 40 regions. So at most [`MAX_GUARDED`] buffers (8 192 regions,
//! an eighth of the default limit) have guards at a time; later ones are mapped without, and
//! pay the slower `mprotect` instead of failing.
//!
//! The code file's buffers (Linux x86-64, see [`file`](super::file)) are regions too: the
//! inner pages are a shared read-execute mapping of the file, made over the reservation, and
//! never change protection. They get guards from the same budget: the guards trap a run-away
//! jump, and the budget bounds the process's kernel regions (with its guards, a file buffer
//! is a region of its own). Once it is spent, new buffers are flip buffers without guards,
//! which merge.
//!
//! Merged regions have a cost when code is dropped: unmapping a buffer from the middle of
//! one splits it, which the kernel refuses at `vm.max_map_count`. Such a buffer's memory is
//! given back at once and its addresses are unmapped later (see [`DEFERRED`]).
//!
//! The mapping is asked for near the program's code (see [`super::place`] for why
//! and how), which needs `mmap`'s address hint; `memmap2` has none, so on Unix the mapping
//! is made here (`mmap` of the whole region as `PROT_NONE`, then the inner pages made
//! read-write), and elsewhere `memmap2` maps it wherever the OS likes. Protection changes are
//! `mprotect` calls on Unix, and go through the `region` crate (`VirtualProtect`) elsewhere.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::buffer::page_size;
#[cfg(unix)]
use super::place;

/// What the inner pages of a [`Region`] may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Read and write: code is being written.
    ReadWrite,
    /// Read and execute: code may run.
    ReadExecute,
}

impl Access {
    #[cfg(unix)]
    fn protection(self) -> libc::c_int {
        match self {
            Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Access::ReadExecute => libc::PROT_READ | libc::PROT_EXEC,
        }
    }

    #[cfg(not(unix))]
    fn protection(self) -> region::Protection {
        match self {
            Access::ReadWrite => region::Protection::READ_WRITE,
            Access::ReadExecute => region::Protection::READ_EXECUTE,
        }
    }
}

/// The most buffers that have guard pages at any one time (see the module documentation).
pub(super) const MAX_GUARDED: usize = 4096;

/// Buffers with guard pages now.
static GUARDED: AtomicUsize = AtomicUsize::new(0);

/// `len` bytes of pages, between two guard pages if the budget allows. The inner pages start
/// read-write; the owner ([`MutableBuffer`](super::MutableBuffer) or
/// [`ExecutableBuffer`](super::ExecutableBuffer)) knows which access they have now. (Or, made
/// by [`Region::file_backed`], a read-execute mapping of the code file for good, owned by a
/// [`FileBuffer`](super::file::FileBuffer).)
pub(super) struct Region {
    /// The whole mapping, guards included. Never dereferenced as a whole: only the inner
    /// pages are ever read or written, through [`Region::bytes`] and [`Region::bytes_mut`].
    map: Mapping,
    /// Offset of the inner pages in `map`: one page with guards, 0 without.
    start: usize,
    len: usize,
}

impl Region {
    /// Maps `len` bytes (a positive whole number of pages) of read-write memory, between two
    /// inaccessible pages while fewer than [`MAX_GUARDED`] regions have them. The inner pages
    /// are not touched yet.
    pub(super) fn new(len: usize) -> io::Result<Region> {
        debug_assert!(len > 0 && len % page_size() == 0);
        let region = Region::reserve(len, take_guard())?;
        region.protect(Access::ReadWrite)?;
        Ok(region)
    }

    /// `len` bytes of inaccessible pages, between two guard pages if `guarded` (a unit of the
    /// guard budget that the caller took: given back here if mapping fails, and by the
    /// region's drop otherwise).
    fn reserve(len: usize, guarded: bool) -> io::Result<Region> {
        let start = if guarded { page_size() } else { 0 };
        let map = len
            .checked_add(2 * start)
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))
            .and_then(Mapping::inaccessible);
        match map {
            Ok(map) => Ok(Region { map, start, len }),
            Err(e) => {
                if guarded {
                    GUARDED.fetch_sub(1, Ordering::Relaxed);
                }
                Err(e)
            }
        }
    }

    /// Maps `len` bytes (a positive whole number of pages) of `fd` from `offset` on, shared and
    /// read-execute, between two inaccessible pages. With `populate`, the page-table entries
    /// are filled at once (`MAP_POPULATE`), so running the code later takes no page fault
    /// (for pages the file has in memory: populating a hole would allocate its page). `None`
    /// when the guard budget is spent: such a region would not be a kernel region of its own
    /// (see the module documentation), and the caller falls back to anonymous memory.
    ///
    /// The inner pages are never made writable: [`Region::protect`] must not be called on
    /// such a region (its owner, [`FileBuffer`](super::file::FileBuffer), never does).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub(super) fn file_backed(
        len: usize,
        fd: std::os::fd::BorrowedFd<'_>,
        offset: u64,
        populate: bool,
    ) -> io::Result<Option<Region>> {
        use std::os::fd::AsRawFd;
        let page = page_size();
        debug_assert!(len > 0 && len % page == 0 && offset % page as u64 == 0);
        if !take_guard() {
            return Ok(None);
        }
        // From here on, dropping the region gives the guard budget back and unmaps it all.
        let region = Region::reserve(len, true)?;
        let offset = libc::off_t::try_from(offset).map_err(|_| io::Error::other("offset"))?;
        let populate = if populate { libc::MAP_POPULATE } else { 0 };
        // SAFETY: MAP_FIXED replaces exactly the inner pages of the reservation just made,
        // which this region owns and nothing refers to yet; no other mapping is touched. The
        // file mapping is read-execute only.
        let p = unsafe {
            libc::mmap(
                region.ptr().cast(),
                len,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_SHARED | libc::MAP_FIXED | populate,
                fd.as_raw_fd(),
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            // (Kernels before 6.12 may leave the range unmapped after a failed MAP_FIXED, and
            // another thread's mapping could land there before the region's drop unmaps the
            // whole reservation. Such a failure needs the kernel out of memory; accepted.)
            return Err(io::Error::last_os_error());
        }
        Ok(Some(region))
    }

    /// Whether a new region would get guard pages now (the budget is not spent). Only a hint
    /// when other threads map at the same time.
    pub(super) fn guards_left() -> bool {
        GUARDED.load(Ordering::Relaxed) < MAX_GUARDED
    }

    /// Whether this region has guard pages.
    fn is_guarded(&self) -> bool {
        self.start != 0
    }

    /// The first inner byte.
    pub(super) fn ptr(&self) -> *mut u8 {
        self.map.base().wrapping_add(self.start)
    }

    /// Length of the inner pages in bytes.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Gives the inner pages `access` (one `mprotect`).
    pub(super) fn protect(&self, access: Access) -> io::Result<()> {
        // SAFETY: the inner pages lie inside this region's own mapping, page-aligned, mapped
        // while `self` lives; no other mapping is affected. No Rust reference into them
        // outlives a change that removes the access it relies on: `bytes_mut` borrows `self`
        // mutably and is only called while the pages are read-write, and `bytes` needs read
        // access, which both states grant.
        unsafe { protect_pages(self.ptr(), self.len, access) }
    }

    /// The inner pages, for reading. Both inner states (RW and RX) allow it.
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: the inner pages are `len` bytes at `ptr()`, mapped and readable for as long
        // as `self` lives; mutation needs `&mut self` (`bytes_mut`), or for a file-backed
        // region a write through the file by its owner, which takes `&mut` of the owner
        // (`FileBuffer::write`), so none happens while this borrow lasts. (The one other
        // write, the `unsafe` `FileBuffer::write_at` of the slots of small functions, and the
        // punching out of their free pages, are made only where no slice is: those chunks
        // never lend a slice of their whole region.)
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len) }
    }

    /// The inner pages, for writing.
    ///
    /// # Safety
    /// The inner pages must currently be read-write (the caller is the
    /// [`MutableBuffer`](super::MutableBuffer) that owns this region).
    pub(super) unsafe fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and the caller guarantees write access; `&mut self` makes
        // this the only borrow.
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), self.len) }
    }
}

/// Takes a unit of the guard budget if one is left: whether a new region gets guard pages.
fn take_guard() -> bool {
    let taken = GUARDED.fetch_add(1, Ordering::Relaxed) < MAX_GUARDED;
    if !taken {
        GUARDED.fetch_sub(1, Ordering::Relaxed);
    }
    taken
}

/// Gives `len` bytes of whole pages at `ptr` the access `access`: `mprotect` itself on Unix.
/// (`region::protect` first rounds the range to pages, which ours already are: a division by
/// the page size and 60 instructions a call, two calls per compiled function.)
///
/// # Safety
/// The pages must belong to a mapping the caller owns, and no reference into them may rely
/// on an access the change removes.
#[cfg(unix)]
unsafe fn protect_pages(ptr: *mut u8, len: usize, access: Access) -> io::Result<()> {
    // SAFETY: the caller's contract.
    match unsafe { libc::mprotect(ptr.cast(), len, access.protection()) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// Gives `len` bytes of whole pages at `ptr` the access `access` (`VirtualProtect`).
///
/// # Safety
/// As for the Unix version.
#[cfg(not(unix))]
unsafe fn protect_pages(ptr: *mut u8, len: usize, access: Access) -> io::Result<()> {
    // SAFETY: the caller's contract.
    let changed = unsafe { region::protect(ptr, len, access.protection()) };
    changed.map_err(|e| match e {
        region::Error::SystemCall(os) => os,
        other => io::Error::other(other),
    })
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.is_guarded() {
            GUARDED.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// An anonymous mapping of whole pages, all inaccessible when made, unmapped on drop.
#[cfg(unix)]
struct Mapping {
    base: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: a `Mapping` is the sole owner of its pages, like memmap2's `MmapRaw` (which is
// `Send + Sync`): the pointer is only an address, and reads and writes through it are
// governed by `Region`'s `&self`/`&mut self` borrows, not by the thread that made it.
#[cfg(unix)]
unsafe impl Send for Mapping {}
// SAFETY: as for `Send`; shared references only read (`Region::bytes`) or change the
// protection, which the kernel serializes.
#[cfg(unix)]
unsafe impl Sync for Mapping {}

#[cfg(unix)]
impl Mapping {
    /// Maps `len` bytes of `PROT_NONE` memory, near the program's code if that address range
    /// is free.
    fn inaccessible(len: usize) -> io::Result<Mapping> {
        let hint = place::hint(len);
        // SAFETY: a new private anonymous mapping; without MAP_FIXED the hint is only a
        // preference, so no existing mapping can be replaced.
        let p = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = std::ptr::NonNull::new(p.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned null"))?;
        Ok(Mapping { base, len })
    }

    fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }
}

#[cfg(unix)]
impl Drop for Mapping {
    fn drop(&mut self) {
        let (base, len) = (self.base.as_ptr() as usize, self.len);
        // SAFETY: `base..base + len` is exactly the mapping made in `inaccessible`, owned by
        // `self` alone; no reference into it outlives `self` (they all borrow the `Region`).
        if unsafe { unmap(base, len) } {
            if DEFERRED_BYTES.load(Ordering::Relaxed) > 0 {
                retry_deferred();
            }
        } else {
            // SAFETY: as above; the pages are never read again (their addresses are only
            // kept to be unmapped), so dropping their contents changes nothing observable.
            unsafe { libc::madvise(base as *mut libc::c_void, len, libc::MADV_DONTNEED) };
            let mut deferred = super::lock(&DEFERRED);
            deferred.push((base, len));
            DEFERRED_BYTES.fetch_add(len, Ordering::Relaxed);
        }
    }
}

/// Mappings whose `munmap` failed, as (address, length). Unmapping pages from the middle of
/// a kernel region splits it, which fails (`ENOMEM`) when the process is at
/// `vm.max_map_count`: unguarded buffers merge into such regions (see the module docs).
/// Their memory is given back at once (`MADV_DONTNEED`) and their addresses are unmapped
/// when a later unmapping succeeds, or by [`pool::trim`](super::pool::trim): by then their
/// neighbours are usually gone, so no split is needed.
#[cfg(unix)]
static DEFERRED: std::sync::Mutex<Vec<(usize, usize)>> = std::sync::Mutex::new(Vec::new());

/// The bytes in [`DEFERRED`], read without its lock on every unmapping.
static DEFERRED_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Unmaps `base..base + len`; false if the kernel refused (or a test injected a failure,
/// see [`fault::fail_next_unmaps`](super::fault::fail_next_unmaps)).
///
/// # Safety
/// The range must be a mapping (or the rest of one) that nothing refers to any more.
#[cfg(unix)]
unsafe fn unmap(base: usize, len: usize) -> bool {
    if super::fault::take_unmap_failure() {
        return false;
    }
    // SAFETY: the caller's contract.
    unsafe { libc::munmap(base as *mut libc::c_void, len) == 0 }
}

/// Tries again to unmap the mappings whose unmapping failed.
pub(super) fn retry_deferred() {
    #[cfg(unix)]
    {
        let mut deferred = super::lock(&DEFERRED);
        // SAFETY: each range was a whole mapping whose owner has been dropped; it stays
        // mapped (so the kernel gives its addresses to no one else) until unmapped here.
        deferred.retain(|&(base, len)| !unsafe { unmap(base, len) });
        let left = deferred.iter().map(|&(_, len)| len).sum();
        DEFERRED_BYTES.store(left, Ordering::Relaxed);
    }
}

/// Bytes of address space that wait to be unmapped (see [`DEFERRED`]); their memory is
/// already given back. Zero unless the process ran out of kernel regions.
pub(super) fn deferred_bytes() -> usize {
    DEFERRED_BYTES.load(Ordering::Relaxed)
}

/// An anonymous mapping of whole pages, all inaccessible when made, unmapped on drop
/// (memmap2, placed by the OS).
#[cfg(not(unix))]
struct Mapping {
    map: memmap2::MmapRaw,
}

#[cfg(not(unix))]
impl Mapping {
    fn inaccessible(len: usize) -> io::Result<Mapping> {
        let map = memmap2::MmapRaw::from(memmap2::MmapOptions::new().len(len).map_anon()?);
        // SAFETY: the whole of the mapping just made, referenced by nothing yet.
        unsafe { region::protect(map.as_ptr(), len, region::Protection::NONE) }
            .map_err(io::Error::other)?;
        Ok(Mapping { map })
    }

    fn base(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }
}
