#!/usr/bin/python3
"""scikit-learn reference fits for taskscout's linear_probe (src/estimate/linear_probe.cpp).

  estimators_oracle.py > tests/fixtures/estimate/linear_probe_sklearn.json

A small fixed problem (90 examples, 6 features of which the last duplicates the first,
3 overlapping Gaussian classes, two regression targets), standardized with
StandardScaler on all rows, and:
  - LogisticRegression(C=1.0) (multinomial, lbfgs, tol 1e-12): predicted probabilities
    and training accuracy of the full-data fit, and the probabilities at the exact optimum
    of the same objective (Newton steps from scikit-learn's fit: lbfgs stops on its
    relative-decrease test, ~1e-5 short of it in probabilities);
  - Ridge(alpha=1.0): coefficients, intercept and training R² of the full-data fit;
  - 5-fold cross-validated scores (StratifiedKFold / KFold, shuffled, random_state=0),
    which taskscout's differently assigned folds should approach, not equal.

Run with Debian's /usr/bin/python3 (python3-numpy, python3-sklearn).
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def problem():
    rng = np.random.default_rng(20240601)
    n_per, d = 30, 5
    centres = rng.normal(scale=1.2, size=(3, d))
    x = np.concatenate([rng.normal(size=(n_per, d)) * [1, 2, 0.5, 1, 3] + c for c in centres])
    x = np.concatenate([x, x[:, :1]], axis=1).astype(np.float32)  # duplicated column
    y = np.repeat(np.arange(3), n_per)
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    w = rng.normal(size=(x.shape[1], 2))
    t = x.astype(np.float64) @ w + rng.normal(scale=0.7, size=(len(y), 2)) + [1.5, -2.0]
    return x, y, t


def newton_optimum(xs, y, coef, intercept, c, steps=20):
    """The exact optimum of LogisticRegression's objective C·Σ CE + ½‖W‖², refined from
    scikit-learn's fit by Newton steps (lbfgs stops on its relative-decrease test ftol
    = 64·eps, a few 1e-6 away in probabilities)."""
    n, d = xs.shape
    k = coef.shape[0]
    x1 = np.hstack([xs, np.ones((n, 1))])
    onehot = np.eye(k)[y]
    theta = np.vstack([coef.T, intercept[None, :]])  # (D+1)×K
    penalty = np.zeros((d + 1, k))
    penalty[:d] = 1.0
    for _ in range(steps):
        z = x1 @ theta
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        grad = c * x1.T @ (p - onehot) + penalty * theta
        s = p[:, :, None] * np.eye(k)[None] - p[:, :, None] * p[:, None, :]  # n×K×K
        hess = c * np.einsum("ia,ib,ikl->akbl", x1, x1, s).reshape((d + 1) * k, (d + 1) * k)
        hess += np.diag(penalty.ravel())
        # The intercepts' common shift is free (softmax is invariant): least squares.
        theta -= np.linalg.lstsq(hess, grad.ravel(), rcond=None)[0].reshape(d + 1, k)
    z = x1 @ theta
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True), float(np.abs(grad).max())


def main():
    x, y, t = problem()
    xs = StandardScaler().fit_transform(x.astype(np.float64))

    logistic = LogisticRegression(C=1.0, multi_class="multinomial", tol=1e-12, max_iter=100000).fit(xs, y)
    ridge = Ridge(alpha=1.0).fit(xs, t)

    def cv(model, target, folds):
        pipe = make_pipeline(StandardScaler(), model)
        return float(np.mean(cross_val_score(pipe, x.astype(np.float64), target, cv=folds)))

    optimum, gradient = newton_optimum(xs, y, logistic.coef_, logistic.intercept_, 1.0)

    out = {
        "generator": "scripts/oracles/estimators_oracle.py, scikit-learn " + sklearn.__version__,
        "features": x.astype(np.float64).tolist(),  # exact float32 values
        "labels": y.tolist(),
        "targets": t.tolist(),
        "logistic": {
            "C": 1.0,
            "probabilities": logistic.predict_proba(xs).tolist(),
            "optimum_probabilities": optimum.tolist(),
            "optimum_max_gradient": gradient,
            "train_accuracy": float(logistic.score(xs, y)),
            "cv_accuracy": cv(LogisticRegression(C=1.0, multi_class="multinomial", max_iter=10000), y,
                              StratifiedKFold(5, shuffle=True, random_state=0)),
        },
        "ridge": {
            "alpha": 1.0,
            "coef": ridge.coef_.T.tolist(),  # D×T
            "intercept": ridge.intercept_.tolist(),
            "train_r2": float(ridge.score(xs, t)),
            "cv_r2": cv(Ridge(alpha=1.0), t, KFold(5, shuffle=True, random_state=0)),
        },
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
