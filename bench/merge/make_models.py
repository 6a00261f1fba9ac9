#!/usr/bin/env python3
"""Models of BERT-base size for the merge benchmark (bench/run_merge.sh).

Writes DIR/base (a BertModel: config.json, model.safetensors with bare names) and DIR/m1..mK
(BertForSequenceClassification folders: "bert."-prefixed encoder plus a 2-class head), each
source the base plus N(0, 0.01^2) noise, as a fine-tuned copy would differ. float32, ~110M
parameters (~418 MiB) each. Existing folders are kept.
Usage: make_models.py DIR K
"""
import json
import os
import struct
import sys

import numpy as np

CONFIG = {
    "model_type": "bert", "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
    "num_attention_heads": 12, "intermediate_size": 3072, "max_position_embeddings": 512,
    "type_vocab_size": 2, "pad_token_id": 0, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
}


def specs():
    d, f = CONFIG["hidden_size"], CONFIG["intermediate_size"]
    out = [("embeddings.word_embeddings.weight", (CONFIG["vocab_size"], d)),
           ("embeddings.position_embeddings.weight", (CONFIG["max_position_embeddings"], d)),
           ("embeddings.token_type_embeddings.weight", (2, d)),
           ("embeddings.LayerNorm.weight", (d,)), ("embeddings.LayerNorm.bias", (d,))]
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            out += [(p + m + ".weight", (d, d)), (p + m + ".bias", (d,))]
        out += [(p + "attention.output.LayerNorm.weight", (d,)), (p + "attention.output.LayerNorm.bias", (d,)),
                (p + "intermediate.dense.weight", (f, d)), (p + "intermediate.dense.bias", (f,)),
                (p + "output.dense.weight", (d, f)), (p + "output.dense.bias", (d,)),
                (p + "output.LayerNorm.weight", (d,)), (p + "output.LayerNorm.bias", (d,))]
    out += [("pooler.dense.weight", (d, d)), ("pooler.dense.bias", (d,))]
    return out


def write(path, tensors):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, a in tensors:
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for _, a in tensors:
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
    os.replace(tmp, path)


def main():
    root, k = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(0)
    base = [(n, (np.ones(s) if "LayerNorm.weight" in n else rng.normal(0, 0.02, s)).astype(np.float32))
            for n, s in specs()]
    if not os.path.exists(os.path.join(root, "base", "model.safetensors")):
        os.makedirs(os.path.join(root, "base"), exist_ok=True)
        with open(os.path.join(root, "base", "config.json"), "w") as f:
            json.dump({**CONFIG, "architectures": ["BertModel"]}, f)
        write(os.path.join(root, "base", "model.safetensors"), base)
    for i in range(1, k + 1):
        folder = os.path.join(root, f"m{i}")
        if os.path.exists(os.path.join(folder, "model.safetensors")):
            continue
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({**CONFIG, "architectures": ["BertForSequenceClassification"],
                       "id2label": {"0": "neg", "1": "pos"}, "label2id": {"neg": 0, "pos": 1}}, f)
        r = np.random.default_rng(i)
        tensors = [("bert." + n, (a + r.normal(0, 0.01, a.shape).astype(np.float32))) for n, a in base]
        tensors += [("classifier.weight", r.normal(0, 0.02, (2, 768)).astype(np.float32)),
                    ("classifier.bias", np.zeros(2, np.float32))]
        write(os.path.join(folder, "model.safetensors"), tensors)
        print("wrote", folder, file=sys.stderr)


if __name__ == "__main__":
    main()
