"""hf-dataset-selector's entry point on taskscout: ``compute_task_ranking`` with its arguments
and its ``TaskRanking`` result, so that ``from taskscout import compute_task_ranking`` replaces
``from hfselect import compute_task_ranking``. Everything runs offline: ESMs are local files or
a registry, the base model a local folder; what would need the Hub raises UsageError."""
import os
from collections.abc import Sequence
from typing import List, Optional

from .errors import UsageError
from .registry import Registry, rank_pool

# hf-dataset-selector's ESMConfig fields shown by TaskRanking.
_CONFIG_FIELDS = ("task_id", "task_subset", "text_column", "label_column", "task_split", "num_examples",
                  "esm_architecture")
TEXT_SEPARATOR = " [SEP] "  # how hf-dataset-selector joins several text columns


class ESMConfig:
    """The description of an intermediate task that TaskRanking lists (hf-dataset-selector's
    ESMConfig fields; None where taskscout does not know them)."""

    def __init__(self, task_id: str, **fields):
        self.task_id = task_id
        for name in _CONFIG_FIELDS[1:]:
            setattr(self, name, fields.get(name))

    def __repr__(self) -> str:
        return f"ESMConfig(task_id={self.task_id!r})"


class TaskRanking(Sequence):
    """hf-dataset-selector's TaskRanking: esm_configs, scores and ranks, best first; sources
    that could not be scored are left out (as its NaN scores are), and listed in ``skipped``."""

    def __init__(self, esm_configs: List[ESMConfig], scores: List[float], ranks: Optional[List[int]] = None,
                 skipped=()):
        if len(esm_configs) != len(scores):
            raise ValueError(f"Task ranking contains {len(esm_configs)} ESM configs but {len(scores)} scores.")
        self.esm_configs = list(esm_configs)
        self.scores = list(scores)
        self.ranks = list(ranks) if ranks is not None else list(range(1, len(self.scores) + 1))
        self.skipped = list(skipped)

    def __getitem__(self, index):
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        if isinstance(index, slice):
            return TaskRanking(self.esm_configs[index], self.scores[index], self.ranks[index])
        raise TypeError(f"TaskRanking could not be indexed with a type {type(index)}.")

    def __len__(self) -> int:
        return len(self.esm_configs)

    def _lines(self, rounding: Optional[int] = None) -> List[str]:
        return [f"{str(rank) + '.':<5}{config.task_id:<50}Score: {round(score, rounding) if rounding else score}"
                for rank, config, score in zip(self.ranks, self.esm_configs, self.scores)]

    def __repr__(self) -> str:
        return "\n".join(self._lines())

    def __str__(self) -> str:
        return "\n".join(self[:10]._lines(6)) + ("\n..." if len(self) > 10 else "")

    def to_pandas(self):
        import pandas as pd
        columns = {"Rank": self.ranks,
                   "Task ID": [c.task_id for c in self.esm_configs],
                   "Task Subset": [c.task_subset for c in self.esm_configs],
                   "Text Column": [c.text_column for c in self.esm_configs],
                   "Label Column": [c.label_column for c in self.esm_configs],
                   "Task Split": [c.task_split for c in self.esm_configs],
                   "Num Examples": [c.num_examples for c in self.esm_configs],
                   "ESM Architecture": [c.esm_architecture for c in self.esm_configs],
                   "Score": self.scores}
        return pd.DataFrame.from_dict(columns).set_index("Rank")


def _target(dataset, text_col, label_col):
    """The target as rank_pool takes it, and the task: a table path, an hfselect Dataset (its
    rows are read), or (texts, labels)."""
    if isinstance(dataset, (str, os.PathLike)):
        return dataset, "auto", {"text_column": text_col or "text", "label_column": label_col or "label"}
    if hasattr(dataset, "text_col") and hasattr(dataset, "label_col"):  # hfselect.Dataset
        rows = [dataset[i] for i in range(len(dataset))]
        cols = dataset.text_col if isinstance(dataset.text_col, (list, tuple)) else [dataset.text_col]
        texts = [TEXT_SEPARATOR.join(str(r[c]) for c in cols) for r in rows]
        labels = [r[dataset.label_col] for r in rows]
        return (texts, labels), "regression" if dataset.is_regression else "classification", {}
    if isinstance(dataset, tuple) and len(dataset) == 2:
        return dataset, "auto", {}
    raise TypeError("dataset must be a table path (.csv, .tsv, .jsonl), an hfselect Dataset, or (texts, labels)")


def _config(source, provenance=None) -> ESMConfig:
    provenance = provenance or {}
    fields = provenance.get("esm_config", provenance)
    return ESMConfig(fields.get("task_id") or source, **{k: fields.get(k) for k in _CONFIG_FIELDS[1:]})


def compute_task_ranking(dataset, model_name: str, esms: Optional[List[str]] = None,
                         esm_repo_ids: Optional[List[str]] = None, batch_size: int = 128,
                         device_name: str = "cpu", *, registry: Optional[str] = None, pooling: str = "auto",
                         text_col: Optional[str] = None, label_col: Optional[str] = None, threads: int = 0,
                         progress=False) -> TaskRanking:
    """Ranks intermediate tasks for ``dataset`` by ESM-LogME, as hf-dataset-selector does.

    dataset: a table path, an hfselect ``Dataset`` or ``(texts, labels)``. model_name: the base
    model's local folder. esms: ESM files or folders of them (``registry=`` instead: a taskscout
    registry). esm_repo_ids, a Hub model name, and a device other than "cpu" cannot be honoured
    offline and raise UsageError. pooling: how the ESMs' embeddings were taken; "auto" (the
    default) embeds the target as the registry's sources record (hf-dataset-selector's
    imported ESMs: BERT's "pooler"), "mean" when they record none (ESM files).
    """
    if esm_repo_ids is not None:
        raise UsageError("esm_repo_ids names ESMs on the Hugging Face Hub, which taskscout does not download: "
                         "download them and pass their files as esms=[…], or import them into a registry")
    if device_name != "cpu":
        raise UsageError(f"device_name={device_name!r}: taskscout computes on the CPU only")
    if not os.path.isdir(os.fspath(model_name)):
        raise UsageError(f"model_name={model_name!r} is not a local model folder; taskscout runs offline: download "
                         "the model (config.json, model.safetensors, tokenizer) and pass its folder")
    if (esms is None) == (registry is None):
        raise UsageError("give the intermediate tasks as esms=[ESM files or folders] or registry=FOLDER, one of "
                         "the two (finding ESMs on the Hub is not done offline)")
    if esms is not None and not all(isinstance(e, (str, os.PathLike)) for e in esms):
        raise TypeError("esms must be paths of ESM files or folders (hfselect ESM objects are not read)")
    target, task, columns = _target(dataset, text_col, label_col)
    ranking = rank_pool(registry=registry or "", esms=[os.fspath(e) for e in esms or []], target=target,
                        base=os.fspath(model_name), method="esm-logme", task=task, pooling=pooling,
                        batch_size=batch_size, threads=threads, progress=progress, **columns)
    provenance = {s.name: s.provenance for s in Registry(registry).sources} if registry else {}
    ranked = ranking.first.ranked
    return TaskRanking([_config(name, provenance.get(name)) for name, _, _ in ranked],
                       [score for _, score, _ in ranked], skipped=ranking.skipped)
