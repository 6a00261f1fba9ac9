"""Independent reference forward pass for the BERT-family encoders taskscout supports.

Written from the semantics of the Hugging Face modeling code (BertModel, RobertaModel,
XLMRobertaModel, DistilBertModel), in plain torch, as a function of a name -> tensor
parameter map, so that it needs neither `transformers` nor `safetensors`.

Run with Debian's interpreter: /usr/bin/python3 (python3-torch, python3-numpy).

Semantics reproduced (inference mode: every dropout is the identity):

* BERT embeddings: word[input_ids] + token_type[token_type_ids] + position[0..S-1],
  then LayerNorm(eps = config.layer_norm_eps).
* RoBERTa / XLM-R embeddings: as BERT, but the position ids come from the input ids:
  pos = cumsum(input_ids != pad, dim=1) * (input_ids != pad) + pad, pad = config.pad_token_id
  (so padding tokens get position `pad`, real tokens pad+1, pad+2, ...). type_vocab_size is 1,
  so the token type ids are all 0.
* DistilBERT embeddings: word + position[0..S-1], LayerNorm with eps fixed at 1e-12
  (DistilBERT ignores any layer_norm_eps), no token types.
* Self-attention: scores = (x Wq^T + bq)(x Wk^T + bk)^T / sqrt(head_dim) plus the additive
  mask (1 - mask) * finfo(dtype).min on the key axis (BERT/RoBERTa); DistilBERT uses
  masked_fill(mask == 0, finfo.min) instead, which gives the same softmax whenever a row has
  at least one real key. softmax over keys, context = P V, heads concatenated.
* Post-LN blocks: a = LN(x + Wo ctx + bo); h = LN(a + W2 gelu(W1 a + b1) + b2), GELU exact (erf).
* Pooler (BERT, RoBERTa, XLM-R; not DistilBERT): tanh(W_p h[:, 0] + b_p).
* Padded positions are computed too (they still attend to the real tokens), as HF does.

Parameter names are the bare base-model names (embeddings..., encoder.layer.N..., pooler...
for BERT/RoBERTa; embeddings..., transformer.layer.N... for DistilBERT). `strip_prefix`
removes a `bert.` / `roberta.` / `distilbert.` prefix and drops head parameters, as
from_pretrained does when loading a *ForSequenceClassification / *ForMaskedLM checkpoint
into the bare model.
"""

from __future__ import annotations

import math

import torch

BASE_PREFIX = {"bert": "bert.", "roberta": "roberta.", "xlm-roberta": "roberta.", "distilbert": "distilbert."}


def family(model_type: str) -> str:
    if model_type == "bert":
        return "bert"
    if model_type in ("roberta", "xlm-roberta"):
        return "roberta"
    if model_type == "distilbert":
        return "distilbert"
    raise ValueError(f"unsupported model_type {model_type!r}")


def strip_prefix(params: dict, model_type: str) -> dict:
    """Bare base-model parameters from a checkpoint saved with or without the base prefix."""
    prefix = BASE_PREFIX[model_type]
    if any(k.startswith(prefix) for k in params):
        return {k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)}
    return dict(params)


def _linear(x, p, name):
    return torch.nn.functional.linear(x, p[name + ".weight"], p[name + ".bias"])


def _ln(x, p, name, eps, width):
    return torch.nn.functional.layer_norm(x, (width,), p[name + ".weight"], p[name + ".bias"], eps)


def _gelu(x):
    # exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), written out (not F.gelu) to stay independent
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _act(name):
    if name != "gelu":
        raise ValueError(f"only hidden_act 'gelu' is implemented, got {name!r}")
    return _gelu


def roberta_position_ids(input_ids, pad):
    mask = (input_ids != pad).long()
    return torch.cumsum(mask, dim=1) * mask + pad


def _attention(x, mask, n_heads, q, k, v):
    B, S, H = x.shape
    d = H // n_heads

    def heads(t):
        return t.view(B, S, n_heads, d).transpose(1, 2)

    qh, kh, vh = heads(q), heads(k), heads(v)
    scores = torch.matmul(qh, kh.transpose(-1, -2)) / math.sqrt(d)
    scores = scores + ((1.0 - mask.to(x.dtype)) * torch.finfo(x.dtype).min)[:, None, None, :]
    probs = torch.softmax(scores, dim=-1)
    ctx = torch.matmul(probs, vh)
    return ctx.transpose(1, 2).reshape(B, S, H)


