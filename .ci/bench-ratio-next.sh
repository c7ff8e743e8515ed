#!/usr/bin/env bash
# A sign-in into the Next.js app (e2e/nextapp: clerk-js in the page,
# @clerk/nextjs on the server) against a bare navigation to it, COUNT
# times in one run of the test binary each (same browser, same load):
# each one's median ns/op and their ratio. COUNT and BENCHTIME tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-10x}

bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
"$GO" test -c -o "$bin" ./e2e/nextapp/
out=$(cd e2e/nextapp && "$bin" -test.run '^$' -test.bench '^Benchmark(SignIn|BareNavigation)$' \
	-test.benchtime "$BENCHTIME" -test.count "$COUNT")
printf '%s\n' "$out" | grep '^Benchmark'
printf '%s\n' "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name); v[name, ++n[name]] = $3 }
	function median(k,   i, j, t, a, c) {
		c = n[k]
		for (i = 1; i <= c; i++) a[i] = v[k, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j] < a[j-1]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return (c % 2) ? a[(c+1)/2] : (a[c/2] + a[c/2+1]) / 2
	}
	END {
		if (!n["SignIn"] || !n["BareNavigation"]) { print "bench-ratio-next: a benchmark did not run" > "/dev/stderr"; exit 1 }
		printf "Next.js app: SignIn %.0f ms vs BareNavigation %.0f ms, ratio %.2f (medians, n=%d)\n",
			median("SignIn")/1e6, median("BareNavigation")/1e6, median("SignIn")/median("BareNavigation"), n["SignIn"]
	}'
