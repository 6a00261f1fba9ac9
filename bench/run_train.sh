#!/usr/bin/env bash
# Training-step benchmark: taskscout (bench_train) vs the same step written on Debian's
# python3-torch (bench/train_torch.py), side by side in one run: the same random-weight
# BERT folders (2 layers × 128 and 4 layers × 256, vocab 30522), the same fixed [32, 128]
# batch without padding, the same step (forward, cross-entropy, backward, clipping at 1.0,
# AdamW, zero_grad), full fine-tuning and a Pfeiffer adapter; each configuration in its
# own process (peak RSS is per process), the median of STEPS steps after WARMUP.
# Prints a markdown table for bench/RESULTS.md; the raw JSON lines stay in
# $BUILD/bench-data/train/results.jsonl.
# Usage: BUILD=build-issue4 bash bench/run_train.sh [STEPS=7] [WARMUP=2] [THREADS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-7}
warmup=${2:-2}
threads=${3:-2}
if [ -z "${BUILD:-}" ]; then bash scripts/setup.sh; BUILD=build; fi
bin=$BUILD/bench/bench_train
[ -x "$bin" ] || { echo "error: $bin not found; build it: cmake --build $BUILD --target bench_train" >&2; exit 1; }
data=$BUILD/bench-data/train
mkdir -p "$data"
/usr/bin/python3 bench/train_torch.py models "$data"
load=$(cut -d' ' -f1 /proc/loadavg)
out=$data/results.jsonl
: >"$out"
env_threads=(env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads")
for m in tiny small; do
  for method in full adapter; do
    "${env_threads[@]}" "$bin" "$data/$m" "$method" 32 128 "$warmup" "$steps" "$threads" >>"$out"
    "${env_threads[@]}" /usr/bin/python3 bench/train_torch.py step "$data/$m" "$method" 32 128 "$warmup" "$steps" \
      "$threads" >>"$out"
  done
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

/usr/bin/python3 - "$out" "$threads" "$steps" "$warmup" "$load" "$load_after" <<'PY'
import json, sys
out, threads, steps, warmup, load, load_after = sys.argv[1:]
rows = [json.loads(l) for l in open(out)]
by = {(r["impl"], r["model"], r["method"]): r for r in rows}
names = {"tiny": "2 layers, hidden 128", "small": "4 layers, hidden 256"}
print(f"Batch 32 × 128 tokens, {threads} threads, median of {steps} steps after {warmup} warm-up steps; "
      f"load average {load} before, {load_after} after.\n")
print("| model | method | trainable parameters | taskscout examples/s | python3-torch examples/s | ratio | "
      "taskscout peak RSS MiB | python3-torch peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|")
for m in ("tiny", "small"):
    for method in ("full", "adapter"):
        a, b = by[("taskscout", m, method)], by[("torch", m, method)]
        print(f"| {names[m]} | {method} | {a['trainable_parameters']:,} | {a['examples_per_second']:.1f} | "
              f"{b['examples_per_second']:.1f} | {a['examples_per_second'] / b['examples_per_second']:.2f} | "
              f"{a['peak_rss_mib']:.0f} | {b['peak_rss_mib']:.0f} |")
PY
