#!/usr/bin/env bash
# Makes sure agenttest has a browser: when `agenttest install --check --only
# browser` finds none, installs Debian's chromium with apt-get (through sudo
# when not root). Idempotent: on a machine with a browser it only checks.
# Playwright's own browser download is left to `agenttest install`, which
# `make setup` runs next.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

if out=$("$GO" run ./cmd/agenttest install --check --only browser 2>&1); then
	exit 0
fi
if ! grep -q '^browser .*missing' <<<"$out"; then
	# Not a missing browser (e.g. the CLI does not build): show why and stop.
	echo "$out" >&2
	exit 1
fi
echo "setup: no browser found; installing Debian's chromium (apt-get install -y chromium)"

if ! command -v apt-get >/dev/null 2>&1; then
	echo "setup: apt-get is not available here; install Chromium or Chrome yourself or set AGENTTEST_BROWSER_PATH (agenttest install tries Playwright's download next)" >&2
	exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "setup: not root and no sudo: run \`apt-get install -y chromium\` as root, or set AGENTTEST_BROWSER_PATH" >&2
		exit 1
	fi
	sudo=(sudo)
fi
apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; }

# Refresh the package lists first only when there are none.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
	apt update
fi
if ! apt install -y chromium; then
	echo "setup: apt-get install failed; refreshing the package lists and retrying"
	if ! { apt update && apt install -y chromium; }; then
		echo "setup: could not install chromium with apt-get: run \`apt-get install -y chromium\` as root, or set AGENTTEST_BROWSER_PATH" >&2
		exit 1
	fi
fi
