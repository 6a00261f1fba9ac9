#!/usr/bin/env python3
"""The paper model of issue 13: ranking S sources (default 100,000 D = 768 ESMs) on P nodes.

  model.py SECONDS_PER_SOURCE_PER_CORE [CORES_PER_NODE=2] [SOURCES=100000]

Per node, compute scores CORES / c sources per second (one source per core, as rank's
workers do; c measured on this machine). Storage delivers B bytes per second: local NVMe
is per node (each node reads its shard from its own disk: P × 2 GB/s), NFS and Lustre are
shared (1 and 10 GB/s for the whole job, whatever P). If reading and scoring overlap fully
the time is max(compute, read); if every worker waits for its own reads (rank maps each
blob and faults its pages in on the scoring thread: measured on this machine, a cold F32
run took the warm time plus most of the read time) it is compute + read. The table gives
both, as "max – sum"; the bottleneck is the larger term.
Prints a markdown table for F32 (2.36 MB per source at D = 768) and F16 (half).
"""
import sys

c = float(sys.argv[1])
cores = int(sys.argv[2]) if len(sys.argv) > 2 else 2
sources = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
d = 768
esm_bytes = {"F32": (d * d + d) * 4, "F16": (d * d + d) * 2}
storage = [("local NVMe, 2 GB/s per node", 2e9, True), ("shared NFS, 1 GB/s in all", 1e9, False),
           ("Lustre, 10 GB/s in all", 10e9, False)]


def fmt(seconds):
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"


print(f"{sources:,} sources, {c * 1000:.1f} ms per source per core, {cores} cores per node: "
      f"compute {cores / c:.0f} sources/s per node; F32 reads {sources * esm_bytes['F32'] / 1e9:.0f} GB, "
      f"F16 {sources * esm_bytes['F16'] / 1e9:.0f} GB")
print()
print("| P nodes | compute | storage | read F32 | time F32, max – sum (bottleneck) | read F16 | time F16, max – sum (bottleneck) | F16 gain (max) |")
print("|---|---|---|---|---|---|---|---|")
for p in (1, 4, 16, 64):
    compute = sources * c / (cores * p)
    for name, bandwidth, per_node in storage:
        bw = bandwidth * p if per_node else bandwidth
        row = [str(p), fmt(compute), name]
        totals = []
        for dtype in ("F32", "F16"):
            read = sources * esm_bytes[dtype] / bw
            total = max(compute, read)
            totals.append(total)
            row += [fmt(read), f"{fmt(total)} – {fmt(compute + read)} ({'storage' if read > compute else 'compute'})"]
        row.append(f"{totals[0] / totals[1]:.2f}x")  # on the overlapped (max) time
        print("| " + " | ".join(row) + " |")
print()
# Where the bottleneck moves: compute time S·c/(cores·P) equals read time S·bytes/B when
# P = c·B / (cores·bytes) for shared storage (B fixed); node-local storage scales with P.
for name, bandwidth, per_node in storage:
    if per_node:
        ratio = {k: c * bandwidth / (cores * v) for k, v in esm_bytes.items()}
        print(f"- {name}: grows with P like compute, so the bottleneck stays where it is at P = 1: "
              f"the disk reads {ratio['F32']:.1f}x (F32) or {ratio['F16']:.1f}x (F16) faster than a node scores.")
    else:
        cross = {k: c * bandwidth / (cores * v) for k, v in esm_bytes.items()}
        print(f"- {name}: storage-bound from P ≈ {cross['F32']:.1f} nodes with F32, "
              f"P ≈ {cross['F16']:.1f} with F16.")
