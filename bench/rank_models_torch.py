#!/usr/bin/python3
"""The rank-models benchmark, python3-torch side: each model of the zoo embeds the same
token ids (from `bench_encoder ids`, truncated to 128 as rank-models --max-length 128 does)
with the plain-torch reference BERT forward (scripts/oracles/encoders/reference_encoder.py,
no transformers), mean pooling of the last layer, batches of 32 in file order, under
torch.inference_mode(). Per model: load (safetensors → tensors) plus embedding, timed.
Prints one JSON object per model, then the mean-pooled embeddings' max deviation from
taskscout's when TASKSCOUT_EMBEDDINGS (a .safetensors from `taskscout embed`) is given.

    /usr/bin/python3 bench/rank_models_torch.py IDS_FILE THREADS MODEL_DIR...
"""

from __future__ import annotations

import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "oracles", "encoders"))
import make_fixtures as mf  # noqa: E402
import reference_encoder as ref  # noqa: E402


def embed(d, rows):
    cfg = json.load(open(os.path.join(d, "config.json")))
    params = {k: torch.from_numpy(v) for k, v in mf.read_safetensors(os.path.join(d, "model.safetensors")).items()}
    out = []
    with torch.inference_mode():
        for i in range(0, len(rows), 32):
            batch = rows[i:i + 32]
            n = max(len(r) for r in batch)
            ids = torch.zeros((len(batch), n), dtype=torch.long)
            mask = torch.zeros_like(ids)
            for j, r in enumerate(batch):
                ids[j, :len(r)] = torch.tensor(r)
                mask[j, :len(r)] = 1
            out.append(ref.forward(params, cfg, ids, mask, torch.zeros_like(ids))["mean"])
    return torch.cat(out)


def main():
    rows = [json.loads(line) for line in open(sys.argv[1])]
    torch.set_num_threads(int(sys.argv[2]))
    for d in sys.argv[3:]:
        t0 = time.perf_counter()
        e = embed(d, rows)
        s = time.perf_counter() - t0
        rec = {"impl": "torch", "model": os.path.basename(os.path.normpath(d)), "texts": e.shape[0], "seconds": s,
               "threads": torch.get_num_threads()}
        ts = os.environ.get("TASKSCOUT_EMBEDDINGS")
        if ts and d == sys.argv[3]:
            theirs = torch.from_numpy(mf.read_safetensors(ts)["embeddings"]).float()
            rec["max_abs_diff_vs_taskscout"] = float((theirs - e).abs().max())
        print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
