#!/usr/bin/env bash
# The registry soak for minutes: 3 writer and 3 reader threads on one registry (writers
# register and remove sources, readers list, map artifacts and rank the whole registry by
# ESM-LogME), then verify and a final ranking of every committed source. The test suite runs
# the same test for 3 seconds (tests/select/test_soak.cpp).
#   bash bench/soak.sh [SECONDS]     (default 300; needs build/tests/test_select)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
TASKSCOUT_SOAK_SECONDS=$seconds build/tests/test_select --gtest_filter='Soak.*' | grep -E '^soak:|OK|FAILED|Failure'
