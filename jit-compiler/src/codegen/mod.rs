//! The code generator: a simplified expression → x86-64 machine code (SSE2 scalar doubles).
//!
//! Stages, one module each:
//! * `dag`: equal subtrees merged into one value, use counts, evaluation order
//!   (Sethi–Ullman: the subtree that needs more registers first);
//! * `branch`: which `if`s jump instead of blending (those whose sides call functions), which
//!   conditions are tested in place (a comparison only its `if` uses), and the order that
//!   computes each side's own values after the jump;
//! * `pair`: pairs of independent divisions, computed by one `divpd`, and the order that
//!   computes both pairs' operands first;
//! * `lower`: instruction selection and linear register allocation over all sixteen XMM
//!   registers, spilling to the stack when an expression needs more;
//! * `frame`: entries, prologue and epilogue for the calling convention, the constant pool;
//! * [`steps`]: the evaluation order and branches as a list, for generators of other code.
//!
//! The code is position-independent: constants and the address slots of called functions
//! are in a pool after the code, addressed RIP-relative. The slots are zero in the output;
//! [`Compiled::relocs`] says which function's address goes where.
//!
//! ```
//! use jit_compiler::codegen::{compile, Abi};
//! let expr = jit_compiler::parse("2*x^0.5").unwrap();
//! let code = compile(&expr, Abi::SysV).unwrap();
//! assert_eq!(code.array_entry, 0); // movsd xmm0,[rdi] then falls into the register entry
//! assert_eq!(code.register_entry, Some(4));
//! assert!(code.listing_text().contains("sqrtsd xmm0,xmm0"));
//! ```

mod branch;
pub(crate) mod dag;
mod frame;
pub(crate) mod lower;
mod pair;
pub(crate) mod pool;
mod regs;
pub mod steps;

use crate::error::{Error, ErrorKind, Result};
use crate::expr::Expr;
use crate::ops::{BinaryOp, UnaryOp};
use crate::x64::{Gpr, ListingEntry, Xmm};

/// A calling convention.
///
/// ```
/// use jit_compiler::codegen::{Abi, compile};
/// let expr = jit_compiler::parse("x + y").unwrap();
/// let (sysv, win64) = (compile(&expr, Abi::SysV).unwrap(), compile(&expr, Abi::Win64).unwrap());
/// assert_eq!((sysv.abi, win64.abi), (Abi::SysV, Abi::Win64));
/// assert!(sysv.listing_text().contains("[rdi")); // the array pointer of each convention
/// assert!(win64.listing_text().contains("[rcx"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Abi {
    /// System V AMD64 (Linux, macOS, BSDs): arguments in `xmm0`–`xmm7`, all XMM registers
    /// caller-saved, the array pointer in `rdi`.
    SysV,
    /// Microsoft x64 (Windows): arguments in `xmm0`–`xmm3` and then on the stack,
    /// `xmm6`–`xmm15` callee-saved, 32 bytes of shadow space for callees, the array pointer
    /// in `rcx`.
    Win64,
}

impl Abi {
    /// The convention of the machine this code is compiled for.
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// assert_eq!(Abi::host() == Abi::Win64, cfg!(windows));
    /// ```
    pub fn host() -> Abi {
        if cfg!(windows) { Abi::Win64 } else { Abi::SysV }
    }

    /// How many `f64` arguments arrive in registers.
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// assert_eq!((Abi::SysV.register_args(), Abi::Win64.register_args()), (8, 4));
    /// ```
    pub fn register_args(self) -> usize {
        match self {
            Abi::SysV => 8,
            Abi::Win64 => 4,
        }
    }

    /// Bytes a caller must reserve at `[rsp]` for the callee.
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// assert_eq!((Abi::SysV.shadow_space(), Abi::Win64.shadow_space()), (0, 32));
    /// ```
    pub fn shadow_space(self) -> usize {
        match self {
            Abi::SysV => 0,
            Abi::Win64 => 32,
        }
    }

    /// May a called function overwrite this register?
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// use jit_compiler::x64::Xmm;
    /// assert!(Abi::SysV.is_caller_saved(Xmm::Xmm6));
    /// assert!(!Abi::Win64.is_caller_saved(Xmm::Xmm6)); // xmm6-xmm15 are callee-saved
    /// assert!(Abi::Win64.is_caller_saved(Xmm::Xmm5));
    /// ```
    pub fn is_caller_saved(self, r: Xmm) -> bool {
        self.caller_saved_xmm() & (1 << r.num()) != 0
    }

