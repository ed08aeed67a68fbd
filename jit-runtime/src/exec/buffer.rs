//! W^X in the type system: a mapping is either a [`MutableBuffer`] (read-write) or an
//! [`ExecutableBuffer`] (read-execute), never both, and the only way from one to the other
//! consumes the value. (These are the protection-flip buffers: on Linux x86-64 the pool's
//! buffers normally come from the code file instead, never writable at all; see the
//! [`exec`](super) module's contract.)
//!
//! Both own a private anonymous mapping whose length is a whole number of pages, so no two
//! buffers ever share a page and a protection change on one buffer can never affect another.
//! The first 4 096 live buffers also lie between two inaccessible guard pages, which makes a
//! protection change one `mprotect` of a kernel region of its own (about 1.0 µs here instead
//! of 2–2.5 µs when neighbouring mappings have to be split and merged again; the private
//! `region` module has the details and the reason for the bound).
//!
//! # Failure shape
//!
//! [`MutableBuffer::make_exec`] and [`ExecutableBuffer::make_mut`] consume the buffer and, on
//! failure, return only an [`ExecError`]: the mapping has already been unmapped (the buffer
//! is dropped when `mprotect` fails). So a failed transition can
//! neither leak the mapping nor leave two owners of it, and a half-protected mapping is never
//! handed back to the caller.

use std::fmt;

use super::error::{ExecError, ExecOp};
use super::fault;
use super::region::{Access, Region};

/// The byte used to fill unused parts of code buffers: `int3`, so a stray jump traps at once.
///
/// ```
/// use jit_runtime::exec::{INT3, MutableBuffer};
///
/// let buf = MutableBuffer::new(1)?;
/// assert!(buf.as_slice().iter().all(|&b| b == INT3)); // a fresh buffer is all int3
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub const INT3: u8 = 0xCC;

/// The OS page size in bytes (cached after the first call).
///
/// ```
/// let p = jit_runtime::exec::page_size();
/// assert!(p.is_power_of_two() && p >= 4096);
/// ```
pub fn page_size() -> usize {
    region::page::size() // cached by `region` after the first call
}

/// Rounds `len` up to whole pages; zero and absurd lengths are errors.
pub(crate) fn round_to_pages(len: usize) -> Result<usize, ExecError> {
    let page = page_size();
    if len == 0 || len > super::MAX_INSTALL_LEN {
        return Err(ExecError::InvalidLength { len });
    }
    Ok(len.div_ceil(page) * page)
}

/// Read-write anonymous memory that will hold machine code; never executable.
///
/// Its length is rounded up to whole pages. Fresh buffers are pre-faulted (every byte is set
/// to `0xCC`, `int3`), so writing code into them later causes no page fault.
///
/// ```
/// use jit_runtime::exec::MutableBuffer;
///
/// let mut buf = MutableBuffer::new(5)?;
/// assert_eq!(buf.len(), jit_runtime::exec::page_size());
/// // addsd xmm0, xmm1; ret
/// buf.as_mut_slice()[..5].copy_from_slice(&[0xf2, 0x0f, 0x58, 0xc1, 0xc3]);
/// let code = buf.make_exec()?; // the one mprotect: RW -> RX
/// # #[cfg(target_arch = "x86_64")] {
/// // SAFETY: the buffer holds a complete function with this signature and stays alive
/// // for the duration of the call.
/// let add: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
/// assert_eq!(add(1.5, 2.25), 3.75);
/// # }
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub struct MutableBuffer {
    /// Its inner pages are read-write.
    region: Region,
}

impl MutableBuffer {
    /// Maps at least `len` bytes (rounded up to whole pages) of pre-faulted read-write
    /// memory filled with `0xCC`.
    ///
    /// Errors: [`ExecError::InvalidLength`] for `len == 0` or `len >
    /// MAX_INSTALL_LEN`; [`ExecError::Os`] with [`ExecOp::Map`] if `mmap` fails.
    ///
    /// ```
    /// use jit_runtime::exec::{ExecError, MutableBuffer, page_size};
    ///
    /// assert_eq!(MutableBuffer::new(page_size() + 1)?.len(), 2 * page_size());
    /// assert!(matches!(MutableBuffer::new(0), Err(ExecError::InvalidLength { len: 0 })));
    /// # Ok::<(), ExecError>(())
    /// ```
    pub fn new(len: usize) -> Result<Self, ExecError> {
        let len = round_to_pages(len)?;
        let region = Region::new(len).map_err(|e| ExecError::os(ExecOp::Map, len, e))?;
        let mut buf = MutableBuffer { region };
        buf.as_mut_slice().fill(INT3); // faults every page in now
        Ok(buf)
    }

