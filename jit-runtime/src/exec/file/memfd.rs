//! The code file on Linux x86-64: a `memfd`, its buffers, the fork counter and the valgrind
//! request. See the parent module for the design.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, FromRawFd};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};

use super::super::buffer::INT3;
use super::super::error::{ExecError, ExecOp};
use super::super::region::Region;
use super::super::{fault, lock};

/// `MFD_EXEC` (Linux 6.3): asks for an executable file where `vm.memfd_noexec = 1` would make
/// it non-executable by default. Not in the `libc` crate for glibc targets yet.
const MFD_EXEC: libc::c_uint = 0x0010;

/// The file's name, shown in `/proc/<pid>/maps` as `/memfd:trivial-jit code`.
const NAME: &CStr = c"trivial-jit code";

/// Forks so far, counted just before each one in the parent (so the child inherits the new
/// count too). A file made under an older count is shared with some child.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Set for good when the system refused the file, an executable mapping of it, or the fork
/// hook: from then on every install uses protection flips.
static REFUSED: AtomicBool = AtomicBool::new(false);

/// Set when the last attempt at a new buffer failed for a passing reason (out of descriptors
/// or memory), cleared by the next that succeeds: meanwhile the pool recycles flip buffers
/// rather than unmapping them in the hope of a file buffer.
static FAILING: AtomicBool = AtomicBool::new(false);

/// The file new buffers come from (made at the first install; replaced after a fork).
static CURRENT: Mutex<Option<Arc<CodeFile>>> = Mutex::new(None);

/// One anonymous in-memory file; its ranges are the buffers' pages.
struct CodeFile {
    file: File,
    /// [`FORKS`] when the file was made.
    forks: u64,
    /// The end of the ranges handed out so far.
    end: AtomicU64,
    /// Ranges (offset, length) whose buffers were unmapped and punched out: handed out again,
    /// to buffers of their length, before the file grows.
    holes: Mutex<Vec<(u64, usize)>>,
}

impl CodeFile {
    /// A new empty file, or the OS's refusal. (The file size limit was checked by
    /// [`FileBuffer::new`], the only way here.)
    fn create() -> io::Result<CodeFile> {
        let forks = FORKS.load(Ordering::SeqCst); // before: a fork in between makes it stale
        // SAFETY: a valid NUL-terminated name and flags; the call only returns a new fd.
        let mut fd = unsafe { libc::memfd_create(NAME.as_ptr(), libc::MFD_CLOEXEC | MFD_EXEC) };
        if fd < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
            // Kernels before 6.3 know no MFD_EXEC; their memfds are executable anyway.
            // SAFETY: as above.
            fd = unsafe { libc::memfd_create(NAME.as_ptr(), libc::MFD_CLOEXEC) };
        }
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new, open descriptor that nothing else owns.
        let file = unsafe { File::from_raw_fd(fd) };
        Ok(CodeFile {
            file,
            forks,
            end: AtomicU64::new(0),
            holes: Mutex::new(Vec::new()),
        })
    }

    /// A range of `len` bytes for a new buffer: a hole of that length, or the end of the file.
    /// (Holes are reused by buffers of their own length: the file grows no larger than the
    /// most buffers of each size class mapped at once.)
    fn range(&self, len: usize) -> u64 {
        let mut holes = lock(&self.holes);
        match holes.iter().position(|&(_, l)| l == len) {
            Some(i) => holes.swap_remove(i).0,
            None => self.end.fetch_add(len as u64, Ordering::Relaxed),
        }
    }

    /// Gives the memory of a range back to the system and keeps the range for reuse. Only for
    /// a range no live code uses and no other process maps: a private file's, or a range that
    /// was not a buffer yet at the last fork (the error paths of [`FileBuffer::new`]).
    fn release(&self, offset: u64, len: usize) {
        self.punch(offset, len);
        lock(&self.holes).push((offset, len));
    }

    /// Gives the memory of a range back to the system (it reads as zeros after). Only for a
    /// range in which no code is live and that no other process maps. Failure only keeps the
    /// memory until the range is reused or the file closed.
    fn punch(&self, offset: u64, len: usize) {
        use std::os::fd::AsRawFd;
        let (Ok(at), Ok(n)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
            return;
        };
        let mode = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
        // SAFETY: changes only the file's contents in a range no live code uses (the caller's
        // condition); no memory of this process is touched.
        unsafe { libc::fallocate(self.file.as_raw_fd(), mode, at, n) };
    }

    /// Whether no other process has this file's pages mapped: it was made after the last
    /// fork. Only then may its buffers be written, recycled or punched out.
    fn is_private(&self) -> bool {
        self.forks == FORKS.load(Ordering::SeqCst)
    }
}

/// Whether the process may not grow files without bound (`RLIMIT_FSIZE`).
fn file_size_limited() -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: fills the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit) } == 0;
    !ok || limit.rlim_cur != libc::RLIM_INFINITY
}

/// Whether an error says that the system refuses the code file for good (a policy, or no
/// support), rather than running short of something (descriptors, memory) for a while.
fn is_refusal(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPERM | libc::EACCES | libc::ENOSYS | libc::EINVAL | libc::EFBIG)
    )
}

