#!/usr/bin/python3
"""The training-step benchmark, python3-torch side (see bench/run_train.sh).

    /usr/bin/python3 bench/train_torch.py models OUT_DIR
        writes the random-weight BERT folders the benchmark trains (make_encoder_models.py's
        weights and config): OUT_DIR/tiny (2 layers, hidden 128, 2 heads, intermediate 512)
        and OUT_DIR/small (4 layers, hidden 256, 4 heads, intermediate 1024); vocab 30522
    /usr/bin/python3 bench/train_torch.py step MODEL_DIR full|adapter BATCH SEQ WARMUP STEPS THREADS
        the same step as bench_train: the BERT forward of reference_encoder.py with autograd,
        for `adapter` a Pfeiffer adapter (reduction 16, relu) after each feed-forward output
        computed as LN(up(relu(down(LN(h + x)))) + h + x) with the base frozen, the head
        (BERT pooler → classifier for full, the adapters library's dense → tanh → out on
        [CLS] for adapter), cross-entropy, backward, clip_grad_norm_(1.0),
        torch.optim.AdamW(lr 1e-4, weight decay 0.01 except biases and LayerNorm weights),
        zero_grad(set_to_none=True); one JSON line as bench_train prints.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "oracles", "encoders"))
import make_encoder_models as mem  # noqa: E402
import make_fixtures as mf  # noqa: E402

MODELS = {"tiny": (2, 128, 2, 512), "small": (4, 256, 4, 1024)}


def make_models(out):
    for seed, (name, (layers, h, heads, ff)) in enumerate(MODELS.items()):
        d = os.path.join(out, name)
        if os.path.exists(os.path.join(d, "model.safetensors")):
            continue
        os.makedirs(d, exist_ok=True)
        params = mem.weights(200 + seed, layers, h, ff)
        mf.write_json(os.path.join(d, "config.json"), mem.config(layers, h, heads, ff))
        mf.write_safetensors(os.path.join(d, "model.safetensors"), {k: v.numpy() for k, v in params.items()},
                             {"format": "pt"})


def normal(shape, g):
    return (torch.randn(*shape, generator=g) * 0.02).requires_grad_(True)


def zeros(*shape):
    return torch.zeros(*shape).requires_grad_(True)


def forward(p, cfg, ids, mask, adapter):
    layers, heads, eps = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    b, s = ids.shape
    h = cfg["hidden_size"]
    d = h // heads

    def ln(x, name):
        return F.layer_norm(x, (h,), p[name + ".weight"], p[name + ".bias"], eps)

    def lin(x, name):
        return F.linear(x, p[name + ".weight"], p[name + ".bias"])

    pos = torch.arange(s)[None, :].expand(b, s)
    x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
    x = ln(x + p["embeddings.position_embeddings.weight"][pos], "embeddings.LayerNorm")
    additive = ((1.0 - mask.float()) * torch.finfo(torch.float32).min)[:, None, None, :]
    for i in range(layers):
        L = f"encoder.layer.{i}."

        def split(t):
            return t.view(b, s, heads, d).transpose(1, 2)

        q, k, v = (split(lin(x, L + "attention.self." + n)) for n in ("query", "key", "value"))
        probs = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + additive, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, h)
        a = ln(lin(ctx, L + "attention.output.dense") + x, L + "attention.output.LayerNorm")
        f = lin(F.gelu(lin(a, L + "intermediate.dense")), L + "output.dense")
        if adapter:
            site = L + "output.adapters.task."
            z = F.relu(lin(ln(f + a, L + "output.LayerNorm"), site + "adapter_down.0"))
            f = lin(z, site + "adapter_up") + f
        x = ln(f + a, L + "output.LayerNorm")
    cls = x[:, 0]
    if adapter:
        return lin(torch.tanh(lin(cls, "heads.task.1")), "heads.task.4")
    return lin(torch.tanh(lin(cls, "pooler.dense")), "classifier")


def step_bench(d, method, b, s, warmup, steps, threads):
    torch.set_num_threads(threads)
    cfg = json.load(open(os.path.join(d, "config.json")))
    base = {k: torch.from_numpy(v) for k, v in mf.read_safetensors(os.path.join(d, "model.safetensors")).items()}
    h = cfg["hidden_size"]
    g = torch.Generator().manual_seed(1)
    adapter = method == "adapter"
    trained = {}
    if adapter:
        p = dict(base)
        r = max(1, h // 16)
        for i in range(cfg["num_hidden_layers"]):
            site = f"encoder.layer.{i}.output.adapters.task."
            trained[site + "adapter_down.0.weight"], trained[site + "adapter_down.0.bias"] = normal((r, h), g), zeros(r)
            trained[site + "adapter_up.weight"], trained[site + "adapter_up.bias"] = normal((h, r), g), zeros(h)
        trained["heads.task.1.weight"], trained["heads.task.1.bias"] = normal((h, h), g), zeros(h)
        trained["heads.task.4.weight"], trained["heads.task.4.bias"] = normal((2, h), g), zeros(2)
    else:
        p = {k: v.clone().requires_grad_(True) for k, v in base.items()}
        trained.update(p)
        trained["classifier.weight"], trained["classifier.bias"] = normal((2, h), g), zeros(2)
    p.update(trained)
    no_decay = [v for k, v in trained.items() if k.endswith("bias") or "LayerNorm" in k]
    decay = [v for k, v in trained.items() if not (k.endswith("bias") or "LayerNorm" in k)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    params = list(trained.values())
    torch.manual_seed(0)
    ids = torch.randint(1000, cfg["vocab_size"], (b, s))
    mask = torch.ones(b, s, dtype=torch.long)
    labels = torch.randint(0, 2, (b,))
    last = [0.0]

    def step():
        loss = F.cross_entropy(forward(p, cfg, ids, mask, adapter), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        last[0] = loss.item()

    for _ in range(warmup):
        step()
    t = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        t.append(time.perf_counter() - start)
    med = statistics.median(t)
    print(json.dumps({"impl": "torch", "model": os.path.basename(os.path.normpath(d)), "method": method,
                      "batch": b, "seq": s, "seconds": t, "median_seconds": med, "examples_per_second": b / med,
                      "trainable_parameters": sum(v.numel() for v in params), "last_loss": last[0],
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "models":
        make_models(sys.argv[2])
    elif len(sys.argv) == 9 and sys.argv[1] == "step":
        a = sys.argv[2:]
        step_bench(a[0], a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), int(a[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
