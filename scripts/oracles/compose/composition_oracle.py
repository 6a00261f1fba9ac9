#!/usr/bin/python3
"""Oracle for adapter compositions (src/model/adapter_composition.cpp), written independently.

On the BERT fixture (tests/fixtures/model/bert with its inputs.json batch), K = 3 frozen
bottleneck adapters of different widths are combined at every adapter site, as the adapters
library's Fuse block and the ScaLearn fork compute it:
    z   = LN(h + x) (Pfeiffer, original_ln_before) or h (Houlsby)
    a_k = up_k(act(down_k(z)))                  (relu for Pfeiffer, swish for Houlsby)
    out = LN(combine(z, a) + h + x)
    scalearn*:  combine = sum_k omega_k * a_k   (omega [K, D] or [K]; per site, or shared by
                                                 the layers' sites of one kind for ++)
    fusion:     q = Wq z + bq, k_k = Wk a_k + bk, v_k = Wv a_k, p = softmax_k(q . k_k),
                combine = sum_k p_k v_k
then the flex head (RoBERTa style) on the first token: out_proj(tanh(dense(h[:, 0]))).
The loss is the mean cross-entropy of labels [2, 0, 1], plus for fusion the library's
regularization 0.01 * sum_sites ||I - Wv||^2. Everything in float64 with torch autograd.

Writes tests/fixtures/compose/composition.safetensors: per case "<case>/<tensor>" for the
adapters, the composition and the head (float32, as the C++ test loads them), and the
expected "<case>/logits", "<case>/loss" and "<case>/grad/<tensor>" (float64) for every
composition and head tensor.

    /usr/bin/python3 scripts/oracles/compose/composition_oracle.py
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bert_fixture as bf  # noqa: E402
from bert_fixture import ROOT, mf, ref  # noqa: E402

OUT = os.path.join(ROOT, "tests", "fixtures", "compose", "composition.safetensors")
ADAPTERS = ["alpha", "beta", "gamma"]
REDUCTION = [4, 8, 16]
LABELS = [2, 0, 1]
CASES = [  # name, method, placement
    ("scalearn", "scalearn", "pfeiffer"),
    ("scalearn-uniform", "scalearn-uniform", "pfeiffer"),
    ("scalearn++", "scalearn++", "pfeiffer"),
    ("scalearn-uniform++-houlsby", "scalearn-uniform++", "houlsby"),
    ("fusion", "fusion", "pfeiffer"),
    ("fusion-houlsby", "fusion", "houlsby"),
]


def locations(layer):
    return f"encoder.layer.{layer}.attention.output", f"encoder.layer.{layer}.output"


def make_case(rng, config, method, placement):
    """The case's float32 tensors by name: adapters, composition, head."""
    d, layers, k = config["hidden_size"], config["num_hidden_layers"], len(ADAPTERS)
    t = {}

    def normal(shape, std, mean=0.0):
        return (mean + std * rng.standard_normal(shape)).astype(np.float32)

    sites = []
    for i in range(layers):
        attention, output = locations(i)
        if placement == "houlsby":
            sites.append((attention, True))
        sites.append((output, False))
    for site, _ in sites:
        for name, rf in zip(ADAPTERS, REDUCTION):
            r = d // rf
            a = f"{site}.adapters.{name}."
            t[a + "adapter_down.0.weight"] = normal((r, d), 0.3)
            t[a + "adapter_down.0.bias"] = normal((r,), 0.1)
            t[a + "adapter_up.weight"] = normal((d, r), 0.3)
            t[a + "adapter_up.bias"] = normal((d,), 0.1)
    uniform = "uniform" in method
    omega_shape = (k,) if uniform else (k, d)
    for site, attention in sites:
        if method.startswith("scalearn"):
            name = (f"scalearn.{'attention' if attention else 'output'}.omega" if method.endswith("++")
                    else site + ".scalearn.omega")
            if name not in t:
                t[name] = normal(omega_shape, 0.4, 1.0 / k)
        else:
            f = f"{site}.adapter_fusion_layer.{','.join(ADAPTERS)}."
            t[f + "query.weight"] = normal((d, d), 0.2)
            t[f + "query.bias"] = normal((d,), 0.1)
            t[f + "key.weight"] = normal((d, d), 0.2)
            t[f + "key.bias"] = normal((d,), 0.1)
            t[f + "value.weight"] = (np.eye(d) + 0.05 * rng.standard_normal((d, d))).astype(np.float32)
    t["classifier.dense.weight"] = normal((d, d), 0.2)
    t["classifier.dense.bias"] = normal((d,), 0.1)
    t["classifier.out_proj.weight"] = normal((3, d), 0.3)
    t["classifier.out_proj.bias"] = normal((3,), 0.1)
    return t, sites


