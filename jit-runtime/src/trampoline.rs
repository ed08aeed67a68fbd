//! Calling user closures from machine code. The code passes a context pointer (the closure's
//! registry entry) and a pointer to the arguments, which it stored in its stack frame.
//!
//! A panic in the closure must not unwind through machine code (it has no unwind tables):
//! the trampoline catches it, parks the payload in a thread-local slot and returns NaN; the
//! machine code carries on with that NaN and returns, and then `JitFn::try_call` reports the
//! panic as an `Error` (`JitFn::call` panics with its message).

#[cfg(target_arch = "x86_64")]
use jit_compiler::{UserFn, UserFnImpl};
use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

/// The panic of a closure called on this thread since the last check, if any.
fn take_panic() -> Option<Box<dyn Any + Send>> {
    PANIC.with(|p| p.borrow_mut().take())
}

/// Runs `f`, a call that may run closures, and returns its value with the panic of the first
/// of its closures that panicked. The slot is `f`'s alone meanwhile: a panic already parked
/// there belongs to a call still running further out (a closure that panicked, and then
/// another closure of the same call that calls a `JitFn`), so it is set aside and put back
/// afterwards, for that call to report.
pub(crate) fn own_panics(f: impl FnOnce() -> f64) -> (f64, Option<Box<dyn Any + Send>>) {
    let outer = take_panic();
    let value = f();
    let mine = take_panic();
    if outer.is_some() {
        PANIC.with(|p| *p.borrow_mut() = outer);
    }
    (value, mine)
}

/// Runs `f`, parking a panic in the slot (the first one wins) and returning NaN instead.
pub(crate) fn catching(f: impl FnOnce() -> f64) -> f64 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            PANIC.with(|p| {
                p.borrow_mut().get_or_insert(payload);
            });
            f64::NAN
        }
    }
}

/// The message of a closure's panic: "a user function panicked", and the payload's text if
/// it has one (the payload of `panic!` with a message is a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = match payload.downcast_ref::<&str>() {
        Some(s) => Some(*s),
        None => payload.downcast_ref::<String>().map(String::as_str),
    };
    match text {
        Some(text) => format!("a user function panicked: {text}"),
        None => "a user function panicked".to_owned(),
    }
}

#[cfg(target_arch = "x86_64")]
fn call(ctx: *const UserFn, args: *const f64) -> f64 {
    // SAFETY: the machine code passes the address of a `UserFn` in the registry of the
    // `JitFn` that is running it (patched in from `Symbol::UserContext` at load time); the
    // `JitFn` owns that registry through an `Arc` for as long as the code is mapped, and a
    // registry behind an `Arc` is never mutated.
    let user = unsafe { &*ctx };
    // SAFETY: the code stored exactly `user.arity` f64 values at `args` (consecutive stack
    // slots of its frame) before the call; they stay valid during it.
    let args = unsafe { std::slice::from_raw_parts(args, user.arity) };
    match &user.imp {
        UserFnImpl::Closure(f) => catching(|| f(args)),
        _ => catching(|| user.call(args)),
    }
}

/// The System V trampoline.
#[cfg(target_arch = "x86_64")]
pub(crate) extern "sysv64" fn trampoline(ctx: *const UserFn, args: *const f64) -> f64 {
    call(ctx, args)
}

/// The Win64 trampoline.
#[cfg(target_arch = "x86_64")]
pub(crate) extern "win64" fn trampoline_win64(ctx: *const UserFn, args: *const f64) -> f64 {
    call(ctx, args)
}