    /// The caller-saved XMM registers as a mask (bit `n` for `xmm<n>`).
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// assert_eq!(Abi::SysV.caller_saved_xmm().count_ones(), 16);
    /// assert_eq!(Abi::Win64.caller_saved_xmm(), 0b11_1111); // xmm0-xmm5
    /// ```
    pub fn caller_saved_xmm(self) -> u16 {
        match self {
            Abi::SysV => 0xFFFF,
            // xmm0-xmm5
            Abi::Win64 => 0x003F,
        }
    }

    /// The name Rust gives the convention in `extern "…" fn`, the same on every x86-64
    /// host (`extern "C"` is System V on Linux and macOS but Win64 on Windows).
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// assert_eq!((Abi::SysV.rust_name(), Abi::Win64.rust_name()), ("sysv64", "win64"));
    /// ```
    pub fn rust_name(self) -> &'static str {
        match self {
            Abi::SysV => "sysv64",
            Abi::Win64 => "win64",
        }
    }

    /// The register holding the first integer (pointer) argument.
    ///
    /// ```
    /// use jit_compiler::codegen::Abi;
    /// use jit_compiler::x64::Gpr;
    /// assert_eq!((Abi::SysV.pointer_arg(), Abi::Win64.pointer_arg()), (Gpr::Rdi, Gpr::Rcx));
    /// ```
    pub fn pointer_arg(self) -> Gpr {
        match self {
            Abi::SysV => Gpr::Rdi,
            Abi::Win64 => Gpr::Rcx,
        }
    }
}

/// A function the machine code calls: its address is patched in at load time.
///
/// ```
/// use jit_compiler::codegen::{Abi, Symbol, compile};
/// use jit_compiler::UnaryOp;
/// let code = compile(&jit_compiler::parse("sin(x) + 1").unwrap(), Abi::SysV).unwrap();
/// let symbols: Vec<Symbol> = code.relocs.iter().map(|r| r.symbol).collect();
/// assert_eq!(symbols, [Symbol::Unary(UnaryOp::Sin)]); // `+ 1` is inline code
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// The Rust function computing a built-in unary operation (e.g. `f64::sin`).
    Unary(UnaryOp),
    /// The Rust function computing a built-in binary operation (e.g. `f64::powf`).
    Binary(BinaryOp),
    /// The user function with this index in the registry (a native `extern "C" fn`).
    User(u32),
    /// The context pointer of the user closure with this index, passed to [`Symbol::Trampoline`].
    UserContext(u32),
    /// The runtime's trampoline that calls a user closure:
    /// `extern "C" fn(context: *const UserFnImpl, args: *const f64) -> f64`.
    Trampoline,
}

impl Symbol {
    /// A number for the symbol, for relocation tables stored as data (`jit_expr!`).
    ///
    /// ```
    /// use jit_compiler::codegen::Symbol;
    /// use jit_compiler::UnaryOp;
    /// assert_eq!(Symbol::Trampoline.code(), 0x3_0000);
    /// assert_ne!(Symbol::User(0).code(), Symbol::UserContext(0).code());
    /// assert_eq!(Symbol::from_code(Symbol::Unary(UnaryOp::Cos).code()), Some(Symbol::Unary(UnaryOp::Cos)));
    /// ```
    pub fn code(self) -> u32 {
        match self {
            Symbol::Unary(op) => index_of(&UnaryOp::ALL, op),
            Symbol::Binary(op) => 0x100 + index_of(&BinaryOp::ALL, op),
            Symbol::User(i) => 0x1_0000 + (i & 0xFFFF),
            Symbol::UserContext(i) => 0x2_0000 + (i & 0xFFFF),
            Symbol::Trampoline => 0x3_0000,
        }
    }