/// Counts a fork; runs in the parent just before it (`pthread_atfork`). Only an atomic
/// increment, which is async-signal-safe.
extern "C" fn before_fork() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

/// Registers [`before_fork`] once; false if the C library refused.
fn fork_hook_registered() -> bool {
    static ONCE: Once = Once::new();
    static OK: AtomicBool = AtomicBool::new(false);
    ONCE.call_once(|| {
        // SAFETY: registers a function that only increments an atomic; no other handler.
        let ok = unsafe { libc::pthread_atfork(Some(before_fork), None, None) } == 0;
        OK.store(ok, Ordering::SeqCst);
    });
    OK.load(Ordering::SeqCst)
}

/// The file to take a new buffer from, made if there is none made since the last fork; `None`
/// if the system refused it (then never again). Called by [`FileBuffer::new`] once it found
/// the code file in use (not refused).
fn current_file() -> Option<Arc<CodeFile>> {
    let mut current = lock(&CURRENT);
    if let Some(file) = current.as_ref().filter(|f| f.is_private()) {
        return Some(Arc::clone(file));
    }
    *current = None; // a frozen file lives on in its buffers only
    if !fork_hook_registered() {
        REFUSED.store(true, Ordering::Relaxed); // without it, a fork could share live pages
        return None;
    }
    match CodeFile::create() {
        Ok(file) => {
            let file = Arc::new(file);
            *current = Some(Arc::clone(&file));
            Some(file)
        }
        Err(e) => {
            if is_refusal(&e) {
                REFUSED.store(true, Ordering::Relaxed);
            }
            None // out of descriptors or memory: flips this time
        }
    }
}

/// What a new [`FileBuffer`] holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// `int3` in every byte, its pages in memory and mapped.
    Int3,
    /// Nothing: holes of the file, or pages past its end.
    Nothing,
}

/// Pages of the code file mapped read-execute, never writable: code is written into them
/// through the file ([`FileBuffer::write`]).
pub(in crate::exec) struct FileBuffer {
    /// The mapping (with guard pages); its inner pages are the file's range.
    region: Region,
    file: Arc<CodeFile>,
    /// Where the range starts in the file.
    offset: u64,
}

impl FileBuffer {
    /// A buffer of `len` bytes (whole pages), all `int3`, pre-faulted; `None` if there is no
    /// code file (or its range could not be mapped): the caller then uses a flip buffer.
    pub(in crate::exec) fn new(len: usize) -> Option<FileBuffer> {
        Self::new_with(len, Fill::Int3)
    }

    /// A buffer of `len` bytes (whole pages) with no page in memory, for a caller that writes
    /// every byte before anything reads or runs it ([`slots`]' chunks: only a run's own
    /// bytes, written whole, are ever read): its pages are holes of the file, or lie past its
    /// end, until written. Reading an unwritten byte past the file's end would raise
    /// `SIGBUS`. (A new chunk then costs a mapping, where an `int3` fill, a populated
    /// mapping and punching all but one page out again cost about 100 µs more here.)
    ///
    /// [`slots`]: super::super::slots
    pub(in crate::exec) fn new_sparse(len: usize) -> Option<FileBuffer> {
        Self::new_with(len, Fill::Nothing)
    }

