#!/usr/bin/env bash
# Runs two benchmarks of one bench target back to back, N times, and prints
# the median of the N ratios first/second with their range: on a shared
# machine, a ratio taken from two measurements seconds apart is steadier
# than one taken across full `cargo bench` runs.
# Usage:   scripts/alternate.sh BENCH ID_A ID_B [N=10]
# Example: scripts/alternate.sh spawn_wait a_spawn_wait/goprocess a_spawn_wait/tokio
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$1 a=$2 b=$3 n=${4:-10}
crit=${CARGO_TARGET_DIR:-target}/criterion
median() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['median']['point_estimate'])" "$1"; }
cargo bench -p goprocess-benches --bench "$bench" --no-run >/dev/null 2>&1
ratios=()
for _ in $(seq "$n"); do
    for id in "$a" "$b"; do
        cargo bench -p goprocess-benches --bench "$bench" -- "^${id}\$" >/dev/null 2>&1
    done
    ratios+=("$(python3 -c "print($(median "$crit/$a/new/estimates.json") / $(median "$crit/$b/new/estimates.json"))")")
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
rs = [float(r) for r in sys.argv[1:]]
print(f"{statistics.median(rs):.2f}x (range {min(rs):.2f}-{max(rs):.2f}, {len(rs)} alternations)")
PY
