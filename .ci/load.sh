#!/usr/bin/env bash
# Load test (not run by CI): plan saves per second (POST /api/v1/plans) and
# share-page reads per second (GET /p/{id}) of `enrollplan serve` on SQLite
# (synchronous=FULL, the default), each reported as a ratio against a bare
# net/http server (cmd/bare-http) measured in the same run on the same machine.
#
#   bash .ci/load.sh            # or: make load
#
# Environment:
#   LOAD_DURATION     wrk duration of each measured run    (default 10s)
#   LOAD_CONNECTIONS  wrk connections                      (default 32)
#   LOAD_THREADS      wrk threads                          (default 2)
#   LOAD_WARMUP       un-measured wrk run before each one  (default 2s; 0 skips)
#   LOAD_TMPDIR       where the temp dir (binaries, SQLite file) goes
#                     (default $TMPDIR or /tmp; on tmpfs fsync is free, so the
#                     POST numbers would not be those of a disk)
#
# Safe to run anywhere: everything listens on 127.0.0.1 on kernel-chosen free
# ports, wrk only ever targets 127.0.0.1, runs are time-bounded, and both
# servers and the temp dir are removed on exit (also on Ctrl-C). The only
# change outside the temp dir is `apt-get install wrk` when wrk is missing.
# Exits 1 when a run had socket errors or non-2xx answers, when the POSTs to
# enrollplan were not all answered 201 (as its request log says), or when the
# plans table does not hold exactly one row per 201.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

DURATION="${LOAD_DURATION:-10s}"
CONNECTIONS="${LOAD_CONNECTIONS:-32}"
THREADS="${LOAD_THREADS:-2}"
WARMUP="${LOAD_WARMUP:-2s}"

die() { echo "load: $*" >&2; exit 1; }
[[ "$DURATION" =~ ^[1-9][0-9]*[smh]?$ ]] || die "LOAD_DURATION=$DURATION: use a duration such as 10s"
[[ "$WARMUP" =~ ^[0-9]+[smh]?$ ]] || die "LOAD_WARMUP=$WARMUP: use a duration such as 2s, or 0"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] && ((CONNECTIONS <= 1024)) || die "LOAD_CONNECTIONS=$CONNECTIONS: use 1..1024"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] && ((THREADS <= CONNECTIONS)) || die "LOAD_THREADS=$THREADS: use 1..LOAD_CONNECTIONS"

# --- wrk --------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  echo "load: wrk is missing; installing it with apt-get"
  command -v apt-get >/dev/null 2>&1 || die "wrk is missing and there is no apt-get; install wrk and rerun"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "wrk is missing and installing it needs root; install wrk and rerun"
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || die "curl is needed"

# --- temp dir and cleanup ---------------------------------------------------
base="${LOAD_TMPDIR:-${TMPDIR:-/tmp}}"
tmp="$(mktemp -d "$base/enrollplan-load.XXXXXX")"
serve_pid=""
bare_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $serve_pid $bare_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build ------------------------------------------------------------------
echo "load: building into $tmp"
go build -o "$tmp/enrollplan" ./cmd/enrollplan
go build -o "$tmp/bare-http" ./cmd/bare-http

# wait_addr FILE PID NAME: prints the http://127.0.0.1:PORT a server announced on stdout.
wait_addr() {
  local file=$1 pid=$2 name=$3 url=""
  for _ in $(seq 1 100); do
    url="$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$file" 2>/dev/null || true)"
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "load: $name did not start; its output:" >&2
  cat "$file" "${file%.out}.log" >&2 2>/dev/null || true
  return 1
}

# wait_ready URL NAME
wait_ready() {
  for _ in $(seq 1 100); do
    curl --noproxy '*' -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$2 is not ready at $1"
}

# --- start the servers (port 0: the kernel picks a free port) ---------------
# Settings from the caller's environment must not leak into the server.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ENROLLPLAN_' || true)
ENROLLPLAN_CREATE_LIMIT=0 "$tmp/enrollplan" serve --addr 127.0.0.1:0 --db "$tmp/load.db" --create-limit 0 \
  >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve_pid=$!
SERVE="$(wait_addr "$tmp/serve.out" "$serve_pid" "enrollplan serve")"
wait_ready "$SERVE/readyz" "enrollplan serve"

# --- one plan, for its share id and the size of its page --------------------
answers="examples/mixed-fleet.json"
cp "$answers" "$tmp/answers.json"
created="$(curl --noproxy '*' -fsS --max-time 10 -X POST -H 'Content-Type: application/json' \
  --data-binary @"$tmp/answers.json" "$SERVE/api/v1/plans")" || die "creating a plan failed"
