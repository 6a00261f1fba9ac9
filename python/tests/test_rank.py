"""Registry.rank and rank_pool equal `taskscout rank --json` bit for bit; the Ranking prints
the CLI's table."""
import re

import numpy as np
import pytest

import taskscout
from conftest import BASE, cli_json, run_cli, write_esm

D = 128  # the hidden size of models/base-encoder


@pytest.fixture
def pool(tmp_path):
    """ESM files for 5-dimensional features: keep, shrink and drop feature 0 (where the classes
    are), one of another dimension and a corrupt file (both skipped)."""
    p = tmp_path / "pool"
    p.mkdir()
    write_esm(p / "keep.safetensors", np.eye(5))
    write_esm(p / "shrink.safetensors", np.diag([0.05, 1, 1, 1, 1]))
    write_esm(p / "drop.safetensors", np.diag([0, 1, 1, 1, 1]))
    write_esm(p / "wide.safetensors", np.eye(6))
    (p / "corrupt.safetensors").write_text("not a safetensors file")
    return p


def comparable(j):
    """A rank --json object without the timings, which differ from run to run."""
    def strip(m):
        return {"ranking": [(r["rank"], r["source"], r["score"]) for r in m["ranking"]],
                "skipped": m["skipped"], "scored": m["scored"]}
    if "methods" in j:
        return {name: strip(m) for name, m in j["methods"].items()}
    return {j["method"]: strip(j)}


def test_esm_files_equal_the_cli(classification, pool):
    folder, x, y = classification
    cli = cli_json("rank", "--esms", pool, "--target-features", folder / "x.npy", "--labels", folder / "y.npy")
    r = taskscout.rank_pool(esms=[pool], target=(x, y))
    assert comparable(r.to_dict()) == comparable(cli)
    assert [s.source for s in r] == ["keep", "shrink", "drop"]
    assert [s.rank for s in r] == [1, 2, 3]
    assert [s.source for s in r.skipped] == ["corrupt", "wide"]
    assert "6-dimensional" in r.skipped[1].reason
    # The identity map scores plain LogME of the features.
    assert r[0].score == pytest.approx(taskscout.score(x, y), rel=1e-9)


def masked(table: str) -> str:
    """A table with its timings masked (they differ between runs, and so may column widths)."""
    return "\n".join(re.sub(r"\s+", " ", re.sub(r"\b\d+\.\d{4}\b", "S", line)).strip() for line in table.splitlines())


def test_prints_the_cli_table_and_converts_to_pandas(classification, pool):
    folder, x, y = classification
    cli = run_cli("rank", "--esms", pool, "--target-features", folder / "x.npy", "--labels", folder / "y.npy",
                  "--k", 2).stdout
    r = taskscout.rank_pool(esms=[pool], target=x, labels=y, k=2)
    assert masked(str(r)) == masked(cli)
    assert len(list(r)) == 2
    pd = pytest.importorskip("pandas")
    frame = r.to_pandas()
    assert list(frame["source"]) == ["keep", "shrink", "corrupt", "wide"]
    assert frame["esm-logme"].iloc[0] == r[0].score
    assert frame["rank"].iloc[:2].tolist() == [1, 2] and pd.isna(frame["rank"].iloc[2])


@pytest.fixture
def registry(tmp_path):
    """A registry of ESMs for models/base-encoder, registered by the CLI."""
    reg = tmp_path / "reg"
    run_cli("registry", "init", reg)
    rng = np.random.default_rng(11)
    for i in range(6):
        w = np.eye(D) + rng.normal(scale=0.3, size=(D, D))
        write_esm(tmp_path / f"esm{i}.safetensors", w, rng.normal(size=D))
        run_cli("register", "--registry", reg, "--base", BASE, "--esm", tmp_path / f"esm{i}.safetensors", "--name",
                f"source-{i}")
    y = np.arange(80) % 2
    x = rng.normal(size=(80, D)).astype(np.float32)
    x[:, :3] += y[:, None] * 1.5
    np.save(tmp_path / "tx.npy", x)
    np.save(tmp_path / "ty.npy", y)
    return reg, x, y


def test_registry_rank_equals_the_cli(registry, tmp_path):
    reg, x, y = registry
    cli = cli_json("rank", "--registry", reg, "--target-features", tmp_path / "tx.npy", "--labels",
                   tmp_path / "ty.npy", "--base", BASE, "--method", "esm-logme", "--k", 4)
    r = taskscout.Registry(reg).rank(target=(x, y), base=BASE, method="esm-logme", k=4)
    assert comparable(r.to_dict()) == comparable(cli)
    assert len(cli["ranking"]) == 4 and cli["scored"] == 6


def test_sources_are_the_registry_list(registry):
    reg, _, _ = registry
    listed = cli_json("registry", "list", reg)["sources"]
    sources = taskscout.Registry(reg).sources
    assert [s.name for s in sources] == [f"source-{i}" for i in range(6)]
    assert all("esm" in s.artifacts and len(s.base_fingerprint) == 64 for s in sources)
    for s, j in zip(sources, listed, strict=True):
        assert (s.id, s.name, s.base_fingerprint, s.task, s.label_names, s.dataset_fingerprint, s.dataset_size,
                s.dev_metrics, s.provenance, s.created_at) == \
               (j["id"], j["name"], j["base_fingerprint"], j["task"], j["label_names"], j["dataset_fingerprint"],
                j["dataset_size"], j["dev_metrics"], j["provenance"], j["created_at"])
        assert {k: (a.digest, a.size) for k, a in s.artifacts.items()} == \
               {k: (a["digest"], a["size"]) for k, a in j["artifacts"].items()}


def test_register_an_esm_from_python_then_rank(registry, tmp_path):
    reg, x, y = registry
    registry_ = taskscout.Registry(reg)
    write_esm(tmp_path / "mine.safetensors", np.eye(D))
    s = registry_.register("mine", base=BASE, esm=tmp_path / "mine.safetensors", dev_metrics={"accuracy": 0.5})
    assert s.name == "mine" and s.dev_metrics == {"accuracy": 0.5} and "esm" in s.artifacts
    assert "mine" in [t.name for t in registry_.sources]
    cli = cli_json("rank", "--registry", reg, "--target-features", tmp_path / "tx.npy", "--labels",
                   tmp_path / "ty.npy", "--base", BASE, "--method", "esm-logme")
    assert comparable(registry_.rank(target=(x, y), base=BASE, method="esm-logme").to_dict()) == comparable(cli)
    with pytest.raises(taskscout.InputError, match='a source named "mine" is already registered'):
        registry_.register("mine", base=BASE, esm=tmp_path / "mine.safetensors")
    write_esm(tmp_path / "small.safetensors", np.eye(5))
    with pytest.raises(taskscout.InputError, match="5-dimensional embeddings but the base model"):
        registry_.register("small", base=BASE, esm=tmp_path / "small.safetensors")
