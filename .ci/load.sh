#!/usr/bin/env bash
# Load test (not run by CI): `enrollplan serve` on SQLite (synchronous=FULL,
# the default) under wrk on loopback, each run reported as requests/s, p50
# and p99, and as ratios to two anchors measured in the same run on the same
# machine by cmd/bare-http:
#
#   tiny   the bare net/http handler answering "ok\n" (GET, or POST reading
#          the same request body and discarding it)
#   same   the bare net/http handler answering the very bytes enrollplan
#          answered for that run (recorded with curl just before), with the
#          same Content-Type and Content-Encoding
#
# Runs: compute (POST /api/v1/plan), the share page with a cold cache (a
# second enrollplan on the same database with ENROLLPLAN_RENDER_CACHE_MB=0,
# so every view renders) and a warm one, each share format, the print view,
# the API's GET, save (POST /api/v1/plans) and one wizard step (POST
# /wizard/organisation). Request bodies vary per request (a counter in the
# organisation name), so no answer can come from a cache of equal answers.
# Browser-like runs (share page, formats, print) send Accept-Encoding: br,
# gzip; scripted ones (API) send none, as curl does. At the end: the peak RSS
# (VmHWM) of each enrollplan process, and the issue's goals, met or not.
#
#   bash .ci/load.sh            # or: make load
#
# Environment:
#   LOAD_DURATION     wrk duration of each measured run    (default 6s)
#   LOAD_CONNECTIONS  wrk connections                      (default 64)
#   LOAD_THREADS      wrk threads                          (default 2)
#   LOAD_WARMUP       un-measured wrk run before each one  (default 2s; 0 skips)
#   LOAD_RUNS         space-separated subset of the runs below (default: all)
#   LOAD_TMPDIR       where the temp dir (binaries, SQLite file) goes
#                     (default $TMPDIR or /tmp; on tmpfs fsync is free, so the
#                     save numbers would not be those of a disk)
#   LOAD_KEEP=1       keep the temp dir (wrk outputs, server logs)
#   LOAD_BINARY       measure this enrollplan binary instead of building the
#                     checkout (e.g. one built at an older commit, for a
#                     before/after table from one sitting)
#   LOAD_PROGRESS_ENTRIES  distinct (plan, task) pairs prepared for the
#                     progress run (default 120000; each PATCH ticks a new one)
#
# Safe to run anywhere: everything listens on 127.0.0.1 on kernel-chosen free
# ports, wrk only ever targets 127.0.0.1, runs are time-bounded, and the
# servers and the temp dir are removed on exit (also on Ctrl-C). The only
# change outside the temp dir is `apt-get install wrk` when wrk is missing.
# Exits 1 when a run had socket errors or answers other than 2xx/3xx, when
# the saves were not all answered 201 (as the request log says), or when the
# plans table does not hold exactly one row per 201. Goals not met are
# reported, not failed: they are what BENCHMARKS.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

DURATION="${LOAD_DURATION:-6s}"
CONNECTIONS="${LOAD_CONNECTIONS:-64}"
THREADS="${LOAD_THREADS:-2}"
WARMUP="${LOAD_WARMUP:-2s}"
ALL_RUNS="compute share-cold share-warm share-md share-csv share-json share-ics print api-get save wizard plan-page progress"
RUNS="${LOAD_RUNS:-$ALL_RUNS}"

die() { echo "load: $*" >&2; exit 1; }
[[ "$DURATION" =~ ^[1-9][0-9]*[smh]?$ ]] || die "LOAD_DURATION=$DURATION: use a duration such as 6s"
[[ "$WARMUP" =~ ^[0-9]+[smh]?$ ]] || die "LOAD_WARMUP=$WARMUP: use a duration such as 2s, or 0"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] && ((CONNECTIONS <= 1024)) || die "LOAD_CONNECTIONS=$CONNECTIONS: use 1..1024"
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] && ((THREADS <= CONNECTIONS)) || die "LOAD_THREADS=$THREADS: use 1..LOAD_CONNECTIONS"
for run in $RUNS; do
  [[ " $ALL_RUNS " == *" $run "* ]] || die "LOAD_RUNS: unknown run $run (known: $ALL_RUNS)"
