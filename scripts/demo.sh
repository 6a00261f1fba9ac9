#!/usr/bin/env bash
# The main job on an embedded default, end to end on 2 cores in a few minutes:
#   1. `taskscout synth --text-tasks`: a family of small English classification tasks whose
#      labels follow one or two latent factors (sentiment, topic, negation, tense, speaker,
#      certainty) — one target and 8 sources, some of which share the target's factor;
#   2. `taskscout pretrain`: a tiny BERT (2 layers, hidden 64) pretrained on their texts;
#   3. `taskscout register --method full`: each source fine-tuned (seconds on a model this
#      small), its ESM fitted, everything stored. Full fine-tuning is the default because
#      on this tiny base a frozen encoder with an adapter or LoRA learns little in 8 epochs
#      (measured with SEED=2: adapter dev accuracy 0.26–0.56 on 7 of 8 sources, full
#      0.96–1.0 on 7 of 8), and a source that learned nothing cannot show which sources
#      transfer; METHOD=adapter or METHOD=lora runs them instead;
#   4. `taskscout rank --method all`: the sources ranked for the target (ESM-LogME, TextEmb);
#   5. the generator's truth beside the ranking: do the sources sharing the target's factor
#      come first?
#   6. real tasks: every ranker judged against the measured transfer matrix of the 12 shared
#      text classification tasks (committed in bench/transfer-12 by scripts/transfer_matrix.sh),
#      and that matrix as an HTML report.
# Environment: TASKSCOUT (a built binary; skips scripts/setup.sh), OUT (default build/demo), METHOD,
# SEED (default 1), STEPS (pretraining steps, default 1500), THREADS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TASKSCOUT:-}" ]; then
  bash scripts/setup.sh
  TASKSCOUT=build/taskscout
fi
ts=$TASKSCOUT
out=${OUT:-build/demo}
seed=${SEED:-1}
steps=${STEPS:-1500}
method=${METHOD:-full}
case "$method" in
  adapter) method_options=(--method adapter --reduction-factor 2 --learning-rate 0.01) ;;
  lora) method_options=(--method lora --lora-rank 8 --learning-rate 0.01) ;;
  full) method_options=(--method full --learning-rate 0.003) ;;
  *) echo "error: METHOD must be adapter, lora or full, not $method" >&2; exit 2 ;;
esac
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
rm -rf "$out"
mkdir -p "$out"

echo "== 1. generating the task family ==" >&2
"$ts" synth --text-tasks --out "$out/tasks" --sources 8 --targets 1 --train-rows 400 --dev-rows 100 \
  --test-rows 200 --seed "$seed"

echo "== 2. pretraining a tiny base encoder on the tasks' texts ($steps steps) [${SECONDS}s] ==" >&2
cat > "$out/pretrain.json" <<JSON
{
 "num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2, "intermediate_size": 128,
 "max_position_embeddings": 64, "vocab_size": 400, "min_frequency": 1, "sequence_length": 32,
 "batch_size": 32, "steps": $steps, "learning_rate": 0.002, "warmup_steps": 40, "seed": $seed,
 "eval_fraction": 0.02, "eval_every": 200, "log_every": 50, "checkpoint_every": 100000
}
JSON
"$ts" pretrain --config "$out/pretrain.json" --corpus "$out"/tasks/*/train.csv --out "$out/base" \
  "${threads[@]}" >&2

echo "== 3. registering the sources ($method fine-tuning, ESM fit) [${SECONDS}s] ==" >&2
"$ts" registry init "$out/registry" >&2
for dir in "$out"/tasks/source*/; do
  name=$(basename "$dir")
  "$ts" register --registry "$out/registry" --base "$out/base" --name "$name" --source "$dir/train.csv" \
    --dev "$dir/dev.csv" "${method_options[@]}" --epochs 8 --train-batch-size 16 \
    --max-texts 400 --seed "$seed" "${threads[@]}" >&2
done

target=target1
echo
echo "== 4. the sources ranked for $target (its training set, embedded once with the base) =="
"$ts" rank --registry "$out/registry" --target "$out/tasks/$target/train.csv" --base "$out/base" \
  --method all "${threads[@]}" --csv > "$out/ranking.csv"
column -s, -t < "$out/ranking.csv"

echo
echo "== 5. the ranking beside the generator's truth [${SECONDS}s] =="
echo "$target depends on: $(awk -F, -v t="$target" 'NR > 1 && $1 == t {print $4; exit}' "$out/tasks/truth.csv")"
# ranking.csv: rank,source,esm-logme,esm-logme rank,textemb,textemb rank,seconds,skipped
# truth.csv:   target,source,shared_factors,target_factors,source_factors
awk -F, -v t="$target" '
  FNR == 1 { next }
  NR == FNR { if ($1 == t) { shared[$2] = $3; factors[$2] = $5 }; next }
  $1 != "" {
    printf "esm-logme rank %-2s  textemb rank %-2s  %-9s shares %s of its factors  (%s)\n", $1, $6, $2, shared[$2], factors[$2]
    if (shared[$2] > 0) ranks = ranks " " $1
  }
  END {
    n = split(ranks, r, " "); top = 1; for (i = 1; i <= n; ++i) if (r[i] > n) top = 0
    printf "\n%d sources share the target'"'"'s factor; ESM-LogME ranks them at:%s — %s\n", n, ranks,
           (top ? "all of them first" : "not all of them first")
  }
' "$out/tasks/truth.csv" "$out/ranking.csv"
echo
echo "== 6. real tasks: 12 text classification tasks, each fine-tuned after every other (bench/transfer-12) =="
echo "every ranker against the measured test macro-F1 (mean over targets, 95% bootstrap interval; random computed exactly):"
"$ts" eval --data bench/transfer-12/scores.csv --truth-column macro_f1 --score-column all \
  --ignore-columns accuracy,gain,gain_se,seeds --random --bootstrap 1000 --csv > "$out/rankers-on-12-tasks.csv"
cut -d, -f1,5-7,17,20-22 "$out/rankers-on-12-tasks.csv" | column -s, -t
"$ts" report --from bench/transfer-12 --out "$out/transfer-12.html"
echo "the matrix, every ranker's scores against the truth and their cost: open $out/transfer-12.html"
echo "demo finished in ${SECONDS}s; outputs in $out" >&2
