#!/usr/bin/env python3
"""Compares two `taskscout rank --json` outputs of the scale benchmark (issue 13).

  compare_rankings.py same A.json B.json    the rankings must be identical (order, scores,
                                             skipped list): 2 processes against 1 at the same
                                             --threads per process
  compare_rankings.py agree A.json B.json   how far B's ranking is from A's: Kendall τ-b,
                                             Spearman, top-k overlap, score differences
                                             (F16 ESMs against the same maps in F32)
Prints one markdown line (same) or a small markdown table (agree). numpy only.
"""
import json
import sys

import numpy as np


def load(path):
    with open(path) as f:
        return json.load(f)


def same(a_path, b_path):
    a, b = load(a_path), load(b_path)
    key = lambda j: ([(r["rank"], r["source"], r["score"]) for r in j["ranking"]],
                     [(s["source"], s["reason"]) for s in j["skipped"]], j["scored"])
    ka, kb = key(a), key(b)
    if ka == kb:
        print(f"| `{b_path}` against `{a_path}` | identical: {len(ka[0])} ranked, {len(ka[1])} skipped |")
        return 0
    # Bit for bit only at the same --threads per process (the BLAS reductions differ
    # otherwise): say whether at least the order and the skipped list are the same.
    order = [r[1] for r in ka[0]] == [r[1] for r in kb[0]] and ka[1] == kb[1]
    sa = {r[1]: r[2] for r in ka[0]}
    diff = max((abs(sa[r[1]] - r[2]) for r in kb[0] if r[1] in sa), default=float("nan"))
    print(f"| `{b_path}` against `{a_path}` | not bit-identical: {len(ka[0])} vs {len(kb[0])} ranked, "
          f"{len(ka[1])} vs {len(kb[1])} skipped, same order and skipped list: {'yes' if order else 'NO'}, "
          f"largest score difference {diff:.1e} |")
    return 1


def kendall_tau_b(x, y):
    # O(n²) in chunks: 10,000 sources are 5·10⁷ pairs, a second or two.
    n = len(x)
    concordance = 0.0
    ties_x = ties_y = 0
    for i in range(0, n, 500):
        dx = np.sign(x[i:i + 500, None] - x[None, :])
        dy = np.sign(y[i:i + 500, None] - y[None, :])
        concordance += float((dx * dy).sum())
        ties_x += int((dx == 0).sum())
        ties_y += int((dy == 0).sum())
    # Each pair was counted twice and the diagonal n times.
    n0 = n * (n - 1) / 2
    n1, n2 = (ties_x - n) / 2, (ties_y - n) / 2
    return concordance / 2 / np.sqrt((n0 - n1) * (n0 - n2))


def agree(a_path, b_path):
    a, b = load(a_path), load(b_path)
    sa = {r["source"]: r["score"] for r in a["ranking"]}
    sb = {r["source"]: r["score"] for r in b["ranking"]}
    common = sorted(set(sa) & set(sb))
    x = np.array([sa[s] for s in common])
    y = np.array([sb[s] for s in common])
    order_a = [r["source"] for r in a["ranking"]]
    order_b = [r["source"] for r in b["ranking"]]
    rank = lambda v: np.argsort(np.argsort(v))
    spearman = np.corrcoef(rank(x), rank(y))[0, 1]
    diff = np.abs(x - y)
    gaps = np.diff(np.sort(x))
    print(f"F16 ranking (`{b_path}`) against F32 (`{a_path}`), {len(common)} sources in both:")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| Kendall τ-b | {kendall_tau_b(x, y):.4f} |")
    print(f"| Spearman ρ | {spearman:.6f} |")
    for k in (1, 5, 10, 100):
        print(f"| top-{k} overlap | {len(set(order_a[:k]) & set(order_b[:k]))}/{k} |")
    print(f"| same top-10 in the same order | {'yes' if order_a[:10] == order_b[:10] else 'no'} |")
    print(f"| score difference: max / median | {diff.max():.2e} / {np.median(diff):.2e} |")
    print(f"| score range; median gap between neighbours (F32) | {x.max() - x.min():.3f}; {np.median(gaps):.2e} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("same", "agree"):
        sys.exit("usage: compare_rankings.py same|agree A.json B.json")
    sys.exit(same(sys.argv[2], sys.argv[3]) if sys.argv[1] == "same" else agree(sys.argv[2], sys.argv[3]))
