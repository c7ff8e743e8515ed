#!/usr/bin/env bash
# Makes sure agenttest has a browser: when `agenttest install --check --only
# browser` finds none, installs Debian's chromium with apt-get (through sudo
# when not root). Beside Debian's chromium it then adds Debian's
# chromium-headless-shell, which headless runs launch (as Playwright
# launches its own headless shell): a spec takes about half the time. That
# one is optional: when apt-get cannot install it, setup says so and goes
# on with the full chromium. Idempotent: on a ready machine it only checks.
# Playwright's own browser download is left to `agenttest install`, which
# `make setup` runs next.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

check() { "$GO" run ./cmd/agenttest install --check --only browser 2>&1; }

# install OPTIONAL PACKAGE...: apt-get install, through sudo when not root,
# refreshing the package lists once if that fails. A failure stops setup,
# unless OPTIONAL is 1: then it is reported and setup goes on.
install() {
	local optional=$1
	shift
	local what="run \`apt-get install -y $*\` as root, or set AGENTTEST_BROWSER_PATH"
	if ((optional)); then
		what="headless runs use the full chromium (slower)"
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "setup: apt-get is not available here; install Chromium or Chrome yourself or set AGENTTEST_BROWSER_PATH (agenttest install tries Playwright's download next)" >&2
		return 0
	fi
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "setup: not root and no sudo to install $*: $what" >&2
			return $((1 - optional))
		fi
		sudo=(sudo)
	fi
	apt() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q "$@"; }
	# Refresh the package lists first only when there are none.
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		apt update
	fi
	if ! apt install -y "$@"; then
		echo "setup: apt-get install failed; refreshing the package lists and retrying"
		if ! { apt update && apt install -y "$@"; }; then
			echo "setup: could not install $* with apt-get: $what" >&2
			return $((1 - optional))
		fi
	fi
}

if ! out=$(check); then
	if ! grep -q '^browser .*missing' <<<"$out"; then
		# Not a missing browser (e.g. the CLI does not build): show why and stop.
		echo "$out" >&2
		exit 1
	fi
	echo "setup: no browser found; installing Debian's chromium (apt-get install -y chromium)"
	install 0 chromium
	out=$(check) || exit 0 # agenttest install tries Playwright's download next
fi

# The headless shell, only when the browser found is Debian's chromium
# with no headless browser beside it (the line then has no "(headless
# runs: …)"): not beside Playwright's own download, nor when
# AGENTTEST_BROWSER_PATH (from the environment or a .env file) chooses.
if [[ -z "${AGENTTEST_BROWSER_PATH:-}" ]] && grep -qx 'browser chromium: ok: /usr/bin/chromium' <<<"$out" &&
	dpkg -s chromium >/dev/null 2>&1; then
	echo "setup: adding Debian's chromium-headless-shell for headless runs (apt-get install -y chromium-headless-shell)"
	install 1 chromium-headless-shell
fi
