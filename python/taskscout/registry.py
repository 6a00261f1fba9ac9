"""taskscout.Registry: a source registry's sources, registering sources, ranking them."""
import json
import os
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from . import _core
from .ranking import Ranking


class Artifact(NamedTuple):
    kind: str
    digest: str
    size: int


class Source(NamedTuple):
    """One registered source, as ``taskscout registry list --json`` describes it."""
    id: int
    name: str
    task: str  # "classification", "regression" or "" (registered without its dataset)
    base_fingerprint: str
    artifacts: Dict[str, Artifact]
    label_names: List[str]
    dataset_fingerprint: str
    dataset_size: int
    dev_metrics: Dict[str, Any]
    provenance: Dict[str, Any]
    created_at: str
    defect: str  # non-empty for a damaged index row: listed, never ranked


def _source(d: dict) -> Source:
    return Source(id=d["id"], name=d["name"], task=d["task"], base_fingerprint=d["base_fingerprint"],
                  artifacts={k: Artifact(a["kind"], a["digest"], a["size"]) for k, a in d["artifacts"].items()},
                  label_names=list(d["label_names"]), dataset_fingerprint=d["dataset_fingerprint"],
                  dataset_size=d["dataset_size"], dev_metrics=json.loads(d["dev_metrics"]),
                  provenance=json.loads(d["provenance"]), created_at=d["created_at"], defect=d["defect"])


# register(method=…) options and their defaults: those of `taskscout register`.
_FINE_TUNE_DEFAULTS = dict(
    text_column="text", text_pair_column="", label_column="label", task="classification", dev_fraction=0.1,
    esm_heldout=0.1, pooling="mean", layer=-1, max_length=0, batch_size=32, max_texts=10_000, parameter_fisher=0,
    seed=0, threads=0, epochs=3, train_batch_size=16, learning_rate=0.0, warmup_ratio=0.1, weight_decay=0.01,
    max_grad_norm=1.0, eval_steps=0, patience=0, max_train_examples=0, train_max_length=0, class_weights=False,
    lora_rank=8, lora_alpha=16.0, lora_targets=[], adapter="pfeiffer", reduction_factor=16)


# register(esm=…) options and their defaults (the CLI's): the source's columns and how its
# texts are embedded for the mean embedding.
_ESM_DEFAULTS = dict(text_column="text", text_pair_column="", label_column="label", task="classification",
                     pooling="mean", layer=-1, max_length=0, batch_size=32, max_texts=10_000, seed=0, threads=0)


def _texts_table(target, text_column: str, label_column: str, task: str):
    """(texts, labels) given from Python as the columns and text rows of a table, so that
    labels get the same ids as from a file (integers ordered numerically, else by code point)."""
    texts, labels = target
    if len(texts) != len(labels):
        raise ValueError(f"target texts and labels differ in length: {len(texts)} and {len(labels)}")
    if task == "regression":
        cells = [repr(float(v)) for v in labels]
    else:
        cells = [str(int(v)) if isinstance(v, (int,)) or hasattr(v, "__index__") else str(v) for v in labels]
    return [text_column, label_column], [[str(t), c] for t, c in zip(texts, cells)]


def rank_pool(*, registry: str = "", esms: Sequence[str] = (), target=None, base: Optional[str] = None,
              method: Union[str, Sequence[str], None] = None, k: int = 10, labels=None, task: str = "auto",
              text_column: str = "text", text_pair_column: str = "", label_column: str = "label",
              pooling: str = "auto", layer: int = -1, max_length: int = 0, batch_size: int = 32,
              base_fingerprint: Optional[str] = None, combined_weights: Optional[str] = None, seed: int = 0,
              threads: int = 0, progress=False) -> Ranking:
    """A registry or ESM files ranked for a target; see Registry.rank."""
    if k < 1:
        raise ValueError("k must be at least 1")
    q = _core.RankRequest()
    q.registry = os.fspath(registry) if registry else ""
    q.esms = [os.fspath(e) for e in esms]
    q.base = os.fspath(base) if base else ""
    q.base_fingerprint = base_fingerprint or ""
    if method is None:
        q.methods = []
    elif isinstance(method, str):
        q.methods = [m for m in method.split(",") if m]
    else:
        q.methods = list(method)
    q.task, q.text_column, q.text_pair_column, q.label_column = task, text_column, text_pair_column, label_column
    q.pooling, q.layer, q.max_length, q.batch_size = pooling, layer, max_length, batch_size
    q.combined_weights = os.fspath(combined_weights) if combined_weights else ""
    q.seed, q.threads = seed, threads
    features = None
    if isinstance(target, (str, os.PathLike)):
        q.target = os.fspath(target)
    elif isinstance(target, tuple) and len(target) == 2 and hasattr(target[0], "__array_interface__"):
        features, labels = target
    elif target is None and labels is not None:
        raise ValueError("labels= goes with target=features (or target=(features, labels))")
    elif isinstance(target, tuple) and len(target) == 2:
        q.columns, q.rows = _texts_table(target, text_column, label_column, task)
    elif hasattr(target, "__array_interface__"):
        if labels is None:
            raise ValueError("target given as features needs labels=")
        features = target
    else:
        raise TypeError("target must be a table path (.csv, .tsv, .jsonl), (features, labels) arrays, "
                        "or (texts, labels) lists")
    return Ranking(_core.rank(q, features, labels, progress), k)


