#!/usr/bin/python3
"""Reference values for taskscout's MLM head (model/mlm_head.hpp): BertForMaskedLM's
cls.predictions written out in plain torch arithmetic (no transformers):

    x = hidden @ dense.weight.T + dense.bias
    x = gelu(x)                      (exact, erf)
    x = layer_norm(x) * LayerNorm.weight + LayerNorm.bias   (eps 1e-12)
    logits = x @ word_embeddings.T + cls.predictions.bias   (decoder tied to the embeddings)
    loss = mean cross-entropy over labels != -100

    /usr/bin/python3 scripts/oracles/pretrain/mlm_head_reference.py

writes tests/fixtures/pretrain/mlm_head.json: the parameters, hidden states and labels, and
the logits, the loss and the loss's gradients (dense weight, word embeddings, output bias),
all in float64 text of float32 values.
"""
import json
import math
import os

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
H, V, B, L = 8, 11, 2, 3

g = torch.Generator().manual_seed(1234)
def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=g) * scale).float()

p = {
    "cls.predictions.transform.dense.weight": randn(H, H, scale=0.3),
    "cls.predictions.transform.dense.bias": randn(H, scale=0.1),
    "cls.predictions.transform.LayerNorm.weight": 1 + randn(H, scale=0.1),
    "cls.predictions.transform.LayerNorm.bias": randn(H, scale=0.1),
    "cls.predictions.bias": randn(V, scale=0.1),
}
words = randn(V, H, scale=0.5)
hidden = randn(B, L, H)
labels = torch.tensor([[3, -100, 7], [-100, 0, 10]])

for t in list(p.values()) + [words]:
    t.requires_grad_(True)

x = hidden @ p["cls.predictions.transform.dense.weight"].T + p["cls.predictions.transform.dense.bias"]
x = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
mean = x.mean(-1, keepdim=True)
var = ((x - mean) ** 2).mean(-1, keepdim=True)
x = (x - mean) / torch.sqrt(var + 1e-12)
x = x * p["cls.predictions.transform.LayerNorm.weight"] + p["cls.predictions.transform.LayerNorm.bias"]
logits = x @ words.T + p["cls.predictions.bias"]

flat, y = logits.reshape(-1, V), labels.reshape(-1)
keep = y != -100
logp = flat[keep] - torch.logsumexp(flat[keep], dim=-1, keepdim=True)
loss = -logp[torch.arange(int(keep.sum())), y[keep]].mean()
loss.backward()

def values(t):
    return t.detach().double().reshape(-1).tolist()

out = {
    "hidden_size": H, "vocab_size": V, "shape": [B, L],
    "parameters": {k: values(v) for k, v in p.items()},
    "word_embeddings": values(words),
    "hidden": values(hidden),
    "labels": labels.reshape(-1).tolist(),
    "logits": values(logits),
    "loss": float(loss),
    "grad": {
        "cls.predictions.transform.dense.weight": values(p["cls.predictions.transform.dense.weight"].grad),
        "cls.predictions.bias": values(p["cls.predictions.bias"].grad),
        "embeddings.word_embeddings.weight": values(words.grad),
    },
}
path = os.path.join(ROOT, "tests/fixtures/pretrain/mlm_head.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print(f"wrote {path}: loss {float(loss):.6f}")
