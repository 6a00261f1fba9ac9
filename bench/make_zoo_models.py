#!/usr/bin/python3
"""A zoo of 10 small checkpoints for the rank-models benchmark (bench/run_rank_models.sh).

    /usr/bin/python3 bench/make_zoo_models.py OUT_DIR

OUT_DIR/m0 … m9: copies of the committed base encoder (models/base-encoder: BERT, 2 layers,
hidden 128, its WordPiece tokenizer), weights in float32; m1 … m9 have every tensor moved by
seeded Gaussian noise of 5 % of its standard deviation, so each model has its own
fingerprint and its own embeddings (as fine-tuned descendants of one base would). Needs only
numpy. Existing folders are kept.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "oracles", "encoders"))
import make_fixtures as mf  # noqa: E402

BASE = os.path.join(HERE, "..", "models", "base-encoder")


def read_weights(path):
    """The base's tensors (stored F16; make_fixtures' reader knows F32 only) as float32."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        dt = {"F16": "<f2", "F32": "<f4"}[info["dtype"]]
        out[name] = np.frombuffer(data[8 + n + s:8 + n + e], dtype=dt).reshape(info["shape"]).astype(np.float32)
    return out


def main():
    out = sys.argv[1]
    params = read_weights(os.path.join(BASE, "model.safetensors"))
    for i in range(10):
        d = os.path.join(out, f"m{i}")
        if os.path.exists(os.path.join(d, "model.safetensors")):
            continue
        os.makedirs(d, exist_ok=True)
        for f in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(os.path.join(BASE, f), d)
        config = json.load(open(os.path.join(BASE, "config.json")))
        config["torch_dtype"] = "float32"
        mf.write_json(os.path.join(d, "config.json"), config)
        rng = np.random.RandomState(i)
        tensors = {}
        for name in sorted(params):
            w = params[name].astype(np.float32)
            if i > 0:
                w = w + (0.05 * float(w.std()) * rng.standard_normal(w.shape)).astype(np.float32)
            tensors[name] = w
        mf.write_safetensors(os.path.join(d, "model.safetensors"), tensors)


if __name__ == "__main__":
    main()
