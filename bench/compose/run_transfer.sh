#!/usr/bin/env bash
# Composition on real tasks: for each target (default cr, mr and tweet_irony), the other 11
# shared tasks registered as Pfeiffer adapters on the default base encoder are ranked by
# ESM-LogME, and `taskscout transfer` trains, on 1,000 target examples and with 3 seeds:
# target-only, best-source, and ScaLearn's four variants and AdapterFusion over the top 3
# and over 3 random sources. Writes $WORK/<target>.json per target and prints the table
# for bench/RESULTS.md. Resumable: registered sources and finished targets are kept.
#
# Environment: TASKSCOUT (build/taskscout), SHARED (../shared), WORK (build/compose-real),
# TARGETS ("cr mr tweet_irony"), SEEDS (3), THREADS (2), SOURCE_EXAMPLES (2000),
# EXAMPLES (1000), COMPOSE (scalearn,scalearn-uniform,scalearn++,scalearn-uniform++,fusion).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TASKSCOUT="${TASKSCOUT:-$ROOT/build/taskscout}"
SHARED="${SHARED:-$ROOT/../shared}"
WORK="${WORK:-$ROOT/build/compose-real}"
TARGETS="${TARGETS:-cr mr tweet_irony}"
SEEDS="${SEEDS:-3}"
THREADS="${THREADS:-2}"
SOURCE_EXAMPLES="${SOURCE_EXAMPLES:-2000}"
EXAMPLES="${EXAMPLES:-1000}"
COMPOSE="${COMPOSE:-scalearn,scalearn-uniform,scalearn++,scalearn-uniform++,fusion}"
BASE="$ROOT/models/base-encoder"
TASKS="$SHARED/data/tasks"

[ -x "$TASKSCOUT" ] || { echo "error: $TASKSCOUT not found; run scripts/setup.sh or set TASKSCOUT" >&2; exit 1; }
[ -f "$TASKS/manifest.json" ] || { echo "error: $TASKS/manifest.json not found; set SHARED" >&2; exit 1; }
mkdir -p "$WORK"

# Every task as an adapter source, once (texts cut at 64 tokens, as the transfer matrix).
REG="$WORK/registry"
[ -e "$REG/registry.sqlite" ] || "$TASKSCOUT" registry init "$REG"
for task in $(/usr/bin/python3 -c "import json,sys; print(' '.join(t['name'] for t in json.load(open(sys.argv[1]))['tasks']))" "$TASKS/manifest.json"); do
  "$TASKSCOUT" registry show "$REG" "$task" > /dev/null 2>&1 && continue
  echo "compose bench: registering $task" >&2
  "$TASKSCOUT" register --registry "$REG" --base "$BASE" --name "$task" --source "$TASKS/$task/train.csv" \
    --dev "$TASKS/$task/dev.csv" --method adapter --max-train-examples "$SOURCE_EXAMPLES" --epochs 3 \
    --train-max-length 64 --max-length 64 --seed 0 --threads "$THREADS" > /dev/null
done

for target in $TARGETS; do
  [ -s "$WORK/$target.json" ] && continue
  # The pool is every other task: the target's own source would be its answer.
  pool="$WORK/registry-without-$target"
  rm -rf "$pool"
  cp -r "$REG" "$pool"
  "$TASKSCOUT" registry rm "$pool" "$target" > /dev/null
  echo "compose bench: $target" >&2
  "$TASKSCOUT" transfer --registry "$pool" --base "$BASE" --target "$TASKS/$target" --k 3 --compose "$COMPOSE" \
    --seeds "$SEEDS" --max-train-examples "$EXAMPLES" --epochs 5 --max-length 64 --threads "$THREADS" \
    --json > "$WORK/$target.json.part"
  mv "$WORK/$target.json.part" "$WORK/$target.json"
  rm -rf "$pool"
done

/usr/bin/python3 - "$WORK" $TARGETS <<'PY'
import json, sys
work, targets = sys.argv[1], sys.argv[2:]
print("| target | arm | sources (seed 0) | test accuracy | test macro-F1 | gain (points) | seconds per run |")
print("|---|---|---|---|---|---|---|")
for t in targets:
    r = json.load(open(f"{work}/{t}.json"))
    for row in r["rows"]:
        runs = row["runs"]
        sources = ", ".join(runs[0]["sources"]) if runs[0]["sources"] else "–"
        seconds = sum(x["seconds"] for x in runs) / len(runs)
        gain = "–" if row["row"] == "target-only" else f"{100 * row['gain']:+.1f}"
        print(f"| {t} | {row['row']} | {sources} | {row['accuracy_mean']:.3f} ± {row['accuracy_sd']:.3f} | "
              f"{row['macro_f1_mean']:.3f} ± {row['macro_f1_sd']:.3f} | {gain} | {seconds:.0f} |")
PY
