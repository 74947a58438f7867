#!/usr/bin/env bash
# Load test of authgate against bare Go baselines, in one run on one machine.
#
#   bench/run.sh                         # full run: 10s per measurement
#   BENCH_DURATION=2s BENCH_MEMORY_TOKENS=5000 bench/run.sh   # quick smoke run
#
# Measures with wrk (-t2 -c64 by default), everything on 127.0.0.1:
#   (a) bare net/http server answering 200            (bench/baseline -mode ok)
#   (b) authgate /api/auth/forward-auth, cached valid token (the real binary)
#   (c) bare httputil.ReverseProxy in front of (a)    (bench/baseline -mode proxy)
#   (d) authgate sidecar mode (AUTHGATE_UPSTREAM) in front of (a), valid token
# and prints req/s, p99, the ratios b/a and d/c, and PASS/FAIL against the
# targets of issue 3: b >= 60% of a with p99 < 2 ms, d >= 70% of c.
# Then (unless BENCH_MEMORY_TOKENS=0) it has authgate verify that many
# distinct valid tokens and reports its RSS and heap (bench/memtool).
#
# Settings (environment):
#   BENCH_DURATION        wrk duration per measurement (default 10s)
#   BENCH_CONNECTIONS     wrk connections (default 64)
#   BENCH_THREADS         wrk threads (default 2)
#   BENCH_ROUNDS          rounds of a,b,c,d; the median is reported (default 1)
#   BENCH_MEMORY_TOKENS   distinct tokens for the memory measurement (default 100000, 0 = skip)
#   BENCH_MEMORY_USERS    accounts those tokens belong to (default 1000)
#   BENCH_AUTHGATE        a prebuilt authgate binary to measure instead of building ./cmd/authgate
#
# Exit status: 0 when every target passes, 1 when one fails, 2 on a setup error.
set -euo pipefail

DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-1}
MEM_TOKENS=${BENCH_MEMORY_TOKENS:-100000}
MEM_USERS=${BENCH_MEMORY_USERS:-1000}

