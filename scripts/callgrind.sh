#!/usr/bin/env bash
# Instructions per operation of each hot path, counted by callgrind
# (repeatable, unlike wall-clock time on a shared machine): each scenario
# of benches/instructions.rs runs twice, in full and set-up only, and the
# difference is divided by n.
# Usage: scripts/callgrind.sh [scenario n]...   (default: the whole set)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo bench -p goprocess-benches --bench instructions --no-run >/dev/null 2>&1
bin=$(ls -t "$target"/release/deps/instructions-* | grep -v '\.d$' | head -1)
if [ $# -eq 0 ]; then
    set -- go_wait 20000 tokio_spawn_wait 20000 tokio_util_spawn_wait 20000 \
        go_batch 20000 tokio_util_batch 20000 close_idle 20000 tokio_util_close_idle 20000 \
        tree 11111 token_tree 11111 chain 10000
fi
count() {
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$@" >/dev/null 2>&1
    grep -m1 '^summary:' "$out" | awk '{print $2}'
    rm -f "$out"
}
while [ $# -ge 2 ]; do
    scenario=$1 n=$2
    shift 2
    full=$(count "$scenario" "$n")
    setup=$(count "$scenario" "$n" setup)
    printf '%-22s n=%-7s %8.0f instructions per op\n' "$scenario" "$n" \
        "$(echo "($full - $setup) / $n" | bc -l)"
done
