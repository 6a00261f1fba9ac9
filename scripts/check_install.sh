#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds and runs a program outside
# the tree against it (tests/install): find_package(taskscout) works, the public API
# compiles without libtorch's headers, and the program links and runs.
#   bash scripts/check_install.sh [BUILD_FOLDER [CMAKE_ARGS…]]   (default: build)
# CMAKE_ARGS configure the consumer (a sanitized build's consumer links the sanitizers).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
(($#)) && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S tests/install -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" "$@" >/dev/null
cmake --build "$work/consumer" >&2
"$work/consumer/consumer" "$work/run"
