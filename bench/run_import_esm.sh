#!/usr/bin/env bash
# registry import-esm / export-esm at the scale of hf-dataset-selector's published pool:
# N ESM folders (bench/make_hf_esm_tree.py, D = the base encoder's 128) imported into a new
# registry, exported back, and the export imported again; wall seconds of each.
# Usage: BUILD=build bash bench/run_import_esm.sh [N=1509]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1509}
BUILD=${BUILD:-build}
bin=$BUILD/taskscout
data=$BUILD/bench-data/hf-esm
base=models/base-encoder
mkdir -p "$data"
/usr/bin/python3 bench/make_hf_esm_tree.py "$data/tree" "$n" 128 taskscout/base-encoder
rm -rf "$data/reg" "$data/reg2" "$data/out"
"$bin" registry init "$data/reg" 2>/dev/null
"$bin" registry init "$data/reg2" 2>/dev/null
load=$(cut -d' ' -f1 /proc/loadavg)
t() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
imp=$(t "$bin" registry import-esm "$data/reg" "$data/tree" --base "$base" --json)
exp=$(t "$bin" registry export-esm "$data/reg" "$data/out" --json)
imp2=$(t "$bin" registry import-esm "$data/reg2" "$data/out" --base "$base" --base-model-name taskscout/base-encoder --json)
count=$("$bin" registry list "$data/reg" --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
echo "N=$n, D=128, load average at start: $load; imported: $count"
echo "| step | seconds | per ESM, ms |"
echo "|---|---|---|"
for row in "import-esm (tree):$imp" "export-esm:$exp" "import-esm (the export):$imp2"; do
  s=${row##*:}
  printf '| %s | %.2f | %.2f |\n' "${row%%:*}" "$s" "$(echo "$s * 1000 / $n" | bc -l)"
done
