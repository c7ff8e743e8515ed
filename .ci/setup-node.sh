#!/usr/bin/env bash
# Installs the npm packages of fixtures/node (Clerk's JS SDKs, run against the
# Clerk emulator by fixtures/clerkemu's conformance test, and the clerk-js and
# @clerk/ui bundles the emulator serves to browsers; @clerk/localizations is
# pinned by an npm override to the newest the registry has, as @clerk/ui
# 1.36.0 asks for an unpublished ^4.20.0) with `npm ci`, only
# when fixtures/node/node_modules is missing or was installed from another
# package-lock.json. Idempotent and fast when done; prefers npm's cache.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fixtures/node"
stamp="$dir/node_modules/.agenttest-lock.sha256"

if ! command -v npm >/dev/null 2>&1; then
	echo "setup-node: npm is not installed; install Node 20+ to run the JS conformance test" >&2
	exit 1
fi

want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	exit 0
fi

echo "setup-node: npm ci in fixtures/node"
(cd "$dir" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
