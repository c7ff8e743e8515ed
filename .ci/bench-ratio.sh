#!/usr/bin/env bash
# Runs the sign-in benchmarks and the bare page loads COUNT times, each
# time all of them in one run of the test binary (same browser, same
# machine load), so that the samples of every kind are spread over the
# whole script: `go test -count` would take each benchmark's samples back
# to back, and a machine that slows down between them moves the ratios.
# It prints each one's median ns/op and the ratios of like with like: a
# sign-in against a bare load with the same trace policy, then the
# median of each part the benchmarks time (page, navigate, check,
# assert...), to show where a sign-in's extra time goes; and the floor:
# a bare load through a sign-in's two redirects without Clerk. COUNT and
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
	out+=$(cd agenttest && "$bin" -test.run '^$' -test.bench '^Benchmark(SignIn|SignInTraceOff|SignInReuse|SignInReuseTraceOff|BareNavigation|BareNavigationTraced|BareRedirectsTraced)$' \
		-test.benchtime "$BENCHTIME" -test.count 1)$'\n'
done
printf '%s\n' "$out" | grep '^Benchmark'
printf '%s\n' "$out" | awk '
	# v[name, unit, i]: the i-th sample of one metric of benchmark name
	# (ns/op, or a part it timed: "<part>-ms/op"); n[name, unit] samples.
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		for (f = 3; f < NF; f += 2) { k = name SUBSEP $(f+1); v[k, ++n[k]] = $f }
	}
	function median(k,   i, j, t, a, c) {
		c = n[k]
		for (i = 1; i <= c; i++) a[i] = v[k, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j] < a[j-1]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return (c % 2) ? a[(c+1)/2] : (a[c/2] + a[c/2+1]) / 2
	}
	function ratio(s, base,   ks, kb) {
		ks = s SUBSEP "ns/op"; kb = base SUBSEP "ns/op"
		if (!n[ks] || !n[kb]) { printf "%-20s missing\n", s; bad = 1; return }
		printf "%-20s %6.0f ms  vs %-21s %6.0f ms  ratio %.2f (n=%d)\n", s, median(ks)/1e6, base, median(kb)/1e6, median(ks)/median(kb), n[ks]
	}
	# partsOf: where the time of benchmark s goes, the median of each
	# part it timed, in the order they run.
	function partsOf(s,   m, i, c, k, line) {
		c = split("page prepare navigate check assert close", m, " ")
		for (i = 1; i <= c; i++) if (n[k = s SUBSEP m[i] "-ms/op"]) line = line sprintf(" %s %.1f", m[i], median(k))
		if (line != "") printf "  %-20s%s (ms, medians)\n", s, line
	}
	END {
		ratio("SignIn", "BareNavigationTraced")
		ratio("SignInTraceOff", "BareNavigation")
		ratio("SignInReuse", "BareNavigationTraced")
		ratio("SignInReuseTraceOff", "BareNavigation")
		ratio("BareNavigationTraced", "BareNavigation")
		print "the floor of a sign-in here: the same bare load reached through the two redirects of a task URL, without Clerk (no signature, session or check):"
		ratio("BareRedirectsTraced", "BareNavigationTraced")
		ratio("SignIn", "BareRedirectsTraced")
		if (bad) { print "bench-ratio: a benchmark did not run" > "/dev/stderr"; exit 1 }
		print "where the time goes (a sign-in navigates until the redirect URL commits, and its assert waits for the rest of the load; a bare load navigates until load; a sign-in is released off the path of the test, a bare load closes its context in line):"
		partsOf("SignIn"); partsOf("BareNavigationTraced"); partsOf("BareRedirectsTraced")
		partsOf("SignInTraceOff"); partsOf("BareNavigation")
		partsOf("SignInReuse"); partsOf("SignInReuseTraceOff")
	}'
