//! `Jit` (compiling) and `JitFn` (a compiled function).

use jit_compiler::codegen::{Abi, CodegenOptions};
use jit_compiler::{Error, ErrorKind, Expr, Limits, Options, Registry, Result, Span};
use std::fmt;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// Compiles expressions to machine code. See [`JitFn`] for what you get.
///
/// ```
/// use jit_runtime::Jit;
/// let f = Jit::compile("x^2 + 1")?;
/// assert_eq!(f.call(&[3.0]), 10.0);
/// # Ok::<(), jit_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Jit;

/// Settings for compiling: limits, user functions and constants, calling convention.
///
/// ```
/// use jit_runtime::Jit;
/// extern "C" fn sigmoid(x: f64) -> f64 { 1.0 / (1.0 + (-x).exp()) }
/// let f = Jit::builder().constant("k", 2.0).function1("sigmoid", sigmoid).compile("k*sigmoid(x)")?;
/// assert_eq!(f.call(&[0.0]), 1.0);
/// # Ok::<(), jit_runtime::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct JitBuilder {
    settings: Settings,
    registry: Registry,
    registry_error: Option<Error>,
}

/// A builder's settings apart from its user functions: all that [`Jit::compile`] needs, so
/// that it makes no [`JitBuilder`] (building and dropping one, with its empty registry, cost
/// 112 of the 1 400 instructions that `Jit::compile` and its drop spent beyond code
/// generation).
#[derive(Clone, Copy, Debug)]
struct Settings {
    limits: Limits,
    abi: Abi,
    avx: bool,
}

impl Jit {
    /// Compiles `src`; the arguments are its free variables in byte order of their names.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::compile("2*x^0.5")?;
    /// assert_eq!(f.call(&[3.0]), 3.4641016151377544);
    /// assert_eq!(f.args(), ["x"]);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile(src: &str) -> Result<JitFn> {
        let settings = Settings::host();
        settings.build(settings.parse_options().parse(src)?)
    }

    /// Compiles `src` with exactly these arguments, in this order (unused ones allowed).
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let g = Jit::compile_with_args("t + x*x", &["t", "x"])?;
    /// assert_eq!(g.call(&[1.0, 3.0]), 10.0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile_with_args(src: &str, args: &[&str]) -> Result<JitFn> {
        let settings = Settings::host();
        settings.build(settings.parse_options().parse_with_args(src, args)?)
    }

    /// Compiles many expressions into one executable mapping; see
    /// [`JitBuilder::compile_batch`].
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let [sq, cube] = <[_; 2]>::try_from(Jit::compile_batch(&["x^2", "x^3"])?).unwrap();
    /// assert_eq!((sq.call(&[2.0]), cube.call(&[2.0])), (4.0, 8.0));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile_batch(srcs: &[&str]) -> Result<Vec<JitFn>> {
        JitBuilder::new().compile_batch(srcs)
    }

    /// A builder for limits, user constants and functions.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::builder().constant("g", 9.81).compile("g*t^2/2")?;
    /// assert_eq!(f.call(&[2.0]), 19.62);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn builder() -> JitBuilder {
        JitBuilder::new()
    }
}

impl Default for JitBuilder {
    fn default() -> Self {
        JitBuilder::new()
    }
}

impl JitBuilder {
    /// Default limits, no user functions, the host's calling convention.
    ///
    /// ```
    /// use jit_runtime::JitBuilder;
    /// use jit_runtime::compiler::codegen::Abi;
    /// let f = JitBuilder::new().compile("x/2 + 1")?; // what `Jit::compile` uses
    /// assert_eq!(f.call(&[4.0]), 3.0);
    /// assert_eq!(f.abi(), Abi::host());
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn new() -> JitBuilder {
        JitBuilder {
            settings: Settings::host(),
            registry: Registry::new(),
            registry_error: None,
        }
    }

