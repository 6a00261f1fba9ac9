#!/usr/bin/env bash
# Ranking a registry of N = 10,000 D = 768 ESMs (issue 13, "Scale"), printing markdown rows
# for bench/RESULTS.md:
#  (a) builds (or reuses) the pools with bench/make_scale_pool: one registry with F32 ESMs,
#      one with the same maps in F16, and the target (1,000 × 768 features, labels.csv);
#  (b) the storage limit: a cold sequential read of every blob (cat to /dev/null);
#  (c) the compute limit: one source's ESM-LogME at this target (bench_esm scale-cost);
#  (d) `taskscout rank --method esm-logme --json` over the whole registry, with 1 process
#      and with `mpirun -n 2`, cold (page cache dropped) and warm, each process under
#      /usr/bin/time -v: wall seconds, sources/s, MB/s read (blob bytes / wall, and what the
#      block device really delivered, from /proc/diskstats), peak RSS of each process;
#  (e) the 2-process ranking against the 1-process one (must be identical), and the F16
#      ranking against the F32 one (Kendall τ-b, top-5/top-10 overlap; compare_rankings.py).
# Timings wait until no compiler, ninja or ctest runs on the machine, and a run during which one
# started is marked "build!" (repeat it).
# Usage: bash bench/scale/run_rank_scale.sh [N=10000] [REPEATS=1]
# Environment: BUILD (default build), DATA (default $BUILD/bench-data/scale), PROCS ("1 2"),
#   DTYPES ("f32 f16"), CACHES ("cold warm"), KEEP=1 keeps the pools (deleted otherwise:
#   23.6 GB + 11.8 GB at N = 10,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10000}
repeats=${2:-1}
build=${BUILD:-build}
data=${DATA:-$build/bench-data/scale}
procs=${PROCS:-1 2}
dtypes=${DTYPES:-f32 f16}
caches=${CACHES:-cold warm}
bin=$(realpath "$build/taskscout")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$data"
log=$data/results.md

