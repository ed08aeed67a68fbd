#!/usr/bin/env bash
# Runs a test binary that compiles, calls and drops JIT code (tests/hardening_valgrind.rs)
# under valgrind: any invalid access, use of uninitialised memory or leak fails the script.
# JIT code is fine under valgrind: code written through the code file is followed by a
# DISCARD_TRANSLATIONS client request (valgrind cannot see the kernel's write), and a flip
# buffer's mprotect makes valgrind re-translate by itself. Installs valgrind with
# `apt-get install -y valgrind` when it is missing (needs root or sudo, and network).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q && $sudo apt-get install -y -q valgrind
fi
bin=$(cargo test --test hardening_valgrind --no-run --message-format=json 2>/dev/null |
    grep '"name":"hardening_valgrind"' |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -n "$bin" ] || { echo "valgrind.sh: could not build tests/hardening_valgrind.rs" >&2; exit 1; }
# One test thread keeps the run deterministic; --errors-for-leak-kinds makes definite and
# indirect leaks errors (possible leaks come from the test harness's threads).
exec valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    "$bin" --test-threads=1
