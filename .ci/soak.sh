#!/usr/bin/env bash
# Soak: RUNS consecutive `go test -race ./e2e/` runs against the embedded
# emulator, then COUNT repetitions (-count) of the e2e specs against a
# standalone emulator + demo app (`agenttest demo`, as a user's running
# app would be). Any failure stops it. Not part of CI: it takes a while.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
RUNS=${RUNS:-50}
COUNT=${COUNT:-30}

for i in $(seq 1 "$RUNS"); do
	echo "soak: embedded run $i/$RUNS"
	"$GO" test -race -count=1 ./e2e/ >/tmp/agenttest-soak.log 2>&1 || { cat /tmp/agenttest-soak.log; echo "soak: run $i failed"; exit 1; }
done

# A standalone stack: `agenttest demo` prints the env file, then serves
# until SIGTERM.
bin=$(mktemp -d)
trap 'kill "${demo:-}" 2>/dev/null || true; wait "${demo:-}" 2>/dev/null || true; rm -rf "$bin"' EXIT
"$GO" build -o "$bin/agenttest" ./cmd/agenttest
"$bin/agenttest" demo >"$bin/env" 2>"$bin/demo.log" &
demo=$!
for _ in $(seq 1 100); do
	grep -q '^AGENTTEST_USER_ID=' "$bin/env" 2>/dev/null && break
	sleep 0.1
done
grep -q '^AGENTTEST_USER_ID=' "$bin/env" || { cat "$bin/demo.log"; echo "soak: agenttest demo did not start"; exit 1; }
echo "soak: -count=$COUNT against a standalone emulator and demo app"
env $(grep -v '^#' "$bin/env" | xargs) "$GO" test -race -count="$COUNT" ./e2e/
echo "soak: passed ($RUNS embedded runs, -count=$COUNT standalone)"
