//! Machine code loaded into executable memory, and calling it.

use jit_compiler::codegen::{Abi, CodegenOptions};
#[cfg(target_arch = "x86_64")]
use jit_compiler::codegen::{Assembled, compile_then};
use jit_compiler::{Error, ErrorKind, Expr, Node, Result, Span, UserFnImpl};

/// Loaded machine code of one function.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Native {
    /// Keeps the code mapped (read-execute) while this lives.
    _code: Code,
    array_entry: usize,
    register_entry: Option<usize>,
    abi: Abi,
}

/// What keeps a function's machine code mapped: a buffer of its own (`Jit::compile`), or a
/// handle into the buffer a batch shares.
#[cfg(target_arch = "x86_64")]
enum Code {
    Sole(crate::exec::pool::SoleCode),
    Shared(crate::exec::ExecCode),
}

#[cfg(target_arch = "x86_64")]
impl Code {
    fn as_ptr(&self) -> *const u8 {
        match self {
            Code::Sole(code) => code.as_ptr(),
            Code::Shared(code) => code.as_ptr(),
        }
    }
}

/// On other architectures there is no machine code: every function is interpreted.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) enum Native {}

/// Does the expression call a user closure (which may panic)?
pub(crate) fn calls_closure(expr: &Expr) -> bool {
    let Some(reg) = expr.registry() else {
        return false;
    };
    expr.ast().nodes().iter().any(|n| match n {
        Node::Call(f, _) => matches!(
            reg.functions().get(*f as usize).map(|u| &u.imp),
            Some(UserFnImpl::Closure(_)) | None
        ),
        _ => false,
    })
}

pub(crate) fn exec_error(e: crate::exec::ExecError) -> Error {
    Error::new(
        ErrorKind::ExecutableMemory,
        Span::default(),
        format!("executable memory: {e}"),
    )
}

/// Machine code with its relocations resolved, ready to be loaded (by a batch).
#[cfg(target_arch = "x86_64")]
struct Prepared {
    code: Vec<u8>,
    relocs: Vec<crate::exec::Reloc>,
    entries: Entries,
}

/// Where a function's entries are in its code, and their calling convention.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Entries {
    array_entry: usize,
    register_entry: Option<usize>,
    abi: Abi,
}

#[cfg(target_arch = "x86_64")]
impl Entries {
    fn of(code: &Assembled<'_>) -> Entries {
        Entries {
            array_entry: code.array_entry,
            register_entry: code.register_entry,
            abi: code.abi,
        }
    }

    /// The function loaded at `code`.
    fn into_native(self, code: Code) -> Native {
        let base = code.as_ptr() as usize;
        Native {
            array_entry: base + self.array_entry,
            register_entry: self.register_entry.map(|o| base + o),
            abi: self.abi,
            _code: code,
        }
    }
}

