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
# Every figure is the median of REPEATS (3) runs, each merge beside its own cold read; the
# peak RSS is the largest. Prints a markdown table for bench/RESULTS.md.
# Usage: [REPEATS=3] bash bench/run_merge.sh [KS="2 4 8"] [METHODS="linear task-arithmetic ties dare-linear dare-ties breadcrumbs"] [THREADS=2]
# BUILD=dir uses an existing build (dir/taskscout) instead of scripts/setup.sh. BASELINE=bin
# (e.g. an older build's taskscout) also runs that binary, cold, beside each merge, and adds
# its median time and the ratio to the table.
set -euo pipefail
cd "$(dirname "$0")/.."
ks=${1:-2 4 8}
methods=${2:-linear task-arithmetic ties dare-linear dare-ties breadcrumbs}
threads=${3:-2}
repeats=${REPEATS:-3}
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
median() { printf "%s\n" "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

model_size=$(stat -c %s "$data/base/model.safetensors")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%d)"
echo "model size: $((model_size / 1048576)) MiB; medians of $repeats runs (the cold read is measured before each merge)"
echo
baseline=${BASELINE:-}
echo "| method | K | read cold s | read warm s | merge s (cold) | merge CPU s | merge / read cold | merge / read warm | peak RSS MiB | RSS / model size |${baseline:+ baseline s (cold) | baseline / merge |}"
echo "|---|---|---|---|---|---|---|---|---|---|${baseline:+---|---|}"
for k in $ks; do
  files=("$data/base/model.safetensors")
  models=""
  for i in $(seq 1 "$k"); do files+=("$data/m$i/model.safetensors"); models+="${models:+,}$data/m$i"; done
  for m in $methods; do
    colds=() warms=() times=() cpus=() rss_kb=0 before=()
    out=$data/out-$m-$k
    for _ in $(seq 1 "$repeats"); do
      # The disk's speed drifts on a shared machine: each merge has its own cold read beside it.
      evict "${files[@]}"
      colds+=("$(seconds sh -c "cat ${files[*]} > /dev/null")")
      warms+=("$(seconds sh -c "cat ${files[*]} > /dev/null")")
      evict "${files[@]}"
      log=$(mktemp)
      times+=("$(seconds /usr/bin/time -f "%U %S %M" -o "$log" "$bin" merge --models "$models" --base "$data/base" \
        --method "$m" --density 0.3 --threads "$threads" --out "$out")")
      read -r user sys rss < <(tail -1 "$log")
      rm -f "$log"
      rm -rf "$out"
      cpus+=("$(echo "$user + $sys" | bc -l)")
      ((rss > rss_kb)) && rss_kb=$rss
      if [ -n "$baseline" ]; then
        evict "${files[@]}"
        before+=("$(seconds "$baseline" merge --models "$models" --base "$data/base" --method "$m" --density 0.3 \
          --threads "$threads" --out "$out")")
        rm -rf "$out"
      fi
    done
    cold=$(median "${colds[@]}") warm=$(median "${warms[@]}") t=$(median "${times[@]}")
    printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %.2f |" "$m" "$k" "$cold" "$warm" "$t" \
      "$(median "${cpus[@]}")" "$(echo "$t / $cold" | bc -l)" "$(echo "$t / $warm" | bc -l)" $((rss_kb / 1024)) \
      "$(echo "$rss_kb * 1024 / $model_size" | bc -l)"
    if [ -n "$baseline" ]; then
      b=$(median "${before[@]}")
      printf " %.2f | %.2f |" "$b" "$(echo "$b / $t" | bc -l)"
    fi
    echo
  done
done
