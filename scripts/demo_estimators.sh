#!/usr/bin/env bash
# The estimators on their own (the main job is scripts/demo.sh): generate a synthetic pool
# of sources and targets with known shared factors as feature arrays, score every
# (target, source) pair with every estimator, then evaluate how well each cheap estimator
# ranks the sources against the expensive cross-validated linear probe.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ts=build/taskscout
out=build/demo
rm -rf "$out"
"$ts" synth --out "$out" --sources 10 --targets 3 --examples 1000 --dim 32 --seed 1

methods="logme,leep,nce,h_score,regularized_h_score,transrate,gbc,knn,linear_probe"
table="$out/transfer.csv"
echo "target,source,shared_factors,${methods}" > "$table.tmp"
tail -n +2 "$out/pool.csv" | while IFS=, read -r target source shared _; do
  echo "scoring $source for $target" >&2
  scores=$("$ts" score --features "$out/features/$source.npy" --labels "$out/labels/$target.npy" \
             --source-probs "$out/probs/$source.npy" --method "$methods" --csv | tail -n +2 | cut -d, -f2 | paste -sd,)
  echo "$target,$source,$shared,$scores"
done >> "$table.tmp"
mv "$table.tmp" "$table"
echo "transfer table: $table" >&2

for m in logme leep h_score transrate knn; do
  echo
  echo "== $m ranking the sources, against the linear probe's held-out accuracy =="
  "$ts" eval --data "$table" --score-column "$m" --truth-column linear_probe
done
echo
echo "== does LogME rank the sources that share the target's factors first? (truth: shared factors) =="
"$ts" eval --data "$table" --score-column logme --truth-column shared_factors
