//! The mapping under every code buffer: whole pages with an inaccessible guard page on each
//! side, whose inner pages change protection on their own.
//!
//! # Why the guard pages
//!
//! Linux keeps neighbouring anonymous mappings with the same protection as one kernel region
//! (a VMA). Pool buffers are mapped next to each other, so without guards a buffer's pages are
//! part of a larger RW region: making them RX splits that region in three, and making them RW
//! again merges it back. Measured here, that costs about 2.5 µs per `mprotect`. With a
//! `PROT_NONE` page on each side, the inner pages are a region of their own whatever their
//! neighbours are, and `mprotect` only rewrites its flags and page-table entries: about 1.0 µs,
//! on installing code and again on dropping it. The guards cost address space only (they are
//! never touched, so never backed by memory), and a run-away access past either end of the
//! code faults at once instead of landing in another buffer. What they cost is paid when a
//! buffer is first mapped: two more `mprotect`s, and a region of three kernel mappings to
//! unmap later (mapping, first write, protecting and unmapping a fresh one-page buffer took
//! 14 µs in `examples/exec_cost.rs`, 8.4 µs without guards); the pool makes that rare.
//!
//! The mapping is asked for near the program's code (see [`place`](super::place) for why
//! and how), which needs `mmap`'s address hint; `memmap2` has none, so on Unix the mapping
//! is made here (`mmap` of the whole region as `PROT_NONE`, then the inner pages made
//! read-write), and elsewhere `memmap2` maps it wherever the OS likes. Protection changes go
//! through the `region` crate (`mprotect`, or `VirtualProtect` on Windows).

use std::io;

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
    fn protection(self) -> region::Protection {
        match self {
            Access::ReadWrite => region::Protection::READ_WRITE,
            Access::ReadExecute => region::Protection::READ_EXECUTE,
        }
    }
}

/// `len` bytes of pages between two guard pages. The inner pages start read-write; the
/// owner ([`MutableBuffer`](super::MutableBuffer) or
/// [`ExecutableBuffer`](super::ExecutableBuffer)) knows which access they have now.
pub(super) struct Region {
    /// The whole mapping, guards included. Never dereferenced as a whole: only the inner
    /// pages are ever read or written, through [`Region::bytes`] and [`Region::bytes_mut`].
    map: Mapping,
    len: usize,
}

impl Region {
    /// Maps `len` bytes (a positive whole number of pages) of read-write memory between two
    /// inaccessible pages. The inner pages are not touched yet.
    pub(super) fn new(len: usize) -> io::Result<Region> {
        let page = page_size();
        debug_assert!(len > 0 && len % page == 0);
        let total = len
            .checked_add(2 * page)
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        let region = Region {
            map: Mapping::inaccessible(total)?,
            len,
        };
        region.protect(Access::ReadWrite)?;
        Ok(region)
    }

    /// The first inner byte.
    pub(super) fn ptr(&self) -> *mut u8 {
        self.map.base().wrapping_add(page_size())
    }

    /// Length of the inner pages in bytes.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Gives the inner pages `access` (one `mprotect`).
    pub(super) fn protect(&self, access: Access) -> io::Result<()> {
        self.protect_range(page_size(), self.len, access)
    }

    fn protect_range(&self, offset: usize, len: usize, access: Access) -> io::Result<()> {
        // SAFETY: `offset..offset + len` lies inside this region's own mapping (callers pass
        // the guards or the inner pages), which is page-aligned and stays mapped while `self`
        // lives; no other mapping is affected. No Rust reference into these pages outlives a
        // change that removes the access it relies on: `bytes_mut` borrows `self` mutably and
        // is only called while the pages are read-write, `bytes` needs read access, which both
        // inner states grant, and the guards are never referenced.
        let changed = unsafe {
            region::protect(
                self.map.base().wrapping_add(offset),
                len,
                access.protection(),
            )
        };
        changed.map_err(|e| match e {
            region::Error::SystemCall(os) => os,
            other => io::Error::other(other),
        })
    }

    /// The inner pages, for reading. Both inner states (RW and RX) allow it.
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: the inner pages are `len` bytes at `ptr()`, mapped and readable for as long
        // as `self` lives; mutation needs `&mut self` (`bytes_mut`), so none happens while
        // this borrow lasts.
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
        // SAFETY: `base..base + len` is exactly the mapping made in `inaccessible`, owned by
        // `self` alone; no reference into it outlives `self` (they all borrow the `Region`).
        // Unmapping can only fail for invalid arguments, which these are not.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
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
