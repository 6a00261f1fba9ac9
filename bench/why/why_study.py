#!/usr/bin/python3
"""Why the rankers do what they do on the 12-task matrix: two studies that reuse the
measured truth (bench/transfer-12/matrix.csv) and the registered sources of
scripts/transfer_matrix.sh (WORK, default build/transfer-12/registry), ranking with
`taskscout rank` and judging with `taskscout eval`.

  target-size  the cheap rankers and TaskEmb from 100, 300 and 1,000 target rows (a seeded
               sample of the target's train split), every other task as the pool;
  bases        the base's strength and the sources' fine-tuning depth, on 6 of the tasks
               (sst2, mr, sst5, cr, mpqa, tweet_offensive; 2 seeds): the committed matrix's
               6-task part (default base, sources 2 epochs) beside build/why/random-6 (a
               random-weight base: bench/why/random_base.py) and build/why/deep-6 (sources
               6 epochs), each measured by `taskscout benchmark` (see bench/RESULTS.md);
               prints how resolved each matrix is, the ESMs' held-out R², every ranker's
               mean and ESM-LogME's agreement with LogME;
  combined     the combined ranker with other signal sets, leave-one-target-out on the
               committed scores (bench/transfer-12/scores.csv): z-scores within each pool,
               ridge (penalty 1) on the other 11 targets, as select/combined_ranker.cpp fits
               it — written here again in numpy, and checked against the benchmark's own
               combined column for the built-in signals;
  pooling      the model-based estimators (LogME, GBC, kNN on each fine-tuned source model's
               embeddings of the target) with mean or CLS pooling, of the last or the first
               layer — the registered ESMs were fitted on mean pooling of the last layer, so
               esm-logme is left out here.

    /usr/bin/python3 bench/why/why_study.py [target-size|pooling|bases|combined|all]

Writes build/why/<study>/<variant>.csv (target, source, scores…, macro_f1) and prints the
eval table of each variant. Environment: TASKSCOUT, SHARED, WORK.
"""

import csv
import json
import os
import random
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TASKSCOUT = os.environ.get("TASKSCOUT", os.path.join(ROOT, "build", "taskscout"))
SHARED = os.environ.get("SHARED", os.path.join(ROOT, "..", "shared"))
WORK = os.environ.get("WORK", os.path.join(ROOT, "build", "transfer-12"))
OUT = os.path.join(ROOT, "build", "why")
BASE = os.path.join(ROOT, "models", "base-encoder")
TRUTH = os.path.join(ROOT, "bench", "transfer-12", "matrix.csv")


def truth():
    with open(TRUTH, newline="") as f:
        return {(r["target"], r["source"]): r["macro_f1"] for r in csv.DictReader(f)}


