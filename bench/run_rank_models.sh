#!/usr/bin/env bash
# rank-models over a zoo of 10 small checkpoints (bench/make_zoo_models.py: the base encoder
# and 9 perturbed copies, BERT 2 layers × 128), seconds per model for taskscout — reading the
# model, embedding the target (mean pooling, last layer, 128 tokens) and LogME — beside
# python3-torch's plain reference forward (bench/rank_models_torch.py, no transformers)
# loading each model and embedding the same token ids. Prints a markdown table for
# bench/RESULTS.md; the raw JSON stays in $BUILD/bench-data/zoo.
# Usage: BUILD=build bash bench/run_rank_models.sh [TEXTS=500] [THREADS=2]
#   needs the taskscout and bench_encoder targets built in $BUILD (default build),
#   python3-torch (Debian) and ../shared/data/tasks (the target: sst2 test texts).
set -euo pipefail
cd "$(dirname "$0")/.."
texts=${1:-500}
threads=${2:-2}
BUILD=${BUILD:-build}
bin=$BUILD/taskscout
data=$BUILD/bench-data/zoo
mkdir -p "$data"
/usr/bin/python3 bench/make_zoo_models.py "$data"
tasks=/work/shared/data/tasks
[ -d "$tasks" ] || tasks=../shared/data/tasks
head -n $((texts + 1)) "$tasks/sst2/test.csv" >"$data/target.csv"
"$BUILD/bench/bench_encoder" ids models/base-encoder/tokenizer.json "$data/target.csv" "$texts" >"$data/target.ids"
models=("$data"/m?)
load=$(cut -d' ' -f1 /proc/loadavg)
env OMP_NUM_THREADS="$threads" "$bin" rank-models --models "${models[@]}" --target "$data/target.csv" \
  --method logme --max-length 128 --threads "$threads" --json >"$data/taskscout.json"
# Cached rerun: what a second ranking of the same zoo costs.
rm -rf "$data/cache"
env OMP_NUM_THREADS="$threads" "$bin" rank-models --models "${models[@]}" --target "$data/target.csv" \
  --method logme --max-length 128 --threads "$threads" --cache "$data/cache" --json >/dev/null
env OMP_NUM_THREADS="$threads" "$bin" rank-models --models "${models[@]}" --target "$data/target.csv" \
  --method logme --max-length 128 --threads "$threads" --cache "$data/cache" --json >"$data/taskscout_cached.json"
rm -f "$data/m0.safetensors"
"$bin" embed --model "$data/m0" --data "$data/target.csv" --pooling mean --max-length 128 --threads "$threads" \
  --out "$data/m0.safetensors" 2>/dev/null
env OMP_NUM_THREADS="$threads" TASKSCOUT_EMBEDDINGS="$data/m0.safetensors" \
  /usr/bin/python3 bench/rank_models_torch.py "$data/target.ids" "$threads" "${models[@]}" >"$data/torch.jsonl"
# Once more with OpenMP's passive wait, as taskscout runs (core/compute_process.hpp), so that
# setting's gain on a busy machine is not counted as taskscout's.
env OMP_NUM_THREADS="$threads" OMP_WAIT_POLICY=PASSIVE \
  /usr/bin/python3 bench/rank_models_torch.py "$data/target.ids" "$threads" "${models[@]}" >"$data/torch_passive.jsonl"
load_end=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/python3 - "$data" "$load" "$threads" "$load_end" <<'PY'
import json, sys, statistics
d, load, threads, load_end = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ts = json.load(open(f"{d}/taskscout.json"))
cached = json.load(open(f"{d}/taskscout_cached.json"))
torch_rows = {r["model"]: r for r in (json.loads(l) for l in open(f"{d}/torch.jsonl"))}
passive = {r["model"]: r for r in (json.loads(l) for l in open(f"{d}/torch_passive.jsonl"))}
logme = {r["model"]: r["seconds"] - m["embed_seconds"]
         for r in ts["methods"]["logme"]["ranking"] for m in ts["models"] if m["model"] == r["model"]}
print(f"texts: {ts['n']}, threads: {threads}, load average (1 min) at start {load}, at end {load_end}")
print("| model | taskscout load+embed s | taskscout LogME s | python3-torch load+embed s | same, passive wait s |")
print("|---|---|---|---|---|")
te, pe, pp = [], [], []
for m in ts["models"]:
    t, p, q = m["embed_seconds"], torch_rows[m["model"]]["seconds"], passive[m["model"]]["seconds"]
    te.append(t); pe.append(p); pp.append(q)
    print(f"| {m['model']} | {t:.3f} | {logme[m['model']]:.4f} | {p:.3f} | {q:.3f} |")
mt, mp, mq = statistics.median(te), statistics.median(pe), statistics.median(pp)
print(f"| median | {mt:.3f} | {statistics.median(logme.values()):.4f} | {mp:.3f} ({mp / mt:.1f}×) | {mq:.3f} ({mq / mt:.1f}×) |")
print(f"\nrank-models total: {ts['seconds']:.2f} s for {len(ts['models'])} models "
      f"({ts['seconds'] / len(ts['models']):.3f} s per model); cached rerun {cached['seconds']:.2f} s "
      f"(all from cache: {all(m['from_cache'] for m in cached['models'])})")
dev = torch_rows[ts["models"][0]["model"]].get("max_abs_diff_vs_taskscout")
print(f"m0 embeddings, taskscout embed vs the torch reference: max |diff| {dev:.2e}")
PY