    /// Length in bytes: a whole number of pages.
    ///
    /// ```
    /// use jit_runtime::exec::{MutableBuffer, page_size};
    ///
    /// let buf = MutableBuffer::new(10)?;
    /// assert_eq!(buf.len(), page_size());
    /// assert_eq!(buf.as_slice().len(), buf.len());
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Always `false`: buffers are at least one page long.
    ///
    /// ```
    /// assert!(!jit_runtime::exec::MutableBuffer::new(1)?.is_empty());
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.region.len() == 0
    }

    /// The address the code will have once executable (it does not move).
    ///
    /// ```
    /// use jit_runtime::exec::MutableBuffer;
    ///
    /// let buf = MutableBuffer::new(1)?;
    /// let addr = buf.as_ptr();
    /// assert_eq!(addr as usize % jit_runtime::exec::page_size(), 0);
    /// assert_eq!(buf.make_exec()?.as_ptr(), addr);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.region.ptr()
    }

    /// The whole buffer, for reading.
    ///
    /// ```
    /// use jit_runtime::exec::{INT3, MutableBuffer};
    ///
    /// let mut buf = MutableBuffer::new(1)?;
    /// buf.as_mut_slice()[0] = 0xc3; // ret
    /// assert_eq!(&buf.as_slice()[..2], &[0xc3, INT3]);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        self.region.bytes()
    }

    /// The whole buffer, for writing code into.
    ///
    /// ```
    /// use jit_runtime::exec::MutableBuffer;
    ///
    /// let mut buf = MutableBuffer::new(1)?;
    /// let tail = buf.len() - 1;
    /// buf.as_mut_slice()[tail] = 0xc3; // any byte of the buffer
    /// assert_eq!(buf.make_exec()?.as_slice()[tail], 0xc3);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: a `MutableBuffer`'s inner pages are read-write (a fresh region is, and
        // `make_mut` only builds one after making them so).
        unsafe { self.region.bytes_mut() }
    }

    /// Makes the buffer read+execute (one `mprotect`), consuming it.
    ///
    /// On failure the mapping is released (unmapped) and only the error is returned; see the
    /// [module documentation](self) for why.
    ///
    /// ```
    /// use jit_runtime::exec::{ExecOp, MutableBuffer, fault};
    ///
    /// let mut buf = MutableBuffer::new(1)?;
    /// buf.as_mut_slice()[0] = 0xc3; // ret
    /// let code = buf.make_exec()?;
    /// assert_eq!(code.as_slice()[0], 0xc3);
    ///
    /// fault::fail_next_protect_changes(1); // the next mprotect on this thread fails
    /// let err = MutableBuffer::new(1)?.make_exec().unwrap_err(); // the buffer is gone
    /// assert_eq!(err.op(), Some(ExecOp::MakeExecutable));
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn make_exec(self) -> Result<ExecutableBuffer, ExecError> {
        let len = self.len();
        if fault::take_protect_failure() {
            drop(self);
            return Err(ExecError::os(
                ExecOp::MakeExecutable,
                len,
                fault::injected_error(),
            ));
        }
        match self.region.protect(Access::ReadExecute) {
            Ok(()) => Ok(ExecutableBuffer {
                region: self.region,
            }),
            Err(e) => Err(ExecError::os(ExecOp::MakeExecutable, len, e)), // unmapped here
        }
    }
}

impl fmt::Debug for MutableBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutableBuffer")
            .field("ptr", &self.as_ptr())
            .field("len", &self.len())
            .finish()
    }
}

