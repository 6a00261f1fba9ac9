#!/usr/bin/env bash
# Measures (or resumes) the transfer matrix of the 12 shared tasks and commits-ready copies
# of its small result files to bench/transfer-12/: config.json, runs.jsonl (every finished
# run), matrix.csv, scores.csv, rankers.csv and combined.json (the combined ranker's weights).
#
# The work folder (WORK, default build/transfer-12: the source models and the registry,
# ~150 MB) is not committed. When it is absent but bench/transfer-12/runs.jsonl exists, the
# committed runs seed it: the sources are fine-tuned again (deterministic for the same
# seed, settings and threads per job) and only the runs not yet logged are measured.
#
# Cost on 2 cores (AMD EPYC, 2026-12-06): sources ~40 s each; a target run (1,000 rows,
# 5 epochs, 500 dev and up to 2,000 test rows) 25–40 s on one thread, two at once
# (JOBS=2): 12 × 12 × 4 = 576 runs ≈ 2–3 hours on a quiet machine.
#
# Environment: TASKSCOUT (build/taskscout), SHARED (../shared), WORK, SEEDS (4), JOBS (2),
# THREADS (2). Extra arguments go to taskscout benchmark (e.g. --targets sst2,trec).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TASKSCOUT="${TASKSCOUT:-$ROOT/build/taskscout}"
SHARED="${SHARED:-$ROOT/../shared}"
WORK="${WORK:-$ROOT/build/transfer-12}"
SEEDS="${SEEDS:-4}"
JOBS="${JOBS:-2}"
THREADS="${THREADS:-2}"
RESULTS="$ROOT/bench/transfer-12"

[ -x "$TASKSCOUT" ] || { echo "error: $TASKSCOUT not found; run scripts/setup.sh or set TASKSCOUT" >&2; exit 1; }
[ -f "$SHARED/data/tasks/manifest.json" ] || { echo "error: $SHARED/data/tasks/manifest.json not found; set SHARED" >&2; exit 1; }

if [ ! -e "$WORK/runs.jsonl" ] && [ -s "$RESULTS/runs.jsonl" ]; then
  mkdir -p "$WORK"
  cp "$RESULTS/config.json" "$RESULTS/runs.jsonl" "$WORK/"
  echo "transfer_matrix: resuming from the $(wc -l < "$RESULTS/runs.jsonl") runs in $RESULTS" >&2
fi

"$TASKSCOUT" benchmark --tasks "$SHARED/data/tasks" --base "$ROOT/models/base-encoder" --out "$WORK" \
  --source-examples 8000 --seeds "$SEEDS" --jobs "$JOBS" --threads "$THREADS" "$@"

mkdir -p "$RESULTS"
for f in config.json runs.jsonl matrix.csv scores.csv rankers.csv combined.json; do cp "$WORK/$f" "$RESULTS/$f"; done
echo "transfer_matrix: results copied to $RESULTS" >&2