done

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
cold_pid=""
bare_pid=""
stop() { # stop PID: TERM, then KILL after 5 s
  local pid=$1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $serve_pid $cold_pid $bare_pid; do stop "$pid"; done
  if [ "${LOAD_KEEP:-}" = 1 ]; then echo "load: kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build ------------------------------------------------------------------
echo "load: building into $tmp"
if [ -n "${LOAD_BINARY:-}" ]; then
  [ -x "$LOAD_BINARY" ] || die "LOAD_BINARY=$LOAD_BINARY is not an executable"
  cp "$LOAD_BINARY" "$tmp/enrollplan"
  echo "load: measuring $LOAD_BINARY, not the checkout"
else
  go build -o "$tmp/enrollplan" ./cmd/enrollplan
fi
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

c() { curl --noproxy '*' -sS --max-time 20 "$@"; }

# --- start the servers (port 0: the kernel picks a free port) ---------------
# Settings from the caller's environment must not leak into the servers.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ENROLLPLAN_' || true)
"$tmp/enrollplan" serve --addr 127.0.0.1:0 --db "$tmp/load.db" --create-limit 0 \
  >"$tmp/serve.out" 2>"$tmp/serve.log" &
serve_pid=$!
SERVE="$(wait_addr "$tmp/serve.out" "$serve_pid" "enrollplan serve")"
wait_ready "$SERVE/readyz" "enrollplan serve"
# The cold-cache server: the same database, nothing cached.
ENROLLPLAN_RENDER_CACHE_MB=0 "$tmp/enrollplan" serve --addr 127.0.0.1:0 --db "$tmp/load.db" --create-limit 0 \
  >"$tmp/cold.out" 2>"$tmp/cold.log" &
cold_pid=$!
COLD="$(wait_addr "$tmp/cold.out" "$cold_pid" "enrollplan serve (no cache)")"
wait_ready "$COLD/readyz" "enrollplan serve (no cache)"

# --- request bodies ---------------------------------------------------------
answers="examples/mixed-fleet.json"
grep -q '"organization": *"[^"]*"' "$answers" || die "$answers has no organization to vary"
sed 's/"organization": *"[^"]*"/"organization": "@@ORG@@"/' "$answers" >"$tmp/answers.tmpl"
sed 's/@@ORG@@/Load test org 0/' "$tmp/answers.tmpl" >"$tmp/answers.json"
form_tmpl='organization=@@ORG@@&tenant.mdm_authority=intune&tenant.admin_role=intune-admin&tenant.cloud=global&tenant.licenses_assigned=yes&tenant.groups_ready=yes&tenant.entra_premium=yes&tenant.configmgr=no&tenant.apple_mdm_push_certificate=yes&tenant.apple_business_manager=yes&tenant.managed_google_play=yes'
printf '%s' "$form_tmpl" >"$tmp/form.tmpl"

# --- one plan, its share id, and one wizard draft ---------------------------
created="$(c -f -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/answers.json" "$SERVE/api/v1/plans")" || die "creating a plan failed"
id="$(printf '%s' "$created" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)"
[ -n "$id" ] || die "no id in $created"
c -f -o /dev/null -c "$tmp/cookies" -X POST "$SERVE/wizard/new" || die "starting a wizard draft failed"
cookie="$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$tmp/cookies")"
[ -n "$cookie" ] || die "no session cookie from /wizard/new"
# A second draft, opened from the saved plan with its edit key: the wizard's
# step 7 ("Your plan") renders the whole document for it.
key="$(printf '%s' "$created" | grep -o '"edit_key":"[^"]*"' | head -1 | cut -d'"' -f4)"
[ -n "$key" ] || die "no edit_key in $created"
c -f -o /dev/null -c "$tmp/cookies-plan" -X POST --data-urlencode "key=$key" "$SERVE/p/$id/edit" || die "opening the plan in the wizard failed"
plan_cookie="$(awk '{ sub(/^#HttpOnly_/, "") } !/^#/ && NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$tmp/cookies-plan")"
[ -n "$plan_cookie" ] || die "no session cookie from /p/{id}/edit"
printf 'wrk.headers["Cookie"] = "%s"\nwrk.headers["Accept-Encoding"] = "br, gzip"\n' "$plan_cookie" >"$tmp/plan-page.lua"

