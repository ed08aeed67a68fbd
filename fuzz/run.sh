#!/usr/bin/env bash
# Runs each fuzz target for SECONDS, one after another, in one process each (no -jobs/-workers:
# the machine's cores are shared). Needs a nightly toolchain and cargo-fuzz:
#   cargo install cargo-fuzz
#   fuzz/run.sh 600                      # every target, 10 minutes each
#   fuzz/run.sh 60 parse_any compile_any # only these
# The seeds in fuzz/corpus/<target>/ are read, never written; new inputs go to
# fuzz/work/<target>/ (not committed), crashes to fuzz/artifacts/<target>/. Exits non-zero
# when any target found a crash, a hang (10 s) or a leak.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parse_any jit_vs_interp compile_any map_vs_call reduce_vs_fold)
status=0
for t in "${targets[@]}"; do
    mkdir -p "work/$t"
    echo "=== $t: ${seconds}s"
    if ! cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        echo "=== $t: FAILED (see fuzz/artifacts/$t/)"
        status=1
    fi
done
exit $status
