#!/usr/bin/python3
"""Reference values for taskscout's AdamW, gradient clipping and linear schedule.

Runs torch.optim.AdamW (single-tensor path, as taskscout writes it) on small parameters
with fixed gradients, with Hugging Face's grouping (no weight decay for biases and
LayerNorm weights), and writes every step's parameters to tests/fixtures/train/adamw.json.
Run with Debian's python3-torch:  /usr/bin/python3 scripts/oracles/train/adamw_oracle.py
"""
import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "train" / "adamw.json"


def main():
    g = torch.Generator().manual_seed(4)
    names = {"encoder.layer.0.output.dense.weight": (3, 4), "encoder.layer.0.output.dense.bias": (3,),
             "embeddings.LayerNorm.weight": (4,)}
    init = {n: torch.randn(*s, generator=g, dtype=torch.float32) for n, s in names.items()}
    steps = 5
    grads = [{n: torch.randn(*s, generator=g, dtype=torch.float32) for n, s in names.items()} for _ in range(steps)]
    lrs = [1e-3, 5e-3, 2e-2, 1e-2, 3e-3]
    options = dict(betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)

    params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
    decay = [params[n] for n in names if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [params[n] for n in names if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lrs[0],
                            foreach=False, **options)
    after = []
    for k in range(steps):
        for n in names:
            params[n].grad = grads[k][n].clone()
        for group in opt.param_groups:
            group["lr"] = lrs[k]
        opt.step()
        after.append({n: params[n].detach().flatten().tolist() for n in names})

    # Clipping: the total norm and the clipped gradients.
    clip_grads = {n: (grads[0][n] * 3).clone() for n in names}
    clipped = {n: torch.zeros(1).requires_grad_() for n in names}
    for n in names:
        clipped[n] = init[n].clone().requires_grad_(True)
        clipped[n].grad = clip_grads[n].clone()
    total = torch.nn.utils.clip_grad_norm_(list(clipped.values()), max_norm=1.0)

    fixture = {
        "options": {"beta1": 0.9, "beta2": 0.98, "eps": 1e-6, "weight_decay": 0.1},
        "learning_rates": lrs,
        "shapes": {n: list(s) for n, s in names.items()},
        "initial": {n: t.flatten().tolist() for n, t in init.items()},
        "gradients": [{n: t.flatten().tolist() for n, t in step.items()} for step in grads],
        "after_step": after,
        "clip": {"max_norm": 1.0, "gradients": {n: t.flatten().tolist() for n, t in clip_grads.items()},
                 "total_norm": float(total),
                 "clipped": {n: clipped[n].grad.flatten().tolist() for n in names}},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