die() { echo "bench: $*" >&2; exit 2; }
[[ $DURATION =~ ^[0-9]+[smh]?$ ]] || die "BENCH_DURATION=$DURATION: want e.g. 10s"
for v in CONNS THREADS ROUNDS MEM_TOKENS MEM_USERS; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v}: want a whole number"
done
((ROUNDS >= 1 && ROUNDS <= 10)) || die "BENCH_ROUNDS=$ROUNDS: want 1..10"
((CONNS >= 1 && CONNS <= 1024)) || die "BENCH_CONNECTIONS=$CONNS: want 1..1024"
((MEM_TOKENS <= 1000000)) || die "BENCH_MEMORY_TOKENS=$MEM_TOKENS: at most 1000000"
((MEM_USERS >= 1)) || die "BENCH_MEMORY_USERS must be at least 1"
WRK=$(command -v wrk) || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authgate-bench.XXXXXX")
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback port nobody listens on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# wait_http URL: waits (up to 30s) until URL answers 200.
wait_http() {
	for _ in $(seq 300); do
		if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1") == 200 ]]; then return; fi
		sleep 0.1
	done
	echo "--- logs:" >&2; tail -n 30 "$WORK"/*.log >&2 || true
	die "$1 did not answer 200 within 30s"
}

echo "bench: building authgate and the baselines"
if [[ -n ${BENCH_AUTHGATE:-} ]]; then
	[[ -x $BENCH_AUTHGATE ]] || die "BENCH_AUTHGATE=$BENCH_AUTHGATE is not an executable"
	cp "$BENCH_AUTHGATE" "$WORK/authgate"
else
	(cd "$ROOT" && go build -o "$WORK/authgate" ./cmd/authgate) || die "go build ./cmd/authgate failed"
fi
(cd "$ROOT" && go build -o "$WORK/baseline" ./bench/baseline && go build -o "$WORK/memtool" ./bench/memtool) ||
	die "go build ./bench/... failed"

UP_PORT=$(free_port)
"$WORK/baseline" -mode ok -listen "127.0.0.1:$UP_PORT" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$UP_PORT/"

PROXY_PORT=$(free_port)
"$WORK/baseline" -mode proxy -listen "127.0.0.1:$PROXY_PORT" -upstream "http://127.0.0.1:$UP_PORT" >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PROXY_PORT/"

# start_authgate PORT [ENV...]: runs the binary on 127.0.0.1:PORT in sidecar
# mode in front of the upstream (forward-auth works in sidecar mode too, so
# one process serves both (b) and (d)); sets AG and AG_PID. The cache is
# sized so that every token of the memory measurement fits.
start_authgate() {
	local port=$1
	shift
	AG="http://127.0.0.1:$port"
	env -i PATH="$PATH" HOME="$WORK" "$@" \
		AUTHGATE_LISTEN="127.0.0.1:$port" AUTHGATE_PUBLIC_URL="$ISSUER" AUTHGATE_DATA_DIR="$WORK/data" \
		AUTHGATE_UPSTREAM="http://127.0.0.1:$UP_PORT" AUTHGATE_LOG_LEVEL=warn \
		AUTHGATE_CACHE_MAX_COST=$((512 << 20)) \
		"$WORK/authgate" serve >>"$WORK/authgate.log" 2>&1 &
	AG_PID=$!
	PIDS+=("$AG_PID")
	wait_http "$AG/readyz"
}
ISSUER="http://authgate.bench.test"
mkdir -p "$WORK/data"
start_authgate "$(free_port)"

# A real token from the real API.
REG=$(curl -s --max-time 10 -H 'Content-Type: application/json' \
	-d '{"email":"bench@example.com","password":"a long benchmark passphrase"}' "$AG/api/auth/register")
TOKEN=$(printf '%s' "$REG" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[[ -n $TOKEN ]] || die "register gave no token: $REG"

# Sanity: the measured requests are the intended answers.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
FWD=(-H "X-Forwarded-Method: GET" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: app.example.com" -H "X-Forwarded-Uri: /app/dashboard?tab=1")
[[ $(code "${FWD[@]}" -H "Authorization: Bearer $TOKEN" "$AG/api/auth/forward-auth") == 200 ]] || die "forward-auth with the token is not 200"
[[ $(code "${FWD[@]}" "$AG/api/auth/forward-auth") == 401 ]] || die "forward-auth without a token is not 401"
[[ $(code -H "Authorization: Bearer $TOKEN" "$AG/app/dashboard") == 200 ]] || die "sidecar with the token is not 200"
[[ $(code "$AG/app/dashboard") == 401 ]] || die "sidecar without a token is not 401"

# measure NAME URL [ENV...]: one wrk run; appends "NAME rps p99_us non2xx sockerr" to results.
measure() {
	local name=$1 url=$2
	shift 2
	local out
	out=$(env "$@" "$WRK" -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$ROOT/bench/auth.lua" "$url") ||
		die "wrk failed for $name: $out"
	local line
	line=$(printf '%s\n' "$out" | grep '^RESULT ') || die "no RESULT from wrk for $name: $out"
	local rps p99 non2xx sockerr
	rps=$(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$line")
	p99=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<<"$line")
	non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
	sockerr=$(sed -n 's/.* sockerr=\([0-9]*\).*/\1/p' <<<"$line")
	echo "$name $rps $p99 $non2xx $sockerr" >>"$WORK/results"
	printf 'bench:   %-14s %10.0f req/s  p99 %6.2f ms  non-2xx %s  socket errors %s\n' \
		"$name" "$rps" "$(awk -v u="$p99" 'BEGIN{printf "%.2f", u/1000}')" "$non2xx" "$sockerr"
}

# Each baseline gets the very request its authgate counterpart gets (same
# path, token and forwarded headers), so that only authgate's own work
# differs, not the bytes the server has to parse.
FA_REQ=(BENCH_PATH=/api/auth/forward-auth BENCH_FORWARDED=1 "BENCH_TOKEN=$TOKEN")
APP_REQ=(BENCH_PATH=/app/dashboard "BENCH_TOKEN=$TOKEN")
A=(a_nethttp "http://127.0.0.1:$UP_PORT" "${FA_REQ[@]}")
B=(b_forwardauth "$AG" "${FA_REQ[@]}")
C=(c_revproxy "http://127.0.0.1:$PROXY_PORT" "${APP_REQ[@]}")
D=(d_sidecar "$AG" "${APP_REQ[@]}")