    /// Sets the input limits.
    ///
    /// ```
    /// use jit_runtime::{ErrorKind, Jit, Limits};
    /// let strict = Jit::builder().limits(Limits { max_source_len: 8, ..Limits::default() });
    /// assert!(strict.compile("x+1").is_ok());
    /// let err = strict.compile("x + y + z").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::SourceTooLong);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn limits(mut self, limits: Limits) -> JitBuilder {
        self.settings.limits = limits;
        self
    }

    /// Generates code for this calling convention instead of the host's. `JitFn::call`
    /// works with either on any x86-64 machine (this is how Win64 code is tested on Linux);
    /// the typed handles need the host's.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// use jit_runtime::compiler::codegen::Abi;
    /// let f = Jit::builder().abi(Abi::Win64).compile("x*y + z")?;
    /// assert_eq!(f.abi(), Abi::Win64);
    /// assert_eq!(f.call(&[2.0, 3.0, 4.0]), 10.0); // `call` adapts to either convention
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn abi(mut self, abi: Abi) -> JitBuilder {
        self.settings.abi = abi;
        self
    }

    /// Whether scalar code may use AVX's three-operand forms (`vaddsd xmm2, xmm0, xmm1`),
    /// which save the register copies of the SSE2 forms. On by default when the CPU has
    /// AVX; `avx(false)` gives SSE2 code (what `jit_expr!` installs on CPUs without AVX),
    /// and so does `avx(true)` on a CPU without AVX. Both compute the same bits.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let sse2 = Jit::builder().avx(false).compile("x*y + x")?;
    /// assert!(!sse2.listing().contains("vmulsd"));
    /// assert_eq!(sse2.call(&[2.0, 3.0]), 8.0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn avx(mut self, on: bool) -> JitBuilder {
        self.settings.avx = on && crate::cpu::has_avx();
        self
    }

    fn record(mut self, result: Result<()>) -> JitBuilder {
        if let Err(e) = result {
            self.registry_error.get_or_insert(e);
        }
        self
    }

    /// Registers a constant (shadows a built-in of the same name).
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::builder().constant("e", 2.0).compile("e^x")?; // this `e` is 2
    /// assert_eq!(f.call(&[3.0]), 8.0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn constant(mut self, name: &str, value: f64) -> JitBuilder {
        let r = self.registry.constant(name, value).map(|_| ());
        self.record(r)
    }

    /// Registers a native function, `extern "C" fn(f64, …) -> f64` with 0 to 4 arguments,
    /// called directly from the machine code. (Machine code for the Win64 convention on a
    /// non-Windows host cannot call it; such a function is interpreted.)
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// extern "C" fn lerp(a: f64, b: f64, t: f64) -> f64 { a + (b - a) * t }
    /// let f = Jit::builder().function("lerp", lerp as extern "C" fn(f64, f64, f64) -> f64)
    ///     .compile("lerp(0, 10, t)")?;
    /// assert_eq!(f.call(&[0.25]), 2.5);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn function<F: jit_compiler::NativeFunction>(mut self, name: &str, f: F) -> JitBuilder {
        let r = self.registry.function(name, f).map(|_| ());
        self.record(r)
    }

    /// [`function`](Self::function) for one argument, without naming the type.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// extern "C" fn half(x: f64) -> f64 { x / 2.0 }
    /// let f = Jit::builder().function1("half", half).compile("half(x) + 1")?; // no `as extern "C" fn(f64) -> f64`
    /// assert_eq!(f.call(&[5.0]), 3.5);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn function1(self, name: &str, f: extern "C" fn(f64) -> f64) -> JitBuilder {
        self.function(name, f)
    }

    /// Registers a closure of `arity` arguments, called from the machine code through a
    /// trampoline (a few nanoseconds more than a native function). If it panics, the panic is
    /// caught and the call yields NaN in the machine code; `try_call` then returns an
    /// [`ErrorKind::Panic`] error and `call` panics with the message.
    ///
    /// The panic is caught after the process's panic hook has run, so the default hook
    /// still prints its message to stderr. The library leaves the hook alone (it is global
    /// to the process); a program that expects such panics can set its own with
    /// [`std::panic::set_hook`].
    ///
    /// ```
    /// use jit_runtime::{ErrorKind, Jit};
    /// let scale = 3.0;
    /// let f = Jit::builder()
    ///     .closure("scaled", 1, move |a| a[0] * scale)
    ///     .closure("checked", 1, |a| if a[0] < 0.0 { panic!("negative") } else { a[0] })
    ///     .compile("scaled(x) + checked(x)")?;
    /// assert_eq!(f.call(&[2.0]), 8.0);
    /// let err = f.try_call(&[-1.0]).unwrap_err(); // the panic, caught inside the call
    /// assert_eq!(err.kind(), ErrorKind::Panic);
    /// assert!(err.message().contains("negative"));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn closure(
        mut self,
        name: &str,
        arity: usize,
        f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static,
    ) -> JitBuilder {
        let r = self.registry.closure(name, arity, f).map(|_| ());
        self.record(r)
    }

    fn options(&self) -> Result<Options> {
        if let Some(e) = &self.registry_error {
            return Err(e.clone());
        }
        let mut opts = self.settings.parse_options();
        if !self.registry.is_empty() {
            opts = opts.registry(Arc::new(self.registry.clone()));
        }
        Ok(opts)
    }

    /// Compiles `src` (arguments: free variables in byte order).
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let builder = Jit::builder().constant("k", 0.5);
    /// let (f, g) = (builder.compile("k*x")?, builder.compile("x^k")?); // one builder, many functions
    /// assert_eq!((f.call(&[4.0]), g.call(&[4.0])), (2.0, 2.0));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile(&self, src: &str) -> Result<JitFn> {
        let expr = self.options()?.parse(src)?;
        self.settings.build(expr)
    }

    /// Compiles `src` with exactly these arguments.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::builder().constant("c", 1.0).compile_with_args("y - x + c", &["y", "x"])?;
    /// assert_eq!(f.call(&[10.0, 3.0]), 8.0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile_with_args(&self, src: &str, args: &[&str]) -> Result<JitFn> {
        let expr = self.options()?.parse_with_args(src, args)?;
        self.settings.build(expr)
    }

    /// Compiles many expressions (arguments: free variables in byte order) and loads them
    /// into one executable mapping with a single system call (a write into the code file or
    /// a protection change, see [`exec`](crate::exec)): for many functions, cheaper than one
    /// `compile` each (which pays one such call and one mapping per function). The first
    /// error (with its source's index in the message) fails the whole batch.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let fs = Jit::builder().compile_batch(&["x + 1", "2*x", "x^2"])?;
    /// assert_eq!(fs.iter().map(|f| f.call(&[3.0])).collect::<Vec<_>>(), [4.0, 6.0, 9.0]);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn compile_batch(&self, srcs: &[&str]) -> Result<Vec<JitFn>> {
        let opts = self.options()?;
        let mut exprs = Vec::with_capacity(srcs.len());
        for (i, src) in srcs.iter().enumerate() {
            let expr = opts.parse(src).map_err(|e| {
                Error::new(
                    e.kind(),
                    e.byte_span(),
                    format!("source #{i}: {}", e.message()),
                )
            })?;
            exprs.push(expr);
        }
        let natives =
            crate::native::Native::compile_batch(&exprs, &self.settings.codegen_options())?;
        Ok(exprs
            .into_iter()
            .zip(natives)
            .map(|(expr, native)| self.settings.wrap(expr, native))
            .collect())
    }
}

