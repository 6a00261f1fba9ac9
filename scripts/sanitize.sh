#!/usr/bin/env bash
# The unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer (GCC), in a
# build folder of their own ($SANITIZE_BUILD, default build-asan), then run. One command:
#   bash scripts/sanitize.sh [ctest arguments…]      e.g. -R 'Registry|Safetensors'
# Any ASan report (out-of-bounds, use-after-free, leak) or UBSan report (overflow, bad shift,
# misaligned or null access…) aborts the test program, so the test fails. Leak checking is
# on in the programs that never load libtorch (see tests/CMakeLists.txt for why).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SANITIZE_BUILD:-build-asan}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DTASKSCOUT_SANITIZE=ON -DTASKSCOUT_BUILD_BENCH=OFF >&2
fi
cmake --build "$build" -j "${JOBS:-$(nproc)}" >&2
# The fuzz smoke runs have their own sanitized build; the browser test checks a page, not code.
ctest --test-dir "$build" -j "${JOBS:-$(nproc)}" --timeout 3600 --output-on-failure -L unit -LE 'browser|fuzz' "$@"
