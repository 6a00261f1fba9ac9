#!/usr/bin/env bash
# The registry at scale: builds a registry of N sources (default 10,000) by importing an
# archive that bench/registry_make_archive.py generates (so every blob goes through the
# real import path: re-hashed, validated, one transaction), then times `registry list`
# (table and --json), `registry show`, `registry verify --quick` and a full `verify`,
# each the median of REPEATS runs, next to the process start-up alone (`taskscout --version`),
# and a whole `rank --registry` of every source for a 100-example target given as features
# (the archive's ESMs are 4×4, so the time is start-up, the listing and per-source overhead).
# Usage: bash bench/run_registry.sh [N=10000] [REPEATS=5] [BUILD=build]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
repeats=${2:-5}
build=${3:-build}
bin=$build/taskscout
[ -x "$bin" ] || { bash scripts/setup.sh; }
work=$build/bench-data/registry
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 bench/registry_make_archive.py "$work/pool.tsar" "$n"

median() {  # median wall seconds of running "$@" $repeats times, output discarded
  for _ in $(seq "$repeats"); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'
}

"$bin" registry init "$work/reg" 2>/dev/null
s=$(date +%s.%N)
"$bin" registry import "$work/reg" "$work/pool.tsar" >/dev/null
import_s=$(echo "$(date +%s.%N) - $s" | bc -l)
count=$("$bin" registry list "$work/reg" --csv | tail -n +2 | wc -l)
[ "$count" -eq "$n" ] || { echo "expected $n sources, listed $count" >&2; exit 1; }

# The library's own read path, in process (no libtorch start-up).
libs=$build/src
g++ -std=c++20 -O2 -I include bench/registry_list_time.cpp -o "$work/registry_list_time" \
  "$libs/libtaskscout_registry.a" "$libs/libtaskscout_io.a" "$libs/libtaskscout_core.a" -lsqlite3 -lfmt
inproc=$("$work/registry_list_time" "$work/reg" 9 source-05000)

echo "$(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $n sources, median of $repeats runs (wall seconds, whole process)"
echo
echo "| command | seconds |"
echo "|---|---|"
printf "| \`taskscout --version\` (process start-up only) | %s |\n" "$(median "$bin" --version)"
printf "| \`registry list\` (table, %d rows) | %s |\n" "$n" "$(median "$bin" registry list "$work/reg")"
printf "| \`registry list --json\` | %s |\n" "$(median "$bin" registry list "$work/reg" --json)"
printf "| \`registry list --csv\` | %s |\n" "$(median "$bin" registry list "$work/reg" --csv)"
printf "| \`registry show source-05000\` | %s |\n" "$(median "$bin" registry show "$work/reg" source-05000)"
printf "| \`registry verify --quick\` (every blob exists; orphan scan) | %s |\n" "$(median "$bin" registry verify "$work/reg" --quick)"
printf "| \`registry verify\` (re-hash and parse %d blobs) | %s |\n" "$((2 * n))" "$(median "$bin" registry verify "$work/reg")"
/usr/bin/python3 -c 'import numpy as np, sys
rng = np.random.default_rng(0)
np.save(sys.argv[1], rng.standard_normal((100, 4)).astype(np.float32))
np.save(sys.argv[2], (np.arange(100) % 2).astype(np.int64))' "$work/x.npy" "$work/y.npy"
printf "| \`rank --registry\` of all %d sources (100-example target as features, D = 4) | %s |\n" "$n" \
  "$(median "$bin" rank --registry "$work/reg" --target-features "$work/x.npy" --labels "$work/y.npy" --k 5)"
printf "| in process: \`Registry::open\` + \`list()\` of %d sources (median of 9) | %s |\n" "$n" \
  "$(echo "$inproc" | /usr/bin/python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["open_and_list_seconds"])')"
printf "| whole torch-free process (\`registry_list_time\`: start, open, list, exit) | %s |\n" \
  "$(median "$work/registry_list_time" "$work/reg" 1)"
printf "| in process: \`get(\"source-05000\")\` | %s |\n" \
  "$(echo "$inproc" | /usr/bin/python3 -c 'import json,sys; print("%.6f" % json.load(sys.stdin)["get_seconds"])')"
printf "| \`registry import\` of the %d-source archive (once) | %.3f |\n" "$n" "$import_s"
