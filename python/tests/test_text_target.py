"""A registry with sources fine-tuned here (Registry.register(method=…)), ranked for a target
of texts embedded with the base: equal to the CLI; compute_task_ranking on the same pool."""
import csv
import json

import numpy as np
import pytest

import taskscout
from conftest import BASE, cli_json, run_cli, write_esm
from test_rank import masked


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    """Synthetic text tasks, two sources registered: one from Python, one by the CLI."""
    root = tmp_path_factory.mktemp("text")
    run_cli("synth", "--text-tasks", "--out", root / "tasks", "--sources", 2, "--train-rows", 120, "--dev-rows", 40,
            "--test-rows", 40, "--seed", 3)
    manifest = json.loads((root / "tasks" / "manifest.json").read_text())
    sources = [t for t in manifest["tasks"] if t["role"] == "source"]
    target = next(t for t in manifest["tasks"] if t["role"] == "target")
    reg = root / "reg"
    registry = taskscout.Registry(reg, create=True)
    first = sources[0]
    seen = []
    stored = registry.register(first["name"], base=BASE, source=root / "tasks" / first["train"], method="full",
                               dev=root / "tasks" / first["dev"], epochs=1, seed=2, threads=2, max_texts=100,
                               progress=lambda phase, done, total, detail: seen.append(phase))
    second = sources[1]
    run_cli("register", "--registry", reg, "--base", BASE, "--source", root / "tasks" / second["train"], "--dev",
            root / "tasks" / second["dev"], "--name", second["name"], "--method", "lora", "--epochs", 1, "--seed", 2,
            "--threads", 2, "--max-texts", 100)
    return root, reg, target, stored, seen


def test_register_fine_tunes_and_stores(tasks):
    _, reg, _, stored, seen = tasks
    assert {"esm", "full_model", "mean_embedding"} <= set(stored.artifacts)
    assert stored.task == "classification" and stored.dataset_size == 120
    assert "fine-tuning" in seen  # the library's phases reached the callback
    assert len(taskscout.Registry(reg).sources) == 2


def test_register_an_esm_with_its_source_as_the_cli(tasks, tmp_path):
    """register(esm=…, source=…) stores what `register --esm … --source …` stores: the same
    dataset fingerprint and the same mean-embedding and vocabulary blobs."""
    root, _, target, _, _ = tasks
    write_esm(tmp_path / "esm.safetensors", np.eye(128))
    source = root / "tasks" / target["train"]
    reg = tmp_path / "reg"
    mine = taskscout.Registry(reg, create=True).register("py", base=BASE, esm=tmp_path / "esm.safetensors",
                                                         source=source, max_texts=50, seed=1)
    run_cli("register", "--registry", reg, "--base", BASE, "--esm", tmp_path / "esm.safetensors", "--name", "cli",
            "--source", source, "--max-texts", 50, "--seed", 1)
    theirs = next(s for s in taskscout.Registry(reg).sources if s.name == "cli")
    assert set(mine.artifacts) == set(theirs.artifacts) == {"esm", "mean_embedding", "vocabulary"}
    for kind in mine.artifacts:
        assert mine.artifacts[kind].digest == theirs.artifacts[kind].digest, kind
    assert (mine.dataset_fingerprint, mine.dataset_size, mine.label_names) == \
           (theirs.dataset_fingerprint, theirs.dataset_size, theirs.label_names)


def test_text_target_ranking_equals_the_cli(tasks):
    root, reg, target, _, _ = tasks
    table = root / "tasks" / target["test"]
    cli = cli_json("rank", "--registry", reg, "--target", table, "--base", BASE, "--method",
                   "esm-logme,textemb,logme")
    r = taskscout.Registry(reg).rank(target=table, base=BASE, method="esm-logme,textemb,logme")
    strip = lambda m: [(e["source"], e["score"]) for e in m["ranking"]]
    for method in ("esm-logme", "textemb", "logme"):
        assert strip(r.to_dict()["methods"][method]) == strip(cli["methods"][method]), method
    assert r.n == cli["n"] == 40 and r.d == 128
    # Side by side, as the CLI's table (timings masked).
    table_cli = run_cli("rank", "--registry", reg, "--target", table, "--base", BASE, "--method",
                        "esm-logme,textemb,logme").stdout
    assert masked(str(r)) == masked(table_cli)
    assert str(r).splitlines()[0].split() == ["rank", "source", "esm-logme", "esm-logme", "rank", "textemb",
                                              "textemb", "rank", "logme", "logme", "rank", "seconds", "skipped"]

    # The same rows given from Python as (texts, labels): the same target.
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    lists = ([row["text"] for row in rows], [row["label"] for row in rows])
    r2 = taskscout.Registry(reg).rank(target=lists, base=BASE, method="esm-logme")
    assert r2.scores() == r.scores("esm-logme")


def test_compute_task_ranking_as_hf_dataset_selector(tasks):
    root, reg, target, _, _ = tasks
    table = root / "tasks" / target["test"]
    # batch_size 32 as rank's default: the batch changes the padding, hence the last bits.
    ranking = taskscout.compute_task_ranking(table, str(BASE), registry=str(reg), batch_size=32)
    expected = taskscout.Registry(reg).rank(target=table, base=BASE, method="esm-logme")
    assert [c.task_id for c in ranking.esm_configs] == [s.source for s in expected]
    assert ranking.scores == [s.score for s in expected]
    assert ranking.ranks == [1, 2] and len(ranking) == 2
    assert str(ranking).startswith("1.   " + ranking.esm_configs[0].task_id)
    assert ranking[:1].scores == ranking.scores[:1]
    pytest.importorskip("pandas")
    frame = ranking.to_pandas()
    assert list(frame.columns) == ["Task ID", "Task Subset", "Text Column", "Label Column", "Task Split",
                                   "Num Examples", "ESM Architecture", "Score"]
    assert frame.index.name == "Rank"


class FakeHfselectDataset:
    """What compute_task_ranking reads of an hfselect.Dataset: rows by index and the columns."""

    def __init__(self, rows, text_col, label_col, is_regression=False):
        self.rows, self.text_col, self.label_col, self.is_regression = rows, text_col, label_col, is_regression

    def __getitem__(self, i):
        return self.rows[i]

    def __len__(self):
        return len(self.rows)


def test_compute_task_ranking_reads_an_hfselect_dataset(tasks):
    root, reg, target, _, _ = tasks
    table = root / "tasks" / target["test"]
    with open(table, newline="") as f:
        rows = [{"sentence": r["text"], "label": int(r["label"]) if r["label"].isdigit() else r["label"]}
                for r in csv.DictReader(f)]
    ranking = taskscout.compute_task_ranking(FakeHfselectDataset(rows, "sentence", "label"), str(BASE),
                                             registry=str(reg), batch_size=32)
    expected = taskscout.compute_task_ranking(table, str(BASE), registry=str(reg), batch_size=32)
    assert ranking.scores == expected.scores


def test_compute_task_ranking_refuses_what_needs_the_hub(tasks):
    root, reg, target, _, _ = tasks
    table = root / "tasks" / target["test"]
    with pytest.raises(taskscout.UsageError, match="Hugging Face Hub"):
        taskscout.compute_task_ranking(table, str(BASE), esm_repo_ids=["someone/esm"])
    with pytest.raises(taskscout.UsageError, match="not a local model folder"):
        taskscout.compute_task_ranking(table, "bert-base-uncased", registry=str(reg))
    with pytest.raises(taskscout.UsageError, match="CPU"):
        taskscout.compute_task_ranking(table, str(BASE), registry=str(reg), device_name="cuda")
