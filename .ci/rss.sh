#!/usr/bin/env bash
# Peak RSS of `enrollplan serve` under 16 concurrent worst-case 1 MiB bodies
# at POST /api/v1/plan (issue "Hardening", item 1): measures this checkout,
# then, for each commit given, a binary built from that commit in a temporary
# git worktree, the same way (cmd/enrollplan TestPeakRSSWorstCaseBodies).
#   .ci/rss.sh            # this checkout
#   .ci/rss.sh 1568650    # and the commit before the answers parser's budget
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
measure() {
  ENROLLPLAN_RSS_BINARY="${1:-}" "$GO" test -count=1 -run '^TestPeakRSSWorstCaseBodies$' -v ./cmd/enrollplan |
    grep -E 'rss_test.go|^(--- |ok|FAIL)' | sed -E 's/^ +rss_test.go:[0-9]+: /  /'
}
echo "== this checkout ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', with uncommitted changes'))"
measure ""
for commit in "$@"; do
  dir=$(mktemp -d)
  git worktree add --detach "$dir/src" "$commit" >/dev/null 2>&1
  trap 'git worktree remove --force "$dir/src" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  (cd "$dir/src" && CGO_ENABLED=0 "$GO" build -o "$dir/enrollplan" ./cmd/enrollplan)
  echo "== $commit ($(git log -1 --format='%h %s' "$commit"))"
  measure "$dir/enrollplan" || true
  git worktree remove --force "$dir/src" >/dev/null 2>&1 || true
  rm -rf "$dir"
  trap - EXIT
done