class Registry:
    """A taskscout source registry folder (``taskscout registry init``).

    >>> reg = taskscout.Registry("reg")
    >>> [s.name for s in reg.sources]
    >>> print(reg.rank(target="target.csv", base="bert-folder", method="esm-logme", k=5))
    """

    def __init__(self, path: Union[str, os.PathLike], create: bool = False, lock_timeout: float = 30.0):
        self._core = _core.Registry(os.fspath(path), create, lock_timeout)
        self.path = os.fspath(path)

    def __repr__(self) -> str:
        return f"taskscout.Registry({self.path!r})"

    @property
    def sources(self) -> List[Source]:
        """Every source, ordered by name."""
        return [_source(d) for d in self._core.sources()]

    def __len__(self) -> int:
        return len(self._core.sources())

    def register(self, name: str, *, base: Union[str, os.PathLike], esm: Optional[str] = None,
                 source: Optional[str] = None, method: Optional[str] = None, dev: Optional[str] = None,
                 dev_metrics: Optional[Dict[str, Any]] = None, progress=False, **options) -> Source:
        """Adds a source, as ``taskscout register``.

        ``esm=FILE``: an ESM trained elsewhere (checked against ``base``); with ``source=TABLE``
        the dataset's fingerprint, labels and the base's mean embedding of its texts are stored
        too (for textemb and combined). ``method="full" |
        "adapter" | "lora"`` with ``source=TABLE``: fine-tunes ``base`` on it here, fits its ESM
        and stores model, ESM, mean embedding and dev metrics in one transaction. ``options``
        are the CLI's flags with underscores (epochs, learning_rate, seed, lora_rank, …).
        Returns the stored source; ``dev``/``esm_r2`` of a fine-tuning are in its
        ``provenance`` and ``dev_metrics``.
        """
        base = os.fspath(base)
        if (esm is None) == (method is None):
            raise ValueError("register takes esm= (an ESM trained elsewhere) or method= (fine-tune here), one of "
                             "the two")
        if esm is not None:
            unknown = set(options) - set(_ESM_DEFAULTS)
            if unknown:
                raise TypeError(f"unknown register(esm=…) options {sorted(unknown)}; known: {sorted(_ESM_DEFAULTS)}")
            o = dict(_ESM_DEFAULTS, **options)
            d = self._core.register_esm(name, base, os.fspath(esm), os.fspath(source) if source else "",
                                        json.dumps(dev_metrics or {}), o, progress)
            return _source(d)
        if source is None:
            raise ValueError("register(method=…) needs source=, the dataset to fine-tune on")
        if dev_metrics is not None:
            raise ValueError("dev_metrics is for esm=; with method= the dev metrics are measured")
        unknown = set(options) - set(_FINE_TUNE_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown register options {sorted(unknown)}; known: {sorted(_FINE_TUNE_DEFAULTS)}")
        o = dict(_FINE_TUNE_DEFAULTS, **options, method=method)
        o["lora_targets"] = [o["lora_targets"]] if isinstance(o["lora_targets"], str) else list(o["lora_targets"])
        d = self._core.register_fine_tuned(name, base, os.fspath(source), os.fspath(dev) if dev else "", o,
                                           progress)
        return _source(d)

    def rank(self, target=None, base: Optional[str] = None, method: Union[str, Sequence[str], None] = None,
             k: int = 10, **options) -> Ranking:
        """Ranks this registry's sources for a target, best first, as ``taskscout rank``.

        ``target``: a table path (.csv/.tsv/.jsonl with text and label columns; needs ``base``,
        the model folder that embeds it), ``(texts, labels)`` lists (also with ``base``), or
        ``(features, labels)`` numpy arrays of the target's base embeddings. ``method``: one of
        taskscout.RANK_METHODS, a list, or "all"; default "combined" (for texts) or "esm-logme"
        (for features). Other options: labels, task, text_column, label_column, pooling, layer,
        max_length, batch_size, base_fingerprint, combined_weights, seed, threads, progress.
        """
        return rank_pool(registry=self.path, target=target, base=base, method=method, k=k, **options)
