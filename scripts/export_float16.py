#!/usr/bin/python3
"""Copies a model folder written by `taskscout pretrain` into a small folder for release:
model.safetensors with every F32 tensor rounded to F16 (round to nearest even, as numpy's
astype), config.json with "torch_dtype": "float16", the tokenizer files and log.jsonl;
the optimizer state and trainer_state.json (needed only to resume) are left out.
taskscout reads the F16 tensors back as float32.

    /usr/bin/python3 scripts/export_float16.py PRETRAIN_OUT DEST
"""

import json
import os
import shutil
import struct
import sys

import numpy as np

KEEP = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "log.jsonl")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            sys.exit(f"error: {path}: tensor {name} is {info['dtype']}; this export expects float32 weights")
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + s:8 + n + e], dtype="<f4").reshape(info["shape"])
    return out, meta


def write_safetensors(path, tensors, meta):
    header, blobs, off = ({"__metadata__": meta} if meta else {}), [], 0
    for name in sorted(tensors):
        b = np.ascontiguousarray(tensors[name].astype("<f2")).tobytes()
        header[name] = {"dtype": "F16", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    if not os.path.isfile(os.path.join(src, "model.safetensors")):
        sys.exit(f"error: {src}/model.safetensors not found; pass the folder `taskscout pretrain --out` wrote")
    os.makedirs(dst, exist_ok=True)
    tensors, meta = read_safetensors(os.path.join(src, "model.safetensors"))
    big = [n for n, t in tensors.items() if np.abs(t).max() > 65504]
    if big:
        sys.exit(f"error: {src}/model.safetensors: {big[0]} exceeds the float16 range; keep the float32 weights")
    write_safetensors(os.path.join(dst, "model.safetensors"), tensors, meta)
    with open(os.path.join(src, "config.json")) as f:
        config = json.load(f)
    config["torch_dtype"] = "float16"
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    for name in KEEP:
        if os.path.exists(os.path.join(src, name)):
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
    size = sum(os.path.getsize(os.path.join(dst, n)) for n in os.listdir(dst))
    print(f"{dst}: {len(tensors)} tensors in float16, {size / 1e6:.1f} MB in all", file=sys.stderr)


if __name__ == "__main__":
    main()
