//! User-defined constants and functions (§3.5 of the spec).
//!
//! A [`Registry`] is filled by `Jit::builder()` (or directly) and consulted by the parser:
//! registered names shadow the built-in constants and functions. The interpreter calls the
//! registered functions; the code generator emits a call through a relocation whose symbol is
//! the function's index, and the runtime patches in the address.

use crate::error::{Error, ErrorKind, Result, Span, quoted};
use crate::lexer::is_identifier;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A closure callable from expressions: receives the arguments as a slice.
///
/// ```
/// use jit_compiler::registry::Closure;
/// use std::sync::Arc;
/// let sum: Closure = Arc::new(|a: &[f64]| a.iter().sum());
/// assert_eq!(sum(&[1.0, 2.0, 3.0]), 6.0);
/// ```
pub type Closure = Arc<dyn Fn(&[f64]) -> f64 + Send + Sync + 'static>;

/// How a user function is implemented.
///
/// ```
/// use jit_compiler::{Registry, UserFnImpl};
/// extern "C" fn inc(x: f64) -> f64 { x + 1.0 }
/// let mut reg = Registry::new();
/// reg.function1("inc", inc).unwrap().closure("avg", 2, |a| (a[0] + a[1]) / 2.0).unwrap();
/// assert!(matches!(reg.functions()[0].imp, UserFnImpl::Native1(_)));
/// assert!(matches!(reg.functions()[1].imp, UserFnImpl::Closure(_)));
/// ```
#[derive(Clone)]
pub enum UserFnImpl {
    /// `extern "C" fn() -> f64`
    Native0(extern "C" fn() -> f64),
    /// `extern "C" fn(f64) -> f64`
    Native1(extern "C" fn(f64) -> f64),
    /// `extern "C" fn(f64, f64) -> f64`
    Native2(extern "C" fn(f64, f64) -> f64),
    /// `extern "C" fn(f64, f64, f64) -> f64`
    Native3(extern "C" fn(f64, f64, f64) -> f64),
    /// `extern "C" fn(f64, f64, f64, f64) -> f64`
    Native4(extern "C" fn(f64, f64, f64, f64) -> f64),
    /// A Rust closure of any arity, called through a trampoline.
    Closure(Closure),
}

impl UserFnImpl {
    /// The number of arguments of a native function (`None` for a closure, which takes a
    /// slice of any length).
    ///
    /// ```
    /// use jit_compiler::UserFnImpl;
    /// use std::sync::Arc;
    /// extern "C" fn add(a: f64, b: f64) -> f64 { a + b }
    /// assert_eq!(UserFnImpl::Native2(add).native_arity(), Some(2));
    /// assert_eq!(UserFnImpl::Closure(Arc::new(|a| a[0])).native_arity(), None);
    /// ```
    pub fn native_arity(&self) -> Option<usize> {
        match self {
            UserFnImpl::Native0(_) => Some(0),
            UserFnImpl::Native1(_) => Some(1),
            UserFnImpl::Native2(_) => Some(2),
            UserFnImpl::Native3(_) => Some(3),
            UserFnImpl::Native4(_) => Some(4),
            UserFnImpl::Closure(_) => None,
        }
    }
}

/// A registered function: its name, arity and implementation.
///
/// ```
/// use jit_compiler::Registry;
/// let mut reg = Registry::new();
/// reg.closure("clamp01", 1, |a| a[0].clamp(0.0, 1.0)).unwrap();
/// let f = &reg.functions()[0];
/// assert_eq!((f.name.as_str(), f.arity), ("clamp01", 1));
/// assert_eq!(format!("{f:?}"), "clamp01/1 (closure)");
/// ```
#[derive(Clone)]
pub struct UserFn {
    /// The name in expressions.
    pub name: String,
    /// The number of arguments every call must pass.
    pub arity: usize,
    /// What to call.
    pub imp: UserFnImpl,
}

