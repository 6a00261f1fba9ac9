"""What the Python module adds to `taskscout rank` over 1,000 ESMs (issue 12: under 5%).

The same pool and the same target features, ranked by
  cli:    `taskscout rank --esms POOL --target-features X --labels Y --json` (one process;
          with --registry, `--registry REG`: a registry of the same number of ESMs, built by
          importing an archive from bench/registry_make_archive.py), and
  python: `python3 -c "import taskscout; taskscout.rank_pool(...)"` (one process: interpreter
          start, import, the call, reading the results into a Ranking),
alternating which goes first in each round, so that load on a shared machine falls on both
alike. Reports the median wall time and the median CPU time (user + system of the process,
less sensitive than wall time to other jobs on the machine) of each over the rounds and their
ratios, plus the in-process time of the rank call against the CLI's own ranking seconds, and
checks that both ranked every source with the same scores, bit for bit.

Usage: python3 bench/python/rank_overhead.py [--registry] [--sources 1000] [--dim 768] [--n 1000]
       [--rounds 3] [--threads 2] [--build build] [--data build/bench-data/python-rank]
Run with Debian's /usr/bin/python3 and PYTHONPATH=BUILD/python (or the module installed).
"""
import argparse
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def write_esm(path: Path, w: np.ndarray, b: np.ndarray) -> None:
    header = {"__metadata__": {"format": "taskscout-esm", "version": "1", "base_fingerprint": ""},
              "weight": {"dtype": "F32", "shape": list(w.shape), "data_offsets": [0, w.nbytes]},
              "bias": {"dtype": "F32", "shape": list(b.shape), "data_offsets": [w.nbytes, w.nbytes + b.nbytes]}}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(struct.pack("<Q", len(text)) + text + w.tobytes() + b.tobytes())
    tmp.rename(path)


