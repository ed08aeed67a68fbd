#!/usr/bin/env bash
# Runs the test suite (`cargo test --workspace`: unit, integration and CLI tests; not the
# doc-tests or the trybuild cases) built with AddressSanitizer and LeakSanitizer: every
# out-of-bounds access, use after free and leak in Rust code, the runtime's `unsafe` blocks
# included, fails it. (The JIT's machine code is not instrumented; valgrind.sh covers it.)
# Needs a nightly toolchain (`-Zsanitizer`); rustup installs one where missing. About 3
# minutes here.
#
# Skipped: the tests that check that memory stays flat (ASan keeps freed memory in quarantine,
# so the resident size grows by design), and the opt-in million run. Exit status 2 when no
# nightly toolchain can be had, so a caller can tell "not checked" from "failed" (1).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

rustup toolchain list 2>/dev/null | grep -q '^nightly' ||
    timeout 600 rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
    skip "rustup could not install a nightly toolchain"

host=$(rustc -vV | sed -n 's/^host: //p')
# The sanitized builds get a directory of their own; --target keeps the sanitizer flags off
# the build scripts and proc macros, which run uninstrumented.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/asan"
export RUSTFLAGS="-Zsanitizer=address"
export ASAN_OPTIONS="detect_leaks=1"
cargo +nightly test --workspace --target "$host" --lib --bins --tests -- \
    --skip compiling_and_dropping_keeps_memory_flat \
    --skip hundred_thousand_installs_keep_memory_flat --skip ui --exact