def site_output(p, method, site, attention, h, x, norm, placement, eps, d):
    has = f"{site}.adapters.{ADAPTERS[0]}.adapter_down.0.weight" in p
    if not has:
        return ref._ln(h + x, p, norm, eps, d)
    z = ref._ln(h + x, p, norm, eps, d) if placement == "pfeiffer" else h
    ups = []
    for name in ADAPTERS:
        a = f"{site}.adapters.{name}."
        down = ref._linear(z, p, a + "adapter_down.0")
        down = torch.relu(down) if placement == "pfeiffer" else down * torch.sigmoid(down)
        ups.append(ref._linear(down, p, a + "adapter_up"))
    if method.startswith("scalearn"):
        name = (f"scalearn.{'attention' if attention else 'output'}.omega" if method.endswith("++")
                else site + ".scalearn.omega")
        omega = p[name]
        combined = sum((omega[i] if omega.dim() == 1 else omega[i][None, None, :]) * ups[i] for i in range(len(ups)))
    else:
        f = f"{site}.adapter_fusion_layer.{','.join(ADAPTERS)}."
        q = ref._linear(z, p, f + "query")
        scores = torch.stack([(q * ref._linear(a, p, f + "key")).sum(-1) for a in ups], -1)  # [B, L, K]
        probs = torch.softmax(scores, -1)
        values = [torch.nn.functional.linear(a, p[f + "value.weight"]) for a in ups]
        combined = sum(probs[..., i:i + 1] * values[i] for i in range(len(ups)))
    return ref._ln(combined + h + x, p, norm, eps, d)


def forward(p, config, inputs, method, placement):
    d, eps = config["hidden_size"], config["layer_norm_eps"]
    x, mask = bf.embed(p, config, inputs)
    for i in range(config["num_hidden_layers"]):
        L = f"encoder.layer.{i}."
        attention_site, output_site = locations(i)
        ctx = ref._attention(x, mask, config["num_attention_heads"], ref._linear(x, p, L + "attention.self.query"),
                             ref._linear(x, p, L + "attention.self.key"), ref._linear(x, p, L + "attention.self.value"))
        a = site_output(p, method, attention_site, True, ref._linear(ctx, p, L + "attention.output.dense"), x,
                        L + "attention.output.LayerNorm", placement, eps, d)
        f = ref._linear(ref._gelu(ref._linear(a, p, L + "intermediate.dense")), p, L + "output.dense")
        x = site_output(p, method, output_site, False, f, a, L + "output.LayerNorm", placement, eps, d)
    return bf.flex_head(p, x)


def main():
    config, inputs, base = bf.load()
    rng = np.random.default_rng(11)
    out = {}
    for case, method, placement in CASES:
        tensors, sites = make_case(rng, config, method, placement)
        trained = {n: torch.as_tensor(v).to(torch.float64).requires_grad_(True) for n, v in tensors.items()
                   if ".adapters." not in n}
        p = dict(base)
        p.update({n: torch.as_tensor(v).to(torch.float64) for n, v in tensors.items() if ".adapters." in n})
        p.update(trained)
        logits = forward(p, config, inputs, method, placement)
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(LABELS))
        if method == "fusion":
            eye = torch.eye(config["hidden_size"], dtype=torch.float64)
            for n, t in trained.items():
                if n.endswith(".value.weight"):
                    loss = loss + 0.01 * ((eye - t) ** 2).sum()
        bf.record_case(out, case, tensors, trained, logits, loss)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    mf.write_safetensors(OUT, out, {"generator": "scripts/oracles/compose/composition_oracle.py",
                                    "cases": ",".join(c for c, _, _ in CASES), "labels": "2,0,1"})
    print(f"{OUT}: {len(CASES)} cases, {len(out)} tensors", file=sys.stderr)


if __name__ == "__main__":
    main()
