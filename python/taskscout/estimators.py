"""taskscout.score: transferability estimators on numpy arrays, as ``taskscout score``."""
from typing import Dict, Optional, Sequence, Union

import numpy as np

from . import _core

#: Every estimator, in the order ``method="all"`` runs them.
METHODS = tuple(_core.estimator_names)


def score(features, labels, method: Union[str, Sequence[str]] = "logme", source_probs=None, *,
          task: str = "auto", knn_k: int = 1, folds: int = 5, seed: int = 0, threads: int = 0,
          progress=False) -> Union[float, Dict[str, float]]:
    """How well ``features`` (N×D, float32 or float64) transfer to ``labels``; higher is better.

    ``labels``: N integer class ids (classification) or N / N×T floats (regression); ``task``
    ("auto", "classification", "regression") overrides what the dtype says. ``source_probs``
    (N×Z) feeds ``leep`` and ``nce``. ``method`` is one name (returns a float), a list of names
    or "all" (returns {method: score}; "all" leaves out the methods the input cannot feed).
    float32 C-contiguous features are read without a copy; float64 are converted to float32,
    as the CLI does. The computation runs without the GIL; Ctrl-C stops it.
    """
    single = isinstance(method, str) and method != "all" and "," not in method
    if isinstance(method, str):
        methods = ["all"] if method == "all" else [m for m in method.split(",") if m]
    else:
        methods = list(method)
    features, labels, source_probs = _arrays(features, labels, source_probs)
    result = _core.score(features, labels, methods, source_probs, task, knn_k, folds, seed, threads, progress)
    scores = {s.method: s.score for s in result.scores}
    return scores[methods[0]] if single else scores


def score_details(features, labels, method="all", source_probs=None, **options):
    """As :func:`score` with a list, plus each method's seconds and the skipped methods."""
    methods = ["all"] if method == "all" else ([method] if isinstance(method, str) else list(method))
    features, labels, source_probs = _arrays(features, labels, source_probs)
    result = _core.score(features, labels, methods, source_probs, options.get("task", "auto"),
                         options.get("knn_k", 1), options.get("folds", 5), options.get("seed", 0),
                         options.get("threads", 0), options.get("progress", False))
    return {"scores": {s.method: s.score for s in result.scores},
            "seconds": {s.method: s.seconds for s in result.scores}, "skipped": list(result.skipped)}


def _arrays(features, labels, source_probs):
    """Lists and scalars as numpy arrays (an ndarray passes through as it is, never copied);
    the extension checks dtype, shape and layout."""
    return (np.asarray(features), np.asarray(labels),
            None if source_probs is None else np.asarray(source_probs))