    /// The symbol with this [`code`](Self::code).
    ///
    /// ```
    /// use jit_compiler::codegen::Symbol;
    /// use jit_compiler::BinaryOp;
    /// for s in [Symbol::Binary(BinaryOp::Powf), Symbol::User(7), Symbol::UserContext(2), Symbol::Trampoline] {
    ///     assert_eq!(Symbol::from_code(s.code()), Some(s));
    /// }
    /// assert_eq!(Symbol::from_code(0xFFFF_FFFF), None);
    /// ```
    pub fn from_code(code: u32) -> Option<Symbol> {
        match code {
            0..0x100 => UnaryOp::ALL.get(code as usize).map(|&op| Symbol::Unary(op)),
            0x100..0x1_0000 => BinaryOp::ALL
                .get(code as usize - 0x100)
                .map(|&op| Symbol::Binary(op)),
            0x1_0000..0x2_0000 => Some(Symbol::User(code - 0x1_0000)),
            0x2_0000..0x3_0000 => Some(Symbol::UserContext(code - 0x2_0000)),
            0x3_0000 => Some(Symbol::Trampoline),
            _ => None,
        }
    }
}

fn index_of<T: PartialEq>(all: &[T], x: T) -> u32 {
    all.iter().position(|y| *y == x).unwrap_or(0) as u32
}

/// "Write the address of `symbol` as 8 bytes at `offset`."
///
/// ```
/// use jit_compiler::codegen::{Abi, Symbol, compile};
/// use jit_compiler::BinaryOp;
/// let code = compile(&jit_compiler::parse("atan2(y, x)").unwrap(), Abi::SysV).unwrap();
/// let reloc = code.relocs[0];
/// assert_eq!(reloc.symbol, Symbol::Binary(BinaryOp::Atan2));
/// let slot = reloc.offset as usize;
/// assert_eq!(code.code[slot..slot + 8], [0; 8]); // zero until the loader writes the address
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reloc {
    /// Byte offset of the 8-byte slot in the code.
    pub offset: u32,
    /// Whose address.
    pub symbol: Symbol,
}

/// The default largest stack frame, in bytes, of [`CodegenOptions`] and
/// [`Limits`](crate::Limits): 32 000 values kept at once beyond the registers.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 256 << 10;

/// Code generation settings.
///
/// ```
/// use jit_compiler::codegen::{Abi, CodegenOptions, compile_with};
/// let expr = jit_compiler::parse("x*y + x").unwrap();
/// let sse2 = CodegenOptions { abi: Abi::SysV, listing: true, ..CodegenOptions::default() };
/// let avx = CodegenOptions { avx: true, ..sse2 };
/// assert!(!compile_with(&expr, &sse2).unwrap().listing_text().contains("vaddsd"));
/// assert!(compile_with(&expr, &avx).unwrap().listing_text().contains("vaddsd"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodegenOptions {
    /// The calling convention.
    pub abi: Abi,
    /// Keep a listing of every instruction (costs time; off for `Jit::compile`).
    pub listing: bool,
    /// Largest code accepted, in bytes.
    pub max_code_len: usize,
    /// Largest stack frame accepted, in bytes (see [`Limits::max_frame_len`](crate::Limits::max_frame_len)).
    pub max_frame_len: usize,
    /// Arithmetic, negation, `abs`, `min`/`max`, comparisons and the masks of the rounding
    /// functions in AVX's three-operand forms (`vaddsd xmm2, xmm0, xmm1`, `vcmpltsd`), which
    /// saves the register copies the two-operand SSE2 forms need to keep a source; the code
    /// then runs only on CPUs with AVX. Off by default (SSE2 runs on every x86-64); the
    /// runtime turns it on when the CPU has AVX.
    pub avx: bool,
}

impl Default for CodegenOptions {
    fn default() -> Self {
        CodegenOptions {
            abi: Abi::host(),
            listing: false,
            max_code_len: 64 << 20,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            avx: false,
        }
    }
}