id="$(printf '%s' "$created" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)"
[ -n "$id" ] || die "no id in $created"
page_bytes="$(curl --noproxy '*' -fsS --max-time 10 -o /dev/null -w '%{size_download}' "$SERVE/p/$id")"

"$tmp/bare-http" --addr 127.0.0.1:0 --page-bytes "$page_bytes" >"$tmp/bare.out" 2>"$tmp/bare.log" &
bare_pid=$!
BARE="$(wait_addr "$tmp/bare.out" "$bare_pid" "bare-http")"
wait_ready "$BARE/readyz" "bare-http"

cat >"$tmp/post.lua" <<EOF
-- POST the example answers as JSON on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open([[$tmp/answers.json]], "rb"))
wrk.body = f:read("*a")
f:close()
EOF

# --- measure ----------------------------------------------------------------
# CPU accounting, in clock ticks: the server process, wrk (the shell's reaped
# children, read with the `times` builtin, which must run in this shell) and
# the whole machine (/proc/stat), so the report can show how much of the CPU
# other work took during a run.
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat 2>/dev/null || echo 0; }
# children_ticks: parses $tmp/times, written by `times >"$tmp/times"` just before.
children_ticks() {
  awk -v hz="$CLK_TCK" 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$tmp/times"
}

# measure NAME PID URL [LUA]: warm-up, then one measured wrk run; the output
# goes to $tmp/NAME.wrk and "server wrk other" CPU percentages to $tmp/NAME.cpu.
measure() {
  local name=$1 pid=$2 url=$3 lua=${4:-}
  local args=(-t"$THREADS" -c"$CONNECTIONS" --timeout 10s)
  [ -n "$lua" ] && args+=(-s "$lua")
  case "$url" in http://127.0.0.1:*) ;; *) die "refusing to load a non-loopback URL: $url" ;; esac
  if [ "$WARMUP" != "0" ] && [ "${WARMUP%[smh]}" != "0" ]; then
    wrk "${args[@]}" -d"$WARMUP" "$url" >"$tmp/$name.warmup.wrk"
  fi
  local t0 s0 w0 m0 t1 s1 w1 m1
  t0="$(date +%s.%N)"; s0="$(cpu_ticks "$pid")"; times >"$tmp/times"; w0="$(children_ticks)"; m0="$(machine_ticks)"
  wrk "${args[@]}" -d"$DURATION" --latency "$url" >"$tmp/$name.wrk"
  t1="$(date +%s.%N)"; s1="$(cpu_ticks "$pid")"; times >"$tmp/times"; w1="$(children_ticks)"; m1="$(machine_ticks)"
  awk -v s="$((s1 - s0))" -v w="$((w1 - w0))" -v m="$((m1 - m0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
    'BEGIN { d = hz * (t1 - t0) / 100; o = m - s - w; if (o < 0) o = 0; printf "%.0f %.0f %.0f\n", s / d, w / d, o / d }' >"$tmp/$name.cpu"
  echo "load: $name done ($(wrk_field "$tmp/$name.wrk" rps) req/s)"
}

# wrk_field FILE rps|p50|p99|requests|non2xx|errors
wrk_field() {
  awk -v want="$2" '
    /^Requests\/sec:/                      { rps = $2 }
    $1 == "50%"                            { p50 = $2 }
    $1 == "99%"                            { p99 = $2 }
    / requests in /                        { reqs = $1 }
    /^  Non-2xx or 3xx responses:/         { non = $NF }
    /^  Socket errors:/ {
      n = 0; for (i = 3; i <= NF; i += 2) { v = $(i + 1); gsub(",", "", v); n += v }; errs = n
    }
    END {
      if (want == "rps") print (rps == "" ? "?" : rps)
      else if (want == "p50") print (p50 == "" ? "?" : p50)
      else if (want == "p99") print (p99 == "" ? "?" : p99)
      else if (want == "requests") print (reqs == "" ? 0 : reqs)
      else if (want == "non2xx") print (non == "" ? 0 : non)
      else if (want == "errors") print (errs == "" ? 0 : errs)
    }' "$1"
}

loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP) against $BARE and $SERVE"
measure bare-get "$bare_pid" "$BARE/p/x"
measure serve-get "$serve_pid" "$SERVE/p/$id"
measure bare-post "$bare_pid" "$BARE/api/v1/plans" "$tmp/post.lua"
measure serve-post "$serve_pid" "$SERVE/api/v1/plans" "$tmp/post.lua"

