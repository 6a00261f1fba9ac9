"""Ranking: what Registry.rank returns — sources best first, with the skipped ones and why."""
from typing import Dict, Iterator, List, NamedTuple, Tuple


class RankedSource(NamedTuple):
    rank: int
    source: str
    score: float


class SkippedSource(NamedTuple):
    source: str
    reason: str


class MethodResult:
    """One method's full ranking (every scored source, not only the top k)."""

    def __init__(self, raw: dict):
        self.method: str = raw["method"]
        self.ranked: List[Tuple[str, float, float]] = raw["ranked"]  # (source, score, seconds)
        self.skipped: List[Tuple[str, str, float]] = raw["skipped"]  # (source, reason, seconds)
        self.setup_seconds: float = raw["setup_seconds"]
        self.seconds: float = raw["seconds"]


class Ranking:
    """Sources ranked for a target by one or more methods, ordered by the first.

    Iterating yields the top ``k`` as (rank, source, score); ``skipped`` lists the sources that
    could not be scored with the reason; ``str()`` is the CLI's table, ``to_dict()`` its
    ``--json`` object and ``to_pandas()`` a DataFrame (pandas is optional).
    """

    def __init__(self, raw: dict, k: int = 10):
        self.k = k
        self.target: str = raw["target"]
        self.n: int = raw["n"]
        self.d: int = raw["d"]
        self.sources: int = raw["sources"]
        self.embed_seconds: float = raw["embed_seconds"]
        self.notes: List[str] = raw["notes"]
        self.methods: Dict[str, MethodResult] = {}
        for m in raw["methods"]:
            self.methods[m["method"]] = MethodResult(m)
        self.method: str = raw["methods"][0]["method"]

    @property
    def first(self) -> MethodResult:
        return self.methods[self.method]

    @property
    def ranked(self) -> List[RankedSource]:
        return [RankedSource(i + 1, name, score) for i, (name, score, _) in enumerate(self.first.ranked[:self.k])]

    @property
    def skipped(self) -> List[SkippedSource]:
        return [SkippedSource(name, reason) for name, reason, _ in self.first.skipped]

    def scores(self, method: str = None) -> Dict[str, float]:
        """Every scored source's score (all of them, not only the top k)."""
        return {name: score for name, score, _ in self.methods[method or self.method].ranked}

    def __iter__(self) -> Iterator[RankedSource]:
        return iter(self.ranked)

    def __len__(self) -> int:
        return len(self.ranked)

    def __getitem__(self, i):
        return self.ranked[i]

    def _method_json(self, m: MethodResult) -> dict:
        return {"ranking": [{"rank": i + 1, "source": name, "score": score, "seconds": seconds}
                            for i, (name, score, seconds) in enumerate(m.ranked[:self.k])],
                "skipped": [{"source": name, "reason": reason} for name, reason, _ in m.skipped],
                "scored": len(m.ranked), "setup_seconds": m.setup_seconds, "seconds": m.seconds}

    def to_dict(self) -> dict:
        """The object ``taskscout rank --json`` prints (same keys, same order)."""
        j = {"target": self.target, "n": self.n, "d": self.d, "sources": self.sources,
             "embed_seconds": self.embed_seconds}
        if len(self.methods) == 1:
            j["method"] = self.method
            j.update(self._method_json(self.first))
        else:
            j["methods"] = {name: self._method_json(m) for name, m in self.methods.items()}
        return j

    def _table(self) -> Tuple[List[str], List[List[str]]]:
        several = len(self.methods) > 1
        columns = ["rank", "source"]
        for name in self.methods:
            columns += [name, name + " rank"] if several else [name]
        columns += ["seconds", "skipped"]
        places = {}
        for name, m in self.methods.items():
            places[name] = {s: (i + 1, score, sec, "") for i, (s, score, sec) in enumerate(m.ranked)}
            places[name].update({s: (0, None, sec, why) for s, why, sec in m.skipped})

        def row(source: str, rank: str) -> List[str]:
            cells, seconds, skipped = [rank, source], 0.0, []
            for name in self.methods:
                place, score, sec, why = places[name][source]
                cells.append("" if score is None else f"{score:.6f}")
                if several:
                    cells.append(str(place) if place else "")
                seconds += sec
                if why:
                    skipped.append(f"{name}: {why}" if several else why)
            return cells + [f"{seconds:.4f}", "; ".join(skipped)]

        rows = [row(name, str(i + 1)) for i, (name, _, _) in enumerate(self.first.ranked[:self.k])]
        rows += [row(name, "-") for name, _, _ in self.first.skipped]
        return columns, rows

    def __str__(self) -> str:
        """The table ``taskscout rank`` prints (columns aligned, two spaces apart)."""
        columns, rows = self._table()
        widths = [max([len(c.encode())] + [len(r[i].encode()) for r in rows]) for i, c in enumerate(columns)]

        def line(cells):
            return "  ".join(c if i + 1 == len(cells) else c + " " * (widths[i] - len(c.encode()))
                             for i, c in enumerate(cells)) + "\n"

        return line(columns) + "".join(line(r) for r in rows)

    def __repr__(self) -> str:
        return f"<Ranking of {self.sources} sources by {self.method}: {len(self.first.ranked)} ranked, " \
               f"{len(self.first.skipped)} skipped>"

    def to_pandas(self):
        """The table as a pandas DataFrame (ranked rows, then skipped rows with rank None)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Ranking.to_pandas needs pandas (Debian: apt-get install python3-pandas)") from e
        columns, rows = self._table()
        frame = pd.DataFrame(rows, columns=columns)
        frame["rank"] = [int(r) if r != "-" else None for r in frame["rank"]]
        for name in self.methods:
            frame[name] = [self.scores(name).get(s) for s in frame["source"]]
        frame["seconds"] = frame["seconds"].astype(float)
        return frame
