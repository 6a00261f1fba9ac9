#!/usr/bin/python3
"""Generate the encoder fixtures in tests/fixtures/model/ (deterministic, rerunnable).

Usage (Debian's interpreter, which has python3-torch and numpy; no transformers needed):

    /usr/bin/python3 scripts/oracles/encoders/make_fixtures.py [--out tests/fixtures/model]

For every fixture it writes a small Hugging Face model folder with seeded random float32
weights under the exact parameter names Hugging Face saves, plus the inputs and the outputs
of the independent reference forward (reference_encoder.py):

  <name>/config.json            real HF config (architectures, model_type, sizes, eps, pad id)
  <name>/model.safetensors      weights (bert_sharded: model-0000{1,2}-of-00002.safetensors
                                + model.safetensors.index.json instead)
  <name>/inputs.json            {"input_ids", "attention_mask", "token_type_ids"}: 3 rows
                                padded to 12 with the pad id (row 0 is a sentence pair)
  <name>/expected.safetensors   float32 tensors
                                  last_hidden_state [3,12,32]
                                  hidden_states     [L+1,3,12,32] (embeddings, then each layer)
                                  pooler_output     [3,32] (not for distilbert)
                                  cls               [3,32]  last layer, position 0
                                  mean              [3,32]  last layer, mean over mask==1

Fixtures (hidden 32, 2 layers, 4 heads, intermediate 64, vocab 120, max positions 64):
  bert          BertModel, bare names (embeddings..., encoder.layer.N..., pooler...)
  bert_prefixed the same weights saved as BertForSequenceClassification: `bert.` prefix plus
                classifier.weight [2,32] / classifier.bias [2]; same expected outputs. Like
                checkpoints saved by transformers < 4.31 it also holds the int64 buffer
                bert.embeddings.position_ids [1,64] (= 0..63), which a loader must ignore
  bert_sharded  the same weights as bert split over two shards with an index; same outputs
  roberta       RobertaModel, bare names, pad 1, type_vocab_size 1, layer_norm_eps 1e-5,
                position ids from the input ids (cumsum of non-pad + pad)
  xlmr          model_type xlm-roberta saved as XLMRobertaForMaskedLM like the public
                xlm-roberta-base checkpoint: `roberta.` prefix, roberta.pooler.* present,
                plus lm_head.dense/layer_norm/bias (lm_head.decoder.weight tied, not saved)
  distilbert    saved as DistilBertForMaskedLM like distilbert-base-uncased: `distilbert.`
                prefix (distilbert.embeddings..., distilbert.transformer.layer.N.attention.q_lin,
                sa_layer_norm, ffn.lin1/lin2, output_layer_norm), vocab_transform,
                vocab_layer_norm, vocab_projector.bias (vocab_projector.weight tied, not
                saved); no pooler; token_type_ids in inputs.json are zeros and unused

Expected outputs are computed in float64 from the float32 weights and stored as float32;
the script also runs the reference in float32 and checks each block against
torch.nn.TransformerEncoderLayer (an independent implementation of a post-LN block).
Weight scale: embeddings N(0, 0.5), linear weights N(0, (1.5/sqrt(fan_in))^2) so attention
is neither uniform nor one-hot, biases N(0, 0.1), LayerNorm weights 1 + N(0, 0.1).

safetensors is written and read by the small helpers below (the package is not installed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_encoder as ref  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

V, H, L, NH, FF, P = 120, 32, 2, 4, 64, 64
SEQ = 12

_DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
_DT_NAME = {np.dtype(v): k for k, v in _DT.items()}


# ---------------------------------------------------------------- safetensors I/O
def write_safetensors(path: str, tensors: dict, metadata: dict | None = None) -> int:
    """Writes {name: array}; returns the data size in bytes. Tensors laid out in name order."""
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        a = np.ascontiguousarray(np.asarray(tensors[name]))
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        b = a.tobytes()
        header[name] = {"dtype": _DT_NAME[np.dtype(a.dtype.str.replace(">", "<"))],
                        "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return off


def read_safetensors(path: str) -> dict:
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        a = np.frombuffer(data[8 + n + s:8 + n + e], dtype=np.dtype(_DT[info["dtype"]]).newbyteorder("<"))
        out[name] = a.reshape(info["shape"]).copy()
    return out


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- weights
class Rng:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, shape, std, mean=0.0):
        return (torch.randn(*shape, generator=self.g, dtype=torch.float32) * std + mean)


def linear(r, out, inp, name, d):
    d[name + ".weight"] = r.normal((out, inp), 1.5 / math.sqrt(inp))
    d[name + ".bias"] = r.normal((out,), 0.1)


def layernorm(r, n, name, d):
    d[name + ".weight"] = r.normal((n,), 0.1, 1.0)
    d[name + ".bias"] = r.normal((n,), 0.1)


def bert_like_weights(seed, type_vocab):
    r, d = Rng(seed), {}
    d["embeddings.word_embeddings.weight"] = r.normal((V, H), 0.5)
    d["embeddings.position_embeddings.weight"] = r.normal((P, H), 0.5)
    d["embeddings.token_type_embeddings.weight"] = r.normal((type_vocab, H), 0.5)
    layernorm(r, H, "embeddings.LayerNorm", d)
    for i in range(L):
        p = f"encoder.layer.{i}."
        for q in ("query", "key", "value"):
            linear(r, H, H, p + "attention.self." + q, d)
        linear(r, H, H, p + "attention.output.dense", d)
        layernorm(r, H, p + "attention.output.LayerNorm", d)
        linear(r, FF, H, p + "intermediate.dense", d)
        linear(r, H, FF, p + "output.dense", d)
        layernorm(r, H, p + "output.LayerNorm", d)
    linear(r, H, H, "pooler.dense", d)
    return d


def distilbert_weights(seed):
    r, d = Rng(seed), {}
    d["embeddings.word_embeddings.weight"] = r.normal((V, H), 0.5)
    d["embeddings.position_embeddings.weight"] = r.normal((P, H), 0.5)
    layernorm(r, H, "embeddings.LayerNorm", d)
    for i in range(L):
        p = f"transformer.layer.{i}."
        for q in ("q_lin", "k_lin", "v_lin", "out_lin"):
            linear(r, H, H, p + "attention." + q, d)
        layernorm(r, H, p + "sa_layer_norm", d)
        linear(r, FF, H, p + "ffn.lin1", d)
        linear(r, H, FF, p + "ffn.lin2", d)
        layernorm(r, H, p + "output_layer_norm", d)
    return d


# ---------------------------------------------------------------- configs
def bert_config(arch, extra=None):
    c = {
        "architectures": [arch],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": H,
        "initializer_range": 0.02,
        "intermediate_size": FF,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": P,
        "model_type": "bert",
        "num_attention_heads": NH,
        "num_hidden_layers": L,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "transformers_version": "4.36.2",
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": V,
    }
    c.update(extra or {})
    return dict(sorted(c.items()))


def roberta_config(arch, model_type):
    c = bert_config(arch, {
        "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "layer_norm_eps": 1e-05,
        "type_vocab_size": 1, "model_type": model_type,
    })
    return c


def distilbert_config():
    return {
        "activation": "gelu",
        "architectures": ["DistilBertForMaskedLM"],
        "attention_dropout": 0.1,
        "dim": H,
        "dropout": 0.1,
        "hidden_dim": FF,
        "initializer_range": 0.02,
        "max_position_embeddings": P,
        "model_type": "distilbert",
        "n_heads": NH,
        "n_layers": L,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_weights_": True,
        "torch_dtype": "float32",
        "transformers_version": "4.36.2",
        "vocab_size": V,
    }


# ---------------------------------------------------------------- inputs
def pad_rows(rows, types, pad):
    ids, mask, tt = [], [], []
    for r, t in zip(rows, types):
        n = len(r)
        assert n <= SEQ
        ids.append(r + [pad] * (SEQ - n))
        mask.append([1] * n + [0] * (SEQ - n))
        tt.append(t + [0] * (SEQ - n))
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}


def bert_inputs():
    # [CLS]=101 [SEP]=102 [PAD]=0; row 0 is a pair "A [SEP] B [SEP]" with type ids 1 on B
    a, b = [7, 23, 56, 99], [14, 88, 5]
    r0 = [101] + a + [102] + b + [102]
    t0 = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    r1 = [101, 31, 42, 53, 64, 75, 86, 97, 108, 119, 3, 102]  # full length, no padding
    r2 = [101, 100, 102]  # [UNK]
    return pad_rows([r0, r1, r2], [t0, [0] * len(r1), [0] * len(r2)], 0)


def roberta_inputs():
    # <s>=0 <pad>=1 </s>=2; row 0 is a pair "<s> A </s></s> B </s>" (type ids all 0)
    a, b = [17, 45, 103], [9, 61]
    r0 = [0] + a + [2, 2] + b + [2]
    r1 = [0, 11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 2]
    r2 = [0, 3, 119, 2]  # <unk>
    rows = [r0, r1, r2]
    return pad_rows(rows, [[0] * len(r) for r in rows], 1)


def distilbert_inputs():
    x = bert_inputs()
    x["token_type_ids"] = [[0] * SEQ for _ in range(3)]
    return x


# ---------------------------------------------------------------- checks
def check_with_torch_nn(params, config, inputs, out):
    """Recompute every block with torch.nn.TransformerEncoderLayer (post-LN, exact gelu)."""
    fam = ref.family(config["model_type"])
    p = ref.strip_prefix(params, config["model_type"])
    hs = out["hidden_states"].to(torch.float64)
    keypad = torch.tensor(inputs["attention_mask"]) == 0
    worst = 0.0
    for i in range(hs.shape[0] - 1):
        eps = 1e-12 if fam == "distilbert" else config["layer_norm_eps"]
        layer = torch.nn.TransformerEncoderLayer(H, NH, FF, dropout=0.0, activation="gelu",
                                                 layer_norm_eps=eps, batch_first=True).double()
        if fam == "distilbert":
            b = f"transformer.layer.{i}."
            names = dict(q=b + "attention.q_lin", k=b + "attention.k_lin", v=b + "attention.v_lin",
                         o=b + "attention.out_lin", n1=b + "sa_layer_norm", f1=b + "ffn.lin1",
                         f2=b + "ffn.lin2", n2=b + "output_layer_norm")
        else:
            b = f"encoder.layer.{i}."
            names = dict(q=b + "attention.self.query", k=b + "attention.self.key",
                         v=b + "attention.self.value", o=b + "attention.output.dense",
                         n1=b + "attention.output.LayerNorm", f1=b + "intermediate.dense",
                         f2=b + "output.dense", n2=b + "output.LayerNorm")
        g = lambda n: p[n].to(torch.float64)  # noqa: E731
        sd = {
            "self_attn.in_proj_weight": torch.cat([g(names[c] + ".weight") for c in "qkv"]),
            "self_attn.in_proj_bias": torch.cat([g(names[c] + ".bias") for c in "qkv"]),
            "self_attn.out_proj.weight": g(names["o"] + ".weight"),
            "self_attn.out_proj.bias": g(names["o"] + ".bias"),
            "linear1.weight": g(names["f1"] + ".weight"), "linear1.bias": g(names["f1"] + ".bias"),
            "linear2.weight": g(names["f2"] + ".weight"), "linear2.bias": g(names["f2"] + ".bias"),
            "norm1.weight": g(names["n1"] + ".weight"), "norm1.bias": g(names["n1"] + ".bias"),
            "norm2.weight": g(names["n2"] + ".weight"), "norm2.bias": g(names["n2"] + ".bias"),
        }
        layer.load_state_dict(sd)
        layer.train()  # keeps torch off its fused fast path (dropout is 0, so train == eval)
        y = layer(hs[i], src_key_padding_mask=keypad)
        worst = max(worst, (y - hs[i + 1]).abs().max().item())
    return worst


def check_embeddings_by_hand(params, config, inputs, out):
    """Row-by-row embedding sum + LayerNorm in numpy, positions written out explicitly."""
    fam = ref.family(config["model_type"])
    p = {k: v.numpy().astype(np.float64) for k, v in ref.strip_prefix(params, config["model_type"]).items()}
    eps = 1e-12 if fam == "distilbert" else config["layer_norm_eps"]
    worst = 0.0
    for r, (ids, tts) in enumerate(zip(inputs["input_ids"], inputs["token_type_ids"])):
        nonpad = 0
        for s, (t, tt) in enumerate(zip(ids, tts)):
            if fam == "roberta":
                pad = config["pad_token_id"]
                if t == pad:
                    pos = pad
                else:
                    nonpad += 1
                    pos = pad + nonpad
            else:
                pos = s
            e = p["embeddings.word_embeddings.weight"][t] + p["embeddings.position_embeddings.weight"][pos]
            if fam != "distilbert":
                e = e + p["embeddings.token_type_embeddings.weight"][tt]
            mu, var = e.mean(), e.var()
            e = (e - mu) / np.sqrt(var + eps) * p["embeddings.LayerNorm.weight"] + p["embeddings.LayerNorm.bias"]
            worst = max(worst, np.abs(e - out["hidden_states"][0, r, s].double().numpy()).max())
    return worst


# ---------------------------------------------------------------- main
def run(params, config, inputs):
    tt = inputs["token_type_ids"]
    o64 = ref.forward(params, config, inputs["input_ids"], inputs["attention_mask"], tt, dtype=torch.float64)
    o32 = ref.forward(params, config, inputs["input_ids"], inputs["attention_mask"], tt, dtype=torch.float32)
    d32 = max((o64[k] - o32[k].double()).abs().max().item() for k in o64 if o64[k] is not None)
    return o64, d32


def expected_tensors(o):
    return {k: v.to(torch.float32).numpy() for k, v in o.items() if v is not None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "model"))
    args = ap.parse_args()
    torch.set_num_threads(1)

    bert_w = bert_like_weights(1001, 2)
    rob_w = bert_like_weights(2002, 1)
    xlmr_w = bert_like_weights(3003, 1)
    dist_w = distilbert_weights(4004)

    # heads saved by the task models (ignored by the base-model loader)
    r = Rng(5005)
    cls_head = {"classifier.weight": r.normal((2, H), 1.5 / math.sqrt(H)), "classifier.bias": r.normal((2,), 0.1)}
    xlmr_head = {"lm_head.dense.weight": r.normal((H, H), 1.5 / math.sqrt(H)), "lm_head.dense.bias": r.normal((H,), 0.1),
                 "lm_head.layer_norm.weight": r.normal((H,), 0.1, 1.0), "lm_head.layer_norm.bias": r.normal((H,), 0.1),
                 "lm_head.bias": r.normal((V,), 0.1)}
    dist_head = {"vocab_transform.weight": r.normal((H, H), 1.5 / math.sqrt(H)), "vocab_transform.bias": r.normal((H,), 0.1),
                 "vocab_layer_norm.weight": r.normal((H,), 0.1, 1.0), "vocab_layer_norm.bias": r.normal((H,), 0.1),
                 "vocab_projector.bias": r.normal((V,), 0.1)}

    # transformers < 4.31 also saved the position-id buffer (int64 [1, max_positions])
    legacy_pos_ids = {"bert.embeddings.position_ids": torch.arange(P, dtype=torch.int64)[None, :]}

    def pre(prefix, d):
        return {prefix + k: v for k, v in d.items()}

    seq_cls_extra = {"id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "label2id": {"LABEL_0": 0, "LABEL_1": 1},
                     "problem_type": "single_label_classification"}
    fixtures = [
        ("bert", bert_config("BertModel"), bert_w, bert_inputs()),
        ("bert_prefixed", bert_config("BertForSequenceClassification", {**seq_cls_extra, "transformers_version": "4.30.2"}),
         {**pre("bert.", bert_w), **cls_head, **legacy_pos_ids}, bert_inputs()),
        ("bert_sharded", bert_config("BertModel"), bert_w, bert_inputs()),
        ("roberta", roberta_config("RobertaModel", "roberta"), rob_w, roberta_inputs()),
        ("xlmr", roberta_config("XLMRobertaForMaskedLM", "xlm-roberta"), {**pre("roberta.", xlmr_w), **xlmr_head},
         roberta_inputs()),
        ("distilbert", distilbert_config(), {**pre("distilbert.", dist_w), **dist_head}, distilbert_inputs()),
    ]

    meta = {"format": "pt"}
    for name, config, params, inputs in fixtures:
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):  # rerunnable: drop files this script may have written before
            if f.startswith("model") and (f.endswith(".safetensors") or f.endswith(".json")):
                os.remove(os.path.join(d, f))
        write_json(os.path.join(d, "config.json"), config)
        np_params = {k: v.numpy() for k, v in params.items()}
        if name == "bert_sharded":
            first = {k: v for k, v in np_params.items() if k.startswith("embeddings.") or k.startswith("encoder.layer.0.")}
            second = {k: v for k, v in np_params.items() if k not in first}
            files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
            total = write_safetensors(os.path.join(d, files[0]), first, meta)
            total += write_safetensors(os.path.join(d, files[1]), second, meta)
            wm = {k: files[0] for k in first}
            wm.update({k: files[1] for k in second})
            write_json(os.path.join(d, "model.safetensors.index.json"),
                       {"metadata": {"total_size": total}, "weight_map": dict(sorted(wm.items()))})
            loaded = {}
            for f in files:
                loaded.update(read_safetensors(os.path.join(d, f)))
        else:
            write_safetensors(os.path.join(d, "model.safetensors"), np_params, meta)
            loaded = read_safetensors(os.path.join(d, "model.safetensors"))
        assert loaded.keys() == np_params.keys()
        assert all(np.array_equal(loaded[k], np_params[k]) for k in loaded)
        write_json(os.path.join(d, "inputs.json"), inputs)

        # the outputs come from the weights as read back from disk
        tparams = {k: torch.from_numpy(v) for k, v in loaded.items()}
        o64, d32 = run(tparams, config, inputs)
        exp = expected_tensors(o64)
        write_safetensors(os.path.join(d, "expected.safetensors"), exp)
        back = read_safetensors(os.path.join(d, "expected.safetensors"))
        assert all(np.array_equal(back[k], exp[k]) for k in exp)
        nn_diff = check_with_torch_nn(tparams, config, inputs, o64)
        emb_diff = check_embeddings_by_hand(tparams, config, inputs, o64)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        h = o64["last_hidden_state"]
        print(f"{name:14s} {size/1024:6.1f} KiB  f32-vs-f64 {d32:.2e}  torch.nn-block {nn_diff:.2e}  "
              f"embeddings-by-hand {emb_diff:.2e}  |h| mean {h.abs().mean():.3f}  "
              f"outputs {sorted(exp)}")
        assert d32 < 1e-5 and nn_diff < 1e-9 and emb_diff < 1e-9, name
        assert size < 200 * 1024, name


if __name__ == "__main__":
    main()