impl Settings {
    /// The defaults: default limits, the host's calling convention, AVX if the CPU has it.
    fn host() -> Settings {
        Settings {
            limits: Limits::default(),
            abi: Abi::host(),
            avx: crate::cpu::has_avx(),
        }
    }

    /// Parsing options with these limits and no user functions.
    fn parse_options(&self) -> Options {
        Options::new().limits(self.limits)
    }

    fn codegen_options(&self) -> CodegenOptions {
        CodegenOptions {
            abi: self.abi,
            listing: false,
            max_code_len: self.limits.max_code_len,
            max_frame_len: self.limits.max_frame_len,
            avx: self.avx,
        }
    }

    #[inline] // into `Jit::compile`: the expression is moved once fewer (E1 19 instructions)
    fn build(&self, expr: Expr) -> Result<JitFn> {
        // The allocation comes before the install: the install's protection change flushes
        // the whole TLB on the machines measured, so every page touched after it costs a
        // page walk, and `malloc` touches its own code and bookkeeping pages.
        let inner = FreshInner::new();
        let native = crate::native::Native::compile(&expr, &self.codegen_options())?;
        Ok(self.wrap_into(inner, expr, native))
    }

    fn wrap(&self, expr: Expr, native: Option<crate::native::Native>) -> JitFn {
        self.wrap_into(FreshInner::new(), expr, native)
    }

