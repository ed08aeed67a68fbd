//! The one error type of the executable-memory layer.

use std::fmt;
use std::io;

/// The OS operation an [`ExecError::Os`] was attempting.
///
/// ```
/// use jit_runtime::exec::{ExecOp, MutableBuffer, fault};
///
/// let code = MutableBuffer::new(1)?.make_exec()?;
/// fault::fail_next_protect_changes(1); // the next mprotect on this thread fails (ENOMEM)
/// let err = code.make_mut().unwrap_err(); // RX -> RW refused; the buffer is unmapped
/// assert_eq!(err.op(), Some(ExecOp::MakeWritable));
/// assert!(err.to_string().contains("mprotect RX -> RW"));
/// # Ok::<(), jit_runtime::exec::ExecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecOp {
    /// Mapping fresh anonymous read-write memory (`mmap`).
    Map,
    /// Changing a buffer from read-write to read-execute (`mprotect`).
    MakeExecutable,
    /// Changing a buffer from read-execute back to read-write (`mprotect`).
    MakeWritable,
    /// Writing code into a buffer of the code file, whose pages are mapped read-execute and
    /// never writable (`pwrite`; Linux x86-64, see the `exec` module's contract).
    WriteCode,
}

impl ExecOp {
    fn describe(self) -> &'static str {
        match self {
            ExecOp::Map => "map anonymous read-write memory (mmap)",
            ExecOp::MakeExecutable => "make memory read+execute (mprotect RW -> RX)",
            ExecOp::MakeWritable => "make memory read+write (mprotect RX -> RW)",
            ExecOp::WriteCode => "write code through the code file (pwrite)",
        }
    }
}

/// Everything that can go wrong while making, installing or addressing executable memory.
///
/// It is `Send + Sync + 'static`, so it can travel in `Box<dyn Error + Send + Sync>`.
/// OS failures keep the original [`io::Error`] (reachable through
/// [`std::error::Error::source`] and [`ExecError::io_kind`]) together with what was being
/// attempted ([`ExecError::op`]) and on how many bytes.
///
/// ```
/// use jit_runtime::exec::{install, ExecError, Reloc};
///
/// // A relocation slot must lie entirely inside the code.
/// let err = install(&[0xc3], &[Reloc { offset: 0, value: 1 }]).unwrap_err();
/// assert!(matches!(err, ExecError::RelocOutOfBounds { .. }));
/// println!("{err}");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecError {
    /// An OS call failed.
    Os {
        /// What was being attempted.
        op: ExecOp,
        /// Length in bytes of the memory involved.
        len: usize,
        /// The error the OS reported.
        source: io::Error,
    },
    /// A buffer length of zero, or one too large to map (see
    /// [`MAX_INSTALL_LEN`](crate::exec::MAX_INSTALL_LEN)).
    InvalidLength {
        /// The length that was asked for.
        len: usize,
    },
    /// A function with no bytes of code was given to install.
    EmptyCode {
        /// Index of the function (always 0 for a single [`install`](crate::exec::install)).
        function: usize,
    },
    /// A relocation's 8-byte slot does not lie entirely inside its function's code.
    RelocOutOfBounds {
        /// Index of the function (always 0 for a single [`install`](crate::exec::install)).
        function: usize,
        /// Index of the relocation in the function's relocation list.
        index: usize,
        /// The offending offset.
        offset: usize,
        /// Length of the function's code.
        code_len: usize,
    },
    /// An entry offset outside the installed function was asked for.
    EntryOutOfBounds {
        /// The offending offset.
        offset: usize,
        /// Length of the installed function.
        len: usize,
    },
}

impl ExecError {
    pub(crate) fn os(op: ExecOp, len: usize, source: io::Error) -> Self {
        ExecError::Os { op, len, source }
    }

    /// The OS operation that failed, if this is an OS failure.
    ///
    /// ```
    /// use jit_runtime::exec::{ExecOp, fault, install};
    ///
    /// assert_eq!(install(&[], &[]).unwrap_err().op(), None); // empty code: no OS call made
    /// fault::fail_next_protect_changes(1); // the next mprotect on this thread fails
    /// assert_eq!(install(&[0xc3], &[]).unwrap_err().op(), Some(ExecOp::MakeExecutable));
    /// ```
    pub fn op(&self) -> Option<ExecOp> {
        match self {
            ExecError::Os { op, .. } => Some(*op),
            _ => None,
        }
    }

    /// The [`io::ErrorKind`] the OS reported, if this is an OS failure.
    ///
    /// ```
    /// use jit_runtime::exec::{fault, install};
    ///
    /// assert_eq!(install(&[], &[]).unwrap_err().io_kind(), None);
    /// fault::fail_next_protect_changes(1); // fails as mprotect does with ENOMEM
    /// let kind = install(&[0xc3], &[]).unwrap_err().io_kind();
    /// assert!(kind.is_some());
    /// if cfg!(unix) {
    ///     assert_eq!(kind, Some(std::io::ErrorKind::OutOfMemory));
    /// }
    /// ```
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            ExecError::Os { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::Os { op, len, source } => {
                write!(f, "could not {} on {len} bytes: {source}", op.describe())
            }
            ExecError::InvalidLength { len } => {
                write!(f, "invalid executable buffer length {len}")
            }
            ExecError::EmptyCode { function } => {
                write!(f, "function {function} has no code")
            }
            ExecError::RelocOutOfBounds {
                function,
                index,
                offset,
                code_len,
            } => write!(
                f,
                "relocation {index} of function {function} writes 8 bytes at offset {offset}, \
                 outside its {code_len} bytes of code"
            ),
            ExecError::EntryOutOfBounds { offset, len } => write!(
                f,
                "entry offset {offset} is outside the installed {len}-byte function"
            ),
        }
    }
}

impl std::error::Error for ExecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExecError::Os { source, .. } => Some(source),
            _ => None,
        }
    }
}
