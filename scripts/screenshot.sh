#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium and saves a full-page screenshot beside it.
# Usage: scripts/screenshot.sh [RUN_DIR] [WIDTH]   (default clv-run, 1100 pixels wide)
set -euo pipefail
dir="${1:-clv-run}"
width="${2:-1100}"
report="$(cd "$dir" && pwd)/report.html"
[ -f "$report" ] || { echo "no $report: run 'clv run' first" >&2; exit 1; }
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "no Chromium found (Debian: apt-get install chromium)" >&2; exit 1; }
# The page's height once laid out, so that the screenshot holds the whole report.
height="$("$browser" --headless --no-sandbox --disable-gpu --window-size="$width,1000" --virtual-time-budget=3000 \
    --dump-dom "file://$report" 2>/dev/null | grep -o 'data-height="[0-9]*"' | grep -o '[0-9]*' || echo 9000)"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,${height:-9000}" \
    --screenshot="$dir/report.png" "file://$report" 2>/dev/null
echo "$dir/report.png"