    /// The `JitFn` of `expr` and its code, written into `inner`.
    fn wrap_into(
        &self,
        inner: FreshInner,
        expr: Expr,
        native: Option<crate::native::Native>,
    ) -> JitFn {
        let has_closures = crate::native::calls_closure(&expr);
        // the fast path of `call`: System V machine code without closures (whose panics
        // need the checked path)
        let fast = native
            .as_ref()
            .filter(|_| !has_closures)
            .and_then(|n| n.sysv_array_entry())
            .unwrap_or(0);
        // no slice of f64 is usize::MAX long: without a fast path, `call` never takes it
        let fast_arity = if fast != 0 { expr.arity() } else { usize::MAX };
        let FreshInner(inner) = inner;
        let slot = Arc::as_ptr(&inner).cast_mut().cast::<Inner>();
        // The `Inner` is written into the allocation: `Arc::new` built its 344 bytes on the
        // stack and copied them after allocating, a second `memcpy` call (63 instructions a
        // compilation). Writing field by field would save the remaining copy of `expr` and
        // `native` too (36 more), but a field added later could then be left unwritten.
        // (`Arc::get_mut` would make the write safe, but its uniqueness test is an atomic
        // compare-exchange: 12 instructions more.)
        // SAFETY: `inner` is a fresh allocation for an `Inner` and its only handle (a
        // `FreshInner` is made only by `FreshInner::new` and cannot be cloned), so no
        // reference to the value exists; `Arc::as_ptr` derives `slot` from the allocation
        // without making one, so it is valid for this write, and nothing reads it meanwhile.
        unsafe {
            slot.write(Inner {
                expr,
                native,
                codegen: self.codegen_options(),
                has_closures,
                arrays: crate::array::Kernels::default(),
            })
        };
        JitFn {
            // SAFETY: the value was written whole just above.
            inner: unsafe { inner.assume_init() },
            fast_arity,
            fast,
        }
    }
}

/// The allocation of a `JitFn`'s [`Inner`], not written yet, and its only handle: made only
/// by [`FreshInner::new`] and not `Clone`, so that [`Settings::wrap_into`] may write into it.
struct FreshInner(Arc<MaybeUninit<Inner>>);

impl FreshInner {
    fn new() -> FreshInner {
        FreshInner(Arc::new_uninit())
    }
}

/// A compiled expression. Cheap to clone (clones share the machine code, which is freed
/// when the last one drops); `Send + Sync`, and unwind safe: `catch_unwind(|| f.call(..))`
/// needs no `AssertUnwindSafe` (a panic in a user closure is caught inside the call).
///
/// ```
/// use jit_runtime::Jit;
/// let q = Jit::compile("(-b+(b^2-4*a*c)^0.5)/(2*a)")?;
/// assert_eq!(q.args(), ["a", "b", "c"]);
/// assert_eq!(q.call(&[1.0, -3.0, 2.0]), 2.0);
/// assert!(q.try_call(&[1.0]).is_err());
/// let h = q.typed3()?;
/// assert_eq!(h.call(1.0, -3.0, 2.0), 2.0);
/// # Ok::<(), jit_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct JitFn {
    inner: Arc<Inner>,
    /// The number of arguments when `fast` is set, else `usize::MAX` (no slice is that
    /// long), so that `call` checks both with one comparison.
    fast_arity: usize,
    /// The System V array entry when `call` may jump straight to it, else 0.
    ///
    /// These two sit beside the pointer rather than in `Inner`: `Inner` holds cells (the
    /// array kernels made at first use), so the compiler must read its fields again after
    /// every call of unknown code, while `&JitFn` holds none, so a loop of `call`s reads them
    /// once (the loop then compiles to the same indirect call as a typed fn pointer's).
    fast: usize,
}

// A `JitFn` is unwind safe, so that `catch_unwind(|| f.call(..))` compiles without
// `AssertUnwindSafe` (the user closures it may hold are `dyn Fn`, which is not
// `RefUnwindSafe` by itself). It holds: a panic in a user closure is caught inside the call
// (it never unwinds through machine code), and its parked payload is taken before `call`
// raises it again, so no state of the `JitFn` is left half-updated; the array kernels are
// built in a `OnceLock`, which a panic leaves empty; and the closures are `Send + Sync`, so
// what they mutate sits behind locks (which poison) or atomics.
impl std::panic::UnwindSafe for JitFn {}
impl std::panic::RefUnwindSafe for JitFn {}

struct Inner {
    expr: Expr,
    native: Option<crate::native::Native>,
    /// The settings the machine code was generated with.
    codegen: CodegenOptions,
    /// Calls user closures, which may panic: calls check for a parked panic.
    has_closures: bool,
    /// The array kernels, compiled at first use (see `array.rs`).
    arrays: crate::array::Kernels,
}

