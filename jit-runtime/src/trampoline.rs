//! Calling user closures from machine code. The code passes a context pointer (the closure's
//! registry entry) and a pointer to the arguments, which it stored in its stack frame.
//!
//! A panic in the closure must not unwind through machine code (it has no unwind tables):
//! the trampoline catches it, parks the payload in the slot of the call that is running and
//! returns NaN; the machine code carries on with that NaN and returns, and then
//! `JitFn::try_call` reports the panic as an `Error` (`JitFn::call` panics with its message).

#[cfg(target_arch = "x86_64")]
use jit_compiler::{UserFn, UserFnImpl};
use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A caught panic.
type Payload = Box<dyn Any + Send>;

thread_local! {
    /// Where the innermost call running on this thread collects its closures' panics: a slot
    /// on the stack of [`own_panics`], or null. (A pointer has no destructor, so this
    /// thread-local is never destroyed: a call from another thread-local's destructor at
    /// thread exit still finds it, where a slot holding the payload itself was gone.)
    static SLOT: Cell<*mut Option<Payload>> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs `f`, a call that may run closures, and returns its value with the panic of the first
/// of its closures that panicked. Each call has a slot of its own: a closure that calls
/// another `JitFn` neither takes nor loses the panics of the call around it.
pub(crate) fn own_panics(f: impl FnOnce() -> f64) -> (f64, Option<Payload>) {
    /// Puts the outer call's slot back, also if `f` unwinds (it does not: machine code cannot,
    /// and the interpreter's path catches), so no pointer to a dead slot is ever left.
    struct Restore(*mut Option<Payload>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SLOT.set(self.0);
        }
    }
    let mut slot: Option<Payload> = None;
    let restore = Restore(SLOT.replace(&raw mut slot));
    let value = f();
    drop(restore);
    (value, slot)
}

/// Runs `f`, parking a panic in the running call's slot (the first one wins) and returning
/// NaN instead.
pub(crate) fn catching(f: impl FnOnce() -> f64) -> f64 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            if let Some(rejected) = park(payload) {
                drop_quietly(rejected);
            }
            f64::NAN
        }
    }
}

/// Puts `payload` in the running call's slot if it is empty; else gives it back.
fn park(payload: Payload) -> Option<Payload> {
    let slot = SLOT.get();
    if slot.is_null() {
        return Some(payload); // (no call is collecting: not reached, see `own_panics`)
    }
    // SAFETY: a non-null pointer in `SLOT` was set by `own_panics` on this thread and points
    // to its local `slot`, which lives until that `own_panics` puts the previous pointer back
    // (when its `f` has returned, or unwound). `park` runs inside that `f`, on this thread,
    // and nothing else refers to the slot meanwhile (`own_panics` reads it only afterwards;
    // an inner `own_panics` uses a slot of its own). The reference ends within this function,
    // before any user code (a payload's `Drop`) runs.
    let slot = unsafe { &mut *slot };
    match slot {
        None => {
            *slot = Some(payload);
            None
        }
        Some(_) => Some(payload),
    }
}

/// Drops a panic payload that is not reported, without letting a panic in its `Drop` escape:
/// the trampoline, where a second panic of a call is dropped, must not unwind, and
/// `try_call` must not panic. The payload of such a panic in `Drop` is dropped the same way
/// (it is usually a message, whose drop cannot panic); only a chain of payloads that panic in
/// turn when dropped is cut off, after a few links, and forgotten.
pub(crate) fn drop_quietly(payload: Payload) {
    const LINKS: usize = 4;
    let mut next = payload;
    for _ in 0..LINKS {
        match catch_unwind(AssertUnwindSafe(move || drop(next))) {
            Ok(()) => return,
            Err(again) => next = again,
        }
    }
    std::mem::forget(next);
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
    // code runs only inside a call that borrows that `JitFn`, which owns the registry through
    // an `Arc` (so it lives for the whole call), and a registry behind an `Arc` is never
    // mutated.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static COUNTED: AtomicUsize = AtomicUsize::new(0);
    static BOMBS: AtomicUsize = AtomicUsize::new(0);

    /// Counts its drops.
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            COUNTED.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Panics when dropped, with a `Counted` payload.
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            std::panic::panic_any(Counted);
        }
    }

    /// Panics when dropped, with another one of itself: a chain without end.
    struct Chain;
    impl Drop for Chain {
        fn drop(&mut self) {
            BOMBS.fetch_add(1, Ordering::Relaxed);
            std::panic::panic_any(Chain);
        }
    }

    #[test]
    fn the_payload_of_a_panicking_drop_is_dropped_too() {
        drop_quietly(Box::new(Bomb));
        assert_eq!(COUNTED.load(Ordering::Relaxed), 1, "leaked");
        // an endless chain ends, after a few links
        drop_quietly(Box::new(Chain));
        assert!((1..=8).contains(&BOMBS.load(Ordering::Relaxed)));
    }
}
