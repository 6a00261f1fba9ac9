"""The widely used numpy formulation of LogME (You et al. 2021, the reference code's
fixed-point version): SVD of FᵀF, then the per-class MacKay fixed point in Python.
It drops −(D−k)/2·log α when N < D; the benchmark cases all have N > D.
Times it on the cases of make_logme_data.py and prints one JSON object per line.
Usage: /usr/bin/python3 bench/logme_numpy.py DATA_DIR REPEATS"""
import json
import os
import sys
import time

import numpy as np


def truncated_svd(x):
    u, s, vh = np.linalg.svd(x.T @ x)
    s = np.sqrt(s)
    u_times_sigma = x @ vh.T
    k = int(np.sum(s > 1e-10))
    s = s[:k].reshape(-1, 1)
    return u_times_sigma[:, :k] / s.reshape(1, -1), s, vh[:k]


def logme(f, y):
    f = f.astype(np.float64)
    n, d = f.shape
    if n > d:
        u, s, _ = truncated_svd(f)
    else:
        u, s, _ = np.linalg.svd(f, full_matrices=False)
        s = s.reshape(-1, 1)
    sigma = s ** 2
    evidences = []
    for c in range(int(y.max() + 1)):
        y_ = (y == c).astype(np.float64).reshape(-1, 1)
        x = u.T @ y_
        x2 = x ** 2
        res_x2 = (y_ ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(11):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
            alpha = gamma / (m2 + 1e-5)
            beta = (n - gamma) / (res2 + 1e-5)
            t_new = alpha / beta
            evidence = (d / 2.0 * np.log(alpha) + n / 2.0 * np.log(beta)
                        - 0.5 * np.sum(np.log(alpha + beta * sigma))
                        - beta / 2.0 * res2 - alpha / 2.0 * m2 - n / 2.0 * np.log(2 * np.pi)) / n
            if abs(t_new - t) / t <= 1e-3:
                break
        evidences.append(evidence)
    return float(np.mean(evidences))


def main(data, repeats):
    for name in ["n1000_d768_c2", "n10000_d768_c2", "n50000_d768_c4"]:
        f = np.load(os.path.join(data, name + "_features.npy"))
        y = np.load(os.path.join(data, name + "_labels.npy"))
        value = logme(f, y)  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            value = logme(f, y)
            times.append(time.perf_counter() - start)
        print(json.dumps({"case": name, "median_seconds": float(np.median(times)), "logme": value}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
