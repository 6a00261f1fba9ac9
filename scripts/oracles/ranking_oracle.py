#!/usr/bin/python3
"""Reference values for taskscout's ranking metrics (src/eval), from scipy and numpy.

  ranking_oracle.py TABLE.csv [--score logme] [--truth finetune_accuracy] > expected.json
      Per target (in order of first appearance) and their mean: the metrics of
      taskscout::transfer_metrics(). Undefined values are null; the mean skips them.
  ranking_oracle.py --check cases.json
      Checks these definitions against ../shared/reference/ranking/cases.json.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-scipy). It produced
tests/fixtures/eval/transfergraph_expected.json from
../shared/data/model_selection/transfergraph_nlp_logme.csv.
"""
import argparse
import csv
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats


def by_score(scores):
    # Decreasing score, equal scores in input order.
    return np.argsort(-scores, kind="stable")


def regret(scores, truth, k):
    best = truth.max()
    if not best > 0:
        return math.nan
    return (best - truth[by_score(scores)[:k]].max()) / best * 100


def ndcg(scores, truth, k):
    gain = 2.0 ** (100 * truth) - 1
    top = by_score(scores)[:k]
    discount = np.log2(np.arange(2, len(top) + 2))
    ideal = np.sort(gain)[::-1][: len(top)]
    return (gain[top] / discount).sum() / (ideal / discount).sum() * 100


def precision(scores, truth, k):
    # Hits: top-k by score whose truth reaches the k-th best truth (ties all count).
    k = min(k, len(truth))
    threshold = np.sort(truth)[::-1][k - 1]
    return float((truth[by_score(scores)[:k]] >= threshold).sum()) / k


def metrics(scores, truth, names):
    scores, truth = np.asarray(scores, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    fns = {
        "kendall_tau_b": lambda: stats.kendalltau(scores, truth)[0],
        "weighted_tau": lambda: stats.weightedtau(scores, truth)[0],
        "spearman": lambda: stats.spearmanr(scores, truth)[0],
        "pearson": lambda: stats.pearsonr(scores, truth)[0],
    }
    out = {}
    for name in names:
        if name in fns:
            out[name] = float(fns[name]())
        else:
            kind, k = name.split("@")
            out[name] = float({"regret": regret, "ndcg": ndcg, "precision": precision}[kind](scores, truth, int(k)))
    return out


TRANSFER_METRICS = ["weighted_tau", "kendall_tau_b", "spearman", "pearson",
                    "regret@1", "regret@3", "regret@5", "ndcg@5", "precision@3"]


def null_nan(v):
    return None if math.isnan(v) else v


def table(path, score, truth):
    groups = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            g = groups.setdefault(row["target"], ([], []))
            g[0].append(float(row[score]))
            g[1].append(float(row[truth]))
    targets = []
    for name, (s, t) in groups.items():
        m = metrics(s, t, TRANSFER_METRICS)
        targets.append({"target": name, "n": len(s), **{k: null_nan(v) for k, v in m.items()}})
    mean = {"target": "mean", "n": len(targets)}
    for k in TRANSFER_METRICS:
        values = [t[k] for t in targets if t[k] is not None]
        mean[k] = float(np.mean(values)) if values else None
    return {
        "generated_by": f"scripts/oracles/ranking_oracle.py (scipy {scipy.__version__}, numpy {np.__version__})",
        "table": path.split("/")[-1], "score": score, "truth": truth,
        "metrics": TRANSFER_METRICS, "targets": targets, "mean": mean,
    }


def check(path):
    worst = 0.0
    for i, case in enumerate(json.load(open(path))):
        names = [k for k in case if k not in ("scores", "truth")]
        got = metrics(case["scores"], case["truth"], names)
        for k in names:
            err = abs(got[k] - case[k]) / max(abs(case[k]), 1e-12)
            worst = max(worst, err)
            if err > 1e-12:
                print(f"case {i} {k}: {got[k]} != {case[k]}", file=sys.stderr)
    print(f"worst relative difference {worst:.3g}")
    return worst <= 1e-12


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table", nargs="?")
    ap.add_argument("--score", default="logme")
    ap.add_argument("--truth", default="finetune_accuracy")
    ap.add_argument("--check", metavar="CASES_JSON")
    a = ap.parse_args()
    if a.check:
        sys.exit(0 if check(a.check) else 1)
    if not a.table:
        ap.error("give a table or --check")
    json.dump(table(a.table, a.score, a.truth), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