def forward(params: dict, config: dict, input_ids, attention_mask, token_type_ids=None, dtype=torch.float32):
    """Returns dict(last_hidden_state, hidden_states [L+1,B,S,H], hidden_list (the same L+1
    tensors as computed, for autograd), pooler_output or None, cls, mean).

    params: bare names (see strip_prefix); tensors are cast to `dtype` (float64 gives a
    higher-precision truth for float32 weights).
    """
    mt = config["model_type"]
    fam = family(mt)
    p = {k: v.to(dtype) for k, v in strip_prefix(params, mt).items()}
    input_ids = torch.as_tensor(input_ids, dtype=torch.long)
    mask = torch.as_tensor(attention_mask, dtype=torch.long)
    B, S = input_ids.shape
    width = config["dim"] if fam == "distilbert" else config["hidden_size"]  # a Python int (ONNX tracing)

    if fam == "distilbert":
        n_layers, n_heads = config["n_layers"], config["n_heads"]
        eps = 1e-12
        act = _act(config.get("activation", "gelu"))
        if config.get("sinusoidal_pos_embds", False):
            raise ValueError("sinusoidal_pos_embds is not used by the fixtures")
        pos = torch.arange(S)[None, :].expand(B, S)
        x = p["embeddings.word_embeddings.weight"][input_ids] + p["embeddings.position_embeddings.weight"][pos]
        x = _ln(x, p, "embeddings.LayerNorm", eps, width)
    else:
        n_layers, n_heads = config["num_hidden_layers"], config["num_attention_heads"]
        eps = config["layer_norm_eps"]
        act = _act(config.get("hidden_act", "gelu"))
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings")
        if token_type_ids is None:
            tt = torch.zeros_like(input_ids)
        else:
            tt = torch.as_tensor(token_type_ids, dtype=torch.long)
        if fam == "roberta":
            pos = roberta_position_ids(input_ids, config["pad_token_id"])
        else:
            pos = torch.arange(S)[None, :].expand(B, S)
        x = p["embeddings.word_embeddings.weight"][input_ids]
        x = x + p["embeddings.token_type_embeddings.weight"][tt]
        x = x + p["embeddings.position_embeddings.weight"][pos]
        x = _ln(x, p, "embeddings.LayerNorm", eps, width)

    hidden = [x]
    for i in range(n_layers):
        if fam == "distilbert":
            L = f"transformer.layer.{i}."
            ctx = _attention(x, mask, n_heads, _linear(x, p, L + "attention.q_lin"),
                             _linear(x, p, L + "attention.k_lin"), _linear(x, p, L + "attention.v_lin"))
            a = _ln(_linear(ctx, p, L + "attention.out_lin") + x, p, L + "sa_layer_norm", eps, width)
            f = _linear(act(_linear(a, p, L + "ffn.lin1")), p, L + "ffn.lin2")
            x = _ln(f + a, p, L + "output_layer_norm", eps, width)
        else:
            L = f"encoder.layer.{i}."
            ctx = _attention(x, mask, n_heads, _linear(x, p, L + "attention.self.query"),
                             _linear(x, p, L + "attention.self.key"), _linear(x, p, L + "attention.self.value"))
            a = _ln(_linear(ctx, p, L + "attention.output.dense") + x, p, L + "attention.output.LayerNorm", eps, width)
            f = _linear(act(_linear(a, p, L + "intermediate.dense")), p, L + "output.dense")
            x = _ln(f + a, p, L + "output.LayerNorm", eps, width)
        hidden.append(x)

    out = {"last_hidden_state": x, "hidden_states": torch.stack(hidden), "hidden_list": hidden}
    out["pooler_output"] = torch.tanh(_linear(x[:, 0], p, "pooler.dense")) if "pooler.dense.weight" in p else None
    out["cls"] = x[:, 0]
    m = mask.to(dtype)[:, :, None]
    out["mean"] = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return out
