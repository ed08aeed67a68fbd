//! Experiment: what an indirect call costs on this CPU, by where its target is and by how many
//! targets its call instruction has seen. Every target is a bare `ret`.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example call_sites`.
//!
//! Findings on the 2-core EPYC VM (2026-11-26), ns per call:
//! * From a call instruction that only ever calls that target: a `ret` in this program's text
//!   1.35–1.6, and so is a page mapped 512 MiB to 8 GiB below the text (16 GiB: in some runs);
//!   a page in the kernel's
//!   default mapping area (near the top of the address space, tens of TiB away) 2.2–2.4.
//!   That is why trivial-jit asks for its code pages below the program's text
//!   (`jit-runtime/src/exec/place.rs`).
//! * From one call instruction shared by all targets, called in turn: all but one of them
//!   (the one it saw first) cost 2.2–2.4 in most runs (in one of five, the pages near the
//!   text were fast there too). That is why the benchmark calls
//!   each engine's function from a loop of its own (`FnPtr::run`).

#[path = "support/calls.rs"]
mod calls;
use calls::{F, as_fn, code_page, time};

/// `ret` instructions in this program's text, never written.
#[repr(C, align(4096))]
struct Rets([u8; 4096]);
#[unsafe(link_section = ".text.call_sites_rets")]
#[used]
static RETS: Rets = Rets([0xC3; 4096]);

/// A one-page mapping of `ret`s at `hint` (exactly there, or `None` if that is taken; 0:
/// wherever the kernel likes), made read-execute after it is written. Leaked.
fn ret_page(hint: usize) -> Option<F> {
    let p = code_page(hint, 4096, |page| page.fill(0xC3))?;
    // SAFETY: a page of `ret`s, executable and never unmapped.
    Some(unsafe { as_fn(p) })
}

fn main() {
    let text = RETS.0.as_ptr() as usize;
    // SAFETY: a `ret` in this program's text.
    let in_text = unsafe { as_fn(RETS.0.as_ptr()) };
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
