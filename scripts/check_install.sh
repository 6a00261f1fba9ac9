#!/usr/bin/env bash
# Installs the built library into a temporary prefix and builds and runs a program outside
# the tree against it (tests/install): find_package(taskscout) works, the public API
# compiles without libtorch's headers, and the program links and runs.
#   bash scripts/check_install.sh [BUILD_FOLDER]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S tests/install -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >&2
"$work/consumer/consumer" "$work/run"
