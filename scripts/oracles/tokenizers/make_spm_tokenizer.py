#!/usr/bin/python3
"""A real sentencepiece tokenizer for taskscout's Precompiled normalizer tests.

    /usr/bin/python3 make_spm_tokenizer.py [SHARED_DIR]

Trains a Unigram sentencepiece model (python3-sentencepiece, default nmt_nfkc normalization,
8000 pieces) on every task's train.csv and converts it to a tokenizer.json laid out as
transformers' XLMRobertaConverter does for XLM-R:
  normalizer      Sequence [Precompiled (the model's precompiled_charsmap),
                            Replace (Regex " {2,}" → " ")]
  pre_tokenizer   Metaspace ▁, prepend_scheme "always", split
  model           Unigram: <s> <pad> </s> <unk> (score 0), the model's pieces after its own
                  <unk> <s> </s>, then <mask>; unk_id 3
  post_processor  TemplateProcessing "<s> $A </s>" / "<s> $A </s> </s> $B </s>"
Writes tests/fixtures/text/spm/tokenizer.json (one line: the charsmap alone is 317 kB of
base64). Training may vary between sentencepiece versions, so make_spm_fixtures.js reuses
the committed file rather than calling this. Only the oracle needs sentencepiece (Debian's
python3-sentencepiece); taskscout does not.
"""
import base64
import csv
import glob
import json
import os
import struct
import sys
import tempfile

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHARED = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "tests", "fixtures", "text", "spm")


def varint(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def fields(b):
    """(field number, value) of a protobuf message: ints for varints, bytes otherwise."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        wire = key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError(f"protobuf wire type {wire}")
        yield key >> 3, v


def read_model(path):
    """Pieces [(piece, score)] and the precompiled_charsmap of a ModelProto (no protobuf
    package needed: field 1 = pieces {1 piece, 2 score}, 3 = normalizer_spec {2 charsmap})."""
    pieces, charsmap = [], b""
    with open(path, "rb") as f:
        for number, value in fields(f.read()):
            if number == 1:
                p = dict(fields(value))
                pieces.append((p[1].decode("utf-8"), struct.unpack("<f", p.get(2, b"\0\0\0\0"))[0]))
            elif number == 3:
                charsmap = dict(fields(value)).get(2, b"")
    return pieces, charsmap


def train(model_prefix):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "train.txt")
        with open(corpus, "w", encoding="utf-8") as out:
            for path in sorted(glob.glob(os.path.join(SHARED, "data", "tasks", "*", "train.csv"))):
                with open(path, newline="", encoding="utf-8-sig") as f:
                    for row in csv.DictReader(f):
                        out.write(row["text"].replace("\n", " ") + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=model_prefix, vocab_size=8000,
                                       model_type="unigram", num_threads=1, minloglevel=2)


def special(content, id_, lstrip=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": lstrip,
            "rstrip": False, "normalized": False, "special": True}


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "spm")
        train(prefix)
        pieces, charsmap = read_model(prefix + ".model")
    assert [p for p, _ in pieces[:3]] == ["<unk>", "<s>", "</s>"], pieces[:3]
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p, s] for p, s in pieces[3:]] + [["<mask>", 0.0]]
    ids = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": len(vocab) - 1}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(t, i, t == "<mask>") for t, i in ids.items()],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                          "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]}
                               for t in ("<s>", "</s>")}},
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                    "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }
    with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
