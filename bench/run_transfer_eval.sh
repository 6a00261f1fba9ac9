#!/usr/bin/env bash
# Judges every ranker on a measured transfer matrix (default: the committed 12-task matrix
# in bench/transfer-12) and prints what bench/RESULTS.md reports:
#   1. every ranker against the test macro-F1 (mean over targets with 95% bootstrap
#      intervals; the random ranker computed exactly), and against the gain over the baseline;
#   2. how ESM-LogME agrees with LogME on the fine-tuned models, per target (Kendall τ-b of
#      their scores), and their cost per source;
#   3. the report, as build/transfer-report.html (REPORT to change).
# usage: bench/run_transfer_eval.sh [FOLDER] (TASKSCOUT: default build/taskscout)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TASKSCOUT="${TASKSCOUT:-$ROOT/build/taskscout}"
DIR="${1:-$ROOT/bench/transfer-12}"
ignore=(--ignore-columns accuracy,gain,gain_se,seeds)

echo "== every ranker against test macro-F1 (leave-one-target-out for combined) =="
"$TASKSCOUT" eval --data "$DIR/scores.csv" --truth-column macro_f1 --score-column all "${ignore[@]}" --random
echo
echo "== ESM-LogME against LogME on the fine-tuned models, per target =="
"$TASKSCOUT" eval --data "$DIR/scores.csv" --truth-column logme --score-column esm-logme
echo
echo "== seconds per source =="
column -s, -t < "$DIR/rankers.csv"
"$TASKSCOUT" report --from "$DIR" --out "${REPORT:-$ROOT/build/transfer-report.html}"
