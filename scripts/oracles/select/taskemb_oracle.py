#!/usr/bin/python3
"""Oracle for TaskEmb's Fisher diagonals (src/select/taskemb.cpp), written independently.

For the BERT fixture (tests/fixtures/model/bert, with its inputs.json batch) and a seeded
random classification head (3 classes) and regression head (1 output), computes for every
hidden state l = 0..L (embeddings' output, each layer's output)
    F_l[d] = 1/N Σ_i 1/T_i Σ_t (∂ℓ_i / ∂h^l_{i,t,d})²
one example at a time, each cut to its real tokens (no padding, no batch), in float64,
with torch autograd through scripts/oracles/encoders/reference_encoder.py; ℓ_i is the
cross-entropy of the true class, or half the squared error for regression. BERT's head:
logits = classifier(tanh(pooler.dense(h[:, 0]))).

Writes tests/fixtures/select/taskemb.safetensors: the heads ("classification.*",
"regression.*"), the labels and the expected F ("*.fisher", [L+1, H] float64).

    /usr/bin/python3 scripts/oracles/select/taskemb_oracle.py
"""

import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "oracles", "encoders"))
import make_fixtures as mf  # noqa: E402
import reference_encoder as ref  # noqa: E402

MODEL = os.path.join(ROOT, "tests", "fixtures", "model", "bert")
OUT = os.path.join(ROOT, "tests", "fixtures", "select", "taskemb.safetensors")


def fisher(params, config, inputs, classifier_w, classifier_b, labels, regression):
    layers = config["num_hidden_layers"] + 1
    total = torch.zeros(layers, config["hidden_size"], dtype=torch.float64)
    w = torch.as_tensor(classifier_w, dtype=torch.float64)
    b = torch.as_tensor(classifier_b, dtype=torch.float64)
    rows = len(inputs["input_ids"])
    for i in range(rows):
        real = sum(inputs["attention_mask"][i])
        ids = [inputs["input_ids"][i][:real]]
        types = [inputs["token_type_ids"][i][:real]]
        out = ref.forward(params, config, ids, [[1] * real], types, dtype=torch.float64)
        logits = out["pooler_output"] @ w.T + b
        if regression:
            loss = 0.5 * (logits[0, 0] - labels[i]) ** 2
        else:
            loss = -torch.log_softmax(logits, dim=1)[0, labels[i]]
        grads = torch.autograd.grad(loss, out["hidden_list"])
        for l, g in enumerate(grads):
            total[l] += (g[0] ** 2).sum(0) / real
    return (total / rows).numpy()


def main():
    with open(os.path.join(MODEL, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(MODEL, "inputs.json")) as f:
        inputs = json.load(f)
    # Weights that require gradients put every hidden state in the autograd graph.
    params = {k: torch.as_tensor(v).requires_grad_(torch.as_tensor(v).is_floating_point())
              for k, v in mf.read_safetensors(os.path.join(MODEL, "model.safetensors")).items()}
    rows = len(inputs["input_ids"])
    hidden = config["hidden_size"]
    rng = np.random.default_rng(7)
    tensors = {}
    for task, outputs in (("classification", 3), ("regression", 1)):
        w = rng.normal(0, 0.5, (outputs, hidden)).astype(np.float32)
        b = rng.normal(0, 0.1, (outputs,)).astype(np.float32)
        if task == "classification":
            labels = np.array([2, 0, 1][:rows], dtype=np.int64)
        else:
            labels = rng.normal(0, 1, (rows,)).astype(np.float32)
        f = fisher(params, config, inputs, w.astype(np.float64), b.astype(np.float64), labels.tolist(),
                   task == "regression")
        tensors.update({f"{task}.classifier.weight": w, f"{task}.classifier.bias": b, f"{task}.labels": labels,
                        f"{task}.fisher": f})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    mf.write_safetensors(OUT, tensors, {"generator": "scripts/oracles/select/taskemb_oracle.py"})
    print(f"{OUT}: Fisher diagonals of {rows} examples, {config['num_hidden_layers'] + 1} hidden states", file=sys.stderr)


if __name__ == "__main__":
    main()
