#!/usr/bin/env bash
# Merge benchmark (issue 10): K models of BERT-base size (bench/merge/make_models.py: the
# base plus noise, float32, ~418 MiB each) merged by `taskscout merge`, for each method and K.
# For every run: wall time and peak RSS (/usr/bin/time), beside the time to read the same
# inputs (the K sources and the base) once:
#   cold  the files' pages evicted first (posix_fadvise DONTNEED on those files only), then
#         read with cat: what a merge of models not yet in memory reads against;
#   warm  read again from the page cache.
# Each merge runs cold too (its inputs evicted first), so both sides read from disk; its CPU
# time (user + system) is given too, since the machine is shared and wall times vary with its load.
# Prints a markdown table for bench/RESULTS.md.
# Usage: bash bench/run_merge.sh [KS="2 4 8"] [METHODS="linear task-arithmetic ties dare-linear dare-ties breadcrumbs"] [THREADS=2]
# BUILD=dir uses an existing build (dir/taskscout) instead of scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ks=${1:-2 4 8}
methods=${2:-linear task-arithmetic ties dare-linear dare-ties breadcrumbs}
threads=${3:-2}
if [ -z "${BUILD:-}" ]; then bash scripts/setup.sh; BUILD=build; fi
bin=$BUILD/taskscout
data=${DATA:-$BUILD/bench-data/merge}
kmax=0
for k in $ks; do ((k > kmax)) && kmax=$k; done
/usr/bin/python3 bench/merge/make_models.py "$data" "$kmax"

evict() {  # drops these files' pages from the page cache (no other file is touched)
  /usr/bin/python3 -c '
import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)  # dirty pages (a freshly written model) cannot be dropped
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$@"
}
# Wall seconds of a command (its own output discarded); stops the script when it fails.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

model_size=$(stat -c %s "$data/base/model.safetensors")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%d)"
echo "model size: $((model_size / 1048576)) MiB"
echo
echo "| method | K | read cold s | read warm s | merge s (cold) | merge CPU s | merge / read cold | merge / read warm | peak RSS MiB | RSS / model size |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for k in $ks; do
  files=("$data/base/model.safetensors")
  models=""
  for i in $(seq 1 "$k"); do files+=("$data/m$i/model.safetensors"); models+="${models:+,}$data/m$i"; done
  evict "${files[@]}"
  cold=$(seconds sh -c "cat ${files[*]} > /dev/null")
  warm=$(seconds sh -c "cat ${files[*]} > /dev/null")
  for m in $methods; do
    out=$data/out-$m-$k
    evict "${files[@]}"
    log=$(mktemp)
    t=$(seconds /usr/bin/time -f "%U %S %M" -o "$log" "$bin" merge --models "$models" --base "$data/base" --method "$m" \
      --density 0.3 --threads "$threads" --out "$out")
    read -r user sys rss_kb < <(tail -1 "$log")
    rm -f "$log"
    rm -rf "$out"
    printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.2f |\n" "$m" "$k" "$cold" "$warm" "$t" \
      "$(echo "$user + $sys" | bc -l)" \
      "$(echo "$t / $cold" | bc -l)" "$(echo "$t / $warm" | bc -l)" $((rss_kb / 1024)) \
      "$(echo "$rss_kb * 1024 / $model_size" | bc -l)"
  done
done