# Progress PATCHes on distinct plans: each request ticks a task nobody has
# ticked yet (If-Match "p0" holds for it), so none is refused as stale. The
# pairs are split in two lists so the warm-up and the measured run never
# tick the same task.
progress_entries="${LOAD_PROGRESS_ENTRIES:-120000}"
prog_id=none prog_key=none prog_task=none
if [[ " $RUNS " == *" progress "* ]]; then
  echo "load: preparing $progress_entries (plan, task) pairs for the progress run"
  : >"$tmp/progress.pairs"
  have=0
  while [ "$have" -lt "$progress_entries" ]; do
    made="$(c -f -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/answers.json" "$SERVE/api/v1/plans")" || die "creating a plan for the progress run failed"
    pid="$(printf '%s' "$made" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)"
    pkey="$(printf '%s' "$made" | grep -o '"edit_key":"[^"]*"' | head -1 | cut -d'"' -f4)"
    c -f "$SERVE/api/v1/plans/$pid" | python3 -c 'import json,sys; [print(t["id"]) for t in json.load(sys.stdin)["plan"]["tasks"]]' \
      | awk -v p="$pid" -v k="$pkey" '{ print p, k, $1 }' >>"$tmp/progress.pairs"
    have="$(wc -l <"$tmp/progress.pairs")"
    [ "$have" -gt 0 ] || die "no task ids in the plan JSON"
  done
  half=$((have / 2))
  head -n "$half" "$tmp/progress.pairs" >"$tmp/progress.warm"
  tail -n +"$((half + 1))" "$tmp/progress.pairs" >"$tmp/progress.measured"
  # The first measured pair records the answer for the same-bytes anchor;
  # wrk ticks the others.
  read -r prog_id prog_key prog_task <"$tmp/progress.measured"
  tail -n +2 "$tmp/progress.measured" >"$tmp/progress.rest" && mv "$tmp/progress.rest" "$tmp/progress.measured"
fi
cat >"$tmp/progress.lua" <<'LUA'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local list, n, step = {}, 0, 1
function init(args)
  for line in io.lines(args[1]) do
    local p, k, t = string.match(line, "^(%S+) (%S+) (%S+)$")
    if p then list[#list + 1] = { p, k, t } end
  end
  step = tonumber(args[2]) or 1
  n = (tid or 1) - step
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["If-Match"] = '"p0"'
end
function request()
  n = n + step
  local e = list[(n - 1) % #list + 1]
  wrk.headers["Authorization"] = "Bearer " .. e[2]
  -- The same-bytes anchor (bare-http at /same/progress) keeps its own path.
  local path = "/api/v1/plans/" .. e[1] .. "/progress"
  if string.sub(wrk.path, 1, 6) == "/same/" then path = wrk.path end
  return wrk.format(nil, path, nil, '{"tasks":{"' .. e[3] .. '":{"status":"done"}},"by":"Load"}')
end
LUA

# Per run: method, path, server, whether it sends Accept-Encoding, body kind.
declare -A R_METHOD R_PATH R_SERVER R_AE R_BODY R_LABEL
def() { R_METHOD[$1]=$2; R_PATH[$1]=$3; R_SERVER[$1]=$4; R_AE[$1]=$5; R_BODY[$1]=$6; R_LABEL[$1]=$7; }
def compute    POST /api/v1/plan              serve no  json "compute   POST /api/v1/plan"
def share-cold GET  "/p/$id"                  cold  yes none "share     GET  /p/{id}, cold cache"
def share-warm GET  "/p/$id"                  serve yes none "share     GET  /p/{id}, warm cache"
def share-md   GET  "/p/$id.md"               serve yes none "format    GET  /p/{id}.md"
def share-csv  GET  "/p/$id.csv"              serve yes none "format    GET  /p/{id}.csv"
def share-json GET  "/p/$id.json"             serve yes none "format    GET  /p/{id}.json"
def print      GET  "/p/$id/print"            serve yes none "print     GET  /p/{id}/print"
def api-get    GET  "/api/v1/plans/$id"       serve no  none "api       GET  /api/v1/plans/{id}"
def save       POST /api/v1/plans             serve no  json "save      POST /api/v1/plans"
def wizard     POST /wizard/organisation      serve no  form "wizard    POST /wizard/organisation"
def share-ics  GET  "/p/$id.ics"              serve yes none "format    GET  /p/{id}.ics"
def plan-page  GET  /wizard/plan              serve yes page "plan page GET  /wizard/plan (step 7)"
def progress   PATCH "/api/v1/plans/$prog_id/progress" serve no progress "progress  PATCH /api/v1/plans/{id}/progress"
AE='br, gzip'
url_of() { if [ "${R_SERVER[$1]}" = cold ]; then echo "$COLD${R_PATH[$1]}"; else echo "$SERVE${R_PATH[$1]}"; fi; }

# --- record each answer, for the same-bytes anchor --------------------------
mkdir -p "$tmp/same"
for run in $RUNS; do
  args=(-o "$tmp/same/$run" -D "$tmp/same/$run.headers" -w '%{http_code}' -X "${R_METHOD[$run]}")
  [ "${R_AE[$run]}" = yes ] && args+=(-H "Accept-Encoding: $AE")
  case "${R_BODY[$run]}" in
    json) args+=(-H 'Content-Type: application/json' --data-binary @"$tmp/answers.json") ;;
    form) args+=(-H 'Content-Type: application/x-www-form-urlencoded' -H "Cookie: $cookie" --data-binary "${form_tmpl/@@ORG@@/Load test org 0}") ;;
    page) args+=(-H "Cookie: $plan_cookie") ;;
    progress) args+=(-H 'Content-Type: application/json' -H 'If-Match: "p0"' -H "Authorization: Bearer $prog_key" --data-binary "{\"tasks\":{\"$prog_task\":{\"status\":\"done\"}},\"by\":\"Load\"}") ;;
  esac
  status="$(c "${args[@]}" "$(url_of "$run")")" || die "recording $run failed"
  case "$status" in 2??|3??) ;; *) die "recording $run: status $status" ;; esac
  echo "$status" >"$tmp/same/$run.status"
  tr -d '\r' <"$tmp/same/$run.headers" | awk -F': ' 'tolower($1) == "content-type" { print $2 }' | tail -1 >"$tmp/same/$run.type"
  tr -d '\r' <"$tmp/same/$run.headers" | awk -F': ' 'tolower($1) == "content-encoding" { print $2 }' | tail -1 >"$tmp/same/$run.enc"
  rm "$tmp/same/$run.headers"
