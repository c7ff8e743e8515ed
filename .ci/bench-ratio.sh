#!/usr/bin/env bash
# Runs BenchmarkSignIn and BenchmarkBareNavigation in one `go test` run
# (same browser, same machine load) and prints each one's median ns/op and
# their ratio: what signing in through an Agent Task costs over a bare
# page load. COUNT and BENCHTIME tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-10x}

out=$("$GO" test -run '^$' -bench '^(BenchmarkSignIn|BenchmarkBareNavigation)$' \
	-benchtime "$BENCHTIME" -count "$COUNT" ./agenttest/)
printf '%s\n' "$out" | grep '^Benchmark'
printf '%s\n' "$out" | awk '
	/^BenchmarkSignIn/         { s[++ns] = $3 }
	/^BenchmarkBareNavigation/ { b[++nb] = $3 }
	function median(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] < a[j-1]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	END {
		if (ns == 0 || nb == 0) { print "bench-ratio: a benchmark did not run" > "/dev/stderr"; exit 1 }
		ms = median(s, ns); mb = median(b, nb)
		printf "median SignIn %.0f ms, BareNavigation %.0f ms, ratio %.2f (n=%d each)\n", ms/1e6, mb/1e6, ms/mb, ns
	}'
