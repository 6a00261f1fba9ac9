#!/usr/bin/python3
"""Export the reference forward (reference_encoder.py) of the model fixtures to ONNX.

    /usr/bin/python3 scripts/oracles/encoders/export_onnx.py [name ...]

Default names: bert roberta xlmr distilbert. Each tests/fixtures/model/<name>/ folder (weights
as saved on disk, prefixes stripped as from_pretrained would) becomes
scripts/oracles/encoders/onnx/<name>.onnx with
  inputs  input_ids, attention_mask, token_type_ids  int64 [batch, seq] (dynamic axes)
  outputs last_hidden_state, hidden_states, cls, mean (+ pooler_output where there is a pooler)
Then run_ort.mjs executes the graphs with ONNX Runtime (npm onnxruntime-node) and compares
them to expected.safetensors. The graph is traced in float32 (the fixture outputs are float64
truth stored as float32), so the comparison also bounds float32 rounding.
"""

from __future__ import annotations

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402
import reference_encoder as ref  # noqa: E402

FIX = os.path.join(mf.ROOT, "tests", "fixtures", "model")


def load_params(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        files = sorted(set(json.load(open(idx))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out = {}
    for f in files:
        out.update({k: torch.from_numpy(v) for k, v in mf.read_safetensors(os.path.join(d, f)).items()})
    return out


class Wrapped(torch.nn.Module):
    def __init__(self, params, config):
        super().__init__()
        self.config = config
        self.names = sorted(ref.strip_prefix(params, config["model_type"]))
        bare = ref.strip_prefix(params, config["model_type"])
        for i, n in enumerate(self.names):
            self.register_buffer(f"p{i}", bare[n].clone())
        self.has_pooler = "pooler.dense.weight" in bare

    def forward(self, input_ids, attention_mask, token_type_ids):
        p = {n: getattr(self, f"p{i}") for i, n in enumerate(self.names)}
        o = ref.forward(p, self.config, input_ids, attention_mask, token_type_ids, dtype=torch.float32)
        outs = [o["last_hidden_state"], o["hidden_states"], o["cls"], o["mean"]]
        if self.has_pooler:
            outs.append(o["pooler_output"])
        return tuple(outs)


def export(name):
    d = os.path.join(FIX, name)
    config = json.load(open(os.path.join(d, "config.json")))
    inputs = json.load(open(os.path.join(d, "inputs.json")))
    m = Wrapped(load_params(d), config).eval()
    args = tuple(torch.tensor(inputs[k], dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids"))
    out_names = ["last_hidden_state", "hidden_states", "cls", "mean"] + (["pooler_output"] if m.has_pooler else [])
    os.makedirs(os.path.join(HERE, "onnx"), exist_ok=True)
    path = os.path.join(HERE, "onnx", f"{name}.onnx")
    dyn = {k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids")}
    with torch.no_grad():
        torch.onnx.export(m, args, path + ".tmp", input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=out_names, dynamic_axes=dyn, opset_version=14, do_constant_folding=True)
    os.replace(path + ".tmp", path)
    print(f"{name}: {path} ({os.path.getsize(path) / 1024:.1f} KiB) outputs {out_names}")


def main():
    torch.set_num_threads(1)
    for name in sys.argv[1:] or ["bert", "roberta", "xlmr", "distilbert"]:
        export(name)


if __name__ == "__main__":
    main()
