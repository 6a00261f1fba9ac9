#!/usr/bin/env python3
"""Writes tests/fixtures/select/hf_esm: ESM folders in hf-dataset-selector's exact layout
(hfselect's ESM.save_pretrained: config.json from ESMConfig.to_dict(), model.safetensors
holding the nn.Linear(D, D) as model.weight [out, in] and model.bias, or the 0.1.0 names
sequential.0.weight / sequential.0.bias), for taskscout's import-esm tests.

good/ holds three importable ESMs for the test base (tests/fixtures/model/bert, hidden
size 32) and a fourth whose derived name repeats the first's; bad/ one folder per defect
import-esm must name and skip.

Needs only python3 and numpy (Debian python3-numpy): safetensors is written as its
specification says (8-byte little-endian header length, JSON header with dtype, shape and
data_offsets per tensor and __metadata__ {"format": "pt"}, then the raw little-endian data),
so the folders do not depend on the safetensors package. Deterministic: rerunning rewrites
the same bytes.

Also writes OUT/../hf_esm_oracle.safetensors: inputs x and hfselect's outputs
y = x·Wᵀ + b of good/glue_sst2's map, the orientation the import must keep.

Usage: python3 scripts/make_hf_esm_fixtures.py [OUT]   (default tests/fixtures/select/hf_esm)
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

DIM = 32


def write_safetensors(path, tensors):
    """tensors: list of (name, float32 array). Data laid out in the given order."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def esm_config(**fields):
    """ESMConfig.to_dict() of hfselect: every ESMConfig field, then what PretrainedConfig adds."""
    c = {
        "base_model_name": "taskscout-fixtures/bert",
        "task_id": None,
        "task_subset": None,
        "text_column": "text",
        "label_column": "label",
        "task_split": "train",
        "num_examples": 1000,
        "seed": 42,
        "language": "en",
        "esm_architecture": "linear",
        "esm_embedding_dim": DIM,
        "lm_num_epochs": 3,
        "lm_batch_size": 32,
        "lm_learning_rate": 2e-05,
        "lm_weight_decay": 0.01,
        "lm_optimizer": "AdamW",
        "esm_num_epochs": 10,
        "esm_batch_size": 32,
        "esm_learning_rate": 0.001,
        "esm_weight_decay": 0.01,
        "esm_optimizer": "AdamW",
        "developers": "taskscout tests",
        "transformers_version": "4.44.2",
    }
    c.update(fields)
    return c


def linear(seed, dim=DIM):
    """A near-identity map, so that LogME on ESM(X) stays informative, different per seed."""
    rng = np.random.RandomState(seed)
    w = np.eye(dim, dtype=np.float32) + 0.3 * rng.standard_normal((dim, dim)).astype(np.float32)
    b = 0.1 * rng.standard_normal(dim).astype(np.float32)
    return w, b


def folder(out, name, config, tensors):
    d = os.path.join(out, name)
    os.makedirs(d)
    if config is not None:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.write("\n")
    if tensors is not None:
        write_safetensors(os.path.join(d, "model.safetensors"), tensors)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures",
                                                              "select", "hf_esm")
    if os.path.exists(out):
        shutil.rmtree(out)
    good, bad = os.path.join(out, "good"), os.path.join(out, "bad")

    w, b = linear(1)
    # The oracle of the orientation: what hfselect's nn.Linear computes for glue_sst2,
    # ESM(x) = x·Wᵀ + b (in float64 from the float32 weights), for 5 seeded inputs.
    x = np.random.RandomState(99).standard_normal((5, DIM)).astype(np.float32)
    y = x.astype(np.float64) @ w.astype(np.float64).T + b.astype(np.float64)
    write_safetensors(os.path.join(os.path.dirname(os.path.normpath(out)), "hf_esm_oracle.safetensors"),
                      [("x", x), ("y", y.astype(np.float32))])
    folder(good, "glue_sst2", esm_config(task_id="nyu-mll/glue", task_subset="sst2", text_column="sentence"),
           [("model.bias", b), ("model.weight", w)])
    w, b = linear(2)  # hfselect 0.1.0: nn.Sequential(nn.Linear) saved as sequential.0.*
    folder(good, "imdb_legacy", esm_config(task_id="stanfordnlp/imdb", version="0.1.0", esm_embedding_dim=None),
           [("sequential.0.bias", b), ("sequential.0.weight", w)])
    w, b = linear(3)
    folder(good, "tweet_eval_emotion", esm_config(task_id="tweet_eval", task_subset="emotion",
                                                  text_column=["text"]), [("model.bias", b), ("model.weight", w)])

    w, b = linear(10)
    missing = esm_config(task_id="ag_news")
    del missing["task_split"]
    folder(bad, "missing_field", missing, [("model.bias", b), ("model.weight", w)])
    folder(bad, "unknown_field", esm_config(task_id="ag_news", esm_hidden_layers=2),
           [("model.bias", b), ("model.weight", w)])
    folder(bad, "wrong_shape", esm_config(task_id="yelp_polarity"),
           [("model.bias", b), ("model.weight", w[:, : DIM - 1])])
    w_nan = w.copy()
    w_nan[3, 5] = np.nan
    folder(bad, "nan_weight", esm_config(task_id="rotten_tomatoes"), [("model.bias", b), ("model.weight", w_nan)])
    folder(bad, "other_base", esm_config(task_id="emotion", base_model_name="FacebookAI/roberta-base"),
           [("model.bias", b), ("model.weight", w)])
    folder(bad, "mlp_architecture", esm_config(task_id="snli", esm_architecture="mlp"),
           [("model.bias", b), ("model.weight", w)])
    w64, b64 = linear(11, 64)
    folder(bad, "other_dim", esm_config(task_id="sst5", esm_embedding_dim=64),
           [("model.bias", b64), ("model.weight", w64)])
    folder(bad, "no_weights", esm_config(task_id="trec"), None)
    # The same task as good/glue_sst2 (another split): its derived name collides, and it
    # comes after glue_sst2 in a sorted walk, so it is the one skipped.
    folder(good, "glue_sst2_validation", esm_config(task_id="nyu-mll/glue", task_subset="sst2", task_split="validation"),
           [("model.bias", b), ("model.weight", w)])


if __name__ == "__main__":
    main()
