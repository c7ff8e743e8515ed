#!/usr/bin/env bash
# make bench-peer: the project's specs against the Node peer (Clerk's own
# @playwright/test + @clerk/testing set-up, fixtures/peer), on ONE stack
# (emulator + demo app, fixtures/peer/peerstack) and the same Chromium.
# For workers 1, 2 and 4 it runs both sides ROUNDS times, alternating
# which goes first, and prints each wall time, the best-vs-best ratio per
# worker count and overall (each side at its best worker count); then the
# scale run (gospecs TestScale): SCALE_SIGNINS sign-ins at SCALE_WAYS-way
# against the rate limit. With PEER_FLOOR=1 (the default) each round also
# runs the floor (gospecs TestFloor: the same number of specs on
# signed-out agenttest pages, TestDashboard without its sign-in): the Go
# side's best time over the floor's is what the sign-ins cost the suite
# (1.00: nothing), and the Node peer's is what a Go side whose sign-ins
# cost nothing would reach on this machine. It prints; it asserts
# nothing about time.
#
# Knobs (environment):
#   PEER_SPECS (24)        dashboard specs per run, on each side
#   PEER_ROUNDS (3)        runs of each side per worker count
#   PEER_WORKERS ("1 2 4") worker counts: Playwright's --workers, go test -parallel
#   PEER_QUIET (10)        seconds between runs, the rate limit's window, so each
#                          run starts with Clerk's whole budget (100 per 10 s)
#   PEER_RATE_LIMIT (clerk) the emulator's limit: clerk or off
#   PEER_RATE_SHARE        AGENTTEST_RATE_SHARE for the Go side (unset: its default)
#   PEER_CHROMIUM          the browser both sides use (default: the headless shell
#                          chromium-headless-shell on PATH, which Playwright launches
#                          for headless runs and agenttest too; else chromium)
#   PEER_REUSE=1           the Go side signs in once per user (agenttest.ReuseSignIn)
#   PEER_FLOOR (1)         0 skips the floor runs
#   SCALE_SIGNINS (200), SCALE_WAYS (8); SCALE=0 skips the scale run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}
SPECS=${PEER_SPECS:-24}
ROUNDS=${PEER_ROUNDS:-3}
WORKERS=${PEER_WORKERS:-1 2 4}
QUIET=${PEER_QUIET:-10}
SCALE=${SCALE:-1}
FLOOR=${PEER_FLOOR:-1}
SCALE_SIGNINS=${SCALE_SIGNINS:-200}
SCALE_WAYS=${SCALE_WAYS:-8}
CHROMIUM=${PEER_CHROMIUM:-$(command -v chromium-headless-shell || command -v chromium || command -v chromium-browser || true)}
if [[ -z "$CHROMIUM" ]]; then
	echo "bench-peer: no chromium on PATH: install it (make setup does) or set PEER_CHROMIUM" >&2
	exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "bench-peer: npm is not installed; install Node 20+ for the Node peer" >&2
	exit 1
fi