impl JitFn {
    /// The argument names, in calling order.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// assert_eq!(Jit::compile("y*x + z")?.args(), ["x", "y", "z"]); // byte order of the names
    /// assert_eq!(Jit::compile_with_args("y*x", &["y", "x"])?.args(), ["y", "x"]);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn args(&self) -> &[String] {
        self.inner.expr.args()
    }

    /// The number of arguments.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// assert_eq!(Jit::compile("x + y*x")?.arity(), 2);
    /// assert_eq!(Jit::compile("2^10")?.arity(), 0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn arity(&self) -> usize {
        self.inner.expr.arity()
    }

    /// The parsed expression (the interpreter's input).
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::compile("2*x^0.5")?;
    /// assert_eq!(f.expr().to_string(), "2*x^0.5"); // printed back as source
    /// assert_eq!(f.expr().eval(&[3.0])?, f.call(&[3.0])); // the interpreter agrees bit for bit
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn expr(&self) -> &Expr {
        &self.inner.expr
    }

    /// Is this function running as machine code? (`false` on other architectures, and when
    /// code generated for the other calling convention would call a native user function,
    /// whose convention is the host's: the interpreter evaluates it then. User closures are
    /// called from machine code through a trampoline.)
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::builder().closure("twice", 1, |a| a[0] * 2.0).compile("twice(x) + 1")?;
    /// assert_eq!(f.is_native(), cfg!(target_arch = "x86_64"));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn is_native(&self) -> bool {
        self.inner.native.is_some()
    }

    /// The calling convention of the machine code.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// use jit_runtime::compiler::codegen::Abi;
    /// assert_eq!(Jit::compile("x")?.abi(), Abi::host());
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn abi(&self) -> Abi {
        self.inner.codegen.abi
    }

    /// The settings the machine code was generated with (no listing): compiling the
    /// expression again with them gives the same bytes, e.g. to show them.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// use jit_runtime::compiler::codegen::compile_with;
    /// let f = Jit::compile("x*y + x")?;
    /// let mut options = f.codegen_options();
    /// options.listing = true;
    /// assert_eq!(compile_with(f.expr(), &options)?.listing_text(), f.listing());
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn codegen_options(&self) -> CodegenOptions {
        self.inner.codegen
    }

    /// Calls the function.
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let f = Jit::compile("x^2 - y")?;
    /// assert_eq!(f.call(&[3.0, 1.0]), 8.0);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    ///
    /// # Panics
    /// If `args.len()` is not [`arity`](Self::arity) (use [`try_call`](Self::try_call) for an
    /// error instead), or if a user closure panicked during the call (with its message):
    ///
    /// ```should_panic
    /// let f = jit_runtime::Jit::compile("x^2 - y").unwrap();
    /// f.call(&[3.0]); // panics: the expression takes 2 arguments (x, y), but 1 was given
    /// ```
    #[inline]
    pub fn call(&self, args: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        {
            if args.len() == self.fast_arity {
                // SAFETY: `fast_arity` is not usize::MAX, so `fast` is the System V array
                // entry of this function's code, generated for `fast_arity` arguments
                // (`args.len()`, checked just above) and mapped while `self` (which holds
                // the code through `inner`) lives; and the code calls no closures (whose
                // panics the checked path collects: `fast_arity` is usize::MAX then).
                return unsafe { crate::native::call_sysv_array(self.fast, args) };
            }
        }
        self.call_checked(args)
    }

    #[cold]
    fn call_checked(&self, args: &[f64]) -> f64 {
        match self.try_call(args) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// Calls the function; a wrong number of arguments is an [`ErrorKind::ArgumentCount`]
    /// error.
    ///
    /// ```
    /// use jit_runtime::{ErrorKind, Jit};
    /// let f = Jit::compile("x/y")?;
    /// assert_eq!(f.try_call(&[1.0, 4.0])?, 0.25);
    /// assert_eq!(f.try_call(&[1.0]).unwrap_err().kind(), ErrorKind::ArgumentCount);
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    #[inline]
    pub fn try_call(&self, args: &[f64]) -> Result<f64> {
        self.inner.expr.check_arity(args.len())?;
        if !self.inner.has_closures {
            return Ok(match &self.inner.native {
                Some(native) => native.call_array(args),
                None => self.inner.expr.eval(args)?,
            });
        }
        self.call_with_closures(args)
    }

    /// A call that may run user closures: a panic in one is caught (it never unwinds through
    /// machine code), the machine code finishes with NaN in its place, and the panic becomes
    /// an [`ErrorKind::Panic`] error.
    #[cold]
    fn call_with_closures(&self, args: &[f64]) -> Result<f64> {
        let (value, panic) = crate::native::own_panics(|| match &self.inner.native {
            Some(native) => native.call_array(args),
            None => crate::native::catching(|| self.inner.expr.eval(args).unwrap_or(f64::NAN)),
        });
        match panic {
            None => Ok(value),
            Some(payload) => {
                let message = crate::native::panic_message(&*payload);
                crate::native::drop_quietly(payload);
                Err(Error::new(ErrorKind::Panic, Span::default(), message))
            }
        }
    }

    /// The machine code as text: offset, bytes, Intel syntax; one instruction a line.
    /// (Regenerated on demand, so compiling stays fast. Call slots show as zero: the
    /// addresses are patched into the loaded copy only.)
    ///
    /// ```
    /// use jit_runtime::Jit;
    /// let text = Jit::builder().avx(false).compile("x*x + 1")?.listing();
    /// assert!(text.contains("mulsd xmm0,xmm0"));
    /// assert!(text.lines().any(|l| l.ends_with("ret")));
    /// # Ok::<(), jit_runtime::Error>(())
    /// ```
    pub fn listing(&self) -> String {
        let options = CodegenOptions {
            listing: true,
            ..self.codegen_options()
        };
        match jit_compiler::codegen::compile_with(&self.inner.expr, &options) {
            Ok(c) => c.listing_text(),
            Err(e) => format!("; {e}\n"),
        }
    }

    pub(crate) fn native(&self) -> Option<&crate::native::Native> {
        self.inner.native.as_ref()
    }

    /// The lazily compiled array kernels of this function (shared by clones).
    pub(crate) fn array_kernels(&self) -> &crate::array::Kernels {
        &self.inner.arrays
    }
}

