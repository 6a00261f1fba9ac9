"""The reference ESM-LogME pipeline, per source: apply the ESM with numpy (float32, as the
reference code applies its torch linear layer), then the widely used numpy LogME
(bench/logme_numpy.py) on the mapped features. Nothing is shared between sources.
Times it on the targets n1000_d768_c2 and n10000_d768_c2 of make_logme_data.py for every
ESM file in ESM_DIR and prints one JSON object per line.
Usage: /usr/bin/python3 bench/esm_numpy.py DATA_DIR ESM_DIR REPEATS"""
import json
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from logme_numpy import logme  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32"
        begin, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=np.float32).reshape(e["shape"])
    return out


def score(x, y, esm):
    mapped = x @ esm["weight"].T + esm["bias"]
    return logme(mapped, y)


def main(data, esm_dir, repeats):
    files = sorted(f for f in os.listdir(esm_dir) if f.endswith(".safetensors"))
    esms = [read_safetensors(os.path.join(esm_dir, f)) for f in files]
    for name in ["n1000_d768_c2", "n10000_d768_c2"]:
        x = np.load(os.path.join(data, name + "_features.npy"))
        y = np.load(os.path.join(data, name + "_labels.npy"))
        scores = [score(x, y, e) for e in esms]  # warm-up, and the values
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            score(x, y, esms[0])
            times.append(time.perf_counter() - start)
        print(json.dumps({"case": name, "source_seconds": float(np.median(times)), "scores": scores}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
