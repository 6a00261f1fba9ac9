#!/usr/bin/env bash
# Writes the sample reports with the eval test program and checks each in headless Chromium
# (tests/report/render_test.sh). Exits 77 when chromium is not installed.
#
# usage: scripts/render_report_check.sh [TEST_PROGRAM] [OUT_DIR]
#   TEST_PROGRAM  the GoogleTest program holding tests/eval/test_report.cpp (default: build/tests/test_eval)
#   OUT_DIR       keep the reports, DOM dumps and screenshots there (default: a temporary folder)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
program=${1:-$root/build/tests/test_eval}
[[ -x "$program" ]] || { echo "FAIL: $program: no such test program; build test_eval first" >&2; exit 1; }
if [[ -n "${2:-}" ]]; then
  out=$2
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

TASKSCOUT_REPORT_SAMPLE_DIR="$out" "$program" --gtest_filter='Report.WritesSamplesForTheBrowserTest' >/dev/null
for f in benchmark ranking empty; do
  [[ -s "$out/$f.html" ]] || { echo "FAIL: $program wrote no $out/$f.html" >&2; exit 1; }
done

# The counts follow sample_benchmark() and sample_ranking() in tests/eval/test_report.cpp:
# 6 targets × 9 sources, 5 rankers; 3 methods ranking 9 + 8 + 6 sources, 2 skipped.
status=0
run() {
  local rc=0
  "$root/tests/report/render_test.sh" "$@" || rc=$?
  if [[ $rc -eq 77 ]]; then exit 77; fi
  if [[ $rc -ne 0 ]]; then status=1; fi
}
run --keep "$out/benchmark" --kind benchmark \
  --expect 'svg#transfer-heatmap g.cell=54' --expect 'svg.scatter=30' \
  --expect 'svg#ranker-ci circle.mean=20' --expect 'svg#ranker-ci line.reference=4' \
  --expect 'svg#quality-cost g.ranker-point=5' --expect 'table.sortable=9' "$out/benchmark.html"
run --keep "$out/ranking" --kind ranking \
  --expect '#ranking-bars svg.bars=3' --expect '#ranking-bars g.bar=23' --expect '#skipped tbody tr=2' \
  --expect 'table.sortable=3' "$out/ranking.html"
run --keep "$out/empty" --kind benchmark --expect 'g.cell=0' --expect 'svg.scatter=0' "$out/empty.html"
if [[ $status -ne 0 ]]; then
  echo "FAIL: see above" >&2
else
  echo "PASS: every sample report renders"
fi
exit $status