done

"$tmp/bare-http" --addr 127.0.0.1:0 --same-dir "$tmp/same" >"$tmp/bare.out" 2>"$tmp/bare.log" &
bare_pid=$!
BARE="$(wait_addr "$tmp/bare.out" "$bare_pid" "bare-http")"
wait_ready "$BARE/readyz" "bare-http"

# --- wrk scripts ------------------------------------------------------------
# vary.lua: a body per request from a template, with @@ORG@@ replaced by
# "Load <thread>-<n>" (the counter is per thread, the thread number makes
# it unique across threads).
cat >"$tmp/vary.lua" <<'EOF'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local prefix, suffix
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local text = f:read("*a")
  f:close()
  local s, e = string.find(text, "@@ORG@@", 1, true)
  prefix, suffix = string.sub(text, 1, s - 1), string.sub(text, e + 1)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[2]
  if args[3] ~= nil and args[3] ~= "" then wrk.headers["Cookie"] = args[3] end
end
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, prefix .. "Load " .. tostring(tid or 0) .. "-" .. n .. suffix)
end
EOF
cat >"$tmp/ae.lua" <<EOF
wrk.headers["Accept-Encoding"] = "$AE"
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

# measure NAME PID URL [wrk script args...]: warm-up, then one measured wrk
# run; the output goes to $tmp/NAME.wrk and "server wrk other" CPU
# percentages to $tmp/NAME.cpu.
measure() {
  local name=$1 pid=$2 url=$3
  shift 3
  local args=(-t"$THREADS" -c"$CONNECTIONS" --timeout 10s)
  local script=()
  if [ $# -gt 0 ]; then script=(-s "$1"); shift; fi
  case "$url" in http://127.0.0.1:*) ;; *) die "refusing to load a non-loopback URL: $url" ;; esac
  if [ "$WARMUP" != "0" ] && [ "${WARMUP%[smh]}" != "0" ]; then
    # The progress run's warm-up ticks its own list of tasks.
    local wargs=("$@")
    [ "${wargs[0]:-}" = "$tmp/progress.measured" ] && wargs[0]="$tmp/progress.warm"
    wrk "${args[@]}" "${script[@]}" -d"$WARMUP" "$url" ${wargs[0]+-- "${wargs[@]}"} >"$tmp/$name.warmup.wrk"
  fi
  local t0 s0 w0 m0 t1 s1 w1 m1
  t0="$(date +%s.%N)"; s0="$(cpu_ticks "$pid")"; times >"$tmp/times"; w0="$(children_ticks)"; m0="$(machine_ticks)"
  wrk "${args[@]}" "${script[@]}" -d"$DURATION" --latency "$url" ${1+-- "$@"} >"$tmp/$name.wrk"
  t1="$(date +%s.%N)"; s1="$(cpu_ticks "$pid")"; times >"$tmp/times"; w1="$(children_ticks)"; m1="$(machine_ticks)"
  awk -v s="$((s1 - s0))" -v w="$((w1 - w0))" -v m="$((m1 - m0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
    'BEGIN { d = hz * (t1 - t0) / 100; o = m - s - w; if (o < 0) o = 0; printf "%.0f %.0f %.0f\n", s / d, w / d, o / d }' >"$tmp/$name.cpu"
  echo "load: $name done ($(wrk_field "$tmp/$name.wrk" rps) req/s)"
}

# wrk_field FILE rps|p50|p99|requests|non2xx|errors  (latencies in ms)
wrk_field() {
  awk -v want="$2" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^Requests\/sec:/                      { rps = $2 }
    $1 == "50%"                            { p50 = ms($2) }
    $1 == "99%"                            { p99 = ms($2) }
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

# script_args RUN: the wrk script and its arguments for a run.
script_args() {
  case "${R_BODY[$1]}" in
    json) echo "$tmp/vary.lua" "$tmp/answers.tmpl" "application/json" ;;
    form) echo "$tmp/vary.lua" "$tmp/form.tmpl" "application/x-www-form-urlencoded" ;;
    page) echo "$tmp/plan-page.lua" ;;
    progress) echo "$tmp/progress.lua" "$tmp/progress.measured" "$THREADS" ;;
    *) [ "${R_AE[$1]}" = yes ] && echo "$tmp/ae.lua" ;;
  esac
}

