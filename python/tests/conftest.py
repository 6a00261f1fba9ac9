"""What the Python tests share: the taskscout binary they compare with, and small inputs
(.npy arrays, ESM safetensors files) written the way the C++ tests write theirs."""
import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("TASKSCOUT_FIXTURES_DIR", REPO / "tests" / "fixtures"))
BASE = REPO / "models" / "base-encoder"  # a tiny BERT (hidden 128) committed with the project


def binary() -> str:
    path = os.environ.get("TASKSCOUT_BINARY") or shutil.which("taskscout") or str(REPO / "build" / "taskscout")
    if not os.path.exists(path):
        pytest.skip(f"the taskscout binary is not built ({path}); the tests compare with it")
    return path


def run_cli(*args, check=True) -> subprocess.CompletedProcess:
    r = subprocess.run([binary(), *map(str, args)], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"taskscout {' '.join(map(str, args))} failed:\n{r.stderr}")
    return r


def cli_json(*args) -> dict:
    return json.loads(run_cli(*args, "--json").stdout)


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """The safetensors layout: header length (u64 LE), JSON header, tensor bytes."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a, dtype=np.float32)
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_esm(path: Path, weight, bias=None, base: str = "") -> None:
    weight = np.asarray(weight, np.float32)
    bias = np.zeros(weight.shape[0], np.float32) if bias is None else bias
    write_safetensors(path, {"weight": weight, "bias": bias},
                      {"format": "taskscout-esm", "version": "1", "base_fingerprint": base})


@pytest.fixture
def classification(tmp_path):
    """60 examples × 5 features whose class lives in feature 0 (as tests/cli/test_rank.cpp)."""
    rng = np.random.default_rng(7)
    y = np.arange(60) % 3
    x = rng.normal(size=(60, 5)).astype(np.float32)
    x[:, 0] += 2.0 * y
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y.astype(np.int64))
    return tmp_path, x, y.astype(np.int64)
