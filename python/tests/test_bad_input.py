"""Bad input from Python: an exception with the message, never a crash."""
import numpy as np
import pytest

import taskscout
from conftest import run_cli


def test_wrong_dtype_rank_and_layout(classification):
    _, x, y = classification
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        taskscout.score(x.astype(np.int64), y)
    with pytest.raises(TypeError, match="float32 or float64, got float16"):
        taskscout.score(x.astype(np.float16), y)
    with pytest.raises(ValueError, match=r"2-D matrix \(N×D\), got shape \[60\]"):
        taskscout.score(x[:, 0].copy(), y)
    with pytest.raises(ValueError, match="C-contiguous"):
        taskscout.score(x[:, ::2], y)
    with pytest.raises(ValueError, match="C-contiguous"):
        taskscout.score(np.asfortranarray(x), y)
    with pytest.raises(TypeError, match="labels must be integer class ids or float targets"):
        taskscout.score(x, np.array(["a"] * 60))
    with pytest.raises(taskscout.UsageError, match="needs the source model's predicted probabilities"):
        taskscout.score(x, y, "leep")


def test_messages_are_the_clis(classification):
    folder, x, y = classification
    bad = x.copy()
    bad[3, 2] = np.nan
    np.save(folder / "bad.npy", bad)
    cli = run_cli("score", "--features", folder / "bad.npy", "--labels", folder / "y.npy", check=False)
    assert cli.returncode != 0
    # The CLI names its files where Python says "features with labels"; the rest is the same.
    tail = cli.stderr.strip().split(" features: ", 1)[1]
    with pytest.raises(taskscout.InputError) as e:
        taskscout.score(bad, y)
    assert str(e.value).endswith(tail), (str(e.value), tail)
    assert "row 3, column 2 is nan" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, taskscout.Error)

    cli = run_cli("score", "--features", folder / "x.npy", "--labels", folder / "y.npy", "--method", "nope",
                  check=False)
    with pytest.raises(taskscout.UsageError) as e:
        taskscout.score(x, y, "nope")
    assert cli.stderr.strip() == "error: " + str(e.value)


def test_mismatched_rows_and_one_class(classification):
    _, x, y = classification
    with pytest.raises(taskscout.InputError, match="60 feature rows but 59 labels"):
        taskscout.score(x, y[:59])
    with pytest.raises(taskscout.InputError, match="single class"):
        taskscout.score(x, np.zeros(60, np.int64))
    with pytest.raises(taskscout.InputError, match="not a class id; give integer class ids"):
        taskscout.score(x, np.full(60, 0.5), task="classification")


def test_missing_registry_is_an_input_error(tmp_path):
    with pytest.raises(taskscout.InputError, match="registry init"):
        taskscout.Registry(tmp_path / "nowhere")


def test_lists_and_scalars_become_arrays(classification):
    _, x, y = classification
    assert taskscout.score(x.tolist(), y.tolist()) == taskscout.score(x.astype(np.float64), y)
    with pytest.raises(ValueError, match=r"2-D matrix \(N×D\), got shape \[\]"):
        taskscout.score(1.0, y)
    with pytest.raises(TypeError, match="got object"):
        taskscout.score(np.array([[None] * 3] * 60), y)
    with pytest.raises(taskscout.InputError, match="need at least 2 examples and 1 feature"):
        taskscout.score(np.zeros((60, 0), np.float32), y)
    with pytest.raises(taskscout.InputError, match="sum to 2, not 1"):
        taskscout.score(x, y, "leep", source_probs=np.ones((60, 2), np.float32))
