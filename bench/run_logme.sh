#!/usr/bin/env bash
# LogME: taskscout vs the numpy formulation, side by side in one run, same data, same
# thread count. Prints a markdown table for bench/RESULTS.md.
# Usage: bash bench/run_logme.sh [REPEATS=7] [THREADS=nproc]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-7}
threads=${2:-$(nproc)}
bash scripts/setup.sh
dpkg-query -W python3-numpy >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-numpy
data=build/bench-data/logme
[ -f "$data/n50000_d768_c4_labels.npy" ] || /usr/bin/python3 bench/make_logme_data.py "$data"
ours=$(build/bench/bench_logme "$data" "$repeats" "$threads")
# numpy's OpenBLAS gets the same number of threads.
theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
         /usr/bin/python3 bench/logme_numpy.py "$data" "$repeats")
/usr/bin/python3 - "$ours" "$theirs" "$threads" "$repeats" <<'PY'
import json, sys, platform, datetime, subprocess
ours = [json.loads(l) for l in sys.argv[1].splitlines()]
theirs = {j["case"]: j for j in map(json.loads, sys.argv[2].splitlines())}
peak = ours[0]["gemm_f64_gflops"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"{datetime.date.today()}, {cpu}, {sys.argv[3]} threads, median of {sys.argv[4]} runs; "
      f"float64 GEMM measured at {peak:.1f} GFLOP/s")
print()
print("| case (N, D, C) | numpy s | taskscout s | speed-up | GFLOP | taskscout GFLOP/s | % of f64 GEMM | LogME numpy | LogME taskscout |")
print("|---|---|---|---|---|---|---|---|---|")
for o in ours[1:]:
    t = theirs[o["case"]]
    print(f"| {o['case']} | {t['median_seconds']:.4f} | {o['median_seconds']:.4f} | {t['median_seconds'] / o['median_seconds']:.1f}x "
          f"| {o['flops'] / 1e9:.2f} | {o['gflops']:.1f} | {100 * o['gflops'] / peak:.0f}% | {t['logme']:.6f} | {o['logme']:.6f} |")
PY