quiet() {  # wait until no build runs anywhere on the machine (timings would be meaningless)
  while pgrep -f "cc1plus|ninja|ctest" >/dev/null; do
    echo "waiting for a build to finish before timing…" >&2
    sleep 20
  done
}
drop_caches() {  # true when the page cache could be dropped
  sync
  { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null
}
device=$(lsblk -no PKNAME "$(df --output=source "$data" | tail -1)" 2>/dev/null || true)
[ -n "$device" ] || device=$(basename "$(df --output=source "$data" | tail -1)")
read_bytes() { awk -v d="$device" '$3 == d {printf "%.0f\n", $6 * 512}' /proc/diskstats; }

# (a) the pools, F32 and F16, and the target (make_scale_pool checks the free space).
pool() {
  local dtype=$1 dir=$data/$1
  if [ -f "$dir/done" ] && [ "$(cat "$dir/done")" = "$n" ]; then return; fi
  rm -rf "$dir"
  # Registration fsyncs each blob: eatmydata (when installed) skips that for this synthetic
  # pool; the ranking reads are unaffected.
  local fast=""
  command -v eatmydata >/dev/null && fast=eatmydata
  nice $fast "$build/bench/make_scale_pool" "$dir" "$n" --dtype "$dtype" >"$dir.make.json"
  echo "$n" >"$dir/done"
  echo "pool $dtype: $(cat "$dir.make.json")" >&2
}

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
{
  echo
  echo "$(date -u '+%F %H:%M') UTC, $cpu, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM; N = $n sources, D = 768, target 1,000 × 768"
} | tee -a "$log"

for dtype in $dtypes; do
  pool "$dtype"
  reg=$data/$dtype/registry
  blob_bytes=$(du -sb "$reg/blobs" | cut -f1)
  quiet
  # (b) cold sequential read of every blob, in the order rank reads them (by name).
  for _ in $(seq "$repeats"); do
    if drop_caches; then state=cold; else state="warm (cannot drop caches)"; fi
    s=$(date +%s.%N)
    find "$reg/blobs" -name '*.safetensors' -print0 | sort -z | xargs -0 cat >/dev/null
    e=$(date +%s.%N)
    echo "| read every $dtype blob ($state, cat) | $(echo "$e - $s" | bc -l | xargs printf %.1f) s | $(echo "$blob_bytes / ($e - $s) / 1000000" | bc -l | xargs printf %.0f) MB/s | $(echo "$blob_bytes / 1000000000" | bc -l | xargs printf %.2f) GB |" | tee -a "$log"
  done
done

# (c) per-source compute on this target, and the load (decode) cost of each dtype.
quiet
one_f32=$(find "$data/f32/registry/blobs" -name '*.safetensors' -size +1M | head -1 || true)
one_f16=$(find "$data/f16/registry/blobs" -name '*.safetensors' -size +1M | head -1 || true)
"$build/bench/bench_esm" scale-cost "$data/f32/target.npy" "$data/f32/labels.csv" 9 $one_f32 $one_f16 |
  tee "$data/scale_cost.jsonl" | sed 's/^/    /' | tee -a "$log"

# (d) rank, 1 and 2 processes, cold and warm.
echo | tee -a "$log"
echo "| dtype | processes | cache | wall s | scoring s (rank's own) | sources/s | blob MB/s (bytes / wall) | device MB read | peak RSS per process (MiB) | note |" | tee -a "$log"
echo "|---|---|---|---|---|---|---|---|---|---|" | tee -a "$log"
last_reg=""  # a warm run right after a run over the same registry needs no warm-up run
for dtype in $dtypes; do
  reg=$data/$dtype/registry
  target=$data/$dtype/target.npy
  labels=$data/$dtype/labels.csv
  blob_bytes=$(du -sb "$reg/blobs" | cut -f1)
  for p in $procs; do
    threads=$(($(nproc) / p))
    [ "$threads" -ge 1 ] || threads=1
    for cache in $caches; do
      for r in $(seq "$repeats"); do
        quiet
        out=$data/rank_${dtype}_p${p}_${cache}_$r
        rm -f "$out".time.*
        if [ "$cache" = cold ]; then drop_caches || cache="cold?"; fi
        if [ "$cache" = warm ] && [ "$last_reg" != "$reg" ]; then  # one untimed run fills the page cache
          "$bin" rank --registry "$reg" --target-features "$target" --labels "$labels" --method esm-logme \
            --threads "$threads" --json --k "$n" >/dev/null 2>&1 || true
        fi
        # A build that starts during the run spoils it: watch for one.
        (while sleep 5; do pgrep -f "cc1plus|ninja|ctest" >/dev/null && touch "$out.spoiled"; done) &
        watcher=$!
        rm -f "$out.spoiled"
        read0=$(read_bytes)
        s=$(date +%s.%N)
        cmd=(sh -c '/usr/bin/time -v -o "$0.time.${OMPI_COMM_WORLD_RANK:-0}" "$@"' "$out"
          "$bin" rank --registry "$reg" --target-features "$target" --labels "$labels" --method esm-logme
          --threads "$threads" --json --k "$n")
        rc=0
        if [ "$p" = 1 ]; then
          "${cmd[@]}" >"$out.json" 2>"$out.err" || rc=$?
        else
          mpirun --oversubscribe -n "$p" "${cmd[@]}" >"$out.json" 2>"$out.err" || rc=$?
        fi
        e=$(date +%s.%N)
        read1=$(read_bytes)
        kill "$watcher" 2>/dev/null || true
        last_reg=$reg
        wall=$(echo "$e - $s" | bc -l)
        note=""
        [ "$rc" = 0 ] || note="exit $rc: $(grep -m1 'error' "$out.err" | cut -c1-120)"
        [ -f "$out.spoiled" ] && note="$note build! (a build ran meanwhile: repeat)"
        rss=$(for f in "$out".time.*; do
          [ -f "$f" ] && awk -F': ' '/Maximum resident set size/ {printf "%.0f ", $2 / 1024}' "$f"
        done)
        scoring=$(/usr/bin/python3 -c 'import json,sys
try: j = json.load(open(sys.argv[1])); print("%.1f" % j["seconds"])
except Exception: print("-")' "$out.json")
        printf "| %s | %s | %s | %.1f | %s | %.1f | %.0f | %.0f | %s | %s |\n" "$dtype" "$p" "$cache" "$wall" "$scoring" \
          "$(echo "$n / $wall" | bc -l)" "$(echo "$blob_bytes / $wall / 1000000" | bc -l)" \
          "$(echo "($read1 - $read0) / 1000000" | bc -l)" "${rss% }" "$note" | tee -a "$log"
      done
    done
  done
done

# (e) the same ranking from 2 processes as from 1 (bit for bit only at the same --threads per
# process: here 2 × 1 thread against 1 × 2, so expect the same order and rounding-level
# score differences), and F16 against F32.
echo | tee -a "$log"
for dtype in $dtypes; do
  for p in $procs; do
    [ "$p" = 1 ] && continue
    for f in "$data"/rank_"${dtype}"_p"${p}"_*.json; do
      /usr/bin/python3 bench/scale/compare_rankings.py same "$data/rank_${dtype}_p1_warm_1.json" "$f" | tee -a "$log" || true
    done
  done
done
case "$dtypes" in *f32*f16*)
  /usr/bin/python3 bench/scale/compare_rankings.py agree "$data/rank_f32_p1_warm_1.json" "$data/rank_f16_p1_warm_1.json" |
    tee -a "$log" ;;
esac
if [ "${KEEP:-0}" != 1 ]; then rm -rf "$data/f32" "$data/f16"; fi
