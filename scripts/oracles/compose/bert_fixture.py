"""What the composition oracles share: the BERT fixture (tests/fixtures/model/bert) with its
inputs.json batch, its embeddings and the flex head, in float64 (through reference_encoder)."""

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


def load():
    """(config, inputs, base parameters in float64 under the encoder's bare names)."""
    with open(os.path.join(MODEL, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(MODEL, "inputs.json")) as f:
        inputs = json.load(f)
    base = {k: torch.as_tensor(v).to(torch.float64)
            for k, v in ref.strip_prefix(mf.read_safetensors(os.path.join(MODEL, "model.safetensors")), "bert").items()}
    return config, inputs, base


def embed(p, config, inputs):
    """(the embeddings' output x [B, S, D], the attention mask [B, S])."""
    ids = torch.as_tensor(inputs["input_ids"])
    mask = torch.as_tensor(inputs["attention_mask"])
    types = torch.as_tensor(inputs["token_type_ids"])
    B, S = ids.shape
    pos = torch.arange(S)[None, :].expand(B, S)
    x = (p["embeddings.word_embeddings.weight"][ids] + p["embeddings.token_type_embeddings.weight"][types]
         + p["embeddings.position_embeddings.weight"][pos])
    return ref._ln(x, p, "embeddings.LayerNorm", config["layer_norm_eps"], config["hidden_size"]), mask


def flex_head(p, x):
    """The flex head (RoBERTa style) on the first token: out_proj(tanh(dense(h[:, 0])))."""
    return ref._linear(torch.tanh(ref._linear(x[:, 0], p, "classifier.dense")), p, "classifier.out_proj")


def record_case(out, case, tensors, trained, logits, loss):
    """Adds to `out` the case's float32 tensors ("<case>/<tensor>"), its logits and loss, and
    the gradient of the loss for every trained tensor ("<case>/grad/<tensor>"), in float64."""
    names = sorted(trained)
    grads = torch.autograd.grad(loss, [trained[n] for n in names])
    for n, v in tensors.items():
        out[f"{case}/{n}"] = v
    out[f"{case}/logits"] = logits.detach().numpy()
    out[f"{case}/loss"] = np.array([loss.item()])
    for n, g in zip(names, grads):
        out[f"{case}/grad/{n}"] = g.numpy()
