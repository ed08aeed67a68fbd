//! The install-once cells that `jit_expr!` expands to. **Only for the macro's own output**:
//! nothing here is a stable API, and the safety of the safe functions below rests on the
//! data coming from the macro (see each item's contract).
//!
//! # How a site works
//!
//! `jit_expr!` compiles the expression while the user's crate is compiled and emits, per
//! call site, a `static` [`Site`] holding the machine code twice ([`RawCode`]: bytes,
//! relocation table, entry offsets; once in SSE2, which every x86-64 CPU runs, and once
//! with AVX's three-operand forms, installed instead on CPUs with AVX) and an
//! [`AtomicUsize`] with the address of the installed entry (0 = not yet installed).
//! Evaluating the macro expression is [`Site::get`]: **one atomic load** (an ordinary `mov`
//! on x86-64) and, once installed, a transmute of the address to the fn pointer type. Only
//! the first evaluation takes the slow path.
//!
//! # Design: one batch for all sites (linkme)
//!
//! Every site also registers itself in the distributed slice `SITES` (the `linkme` crate:
//! the linker collects one pointer per site into one section). At the first use of **any**
//! site, the slow path takes a global mutex and installs **every** registered site in one
//! [`install_batch`](crate::exec::install_batch): one buffer, one system call, the sites packed
//! 16 bytes apart, so a program with a hundred small expressions uses a page or two rather
//! than a hundred pages. The addresses are then published with `Release` stores; racing
//! threads wait on the mutex and find their site installed (exactly once, same pointer).
//!
//! * **W^X**: the batch is written into the code file's read-execute pages, or while
//!   read-write and then made read-execute once; the handles are kept in a global for the
//!   rest of the program, so these pages are never written or made writable again (the pool
//!   only recycles a buffer after its last handle drops).
//! * **Relocations** (calls of `sin`, `powf`, ...) are patched with the runtime's helper
//!   addresses for the host convention; `Symbol::User(i)` (a function of `fns = [...]`) with
//!   the address of the site's `i`-th [`UserFnPtr`]. Those are `extern "C"`, i.e. the host
//!   convention: System V code on Linux and macOS, Win64 code on Windows, which is what a
//!   site runs. (`call_win64` on a non-Windows host cannot call them; the macro rejects
//!   `@win64` with `fns`.)
//! * A site missing from the slice (e.g. code in a dynamically loaded library that registered
//!   after the batch, or a platform where the linker section is unavailable) is installed on
//!   its own at its first use, under the same mutex. On `x86_64-pc-windows-gnu` the slice is
//!   empty (MinGW's `ld` drops the section; seen under wine): every site is installed
//!   this way, a buffer each.
//! * **The one panic**: if the operating system refuses executable memory at first use, the
//!   slow path panics with a message saying so. A fn pointer cannot fall back to anything,
//!   and the macro's value is a plain fn pointer, so there is no `Result` to return. A failed
//!   install leaves the site uninstalled: a later evaluation tries again.

use crate::exec::{self, ExecCode};
use jit_compiler::codegen::Symbol;
use std::marker::PhantomData;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use linkme;

/// A user function of `jit_expr!(.., fns = [...])`, as a fn pointer that a `static` can hold
/// (the variant is the arity the macro took from the calls; the type checks the function).
#[derive(Clone, Copy, Debug)]
pub enum UserFnPtr {
    /// `extern "C" fn() -> f64`
    F0(extern "C" fn() -> f64),
    /// `extern "C" fn(f64) -> f64`
    F1(extern "C" fn(f64) -> f64),
    /// `extern "C" fn(f64, f64) -> f64`
    F2(extern "C" fn(f64, f64) -> f64),
    /// `extern "C" fn(f64, f64, f64) -> f64`
    F3(extern "C" fn(f64, f64, f64) -> f64),
    /// `extern "C" fn(f64, f64, f64, f64) -> f64`
    F4(extern "C" fn(f64, f64, f64, f64) -> f64),
}

impl UserFnPtr {
    /// The function's address.
    pub fn address(self) -> usize {
        match self {
            UserFnPtr::F0(f) => f as usize,
            UserFnPtr::F1(f) => f as usize,
            UserFnPtr::F2(f) => f as usize,
            UserFnPtr::F3(f) => f as usize,
            UserFnPtr::F4(f) => f as usize,
        }
    }
}

