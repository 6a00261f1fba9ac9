"""taskscout.score equals `taskscout score --json` bit for bit, for every method."""
import numpy as np
import pytest

import taskscout
from conftest import cli_json


def probabilities(n, z, seed=3):
    logits = np.random.default_rng(seed).normal(size=(n, z))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return p.astype(np.float32)


def test_every_method_equals_the_cli(classification):
    folder, x, y = classification
    probs = probabilities(len(y), 4)
    np.save(folder / "p.npy", probs)
    cli = cli_json("score", "--features", folder / "x.npy", "--labels", folder / "y.npy", "--source-probs",
                   folder / "p.npy", "--method", "all")["scores"]
    assert set(cli) == set(taskscout.METHODS)
    for method in taskscout.METHODS:
        got = taskscout.score(x, y, method, source_probs=probs)
        assert got == cli[method], method  # exact: the same library call on the same bytes
    assert taskscout.score(x, y, "all", source_probs=probs) == cli


def test_regression_from_float_labels(classification):
    folder, x, _ = classification
    t = (x[:, 0] * 0.5 + np.random.default_rng(1).normal(size=len(x)) * 0.1).astype(np.float64)
    np.save(folder / "t.npy", t)
    cli = cli_json("score", "--features", folder / "x.npy", "--labels", folder / "t.npy", "--method", "all")["scores"]
    got = taskscout.score(x, t, "all")
    assert got == cli
    assert "leep" not in got and "gbc" not in got  # classification-only / need source_probs: left out
    # task= overrides the dtype: whole-number floats as classes.
    assert taskscout.score(x, (np.arange(60) % 3).astype(np.float32), task="classification") == \
        taskscout.score(x, np.arange(60) % 3)


def test_float64_features_are_converted_as_the_cli_converts_them(classification, tmp_path):
    folder, x, y = classification
    x64 = x.astype(np.float64) + 1e-9  # not representable in float32: rounded as the CLI rounds
    np.save(tmp_path / "x64.npy", x64)
    cli = cli_json("score", "--features", tmp_path / "x64.npy", "--labels", folder / "y.npy", "--method", "logme")
    assert taskscout.score(x64, y) == cli["scores"]["logme"]


def test_options_reach_the_estimators(classification):
    folder, x, y = classification
    cli = cli_json("score", "--features", folder / "x.npy", "--labels", folder / "y.npy", "--method",
                   "knn,linear_probe", "--knn-k", 5, "--folds", 3, "--seed", 4)["scores"]
    got = taskscout.score(x, y, ["knn", "linear_probe"], knn_k=5, folds=3, seed=4)
    assert got == cli
    # The options change the result (so equal results above are not the defaults' by chance).
    assert got != taskscout.score(x, y, ["knn", "linear_probe"])


def test_details_give_seconds_and_skipped(classification):
    _, x, y = classification
    d = taskscout.score_details(x, y, "all")
    assert set(d["scores"]) == set(d["seconds"])
    assert any(s.startswith("leep:") for s in d["skipped"])


def test_progress_bars_and_callbacks_change_nothing(classification):
    _, x, y = classification
    seen = []
    assert taskscout.score(x, y, "all", progress=True) == taskscout.score(x, y, "all")
    assert taskscout.score(x, y, "all", progress=lambda *a: seen.append(a)) == taskscout.score(x, y, "all")
    assert seen[0][0] == "scoring" and seen[-1][1:3] == (len(taskscout.METHODS) - 2, len(taskscout.METHODS) - 2)
    with pytest.raises(TypeError, match="progress must be"):
        taskscout.score(x, y, progress="yes")
