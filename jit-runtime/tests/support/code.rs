//! Helpers shared by the executable-memory tests (included with `#[path]`; each test file is
//! a process of its own, so that memory and mapping counts are not disturbed by the others).
#![allow(dead_code)] // each file uses some of them

use jit_runtime::exec::{ExecCode, Reloc, install};

/// `addsd xmm0, xmm1; ret`: an `extern "C" fn(f64, f64) -> f64` returning the sum.
pub const ADD: [u8; 5] = [0xf2, 0x0f, 0x58, 0xc1, 0xc3];
/// `mulsd xmm0, xmm1; ret`: the product.
pub const MUL: [u8; 5] = [0xf2, 0x0f, 0x59, 0xc1, 0xc3];

/// The type of [`ADD`] and [`MUL`].
pub type F2 = extern "C" fn(f64, f64) -> f64;

/// `code` (a complete [`F2`], such as [`ADD`] installed) as a function.
pub fn f2(code: &ExecCode) -> F2 {
    // SAFETY: callers only pass code that is a complete `F2` function; they keep `code` alive
    // while calling the result.
    unsafe { std::mem::transmute::<*const u8, F2>(code.as_ptr()) }
}

/// `mov rax, imm64; ret` with the immediate left for a relocation at offset 2: an
/// `extern "C" fn() -> u64` returning the relocated value.
pub fn const_u64() -> Vec<u8> {
    let mut code = vec![0x48, 0xb8];
    code.extend_from_slice(&[0; 8]);
    code.push(0xc3);
    code
}

/// [`const_u64`] installed to return `value`.
pub fn install_u64(value: u64) -> ExecCode {
    install(&const_u64(), &[Reloc { offset: 2, value }])
        .unwrap_or_else(|e| panic!("install of {value}: {e}"))
}

/// `code` (a complete `extern "C" fn() -> u64`, such as [`install_u64`]'s) as a function.
pub fn as_u64_fn(code: &ExecCode) -> extern "C" fn() -> u64 {
    // SAFETY: callers only pass code that is a complete `extern "C" fn() -> u64`; they keep
    // `code` alive while calling the result.
    unsafe { std::mem::transmute::<*const u8, extern "C" fn() -> u64>(code.as_ptr()) }
}

/// All mappings of this process as (start, end, perms).
pub fn maps() -> Vec<(usize, usize, String)> {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .map(|line| {
            let mut parts = line.split_whitespace();
            let range = parts.next().unwrap();
            let perms = parts.next().unwrap().to_string();
            let (a, b) = range.split_once('-').unwrap();
            (
                usize::from_str_radix(a, 16).unwrap(),
                usize::from_str_radix(b, 16).unwrap(),
                perms,
            )
        })
        .collect()
}

/// How many mappings this process has.
pub fn mapping_count() -> usize {
    maps().len()
}

/// Whether this system forbids executable in-memory files (`vm.memfd_noexec = 2`), so that the
/// runtime uses protection flips instead of its code file (its documented fallback): the tests
/// of the code file itself then say so and skip. Any other refusal still fails them.
pub fn code_file_forbidden() -> bool {
    let forbidden =
        std::fs::read_to_string("/proc/sys/vm/memfd_noexec").is_ok_and(|v| v.trim() == "2");
    if forbidden {
        eprintln!("vm.memfd_noexec = 2: no code file here (protection flips instead); skipped");
    }
    forbidden
}

/// The open code files of this process (Linux x86-64: the runtime's memfds), as metadata.
pub fn code_files() -> Vec<std::fs::Metadata> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            std::fs::read_link(p)
                .is_ok_and(|t| t.to_string_lossy().starts_with("/memfd:trivial-jit code"))
        })
        .filter_map(|p| std::fs::metadata(p).ok())
        .collect()
}

/// Bytes of memory the code files hold (their allocated blocks): RSS counts them only while
/// they are mapped in.
#[cfg(unix)]
pub fn code_file_memory() -> u64 {
    use std::os::unix::fs::MetadataExt;
    code_files().iter().map(|m| m.blocks() * 512).sum()
}
