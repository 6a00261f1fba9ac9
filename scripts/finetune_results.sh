#!/usr/bin/env bash
# Fine-tunes a base encoder (default: the committed models/base-encoder) with full
# fine-tuning, a Pfeiffer adapter and LoRA on sst2, trec and tweet_emotion, on at most 1000
# training examples and on the whole train split, for each seed; evaluates every model on
# the test split and prints a markdown table (test accuracy and macro-F1, mean ± sample
# standard deviation over the seeds) beside the majority-class baseline (the most frequent
# train label predicted for every test row).
#
#   nice -n 19 bash scripts/finetune_results.sh
#   SEEDS="0 1 2" SIZES="1000" TASKS=sst2 METHODS=lora bash scripts/finetune_results.sh
#
# Environment: BASE, TASKS (sst2 trec tweet_emotion), METHODS (full adapter lora), SIZES
# (1000 all), SEEDS (0), OUT (build/finetune-results; a finished run's result.json is
# reused, so an interrupted grid continues and two grids may share it), TASKSCOUT
# (build/taskscout), THREADS (2), SHARED (../shared), EPOCHS_SMALL (5, on 1000 examples),
# EPOCHS_ALL (2, on the whole split). SIZES is the outer loop. Training: batch 16, texts
# cut at 64 tokens (the base's pretraining block length: its later positions are
# untrained), the dev split evaluated every epoch and the best epoch kept, learning rates
# full 2e-4, adapter 1e-3, lora 1e-3 (a 2-layer, 128-wide model wants higher rates than
# BERT-base's 2e-5–5e-5); other options taskscout train's defaults.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
BASE="${BASE:-$ROOT/models/base-encoder}"
TASKS="${TASKS:-sst2 trec tweet_emotion}"
METHODS="${METHODS:-full adapter lora}"
SIZES="${SIZES:-1000 all}"
SEEDS="${SEEDS:-0}"
OUT="${OUT:-$ROOT/build/finetune-results}"
TASKSCOUT="${TASKSCOUT:-$ROOT/build/taskscout}"
THREADS="${THREADS:-2}"
EPOCHS_SMALL="${EPOCHS_SMALL:-5}"
EPOCHS_ALL="${EPOCHS_ALL:-2}"

[ -x "$TASKSCOUT" ] || { echo "error: $TASKSCOUT not found; build taskscout first or set TASKSCOUT" >&2; exit 1; }
[ -f "$BASE/config.json" ] || { echo "error: $BASE/config.json not found; set BASE to a base encoder folder (scripts/make_base_encoder.sh makes one)" >&2; exit 1; }
for t in $TASKS; do
  [ -f "$SHARED/data/tasks/$t/test.csv" ] || { echo "error: $SHARED/data/tasks/$t/test.csv not found; set SHARED to the shared data folder" >&2; exit 1; }
done

mkdir -p "$OUT"
for size in $SIZES; do
  for t in $TASKS; do
    data="$SHARED/data/tasks/$t"
    for method in $METHODS; do
      for seed in $SEEDS; do
        run="$OUT/$t-$method-$size-s$seed"
        [ -s "$run/result.json" ] && continue
        case $method in
          full) lr=2e-4 ;;
          *) lr=1e-3 ;;
        esac
        limit=()
        epochs=$EPOCHS_ALL
        if [ "$size" != all ]; then limit=(--max-train-examples "$size"); epochs=$EPOCHS_SMALL; fi
        start=$(date +%s)
        "$TASKSCOUT" train --model "$BASE" --train "$data/train.csv" --dev "$data/dev.csv" --method "$method" \
          --learning-rate "$lr" --epochs "$epochs" --batch-size 16 --max-length 64 "${limit[@]}" \
          --seed "$seed" --threads "$THREADS" --out "$run/model" --json >"$run.train.json" 2>"$run.train.log"
        "$TASKSCOUT" evaluate --model "$run/model" --data "$data/test.csv" --threads "$THREADS" --json >"$run.eval.json"
        /usr/bin/python3 - "$run.eval.json" "$run/result.json" "$t" "$method" "$size" "$seed" "$(($(date +%s) - start))" <<'PY'
import json, sys
src, dst, task, method, size, seed, seconds = sys.argv[1:]
r = json.load(open(src))
r.update({"task": task, "method": method, "size": size, "seed": int(seed), "seconds": int(seconds)})
open(dst, "w").write(json.dumps(r) + "\n")
PY
        rm -f "$run.eval.json"
        echo "$t $method $size seed $seed: $(cat "$run/result.json")" >&2
      done
    done
  done
done

/usr/bin/python3 - "$OUT" "$SHARED" "$TASKS" "$METHODS" "$SIZES" "$SEEDS" <<'PY'
import collections, csv, glob, json, os, statistics, sys

out, shared, tasks, methods, sizes, seeds = sys.argv[1], sys.argv[2], *[a.split() for a in sys.argv[3:]]

def metric(r, *names):
    for container in (r, r.get("metrics", {}), r.get("test", {})):
        for n in names:
            if isinstance(container, dict) and n in container:
                return float(container[n])
    raise SystemExit(f"error: no {names[0]} in {r}; evaluate --json changed its fields")

def cell(v):
    if len(v) == 1:
        return f"{v[0]:.3f}"
    return f"{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}"

def labels(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [row["label"] for row in csv.DictReader(f)]

print("| task | train examples | method | seeds | test accuracy | test macro-F1 | seconds per run |")
print("|---|---|---|---|---|---|---|")
for t in tasks:
    train, test = labels(f"{shared}/data/tasks/{t}/train.csv"), labels(f"{shared}/data/tasks/{t}/test.csv")
    major = collections.Counter(train).most_common(1)[0][0]
    classes = sorted(set(train) | set(test))
    acc = sum(y == major for y in test) / len(test)
    f1 = 2 * acc / (1 + acc) / len(classes)  # the majority class's F1; every other class scores 0
    print(f"| {t} | {len(train)} | majority class | – | {acc:.3f} | {f1:.3f} | – |")
    for size in sizes:
        n = len(train) if size == "all" else min(int(size), len(train))
        for m in methods:
            rs = [json.load(open(p)) for s in seeds for p in glob.glob(f"{out}/{t}-{m}-{size}-s{s}/result.json")]
            if not rs:
                continue
            a = [metric(r, "accuracy") for r in rs]
            f = [metric(r, "macro_f1", "f1_macro", "macro-F1") for r in rs]
            sec = statistics.mean(r["seconds"] for r in rs)
            print(f"| {t} | {n} | {m} | {len(rs)} | {cell(a)} | {cell(f)} | {sec:.0f} |")
PY
