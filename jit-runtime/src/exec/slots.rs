//! Small functions share pages: slots of the code file.
//!
//! # Why
//!
//! A buffer of the pool is at least one page, and a pool only recycles what was dropped: a
//! program that keeps its functions paid a page of memory (4 KiB for the 13 bytes of
//! `2*x^0.5`) and a fresh mapping for each (two `mmap`s and an `int3` fill, 7–8 µs against
//! the 0.8 µs of a compilation that reuses a buffer). With the code file nothing changes
//! protection per buffer, so buffers need not be whole pages: a function of up to
//! [`MAX_SLOTTED`] bytes takes a run of 64-byte slots in a *chunk*, a 64 KiB buffer of the
//! code file that many functions share. One chunk is mapped per 1 024 slots.
//!
//! # Rules
//!
//! * A run never crosses a page (it lies within one 64-slot word of the chunk's bitmap) and
//!   is written whole: the code, then `int3` to the end of its last slot. Slots that no
//!   function holds may keep a dead function's bytes, as an idle pool buffer does.
//! * Only free slots are written (`FileBuffer::write_at`, one `pwrite`); the live code in the
//!   chunk's other slots is never touched, and no slice of the chunk is made beyond a live
//!   run's own bytes.
//! * Chunks of a file frozen by a fork are not written again, by either process (each could
//!   claim the same free slot), nor punched: they leave the list of chunks to fill at the
//!   first look after the fork, and are unmapped when their last function drops. (An install
//!   that claimed its slots just before a fork on another thread writes them just after it:
//!   harmless, as the slots were free at the fork and the child never writes the file.) A
//!   child forked while another thread held the lock of this module waits forever at its
//!   first small install or drop, as with the runtime's other locks; the lock is held for
//!   `fallocate` calls and a chunk's mapping too, which makes that window wider.
//! * Memory: a new chunk has no page in memory: its pages are holes of the file, or lie past its
//!   end, until a run is written into them (and the install reads the run's first byte, so that the
//!   page is mapped before the function's first call rather than at it). A chunk keeps at most
//!   [`MAX_IDLE_PAGES`] of its pages without a function in memory: past that, the highest are
//!   punched out until [`KEEP_IDLE_PAGES`] are left, so that a loop compiling and dropping
//!   functions reuses pages in memory rather than punching and refaulting some each time (a loop
//!   that frees and takes more than about 8 pages of one chunk at each turn still refaults about 5
//!   of them a turn). [`trim`] punches out every page without a function, and drops the spare chunk
//!   (a chunk whose last function dropped, kept for the next one; another such chunk is unmapped).
//!   Pages in memory are preferred within a chunk, not across chunks: after a `trim`, the newest
//!   chunk may fault a page in while an older one has room in a page in memory. Only the runs' own
//!   bytes are ever executed, never a free slot.
//! * Only [`install_sole`](super::pool::install_sole) (a `JitFn`'s own install) uses slots,
//!   and only while the code file is in use: handles of [`install`](super::install) and
//!   [`install_batch`](super::install_batch) keep whole buffers, whose pages a caller may
//!   inspect. Where there is no code file, `take` finds no chunk and the pool's buffers serve.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::buffer::page_size;
use super::error::ExecError;
use super::file::FileBuffer;

/// Bytes per slot: every slotted function starts on a cache line of its own.
pub(super) const SLOT: usize = 64;

/// The most bytes of code placed in slots (32 slots); longer code gets a buffer of its own.
pub(super) const MAX_SLOTTED: usize = 2048;

/// Bytes per chunk: 1 024 slots, 16 pages of 4 KiB.
const CHUNK_LEN: usize = 64 << 10;

/// Bytes of a chunk's page: 64 slots, one word of the bitmap. (Slots are used only where
/// pages are this long, as on every x86-64 system.)
const PAGE: usize = 64 * SLOT;

/// Words of a chunk's slot bitmap: one bit per slot, one word per page.
const WORDS: usize = CHUNK_LEN / PAGE;

