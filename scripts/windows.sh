#!/usr/bin/env bash
# Runs the test suite (`cargo test --workspace`) built for x86_64-pc-windows-gnu, under wine:
# the Win64 calling convention as the host's, executable memory through VirtualAlloc and
# VirtualProtect (memmap2, region), and the CLI as a Windows program. About 2 minutes here.
#
# Sets up what it needs where it is missing: the target's standard library (rustup), wine and
# the MinGW-w64 linker (apt-get; root or sudo, and network), and a wine prefix of its own under
# the target directory. Wine 8 (Debian 12) lacks `bcryptprimitives.dll`, whose `ProcessPrng`
# Rust's standard library imports on Windows: the script builds a stand-in from
# `scripts/windows/bcryptprimitives.c` with MinGW and puts it in the prefix. When any of that
# cannot be done, it says why and exits with status 2, so a caller can tell "not checked" from
# "failed" (1).
#
# The ui test (trybuild) is skipped: from inside wine it cannot start the Linux `cargo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
target=x86_64-pc-windows-gnu

ensure_target "$target"
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    apt_install wine64 gcc-mingw-w64-x86-64
fi

# The target's own directory keeps these builds from replacing the host's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/windows-under-wine"
mkdir -p "$CARGO_TARGET_DIR"
export WINEPREFIX
WINEPREFIX="$(cd "$CARGO_TARGET_DIR" && pwd)/wine-prefix"
export WINEDEBUG=-all # wine's own diagnostics (no display, fixme notes) off
system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -e "$system32/bcryptprimitives.dll" ]; then
    wineboot --init >/dev/null 2>&1 || skip "wine could not make its prefix"
    x86_64-w64-mingw32-gcc -shared -O2 -o "$system32/bcryptprimitives.dll" \
        scripts/windows/bcryptprimitives.c -ladvapi32 ||
        skip "MinGW could not build the bcryptprimitives.dll stand-in"
fi

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
cargo test --workspace --target "$target" -- --skip ui --exact
