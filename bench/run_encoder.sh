#!/usr/bin/env bash
# Encoder benchmark: taskscout vs the python3-torch reference forward vs ONNX Runtime,
# side by side in one run, same models, same inputs, same thread count. Prints markdown
# tables for bench/RESULTS.md.
# Usage: bash bench/run_encoder.sh [REPEATS=3] [THREADS=2] [BERT_TEXT_LIMIT=0] [PARTS=fixed,text,tokenize]
#   BERT_TEXT_LIMIT: real-text runs of the BERT-base model use only the first N texts of
#   each split (0: all); the 4-layer model always uses all of them.
#   PARTS: which of the three measurements to run (the real-text one takes ~25 minutes).
# taskscout runs with OpenMP's passive wait, as the taskscout binary sets it
# (core/threads.hpp); python3-torch runs as users start it, and once more in fixed mode
# with OMP_WAIT_POLICY=PASSIVE too ("torch-passive"), so the gain from that setting is
# not counted as taskscout's.
# BUILD=dir uses an existing build (bench_encoder in dir/bench/) instead of scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
threads=${2:-2}
bert_limit=${3:-0}
parts=${4:-fixed,text,tokenize}
if [ -z "${BUILD:-}" ]; then bash scripts/setup.sh; BUILD=build; fi
bin=$BUILD/bench/bench_encoder
[ -d scripts/oracles/encoders/node_modules/onnxruntime-node ] ||
  (cd scripts/oracles/encoders && npm install --ignore-scripts --no-save onnxruntime-node >&2)
[ -d scripts/oracles/tokenizers/node_modules/tokenizers ] ||
  (cd scripts/oracles/tokenizers && npm install --ignore-scripts --no-save tokenizers >&2)
