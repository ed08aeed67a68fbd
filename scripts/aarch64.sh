#!/usr/bin/env bash
# Runs the whole test suite (`cargo test --workspace`) built for aarch64-unknown-linux-gnu,
# under qemu's user-mode emulation: the target without machine code, where `Jit::compile`
# interprets, the arrays loop in Rust and `jit_expr!` expands to plain Rust (SPEC §4: other
# targets build and work). About 3 minutes here, half of it building for the target.
#
# Sets up what it needs where it is missing: the target's standard library (rustup), qemu-user
# and a cross linker (apt-get; root or sudo, and network), and qemu as the kernel's handler of
# aarch64 executables (binfmt_misc, so the CLI tests can start the aarch64 `trivial-jit`
# binary). When any of that cannot be done, it says why and exits with status 2, so a caller
# can tell "not checked" from "failed" (1).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
target=aarch64-unknown-linux-gnu

ensure_target "$target"
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    apt_install qemu-user qemu-user-binfmt gcc-aarch64-linux-gnu libc6-dev-arm64-cross
fi
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/qemu-aarch64" ]; then
    [ -e "$binfmt/register" ] || $sudo mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null ||
        skip "binfmt_misc is not available"
    rule=/usr/lib/binfmt.d/qemu-aarch64.conf
    [ -r "$rule" ] || skip "$rule is missing (package qemu-user-binfmt)"
    $sudo sh -c "cat $rule > $binfmt/register" 2>/dev/null ||
        skip "could not register qemu-aarch64 with binfmt_misc"
fi

# The target's own directory keeps these builds from replacing the host's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/aarch64-under-qemu"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu # the target's C library, for qemu
# Emulation runs the property tests about 25 times slower than the host (jit-compiler's
# 2 000-case round trip: 1.8 s here, 46 s under qemu), and here they compare the interpreter
# with itself or with plain Rust: 100 cases each (the host runs 256-3 000) find a port's
# faults, and take about 3 minutes less.
export PROPTEST_CASES="${PROPTEST_CASES:-100}"
# The two crates the tests spend their time in (the parser and interpreter, the arrays' Rust
# loops) are optimized at level 1, with their debug assertions and overflow checks still on:
# the run under qemu takes about 70 s rather than 210, for 25 s more of building.
cargo test --workspace --target "$target" \
    --config 'profile.dev.package.jit-compiler.opt-level = 1' \
    --config 'profile.dev.package.jit-runtime.opt-level = 1'