impl UserFn {
    /// Calls the function with `args` (which must have `arity` elements; missing ones read
    /// as NaN rather than panicking).
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// extern "C" fn sub(a: f64, b: f64) -> f64 { a - b }
    /// let mut reg = Registry::new();
    /// reg.function("sub", sub as extern "C" fn(f64, f64) -> f64).unwrap();
    /// let f = &reg.functions()[0];
    /// assert_eq!(f.call(&[5.0, 3.0]), 2.0);
    /// assert!(f.call(&[5.0]).is_nan()); // the missing argument reads as NaN
    /// ```
    pub fn call(&self, args: &[f64]) -> f64 {
        let a = |i: usize| args.get(i).copied().unwrap_or(f64::NAN);
        match &self.imp {
            UserFnImpl::Native0(f) => f(),
            UserFnImpl::Native1(f) => f(a(0)),
            UserFnImpl::Native2(f) => f(a(0), a(1)),
            UserFnImpl::Native3(f) => f(a(0), a(1), a(2)),
            UserFnImpl::Native4(f) => f(a(0), a(1), a(2), a(3)),
            UserFnImpl::Closure(f) => f(args),
        }
    }

    /// The address of the native function, or `None` for a closure.
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// extern "C" fn neg(x: f64) -> f64 { -x }
    /// let mut reg = Registry::new();
    /// reg.function1("neg", neg).unwrap().closure("id", 1, |a| a[0]).unwrap();
    /// assert_eq!(reg.functions()[0].native_address(), Some(neg as extern "C" fn(f64) -> f64 as usize));
    /// assert_eq!(reg.functions()[1].native_address(), None);
    /// ```
    pub fn native_address(&self) -> Option<usize> {
        match &self.imp {
            UserFnImpl::Native0(f) => Some(*f as usize),
            UserFnImpl::Native1(f) => Some(*f as usize),
            UserFnImpl::Native2(f) => Some(*f as usize),
            UserFnImpl::Native3(f) => Some(*f as usize),
            UserFnImpl::Native4(f) => Some(*f as usize),
            UserFnImpl::Closure(_) => None,
        }
    }
}

impl fmt::Debug for UserFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.imp {
            UserFnImpl::Closure(_) => "closure",
            _ => "extern \"C\" fn",
        };
        write!(f, "{}/{} ({kind})", self.name, self.arity)
    }
}

/// A native function that can be registered: `extern "C" fn(f64, …) -> f64` with 0 to 4
/// arguments. The machine code calls it directly.
///
/// ```
/// use jit_compiler::{NativeFunction, Registry};
/// extern "C" fn fma(a: f64, b: f64, c: f64) -> f64 { a.mul_add(b, c) }
/// type Fma = extern "C" fn(f64, f64, f64) -> f64;
/// assert_eq!(<Fma as NativeFunction>::ARITY, 3);
/// let mut reg = Registry::new();
/// reg.function("fma", fma as Fma).unwrap();
/// assert_eq!(reg.functions()[0].arity, 3);
/// ```
pub trait NativeFunction {
    /// The number of arguments.
    ///
    /// ```
    /// use jit_compiler::NativeFunction;
    /// assert_eq!(<extern "C" fn() -> f64 as NativeFunction>::ARITY, 0);
    /// assert_eq!(<extern "C" fn(f64, f64, f64, f64) -> f64 as NativeFunction>::ARITY, 4);
    /// ```
    const ARITY: usize;
    /// As a registry entry.
    ///
    /// ```
    /// use jit_compiler::{NativeFunction, UserFnImpl};
    /// extern "C" fn sq(x: f64) -> f64 { x * x }
    /// let imp = (sq as extern "C" fn(f64) -> f64).into_impl();
    /// assert!(matches!(imp, UserFnImpl::Native1(_)));
    /// assert_eq!(imp.native_arity(), Some(1));
    /// ```
    fn into_impl(self) -> UserFnImpl;
}

macro_rules! native_function {
    ($variant:ident, $n:literal, ($($a:ident),*)) => {
        impl NativeFunction for extern "C" fn($($a: f64),*) -> f64 {
            const ARITY: usize = $n;
            fn into_impl(self) -> UserFnImpl {
                UserFnImpl::$variant(self)
            }
        }
    };
}

native_function!(Native0, 0, ());
native_function!(Native1, 1, (a));
native_function!(Native2, 2, (a, b));
native_function!(Native3, 3, (a, b, c));
native_function!(Native4, 4, (a, b, c, d));