/// Machine code for one expression.
///
/// ```
/// use jit_compiler::codegen::{Abi, compile};
/// let code = compile(&jit_compiler::parse("x*y").unwrap(), Abi::SysV).unwrap();
/// assert_eq!((code.arity, code.abi), (2, Abi::SysV));
/// assert!(code.array_entry < code.code.len());
/// assert!(code.register_entry.is_some()); // 2 arguments: up to 8 can come in registers
/// assert!(code.relocs.is_empty()); // calls nothing
/// assert!(!code.listing.is_empty()); // `compile` keeps a listing
/// ```
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The bytes: entries, body, pool.
    pub code: Vec<u8>,
    /// Address slots to fill before the code runs.
    pub relocs: Vec<Reloc>,
    /// Offset of `extern fn(args: *const f64) -> f64`: the arguments in an array.
    pub array_entry: usize,
    /// Offset of `extern fn(f64, f64, ...) -> f64`, for up to 8 arguments.
    pub register_entry: Option<usize>,
    /// Number of arguments.
    pub arity: usize,
    /// The calling convention of both entries.
    pub abi: Abi,
    /// The instructions with offsets (empty unless [`CodegenOptions::listing`]).
    pub listing: Vec<ListingEntry>,
    /// Label offsets, for printing the listing with resolved addresses. (A boxed slice, not a
    /// vector: one word less keeps `Compiled` at 128 bytes, which the compiler moves with
    /// inline vector stores instead of a `memcpy` call, and it is moved several times on the
    /// way out of every compilation.)
    labels: Box<[Option<usize>]>,
}

impl Compiled {
    /// The listing as text: offset, bytes, Intel syntax, one instruction a line.
    ///
    /// ```
    /// use jit_compiler::codegen::{Abi, CodegenOptions, compile, compile_with};
    /// let expr = jit_compiler::parse("x*x").unwrap();
    /// let text = compile(&expr, Abi::SysV).unwrap().listing_text();
    /// assert!(text.contains("mulsd xmm0,xmm0"));
    /// assert!(text.lines().last().unwrap().ends_with("ret"));
    /// // without `listing`, there is nothing to show
    /// let bare = compile_with(&expr, &CodegenOptions::default()).unwrap();
    /// assert!(bare.listing.is_empty());
    /// ```
    pub fn listing_text(&self) -> String {
        crate::x64::AsmOutput {
            code: self.code.clone(),
            listing: self.listing.clone(),
            labels: self.labels.to_vec(),
        }
        .listing_text()
    }
}

/// Compiles `expr` (simplifying it first) for `abi`, with a listing.
///
/// ```
/// use jit_compiler::codegen::{Abi, compile};
/// let code = compile(&jit_compiler::parse("x * 1").unwrap(), Abi::Win64).unwrap();
/// assert_eq!(code.abi, Abi::Win64);
/// assert!(code.listing_text().contains("movsd xmm0,[rcx]"));
/// assert!(!code.listing_text().contains("mulsd")); // simplified first: `x * 1` is `x`
/// ```
pub fn compile(expr: &Expr, abi: Abi) -> Result<Compiled> {
    compile_with(
        expr,
        &CodegenOptions {
            abi,
            listing: true,
            ..CodegenOptions::default()
        },
    )
}

/// Compiles `expr` (simplifying it first).
///
/// ```
/// use jit_compiler::codegen::{CodegenOptions, compile_with};
/// use jit_compiler::ErrorKind;
/// let expr = jit_compiler::parse("sin(x) + cos(x)").unwrap();
/// let tiny = CodegenOptions { max_code_len: 16, ..CodegenOptions::default() };
/// assert_eq!(compile_with(&expr, &tiny).unwrap_err().kind(), ErrorKind::CodeTooLarge);
/// assert!(compile_with(&expr, &CodegenOptions::default()).unwrap().code.len() > 16);
/// ```
pub fn compile_with(expr: &Expr, options: &CodegenOptions) -> Result<Compiled> {
    generate(expr, options, frame::to_compiled)
}

/// Machine code for one expression, lent by [`compile_then`]: [`Compiled`] without the
/// listing, its bytes and relocations borrowed from the code generator's buffers.
///
/// ```
/// use jit_compiler::codegen::{CodegenOptions, Symbol, compile_then};
/// use jit_compiler::UnaryOp;
/// let expr = jit_compiler::parse("sin(x) * y").unwrap();
/// let (len, arity, calls_sin) = compile_then(&expr, &CodegenOptions::default(), |code| {
///     // what a loader needs: the bytes, where to patch addresses in, where to enter
///     assert!(code.array_entry < code.code.len());
///     let sin = code.relocs.iter().any(|r| r.symbol == Symbol::Unary(UnaryOp::Sin));
///     (code.code.len(), code.arity, sin)
/// })
/// .unwrap();
/// assert!(len > 0 && arity == 2 && calls_sin);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Assembled<'a> {
    /// The bytes: entries, body, pool.
    pub code: &'a [u8],
    /// Address slots to fill before the code runs.
    pub relocs: &'a [Reloc],
    /// Offset of `extern fn(args: *const f64) -> f64`: the arguments in an array.
    pub array_entry: usize,
    /// Offset of `extern fn(f64, f64, ...) -> f64`, for up to 8 arguments.
    pub register_entry: Option<usize>,
    /// Number of arguments.
    pub arity: usize,
    /// The calling convention of both entries.
    pub abi: Abi,
}

