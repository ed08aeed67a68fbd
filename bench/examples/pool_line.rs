//! Experiment: does a constant pool in the same 64-byte line as the code slow a call down?
//! Builds `movsd xmm0, [rip+d]; ret` (E3's whole body) with the constant at several distances
//! from the code, and times calls through a fn pointer as the benchmark does.
//! Then a bare `xorps xmm0,xmm0; ret` on pages at different addresses: the default mmap
//! region and pages a multiple of 4 GiB below this program's code.
//! Run: `cargo run --release --manifest-path bench/Cargo.toml --example pool_line`.
//!
//! Findings on the 2-core EPYC VM (2026-11-25): the pool's place makes no difference; the
//! *address of the page* does. A native fn costs 1.35 ns per call here, the same bytes on an
//! anonymous page in the default mmap region (0x7f...) 2.16 ns — even a bare `ret`, on every
//! page tried. Pages a few GiB below the program's text were as fast as native in about half
//! the cases (which ones changes from run to run: 1, 5, 4 and 2 of 6 in four runs). How the
//! CPU's branch prediction treats far targets is not documented; Cranelift's code pays the
//! same. A lead, not taken: map the executable pool near the text with an address hint
//! (memmap2 has none, so it needs a raw `mmap`), which would make the fast case likely
//! rather than sure.

use std::hint::black_box;
use std::time::Instant;

#[inline(never)]
extern "C" fn native() -> f64 {
    -33.0
}

fn time(f: extern "C" fn() -> f64) -> f64 {
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

/// `xorps xmm0,xmm0; ret` on a fresh page at `hint` (0: anywhere), or `None` if that
/// address is taken. The page is leaked (the experiment is short).
fn bare_at(hint: usize) -> Option<extern "C" fn() -> f64> {
    // SAFETY: a fresh private mapping, written while RW, then made RX; the bytes are a
    // complete function that only zeroes xmm0 and returns.
    unsafe {
        let flags = libc::MAP_PRIVATE
            | libc::MAP_ANONYMOUS
            | if hint != 0 { libc::MAP_FIXED_NOREPLACE } else { 0 };
        let p = libc::mmap(
            hint as *mut libc::c_void,
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return None;
        }
        let code = [0x0f, 0x57, 0xc0, 0xc3];
        std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len());
        assert_eq!(libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC), 0);
        Some(std::mem::transmute::<*mut libc::c_void, extern "C" fn() -> f64>(p))
    }
}

fn by_address() {
    let text = native as *const () as usize & !0xfff;
    println!("bare `xorps; ret` by page address (native fn: {:.2} ns/call):", time(native));
    for k in 1..=6usize {
        for (what, hint) in [("default region", 0), ("near the text", text - k * (4 << 30))] {
            if let Some(f) = bare_at(hint) {
                println!("  {what:15} {:#014x}: {:.2} ns/call", f as usize, time(f));
            }
        }
    }
}

fn main() {
    println!("native Rust fn (in .text):        {:.2} ns/call (min of 30)", time(native));
    const LEN: usize = 8192;
    let native_off = native as *const () as usize & 0xfff;
    for &(pool_at, near, off) in &[
        (16usize, false, 0usize),
        (256, false, 0),
        (16, true, 0),
        (16, false, 0x40),
        (16, false, 0x100),
        (16, false, 0x800),
        (16, false, native_off),
    ] {
        // SAFETY: our own anonymous mapping, written while RW, then made RX and only called
        // while mapped; the code is a complete function (load, ret).
        unsafe {
            // `near`: ask for a mapping 64 MiB after this program's code.
            let hint = if near {
                ((native as *const () as usize + (64 << 20)) & !0xfff) as *mut libc::c_void
            } else {
                std::ptr::null_mut()
            };
            let p = libc::mmap(
                hint,
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as *mut u8;
            assert!(p as *mut libc::c_void != libc::MAP_FAILED);
            let map = p;
            let p = p.add(off);
            let disp = (pool_at - 8) as u32; // rip points after the 8-byte movsd
            let code = [0xf2, 0x0f, 0x10, 0x05];
            std::ptr::copy_nonoverlapping(code.as_ptr(), p, 4);
            std::ptr::copy_nonoverlapping(disp.to_le_bytes().as_ptr(), p.add(4), 4);
            *p.add(8) = 0xc3;
            std::ptr::copy_nonoverlapping((-33.0f64).to_le_bytes().as_ptr(), p.add(pool_at), 8);
            assert_eq!(libc::mprotect(map.cast(), LEN, libc::PROT_READ | libc::PROT_EXEC), 0);
            let f: extern "C" fn() -> f64 = std::mem::transmute(p);
            assert_eq!(f(), -33.0);
            let best = time(f);
            let dist = (p as isize - native as *const () as usize as isize).unsigned_abs() >> 20;
            println!(
                "code at page offset {off:#05x}, pool at +{pool_at:3} bytes, {dist} MiB from .text: {best:.2} ns/call (min of 30)"
            );
            libc::munmap(map.cast(), LEN);
        }
    }
    by_address();
}
