#!/usr/bin/env bash
# Registering a pool of 16 small sources (issue 13, "Scale") with `register --pool`, on one
# process and with `mpirun -n 2`, printing markdown rows for bench/RESULTS.md: wall seconds,
# sources per minute, the speed-up over one process, and each process's peak RSS. The
# sources are synthetic text tasks (taskscout synth --text-tasks, 400 training rows each),
# fine-tuned in full from the default base encoder for one epoch; every run registers the
# same pool into a fresh registry, and the registries must hold the same sources.
# Timings wait until no compiler, ninja or ctest runs on the machine.
# Usage: bash bench/scale/run_register_pool.sh [SOURCES=16] [REPEATS=2]
# Environment: BUILD (default build), DATA (default $BUILD/bench-data/register-pool), PROCS ("1 2").
set -euo pipefail
cd "$(dirname "$0")/../.."
sources=${1:-16}
repeats=${2:-2}
build=${BUILD:-build}
data=${DATA:-$build/bench-data/register-pool}
procs=${PROCS:-1 2}
bin=$(realpath "$build/taskscout")
base=$(realpath models/base-encoder)
cores=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

quiet() {
  while pgrep -f "cc1plus|ninja|ctest" >/dev/null; do
    echo "waiting for a build to finish before timing…" >&2
    sleep 20
  done
}

rm -rf "$data"
mkdir -p "$data"
"$bin" synth --text-tasks --out "$data/tasks" --sources "$sources" --targets 1 --train-rows 400 --dev-rows 100 \
  --test-rows 10 --seed 1 >/dev/null 2>&1
{
  echo "name,dataset,method"
  for t in "$data"/tasks/source*/; do echo "$(basename "$t"),tasks/$(basename "$t"),full"; done
} >"$data/pool.csv"
rows=$(($(wc -l <"$data/pool.csv") - 1))

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "pool: $rows sources (synthetic text tasks, 400 training and 100 dev rows), full fine-tuning, 1 epoch, base $base"
echo
echo "| processes | threads each | run | wall s | sources/min | speed-up | peak RSS MiB per process |"
echo "|---|---|---|---|---|---|---|"
declare -A first
for r in $(seq 1 "$repeats"); do
  for p in $procs; do
    reg=$data/reg-$p-$r
    "$bin" registry init "$reg" >/dev/null
    threads=$((cores / p))
    ((threads >= 1)) || threads=1
    cmd=("$bin" register --registry "$reg" --base "$base" --pool "$data/pool.csv" --epochs 1 --threads "$threads" --json)
    quiet
    t0=$(date +%s.%N)
    if ((p == 1)); then
      /usr/bin/time -f "%M" -o "$data/rss-$p-$r.0" "${cmd[@]}" >"$data/out-$p-$r.json" 2>"$data/err-$p-$r"
    else
      # Each process under its own /usr/bin/time, its peak RSS in a file named by its rank.
      mpirun --oversubscribe -n "$p" sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' \
        "$data/rss-$p-$r" "${cmd[@]}" >"$data/out-$p-$r.json" 2>"$data/err-$p-$r"
    fi
    t1=$(date +%s.%N)
    wall=$(echo "$t1 - $t0" | bc)
    registered=$("$bin" registry list "$reg" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
    [ "$registered" = "$rows" ] || { echo "run with $p processes registered $registered of $rows sources" >&2; exit 1; }
    "$bin" registry verify "$reg" >/dev/null
    rss=$(for f in "$data/rss-$p-$r".*; do echo $(($(tail -1 "$f") / 1024)); done | paste -sd/)
    [ -n "${first[$r]:-}" ] || first[$r]=$wall
    printf '| %s | %s | %s | %.1f | %.1f | %.2f | %s |\n' "$p" "$threads" "$r" "$wall" \
      "$(echo "$rows * 60 / $wall" | bc -l)" "$(echo "${first[$r]} / $wall" | bc -l)" "$rss"
  done
done
# The same sources, whatever the number of processes.
for p in $procs; do
  "$bin" registry list "$data/reg-$p-1" --json | python3 -c 'import json,sys; print(sorted(s["name"] for s in json.load(sys.stdin)["sources"]))'
done | uniq | wc -l | grep -qx 1 || { echo "the registries hold different sources" >&2; exit 1; }