/// [`compile_with`] that lends the code to `f` instead of returning a copy of it, and returns
/// what `f` returns: a loader copies the bytes once, into executable memory, rather than
/// twice (`Jit::compile` does). A listing, if `options` asks for one, is not lent (use
/// [`compile_with`]).
///
/// `f` runs while this thread's buffers are in use: a compilation started inside `f` works
/// on buffers of its own (allocated for it, and released after it), as does any compilation
/// nested inside another.
///
/// ```
/// use jit_compiler::codegen::{CodegenOptions, compile_then, compile_with};
/// let expr = jit_compiler::parse("2*x^0.5").unwrap();
/// let options = CodegenOptions::default();
/// let copy = compile_then(&expr, &options, |code| code.code.to_vec()).unwrap();
/// assert_eq!(copy, compile_with(&expr, &options).unwrap().code);
/// ```
pub fn compile_then<R>(
    expr: &Expr,
    options: &CodegenOptions,
    f: impl FnOnce(Assembled<'_>) -> R,
) -> Result<R> {
    generate(expr, options, |asm, layout| {
        // (lent, not copied: no `malloc`, `memcpy` and `free` of a copy, and nothing freed
        // after the runtime's `mprotect`; a `Jit::compile` + drop of E1-E4 took 229-246
        // instructions fewer)
        let code = asm.finish_in_place().map_err(frame::internal_error)?;
        Ok(f(Assembled {
            code,
            relocs: &layout.relocs,
            array_entry: layout.array_entry,
            register_entry: layout.register_entry,
            arity: layout.arity,
            abi: layout.abi,
        }))
    })
}

/// Simplifies, plans and assembles `expr` in this thread's workspace, and returns what
/// `finish` makes of the assembled function.
///
/// (The result is returned as it is, never unwrapped and wrapped again: that copied the
/// 128-byte `Compiled` twice. The closure is inlined into `workspace::with`, which saves a
/// call and a copy of the result; the simplifier and the planner then become calls of their
/// own, and E2-E5 took 10-190 instructions fewer, E1 3 more.)
#[inline(always)]
fn generate<R>(
    expr: &Expr,
    options: &CodegenOptions,
    finish: impl FnOnce(&mut crate::x64::Assembler, frame::Layout) -> Result<R>,
) -> Result<R> {
    let registry = expr.registry().map(|r| &**r);
    crate::workspace::with(
        #[inline(always)]
        |tree, ws| {
            let root = expr.simplify_for_codegen_in(tree, ws);
            let mut dag = dag::Dag::plan(tree, root, &mut ws.plan);
            dag.plan_branches(&mut ws.plan);
            dag.plan_pairs(&mut ws.plan);
            let result = frame::assemble(&dag, expr.arity(), registry, options, ws, |asm, l| {
                // (checked before the code is copied or lent: resolving the labels does not
                // change its length)
                let len = asm.offset();
                if len > options.max_code_len {
                    return Err(code_too_large(expr, len, options.max_code_len));
                }
                finish(asm, l)
            });
            dag.recycle(&mut ws.plan);
            result
        },
    )
}

/// The error for machine code of `len` bytes, over `limit`.
#[cold]
fn code_too_large(expr: &Expr, len: usize, limit: usize) -> Error {
    Error::new(
        ErrorKind::CodeTooLarge,
        expr.ast().span(expr.root()),
        format!("the machine code would be {len} bytes; the limit is {limit}"),
    )
}

mod vector;
pub use vector::{
    ArrayKernel, PREFETCH_AHEAD, Prefetch, ReduceOp, VectorIsa, fast_reduce_kernel, fold_kernel,
    map_kernel, reduce_shape,
};

#[cfg(test)]
mod tests {
    use super::*;

    const EXPRS: [&str; 6] = [
        "2*x^0.5",
        "(-b+(b^2-4*a*c)^0.5)/(2*a)",
        "x^7 - 3*x^5 + 2*x^3 - x + 1",
        "sin(x) + atan2(y, x)",
        "if(x > 0, exp(x), sin(x))",
        "a+b+c+d+e+f+g+h+i+j",
    ];

    /// Every option that changes the bytes: both conventions, SSE2 and AVX.
    fn all_options() -> impl Iterator<Item = CodegenOptions> {
        [Abi::SysV, Abi::Win64].into_iter().flat_map(|abi| {
            [false, true].map(|avx| CodegenOptions {
                abi,
                avx,
                ..CodegenOptions::default()
            })
        })
    }

    /// Everything `compile_then` lends, owned, for comparisons.
    type Parts = (Vec<u8>, Vec<Reloc>, usize, Option<usize>, usize, Abi);

    fn lent_copy(code: Assembled<'_>) -> Parts {
        let Assembled {
            code,
            relocs,
            array_entry,
            register_entry,
            arity,
            abi,
        } = code;
        (
            code.to_vec(),
            relocs.to_vec(),
            array_entry,
            register_entry,
            arity,
            abi,
        )
    }

    fn copied(c: Compiled) -> Parts {
        (
            c.code,
            c.relocs,
            c.array_entry,
            c.register_entry,
            c.arity,
            c.abi,
        )
    }

    #[test]
    fn compile_then_lends_what_compile_with_returns() {
        for src in EXPRS {
            let expr = crate::parse(src).unwrap();
            for options in all_options() {
                let lent = compile_then(&expr, &options, lent_copy).unwrap();
                assert_eq!(
                    lent,
                    copied(compile_with(&expr, &options).unwrap()),
                    "{src}"
                );
            }
        }
    }

    #[test]
    fn a_compilation_inside_compile_then_uses_buffers_of_its_own() {
        let options = CodegenOptions::default();
        let (outer, inner) = (
            crate::parse(EXPRS[1]).unwrap(),
            crate::parse(EXPRS[2]).unwrap(),
        );
        let (lent_outer, lent_inner) = compile_then(&outer, &options, |code| {
            let inner = compile_then(&inner, &options, lent_copy).unwrap();
            // the outer code is still there, untouched by the inner compilation
            (lent_copy(code), inner)
        })
        .unwrap();
        assert_eq!(lent_outer, copied(compile_with(&outer, &options).unwrap()));
        assert_eq!(lent_inner, copied(compile_with(&inner, &options).unwrap()));
    }

    /// The thread's workspace keeps the last body, its vectors and the planner's tables
    /// between compilations: a compilation stopped by the code limit, whatever state it
    /// leaves there, changes no byte of the next one (compared with a fresh thread's).
    #[test]
    fn a_failed_compilation_changes_nothing_after_it() {
        let fresh = |src: &'static str, options: CodegenOptions| {
            std::thread::spawn(move || {
                copied(compile_with(&crate::parse(src).unwrap(), &options).unwrap())
            })
            .join()
            .unwrap()
        };
        for options in all_options() {
            let tiny = CodegenOptions {
                max_code_len: 24,
                ..options
            };
            // (all but `2*x^0.5`, whose 13 bytes fit)
            for failing in &EXPRS[1..] {
                for src in EXPRS {
                    let big = crate::parse(failing).unwrap();
                    assert!(compile_with(&big, &tiny).is_err(), "{failing}");
                    let expr = crate::parse(src).unwrap();
                    let after = copied(compile_with(&expr, &options).unwrap());
                    assert_eq!(after, fresh(src, options), "{src} after {failing}");
                }
            }
        }
    }

    #[test]
    fn compile_then_reports_errors_without_calling_f() {
        let expr = crate::parse("sin(x) + cos(x)").unwrap();
        let tiny = CodegenOptions {
            max_code_len: 16,
            ..CodegenOptions::default()
        };
        let err = compile_then(&expr, &tiny, |_| panic!("f called")).unwrap_err();
        assert_eq!(err, compile_with(&expr, &tiny).unwrap_err());
    }
}