/// Pages without a function a chunk keeps in memory at most; past that, the highest are
/// punched out until [`KEEP_IDLE_PAGES`] are left (a gap, so that a loop that frees a few
/// pages and takes them again punches nothing).
const MAX_IDLE_PAGES: u32 = 8;

/// Pages without a function a chunk keeps in memory after punching.
const KEEP_IDLE_PAGES: u32 = 4;

/// How many of the chunks with free slots an install tries before it maps a new chunk: a
/// bound on the search where many chunks are fragmented. (Each tried in vain moves to the
/// other end of the list, so the next installs try others.)
const SEARCH: usize = 8;

/// Functions share its pages, each in a run of slots.
struct Chunk {
    buf: FileBuffer,
    /// One bit per slot, set while a function holds it. Changed only with [`OPEN`] locked
    /// (atomics for the interior mutability alone).
    used: [AtomicU64; WORDS],
    /// One bit per page whose memory is given back (punched out of the file, or never used
    /// since the chunk was made): it reads as zeros until a run is written into it. (With
    /// [`OPEN`] locked.) A best-effort record, used only to choose pages: a failed
    /// `fallocate` leaves a page in memory that is marked given back (kept until reused or
    /// the chunk drops), and a failed write of a run into a given-back page leaves it a hole
    /// that is marked in memory.
    punched: AtomicU64,
}

impl Chunk {
    /// Claims a run of `n` free slots (1..=32) within one page: the index of its first slot.
    /// (Pages still in memory first: a punched one costs a page of memory and a page fault.)
    fn claim(&self, n: usize) -> Option<usize> {
        let punched = self.punched.load(Ordering::Relaxed);
        let in_memory = |w: usize| punched & (1 << w) == 0;
        let (w, start) = (0..WORDS)
            .filter(|&w| in_memory(w))
            .chain((0..WORDS).filter(|&w| !in_memory(w)))
            .find_map(|w| Some((w, free_run(self.used[w].load(Ordering::Relaxed), n)?)))?;
        let bits = self.used[w].load(Ordering::Relaxed);
        self.used[w].store(bits | run_mask(start, n), Ordering::Relaxed);
        self.punched.store(punched & !(1 << w), Ordering::Relaxed);
        Some(w * 64 + start)
    }

    /// The pages in memory that hold no function, one bit each.
    fn idle_pages(&self) -> u64 {
        let punched = self.punched.load(Ordering::Relaxed);
        (0..WORDS)
            .filter(|&w| self.used[w].load(Ordering::Relaxed) == 0 && punched & (1 << w) == 0)
            .fold(0, |mask, w| mask | 1 << w)
    }

    /// Punches out the highest pages without a function until `keep` of them are left in
    /// memory.
    fn punch_idle(&self, keep: u32) {
        let mut idle = self.idle_pages();
        let mut punch = 0u64;
        while idle.count_ones() > keep {
            let top = 1 << (63 - idle.leading_zeros());
            punch |= top;
            idle &= !top;
        }
        self.punch_pages(punch);
    }

    /// Punches out the pages of `mask` (one `fallocate` per run of neighbours), which hold no
    /// function.
    fn punch_pages(&self, mut mask: u64) {
        self.punched.store(
            self.punched.load(Ordering::Relaxed) | mask,
            Ordering::Relaxed,
        );
        while mask != 0 {
            let first = mask.trailing_zeros() as usize;
            let run = (mask >> first).trailing_ones() as usize;
            self.buf.punch(first * PAGE, run * PAGE);
            mask &= !(run_mask(first, run));
        }
    }

    /// Frees the run of `n` slots from `first`.
    fn free(&self, first: usize, n: usize) {
        let word = &self.used[first / 64];
        let bits = word.load(Ordering::Relaxed);
        word.store(bits & !run_mask(first % 64, n), Ordering::Relaxed);
    }

    fn is_full(&self) -> bool {
        self.used
            .iter()
            .all(|w| w.load(Ordering::Relaxed) == u64::MAX)
    }

    fn is_empty(&self) -> bool {
        self.used.iter().all(|w| w.load(Ordering::Relaxed) == 0)
    }
}

