#!/usr/bin/python3
"""Reference values for taskscout's random ranker (src/eval/ranker_comparison.cpp).

  ranker_comparison_oracle.py > tests/fixtures/eval/random_ranker_expected.json

For a few fixed small truth vectors (with and without ties), the mean of every ranking
metric over all n! orders of the sources, by brute force: scores are each permutation of
0..n-1, the metrics are scripts/oracles/ranking_oracle.py's (scipy for the correlations,
numpy for regret@k, NDCG@k and precision@k). Values undefined for every order are null.
The C++ computes the same expectations in closed form; tests/eval/test_ranker_comparison.cpp
compares them to 1e-12.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-scipy).
"""
import itertools
import json
import math
import os
import sys
import warnings

import numpy as np
import scipy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ranking_oracle import metrics  # noqa: E402  (the metric definitions the fixtures share)

CORRELATIONS = ["weighted_tau", "kendall_tau_b", "spearman", "pearson"]
TOP_K = ["regret@1", "regret@2", "regret@3", "regret@5", "regret@9",
         "ndcg@1", "ndcg@3", "ndcg@5", "precision@1", "precision@3", "precision@5"]

CASES = [
    ("distinct", [0.61, 0.74, 0.55, 0.80, 0.69, 0.72]),
    ("ties", [0.70, 0.70, 0.50, 0.90, 0.50, 0.50, 0.80]),
    ("ties_at_top", [0.90, 0.90, 0.60, 0.60, 0.30]),
    ("symmetric_tie", [0.40, 0.40, 0.40, 0.40, 0.55, 0.20]),  # weighted τ's expectation is 0 here
    ("asymmetric_tie", [0.30, 0.30, 0.30, 0.60, 0.70, 0.80, 0.50]),
    ("two", [0.30, 0.80]),
    ("one", [0.75]),
    ("constant", [0.50, 0.50, 0.50]),
    ("best_not_positive", [0.0, -0.10, -0.20, 0.0]),
]


def undefined(name, truth):
    # The cases where the metric is undefined for every order (ranking_metrics.hpp).
    n, best = len(truth), max(truth)
    if name in CORRELATIONS:
        return n < 2 or min(truth) == best
    if name.startswith("regret@"):
        return not best > 0
    if name.startswith("ndcg@"):
        k = min(int(name.split("@")[1]), n)
        ideal = np.sort(2.0 ** (100 * np.asarray(truth)) - 1)[::-1][:k]
        return float((ideal / np.log2(np.arange(2, k + 2))).sum()) == 0
    return False


def expectation(truth):
    names = CORRELATIONS + TOP_K
    defined = [k for k in names if not undefined(k, truth)]
    sums = {k: [] for k in defined}
    n = len(truth)
    for order in itertools.permutations(range(n)):
        got = metrics(np.asarray(order, dtype=np.float64), truth, defined)
        for k in defined:
            sums[k].append(got[k])
    # fsum: the mean of up to 5040 values, exactly rounded.
    return {k: (math.fsum(sums[k]) / len(sums[k]) if k in sums else None) for k in names}


def main():
    warnings.simplefilter("ignore")
    out = {
        "generated_by": f"scripts/oracles/ranker_comparison_oracle.py (scipy {scipy.__version__}, "
                        f"numpy {np.__version__})",
        "what": "mean of each metric over all n! orders of the sources (scores = permutations of 0..n-1)",
        "cases": [{"name": name, "truth": truth, "expected": expectation(truth)} for name, truth in CASES],
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