/// Machine code emitted by `jit_expr!` for one calling convention.
///
/// Contract: `code` is the output of the trivial-jit code generator for `arity` arguments,
/// `relocs` its relocation table as `(offset, Symbol::code())`, `fns` the functions that
/// `Symbol::User(i)` refers to (by index, each of the arity the code calls it with),
/// `array_entry` and
/// `register_entry` its entry offsets, all for the calling convention the code is used with
/// (System V for [`Site`] on non-Windows hosts, Win64 for [`Site`] on Windows and for
/// [`call_win64`]).
#[derive(Clone, Copy, Debug)]
pub struct RawCode {
    /// The bytes.
    pub code: &'static [u8],
    /// `(offset of the 8-byte slot, Symbol::code())` for every relocation.
    pub relocs: &'static [(u32, u32)],
    /// The user functions (`fns = [...]`), indexed by `Symbol::User(i)`.
    pub fns: &'static [UserFnPtr],
    /// Offset of `fn(*const f64) -> f64`.
    pub array_entry: usize,
    /// Offset of `fn(f64, ..) -> f64` (up to 8 arguments).
    pub register_entry: Option<usize>,
    /// Number of arguments.
    pub arity: usize,
}

impl RawCode {
    /// Do the entries lie inside the code? (Checked by `Site::new`, so that an installed
    /// site never has an entry address of 0, which marks "not installed".)
    const fn entries_in_code(&self) -> bool {
        let len = self.code.len();
        self.array_entry < len
            && match self.register_entry {
                Some(r) => r < len,
                None => true,
            }
    }
}

/// The untyped part of a [`Site`]: what the batch installer sees through `SITES`.
#[derive(Debug)]
pub struct SiteCore {
    /// SSE2 code, for every x86-64 CPU.
    raw: RawCode,
    /// The same function with AVX's three-operand forms, installed instead when the CPU
    /// has AVX (the macro cannot know the CPU the program will run on).
    avx: RawCode,
    /// Use the array entry (`fn(&[f64; N])`) rather than the register entry.
    array: bool,
    /// Address of the installed entry; 0 until installed.
    entry: AtomicUsize,
}

impl SiteCore {
    /// The code to install on this CPU.
    fn code(&self) -> &RawCode {
        if crate::cpu::has_avx() {
            &self.avx
        } else {
            &self.raw
        }
    }

    fn entry_offset(&self) -> Option<usize> {
        if self.array {
            Some(self.code().array_entry)
        } else {
            self.code().register_entry
        }
    }
}

