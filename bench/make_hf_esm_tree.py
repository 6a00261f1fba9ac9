#!/usr/bin/python3
"""A tree of N hf-dataset-selector ESM folders for the import-esm benchmark
(bench/run_import_esm.sh), in the layout of scripts/make_hf_esm_fixtures.py:

    /usr/bin/python3 bench/make_hf_esm_tree.py OUT_DIR N DIM BASE_MODEL_NAME

OUT_DIR/<i // 100>/esm_<i>/{config.json, model.safetensors}: task_id "bench/task_<i>",
near-identity DIM×DIM maps seeded by i. Existing trees are kept.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import make_hf_esm_fixtures as fx  # noqa: E402


def main():
    out, n, dim, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    for i in range(n):
        d = os.path.join(out, f"{i // 100:02d}")
        if os.path.exists(os.path.join(d, f"esm_{i}", "model.safetensors")):
            continue
        w, b = fx.linear(i, dim)
        fx.folder(d, f"esm_{i}",
                  fx.esm_config(task_id=f"bench/task_{i}", base_model_name=base, esm_embedding_dim=dim),
                  [("model.bias", b), ("model.weight", w)])


if __name__ == "__main__":
    main()
