#!/usr/bin/env bash
# Composition training step against a single adapter's (or a single LoRA's), side by side in
# one run: the random-weight BERT folders of bench/run_train.sh (2 layers × 128 and 4 layers ×
# 256), the same fixed [32, 128] batch, the same step (forward, cross-entropy, backward,
# clipping, AdamW); a single Pfeiffer adapter (reduction 16) against K = 8 frozen ones composed
# by each method, and a single LoRA (rank 8 on query and value) against K = 8 frozen ones
# composed by each ScaLearn variant. METHODS="…" runs a subset. ROUNDS rounds, each running every configuration once in its own process (so load
# drifts hit all alike); a configuration's figure is the median over rounds of its median
# step. Prints a markdown table for bench/RESULTS.md.
# Usage: BUILD=build bash bench/compose/run_step.sh [STEPS=7] [WARMUP=2] [THREADS=2] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-7}
warmup=${2:-2}
threads=${3:-2}
rounds=${4:-3}
BUILD=${BUILD:-build}
bin=$BUILD/bench/bench_train
[ -x "$bin" ] || { echo "error: $bin not found; build it: cmake --build $BUILD --target bench_train" >&2; exit 1; }
data=$BUILD/bench-data/train
mkdir -p "$data"
[ -e "$data/small/config.json" ] || /usr/bin/python3 bench/train_torch.py models "$data"
out=$data/compose.jsonl
: >"$out"
load=$(cut -d' ' -f1 /proc/loadavg)
methods=${METHODS:-"adapter scalearn:8 scalearn-uniform:8 scalearn++:8 scalearn-uniform++:8 fusion:8 lora lora-scalearn:8 lora-scalearn-uniform:8 lora-scalearn++:8 lora-scalearn-uniform++:8"}
for round in $(seq "$rounds"); do
  for m in tiny small; do
    for method in $methods; do
      env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" \
        "$bin" "$data/$m" "$method" 32 128 "$warmup" "$steps" "$threads" >>"$out"
    done
  done
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

/usr/bin/python3 - "$out" "$threads" "$steps" "$warmup" "$rounds" "$load" "$load_after" "$methods" <<'PY'
import json, statistics, sys
out, threads, steps, warmup, rounds, load, load_after, methods = sys.argv[1:]
rows = [json.loads(l) for l in open(out)]
names = {"tiny": "2 layers, hidden 128", "small": "4 layers, hidden 256"}
print(f"Batch 32 × 128 tokens, {threads} threads; per configuration the median over {rounds} rounds of the median "
      f"of {steps} steps after {warmup} warm-up steps; load average {load} before, {load_after} after.\n")
print("| model | method | trainable parameters | seconds per step | × single adapter or LoRA | peak RSS MiB |")
print("|---|---|---|---|---|---|")
for m in ("tiny", "small"):
    med = {}
    for method in methods.split():
        runs = [r for r in rows if r["model"] == m and r["method"] == method]
        med[method] = (statistics.median(r["median_seconds"] for r in runs), runs[0])
    for method in methods.split():
        s, r = med[method]
        single = "lora" if method.startswith("lora") else "adapter"  # what the row is compared with
        label = {"adapter": "single adapter", "lora": "single LoRA"}.get(method, method.replace(":8", ", K = 8"))
        ratio = f"{s / med[single][0]:.2f}" if single in med else "–"
        print(f"| {names[m]} | {label} | {r['trainable_parameters']:,} | {s:.3f} | {ratio} | "
              f"{r['peak_rss_mib']:.0f} |")
PY