def make_data(folder: Path, sources: int, dim: int, n: int) -> Path:
    """ESMs as bench_esm make-esms draws them (W = I + 0.5·G/√D, b = 0.1·g) and a 2-class
    target whose classes differ in a few coordinates; written once."""
    pool = folder / f"pool{sources}_d{dim}"
    if not (pool / "done").exists():
        pool.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(2)
        for i in range(sources):
            w = (np.eye(dim) + 0.5 * rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
            write_esm(pool / f"esm{i:05d}.safetensors", w, (0.1 * rng.standard_normal(dim)).astype(np.float32))
        (pool / "done").touch()
    x_path, y_path = folder / f"x_n{n}_d{dim}.npy", folder / f"y_n{n}.npy"
    if not x_path.exists():
        rng = np.random.default_rng(3)
        y = np.arange(n) % 2
        x = rng.standard_normal((n, dim)).astype(np.float32)
        x[:, :8] += 0.7 * y[:, None]
        np.save(x_path, x)
        np.save(y_path, y.astype(np.int64))
    return pool


def make_registry(folder: Path, build: Path, sources: int, dim: int) -> Path:
    """A registry of `sources` ESMs (D×D) through the real import path; made once."""
    reg = folder / f"registry{sources}_d{dim}"
    if not (folder / f"registry{sources}_d{dim}.done").exists():
        archive = folder / f"registry{sources}_d{dim}.tsar"
        script = Path(__file__).resolve().parents[1] / "registry_make_archive.py"
        if not archive.exists():
            subprocess.run([sys.executable, str(script), str(archive), str(sources), str(dim)], check=True)
        for command in (["init", str(reg)], ["import", str(reg), str(archive)]):
            subprocess.run([str(build / "taskscout"), "registry", *command], check=True, stdout=subprocess.DEVNULL)
        archive.unlink()
        (folder / f"registry{sources}_d{dim}.done").touch()
    return reg


PYTHON_RUN = """
import json, sys, time
import numpy as np
import taskscout
pool, x, y, threads = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3]), int(sys.argv[4])
where = {"registry": pool} if sys.argv[5] == "registry" else {"esms": [pool]}
start = time.perf_counter()
r = taskscout.rank_pool(**where, target=(x, y), method="esm-logme", k=5, threads=threads)
call = time.perf_counter() - start
print(json.dumps({"call": call, "scores": r.scores(), "skipped": len(r.skipped)}))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sources", type=int, default=1000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--build", default="build")
    p.add_argument("--data", default=None)
    p.add_argument("--registry", action="store_true", help="rank a registry of the ESMs, not ESM files")
    a = p.parse_args()
    build = Path(a.build).resolve()
    data = Path(a.data or build / "bench-data" / "python-rank")
    pool = make_data(data, a.sources, a.dim, a.n)
    kind = "registry" if a.registry else "esms"
    if a.registry:
        pool = make_registry(data, build, a.sources, a.dim)
    x, y = data / f"x_n{a.n}_d{a.dim}.npy", data / f"y_n{a.n}.npy"
    env = dict(os.environ, PYTHONPATH=str(build / "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def cpu_seconds():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    def cli():
        start = time.perf_counter()
        out = subprocess.run([str(build / "taskscout"), "rank", f"--{kind}", str(pool), "--target-features", str(x),
                              "--labels", str(y), "--method", "esm-logme", "--k", str(a.sources), "--threads",
                              str(a.threads), "--json"], capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - start
        j = json.loads(out)
        return wall, j["setup_seconds"] + j["seconds"], {r["source"]: r["score"] for r in j["ranking"]}

    def python():
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PYTHON_RUN, str(pool), str(x), str(y), str(a.threads), kind],
                             capture_output=True, text=True, check=True, env=env).stdout
        wall = time.perf_counter() - start
        j = json.loads(out)
        return wall, j["call"], j["scores"]

    walls = {"cli": [], "python": []}
    cpus = {"cli": [], "python": []}
    inner = {"cli": [], "python": []}
    load_before = os.getloadavg()[0]
    reference = None
    for round_ in range(a.rounds):
        order = [("cli", cli), ("python", python)]
        if round_ % 2:
            order.reverse()
        for name, run in order:
            cpu_before = cpu_seconds()
            wall, seconds, scores = run()
            cpus[name].append(cpu_seconds() - cpu_before)
            walls[name].append(wall)
            inner[name].append(seconds)
            if reference is None:
                reference = scores
            assert scores == reference, f"{name}: scores differ from the first run"
            print(f"round {round_ + 1} {name}: wall {wall:.2f} s, cpu {cpus[name][-1]:.2f} s, ranking {seconds:.2f} s",
                  file=sys.stderr)
    assert len(reference) == a.sources, f"{len(reference)} of {a.sources} sources ranked"
    med = {k: statistics.median(v) for k, v in walls.items()}
    med_inner = {k: statistics.median(v) for k, v in inner.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(json.dumps({
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu, "cores": os.cpu_count(),
        "pool": "registry" if a.registry else "ESM files", "sources": a.sources, "dim": a.dim, "n": a.n, "threads": a.threads, "rounds": a.rounds,
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
        "wall_median_s": {k: round(v, 3) for k, v in med.items()},
        "wall_ratio_python_over_cli": round(med["python"] / med["cli"], 4),
        "cpu_median_s": {k: round(v, 3) for k, v in med_cpu.items()},
        "cpu_ratio_python_over_cli": round(med_cpu["python"] / med_cpu["cli"], 4),
        "ranking_median_s": {k: round(v, 3) for k, v in med_inner.items()},
        "ranking_ratio_python_over_cli": round(med_inner["python"] / med_inner["cli"], 4),
        "walls_s": {k: [round(t, 3) for t in v] for k, v in walls.items()},
        "cpus_s": {k: [round(t, 3) for t in v] for k, v in cpus.items()},
        "scores_identical": True}, indent=1))


if __name__ == "__main__":
    main()
