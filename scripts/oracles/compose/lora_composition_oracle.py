#!/usr/bin/python3
"""Oracle for ScaLearn over LoRAs (src/model/lora_composition.cpp), written independently.

On the BERT fixture (tests/fixtures/model/bert with its inputs.json batch), K = 3 frozen LoRAs
of different ranks, alphas and target modules are combined in every linear module any of
them targets, as ScaLearn scales a source's output:
    y = W x + b + sum_k omega_k * (s_k * B_k (A_k x)),   s_k = alpha_k / r_k,
the sum over the LoRAs that target the module, each term computed on its own (no folding).
omega is [K, out] (scalearn) or [K] (scalearn-uniform) per module; the ++ variants share one
omega by every layer's module of a kind ("attention.self.query"). Then the flex head
(RoBERTa style) on the first token: out_proj(tanh(dense(h[:, 0]))). The loss is the mean
cross-entropy of labels [2, 0, 1]. Everything in float64 with torch autograd.

Writes tests/fixtures/compose/lora_composition.safetensors: per case "<case>/<tensor>" for the
LoRAs ("<module>.lora_A.<name>.weight", …), omega and the head (float32, as the C++ test loads
them), and the expected "<case>/logits", "<case>/loss" and "<case>/grad/<tensor>" (float64)
for every omega and head tensor.

    /usr/bin/python3 scripts/oracles/compose/lora_composition_oracle.py
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_fixture as bf  # noqa: E402
from bert_fixture import ROOT, mf, ref  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "compose", "lora_composition.safetensors")
# name, rank, alpha, target modules (PEFT's matching: the module's path ends with ".<target>")
LORAS = [
    ("alpha", 2, 4.0, ["query", "value"]),
    ("beta", 4, 16.0, ["value", "key", "attention.output.dense"]),
    ("gamma", 3, 6.0, ["query", "intermediate.dense"]),
]
LABELS = [2, 0, 1]
CASES = ["scalearn", "scalearn-uniform", "scalearn++", "scalearn-uniform++"]
KINDS = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
         "intermediate.dense", "output.dense"]


def shapes(config):
    d, i = config["hidden_size"], config["intermediate_size"]
    return {"attention.self.query": (d, d), "attention.self.key": (d, d), "attention.self.value": (d, d),
            "attention.output.dense": (d, d), "intermediate.dense": (i, d), "output.dense": (d, i)}


def targets(kind, lora_targets):
    return any(kind == t or kind.endswith("." + t) for t in lora_targets)


def omega_name(method, layer, kind):
    return f"scalearn.{kind}.omega" if method.endswith("++") else f"encoder.layer.{layer}.{kind}.scalearn.omega"


def make_case(rng, config, method):
    """The case's float32 tensors by name: LoRAs, omega, head."""
    k = len(LORAS)
    t = {}

    def normal(shape, std, mean=0.0):
        return (mean + std * rng.standard_normal(shape)).astype(np.float32)

    for layer in range(config["num_hidden_layers"]):
        for kind in KINDS:
            out, inp = shapes(config)[kind]
            module = f"encoder.layer.{layer}.{kind}"
            present = False
            for name, r, _, lora_targets in LORAS:
                if targets(kind, lora_targets):
                    present = True
                    t[f"{module}.lora_A.{name}.weight"] = normal((r, inp), 0.3)
                    t[f"{module}.lora_B.{name}.weight"] = normal((out, r), 0.3)
            if present:
                name = omega_name(method, layer, kind)
                if name not in t:
                    t[name] = normal((k,) if "uniform" in method else (k, out), 0.4, 1.0 / k)
    d = config["hidden_size"]
    t["classifier.dense.weight"] = normal((d, d), 0.2)
    t["classifier.dense.bias"] = normal((d,), 0.1)
    t["classifier.out_proj.weight"] = normal((3, d), 0.3)
    t["classifier.out_proj.bias"] = normal((3,), 0.1)
    return t


def lora_linear(x, p, method, layer, kind):
    module = f"encoder.layer.{layer}.{kind}"
    y = ref._linear(x, p, module)
    for i, (name, r, alpha, lora_targets) in enumerate(LORAS):
        if not targets(kind, lora_targets):
            continue
        update = (alpha / r) * ((x @ p[f"{module}.lora_A.{name}.weight"].T) @ p[f"{module}.lora_B.{name}.weight"].T)
        omega = p[omega_name(method, layer, kind)][i]
        y = y + omega * update  # omega [out] broadcasts over the features, or a scalar
    return y


def forward(p, config, inputs, method):
    d, eps = config["hidden_size"], config["layer_norm_eps"]
    x, mask = bf.embed(p, config, inputs)
    for i in range(config["num_hidden_layers"]):
        L = f"encoder.layer.{i}."

        def lin(v, kind):
            return lora_linear(v, p, method, i, kind)

        ctx = ref._attention(x, mask, config["num_attention_heads"], lin(x, "attention.self.query"),
                             lin(x, "attention.self.key"), lin(x, "attention.self.value"))
        a = ref._ln(lin(ctx, "attention.output.dense") + x, p, L + "attention.output.LayerNorm", eps, d)
        f = lin(ref._gelu(lin(a, "intermediate.dense")), "output.dense")
        x = ref._ln(f + a, p, L + "output.LayerNorm", eps, d)
    return bf.flex_head(p, x)


def main():
    config, inputs, base = bf.load()
    rng = np.random.default_rng(23)
    out = {}
    for method in CASES:
        tensors = make_case(rng, config, method)
        frozen = {n for n in tensors if ".lora_" in n}
        trained = {n: torch.as_tensor(v).to(torch.float64).requires_grad_(True) for n, v in tensors.items()
                   if n not in frozen}
        p = dict(base)
        p.update({n: torch.as_tensor(tensors[n]).to(torch.float64) for n in frozen})
        p.update(trained)
        logits = forward(p, config, inputs, method)
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(LABELS))
        bf.record_case(out, method, tensors, trained, logits, loss)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    loras = ";".join(f"{n}:r={r}:alpha={a}:{','.join(t)}" for n, r, a, t in LORAS)
    mf.write_safetensors(OUT, out, {"generator": "scripts/oracles/compose/lora_composition_oracle.py",
                                    "cases": ",".join(CASES), "labels": "2,0,1", "loras": loras})
    print(f"{OUT}: {len(CASES)} cases, {len(out)} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
