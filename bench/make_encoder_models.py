#!/usr/bin/python3
"""Random-weight BERT models for the encoder benchmark (bench/run_encoder.sh).

    /usr/bin/python3 bench/make_encoder_models.py OUT_DIR

Writes two Hugging Face folders (config.json + model.safetensors), seeded, vocab 30522,
512 positions, 2 token types, with the writer and weight scales of
scripts/oracles/encoders/make_fixtures.py:
  OUT_DIR/bert_base   12 layers, hidden 768, 12 heads, intermediate 3072
  OUT_DIR/small       4 layers, hidden 256, 4 heads, intermediate 1024
and OUT_DIR/<name>/model.onnx: the reference forward (reference_encoder.py) traced in
float32 as export_onnx.py does, inputs input_ids/attention_mask/token_type_ids int64
[batch, seq] (dynamic), one output last_hidden_state. Existing folders are kept.
"""

from __future__ import annotations

import json
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "oracles", "encoders"))
import make_fixtures as mf  # noqa: E402
import reference_encoder as ref  # noqa: E402

VOCAB, POSITIONS, TYPES = 30522, 512, 2
MODELS = {"bert_base": (12, 768, 12, 3072), "small": (4, 256, 4, 1024)}


def weights(seed, layers, h, ff):
    r, d = mf.Rng(seed), {}
    d["embeddings.word_embeddings.weight"] = r.normal((VOCAB, h), 0.5)
    d["embeddings.position_embeddings.weight"] = r.normal((POSITIONS, h), 0.5)
    d["embeddings.token_type_embeddings.weight"] = r.normal((TYPES, h), 0.5)
    mf.layernorm(r, h, "embeddings.LayerNorm", d)
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for q in ("query", "key", "value"):
            mf.linear(r, h, h, p + "attention.self." + q, d)
        mf.linear(r, h, h, p + "attention.output.dense", d)
        mf.layernorm(r, h, p + "attention.output.LayerNorm", d)
        mf.linear(r, ff, h, p + "intermediate.dense", d)
        mf.linear(r, h, ff, p + "output.dense", d)
        mf.layernorm(r, h, p + "output.LayerNorm", d)
    mf.linear(r, h, h, "pooler.dense", d)
    return d


def config(layers, h, heads, ff):
    c = mf.bert_config("BertModel")
    c.update({"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": ff, "vocab_size": VOCAB, "max_position_embeddings": POSITIONS,
              "type_vocab_size": TYPES})
    return dict(sorted(c.items()))


class LastHidden(torch.nn.Module):
    def __init__(self, params, cfg):
        super().__init__()
        self.cfg = cfg
        self.names = sorted(params)
        for i, n in enumerate(self.names):
            self.register_buffer(f"p{i}", params[n].clone())

    def forward(self, input_ids, attention_mask, token_type_ids):
        p = {n: getattr(self, f"p{i}") for i, n in enumerate(self.names)}
        return ref.forward(p, self.cfg, input_ids, attention_mask, token_type_ids)["last_hidden_state"]


def export_onnx(params, cfg, path):
    ids = torch.randint(1000, VOCAB, (2, 16))
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    dyn = {k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        torch.onnx.export(LastHidden(params, cfg).eval(), args, path + ".tmp",
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=14,
                          do_constant_folding=True)
    os.replace(path + ".tmp", path)


def main():
    out = sys.argv[1]
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for seed, (name, (layers, h, heads, ff)) in enumerate(MODELS.items()):
        d = os.path.join(out, name)
        if os.path.exists(os.path.join(d, "model.onnx")):
            continue
        os.makedirs(d, exist_ok=True)
        cfg = config(layers, h, heads, ff)
        params = weights(100 + seed, layers, h, ff)
        mf.write_json(os.path.join(d, "config.json"), cfg)
        mf.write_safetensors(os.path.join(d, "model.safetensors"), {k: v.numpy() for k, v in params.items()},
                             {"format": "pt"})
        export_onnx(params, cfg, os.path.join(d, "model.onnx"))
        print(f"{name}: {d} ({sum(v.numel() for v in params.values()) / 1e6:.1f}M parameters)", file=sys.stderr)


if __name__ == "__main__":
    main()
