//! Helpers shared by the executable-memory tests (included with `#[path]`; each test file is
//! a process of its own, so that memory and mapping counts are not disturbed by the others).
#![allow(dead_code)] // each file uses some of them

/// `mov rax, imm64; ret` with the immediate left for a relocation at offset 2: an
/// `extern "C" fn() -> u64` returning the relocated value.
pub fn const_u64() -> Vec<u8> {
    let mut code = vec![0x48, 0xb8];
    code.extend_from_slice(&[0; 8]);
    code.push(0xc3);
    code
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