loadavg_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP) against $BARE, $SERVE and $COLD (no cache)"
measure tiny-get "$bare_pid" "$BARE/tiny"
# shellcheck disable=SC2046
measure tiny-post "$bare_pid" "$BARE/tiny" "$tmp/vary.lua" "$tmp/answers.tmpl" "application/json"
for run in $RUNS; do
  pid=$serve_pid
  [ "${R_SERVER[$run]}" = cold ] && pid=$cold_pid
  read -r -a sargs <<<"$(script_args "$run")"
  if [ "${R_BODY[$run]}" = form ]; then
    measure "serve-$run" "$pid" "$(url_of "$run")" "${sargs[@]}" "$cookie"
    measure "same-$run" "$bare_pid" "$BARE/same/$run" "${sargs[@]}" "$cookie"
  else
    measure "serve-$run" "$pid" "$(url_of "$run")" ${sargs[@]+"${sargs[@]}"}
    measure "same-$run" "$bare_pid" "$BARE/same/$run" ${sargs[@]+"${sargs[@]}"}
  fi
done

# Peak resident memory of each enrollplan process over the whole benchmark.
rss_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo '?'; }
rss_serve="$(rss_mib "$serve_pid")"
rss_cold="$(rss_mib "$cold_pid")"

# Stop enrollplan gracefully so the WAL is checkpointed, then count the rows.
stop "$cold_pid"; cold_pid=""
stop "$serve_pid"; serve_pid=""
created_201="$(grep -c '"method":"POST","path":"/api/v1/plans","status":201' "$tmp/serve.log" || true)"
# Requests whose client hung up before an answer (wrk closing its
# connections at the end of a run, while saves still queued for a build
# slot) are logged with status 0 and stored nothing: counted apart.
posts_gone="$(grep '"msg":"request"' "$tmp/serve.log" | grep -c '"method":"POST","path":"/api/v1/plans","status":0,' || true)"
posts_total="$(grep '"msg":"request"' "$tmp/serve.log" | grep '"method":"POST","path":"/api/v1/plans"' | grep -vc '"status":0,' || true)"
if command -v sqlite3 >/dev/null 2>&1; then
  rows="$(sqlite3 "$tmp/load.db" 'SELECT count(*) FROM plans;')"
  rows_how="sqlite3: SELECT count(*) FROM plans"