/// The first bit of a run of `n` (1..=64) zero bits of `bits`, if there is one.
fn free_run(bits: u64, n: usize) -> Option<usize> {
    // bit i of `starts` says: the `have` slots from i are free. `have` doubles up to `n`
    // (the shifts bring in zeros, so no run reaches past bit 63).
    let mut starts = !bits;
    let mut have = 1;
    while have < n {
        let step = (n - have).min(have);
        starts &= starts >> step;
        have += step;
    }
    (starts != 0).then(|| starts.trailing_zeros() as usize)
}

/// The bits of the run of `n` (1..=64) slots from bit `start` of a word.
fn run_mask(start: usize, n: usize) -> u64 {
    (u64::MAX >> (64 - n)) << start
}

/// The chunks to fill, and the spare.
struct Open {
    /// Chunks of the current code file with free slots, the newest last. (So a chunk of the
    /// current file that holds functions is in the list exactly when it is not full.)
    chunks: Vec<Arc<Chunk>>,
    /// An empty chunk kept for the next install that finds no room.
    spare: Option<Arc<Chunk>>,
    /// The fork count when the list was last cleared of frozen chunks.
    forks: u64,
}

static OPEN: Mutex<Open> = Mutex::new(Open {
    chunks: Vec::new(),
    spare: None,
    forks: 0,
});

/// Slots claimed for one function: written once by [`Run::write`], freed on drop.
pub(super) struct Run {
    chunk: Arc<Chunk>,
    /// Index of the first slot.
    first: usize,
    /// Number of slots.
    slots: usize,
}

impl Run {
    /// Bytes of the run: the code and its `int3` padding.
    pub(super) fn len(&self) -> usize {
        self.slots * SLOT
    }

    fn offset(&self) -> usize {
        self.first * SLOT
    }

    /// Writes the run whole (`bytes.len() == self.len()`), with one `pwrite`.
    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), ExecError> {
        debug_assert_eq!(bytes.len(), self.len());
        // SAFETY: the run's slots were claimed for this run alone (under `OPEN`), and it is
        // written before it is handed out, so no code runs there; the only slices of them are
        // `Run::as_slice`'s, which borrow `self` (this takes `&mut self`); the chunk lends no
        // slice of its whole region.
        unsafe { self.chunk.buf.write_at(self.offset(), bytes) }?;
        // A page a run was just written into may not be mapped yet (a chunk's pages are
        // holes until written): a read maps it now, not the function's first call.
        // SAFETY: the run's first byte lies in the chunk's mapping, readable while
        // `self.chunk` lives, and was just written (so it lies within the file: no SIGBUS).
        unsafe { std::ptr::read_volatile(self.as_ptr()) };
        Ok(())
    }

    pub(super) fn as_ptr(&self) -> *const u8 {
        self.chunk.buf.as_ptr().wrapping_add(self.offset())
    }

    /// The run's bytes, read through the read-execute mapping.
    pub(super) fn as_slice(&self) -> &[u8] {
        // SAFETY: the run lies inside the chunk's mapping (claimed from its bitmap), which
        // stays mapped, readable, while `self.chunk` lives. Its bytes change only by
        // `Run::write`, which takes `&mut self`, so not while this borrow lives: writes to the
        // chunk's other slots never reach them (see the module documentation).
        unsafe { std::slice::from_raw_parts(self.as_ptr(), self.len()) }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // (declared before the lock's guard, so dropped after it: chunks are unmapped, if this
        // was their last run, outside the lock)
        let mut dropped = Vec::new();
        let mut open = lock_open(&mut dropped);
        let was_full = self.chunk.is_full();
        self.chunk.free(self.first, self.slots);
        dropped.extend(release(&mut open, &self.chunk, self.first / 64, was_full));
    }
}

/// Locks [`OPEN`], its list cleared of the chunks of files frozen by a fork since it was
/// last looked at: they are moved to `frozen`, to be dropped after the lock (see
/// [`forget_frozen`]).
fn lock_open(frozen: &mut Vec<Arc<Chunk>>) -> std::sync::MutexGuard<'static, Open> {
    let mut open = super::lock(&OPEN);
    let forks = FileBuffer::forks();
    if open.forks != forks {
        forget_frozen(&mut open, forks, frozen);
    }
    open
}

