#!/usr/bin/env bash
# Runs the sign-in benchmarks and the bare page loads in one `go test`
# run (same browser, same machine load) and prints each one's median
# ns/op and the ratios of like with like: a sign-in against a bare load
# with the same trace policy. COUNT and BENCHTIME tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-10x}

out=$("$GO" test -run '^$' -bench '^Benchmark(SignIn|SignInTraceOff|SignInReuse|SignInReuseTraceOff|BareNavigation|BareNavigationTraced)$' \
	-benchtime "$BENCHTIME" -count "$COUNT" ./agenttest/)
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
