#!/usr/bin/env bash
# libFuzzer harnesses for every parser of outside input (fuzz/, FUZZING.md).
#
#   scripts/fuzz.sh build                  configure and build them (clang, ASan+UBSan) in $FUZZ_BUILD
#   scripts/fuzz.sh seeds                  rewrite fuzz/corpus/ (binary seeds by make_seeds, text seeds here)
#   scripts/fuzz.sh smoke [RUNS]           each harness over its seeds plus RUNS mutations (default 2000)
#   scripts/fuzz.sh campaign SECONDS [H…]  each harness (or the named ones) for SECONDS, corpus kept in
#                                          $FUZZ_BUILD/corpus/<harness>; prints executions, cov, ft, crashes
#
# Exits 77 (CTest's skip) when clang or libFuzzer is not installed, saying which: setup.sh
# installs them (clang, libfuzzer-14-dev, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
FUZZ_BUILD=${FUZZ_BUILD:-$root/build-fuzz}
harnesses=(fuzz_dataset fuzz_npy fuzz_safetensors fuzz_tokenizer fuzz_vocab fuzz_config fuzz_pretrain_config
  fuzz_shard_index fuzz_esm fuzz_archive)

have_fuzzer() {
  command -v clang++ >/dev/null || { echo "fuzz: skipped: clang++ is not installed (apt-get install clang)"; return 1; }
  local probe
  probe=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cpp"
  if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>/dev/null; then
    rm -rf "$probe"
    echo "fuzz: skipped: clang cannot link libFuzzer with ASan/UBSan (apt-get install libfuzzer-14-dev libclang-rt-14-dev)"
    return 1
  fi
  rm -rf "$probe"
}

build() {
  if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
    cmake -S "$root" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DTASKSCOUT_FUZZ=ON >&2
  fi
  cmake --build "$FUZZ_BUILD" -j "${JOBS:-$(nproc)}" >&2
}

# ASan's leak checker stays on; UBSan findings abort (the build uses -fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {  # harness, work corpus, extra libFuzzer flags…
  local h=$1 work=$2
  shift 2
  mkdir -p "$work" "$FUZZ_BUILD/artifacts/$h"
  "$FUZZ_BUILD/$h" "$work" "$root/fuzz/corpus/${h#fuzz_}" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$FUZZ_BUILD/artifacts/$h/" -print_final_stats=1 "$@"
}

summary() {  # harness, log
  local execs cov ft crashes
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$2" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$2" | tail -1 | grep -o '[0-9]*' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$2" | tail -1 | grep -o '[0-9]*' || echo 0)
  crashes=$(find "$FUZZ_BUILD/artifacts/$1" -type f -newer "$2.start" 2>/dev/null | wc -l)
  printf '%-18s executions %10s  cov %6s  ft %7s  new crash/timeout/oom files %s\n' "$1" "$execs" "$cov" "$ft" "$crashes"
}

case "${1:-smoke}" in
  build)
    have_fuzzer || exit 77
    build
    ;;
  seeds)
    have_fuzzer || exit 77
    build
    bash fuzz/make_text_seeds.sh
    "$FUZZ_BUILD/make_seeds" fuzz/corpus
    ;;
  smoke)
    have_fuzzer || exit 77
    build
    runs=${2:-2000}
    failed=0
    for h in "${harnesses[@]}"; do
      work=$(mktemp -d)
      log="$work.log"
      touch "$log.start"
      if run_one "$h" "$work" -runs="$runs" >"$log" 2>&1; then
        summary "$h" "$log"
      else
        echo "fuzz: $h FAILED; its output:"
        tail -60 "$log"
        failed=1
      fi
      rm -rf "$work" "$log" "$log.start"
    done
    exit $failed
    ;;
  campaign)
    have_fuzzer || exit 77
    build
    seconds=${2:?seconds per harness}
    shift 2
    (($#)) && harnesses=("$@")
    mkdir -p "$FUZZ_BUILD/logs"
    for h in "${harnesses[@]}"; do
      log="$FUZZ_BUILD/logs/$h.log"
      touch "$log.start"
      run_one "$h" "$FUZZ_BUILD/corpus/$h" -max_total_time="$seconds" >"$log" 2>&1 || true
      summary "$h" "$log"
    done
    ;;
  *)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac
