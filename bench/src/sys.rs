//! Machine information and the cost of one protection change.

use std::time::Instant;

use crate::Stat;

/// Versions of the engines, as pinned in bench/Cargo.toml.
pub const VERSIONS: &[(&str, &str)] = &[
    ("trivial-jit", "0.1.0 (path ..)"),
    (
        "cranelift-jit/-codegen/-frontend/-native/-module",
        "0.135.8",
    ),
    ("fasteval", "0.2.4"),
    ("meval", "0.2.0"),
    ("evalexpr", "13.1.0"),
    ("exmex", "0.21.0"),
];

pub fn print_machine_info() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("trivial-jit benchmark");
    println!("CPU: {model} ({cores} logical CPUs)");
    #[cfg(target_arch = "x86_64")]
    println!(
        "features: AVX2 {}, FMA {}, AVX-512F {}",
        yes(std::arch::is_x86_feature_detected!("avx2")),
        yes(std::arch::is_x86_feature_detected!("fma")),
        yes(std::arch::is_x86_feature_detected!("avx512f")),
    );
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown (rustc not on PATH)".into());
    println!("rustc: {rustc}; profile: release, thin LTO");
    let versions: Vec<String> = VERSIONS.iter().map(|(n, v)| format!("{n} {v}")).collect();
    println!("crates: {}", versions.join(", "));
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let one: f64 = load
            .split_whitespace()
            .next()
            .and_then(|x| x.parse().ok())
            .unwrap_or(0.0);
        println!("load average at start: {}", load.trim());
        if one > 0.5 * cores as f64 {
            println!(
                "WARNING: the machine is busy (1-minute load {one:.1} on {cores} CPUs): \
                 medians will be noisy; compare with the minimums, or rerun on an idle machine"
            );
        }
    }
    let t = Instant::now();
    let mut k = 0u32;
    while k < 1_000_000 {
        std::hint::black_box(Instant::now());
        k += 1;
    }
    println!(
        "timer: Instant::now() costs {:.0} ns (included in each single-compilation sample)",
        t.elapsed().as_nanos() as f64 / f64::from(k)
    );
    println!();
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// A pre-faulted 4 KiB page between two `PROT_NONE` guard pages, as trivial-jit's pool
/// buffers are, whose protection the benchmark changes: to measure one `mprotect`, and to
/// flush the TLB before a compilation as `Jit::compile`'s own protection changes do.
///
/// The guards make the cost independent of where the kernel places the mapping: a page
/// whose neighbours have the same protection is merged with them into one kernel region, and
/// changing it then splits that region (about 2–2.5 µs here instead of about 1 µs), so an
/// unguarded page measured 1.0 µs in one run and 2.0 µs in the next.
#[cfg(unix)]
pub struct GuardedPage {
    /// The first guard page; the page itself follows it.
    base: *mut libc::c_void,
}

#[cfg(unix)]
impl GuardedPage {
    const PAGE: usize = 4096;

    /// Maps guard, page, guard; `None` if the system refuses.
    pub fn new() -> Option<GuardedPage> {
        // SAFETY: a private anonymous mapping of our own; the guards' protection is changed
        // within it. On failure it is unmapped again.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                3 * Self::PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return None;
            }
            let page = GuardedPage { base };
            let after = base.cast::<u8>().add(2 * Self::PAGE).cast();
            let guarded = libc::mprotect(base, Self::PAGE, libc::PROT_NONE) == 0
                && libc::mprotect(after, Self::PAGE, libc::PROT_NONE) == 0;
            guarded.then_some(page)
        }
    }

    fn page(&self) -> *mut libc::c_void {
        // SAFETY: within the mapping of three pages.
        unsafe { self.base.cast::<u8>().add(Self::PAGE).cast() }
    }

    /// Writes a byte (the page is RW between calls), then changes the page to RX (the
    /// timed change of [`mprotect_cost`], returned as its duration) and back to RW.
    /// `None` if a change fails.
    pub fn cycle(&self, byte: u8) -> Option<std::time::Duration> {
        // SAFETY: the page is ours and RW here; it is never executed.
        unsafe {
            self.page().cast::<u8>().write_volatile(byte);
            let t = Instant::now();
            let r = libc::mprotect(self.page(), Self::PAGE, libc::PROT_READ | libc::PROT_EXEC);
            let dt = t.elapsed();
            let back = libc::mprotect(self.page(), Self::PAGE, libc::PROT_READ | libc::PROT_WRITE);
            (r == 0 && back == 0).then_some(dt)
        }
    }
}

#[cfg(unix)]
impl Drop for GuardedPage {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, not used after this.
        unsafe { libc::munmap(self.base, 3 * Self::PAGE) };
    }
}

/// Median and minimum time of one `mprotect` RW → RX of a [`GuardedPage`] (ns).
#[cfg(unix)]
pub fn mprotect_cost() -> Option<Stat> {
    let page = GuardedPage::new()?;
    let mut samples = Vec::with_capacity(2000);
    for i in 0..2000 {
        let dt = page.cycle(i as u8)?;
        if i >= 100 {
            samples.push(dt.as_nanos() as f64);
        }
    }
    crate::stat(samples)
}

/// No protection changes measured off Unix.
#[cfg(not(unix))]
pub struct GuardedPage;

#[cfg(not(unix))]
impl GuardedPage {
    pub fn new() -> Option<GuardedPage> {
        None
    }

    pub fn cycle(&self, _: u8) -> Option<std::time::Duration> {
        None
    }
}

#[cfg(not(unix))]
pub fn mprotect_cost() -> Option<Stat> {
    None
}
