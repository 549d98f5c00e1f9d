#!/usr/bin/env bash
# Runs every go test -fuzz target of the module for FUZZTIME each (default
# 10s), one after another, and says how long each fuzzed and how many inputs
# it tried. Exits non-zero if any target failed; the failing input is kept
# in that package's testdata/fuzz/<target>/, where `make test` replays it.
set -uo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"

# "pkg target" pairs, from go test -list (which prints a package's targets,
# then its "ok" line).
targets=$("$GO" test -list '^Fuzz' ./... 2>&1 | awk '
  /^Fuzz/ { names[++n] = $1; next }
  /^ok[ \t]/ { for (i = 1; i <= n; i++) print $2, names[i]; n = 0; next }
  /^(FAIL|\?)/ { n = 0 }')
if [ -z "$targets" ]; then
  echo "no fuzz targets found (go test -list failed?)"; "$GO" test -list '^Fuzz' ./... ; exit 1
fi

summary=()
failed=0
while read -r pkg target; do
  short=${pkg#github.com/enrollplan/enrollplan/}
  printf '=== %s (%s), -fuzztime %s\n' "$target" "$short" "$FUZZTIME"
  start=$(date +%s.%N)
  out=$("$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1)
  rc=$?
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  last=$(grep -E '^fuzz: elapsed:' <<<"$out" | tail -1)
  fuzzed=$(sed -nE 's/^fuzz: elapsed: ([0-9hms.]+),.*/\1/p' <<<"$last")
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result=FAILED; failed=1
    echo "$out" | tail -40
  fi
  line=$(printf '%-24s %-18s %-6s fuzzed %-5s %9s inputs  (%ss with build and seeds)' "$target" "$short" "$result" "${fuzzed:-?}" "${execs:-?}" "$wall")
  echo "$line"
  summary+=("$line")
done <<<"$targets"

echo
echo "Fuzz targets, -fuzztime $FUZZTIME each:"
printf '  %s\n' "${summary[@]}"
exit $failed
