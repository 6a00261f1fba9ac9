"""Thin aliases with the names and signatures users of the reference libraries know: the
class of thuml/LogME and the functions of TLlib's ``tllib.ranking``. Each is one call to
taskscout's estimator, so the numbers are taskscout's (its LogME is exact for N < D too,
where the widely copied code drops a term)."""
import numpy as np

from .estimators import score


class LogME:
    """As thuml/LogME: ``LogME(regression=False).fit(f, y)`` returns the mean log evidence."""

    def __init__(self, regression: bool = False):
        self.regression = regression
        self.fitted = False

    def fit(self, f, y) -> float:
        """f: N×D features; y: N class ids, or N / N×T regression targets."""
        self.fitted = True
        return score(f, y, "logme", task="regression" if self.regression else "classification")


def log_maximum_evidence(features, targets, regression: bool = False) -> float:
    """TLlib's ``log_maximum_evidence(features, targets, regression=False)``."""
    return score(features, targets, "logme", task="regression" if regression else "classification")


def h_score(features, labels) -> float:
    """TLlib's ``h_score(features, labels)``."""
    return score(features, labels, "h_score", task="classification")


def regularized_h_score(features, labels) -> float:
    """TLlib's ``regularized_h_score(features, labels)`` (Ledoit–Wolf shrinkage)."""
    return score(features, labels, "regularized_h_score", task="classification")


def log_expected_empirical_prediction(predictions, labels) -> float:
    """TLlib's LEEP: ``predictions`` N×C_s source-model probabilities, ``labels`` N target ids."""
    predictions = np.ascontiguousarray(predictions, dtype=np.float32)
    return score(_no_features(len(predictions)), labels, "leep", predictions, task="classification")


def negative_conditional_entropy(source_labels, target_labels) -> float:
    """TLlib's NCE: ``source_labels`` N source-class ids (argmax of the source model's
    predictions), ``target_labels`` N target ids. taskscout's nce takes probabilities and
    uses their argmax: one-hot rows give exactly these source labels."""
    source_labels = np.asarray(source_labels).reshape(-1)
    if source_labels.dtype.kind not in "iu":
        raise TypeError(f"source_labels must be integer class ids, got {source_labels.dtype}")
    if source_labels.size and source_labels.min() < 0:
        raise ValueError("source_labels must be non-negative class ids")
    one_hot = np.zeros((len(source_labels), int(source_labels.max()) + 1 if len(source_labels) else 1), np.float32)
    one_hot[np.arange(len(source_labels)), source_labels] = 1
    return score(_no_features(len(source_labels)), target_labels, "nce", one_hot, task="classification")


def _no_features(n: int):
    # LEEP and NCE read no features; the estimator input still has N rows of them.
    return np.zeros((n, 1), np.float32)