else
  rows="$created_201"
  rows_how="no sqlite3: POSTs enrollplan logged as 201"
fi

# --- report -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "?") printf "%.3f", a / b; else print "?" }'; }
kb() { awk -v n="$(wc -c <"$1")" 'BEGIN { printf "%.1f", n / 1024 }'; }
fstype="$(df -T "$tmp" 2>/dev/null | awk 'NR == 2 { print $2 }')"
fstype="${fstype:-?}"
tiny_get_rps="$(wrk_field "$tmp/tiny-get.wrk" rps)"; tiny_get_p99="$(wrk_field "$tmp/tiny-get.wrk" p99)"
tiny_post_rps="$(wrk_field "$tmp/tiny-post.wrk" rps)"; tiny_post_p99="$(wrk_field "$tmp/tiny-post.wrk" p99)"

echo
echo "enrollplan load test — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) CPUs, $(uname -sr), $(go version | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency, warm-up $WARMUP, loopback; wrk and servers share the CPUs"
echo "load average (1/5/15 min): $loadavg_start at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end" \
  "— other work on the machine skews req/s, and the ratios less"
echo "SQLite: $tmp/load.db on $fstype, WAL, synchronous=FULL"
echo "anchors: bare tiny GET $tiny_get_rps req/s (p99 ${tiny_get_p99} ms), bare tiny POST $tiny_post_rps req/s (p99 ${tiny_post_p99} ms)"
echo
echo "| run | req/s | p50 ms | p99 ms | × tiny | × same bytes | p99 / tiny p99 | KB on the wire | CPU % srv/wrk/other |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
fails=()
for name in tiny-get tiny-post; do
  f="$tmp/$name.wrk"
  read -r cs cw co <"$tmp/$name.cpu"
  echo "| bare $name | $(wrk_field "$f" rps) | $(wrk_field "$f" p50) | $(wrk_field "$f" p99) | 1 | | 1 | 0.0 | $cs / $cw / $co |"
done
for run in $RUNS; do
  f="$tmp/serve-$run.wrk"; g="$tmp/same-$run.wrk"
  tiny_rps=$tiny_get_rps; tiny_p99=$tiny_get_p99
  [ "${R_METHOD[$run]}" != GET ] && { tiny_rps=$tiny_post_rps; tiny_p99=$tiny_post_p99; }
  read -r cs cw co <"$tmp/serve-$run.cpu"
  rps="$(wrk_field "$f" rps)"; p99="$(wrk_field "$f" p99)"
  enc="$(cat "$tmp/same/$run.enc")"
  echo "| ${R_LABEL[$run]} | $rps | $(wrk_field "$f" p50) | $p99 | $(ratio "$rps" "$tiny_rps") | $(ratio "$rps" "$(wrk_field "$g" rps)") | $(ratio "$p99" "$tiny_p99") | $(kb "$tmp/same/$run")${enc:+ ($enc)} | $cs / $cw / $co |"
  for x in "$f" "$g"; do
    non="$(wrk_field "$x" non2xx)"; errs="$(wrk_field "$x" errors)"
    if [ "$non" != 0 ] || [ "$errs" != 0 ]; then
      fails+=("$(basename "$x" .wrk): $non non-2xx/3xx answers, $errs socket errors")
    fi
  done
