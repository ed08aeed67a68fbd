//! Experiment: what an indirect call costs on this CPU, by where its target is and by how many
//! targets its call instruction has seen. Every target is a bare `ret`.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example call_sites`.
//!
//! Findings on the 2-core EPYC VM (2026-11-26), ns per call:
//! * From a call instruction that only ever calls that target: a `ret` in this program's text
//!   1.35–1.6, and so is a page mapped 512 MiB to 16 GiB below the text; a page in the kernel's
//!   default mapping area (near the top of the address space, tens of TiB away) 2.2–2.4.
//!   That is why trivial-jit asks for its code pages below the program's text
//!   (`jit-runtime/src/exec/place.rs`).
//! * From one call instruction shared by all targets, called in turn: all but one of them
//!   (the one it saw first) cost 2.2–2.4, wherever they are. That is why the benchmark calls
//!   each engine's function from a loop of its own (`FnPtr::run`).

use std::hint::black_box;
use std::time::Instant;

/// `ret` instructions in this program's text, never written.
#[repr(C, align(4096))]
struct Rets([u8; 4096]);
#[unsafe(link_section = ".text.call_sites_rets")]
#[used]
static RETS: Rets = Rets([0xC3; 4096]);

type F = extern "C" fn() -> f64;

/// Best of 30 runs of 100 000 calls of `f`, ns per call, from this `SITE`'s own call
/// instruction (`SITE` is black-boxed so that the instantiations are not merged).
#[inline(never)]
fn time<const SITE: usize>(f: F) -> f64 {
    black_box(SITE);
    let mut best = f64::INFINITY;
    for _ in 0..30 {
        let f = black_box(f);
        let t = Instant::now();
        let mut s = 0u64;
        for _ in 0..100_000 {
            s = s.wrapping_add(f().to_bits());
        }
        black_box(s);
        best = best.min(t.elapsed().as_nanos() as f64 / 100_000.0);
    }
    best
}

/// A one-page mapping of `ret`s at `hint` (exactly there, or `None` if that is taken; 0:
/// wherever the kernel likes), made read-execute after it is written. Leaked.
fn ret_page(hint: usize) -> Option<F> {
    let fixed = if hint == 0 {
        0
    } else {
        libc::MAP_FIXED_NOREPLACE
    };
    // SAFETY: a new private anonymous mapping; MAP_FIXED_NOREPLACE never replaces another.
    let p = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | fixed,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: the page mapped read-write above, reachable only through this slice now.
    unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), 4096) }.fill(0xC3);
    // SAFETY: the same page, no longer written.
    if unsafe { libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
        return None;
    }
    // SAFETY: a page of `ret`s, executable and never unmapped.
    Some(unsafe { std::mem::transmute::<*mut libc::c_void, F>(p) })
}

fn main() {
    let text = RETS.0.as_ptr() as usize;
    // SAFETY: a `ret` in this program's text.
    let in_text: F = unsafe { std::mem::transmute::<*const u8, F>(RETS.0.as_ptr()) };
    let mut targets: Vec<(String, F)> = vec![("in the text".into(), in_text)];
    for mib in [512usize, 2048, 8192, 16384] {
        if let Some(f) = ret_page((text - (mib << 20)) & !0xfff) {
            targets.push((format!("page {mib} MiB below the text"), f));
        }
    }
    targets.push((
        "page in the default area".into(),
        ret_page(0).expect("mmap"),
    ));
    let own: [fn(F) -> f64; 6] = [
        time::<0>, time::<1>, time::<2>, time::<3>, time::<4>, time::<5>,
    ];
    println!("ns per call of a bare `ret`      own call site   one shared call site");
    let own_ns: Vec<f64> = targets.iter().zip(own).map(|((_, f), t)| t(*f)).collect();
    let shared_ns: Vec<f64> = targets.iter().map(|(_, f)| time::<6>(*f)).collect();
    for (((what, f), o), s) in targets.iter().zip(own_ns).zip(shared_ns) {
        println!(
            "{what:32} {o:13.2} {s:16.2}   ({:#x})",
            *f as *const () as usize
        );
    }
}
