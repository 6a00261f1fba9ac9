#!/usr/bin/python3
"""Writes a random-weight copy of a BERT model folder: the same config and tokenizer, every
weight drawn as Hugging Face's BertPreTrainedModel._init_weights draws it (normal with std
initializer_range for embeddings and linear weights, zero biases, LayerNorm weight 1 and
bias 0). It is the "no pretraining" end of the base-strength study in bench/why.

    /usr/bin/python3 bench/why/random_base.py models/base-encoder DEST [SEED]
"""

import json
import os
import shutil
import struct
import sys

import numpy as np


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return header


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        b = np.ascontiguousarray(tensors[name].astype("<f4")).tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) == 4 else 0)
    if os.path.exists(dst):
        sys.exit(f"error: {dst} exists; pass a new folder")
    with open(os.path.join(src, "config.json")) as f:
        config = json.load(f)
    std = config.get("initializer_range", 0.02)
    tensors = {}
    for name, info in read_header(os.path.join(src, "model.safetensors")).items():
        shape = info["shape"]
        if "LayerNorm" in name or name.endswith("layer_norm.weight"):
            value = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
        elif name.endswith("bias"):
            value = np.zeros(shape)
        else:
            value = rng.normal(0.0, std, shape)
            if name.endswith("word_embeddings.weight") and config.get("pad_token_id") is not None:
                value[config["pad_token_id"]] = 0.0  # nn.Embedding(padding_idx) zeroes the pad row
        tensors[name] = value
    os.makedirs(dst)
    write_safetensors(os.path.join(dst, "model.safetensors"), tensors)
    config["torch_dtype"] = "float32"
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if os.path.exists(os.path.join(src, name)):
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
    print(f"{dst}: {len(tensors)} tensors drawn at random (std {std})", file=sys.stderr)


if __name__ == "__main__":
    main()