echo "bench: warm-up (1s each)"
for s in A B C D; do
	unset -n sc 2>/dev/null || true; declare -n sc=$s
	env "${sc[@]:2}" "$WRK" -t"$THREADS" -c"$CONNS" -d1s -s "$ROOT/bench/auth.lua" "${sc[1]}" >/dev/null
done
: >"$WORK/results"
echo "bench: wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS round(s), $(nproc) CPUs, $(go version | cut -d' ' -f3)"
for r in $(seq "$ROUNDS"); do
	echo "bench: round $r"
	for s in A B C D; do
		unset -n sc 2>/dev/null || true; declare -n sc=$s
		measure "${sc[@]}"
	done
done

# median NAME FIELD: the median of a column over the rounds.
median() {
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$WORK/results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
errors() { awk -v n="$1" '$1 == n { s += $4 + $5 } END { print s + 0 }' "$WORK/results"; }

A_RPS=$(median a_nethttp 2); A_P99=$(median a_nethttp 3)
B_RPS=$(median b_forwardauth 2); B_P99=$(median b_forwardauth 3)
C_RPS=$(median c_revproxy 2); C_P99=$(median c_revproxy 3)
D_RPS=$(median d_sidecar 2); D_P99=$(median d_sidecar 3)

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
B_RATIO=$(awk -v b="$B_RPS" -v a="$A_RPS" 'BEGIN { printf "%.3f", b / a }')
D_RATIO=$(awk -v d="$D_RPS" -v c="$C_RPS" 'BEGIN { printf "%.3f", d / c }')
B_OK=$(verdict "$B_RATIO >= 0.60 && $B_P99 < 2000 && $(errors b_forwardauth) == 0")
D_OK=$(verdict "$D_RATIO >= 0.70 && $(errors d_sidecar) == 0")
BASE_OK=$(verdict "$(errors a_nethttp) + $(errors c_revproxy) == 0")

ROW='| %-40s | %9s | %7s | %-6s | %-27s | %-4s |\n'
row() { printf "$ROW" "$1" "$(printf '%.0f' "$2")" "$(awk -v u="$3" 'BEGIN{printf "%.2f", u/1000}')" "$4" "$5" "$6"; }
echo
echo "wrk -t$THREADS -c$CONNS -d$DURATION, median of $ROUNDS round(s):"
printf "$ROW" "measurement" "req/s" "p99 ms" "ratio" "target" "ok"
printf "$ROW" "----------------------------------------" "---------" "-------" "------" "---------------------------" "----"
row "(a) bare net/http, 200" "$A_RPS" "$A_P99" "1" "baseline" "$BASE_OK"
row "(b) authgate forward-auth, cached token" "$B_RPS" "$B_P99" "$B_RATIO" ">= 0.60 of (a), p99 < 2ms" "$B_OK"
row "(c) bare httputil.ReverseProxy -> (a)" "$C_RPS" "$C_P99" "1" "baseline" "$BASE_OK"
row "(d) authgate sidecar -> (a), token" "$D_RPS" "$D_P99" "$D_RATIO" ">= 0.70 of (c)" "$D_OK"
echo

if ((MEM_TOKENS > 0)); then
	# A fresh process, so that the load test's garbage does not count.
	kill -TERM "$AG_PID"
	wait "$AG_PID" 2>/dev/null || true
	KEEP=()
	for pid in "${PIDS[@]}"; do [[ $pid == "$AG_PID" ]] || KEEP+=("$pid"); done
	PIDS=("${KEEP[@]}")
	# Cached tokens live at most CACHE_PROFILE_TTL (60s by default); verifying
	# 100,000 RS256 tokens on a busy 2-core machine takes longer than that.
	start_authgate "$(free_port)" AUTHGATE_CACHE_PROFILE_TTL=1h
	echo "bench: memory: $MEM_TOKENS distinct valid tokens of $MEM_USERS users verified by a fresh authgate"
	"$WORK/memtool" -db "sqlite:$WORK/data/auth.db" -url "$AG" -issuer "$ISSUER" -pid "$AG_PID" \
		-tokens "$MEM_TOKENS" -users "$MEM_USERS" || die "memory measurement failed"
fi

[[ $B_OK == PASS && $D_OK == PASS && $BASE_OK == PASS ]] || exit 1
