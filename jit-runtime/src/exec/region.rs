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
//! `memmap2` owns the mapping (it maps and unmaps it); it has no call for changing the
//! protection of part of a mapping, so the `region` crate makes that one system call
//! (`mprotect`, or `VirtualProtect` on Windows).

use std::io;

use memmap2::{MmapOptions, MmapRaw};

use super::buffer::page_size;

/// What the inner pages of a [`Region`] may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Inaccessible (the guards).
    None,
    /// Read and write: code is being written.
    ReadWrite,
    /// Read and execute: code may run.
    ReadExecute,
}

impl Access {
    fn protection(self) -> region::Protection {
        match self {
            Access::None => region::Protection::NONE,
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
    map: MmapRaw,
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
        let map = MmapRaw::from(MmapOptions::new().len(total).map_anon()?);
        let region = Region { map, len };
        region.protect_range(0, page, Access::None)?;
        region.protect_range(page + len, page, Access::None)?;
        Ok(region)
    }

    /// The first inner byte.
    pub(super) fn ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr().wrapping_add(page_size())
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
                self.map.as_ptr().wrapping_add(offset),
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