done
echo
echo "same-bytes anchors (bare net/http sending what enrollplan sent):"
for run in $RUNS; do
  g="$tmp/same-$run.wrk"
  echo "  $(printf '%-40s' "${R_LABEL[$run]}") $(wrk_field "$g" rps) req/s, p50 $(wrk_field "$g" p50) ms, p99 $(wrk_field "$g" p99) ms"
done
echo
echo "peak RSS (VmHWM): enrollplan $rss_serve MiB, enrollplan without cache $rss_cold MiB"

# The goals of the issue, as ratios to the tiny-body anchor of the same run.
goal() { # goal LABEL VALUE OP LIMIT
  local verdict
  verdict="$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { if (v == "?") print "?"; else if ((op == ">=" && v + 0 >= l + 0) || (op == "<=" && v + 0 <= l + 0)) print "met"; else print "NOT met" }')"
  printf '  %-52s %8s %s %-6s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}
echo
echo "goals (issue 19; the ×-before goals are read off two runs, LOAD_BINARY=<before> and this one):"
has() { [[ " $RUNS " == *" $1 "* ]]; }
same_ratio() { ratio "$(wrk_field "$tmp/serve-$1.wrk" rps)" "$(wrk_field "$tmp/same-$1.wrk" rps)"; }
if has share-warm; then goal "share page (warm) × same bytes" "$(same_ratio share-warm)" ">=" 0.8; fi
if has compute; then goal "compute × same bytes" "$(same_ratio compute)" ">=" 0.2; fi
if has plan-page; then goal "plan page (step 7) p99, ms (64 connections)" "$(wrk_field "$tmp/serve-plan-page.wrk" p99)" "<=" 100; fi
if has share-cold; then goal "share page cold (a full render) p99, ms" "$(wrk_field "$tmp/serve-share-cold.wrk" p99)" "<=" 100; fi
if has progress; then
  goal "progress PATCH req/s (synchronous=FULL, distinct plans)" "$(wrk_field "$tmp/serve-progress.wrk" rps)" ">=" 5000
  goal "progress PATCH p99, ms" "$(wrk_field "$tmp/serve-progress.wrk" p99)" "<=" 50
fi
if has save; then goal "save p99, ms" "$(wrk_field "$tmp/serve-save.wrk" p99)" "<=" 50; fi
for run in $RUNS; do
  tiny_p99=$tiny_get_p99
  [ "${R_METHOD[$run]}" != GET ] && tiny_p99=$tiny_post_p99
  goal "p99 $run / tiny p99" "$(ratio "$(wrk_field "$tmp/serve-$run.wrk" p99)" "$tiny_p99")" "<=" 3
done
goal "peak RSS of enrollplan, MiB" "$rss_serve" "<=" 96
for run in share-warm print; do
  if has "$run"; then goal "$run on the wire (${AE%%,*}), KB" "$(kb "$tmp/same/$run")" "<=" 30; fi
done

if has save; then
  echo
  wrk_posts="$(wrk_field "$tmp/serve-save.wrk" requests)"
  if [ -f "$tmp/serve-save.warmup.wrk" ]; then
    wrk_posts=$((wrk_posts + $(wrk_field "$tmp/serve-save.warmup.wrk" requests)))
  fi
  echo "plans rows after the run: $rows ($rows_how)"
  echo "POST /api/v1/plans logged by enrollplan: $posts_total, of which 201: $created_201 (2 before wrk + $((created_201 - 2)) under wrk;"
  echo "  wrk counted $wrk_posts answers incl. warm-up; any excess on the server side was still in flight when wrk stopped;"
  echo "  $posts_gone more were abandoned by wrk at the end of a run before they were stored, and logged with status 0)"
fi
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
echo "load: OK — no socket errors, no answers other than 2xx/3xx, every save answered 201"