/// User constants and functions, by name.
///
/// ```
/// use jit_compiler::{Options, Registry};
/// let mut reg = Registry::new();
/// reg.constant("g", 9.81).unwrap();
/// extern "C" fn half(x: f64) -> f64 { x / 2.0 }
/// reg.function1("half", half).unwrap();
/// let expr = Options::new().registry(reg.into()).parse("half(g)").unwrap();
/// assert_eq!(expr.eval(&[]).unwrap(), 4.905);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Registry {
    constants: Vec<(String, f64)>,
    functions: Vec<UserFn>,
    /// Where each name is, so that registering and looking up a name take the same time
    /// however many are registered (scans made 10 000 names cost 0.1 s to register and as
    /// much again to parse an expression using each once: quadratic).
    places: HashMap<String, Place>,
}

/// Where a registered name is: its position in the constants or the functions.
#[derive(Clone, Copy, Debug)]
enum Place {
    Constant(usize),
    Function(usize),
}

impl Registry {
    /// An empty registry.
    ///
    /// ```
    /// let reg = jit_compiler::Registry::new();
    /// assert!(reg.is_empty() && reg.functions().is_empty() && reg.constants().is_empty());
    /// ```
    pub fn new() -> Registry {
        Registry::default()
    }

    fn check_name(name: &str) -> Result<()> {
        if is_identifier(name) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::InvalidName,
                Span::default(),
                format!(
                    "{} is not a valid name (a letter or `_`, then letters, digits, `_`)",
                    quoted(name)
                ),
            ))
        }
    }

    /// Registers (or replaces) a constant. A name registered again keeps its place in
    /// [`Registry::constants`]; a function of that name is removed.
    ///
    /// ```
    /// use jit_compiler::{ErrorKind, Registry};
    /// let mut reg = Registry::new();
    /// reg.constant("a", 1.0).unwrap().constant("b", 2.0).unwrap();
    /// reg.constant("a", 3.0).unwrap(); // replaced in place
    /// assert_eq!(reg.constants(), [("a".to_owned(), 3.0), ("b".to_owned(), 2.0)]);
    /// assert_eq!(reg.constant("2pi", 6.28).unwrap_err().kind(), ErrorKind::InvalidName);
    /// ```
    pub fn constant(&mut self, name: &str, value: f64) -> Result<&mut Registry> {
        Self::check_name(name)?;
        match self.places.get(name).copied() {
            Some(Place::Constant(i)) => self.constants[i].1 = value,
            other => {
                if let Some(Place::Function(i)) = other {
                    self.remove_function(i);
                }
                let place = Place::Constant(self.constants.len());
                self.constants.push((name.to_owned(), value));
                self.places.insert(name.to_owned(), place);
            }
        }
        Ok(self)
    }

    /// Removes the function at `i`; those after it move down one place.
    fn remove_function(&mut self, i: usize) {
        self.functions.remove(i);
        for (j, f) in self.functions.iter().enumerate().skip(i) {
            self.places.insert(f.name.clone(), Place::Function(j));
        }
    }

    /// Removes the constant at `i`; those after it move down one place.
    fn remove_constant(&mut self, i: usize) {
        self.constants.remove(i);
        for (j, (n, _)) in self.constants.iter().enumerate().skip(i) {
            self.places.insert(n.clone(), Place::Constant(j));
        }
    }

    /// Registers (or replaces) a function of `arity` arguments.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidName`] for a name that is not an identifier;
    /// [`ErrorKind::RegisteredArity`] for a native function whose own arity is not `arity` (as a
    /// [`NativeFunction`] implemented outside this crate could claim).
    ///
    /// ```
    /// use jit_compiler::{ErrorKind, Registry, UserFnImpl};
    /// use std::sync::Arc;
    /// extern "C" fn id(x: f64) -> f64 { x }
    /// let mut reg = Registry::new();
    /// reg.add_function("sum3", 3, UserFnImpl::Closure(Arc::new(|a| a.iter().sum()))).unwrap();
    /// assert_eq!(reg.functions()[0].call(&[1.0, 2.0, 3.0]), 6.0);
    /// let err = reg.add_function("id", 2, UserFnImpl::Native1(id)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::RegisteredArity); // it takes 1
    /// ```
    pub fn add_function(
        &mut self,
        name: &str,
        arity: usize,
        imp: UserFnImpl,
    ) -> Result<&mut Registry> {
        Self::check_name(name)?;
        if let Some(n) = imp.native_arity().filter(|&n| n != arity) {
            return Err(Error::new(
                ErrorKind::RegisteredArity,
                Span::default(),
                format!(
                    "{} is registered with {arity} arguments, but its function takes {n}",
                    quoted(name)
                ),
            ));
        }
        match self.places.get(name).copied() {
            Some(Place::Function(i)) => {
                let existing = &mut self.functions[i];
                existing.arity = arity;
                existing.imp = imp;
            }
            other => {
                if let Some(Place::Constant(i)) = other {
                    self.remove_constant(i);
                }
                let place = Place::Function(self.functions.len());
                self.functions.push(UserFn {
                    name: name.to_owned(),
                    arity,
                    imp,
                });
                self.places.insert(name.to_owned(), place);
            }
        }
        Ok(self)
    }

    /// Registers a native function of 0 to 4 arguments (see [`NativeFunction`]).
    ///
    /// ```
    /// use jit_compiler::{Options, Registry};
    /// extern "C" fn lerp(a: f64, b: f64, t: f64) -> f64 { a + (b - a) * t }
    /// let mut reg = Registry::new();
    /// reg.function("lerp", lerp as extern "C" fn(f64, f64, f64) -> f64).unwrap();
    /// let expr = Options::new().registry(reg.into()).parse("lerp(0, 10, t)").unwrap();
    /// assert_eq!(expr.eval(&[0.25]).unwrap(), 2.5);
    /// ```
    pub fn function<F: NativeFunction>(&mut self, name: &str, f: F) -> Result<&mut Registry> {
        self.add_function(name, F::ARITY, f.into_impl())
    }

    /// Registers a native function of one argument.
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// extern "C" fn half(x: f64) -> f64 { x / 2.0 }
    /// let mut reg = Registry::new();
    /// reg.function1("half", half).unwrap(); // no cast to `extern "C" fn(f64) -> f64` needed
    /// assert_eq!(reg.functions()[0].call(&[3.0]), 1.5);
    /// ```
    pub fn function1(&mut self, name: &str, f: extern "C" fn(f64) -> f64) -> Result<&mut Registry> {
        self.add_function(name, 1, UserFnImpl::Native1(f))
    }

    /// Registers a closure of `arity` arguments.
    ///
    /// ```
    /// use jit_compiler::{Options, Registry};
    /// let offset = 0.5;
    /// let mut reg = Registry::new();
    /// reg.closure("shift", 1, move |a| a[0] + offset).unwrap();
    /// let expr = Options::new().registry(reg.into()).parse("shift(x)*2").unwrap();
    /// assert_eq!(expr.eval(&[1.0]).unwrap(), 3.0);
    /// ```
    pub fn closure(
        &mut self,
        name: &str,
        arity: usize,
        f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static,
    ) -> Result<&mut Registry> {
        self.add_function(name, arity, UserFnImpl::Closure(Arc::new(f)))
    }

    /// The value of a registered constant.
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// let mut reg = Registry::new();
    /// reg.constant("c", 299_792_458.0).unwrap().closure("f", 1, |a| a[0]).unwrap();
    /// assert_eq!(reg.constant_value("c"), Some(299_792_458.0));
    /// assert_eq!(reg.constant_value("f"), None); // a function
    /// assert_eq!(reg.constant_value("pi"), None); // built-ins are not in the registry
    /// ```
    pub fn constant_value(&self, name: &str) -> Option<f64> {
        match self.places.get(name)? {
            Place::Constant(i) => Some(self.constants[*i].1),
            Place::Function(_) => None,
        }
    }

    /// The index of a registered function (the symbol of its relocations).
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// let mut reg = Registry::new();
    /// reg.closure("f", 1, |a| a[0]).unwrap().constant("k", 1.0).unwrap().closure("g", 1, |a| a[0]).unwrap();
    /// assert_eq!((reg.function_index("f"), reg.function_index("g")), (Some(0), Some(1)));
    /// assert_eq!(reg.function_index("k"), None);
    /// ```
    pub fn function_index(&self, name: &str) -> Option<usize> {
        match self.places.get(name)? {
            Place::Function(i) => Some(*i),
            Place::Constant(_) => None,
        }
    }

    /// The registered functions, by index.
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// let mut reg = Registry::new();
    /// reg.closure("f", 2, |a| a[0] * a[1]).unwrap().closure("g", 0, |_| 1.0).unwrap();
    /// let names: Vec<&str> = reg.functions().iter().map(|f| f.name.as_str()).collect();
    /// assert_eq!(names, ["f", "g"]);
    /// ```
    pub fn functions(&self) -> &[UserFn] {
        &self.functions
    }

    /// The registered constants.
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// let mut reg = Registry::new();
    /// reg.constant("x0", 1.0).unwrap().constant("k", 2.0).unwrap();
    /// reg.closure("k", 1, |a| a[0]).unwrap(); // `k` becomes a function
    /// assert_eq!(reg.constants(), [("x0".to_owned(), 1.0)]);
    /// ```
    pub fn constants(&self) -> &[(String, f64)] {
        &self.constants
    }

    /// Nothing registered?
    ///
    /// ```
    /// use jit_compiler::Registry;
    /// let mut reg = Registry::new();
    /// assert!(reg.is_empty());
    /// reg.constant("k", 1.0).unwrap();
    /// assert!(!reg.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.constants.is_empty() && self.functions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn twice(x: f64) -> f64 {
        2.0 * x
    }

    #[test]
    fn names_are_checked_and_replaced() {
        let mut reg = Registry::new();
        assert_eq!(
            reg.constant("2x", 1.0).unwrap_err().kind(),
            ErrorKind::InvalidName
        );
        reg.constant("k", 1.0).unwrap();
        reg.function1("k", twice).unwrap();
        assert_eq!(reg.constant_value("k"), None);
        assert_eq!(reg.function_index("k"), Some(0));
        assert_eq!(reg.functions()[0].call(&[4.0]), 8.0);
        reg.closure("k", 2, |a| a[0] - a[1]).unwrap();
        assert_eq!(reg.functions().len(), 1);
        assert_eq!(reg.functions()[0].call(&[4.0, 1.0]), 3.0);
        assert!(reg.functions()[0].native_address().is_none());
    }

    /// A name registered again keeps its place; one that changes kind leaves its old list,
    /// and the names after it there are still found (their places move down).
    #[test]
    fn places_follow_replacements() {
        let mut reg = Registry::new();
        for (name, v) in [("a", 1.0), ("b", 2.0), ("c", 3.0)] {
            reg.constant(name, v).unwrap();
        }
        reg.constant("a", 10.0).unwrap();
        let names = |reg: &Registry| {
            let c: Vec<_> = reg
                .constants()
                .iter()
                .map(|(n, v)| (n.clone(), *v))
                .collect();
            let f: Vec<_> = reg.functions().iter().map(|f| f.name.clone()).collect();
            (c, f)
        };
        let c = |n: &str, v: f64| (n.to_owned(), v);
        assert_eq!(names(&reg).0, [c("a", 10.0), c("b", 2.0), c("c", 3.0)]);
        reg.function1("b", twice).unwrap();
        reg.function1("d", twice).unwrap();
        assert_eq!(
            names(&reg),
            (
                vec![c("a", 10.0), c("c", 3.0)],
                vec!["b".into(), "d".into()]
            )
        );
        assert_eq!(reg.constant_value("c"), Some(3.0));
        assert_eq!(
            (reg.function_index("b"), reg.function_index("d")),
            (Some(0), Some(1))
        );
        reg.constant("b", 5.0).unwrap();
        assert_eq!(reg.function_index("d"), Some(0));
        assert_eq!(reg.function_index("b"), None);
        assert_eq!(reg.constant_value("b"), Some(5.0));
        assert_eq!(reg.constant_value("d"), None);
    }

    /// A `NativeFunction` implemented elsewhere may claim any arity: the registry holds it
    /// to its function's (17 arguments made the code generator panic on a register number).
    #[test]
    fn a_native_function_has_its_own_arity() {
        struct Rogue;
        impl NativeFunction for Rogue {
            const ARITY: usize = 17;
            fn into_impl(self) -> UserFnImpl {
                UserFnImpl::Native1(twice)
            }
        }
        let mut reg = Registry::new();
        let err = reg.function("r", Rogue).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RegisteredArity);
        // about the registration, not a place in any source: no caret under the source
        assert_eq!(
            err.render("r(1)"),
            "error: `r` is registered with 17 arguments, but its function takes 1\n"
        );
        assert!(reg.functions().is_empty());
        assert!(reg.add_function("t", 1, UserFnImpl::Native1(twice)).is_ok());
    }
}
