#!/usr/bin/env bash
# Composition and merging on real tasks: for each target (default cr, mr and tweet_irony),
# the other 11 shared tasks registered on the default base encoder are ranked by
# ESM-LogME, and `taskscout transfer` trains, on 1,000 target examples and with 3 seeds,
# target-only, best-source and each method over the top 3 and over 3 random sources.
#   FAMILY=compose (default): the sources are Pfeiffer adapters; ScaLearn's four variants
#       and AdapterFusion; every arm trains adapters (or the composition) at its default rate.
#   FAMILY=merge: the sources are full fine-tuned models; TIES and task arithmetic; every
#       arm is full fine-tuning at 2e-4 (the rate bench/RESULTS.md found for this base).
# Writes $WORK/<target>[-merge].json per target and prints the table for bench/RESULTS.md.
# Resumable: registered sources and finished targets are kept.
#
# Environment: TASKSCOUT (build/taskscout), SHARED (../shared), WORK (build/compose-real),
# TARGETS ("cr mr tweet_irony"), SEEDS (3), THREADS (2), SOURCE_EXAMPLES (2000),
# EXAMPLES (1000), FAMILY (compose), COMPOSE (the family's methods), EXTRA (more transfer
# flags, e.g. --no-random).
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
FAMILY="${FAMILY:-compose}"
if [ "$FAMILY" = merge ]; then
  COMPOSE="${COMPOSE:-merge-ties,merge-task-arithmetic}"
  METHOD=full SUFFIX=-merge RATE=(--learning-rate 2e-4)
else
  COMPOSE="${COMPOSE:-scalearn,scalearn-uniform,scalearn++,scalearn-uniform++,fusion}"
  METHOD=adapter SUFFIX= RATE=()
fi
BASE="$ROOT/models/base-encoder"
TASKS="$SHARED/data/tasks"

[ -x "$TASKSCOUT" ] || { echo "error: $TASKSCOUT not found; run scripts/setup.sh or set TASKSCOUT" >&2; exit 1; }
[ -f "$TASKS/manifest.json" ] || { echo "error: $TASKS/manifest.json not found; set SHARED" >&2; exit 1; }
mkdir -p "$WORK"

# Every task as a source, once (texts cut at 64 tokens, as the transfer matrix).
REG="$WORK/registry-$METHOD"
[ -e "$REG/registry.sqlite" ] || "$TASKSCOUT" registry init "$REG"
for task in $(/usr/bin/python3 -c "import json,sys; print(' '.join(t['name'] for t in json.load(open(sys.argv[1]))['tasks']))" "$TASKS/manifest.json"); do
  "$TASKSCOUT" registry show "$REG" "$task" > /dev/null 2>&1 && continue
  echo "compose bench: registering $task" >&2
  "$TASKSCOUT" register --registry "$REG" --base "$BASE" --name "$task" --source "$TASKS/$task/train.csv" \
    --dev "$TASKS/$task/dev.csv" --method "$METHOD" --max-train-examples "$SOURCE_EXAMPLES" --epochs 3 \
    --train-max-length 64 --max-length 64 --seed 0 --threads "$THREADS" "${RATE[@]}" > /dev/null
done

for target in $TARGETS; do
  [ -s "$WORK/$target$SUFFIX.json" ] && continue
  # The pool is every other task: the target's own source would be its answer.
  pool="$WORK/registry-$METHOD-without-$target"
  rm -rf "$pool"
  cp -r "$REG" "$pool"
  "$TASKSCOUT" registry rm "$pool" "$target" > /dev/null
  echo "compose bench: $target" >&2
  "$TASKSCOUT" transfer --registry "$pool" --base "$BASE" --target "$TASKS/$target" --k 3 --compose "$COMPOSE" \
    --seeds "$SEEDS" --max-train-examples "$EXAMPLES" --epochs 5 --max-length 64 --threads "$THREADS" \
    "${RATE[@]}" ${EXTRA:-} --json > "$WORK/$target$SUFFIX.json.part"
  mv "$WORK/$target$SUFFIX.json.part" "$WORK/$target$SUFFIX.json"
  rm -rf "$pool"
done

/usr/bin/python3 - "$WORK" "$SUFFIX" $TARGETS <<'PY'
import json, sys
work, suffix, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
print("| target | arm | sources (seed 0) | test accuracy | test macro-F1 | gain (points) | seconds per run |")
print("|---|---|---|---|---|---|---|")
for t in targets:
    r = json.load(open(f"{work}/{t}{suffix}.json"))
    for row in r["rows"]:
        runs = row["runs"]
        sources = ", ".join(runs[0]["sources"]) if runs[0]["sources"] else "–"
        seconds = sum(x["seconds"] for x in runs) / len(runs)
        gain = "–" if row["row"] == "target-only" else f"{100 * row['gain']:+.1f}"
        print(f"| {t} | {row['row']} | {sources} | {row['accuracy_mean']:.3f} ± {row['accuracy_sd']:.3f} | "
              f"{row['macro_f1_mean']:.3f} ± {row['macro_f1_sd']:.3f} | {gain} | {seconds:.0f} |")
PY
