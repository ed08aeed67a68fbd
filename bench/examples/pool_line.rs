//! Experiment: does a constant pool in the same 64-byte line as the code slow a call down?
//! Builds `movsd xmm0, [rip+d]; ret` (E3's whole body) with the constant at several distances
//! from the code, and times calls through a fn pointer as the benchmark does.
//! Then a bare `xorps xmm0,xmm0; ret` on pages at different addresses: the default mmap
//! region and pages a multiple of 4 GiB below this program's code; one page and native
//! alternately; the same Rust function elsewhere in the text; and `ret`s in a text page.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example pool_line`.
//!
//! Findings on the 2-core EPYC VM (2026-11-25): the pool's place makes no difference. A native
//! fn usually costs 1.35 ns per call here, the same bytes on an anonymous page usually 2.17 ns
//! (a bare `ret` too), and the results of the later parts moved from build to build. The
//! cause was found the next day (`examples/call_sites.rs`): this experiment calls every target
//! from one shared call instruction (`time`), which the CPU predicts slowly for all targets
//! but the first, and the default mapping area is far from the text; from call sites of their
//! own, pages near the text are as fast as native code.

#[path = "support/calls.rs"]
mod calls;
use calls::{as_fn, code_page, time};

#[inline(never)]
extern "C" fn native() -> f64 {
    -33.0
}

/// `ret` instructions in this program's text, never written: functions at every address.
#[repr(C, align(4096))]
struct Rets([u8; 8192]);
#[unsafe(link_section = ".text.pool_line_rets")]
#[used]
static RETS: Rets = Rets([0xC3; 8192]);

/// How many of 128 `ret`s 64 bytes apart in [`RETS`] are called as fast as `native`.
fn scan_text_rets() {
    let fast_limit = (time::<0>(native) + 2.17) / 2.0;
    let fast = (0..128)
        .filter(|i| {
            let p = RETS.0.as_ptr().wrapping_add(64 * i);
            // SAFETY: a `ret` in this program's (executable) text, valid as a function that
            // returns an unspecified xmm0.
            time::<0>(unsafe { as_fn(p) }) < fast_limit
        })
        .count();
    println!("`ret`s in .text, 64 bytes apart: {fast} of 128 as fast as native");
}

/// The same function, in another section of this program's text.
#[inline(never)]
#[unsafe(link_section = ".text.pool_line_elsewhere")]
extern "C" fn native_elsewhere() -> f64 {
    -33.0
}

fn by_address() {
    let text = native as *const () as usize & !0xfff;
    println!(
        "bare `xorps; ret` by page address (native fn: {:.2} ns/call):",
        time::<0>(native)
    );
    for k in 1..=6usize {
        for (what, hint) in [
            ("default region", 0),
            ("near the text", text - k * (4 << 30)),
        ] {
            let bare = |page: &mut [u8]| page[..4].copy_from_slice(&[0x0f, 0x57, 0xc0, 0xc3]);
            if let Some(p) = code_page(hint, 4096, bare) {
                // SAFETY: `xorps xmm0,xmm0; ret`, executable and never unmapped.
                let f = unsafe { as_fn(p) };
                println!("  {what:15} {p:#014x?}: {:.2} ns/call", time::<0>(f));
            }
        }
    }
}

/// Native and one JIT page alternately, from the same call site (the `time` loop).
fn alternate() {
    let bare = |page: &mut [u8]| page[..4].copy_from_slice(&[0x0f, 0x57, 0xc0, 0xc3]);
    let Some(p) = code_page(0, 4096, bare) else {
        return;
    };
    // SAFETY: `xorps xmm0,xmm0; ret`, executable and never unmapped.
    let f = unsafe { as_fn(p) };
    let mut line = String::new();
    for _ in 0..4 {
        line += &format!(
            " page {:.2}, native {:.2};",
            time::<0>(f),
            time::<0>(native)
        );
    }
    println!("alternately, ns/call:{line}");
}

fn main() {
    println!(
        "native Rust fn (in .text):        {:.2} ns/call (min of 30)",
        time::<0>(native)
    );
    println!(
        "the same fn elsewhere in .text:   {:.2} ns/call ({:#x} and {:#x})",
        time::<0>(native_elsewhere),
        native as *const () as usize,
        native_elsewhere as *const () as usize
    );
    let native_off = native as *const () as usize & 0xfff;
    // `near`: a mapping 64 MiB after this program's code.
    let near = (native as *const () as usize + (64 << 20)) & !0xfff;
    for &(pool_at, hint, off) in &[
        (16usize, 0, 0usize),
        (256, 0, 0),
        (16, near, 0),
        (16, 0, 0x40),
        (16, 0, 0x100),
        (16, 0, 0x800),
        (16, 0, native_off),
    ] {
        // movsd xmm0, [rip + pool_at - 8]; ret   (rip points after the 8-byte movsd)
        let load = |page: &mut [u8]| {
            page[off..off + 4].copy_from_slice(&[0xf2, 0x0f, 0x10, 0x05]);
            page[off + 4..off + 8].copy_from_slice(&((pool_at - 8) as u32).to_le_bytes());
            page[off + 8] = 0xc3;
            page[off + pool_at..off + pool_at + 8].copy_from_slice(&(-33.0f64).to_le_bytes());
        };
        let Some(map) = code_page(hint, 8192, load) else {
            continue;
        };
        // SAFETY: the load-and-return above, at `off` inside the executable mapping.
        let f = unsafe { as_fn(map.wrapping_add(off)) };
        assert_eq!(f(), -33.0);
        let best = time::<0>(f);
        let dist =
            (f as usize as isize - native as *const () as usize as isize).unsigned_abs() >> 20;
        println!(
            "code at page offset {off:#05x}, pool at +{pool_at:3} bytes, {dist} MiB from .text: {best:.2} ns/call (min of 30)"
        );
    }
    by_address();
    alternate();
    scan_text_rets();
}
