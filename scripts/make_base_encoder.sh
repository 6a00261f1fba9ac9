#!/usr/bin/env bash
# Builds an English corpus from what is available offline and pretrains taskscout's
# default base encoder on it with `taskscout pretrain` (masked-LM, WordPiece vocabulary
# trained on the same corpus).
#
#   bash scripts/make_base_encoder.sh            # or: STEPS=2000 OUT=/tmp/enc bash scripts/...
#
# The corpus (one text per line; rebuilt only when missing):
#   - the texts of every train split of ../shared/data/tasks/*/train.csv (read directly,
#     as CSV; dev and test splits are left out so later evaluations stay clean);
#   - WordNet 3.0 glosses (Debian wordnet-base: the text after "| " in data.noun/verb/
#     adj/adv), one synset per line;
#   - GCIDE definitions (Debian dict-gcide, Webster 1913 and later): each sense paragraph
#     of /usr/share/dictd/gcide.dict.dz with the headword line, source tags ("[1913
#     Webster]") and markup braces removed, one paragraph per line, at least 5 words.
# Missing Debian packages are installed with apt-get (as root).
#
# The model (written to $WORK/config.json): a BERT-tiny-sized BERT — 2 layers, hidden 128,
# 2 heads, intermediate 512, 512 positions — with a WordPiece vocabulary of at most 16,000
# tokens; blocks of 64 tokens, batch 32, AdamW at 1e-3 with 5% warm-up and linear decay,
# 15% masking, 1% of the texts held out, an evaluation every 250 steps. The default 7,000
# steps (14.3M tokens, 1.2 epochs) take 17 minutes on 2 quiet cores (about 14,000
# tokens/s). bench/RESULTS.md has the committed run's figures.
# From the environment: STEPS, SEED (default 0), THREADS (default: all cores), LAYERS,
# HIDDEN, HEADS, INTERMEDIATE, VOCAB, SEQ_LEN, BATCH, LR, WARMUP (default STEPS/20).
# A run is deterministic for a given seed, corpus and THREADS.
#
# The run is resumable: when $OUT already holds a checkpoint the script continues it
# (Ctrl-C stops cleanly; rerun the script to go on). $OUT is a Hugging Face BERT folder
# (BertForMaskedLM) with log.jsonl holding the MLM loss and accuracy curve.
#
# EXPORT=DIR then writes the release copy (scripts/export_float16.py: float16 weights,
# tokenizer, log.jsonl, no optimizer state). The committed models/base-encoder is
#   THREADS=2 EXPORT=models/base-encoder bash scripts/make_base_encoder.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
WORK="${WORK:-$ROOT/build/base-encoder-corpus}"
OUT="${OUT:-$ROOT/build/base-encoder}"
STEPS="${STEPS:-7000}"
LAYERS="${LAYERS:-2}"
HIDDEN="${HIDDEN:-128}"
HEADS="${HEADS:-2}"
INTERMEDIATE="${INTERMEDIATE:-512}"
VOCAB="${VOCAB:-16000}"
SEQ_LEN="${SEQ_LEN:-64}"
BATCH="${BATCH:-32}"
LR="${LR:-0.001}"
WARMUP="${WARMUP:-$((STEPS / 20))}"
SEED="${SEED:-0}"
THREADS="${THREADS:-0}"
EXPORT="${EXPORT:-}"
TASKSCOUT="${TASKSCOUT:-$ROOT/build/taskscout}"

[ -x "$TASKSCOUT" ] || { echo "error: $TASKSCOUT not found; build taskscout first (scripts/setup.sh or cmake)" >&2; exit 1; }
[ -d "$SHARED/data/tasks" ] || { echo "error: $SHARED/data/tasks not found; set SHARED to the shared data folder" >&2; exit 1; }

need=()
[ -f /usr/share/dictd/gcide.dict.dz ] || need+=(dict-gcide)
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: the corpus needs the Debian packages ${need[*]}; run: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$WORK"
if [ ! -s "$WORK/wordnet.txt" ] || [ ! -s "$WORK/gcide.txt" ]; then
  /usr/bin/python3 - "$WORK" <<'PY'
import gzip, os, re, sys

work = sys.argv[1]

def write(name, lines):
    tmp = os.path.join(work, name + ".tmp")
    n = words = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")
            n += 1
            words += len(line.split())
    os.replace(tmp, os.path.join(work, name))
    print(f"{name}: {n} texts, {words} words", file=sys.stderr)

def wordnet():
    for pos in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{pos}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "| " not in line:  # the license header
                    continue
                gloss = line.split("| ", 1)[1].strip()
                if gloss:
                    yield gloss

TAG = re.compile(r"\[(?:[0-9]{4} Webster|PJC|WordNet 1\.5|Century Dict\.|Webster 1913 Suppl\.)[^\]]*\]")
HEAD = re.compile(r"^\S.*\\.*\\")  # "Abdomen \Ab*do"men\, n. ..." starts an entry

def gcide():
    text = gzip.open("/usr/share/dictd/gcide.dict.dz", "rt", encoding="utf-8", errors="replace").read()
    for para in re.split(r"\n\s*\n", text):
        lines = [l for l in para.split("\n") if l.strip()]
        if lines and HEAD.match(lines[0]):
            lines = lines[1:]  # the headword, pronunciation and etymology line
        s = " ".join(l.strip() for l in lines)
        s = TAG.sub("", s).replace("{", "").replace("}", "")
        s = re.sub(r"^\d+\.\s*", "", s)
        s = re.sub(r"\s+", " ", s).strip()
        if len(s.split()) >= 5 and not s.startswith("00-"):  # "00-database-…": dictd's own header
            yield s

write("wordnet.txt", wordnet())
write("gcide.txt", gcide())
PY
fi

cat > "$WORK/config.json" <<EOF
{
 "num_hidden_layers": $LAYERS, "hidden_size": $HIDDEN, "num_attention_heads": $HEADS,
 "intermediate_size": $INTERMEDIATE, "max_position_embeddings": 512, "vocab_size": $VOCAB,
 "min_frequency": 2, "limit_alphabet": 1000, "lowercase": true, "sequence_length": $SEQ_LEN,
 "batch_size": $BATCH, "steps": $STEPS, "learning_rate": $LR, "warmup_steps": $WARMUP,
 "weight_decay": 0.01, "max_grad_norm": 1.0, "mask_probability": 0.15, "seed": $SEED,
 "eval_fraction": 0.01, "eval_batches": 20, "eval_every": 250, "log_every": 50,
 "checkpoint_every": 500
}
EOF

resume=()
[ -f "$OUT/trainer_state.json" ] && resume=(--resume)
threads=()
[ "$THREADS" != 0 ] && threads=(--threads "$THREADS")
set -x
"$TASKSCOUT" pretrain --config "$WORK/config.json" \
  --corpus "$SHARED"/data/tasks/*/train.csv "$WORK/wordnet.txt" "$WORK/gcide.txt" \
  --out "$OUT" "${threads[@]}" "${resume[@]}"
[ -z "$EXPORT" ] || /usr/bin/python3 "$ROOT/scripts/export_float16.py" "$OUT" "$EXPORT"