/// Read-execute memory holding machine code; never writable.
///
/// Obtained from [`MutableBuffer::make_exec`]; unmapped on drop. To reuse the pages, turn it
/// back into a [`MutableBuffer`] with [`make_mut`](Self::make_mut), which consumes it: no
/// reference into the code can survive the change (raw pointers obtained from
/// [`as_ptr`](Self::as_ptr) must not be called after that).
///
/// ```
/// use jit_runtime::exec::MutableBuffer;
///
/// let mut buf = MutableBuffer::new(1)?;
/// buf.as_mut_slice()[0] = 0xc3; // ret
/// let code = buf.make_exec()?;
/// assert_eq!(code.as_slice()[0], 0xc3);
/// let again = code.make_mut()?; // RX -> RW, same pages
/// assert_eq!(again.as_slice()[0], 0xc3);
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
pub struct ExecutableBuffer {
    /// Its inner pages are read-execute.
    region: Region,
}

impl ExecutableBuffer {
    /// Address of the first byte of code.
    ///
    /// ```
    /// use jit_runtime::exec::MutableBuffer;
    ///
    /// let mut buf = MutableBuffer::new(5)?;
    /// // addsd xmm0, xmm1; ret
    /// buf.as_mut_slice()[..5].copy_from_slice(&[0xf2, 0x0f, 0x58, 0xc1, 0xc3]);
    /// let code = buf.make_exec()?;
    /// # #[cfg(target_arch = "x86_64")] {
    /// // SAFETY: the buffer holds a complete function with this signature; `code` outlives
    /// // the call.
    /// let add: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(code.as_ptr()) };
    /// assert_eq!(add(2.0, 0.5), 2.5);
    /// # }
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.region.ptr()
    }

    /// Length in bytes: a whole number of pages.
    ///
    /// ```
    /// use jit_runtime::exec::{MutableBuffer, page_size};
    ///
    /// let code = MutableBuffer::new(page_size() + 1)?.make_exec()?;
    /// assert_eq!(code.len(), 2 * page_size());
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Always `false`: buffers are at least one page long.
    ///
    /// ```
    /// assert!(!jit_runtime::exec::MutableBuffer::new(1)?.make_exec()?.is_empty());
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.region.len() == 0
    }

    /// The code, for reading (e.g. to disassemble it).
    ///
    /// ```
    /// use jit_runtime::exec::{INT3, MutableBuffer};
    ///
    /// let mut buf = MutableBuffer::new(1)?;
    /// buf.as_mut_slice()[..2].copy_from_slice(&[0x90, 0xc3]); // nop; ret
    /// let code = buf.make_exec()?;
    /// assert_eq!(&code.as_slice()[..3], &[0x90, 0xc3, INT3]);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        self.region.bytes()
    }

    /// Makes the buffer read+write again (one `mprotect`), consuming it.
    ///
    /// Only call this once no thread can still be executing the code. On failure the mapping
    /// is released (unmapped) and only the error is returned.
    ///
    /// ```
    /// use jit_runtime::exec::MutableBuffer;
    ///
    /// let mut buf = MutableBuffer::new(1)?;
    /// buf.as_mut_slice()[0] = 0xc3; // ret
    /// let addr = buf.as_ptr();
    /// let mut again = buf.make_exec()?.make_mut()?; // RX -> RW: writable again
    /// assert_eq!((again.as_ptr(), again.as_slice()[0]), (addr, 0xc3)); // same pages, same bytes
    /// again.as_mut_slice()[0] = 0x90; // nop
    /// assert_eq!(again.as_slice()[0], 0x90);
    /// # Ok::<(), jit_runtime::exec::ExecError>(())
    /// ```
    pub fn make_mut(self) -> Result<MutableBuffer, ExecError> {
        let len = self.len();
        if fault::take_protect_failure() {
            drop(self);
            return Err(ExecError::os(
                ExecOp::MakeWritable,
                len,
                fault::injected_error(),
            ));
        }
        match self.region.protect(Access::ReadWrite) {
            Ok(()) => Ok(MutableBuffer {
                region: self.region,
            }),
            Err(e) => Err(ExecError::os(ExecOp::MakeWritable, len, e)), // unmapped here
        }
    }
}

impl fmt::Debug for ExecutableBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutableBuffer")
            .field("ptr", &self.as_ptr())
            .field("len", &self.len())
            .finish()
    }
}