/// Files a chunk whose run in page `page` was just freed: back on the list if it was full
/// (`was_full`: then it was off the list), kept as the spare or taken off the list once
/// empty. Past [`MAX_IDLE_PAGES`] pages without a function in memory, the highest are punched
/// out until [`KEEP_IDLE_PAGES`] are left. Returns a chunk to drop after the lock.
fn release(open: &mut Open, chunk: &Arc<Chunk>, page: usize, was_full: bool) -> Option<Arc<Chunk>> {
    if !chunk.buf.is_private() {
        // frozen by a fork, so off the list (`lock_open`): never written again, and unmapped
        // with its last run
        return None;
    }
    // (the pages in memory first, one load: a chunk with at most 8 of them, as a new one
    // with its one page, has nothing to count)
    let in_memory = WORDS as u32 - chunk.punched.load(Ordering::Relaxed).count_ones();
    if in_memory > MAX_IDLE_PAGES
        && chunk.used[page].load(Ordering::Relaxed) == 0
        && chunk.idle_pages().count_ones() > MAX_IDLE_PAGES
    {
        chunk.punch_idle(KEEP_IDLE_PAGES);
    }
    if !chunk.is_empty() {
        if was_full {
            open.chunks.push(Arc::clone(chunk));
        }
        return None;
    }
    let at = open.chunks.iter().position(|c| Arc::ptr_eq(c, chunk))?;
    let chunk = open.chunks.remove(at);
    if open.spare.is_none() {
        open.spare = Some(chunk);
        return None;
    }
    Some(chunk)
}

/// Claims a run of slots for `len` bytes of code; `None` if the code is too long for slots, or
/// the code file is not used by this thread or cannot give a chunk now (the caller then takes
/// a buffer of the pool).
pub(super) fn take(len: usize) -> Option<Run> {
    if len == 0 || len > MAX_SLOTTED || !FileBuffer::in_use() || page_size() != PAGE {
        return None;
    }
    let slots = len.div_ceil(SLOT);
    let mut frozen = Vec::new(); // (dropped after the guard: see `Run::drop`)
    let mut open = lock_open(&mut frozen);
    for _ in 0..open.chunks.len().min(SEARCH) {
        let Some(chunk) = open.chunks.pop() else {
            break;
        };
        match chunk.claim(slots) {
            Some(first) => {
                if !chunk.is_full() {
                    open.chunks.push(Arc::clone(&chunk));
                }
                return Some(Run {
                    chunk,
                    first,
                    slots,
                });
            }
            // no run that long here: to the other end, so that the next search tries others
            None => open.chunks.insert(0, chunk),
        }
    }
    let chunk = match open.spare.take() {
        Some(spare) => spare,
        // (mapped with the lock held: once per 1 024 slots at most)
        None => Arc::new(new_chunk()?),
    };
    let first = chunk.claim(slots)?; // cannot fail: the chunk is empty
    open.chunks.push(Arc::clone(&chunk));
    Some(Run {
        chunk,
        first,
        slots,
    })
}

/// A new empty chunk with no page in memory (a page is allocated by the first run written
/// into it: a program with one small function holds one page), or `None` if no code-file
/// buffer can be made now.
fn new_chunk() -> Option<Chunk> {
    Some(Chunk {
        buf: FileBuffer::new_sparse(CHUNK_LEN)?,
        used: [const { AtomicU64::new(0) }; WORDS],
        punched: AtomicU64::new(run_mask(0, WORDS)),
    })
}

/// Takes the chunks of files frozen by a fork off the list and moves them to `frozen`; they
/// live on in their runs, and are unmapped with the last of them.
#[cold]
fn forget_frozen(open: &mut Open, forks: u64, frozen: &mut Vec<Arc<Chunk>>) {
    open.forks = forks;
    let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut open.chunks)
        .into_iter()
        .partition(|c| c.buf.is_private());
    open.chunks = kept;
    frozen.extend(gone);
    if open.spare.as_ref().is_some_and(|c| !c.buf.is_private()) {
        frozen.extend(open.spare.take());
    }
}