data=build/bench-data/encoders
mkdir -p "$data"
/usr/bin/python3 bench/make_encoder_models.py "$data"
# No 30522-token WordPiece vocabulary is at hand: the committed 8k-token one tokenizes, and
# its ids (all < 8192) are valid ids of the 30522-token random models.
tok=tests/fixtures/text/wordpiece/tokenizer.json
tasks=/work/shared/data/tasks
[ -d "$tasks" ] || tasks=../shared/data/tasks
load=$(cut -d' ' -f1 /proc/loadavg)
out=$data/results.jsonl  # the raw JSON lines of this run
: >"$out"
env_threads=(env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads")

"${env_threads[@]}" "$bin" gemm "$threads" >>"$out"
for m in small bert_base; do
  [[ $parts == *fixed* ]] || continue
  "${env_threads[@]}" "$bin" fixed "$data/$m" 32 128 "$repeats" "$threads" >>"$out"
  "${env_threads[@]}" /usr/bin/python3 bench/encoder_torch.py fixed "$data/$m" 32 128 "$repeats" "$threads" >>"$out"
  "${env_threads[@]}" OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/encoder_torch.py fixed "$data/$m" 32 128 "$repeats" \
    "$threads" | sed 's/"impl": "torch"/"impl": "torch-passive"/' >>"$out"
  "${env_threads[@]}" node bench/encoder_ort.mjs fixed "$data/$m" 32 128 "$repeats" "$threads" >>"$out"
done
for split in sst2 tweet_hate; do
  [[ $parts == *text* ]] || continue
  csv=$tasks/$split/test.csv
  for m in small bert_base; do
    limit=0
    [ "$m" = bert_base ] && limit=$bert_limit
    ids=$data/$split.$limit.ids
    "$bin" ids "$tok" "$csv" "$limit" >"$ids"
    "${env_threads[@]}" "$bin" text "$data/$m" "$tok" "$csv" "$limit" "$threads" | sed "s|\"data\":\"[^\"]*\"|\"data\":\"$split\"|" >>"$out"
    "${env_threads[@]}" /usr/bin/python3 bench/encoder_torch.py text "$data/$m" "$ids" "$threads" | sed "s|\"data\": \"[^\"]*\"|\"data\": \"$split\"|" >>"$out"
    "${env_threads[@]}" node bench/encoder_ort.mjs text "$data/$m" "$ids" "$threads" | sed "s|\"data\":\"[^\"]*\"|\"data\":\"$split\"|" >>"$out"
  done
done
texts=$data/texts.jsonl
/usr/bin/python3 -c 'import csv, json, sys
for f in sys.argv[1:]:
    for r in csv.DictReader(open(f, newline="", encoding="utf-8")): print(json.dumps(r["text"]))' \
  "$tasks/sst2/test.csv" "$tasks/tweet_hate/test.csv" >"$texts"
[[ $parts == *tokenize* ]] && "$bin" tokenize "$tok" 5 "$tasks/sst2/test.csv" "$tasks/tweet_hate/test.csv" >>"$out"
[[ $parts == *tokenize* ]] && node bench/encoder_ort.mjs tokenize "$tok" 5 "$texts" >>"$out"
[[ $parts == *tokenize* ]] && RAYON_NUM_THREADS=1 node bench/encoder_ort.mjs tokenize "$tok" 5 "$texts" >>"$out"

/usr/bin/python3 - "$out" "$threads" "$repeats" "$load" <<'PY'
import json, sys, datetime, subprocess, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
peak = rows[0]["gemm_f32_gflops"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {cpu}, {sys.argv[2]} threads, load average {sys.argv[4]} at the start, {os.getloadavg()[0]:.2f} at the end; "
      f"float32 GEMM (at::mm 4096³) measured at {peak:.1f} GFLOP/s in this run")
def get(impl, mode, model, data=None):
    for r in rows:
        if r.get("impl") == impl and r.get("mode") == mode and r.get("model") == model and (data is None or r.get("data") == data):
            return r
print()
print(f"Fixed-length batches, 32 × 128, median of {sys.argv[3]} runs after one warm-up:")
print()
print("| model | GFLOP/batch | impl | s/batch | sentences/s | tokens/s | GFLOP/s | % of GEMM peak | taskscout speed-up | peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|---|")
for m in ("small", "bert_base"):
    ts = get("taskscout", "fixed", m)
    for impl in ("taskscout", "torch", "torch-passive", "ort"):
        r = get(impl, "fixed", m)
        if ts is None or r is None:
            continue
        s = r["median_seconds"]
        up = "" if impl == "taskscout" else "%.2fx" % (s / ts["median_seconds"])
        g = ts["flops"] / s / 1e9
        print(f"| {m} | {ts['flops'] / 1e9:.1f} | {impl} | {s:.3f} | {32 / s:.2f} | {32 * 128 / s:.0f} | {g:.1f} | {100 * g / peak:.0f}% "
              f"| {up} | {r['peak_rss_mib']:.0f} |")
print()
print("Real text (test splits in file order; taskscout: embed_texts, length-sorted batches of 32, tokenizing included;")
print("peers: batches of 32 in file order padded to their longest member, ids tokenized beforehand), one timed pass:")
print()
print("| split | model | impl | texts | tokens | positions computed | s | sentences/s | tokens/s | taskscout speed-up | peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for split in ("sst2", "tweet_hate"):
    for m in ("small", "bert_base"):
        ts = get("taskscout", "text", m, split)
        for impl in ("taskscout", "torch", "ort"):
            r = get(impl, "text", m, split)
            if ts is None or r is None:
                continue
            s = r["seconds"]
            up = "" if impl == "taskscout" else "%.2fx" % (s / ts["seconds"])
            print(f"| {split} | {m} | {impl} | {r['texts']} | {r['tokens']} | {r['padded_tokens']} | {s:.2f} | {r['texts'] / s:.1f} "
                  f"| {r['tokens'] / s:.0f} | {up} | {r['peak_rss_mib']:.0f} |")
print()
print("Tokenizer throughput, all texts of both test splits, median of 5 passes:")
print()
print("| tokenizer | threads | texts | tokens | texts/s |")
print("|---|---|---|---|---|")
for r in rows:
    if r.get("mode") == "tokenize":
        th = "1" if r["impl"] == "taskscout" else ("rayon default (all cores)" if r["rayon_threads"] == "default" else r["rayon_threads"])
        name = "taskscout Tokenizer::encode" if r["impl"] == "taskscout" else "npm tokenizers encodeBatch"
        print(f"| {name} | {th} | {r['texts']} | {r['tokens']} | {r['texts_per_second']:.0f} |")
PY
