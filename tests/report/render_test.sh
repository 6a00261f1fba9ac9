#!/usr/bin/env bash
# Renders a taskscout HTML report in headless Chromium and checks it:
#   (a) the DOM after the page's script ran: the expected ids/classes (and counts, with
#       --expect), every sortable table set up, one <script> only; clicking a header sorts
#       (a probe in a copy of the page); an injected inline script is blocked by the CSP;
#   (b) a screenshot (1400×2400) is not blank;
#   (c) the file references nothing outside itself (src/href/url()/@import);
#   (d) exits non-zero, saying what failed, on any failure.
# Exits 77 (CTest's skip code) when chromium is not installed.
#
# usage: render_test.sh [--kind benchmark|ranking] [--expect SELECTOR=N]... [--keep DIR] REPORT.html
#   --kind    which report (default: from its elements)
#   --expect  a count to check in the DOM, e.g. --expect 'svg#transfer-heatmap g.cell=54'
#             (selectors: tag, #id, .class, [attr], [attr=value], descendants separated by spaces)
#   --keep    write the DOM dumps and the screenshot there instead of a temporary folder
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check() { python3 "$here/render_test.py" "$@"; }

kind="" keep="" expects=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kind) kind=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "render_test.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -ne 1 ]]; then
  echo "usage: render_test.sh [--kind benchmark|ranking] [--expect SELECTOR=N]... [--keep DIR] REPORT.html" >&2
  exit 2
fi
report=$(realpath "$1")
[[ -f "$report" ]] || { echo "FAIL: $1: no such file" >&2; exit 1; }

chromium_bin=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then chromium_bin=$(command -v "$c"); break; fi
done
if [[ -z "$chromium_bin" ]]; then
  echo "skipped: chromium not installed"
  exit 77
fi

if [[ -z "$kind" ]]; then
  if grep -q 'id="transfer-heatmap"' "$report"; then kind=benchmark
  elif grep -q 'id="ranking-bars"' "$report"; then kind=ranking
  else echo "FAIL: $report is neither a benchmark nor a ranking report" >&2; exit 1
  fi
fi

work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT
out=${keep:-$work}
mkdir -p "$out"

# No network, no background services; a fresh profile each time.
chrome() {
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --disable-default-apps --hide-scrollbars --user-data-dir="$profile" "$@" 2>"$work/chromium.log"
}

# (c) before anything runs.
check static "$report"

# (a) the DOM after the page's own script ran.
chrome --dump-dom "file://$report" >"$out/dom.html" || { cat "$work/chromium.log" >&2; echo "FAIL: chromium --dump-dom failed" >&2; exit 1; }
check dom "$out/dom.html" "$kind" "${expects[@]}"

check harness "$report" "$work/sort.html" sort
chrome --dump-dom "file://$work/sort.html" >"$out/sort-dom.html"
check sorted "$out/sort-dom.html"

check harness "$report" "$work/inject.html" inject
chrome --dump-dom "file://$work/inject.html" >"$out/inject-dom.html"
check injected "$out/inject-dom.html"

# (b) the screenshot.
rm -f "$out/screenshot.png"
chrome --screenshot="$out/screenshot.png" --window-size=1400,2400 "file://$report" >/dev/null || true
[[ -s "$out/screenshot.png" ]] || { cat "$work/chromium.log" >&2; echo "FAIL: chromium wrote no screenshot" >&2; exit 1; }
check png "$out/screenshot.png"

echo "PASS: $report ($kind)"
