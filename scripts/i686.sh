#!/usr/bin/env bash
# Runs the test suite (`cargo test --workspace`) built for i686-unknown-linux-gnu: a 32-bit
# target, run natively by the 64-bit kernel. It has no machine code (the interpreter and the
# other fallbacks, as on aarch64), and its `usize` is 32 bits, which is what it checks: address
# and size arithmetic written for 64 bits (the placement hints overflowed there). About 3
# minutes here.
#
# Sets up what it needs where it is missing: the target's standard library (rustup) and the
# 32-bit C library and linker support (gcc-multilib, with apt-get; root or sudo, and network).
# When that cannot be done, it says why and exits with status 2, so a caller can tell "not
# checked" from "failed" (1).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
target=i686-unknown-linux-gnu

ensure_target "$target"
# (gcc's 32-bit start files: present once gcc-multilib is)
if ! ls /usr/lib/gcc/x86_64-linux-gnu/*/32/crtbegin.o >/dev/null 2>&1; then
    apt_install gcc-multilib
fi

# The target's own directory keeps these builds from replacing the host's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/i686"
cargo test --workspace --target "$target"