/// Every `jit_expr!` site of the program, collected by the linker.
#[linkme::distributed_slice]
pub static SITES: [&'static SiteCore];

/// A fn pointer type that a site can hand out: `extern "C" fn(f64, ..) -> f64` with 0 to 8
/// arguments, or `extern "C" fn(&[f64; N]) -> f64`. Sealed.
pub trait EntryFn: Copy + sealed::Sealed + 'static {
    /// Number of `f64` arguments.
    const ARITY: usize;
    /// Whether the function takes the arguments as an array (the code's array entry).
    const ARRAY: bool;
    /// The fn pointer at `addr`.
    ///
    /// # Safety
    /// `addr` must be the matching entry of installed code that stays executable forever.
    #[doc(hidden)]
    unsafe fn from_addr(addr: usize) -> Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! register_fns {
    ($($n:literal: ($($a:ident),*);)*) => {$(
        impl sealed::Sealed for extern "C" fn($($a: f64),*) -> f64 {}
        impl EntryFn for extern "C" fn($($a: f64),*) -> f64 {
            const ARITY: usize = $n;
            const ARRAY: bool = false;
            #[inline(always)]
            unsafe fn from_addr(addr: usize) -> Self {
                // SAFETY: the caller guarantees `addr` is the register entry of live code
                // for this many `f64` arguments in the host C convention; fn pointers and
                // `usize` have the same size on every target this module is built for.
                unsafe { std::mem::transmute::<usize, Self>(addr) }
            }
        }
    )*};
}

register_fns! {
    0: ();
    1: (a);
    2: (a, b);
    3: (a, b, c);
    4: (a, b, c, d);
    5: (a, b, c, d, e);
    6: (a, b, c, d, e, f);
    7: (a, b, c, d, e, f, g);
    8: (a, b, c, d, e, f, g, h);
}

impl<const N: usize> sealed::Sealed for extern "C" fn(&[f64; N]) -> f64 {}
impl<const N: usize> EntryFn for extern "C" fn(&[f64; N]) -> f64 {
    const ARITY: usize = N;
    const ARRAY: bool = true;
    #[inline(always)]
    unsafe fn from_addr(addr: usize) -> Self {
        // SAFETY: the caller guarantees `addr` is the array entry of live code for `N`
        // arguments; that entry takes one pointer to `N` consecutive `f64`s, which is how
        // `&[f64; N]` is passed (a thin pointer in the first integer register).
        unsafe { std::mem::transmute::<usize, Self>(addr) }
    }
}

/// One `jit_expr!` call site: its code and the address of the installed entry.
///
/// Contract (the reason this is hidden): `raw` must be code emitted by `jit_expr!` for the
/// host calling convention and for `F`'s arguments. The arity and the entries' offsets are
/// checked when the `static` is evaluated (a mismatch is a compile error); the bytes
/// themselves cannot be checked. `Site::new` is a safe function so that the expansion needs
/// no `unsafe` (it compiles in crates with `#![forbid(unsafe_code)]`), which makes it
/// unsound to call with anything else: `get` runs the bytes. Only the macro calls it.
pub struct Site<F: EntryFn> {
    core: SiteCore,
    _fn: PhantomData<F>,
}

impl<F: EntryFn> Site<F> {
    /// A site for `raw` (SSE2 code) and `avx` (the same function with AVX forms); see the
    /// type's contract.
    pub const fn new(raw: RawCode, avx: RawCode) -> Site<F> {
        assert!(
            raw.arity == F::ARITY && avx.arity == F::ARITY,
            "jit_expr!: arity mismatch"
        );
        assert!(
            F::ARRAY || (raw.register_entry.is_some() && avx.register_entry.is_some()),
            "jit_expr!: no register entry"
        );
        assert!(
            raw.entries_in_code() && avx.entries_in_code(),
            "jit_expr!: an entry lies outside the code"
        );
        Site {
            core: SiteCore {
                raw,
                avx,
                array: F::ARRAY,
                entry: AtomicUsize::new(0),
            },
            _fn: PhantomData,
        }
    }

    /// The untyped part, for registration in `SITES`.
    pub const fn core(&'static self) -> &'static SiteCore {
        &self.core
    }

    /// The function: one atomic load once installed; installs every registered site at the
    /// first call of any of them.
    ///
    /// # Panics
    /// If the operating system refuses executable memory at the first use.
    #[inline(always)]
    pub fn get(&'static self) -> F {
        let addr = self.core.entry.load(Ordering::Acquire);
        if addr != 0 {
            // SAFETY: a non-zero entry was stored (with `Release`) by `install` after the
            // code was made executable; the handles are never dropped (`INSTALLED`). The code
            // matches `F` by the contract of `Site::new`.
            unsafe { F::from_addr(addr) }
        } else {
            self.slow()
        }
    }

    #[cold]
    #[inline(never)]
    fn slow(&'static self) -> F {
        let addr = install(&self.core);
        // SAFETY: as in `get`: `addr` is the installed entry of this site's code (`install`
        // returns only an address `publish` stored, which is never 0: it panics otherwise).
        unsafe { F::from_addr(addr) }
    }
}

/// The installed code of all sites, kept for the rest of the program so that the pages stay
/// read-execute (and are never reused), and whether the batch has been tried.
struct Installed {
    batch_tried: bool,
    code: Vec<ExecCode>,
    installs: usize,
}

static INSTALLED: Mutex<Installed> = Mutex::new(Installed {
    batch_tried: false,
    code: Vec::new(),
    installs: 0,
});

/// How many times site code was installed (batches and single sites): 1 in a program that
/// registered every site it used. For tests.
pub fn install_count() -> usize {
    exec::lock(&INSTALLED).installs
}

/// The relocation table of `raw` with helper addresses, or `None` for an unknown symbol (or
/// a user function in code whose convention is not the host's `extern "C"`).
fn relocs(raw: &RawCode, win64: bool) -> Option<Vec<exec::Reloc>> {
    raw.relocs
        .iter()
        .map(|&(offset, code)| {
            let value = match Symbol::from_code(code)? {
                Symbol::User(i) if win64 == cfg!(windows) => {
                    raw.fns.get(i as usize)?.address() as u64
                }
                symbol => crate::helpers::address(symbol, win64, None)?,
            };
            Some(exec::Reloc {
                offset: offset as usize,
                value,
            })
        })
        .collect()
}

/// Installs `site` (and, the first time, every registered site); returns its entry address.
fn install(site: &'static SiteCore) -> usize {
    let mut state = exec::lock(&INSTALLED);
    // Another thread may have installed it while this one waited for the lock.
    let addr = site.entry.load(Ordering::Acquire);
    if addr != 0 {
        return addr;
    }
    let win64 = cfg!(windows);
    if !state.batch_tried {
        state.batch_tried = true;
        let mut sites: Vec<&'static SiteCore> = Vec::with_capacity(SITES.len());
        let mut tables = Vec::with_capacity(SITES.len());
        for &s in SITES.iter() {
            let fresh = s.entry.load(Ordering::Acquire) == 0;
            let duplicate = sites.iter().any(|&t| std::ptr::eq(t, s));
            if let (true, false, Some(table)) = (fresh, duplicate, relocs(s.code(), win64)) {
                sites.push(s);
                tables.push(table);
            }
        }
        let codes: Vec<(&[u8], &[exec::Reloc])> = sites
            .iter()
            .zip(&tables)
            .map(|(s, t)| (s.code().code, &t[..]))
            .collect();
        // A failed batch is not fatal: the requesting site is retried on its own below and
        // reports the error if that fails too; the others install at their first use. An
        // empty batch (no `SITES` section, as MinGW's `ld` leaves) installs nothing, and is
        // not counted.
        if let Some(handles) = exec::install_batch(&codes).ok().filter(|h| !h.is_empty()) {
            state.installs += 1;
            for (s, h) in sites.iter().zip(handles) {
                // (a site whose entry is not in its code stays uninstalled and fails below)
                let _ = publish(s, &h);
                state.code.push(h);
            }
        }
    }
    let addr = site.entry.load(Ordering::Acquire);
    if addr != 0 {
        return addr;
    }
    let table = relocs(site.code(), win64)
        .unwrap_or_else(|| panic!("jit_expr!: the code refers to an unknown function"));
    match exec::install(site.code().code, &table) {
        Ok(h) => {
            state.installs += 1;
            let addr = publish(site, &h);
            state.code.push(h);
            // (not reached: `Site::new` checks the entries)
            addr.unwrap_or_else(|| panic!("jit_expr!: the entry lies outside the code"))
        }
        Err(e) => panic!(
            "jit_expr!: cannot install the compiled expression: the operating system refused \
             executable memory ({e})"
        ),
    }
}

/// Stores the entry address of `site` installed as `handle` and returns it; `None`, and
/// nothing stored, if the entry is not in the code (which `Site::new` rules out).
fn publish(site: &SiteCore, handle: &ExecCode) -> Option<usize> {
    let addr = site
        .entry_offset()
        .and_then(|o| handle.entry(o).ok())
        .map(|p| p as usize)
        .filter(|&a| a != 0)?;
    site.entry.store(addr, Ordering::Release);
    Some(addr)
}

/// Installs Win64 code emitted by `jit_expr!(@win64 ..)` and calls its **array entry**
/// through `extern "win64" fn(*const f64) -> f64`, so that the Windows code can be tested on
/// any x86-64 host. For the macro's tests only.
///
/// Contract: `raw` comes from `jit_expr!(@win64 ..)`.
///
/// # Panics
/// If `args.len() != raw.arity`, or executable memory cannot be had.
pub fn call_win64(raw: &RawCode, args: &[f64]) -> f64 {
    assert_eq!(args.len(), raw.arity, "call_win64: wrong argument count");
    let (code, entry) = install_win64(raw, raw.array_entry);
    // SAFETY: `entry` is the array entry of Win64 code for `raw.arity` arguments (contract),
    // which reads `raw.arity` f64s from the pointer; `args` has that many and outlives the
    // call; `code` keeps the code executable until after the call.
    let f = unsafe { std::mem::transmute::<usize, extern "win64" fn(*const f64) -> f64>(entry) };
    let r = f(args.as_ptr());
    drop(code);
    r
}

/// Like [`call_win64`], through the **register entry**
/// (`extern "win64" fn(f64, ..) -> f64`, 0 to 8 arguments; the fifth and later on the stack).
///
/// # Panics
/// If `args.len() != raw.arity`, the arity exceeds 8, or executable memory cannot be had.
pub fn call_win64_registers(raw: &RawCode, args: &[f64]) -> f64 {
    assert_eq!(args.len(), raw.arity, "call_win64: wrong argument count");
    let offset = raw.register_entry.expect("call_win64: no register entry");
    let (code, entry) = install_win64(raw, offset);
    macro_rules! call {
        ($($i:literal),*) => {{
            type F = extern "win64" fn($(call!(@f64 $i)),*) -> f64;
            // SAFETY: `entry` is the register entry of Win64 code for `raw.arity` (checked
            // equal to this signature's) arguments; `code` keeps it executable.
            let f = unsafe { std::mem::transmute::<usize, F>(entry) };
            f($(args[$i]),*)
        }};
        (@f64 $i:literal) => { f64 };
    }
    let r = match args.len() {
        0 => call!(),
        1 => call!(0),
        2 => call!(0, 1),
        3 => call!(0, 1, 2),
        4 => call!(0, 1, 2, 3),
        5 => call!(0, 1, 2, 3, 4),
        6 => call!(0, 1, 2, 3, 4, 5),
        7 => call!(0, 1, 2, 3, 4, 5, 6),
        8 => call!(0, 1, 2, 3, 4, 5, 6, 7),
        n => panic!("call_win64: {n} arguments do not fit the register entry"),
    };
    drop(code);
    r
}

fn install_win64(raw: &RawCode, offset: usize) -> (ExecCode, usize) {
    let table = relocs(raw, true).expect("call_win64: unknown function in the code");
    let code = exec::install(raw.code, &table).expect("call_win64: executable memory");
    let entry = code.entry(offset).expect("call_win64: entry out of bounds") as usize;
    (code, entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mov rax, imm64; movq xmm0, rax; ret`: returns the double with bits `imm64`.
    const fn returns(bits: u64) -> [u8; 16] {
        let b = bits.to_le_bytes();
        [
            0x48, 0xb8, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], 0x66, 0x48, 0x0f, 0x6e,
            0xc0, 0xc3,
        ]
    }

    static ONE: [u8; 16] = returns(0x3ff0_0000_0000_0000); // 1.0
    static TWO: [u8; 16] = returns(0x4000_0000_0000_0000); // 2.0

    const fn raw(code: &'static [u8]) -> RawCode {
        RawCode {
            code,
            relocs: &[],
            fns: &[],
            array_entry: 0,
            register_entry: Some(0),
            arity: 0,
        }
    }

    static SITE: Site<extern "C" fn() -> f64> = Site::new(raw(&ONE), raw(&TWO));

    #[test]
    fn a_site_installs_the_avx_code_on_cpus_with_avx() {
        let want = if crate::cpu::has_avx() { 2.0 } else { 1.0 };
        assert_eq!(SITE.get()(), want);
        assert_eq!(SITE.get()(), want, "installed once, the same function");
    }

    /// An entry past the end of the code is refused when the site is made (for the macro's
    /// `static`s, a compile error), so no site ever publishes the address 0 as its entry.
    #[test]
    #[should_panic(expected = "an entry lies outside the code")]
    fn an_entry_outside_the_code_is_refused() {
        let bad = RawCode {
            register_entry: Some(16),
            ..raw(&ONE)
        };
        let _ = Site::<extern "C" fn() -> f64>::new(bad, raw(&TWO));
    }
}
