#!/usr/bin/env bash
# Compiles, calls and drops a million functions (tests/hardening_million.rs, in release) and
# prints the resident set size before and after; fails if it grew by more than 16 MiB.
#   scripts/million.sh            # a million
#   MILLION_N=100000 scripts/million.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
cargo test --release --test hardening_million -- --ignored --nocapture --test-threads=1 2>&1 |
    grep -E 'RSS|test result|panicked|memory grew'
echo "took $(( $(date +%s) - start )) s"
