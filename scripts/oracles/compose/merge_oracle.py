#!/usr/bin/env python3
"""Independent oracle for taskscout's merge methods (src/compose/merge_*.cpp).

Writes tests/fixtures/compose/merge_oracle.safetensors: a base, three sources, their
diagonal Fishers and DARE keep masks for a few small tensors (inputs), and every method's
merged tensor computed here from the papers' definitions with numpy in float64 (expected),
plus merge_oracle.json with the parameters. The C++ test feeds the same inputs (and these
masks) to each method and compares.

Definitions (tau_k = theta_k - theta_0, weights w_k):
  linear            sum w_k theta_k / sum w_k
  task-arithmetic   theta_0 + lam * sum w_k tau_k
  ties              trim: keep the round(density*n) largest |tau_k| (by a full sort);
                    elect: sign(sum_k w_k trimmed_k); disjoint mean over the sources whose
                    trimmed entry is nonzero with the elected sign, weighted by w_k
  dare-linear       theta_0 + lam * sum w_k (mask_k * tau_k / density)
  dare-ties         ties' elect + disjoint mean on mask_k * tau_k / density
  breadcrumbs       sort |tau_k| descending; drop the first round(gamma*n), keep the next
                    round(density*n), drop the rest; theta_0 + lam * sum w_k kept_k
  fisher            sum w_k F_k theta_k / sum w_k F_k, F_k floored at fisher_floor
Run: /usr/bin/python3 scripts/oracles/compose/merge_oracle.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "..", "tests", "fixtures", "compose")

rng = np.random.default_rng(20261206)
SHAPES = {"a.weight": (6, 5), "a.bias": (7,), "b.weight": (4, 9)}
K = 3
PARAMS = {"weights": [0.5, 1.0, 1.5], "lambda": 0.8, "density": 0.4, "gamma": 0.1, "fisher_floor": 1e-6}


def share(fraction, n):
    return min(n, int(np.floor(fraction * n + 0.5)))


def trim(tau, density):
    flat = np.abs(tau).ravel()
    m = share(density, flat.size)
    order = np.argsort(-flat, kind="stable")
    keep = np.zeros(flat.size, dtype=bool)
    keep[order[:m]] = True
    return tau * keep.reshape(tau.shape)


def breadcrumbs(tau, density, gamma):
    flat = np.abs(tau).ravel()
    n = flat.size
    top = share(gamma, n)
    m = min(share(density, n), n - top)
    order = np.argsort(-flat, kind="stable")
    keep = np.zeros(n, dtype=bool)
    keep[order[top:top + m]] = True
    return tau * keep.reshape(tau.shape)


def disjoint_mean(taus, w):
    mass = sum(wk * t for wk, t in zip(w, taus))
    elected = np.sign(mass)
    num = np.zeros_like(mass)
    den = np.zeros_like(mass)
    for wk, t in zip(w, taus):
        agree = (np.sign(t) == elected) & (elected != 0) & (t != 0)
        num += np.where(agree, wk * t, 0.0)
        den += np.where(agree, wk, 0.0)
    return np.where(den != 0, num / np.where(den != 0, den, 1.0), 0.0)


def merge(method, base, sources, fishers, masks, p):
    w = p["weights"]
    lam, d = p["lambda"], p["density"]
    taus = [s - base for s in sources]
    if method == "linear":
        return sum(wk * s for wk, s in zip(w, sources)) / sum(w)
    if method == "task-arithmetic":
        return base + lam * sum(wk * t for wk, t in zip(w, taus))
    if method == "ties":
        return base + lam * disjoint_mean([trim(t, d) for t in taus], w)
    if method == "dare-linear":
        return base + lam * sum(wk * (m * t / d) for wk, m, t in zip(w, masks, taus))
    if method == "dare-ties":
        return base + lam * disjoint_mean([m * t / d for m, t in zip(masks, taus)], w)
    if method == "breadcrumbs":
        return base + lam * sum(wk * breadcrumbs(t, d, p["gamma"]) for wk, t in zip(w, taus))
    if method == "fisher":
        f = [np.maximum(fk, p["fisher_floor"]) for fk in fishers]
        return sum(wk * fk * s for wk, fk, s in zip(w, f, sources)) / sum(wk * fk for wk, fk in zip(w, f))
    raise ValueError(method)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def main():
    tensors = {}
    methods = ["linear", "task-arithmetic", "ties", "dare-linear", "dare-ties", "breadcrumbs", "fisher"]
    for name, shape in SHAPES.items():
        base = rng.normal(0, 1, shape).astype(np.float32)
        # Fine-tuned copies: small task vectors, some entries left exactly at the base.
        sources = []
        for k in range(K):
            tau = rng.normal(0, 0.1, shape).astype(np.float32)
            tau[rng.random(shape) < 0.1] = 0
            sources.append((base + tau).astype(np.float32))
        fishers = [(rng.random(shape) ** 3).astype(np.float32) for _ in range(K)]
        fishers[0].ravel()[0] = 0  # one entry below the floor
        masks = [(rng.random(shape) < PARAMS["density"]).astype(np.float32) for _ in range(K)]
        tensors[f"base.{name}"] = base
        for k in range(K):
            tensors[f"source{k}.{name}"] = sources[k]
            tensors[f"fisher{k}.{name}"] = fishers[k]
            tensors[f"mask{k}.{name}"] = masks[k]
        # float64 from the float32 inputs the C++ side reads.
        b64 = base.astype(np.float64)
        s64 = [s.astype(np.float64) for s in sources]
        f64 = [f.astype(np.float64) for f in fishers]
        m64 = [m.astype(np.float64) for m in masks]
        for method in methods:
            tensors[f"expected.{method}.{name}"] = merge(method, b64, s64, f64, m64, PARAMS)
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "merge_oracle.safetensors"), tensors)
    with open(os.path.join(OUT, "merge_oracle.json"), "w") as f:
        json.dump({"tensors": list(SHAPES), "sources": K, "methods": methods, **PARAMS}, f, indent=2)
        f.write("\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
