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
pub(crate) fn take_panic() -> Option<Box<dyn Any + Send>> {
    PANIC.with(|p| p.borrow_mut().take())
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

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a user function panicked".to_owned()
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
