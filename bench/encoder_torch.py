#!/usr/bin/python3
"""The encoder benchmark, python3-torch side: the reference forward of
scripts/oracles/encoders/reference_encoder.py in eager mode, inside torch.inference_mode().
Prints one JSON object per line (see bench/run_encoder.sh).

    /usr/bin/python3 bench/encoder_torch.py fixed MODEL_DIR BATCH SEQ REPEATS THREADS
        the same seeded-random-id [BATCH, SEQ] batch shape as bench_encoder; one warm-up,
        then the median of REPEATS runs
    /usr/bin/python3 bench/encoder_torch.py text MODEL_DIR IDS_FILE THREADS
        token ids in file order (one JSON array a line, from `bench_encoder ids`), batches of
        32 in file order padded to their longest member (as a DataLoader with a padding
        collate does), CLS row kept; timed once; peak RSS
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts", "oracles", "encoders"))
import make_fixtures as mf  # noqa: E402
import reference_encoder as ref  # noqa: E402


def load(d):
    cfg = json.load(open(os.path.join(d, "config.json")))
    params = {k: torch.from_numpy(v) for k, v in mf.read_safetensors(os.path.join(d, "model.safetensors")).items()}
    return cfg, params


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    mode, d = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[-1]))
    cfg, params = load(d)
    name = os.path.basename(os.path.normpath(d))
    if mode == "fixed":
        b, s, repeats = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(1000, cfg["vocab_size"], (b, s), generator=g)
        mask, types = torch.ones_like(ids), torch.zeros_like(ids)
        with torch.inference_mode():
            ref.forward(params, cfg, ids, mask, types)  # warm-up
            t = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                ref.forward(params, cfg, ids, mask, types)
                t.append(time.perf_counter() - t0)
        print(json.dumps({"impl": "torch", "mode": "fixed", "model": name, "batch": b, "seq": s, "seconds": t,
                          "median_seconds": statistics.median(t), "peak_rss_mib": rss_mib(),
                          "threads": torch.get_num_threads()}))
    elif mode == "text":
        rows = [json.loads(line) for line in open(sys.argv[3])]
        tokens = padded = 0
        out = []
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(rows), 32):
                batch = rows[i:i + 32]
                n = max(len(r) for r in batch)
                ids = torch.zeros((len(batch), n), dtype=torch.long)
                mask = torch.zeros_like(ids)
                for j, r in enumerate(batch):
                    ids[j, :len(r)] = torch.tensor(r)
                    mask[j, :len(r)] = 1
                out.append(ref.forward(params, cfg, ids, mask, torch.zeros_like(ids))["cls"])
                tokens += sum(len(r) for r in batch)
                padded += ids.numel()
            emb = torch.cat(out)
        s = time.perf_counter() - t0
        print(json.dumps({"impl": "torch", "mode": "text", "model": name, "data": sys.argv[3], "texts": emb.shape[0],
                          "tokens": tokens, "padded_tokens": padded, "seconds": s, "peak_rss_mib": rss_mib(),
                          "threads": torch.get_num_threads()}))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
