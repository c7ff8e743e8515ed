#!/usr/bin/env bash
# Runs the sign-in benchmarks and the bare page loads COUNT times, each
# time all of them in one run of the test binary (same browser, same
# machine load), so that the samples of every kind are spread over the
# whole script: `go test -count` would take each benchmark's samples back
# to back, and a machine that slows down between them moves the ratios.
# It prints each one's median ns/op and the ratios of like with like: a
# sign-in against a bare load with the same trace policy. COUNT and
# BENCHTIME tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-10x}

bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
"$GO" test -c -o "$bin" ./agenttest/
out=
for _ in $(seq "$COUNT"); do
	out+=$(cd agenttest && "$bin" -test.run '^$' -test.bench '^Benchmark(SignIn|SignInTraceOff|SignInReuse|SignInReuseTraceOff|BareNavigation|BareNavigationTraced)$' \
		-test.benchtime "$BENCHTIME" -test.count 1)$'\n'
done
printf '%s\n' "$out" | grep '^Benchmark'
printf '%s\n' "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); v[name, ++n[name]] = $3 }
	function median(name,   i, j, t, a, k) {
		k = n[name]
		for (i = 1; i <= k; i++) a[i] = v[name, i]
		for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j] < a[j-1]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return (k % 2) ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
	}
	function ratio(s, base) {
		if (!n[s] || !n[base]) { printf "%-20s missing\n", s; bad = 1; return }
		printf "%-20s %6.0f ms  vs %-21s %6.0f ms  ratio %.2f (n=%d)\n", s, median(s)/1e6, base, median(base)/1e6, median(s)/median(base), n[s]
	}
	END {
		ratio("SignIn", "BareNavigationTraced")
		ratio("SignInTraceOff", "BareNavigation")
		ratio("SignInReuse", "BareNavigationTraced")
		ratio("SignInReuseTraceOff", "BareNavigation")
		ratio("BareNavigationTraced", "BareNavigation")
		if (bad) { print "bench-ratio: a benchmark did not run" > "/dev/stderr"; exit 1 }
	}'