/// Punches out every page without a function, drops the spare chunk (unmapping it, its
/// range punched out of the code file) and the chunks frozen by a fork whose functions are
/// all gone.
pub(super) fn trim() {
    let mut dropped = Vec::new();
    let mut open = lock_open(&mut dropped);
    dropped.extend(open.spare.take());
    for chunk in &open.chunks {
        chunk.punch_idle(0);
    }
    drop(open); // (the chunks are unmapped after the lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_found_within_a_word() {
        assert_eq!(free_run(0, 1), Some(0));
        assert_eq!(free_run(0, 64), Some(0));
        assert_eq!(free_run(u64::MAX, 1), None);
        assert_eq!(free_run(0b1011, 1), Some(2));
        assert_eq!(free_run(0b1011, 2), Some(4));
        // the top bit alone is free: a run of one fits, a run of two does not
        assert_eq!(free_run(u64::MAX >> 1, 1), Some(63));
        assert_eq!(free_run(u64::MAX >> 1, 2), None);
        // free: bits 3..=5 and 10..=40
        let bits = !((0b111 << 3) | (((1u64 << 31) - 1) << 10));
        assert_eq!(free_run(bits, 3), Some(3));
        assert_eq!(free_run(bits, 4), Some(10));
        assert_eq!(free_run(bits, 31), Some(10));
        assert_eq!(free_run(bits, 32), None);
    }

    #[test]
    fn every_run_is_the_first_fit() {
        // against a plain search over a few thousand pseudo-random words
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..4000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bits = x & (x >> 3); // more free bits than used ones
            for n in [1, 2, 3, 5, 8, 17, 32] {
                let plain = (0..=64 - n).find(|&s| bits & run_mask(s, n) == 0);
                assert_eq!(free_run(bits, n), plain, "{bits:#x} {n}");
            }
        }
    }

    /// A chunk of the code file with the given pages full and punched; `None` where there is
    /// no code file.
    fn chunk_with(full: u64, punched: u64) -> Option<Chunk> {
        let chunk = new_chunk()?;
        for w in 0..WORDS {
            if full & (1 << w) != 0 {
                chunk.used[w].store(u64::MAX, Ordering::Relaxed);
            }
        }
        chunk.punch_pages(punched & !chunk.punched.load(Ordering::Relaxed));
        chunk.punched.store(punched, Ordering::Relaxed);
        Some(chunk)
    }

    #[test]
    fn runs_go_to_pages_in_memory_first() {
        // pages 0 and 1 full, 2 and 3 punched, 4 in memory: page 4, whose bit is kept clear
        let Some(chunk) = chunk_with(0b11, !0b1_0011 & 0xffff) else {
            return; // no code file here
        };
        assert_eq!(chunk.claim(1), Some(4 * 64));
        // with page 4 full too, the lowest punched page, which is then in memory again
        chunk.used[4].store(u64::MAX, Ordering::Relaxed);
        assert_eq!(chunk.claim(3), Some(2 * 64));
        assert_eq!(chunk.punched.load(Ordering::Relaxed) & 0b100, 0);
        // a run too long for what a page has left goes to the next page
        assert_eq!(chunk.claim(62), Some(3 * 64));
    }

    #[test]
    fn the_highest_idle_pages_are_punched() {
        // only page 0 in use; pages 1..=15 in memory and idle
        let Some(chunk) = chunk_with(0b1, 0) else {
            return;
        };
        assert_eq!(chunk.idle_pages(), 0xfffe);
        chunk.punch_idle(KEEP_IDLE_PAGES);
        assert_eq!(chunk.idle_pages(), 0b1_1110);
        assert_eq!(chunk.punched.load(Ordering::Relaxed), 0xffe0);
        chunk.punch_idle(0);
        assert_eq!(chunk.idle_pages(), 0);
    }

    #[test]
    fn masks() {
        assert_eq!(run_mask(0, 1), 1);
        assert_eq!(run_mask(3, 2), 0b11000);
        assert_eq!(run_mask(0, 64), u64::MAX);
        assert_eq!(run_mask(62, 2), 0b11 << 62);
    }
}
