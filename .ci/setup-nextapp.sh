#!/usr/bin/env bash
# Installs (npm ci) and builds (next build) fixtures/nextapp, the Next.js
# app the e2e specs sign in to, only when its sources or package-lock.json
# changed since the last build: a hash of them is kept in .next. Idempotent
# and fast when done; prefers npm's cache. The build runs with Next's
# telemetry off and without any NEXT_PUBLIC_* variable, so nothing of
# this machine's environment is inlined and the app reads its Clerk keys
# when it starts.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fixtures/nextapp"
installed="$dir/node_modules/.agenttest-lock.sha256"
built="$dir/.next/.agenttest-sources.sha256"
export NEXT_TELEMETRY_DISABLED=1

if ! command -v npm >/dev/null 2>&1; then
	echo "setup-nextapp: npm is not installed; install Node 20.9+ to build the Next.js app" >&2
	exit 1
fi

lock="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
# Every file next build reads from this directory: the lock, the configs,
# proxy.ts and app/.
sources="$(cd "$dir" && find package.json package-lock.json next.config.ts tsconfig.json proxy.ts app -type f -print0 |
	sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [[ -f "$built" && "$(cat "$built")" == "$sources" ]]; then
	exit 0
fi

if [[ ! -f "$installed" || "$(cat "$installed")" != "$lock" ]]; then
	echo "setup-nextapp: npm ci in fixtures/nextapp"
	(cd "$dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
	echo "$lock" >"$installed"
fi

echo "setup-nextapp: next build in fixtures/nextapp"
unset $(compgen -e | grep '^NEXT_PUBLIC_' || true)
rm -f "$built"
(cd "$dir" && ./node_modules/.bin/next build >"$dir/.next-build.log" 2>&1) || {
	tail -n 30 "$dir/.next-build.log" >&2
	echo "setup-nextapp: next build failed (log: fixtures/nextapp/.next-build.log)" >&2
	exit 1
}
echo "$sources" >"$built"
