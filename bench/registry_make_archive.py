#!/usr/bin/python3
"""Writes a taskscout registry archive (the format of `taskscout registry export`) holding
N synthetic sources, each with a small ESM (weight [D, D], bias [D], F32) and a mean
embedding, so that `taskscout registry import` builds a large registry through the real
code path (blobs re-hashed and validated, one transaction).

Usage: /usr/bin/python3 bench/registry_make_archive.py OUT.tsar [N=10000] [D=4]
"""
import hashlib
import json
import os
import sqlite3
import struct
import sys

import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
d = int(sys.argv[3]) if len(sys.argv) > 3 else 4

# The schema of src/registry/records.cpp and src/registry/archive.cpp.
SCHEMA = """
CREATE TABLE sources (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
  base_fingerprint TEXT NOT NULL, task_kind TEXT NOT NULL, label_names TEXT NOT NULL,
  dataset_fingerprint TEXT NOT NULL, dataset_size INTEGER NOT NULL, dev_metrics TEXT NOT NULL,
  provenance TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE artifacts (source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY (source_id, kind)) WITHOUT ROWID;
CREATE INDEX artifacts_by_digest ON artifacts(digest);
CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE blob_chunks (digest TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (digest, seq)) WITHOUT ROWID;
"""


def safetensors(tensors, metadata):
    header = {"__metadata__": metadata}
    offset, data = 0, b""
    for name, array in tensors:
        raw = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


if os.path.exists(out):
    os.remove(out)
db = sqlite3.connect(out)
db.execute("PRAGMA journal_mode = OFF")
db.executescript(SCHEMA)
db.execute(f"PRAGMA application_id = {0x54534341}")
db.execute("PRAGMA user_version = 1")
rng = np.random.default_rng(0)
base = hashlib.sha256(b"synthetic base").hexdigest()
for i in range(n):
    name = f"source-{i:05d}"
    esm = safetensors([("weight", rng.standard_normal((d, d))), ("bias", rng.standard_normal(d))],
                      {"format": "taskscout-esm", "version": "1", "base_fingerprint": base})
    mean = safetensors([("mean", rng.standard_normal(d))], {"format": "taskscout-mean-embedding", "version": "1"})
    cur = db.execute(
        "INSERT INTO sources (name, base_fingerprint, task_kind, label_names, dataset_fingerprint, dataset_size, "
        "dev_metrics, provenance, created_at) VALUES (?, ?, 'classification', ?, ?, ?, ?, ?, ?)",
        (name, base, json.dumps(["negative", "positive"]), hashlib.sha256(name.encode()).hexdigest(), 1000 + i,
         json.dumps({"accuracy": 0.5 + (i % 50) / 100}), json.dumps({"command": "registry_make_archive.py"}),
         "2026-11-22T00:00:00Z"))
    for kind, blob in (("esm", esm), ("mean_embedding", mean)):
        digest = hashlib.sha256(blob).hexdigest()
        db.execute("INSERT INTO artifacts VALUES (?, ?, ?, ?)", (cur.lastrowid, kind, digest, len(blob)))
        db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (digest, len(blob)))
        db.execute("INSERT OR IGNORE INTO blob_chunks VALUES (?, 0, ?)", (digest, blob))
db.commit()
db.close()
print(f"{out}: {n} sources, ESM dimension {d}", file=sys.stderr)
