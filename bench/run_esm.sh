#!/usr/bin/env bash
# ESM-LogME benchmark (issue 5), printing markdown for bench/RESULTS.md:
#  (a) per-source scoring at D = 768 for N = 1,000 and N = 10,000 target examples,
#      taskscout (bench_esm) side by side with the reference pipeline (bench/esm_numpy.py:
#      apply the ESM with numpy, then numpy LogME), same ESMs, same thread count;
#  (b) `taskscout rank` over 1,000 synthetic ESM files (D = 768) for a 1,000-example target
#      given as features (no embedding), wall time and peak RSS from /usr/bin/time.
# Usage: bash bench/run_esm.sh [REPEATS=5] [THREADS=2] [SOURCES=1000]
# BUILD=dir uses an existing build (bench_esm in dir/bench/, taskscout in dir/) instead of
# scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
threads=${2:-2}
sources=${3:-1000}
if [ -z "${BUILD:-}" ]; then bash scripts/setup.sh; BUILD=build; fi
data=$BUILD/bench-data
[ -f "$data/logme/n10000_d768_c2_labels.npy" ] || /usr/bin/python3 bench/make_logme_data.py "$data/logme"
# A few ESMs for (a); the pool for (b) (2.4 MB each), written once.
[ -d "$data/esm/few" ] || "$BUILD/bench/bench_esm" make-esms "$data/esm/few" 8 768 1
[ -f "$data/esm/pool$sources/done" ] || {
  "$BUILD/bench/bench_esm" make-esms "$data/esm/pool$sources" "$sources" 768 2 && touch "$data/esm/pool$sources/done"
}
load_before=$(cut -d' ' -f1 /proc/loadavg)
ours=$("$BUILD/bench/bench_esm" per-source "$data/logme" "$data/esm/few" "$repeats" "$threads")
theirs=$(env OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
         /usr/bin/python3 bench/esm_numpy.py "$data/logme" "$data/esm/few" "$repeats")
rank_json=$data/esm/rank.json
rank_time=$data/esm/rank.time
/usr/bin/time -v "$BUILD/taskscout" rank --esms "$data/esm/pool$sources" \
  --target-features "$data/logme/n1000_d768_c2_features.npy" --labels "$data/logme/n1000_d768_c2_labels.npy" \
  --threads "$threads" --k 5 --json >"$rank_json" 2>"$rank_time"
load_after=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$ours" "$theirs" "$threads" "$repeats" "$rank_json" "$rank_time" "$load_before" "$load_after" <<'PY'
import json, sys, datetime, subprocess
ours = [json.loads(l) for l in sys.argv[1].splitlines()]
theirs = {j["case"]: j for j in map(json.loads, sys.argv[2].splitlines())}
threads, repeats = sys.argv[3], sys.argv[4]
rank = json.load(open(sys.argv[5]))
time_lines = open(sys.argv[6]).read().splitlines()
def field(prefix):
    return next(l.split(": ", 1)[1] for l in time_lines if l.strip().startswith(prefix))
wall = field("Elapsed (wall clock) time")
m, s = wall.split(":")[-2:]
wall_s = float(m) * 60 + float(s)
rss_kib = int(field("Maximum resident set size"))
peak = ours[0]["gemm_f64_gflops"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {cpu}, {threads} threads, median of {repeats} runs; "
      f"float64 GEMM measured at {peak:.1f} GFLOP/s in this run; load average {sys.argv[7]} before, {sys.argv[8]} after")
print()
print("| target N | numpy s/source | taskscout s/source | speed-up | pooled s/source | speed-up pooled | target factor s (once) | GFLOP/source | GFLOP/s (one source) | % of f64 GEMM | max rel. score diff |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for o in ours[1:]:
    t = theirs[o["case"]]
    diff = max(abs(a - b) / abs(b) for a, b in zip(o["scores"], t["scores"]))
    g = o["flops_per_source"] / 1e9
    print(f"| {o['n']} | {t['source_seconds']:.4f} | {o['source_seconds']:.4f} | {t['source_seconds'] / o['source_seconds']:.1f}x "
          f"| {o['pooled_seconds_per_source']:.4f} | {t['source_seconds'] / o['pooled_seconds_per_source']:.1f}x "
          f"| {o['factor_seconds']:.3f} | {g:.2f} | {g / o['source_seconds']:.1f} | {100 * g / o['source_seconds'] / peak:.0f}% | {diff:.1e} |")
print()
print(f"`taskscout rank` over {rank['sources']} ESM files (N = {rank['n']}, D = {rank['d']}, {threads} threads): "
      f"wall {wall_s:.1f} s (process, incl. loading the target and every ESM file), scoring {rank['seconds']:.1f} s "
      f"+ target factorization {rank['setup_seconds']:.2f} s, {rank['scored']} ranked, {len(rank['skipped'])} skipped, "
      f"peak RSS {rss_kib / 1024:.0f} MiB")
PY
