"""The reference libraries' names are taskscout's estimators, called as those libraries call them."""
import numpy as np

import taskscout
from test_score import probabilities


def test_thuml_logme(classification):
    _, x, y = classification
    assert taskscout.LogME(regression=False).fit(x, y) == taskscout.score(x, y, "logme")
    t = x[:, :2].astype(np.float64) @ np.array([[1.0], [-2.0]])
    assert taskscout.LogME(regression=True).fit(x, t) == taskscout.score(x, t, "logme", task="regression")


def test_tllib_functions(classification):
    _, x, y = classification
    assert taskscout.log_maximum_evidence(x, y) == taskscout.score(x, y, "logme")
    assert taskscout.h_score(x, y) == taskscout.score(x, y, "h_score")
    assert taskscout.regularized_h_score(x, y) == taskscout.score(x, y, "regularized_h_score")
    p = probabilities(len(y), 4)
    assert taskscout.log_expected_empirical_prediction(p, y) == taskscout.score(x, y, "leep", source_probs=p)


def test_tllib_nce_takes_source_labels(classification):
    _, x, y = classification
    p = probabilities(len(y), 4)
    z = p.argmax(1)
    expected = taskscout.score(x, y, "nce", source_probs=p)  # nce reads the argmax of p
    assert taskscout.negative_conditional_entropy(z, y) == expected
    # NCE by its definition, −H(Y|Z), in numpy:
    joint = np.zeros((4, 3))
    np.add.at(joint, (z, y), 1.0 / len(y))
    pz = joint.sum(1, keepdims=True)
    nz = joint > 0
    reference = np.sum(joint[nz] * np.log((joint / np.where(pz > 0, pz, 1))[nz]))
    assert abs(expected - reference) < 1e-9
