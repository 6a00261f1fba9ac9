"""Writes the LogME benchmark cases: class-structured float32 features and int64 labels.
Usage: /usr/bin/python3 bench/make_logme_data.py OUT_DIR"""
import os
import sys

import numpy as np

CASES = [(1000, 768, 2), (10000, 768, 2), (50000, 768, 4)]


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    for n, d, c in CASES:
        name = f"n{n}_d{d}_c{c}"
        labels = rng.integers(0, c, size=n).astype(np.int64)
        means = rng.standard_normal((c, d))
        # Features with a low-rank class signal and a decaying spectrum, like embeddings.
        scales = 1.0 / np.sqrt(1.0 + np.arange(d))
        features = (means[labels] * 0.5 + rng.standard_normal((n, d)) * scales).astype(np.float32)
        np.save(os.path.join(out, name + "_features.npy"), features)
        np.save(os.path.join(out, name + "_labels.npy"), labels)


if __name__ == "__main__":
    main(sys.argv[1])