def sample(task, rows, folder):
    """A seeded sample of `rows` rows of the task's train split, as a CSV in `folder`."""
    path = os.path.join(folder, f"{task}-{rows}.csv")
    if not os.path.exists(path):
        with open(os.path.join(SHARED, "data", "tasks", task, "train.csv"), newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            data = list(reader)
        random.Random(0).shuffle(data)
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(data[:rows])
    return path


def rank(target_csv, methods, extra=()):
    cmd = [TASKSCOUT, "rank", "--registry", os.path.join(WORK, "registry"), "--target", target_csv, "--base", BASE,
           "--method", ",".join(methods), "--max-length", "64", "--k", "1000", "--json", *extra]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{run.stderr}")
    j = json.loads(run.stdout)
    by_method = j["methods"] if "methods" in j else {j["method"]: j}
    return {m: {s["source"]: s["score"] for s in r["ranking"]} for m, r in by_method.items()}


def study(name, variants, methods_of, tasks, truth_f1):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    for variant, (rows, extra) in variants.items():
        table = os.path.join(folder, f"{variant}.csv")
        methods = methods_of(variant)
        if not os.path.exists(table):
            lines = []
            for target in tasks:
                scores = rank(sample(target, rows, folder), methods, extra)
                for source in tasks:
                    if source != target and (target, source) in truth_f1:
                        lines.append([target, source] + [scores[m].get(source, "") for m in methods] +
                                     [truth_f1[(target, source)]])
                print(f"{name} {variant}: {target} ranked", file=sys.stderr)
            with open(table + ".tmp", "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["target", "source", *methods, "macro_f1"])
                w.writerows(lines)
            os.replace(table + ".tmp", table)
        print(f"\n== {name}: {variant} ==", flush=True)
        subprocess.run([TASKSCOUT, "eval", "--data", table, "--truth-column", "macro_f1", "--score-column", "all",
                        "--random"], check=True)


SIX = ("sst2", "mr", "sst5", "cr", "mpqa", "tweet_offensive")


def six_task_part(folder):
    """The committed matrix restricted to the six tasks (truth and scores; combined left
    out: its z-scores belong to the 12-source pools)."""
    os.makedirs(folder, exist_ok=True)
    for name in ("matrix.csv", "scores.csv"):
        with open(os.path.join(ROOT, "bench", "transfer-12", name), newline="") as f:
            rows = list(csv.DictReader(f))
        fields = [k for k in rows[0] if k != "combined"]
        with open(os.path.join(folder, name), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(r for r in rows if r["target"] in SIX and r["source"] in SIX)


def eval_means(scores, truth_column, score_columns):
    run = subprocess.run([TASKSCOUT, "eval", "--data", scores, "--truth-column", truth_column, "--score-column",
                          score_columns, "--csv"],
                         capture_output=True, text=True, check=True)
    return [r for r in csv.DictReader(run.stdout.splitlines()) if r.get("target") == "mean"]


def bases():
    default = os.path.join(OUT, "default-6")
    six_task_part(default)
    matrices = {"default base, sources 2 epochs": (default, os.path.join(WORK, "registry")),
                "random-weight base": (os.path.join(OUT, "random-6"), os.path.join(OUT, "random-6", "registry")),
                "default base, sources 6 epochs": (os.path.join(OUT, "deep-6"), os.path.join(OUT, "deep-6", "registry"))}
    for label, (folder, registry) in matrices.items():
        if not os.path.exists(os.path.join(folder, "scores.csv")):
            print(f"\n== {label}: {folder}/scores.csv not measured yet ==")
            continue
        with open(os.path.join(folder, "matrix.csv"), newline="") as f:
            cells = [r for r in csv.DictReader(f) if r["target"] in SIX and r["source"] in SIX]
        gains = sorted(abs(float(c["gain"])) for c in cells)
        resolved = [c for c in cells if abs(float(c["gain"])) > 2 * float(c["gain_se"])]
        base_f1 = sorted({(c["target"], float(c["baseline_macro_f1"])) for c in cells})
        r2 = []
        listing = subprocess.run([TASKSCOUT, "registry", "list", registry, "--json"], capture_output=True, text=True)
        if listing.returncode == 0:
            r2 = sorted(s["provenance"]["esm"]["r2_heldout"] for s in json.loads(listing.stdout)["sources"]
                        if s["name"] in SIX and "esm" in s.get("provenance", {}))
        print(f"\n== {label} ({folder}) ==")
        print(f"target-only macro-F1: " + ", ".join(f"{t} {v:.3f}" for t, v in base_f1))
        print(f"median |gain| {gains[len(gains) // 2]:.3f}; {len(resolved)} of {len(cells)} gains resolved "
              f"(|gain| > 2 SE), {sum(float(c['gain']) > 0 for c in resolved)} positive")
        if r2:
            print(f"ESM held-out R²: {r2[0]:.2f}–{r2[-1]:.2f} (median {r2[len(r2) // 2]:.2f})")
        scores = os.path.join(folder, "scores.csv")
        with open(scores, newline="") as f:
            columns = [c for c in next(csv.reader(f)) if c not in (
                "target", "source", "macro_f1", "accuracy", "gain", "gain_se", "seeds", "combined")]
        print("ranker: mean weighted τ, Kendall τ-b, regret@1 % (against test macro-F1)")
        for r in eval_means(scores, "macro_f1", ",".join(columns)):
            print(f"  {r['ranker']:20s} {float(r['weighted_tau']):7.3f} {float(r['kendall_tau_b']):7.3f} "
                  f"{float(r['regret@1']):6.2f}")
        agree = eval_means(scores, "logme", "esm-logme")[0]
        print(f"ESM-LogME against LogME on the fine-tuned models: mean Kendall τ-b {float(agree['kendall_tau_b']):.3f}")


def zscore(v):
    import numpy as np
    v = np.asarray(v, dtype=float)
    sd = v.std(ddof=1) if len(v) > 1 else 0.0
    return (v - v.mean()) / sd if sd > 0 else np.zeros_like(v)


def combined_study():
    import numpy as np
    with open(os.path.join(ROOT, "bench", "transfer-12", "scores.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    targets = sorted({r["target"] for r in rows})
    sets = {"esm-logme+textemb+vocabulary": ["esm-logme", "textemb", "vocabulary"],
            "esm-logme+textemb+vocabulary+taskemb": ["esm-logme", "textemb", "vocabulary", "taskemb"],
            "esm-logme+taskemb": ["esm-logme", "taskemb"],
            "esm-logme+vocabulary+taskemb": ["esm-logme", "vocabulary", "taskemb"]}
    if "taskemb" not in rows[0]:
        sets = {k: v for k, v in sets.items() if "taskemb" not in v}
    pools = {t: [r for r in rows if r["target"] == t] for t in targets}
    out = {t: {r["source"]: {} for r in pools[t]} for t in targets}
    for name, features in sets.items():
        z = {t: (np.array([zscore([float(r[f]) for r in pools[t]]) for f in features]).T,
                 zscore([float(r["macro_f1"]) for r in pools[t]])) for t in targets}
        for held in targets:
            x = np.vstack([z[t][0] for t in targets if t != held])
            y = np.concatenate([z[t][1] for t in targets if t != held])
            w = np.linalg.solve(x.T @ x + np.eye(len(features)), x.T @ y)
            for r, score in zip(pools[held], z[held][0] @ w):
                out[held][r["source"]][name] = score
        everything = np.linalg.solve(np.vstack([z[t][0] for t in targets]).T @ np.vstack([z[t][0] for t in targets]) +
                                     np.eye(len(features)),
                                     np.vstack([z[t][0] for t in targets]).T @ np.concatenate([z[t][1] for t in targets]))
        print(f"{name}: weights fitted on all 12 targets " + ", ".join(f"{f} {v:+.4f}" for f, v in zip(features, everything)))
    # The benchmark's own leave-one-target-out column must be what this computes.
    builtin = "esm-logme+textemb+vocabulary"
    diff = max(abs(out[r["target"]][r["source"]][builtin] - float(r["combined"])) for r in rows)
    print(f"largest difference from the benchmark's combined column: {diff:.2e}")
    assert diff < 1e-6, "the numpy refit disagrees with the benchmark's combined ranker"
    folder = os.path.join(OUT, "combined")
    os.makedirs(folder, exist_ok=True)
    table = os.path.join(folder, "loto.csv")
    with open(table, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["target", "source", *sets, "macro_f1"])
        for r in rows:
            w.writerow([r["target"], r["source"], *[out[r["target"]][r["source"]][s] for s in sets], r["macro_f1"]])
    subprocess.run([TASKSCOUT, "eval", "--data", table, "--truth-column", "macro_f1", "--score-column", "all",
                    "--random"], check=True)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    truth_f1 = truth()
    tasks = sorted({t for t, _ in truth_f1})
    if which in ("target-size", "all"):
        taskemb = ["--taskemb-epochs", "5", "--taskemb-learning-rate", "2e-4"]  # as the benchmark's target runs
        study("target-size", {f"{n}-rows": (n, taskemb) for n in (100, 300, 1000)},
              lambda v: ["esm-logme", "textemb", "vocabulary", "taskemb"], tasks, truth_f1)
    if which in ("combined", "all"):
        combined_study()
    if which in ("bases", "all"):
        bases()
    if which in ("pooling", "all"):
        variants = {"mean-last": (1000, ["--pooling", "mean", "--layer", "-1"]),
                    "cls-last": (1000, ["--pooling", "cls", "--layer", "-1"]),
                    "mean-first": (1000, ["--pooling", "mean", "--layer", "1"]),
                    "cls-first": (1000, ["--pooling", "cls", "--layer", "1"])}
        study("pooling", variants, lambda v: ["logme", "gbc", "knn"], tasks, truth_f1)


if __name__ == "__main__":
    main()
