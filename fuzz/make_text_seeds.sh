#!/usr/bin/env bash
# The text seeds of the harnesses, under fuzz/corpus/: datasets (the first byte is the
# harness's mode byte: format and options, see fuzz_dataset.cpp), the test fixtures'
# config.json files, shard index and pretraining configs, vocab.txt files cut to their
# first entries (with and without a tokenizer_config.json, see fuzz_vocab.cpp), and their
# tokenizer.json files cut to a few dozen vocabulary entries and merges (every model, normalizer, pre-tokenizer and post-processor kind they use is
# kept; the full files are 0.2-0.6 MB, too large to mutate quickly).
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
mkdir -p $c/dataset $c/config $c/tokenizer $c/vocab $c/shard_index $c/pretrain_config

seed() { printf "$2" >"$c/dataset/$1"; }  # name, mode byte and contents (printf format)
seed csv_basic '\x00text,label\nhello world,pos\n"quoted, with comma",neg\n"multi\nline ""quote""",pos\n'
seed csv_crlf_bom '\x00\xef\xbb\xbftext,label\r\na,1\r\nb,2\r\nc,10\r\n'
seed tsv_basic '\x01text\tlabel\nfine day\tpos\nbad day\tneg\n'
seed jsonl_basic '\x02{"text": "caf\\u00e9", "label": "pos"}\n{"text": "x", "label": 1}\n{"text": "", "label": "neg"}\n'
seed csv_regression '\x04text,label\na,0.5\nb,-1e3\nc,3\n'
seed jsonl_pair '\x0a{"text": "q?", "pair": "a.", "label": "yes"}\n{"text": "q2", "pair": "a2", "label": "no"}\n'
seed tsv_labels_only '\x21label\npos\nneg\n'
seed csv_fixed_labels '\x40text,label\nx,pos\ny,neg\n'

for m in bert bert_prefixed bert_sharded distilbert roberta xlmr; do
  cp tests/fixtures/model/$m/config.json $c/config/$m.json
done

python3 - "$c/tokenizer" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
fixtures = pathlib.Path("tests/fixtures/text")
for path in sorted(fixtures.glob("*/tokenizer*.json")):
    if path.name == "tokenizer_first.json" and path.parent.name == "spm":
        continue  # the same precompiled charsmap as spm/tokenizer.json (0.3 MB): once is enough
    t = json.loads(path.read_text())
    m = t.get("model") or {}
    vocab = m.get("vocab")
    if isinstance(vocab, dict):
        keep = dict(sorted(vocab.items(), key=lambda kv: kv[1])[:60])
        # Ids must stay dense for the added tokens: renumber.
        m["vocab"] = {k: i for i, k in enumerate(keep)}
        ids = set(m["vocab"])
        if isinstance(m.get("merges"), list):
            merges = []
            for merge in m["merges"]:
                a, b = merge.split(" ", 1) if isinstance(merge, str) else merge
                if a in ids and b in ids and a + b in ids:
                    merges.append(merge)
            m["merges"] = merges[:40]
        if "unk_token" in m and m["unk_token"] not in m["vocab"] and m["unk_token"] is not None:
            m["vocab"][m["unk_token"]] = len(m["vocab"])
    elif isinstance(vocab, list):  # Unigram: [piece, score] pairs
        unk = m.get("unk_id")
        m["vocab"] = vocab[:80]
        if unk is not None and unk >= 80:
            m["unk_id"] = 0
    n = len(m.get("vocab") or [])
    added = [a for a in t.get("added_tokens") or [] if a.get("id", 0) < n]
    t["added_tokens"] = added
    post = t.get("post_processor")
    name = path.parent.name + "_" + path.stem + ".json"
    (out / name).write_text(json.dumps(t, ensure_ascii=False))
PY
ls $c/tokenizer | wc -l

cp tests/fixtures/model/bert_sharded/model.safetensors.index.json $c/shard_index/bert_sharded.json
printf '{"weight_map": {"a": "../outside.safetensors"}}' >$c/shard_index/outside.json

# The demo's config, the defaults ({}), and one with every key.
printf '{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 2, "intermediate_size": 128,
 "max_position_embeddings": 64, "vocab_size": 400, "min_frequency": 1, "sequence_length": 32,
 "batch_size": 32, "steps": 500, "learning_rate": 0.002, "warmup_steps": 40, "seed": 7,
 "eval_fraction": 0.02, "eval_every": 200, "log_every": 50, "checkpoint_every": 100000}' >$c/pretrain_config/demo.json
printf '{}' >$c/pretrain_config/defaults.json
printf '{"num_hidden_layers": 1, "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16,
 "max_position_embeddings": 16, "vocab_size": 50, "min_frequency": 0, "limit_alphabet": 20, "lowercase": false,
 "sequence_length": 8, "batch_size": 2, "steps": 3, "learning_rate": 1e-3, "warmup_steps": 0, "weight_decay": 0,
 "max_grad_norm": 1.5, "mask_probability": 0.2, "seed": 18446744073709551615, "eval_fraction": 0.5,
 "eval_batches": 1, "eval_every": 1, "log_every": 1, "checkpoint_every": 1}' >$c/pretrain_config/every_key.json

vocab=tests/fixtures/pretrain/tokenizer/vocab.txt
head -120 $vocab >$c/vocab/bert.txt
{ cat tests/fixtures/pretrain/tokenizer/tokenizer_config.json; printf '\0'; head -120 $vocab; } >$c/vocab/bert_config.txt
{ printf '{"do_lower_case": false, "strip_accents": true, "unk_token": {"content": "[UNK]"}}\0'; head -120 $vocab; } \
  >$c/vocab/cased_config.txt