impl fmt::Debug for JitFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JitFn")
            .field("expr", &self.inner.expr.to_string())
            .field("args", &self.args())
            .field("native", &self.is_native())
            .field("abi", &self.inner.codegen.abi)
            .finish()
    }
}

/// A typed handle: the arity is checked once when it is made, and a call passes the
/// arguments in registers straight to the machine code.
macro_rules! typed {
    // `$src` is an example expression of exactly these arguments; called with `$vals` it gives
    // `$result` (the examples of each type's docs).
    ($($name:ident $method:ident ($($a:ident),*) $src:literal ($vals:literal) $result:literal;)*) => {$(
        #[doc = concat!("A handle to call a [`JitFn`] of ", stringify!($($a),*), " directly; see [`JitFn::", stringify!($method), "`].")]
        ///
        /// ```
        #[doc = concat!("let f = jit_runtime::Jit::compile(\"", $src, "\")?;")]
        #[doc = concat!("let h: jit_runtime::", stringify!($name), " = f.", stringify!($method), "()?; // borrows `f`")]
        #[doc = concat!("assert_eq!(h.call(", $vals, "), ", $result, ");")]
        /// # Ok::<(), jit_runtime::Error>(())
        /// ```
        #[derive(Clone, Copy)]
        pub struct $name<'f> {
            f: &'f JitFn,
            entry: Option<extern "C" fn($($a: f64),*) -> f64>,
        }

        impl<'f> $name<'f> {
            /// Calls the function.
            ///
            /// The same results as [`JitFn::call`] with the arguments in a slice:
            ///
            /// ```
            #[doc = concat!("let f = jit_runtime::Jit::compile(\"", $src, "\")?;")]
            #[doc = concat!("let h = f.", stringify!($method), "()?;")]
            #[doc = concat!("assert_eq!(h.call(", $vals, "), ", $result, ");")]
            #[doc = concat!("assert_eq!(h.call(", $vals, ").to_bits(), f.call(&[", $vals, "]).to_bits());")]
            /// # Ok::<(), jit_runtime::Error>(())
            /// ```
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            pub fn call(&self, $($a: f64),*) -> f64 {
                match self.entry {
                    Some(entry) => entry($($a),*),
                    None => self.f.call(&[$($a),*]),
                }
            }

            /// The raw entry point, `extern "C" fn(f64, ...) -> f64` in the host's calling
            /// convention; `None` when calls must go through [`JitFn::call`]: the function is
            /// interpreted (not x86-64), its code is for another convention (Win64 code on
            /// another host), or it calls closures (whose panics `call` reports).
            ///
            /// # Safety
            /// The pointer is valid only while the [`JitFn`] (or a clone of it) lives;
            /// calling it after the last clone is dropped is undefined behaviour.
            ///
            /// ```
            #[doc = concat!("let f = jit_runtime::Jit::compile(\"", $src, "\")?;")]
            /// // SAFETY: `raw` is called only below, while `f` lives.
            #[doc = concat!("let raw = unsafe { f.", stringify!($method), "()?.as_fn() };")]
            /// assert_eq!(raw.is_some(), cfg!(target_arch = "x86_64")); // machine code, host convention
            /// if let Some(raw) = raw {
            #[doc = concat!("    assert_eq!(raw(", $vals, "), ", $result, "); // `f` is still alive")]
            /// }
            /// # Ok::<(), jit_runtime::Error>(())
            /// ```
            pub unsafe fn as_fn(&self) -> Option<extern "C" fn($($a: f64),*) -> f64> {
                self.entry
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("f", self.f).field("native", &self.entry.is_some()).finish()
            }
        }

        impl JitFn {
            #[doc = concat!("A typed handle for a function of exactly these arguments: ", stringify!($($a),*), ".")]
            ///
            /// Its `call` passes the arguments in registers to the machine code, with no slice
            /// and no check (the arity was checked here); functions that cannot be called that
            /// way (interpreted, another calling convention, closures) go through
            /// [`JitFn::call`] instead, with the same results. `Typed0` to `Typed8` exist.
            ///
            /// ```
            /// let f = jit_runtime::Jit::compile("x*y + 1")?;
            /// let h = f.typed2()?;
            /// assert_eq!(h.call(2.0, 3.0), 7.0);
            /// assert!(f.typed1().is_err()); // the function takes 2 arguments
            /// // The raw entry, for a hot loop or a C API.
            /// // SAFETY: `raw` is called only in this block, while `f` lives.
            /// if let Some(raw) = unsafe { h.as_fn() } {
            ///     assert_eq!(raw(2.0, 3.0), 7.0);
            /// }
            /// # Ok::<(), jit_runtime::Error>(())
            /// ```
            ///
            /// # Errors
            /// [`ErrorKind::ArgumentCount`] when the function takes another number of arguments.
            pub fn $method(&self) -> Result<$name<'_>> {
                const N: usize = <[&str]>::len(&[$(stringify!($a)),*]);
                self.inner.expr.check_arity(N)?;
                // Functions that call closures go through `call`, which reports their panics.
                let native = self.native().filter(|_| !self.inner.has_closures);
                let entry = native.and_then(|n| n.register_entry()).map(|addr| {
                    // SAFETY: `addr` is the register entry of machine code generated for N
                    // arguments in the host convention (`register_entry` returns None for
                    // other conventions), i.e. `extern "C" fn(f64 x N) -> f64`. It stays
                    // mapped while `self` lives, and the handle borrows `self`.
                    unsafe { std::mem::transmute::<usize, extern "C" fn($($a: f64),*) -> f64>(addr) }
                });
                Ok($name { f: self, entry })
            }
        }
    )*};
}

typed! {
    Typed0 typed0 () "2^10" ("") "1024.0";
    Typed1 typed1 (a) "a*a + 1" ("3.0") "10.0";
    Typed2 typed2 (a, b) "a - b" ("5.0, 3.0") "2.0";
    Typed3 typed3 (a, b, c) "a*b + c" ("2.0, 3.0, 4.0") "10.0";
    Typed4 typed4 (a, b, c, d) "a*b - c*d" ("2.0, 3.0, 4.0, 5.0") "-14.0";
    Typed5 typed5 (a, b, c, d, e) "a + b + c + d + e" ("1.0, 2.0, 3.0, 4.0, 5.0") "15.0";
    Typed6 typed6 (a, b, c, d, e, f) "(a + b)*(c + d)*(e + f)"
        ("1.0, 2.0, 3.0, 4.0, 5.0, 6.0") "231.0";
    Typed7 typed7 (a, b, c, d, e, f, g) "a + b + c + d + e + f + g"
        ("1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0") "28.0";
    Typed8 typed8 (a, b, c, d, e, f, g, h) "a*b + c*d + e*f + g*h"
        ("1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0") "100.0";
}