    /// [`new`](Self::new) or [`new_sparse`](Self::new_sparse).
    fn new_with(len: usize, fill: Fill) -> Option<FileBuffer> {
        // Without a guard page left, the buffer would not be a mapping of its own: flips.
        // (Checked first so that the file does not grow for nothing; `file_backed` takes
        // the guard budget for real.)
        if !Self::in_use() || !Region::guards_left() {
            return None;
        }
        if file_size_limited() {
            // Growing the file past the limit would raise SIGXFSZ, which ends the process (a
            // limit may also be set after the file was made).
            REFUSED.store(true, Ordering::Relaxed);
            return None;
        }
        let made = Self::map_new(len, fill);
        FAILING.store(
            made.is_none() && !REFUSED.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        made
    }

    /// [`new_with`](Self::new_with) once the checks passed.
    fn map_new(len: usize, fill: Fill) -> Option<FileBuffer> {
        let file = current_file()?;
        let offset = file.range(len);
        // Writing the int3 fill first allocates the pages, so MAP_POPULATE maps them.
        let filled = fill == Fill::Int3;
        if filled && file.file.write_all_at(&vec![INT3; len], offset).is_err() {
            file.release(offset, len); // out of memory: the flip path will say so
            return None;
        }
        match Region::file_backed(len, file.file.as_fd(), offset, filled) {
            Ok(Some(region)) => Some(FileBuffer {
                region,
                file,
                offset,
            }),
            Ok(None) => {
                file.release(offset, len); // the guard budget ran out meanwhile
                None
            }
            Err(e) => {
                file.release(offset, len);
                if is_refusal(&e) {
                    REFUSED.store(true, Ordering::Relaxed); // no executable file mappings here
                }
                None
            }
        }
    }

    /// Lets go of the file new buffers would come from if a fork froze it: it is then closed
    /// (its memory given back) once its last buffer is unmapped, rather than at the next new
    /// buffer. For [`pool::trim`](super::super::pool::trim).
    pub(in crate::exec) fn trim() {
        let mut current = lock(&CURRENT);
        if current.as_ref().is_some_and(|f| !f.is_private()) {
            *current = None;
        }
    }

    /// Forks counted so far (by the `pthread_atfork` hook).
    pub(in crate::exec) fn forks() -> u64 {
        FORKS.load(Ordering::Relaxed)
    }

    /// Whether the last attempt at a new buffer failed for a passing reason.
    pub(in crate::exec) fn failing() -> bool {
        FAILING.load(Ordering::Relaxed)
    }

    /// Whether installs on this thread use the code file: it has not been refused, and the
    /// thread did not ask for protection flips.
    pub(in crate::exec) fn in_use() -> bool {
        !REFUSED.load(Ordering::Relaxed) && !fault::flips_forced()
    }

    /// Writes `bytes` at the start of the buffer (one `pwrite`). Only called while no handle
    /// to the buffer's code exists: on a new or recycled buffer, before it is handed out
    /// (`&mut self`: no borrow of [`as_slice`](Self::as_slice) can see the bytes change).
    ///
    /// A fork on another thread may freeze the file between the pool's check and this write.
    /// Writing then is harmless: the buffer was idle or new at the fork, so the child has no
    /// code in it, and it will never take it (its copy of the file is frozen too).
    pub(in crate::exec) fn write(&mut self, bytes: &[u8]) -> Result<(), ExecError> {
        // SAFETY: `&mut self`: no slice of the buffer is borrowed, and the caller writes only
        // a buffer no code runs in (see above).
        unsafe { self.write_at(0, bytes) }
    }

    /// Writes `bytes` at offset `at` of the buffer (one `pwrite`), for buffers whose parts
    /// hold different functions (the slots of small functions, `exec::slots`).
    ///
    /// # Safety
    /// `at + bytes.len()` must not exceed the buffer's length (beyond it lies another
    /// buffer's range of the file). No code in `[at, at + bytes.len())` may be live (handed
    /// out), and no slice of the buffer that covers any of those bytes may be borrowed: the
    /// write changes them behind Rust's back. The rest of the buffer may be both.
    pub(in crate::exec) unsafe fn write_at(
        &self,
        at: usize,
        bytes: &[u8],
    ) -> Result<(), ExecError> {
        debug_assert!(at + bytes.len() <= self.len());
        let written = if fault::take_write_failure() {
            Err(fault::injected_error())
        } else {
            self.file.file.write_all_at(bytes, self.offset + at as u64)
        };
        written.map_err(|e| ExecError::os(ExecOp::WriteCode, bytes.len(), e))?;
        discard_translations(self.as_ptr().wrapping_add(at), bytes.len());
        Ok(())
    }

    /// Gives the memory of `len` bytes from `at` back to the system (their pages then read as
    /// zeros until written again), if no other process maps them. For a part of a buffer in
    /// which no code is live; failure only keeps the memory.
    pub(in crate::exec) fn punch(&self, at: usize, len: usize) {
        if self.is_private() {
            self.file.punch(self.offset + at as u64, len);
        }
    }

    /// Whether the buffer may be written and recycled: no other process maps its pages.
    pub(in crate::exec) fn is_private(&self) -> bool {
        self.file.is_private()
    }

    pub(in crate::exec) fn as_ptr(&self) -> *const u8 {
        self.region.ptr()
    }

    pub(in crate::exec) fn len(&self) -> usize {
        self.region.len()
    }

    /// The buffer's bytes, read through the read-execute mapping.
    pub(in crate::exec) fn as_slice(&self) -> &[u8] {
        self.region.bytes()
    }
}

impl Drop for FileBuffer {
    fn drop(&mut self) {
        // The region is unmapped right after this; its range of the file is freed here unless
        // another process may still run the code in it.
        if self.is_private() {
            self.file.release(self.offset, self.len());
        }
    }
}

/// Tells valgrind, if the program runs under it, that the `len` bytes at `addr` hold new code:
/// it translates code once and does not see writes made by the kernel. On a real CPU the
/// sequence rotates `rdi` by 128 bits in all (no change) and exchanges `rbx` with itself.
fn discard_translations(addr: *const u8, len: usize) {
    /// `VG_USERREQ__DISCARD_TRANSLATIONS` in valgrind.h.
    const DISCARD_TRANSLATIONS: u64 = 0x1002;
    let args: [u64; 6] = [DISCARD_TRANSLATIONS, addr as u64, len as u64, 0, 0, 0];
    // SAFETY: the client-request sequence of valgrind.h for amd64: it reads the six words at
    // `rax` under valgrind and nothing otherwise, and writes only `rdx` (the result, declared)
    // and the flags; `rdi` ends where it started but is declared clobbered anyway.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            in("rax") args.as_ptr(),
            inout("rdx") 0u64 => _,
            out("rdi") _,
            options(nostack, readonly),
        );
    }
}