# The Node peer, installed here only (not by make setup: CI stays lean).
peer="$root/fixtures/peer"
stamp="$peer/node_modules/.agenttest-lock.sha256"
want="$(sha256sum "$peer/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
	echo "bench-peer: npm ci in fixtures/peer"
	(cd "$peer" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
	echo "$want" >"$stamp"
fi

tmp=$(mktemp -d)
stack_pid=
cleanup() {
	if [[ -n "$stack_pid" ]]; then
		kill "$stack_pid" 2>/dev/null || true
		wait "$stack_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# Build both Go programs first: compiling is not part of a run.
"$GO" build -o "$tmp/peerstack" ./fixtures/peer/peerstack
"$GO" test -c -o "$tmp/gospecs.test" ./fixtures/peer/gospecs

"$tmp/peerstack" -rate-limit "${PEER_RATE_LIMIT:-clerk}" >"$tmp/stack.env" 2>"$tmp/stack.log" &
stack_pid=$!
for _ in $(seq 100); do
	grep -q '^PEER_STATS_URL=' "$tmp/stack.env" && break
	kill -0 "$stack_pid" 2>/dev/null || { cat "$tmp/stack.log" >&2; exit 1; }
	sleep 0.1
done
grep -q '^PEER_STATS_URL=' "$tmp/stack.env" || { echo "bench-peer: the stack did not start in 10 s" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$tmp/stack.env"
set +a
export PEER_SPECS="$SPECS" PEER_CHROMIUM="$CHROMIUM" AGENTTEST_BROWSER_PATH="$CHROMIUM"
export AGENTTEST_ARTIFACTS_DIR="$tmp/go-artifacts" AGENTTEST_LEDGER_DIR="$tmp/ledgers" PEER_OUTPUT_DIR="$tmp/node-results"
if [[ -n "${PEER_RATE_SHARE:-}" ]]; then export AGENTTEST_RATE_SHARE="$PEER_RATE_SHARE"; fi

stat() { curl -fsS "$PEER_STATS_URL"; }
field() { sed -E "s/.*\"$1\":([0-9]+).*/\\1/"; }

# run SIDE WORKERS: one run; prints the wall time in seconds, or FAILED.
run() {
	local side=$1 w=$2 start end rc=0 before after
	before=$(stat | field rate_limited)
	start=$(date +%s.%N)
	if [[ $side == go ]]; then
		"$tmp/gospecs.test" -test.run '^TestDashboard$' -test.count=1 -test.parallel "$w" -test.timeout 10m >"$tmp/last.log" 2>&1 || rc=$?
	elif [[ $side == floor ]]; then
		"$tmp/gospecs.test" -test.run '^TestFloor$' -test.count=1 -test.parallel "$w" -test.timeout 10m >"$tmp/last.log" 2>&1 || rc=$?
	else
		(cd "$peer" && PEER_WORKERS="$w" node_modules/.bin/playwright test) >"$tmp/last.log" 2>&1 || rc=$?
	fi
	end=$(date +%s.%N)
	after=$(stat)
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
	local note="429s at the emulator: $(($(field rate_limited <<<"$after") - before)), left pending $(field tasks_pending <<<"$after"), active $(field sessions_active <<<"$after")"
	if [[ $rc -ne 0 ]]; then
		printf '  %-5s workers=%d  FAILED (exit %d) in %s s; %s\n' "$side" "$w" "$rc" "$secs" "$note"
		tail -n 15 "$tmp/last.log" | sed 's/^/      /'
		return
	fi
	printf '  %-5s workers=%d  %6s s  (%s)\n' "$side" "$w" "$secs" "$note"
	echo "$side $w $secs" >>"$tmp/times"
}

echo "bench-peer: $SPECS dashboard specs a run; browser $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -1)); @playwright/test $(node -p "require('$peer/node_modules/@playwright/test/package.json').version"), @clerk/testing $(node -p "require('$peer/node_modules/@clerk/testing/package.json').version"); emulator limit ${PEER_RATE_LIMIT:-clerk}; $QUIET s quiet before each run"
echo "warm-up (not counted):"
sleep "$QUIET"; run go 2 >/dev/null; sleep "$QUIET"; run node 2 >/dev/null
: >"$tmp/times"
for r in $(seq "$ROUNDS"); do
	echo "round $r:"
	for w in $WORKERS; do
		order="go node"
		if ((r % 2 == 0)); then order="node go"; fi
		for side in $order; do
			sleep "$QUIET"
			run "$side" "$w"
		done
		if [[ "$FLOOR" != 0 ]]; then
			sleep "$QUIET" # as before the others: the previous run's end settles
			run floor "$w"
		fi
	done
done

# best SIDE [WORKERS]: the side's best time (at that worker count), or "".
best() { awk -v s="$1" -v w="${2:-}" '$1 == s && (w == "" || $2 == w) && (b == "" || $3 < b) { b = $3; bw = $2 } END { if (b != "") print b, bw }' "$tmp/times"; }
echo "best of each side (Node/Go: how many times faster the Go side is):"
for w in $WORKERS; do
	read -r g _ <<<"$(best go "$w")" || true
	read -r d _ <<<"$(best node "$w")" || true
	if [[ -z "${g:-}" || -z "${d:-}" ]]; then
		echo "  workers=$w  go ${g:--}  node ${d:--}  (a side has no successful run)"
		continue
	fi
	awk -v w="$w" -v g="$g" -v d="$d" 'BEGIN { printf "  workers=%s  go %.2f s  node %.2f s  Node/Go %.2fx\n", w, g, d, d / g }'
done
read -r g gw <<<"$(best go)" || true
read -r d dw <<<"$(best node)" || true
if [[ -n "${g:-}" && -n "${d:-}" ]]; then
	awk -v g="$g" -v gw="$gw" -v d="$d" -v dw="$dw" 'BEGIN { printf "overall, each side at its best worker count: go %.2f s (workers=%s)  node %.2f s (workers=%s)  Node/Go %.2fx\n", g, gw, d, dw, d / g }'
fi
read -r f fw <<<"$(best floor)" || true
if [[ -n "${f:-}" && -n "${d:-}" ]]; then
	awk -v f="$f" -v fw="$fw" -v d="$d" -v g="${g:-0}" 'BEGIN { printf "floor (the same specs on signed-out agenttest pages): %.2f s (workers=%s)  Go/floor %.2f (1.00: the sign-ins cost the suite nothing)  Node/floor %.2fx (what a Go side whose sign-ins cost nothing would reach)", f, fw, g / f, d / f; printf "\n" }'
fi

if [[ "$SCALE" != 0 ]]; then
	echo "scale: $SCALE_SIGNINS sign-ins, $SCALE_WAYS-way, against the emulator's limit (${PEER_RATE_LIMIT:-clerk}):"
	sleep "$QUIET"
	rc=0
	PEER_SCALE=1 PEER_SCALE_SIGNINS="$SCALE_SIGNINS" "$tmp/gospecs.test" -test.run '^TestScale$' -test.count=1 \
		-test.parallel "$SCALE_WAYS" -test.timeout 20m -test.v >"$tmp/scale.log" 2>&1 || rc=$?
	grep '^scale:' "$tmp/scale.log" | sed 's/^scale: /  /' || true
	if [[ $rc -ne 0 ]]; then
		echo "  the scale run FAILED (exit $rc):"
		grep -E -- '--- FAIL|Error|agenttest:' "$tmp/scale.log" | head -n 20 | sed 's/^/      /'
	fi
fi