/// The addresses to write into `code`'s slots; `None` when a called function has no address
/// for its convention (the expression is then interpreted).
#[cfg(target_arch = "x86_64")]
fn resolve(code: &Assembled<'_>, expr: &Expr) -> Option<Vec<crate::exec::Reloc>> {
    if code.relocs.is_empty() {
        // (most expressions call nothing: collecting an empty iterator cost 26 instructions)
        return Some(Vec::new());
    }
    let win64 = code.abi == Abi::Win64;
    let registry = expr.registry().map(|r| &**r);
    code.relocs
        .iter()
        .map(|r| {
            let value = crate::helpers::address(r.symbol, win64, registry)?;
            Some(crate::exec::Reloc {
                offset: r.offset as usize,
                value,
            })
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
impl Prepared {
    /// Generates the code; `None` when it must be interpreted (see [`resolve`]).
    fn new(expr: &Expr, options: &CodegenOptions) -> Result<Option<Prepared>> {
        compile_then(expr, options, |code| {
            Some(Prepared {
                relocs: resolve(&code, expr)?,
                code: code.code.to_vec(),
                entries: Entries::of(&code),
            })
        })
    }
}

#[cfg(target_arch = "x86_64")]
impl Native {
    /// Generates and loads the code; `None` when the expression must be interpreted.
    ///
    /// The code is copied into executable memory straight from the code generator's buffer
    /// (`compile_then`), rather than first into a vector that is freed once loaded.
    pub(crate) fn compile(expr: &Expr, options: &CodegenOptions) -> Result<Option<Native>> {
        compile_then(expr, options, |code| {
            let Some(relocs) = resolve(&code, expr) else {
                return Ok(None);
            };
            let sole = crate::exec::pool::install_sole(code.code, &relocs).map_err(exec_error)?;
            Ok(Some(Entries::of(&code).into_native(Code::Sole(sole))))
        })?
    }

    /// [`Native::compile`] for many expressions, loaded into one mapping with one protection
    /// change.
    pub(crate) fn compile_batch(
        exprs: &[Expr],
        options: &CodegenOptions,
    ) -> Result<Vec<Option<Native>>> {
        let mut prepared = Vec::with_capacity(exprs.len());
        for expr in exprs {
            prepared.push(Prepared::new(expr, options)?);
        }
        let loadable: Vec<(&[u8], &[crate::exec::Reloc])> = prepared
            .iter()
            .flatten()
            .map(|p| (&p.code[..], &p.relocs[..]))
            .collect();
        let mut codes = crate::exec::install_batch(&loadable)
            .map_err(exec_error)?
            .into_iter();
        Ok(prepared
            .into_iter()
            .map(|p| {
                p.and_then(|p| {
                    codes
                        .next()
                        .map(|code| p.entries.into_native(Code::Shared(code)))
                })
            })
            .collect())
    }

    /// Calls the array entry with `args` (the caller checked the length).
    #[inline]
    pub(crate) fn call_array(&self, args: &[f64]) -> f64 {
        match self.abi {
            // SAFETY: `array_entry` is the array entry of System V code generated for
            // `args.len()` arguments (checked by the caller), mapped while `self._code` lives.
            Abi::SysV => unsafe { call_sysv_array(self.array_entry, args) },
            Abi::Win64 => {
                // SAFETY: `array_entry` is the array entry of Win64 code generated for
                // `args.len()` arguments (checked by the caller), mapped while `self._code`
                // lives; it reads exactly that many f64 from the pointer.
                let f = unsafe {
                    std::mem::transmute::<usize, extern "win64" fn(*const f64) -> f64>(
                        self.array_entry,
                    )
                };
                f(args.as_ptr())
            }
        }
    }

    /// The array entry's address when it can be called as System V code (which any x86-64
    /// host can do), for the fast path of `JitFn::call`.
    pub(crate) fn sysv_array_entry(&self) -> Option<usize> {
        (self.abi == Abi::SysV).then_some(self.array_entry)
    }

    /// The register entry's address, when the code uses the host's convention.
    pub(crate) fn register_entry(&self) -> Option<usize> {
        if self.abi == Abi::host() {
            self.register_entry
        } else {
            None
        }
    }
}

/// Calls the System V array entry at `entry` with `args`.
///
/// # Safety
/// `entry` must be the array entry of System V machine code generated for exactly
/// `args.len()` arguments, and the code must stay mapped during the call.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn call_sysv_array(entry: usize, args: &[f64]) -> f64 {
    // SAFETY: the caller guarantees that `entry` is such code; it reads `args.len()` f64
    // from the pointer and returns one in xmm0, which is this signature.
    let f = unsafe { std::mem::transmute::<usize, extern "sysv64" fn(*const f64) -> f64>(entry) };
    f(args.as_ptr())
}

/// No machine code runs here: every function is interpreted. The code is still generated (and
/// dropped) so that the limits of machine code (`CodeTooLarge`, `FrameTooLarge`) refuse the
/// same expressions on every target, as `jit_expr!` does: a formula accepted here is
/// accepted on x86-64. That costs what code generation costs on x86-64, microseconds.
#[cfg(not(target_arch = "x86_64"))]
impl Native {
    pub(crate) fn compile(expr: &Expr, options: &CodegenOptions) -> Result<Option<Native>> {
        jit_compiler::codegen::compile_then(expr, options, |_| None)
    }

    pub(crate) fn compile_batch(
        exprs: &[Expr],
        options: &CodegenOptions,
    ) -> Result<Vec<Option<Native>>> {
        exprs.iter().map(|e| Native::compile(e, options)).collect()
    }

    pub(crate) fn call_array(&self, _: &[f64]) -> f64 {
        match *self {}
    }

    pub(crate) fn register_entry(&self) -> Option<usize> {
        match *self {}
    }

    pub(crate) fn sysv_array_entry(&self) -> Option<usize> {
        match *self {}
    }
}

pub(crate) use crate::trampoline::{catching, drop_quietly, own_panics, panic_message};