# Stop enrollplan gracefully so the WAL is checkpointed, then count the rows.
kill -TERM "$serve_pid" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
wait "$serve_pid" 2>/dev/null || true
serve_pid=""
# The answers enrollplan logged (one JSON line per request), in-flight ones included.
created_201="$(grep -c '"method":"POST","path":"/api/v1/plans","status":201' "$tmp/serve.log" || true)"
posts_total="$(grep -c '"method":"POST","path":"/api/v1/plans"' "$tmp/serve.log" || true)"
if command -v sqlite3 >/dev/null 2>&1; then
  rows="$(sqlite3 "$tmp/load.db" 'SELECT count(*) FROM plans;')"
  rows_how="sqlite3: SELECT count(*) FROM plans"
else
  rows="$created_201"
  rows_how="no sqlite3: POSTs enrollplan logged as 201"
fi

# --- report -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.1f%%", 100 * a / b; else print "?" }'; }
fstype="$(df -T "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 }')"
fstype="${fstype:-?}"

echo
echo "enrollplan load test — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency, warm-up $WARMUP, loopback; wrk and servers share the CPUs"
echo "load average (1/5/15 min): $loadavg_start at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end" \
  "— other work on the machine skews req/s, and the ratios less"
echo "SQLite: $tmp/load.db on $fstype, WAL, synchronous=FULL; share page $page_bytes bytes (bare page the same)"
echo
printf '%-28s %10s %9s %9s %9s %8s %7s %21s\n' run "req/s" p50 p99 requests non-2xx errors "CPU% srv/wrk/other"
fails=()
for run in bare-get serve-get bare-post serve-post; do
  f="$tmp/$run.wrk"
  case $run in
    bare-get) label="bare     GET  /p/x" ;;
    serve-get) label="serve    GET  /p/{id}" ;;
    bare-post) label="bare     POST /api/v1/plans" ;;
    serve-post) label="serve    POST /api/v1/plans" ;;
  esac
  non="$(wrk_field "$f" non2xx)"; errs="$(wrk_field "$f" errors)"
  read -r cs cw co <"$tmp/$run.cpu"
  printf '%-28s %10s %9s %9s %9s %8s %7s %21s\n' "$label" "$(wrk_field "$f" rps)" "$(wrk_field "$f" p50)" \
    "$(wrk_field "$f" p99)" "$(wrk_field "$f" requests)" "$non" "$errs" "$cs / $cw / $co"
  if [ "$non" != 0 ] || [ "$errs" != 0 ]; then
    fails+=("$label: $non non-2xx/3xx answers, $errs socket errors")
  fi
done
echo
echo "share-page reads: serve/bare = $(ratio "$(wrk_field "$tmp/serve-get.wrk" rps)" "$(wrk_field "$tmp/bare-get.wrk" rps)")"
echo "plan saves:       serve/bare = $(ratio "$(wrk_field "$tmp/serve-post.wrk" rps)" "$(wrk_field "$tmp/bare-post.wrk" rps)")"
echo
wrk_posts="$(wrk_field "$tmp/serve-post.wrk" requests)"
if [ -f "$tmp/serve-post.warmup.wrk" ]; then
  wrk_posts=$((wrk_posts + $(wrk_field "$tmp/serve-post.warmup.wrk" requests)))
fi
echo "plans rows after the run: $rows ($rows_how)"
echo "POST /api/v1/plans logged by enrollplan: $posts_total, of which 201: $created_201 (1 setup plan + $((created_201 - 1)) under wrk;"
echo "  wrk counted $wrk_posts answers incl. warm-up; any excess on the server side was still in flight when wrk stopped)"
if [ "$created_201" != "$posts_total" ]; then
  fails+=("enrollplan answered $((posts_total - created_201)) POST /api/v1/plans with a status other than 201")
fi
if [ "$rows" != "$created_201" ]; then
  fails+=("the plans table has $rows rows but enrollplan answered $created_201 POSTs with 201")
fi
busy="$(cat "$tmp"/*.cpu | awk '{ o += $3; n++ } END { printf "%.0f", n ? o / n : 0 }')"
if [ "$busy" -gt 25 ]; then
  echo "load: WARNING: other processes used $busy% CPU on average during the runs; the numbers are not clean, rerun on a quiet machine" >&2
fi
if [ "${#fails[@]}" -gt 0 ]; then
  printf 'load: FAIL: %s\n' "${fails[@]}" >&2
  exit 1
fi
echo "load: OK — no socket errors, no non-2xx answers, every POST to enrollplan answered 201"
