#!/usr/bin/env bash
# Records the go test -json streams the report's tests parse:
#   tiny.json      the tiny suite (artifacts per test, -artifacts, subtests),
#                  its temporary folder written as /home/runner/work/app as if
#                  recorded on a CI machine
#   broken.json    a package that does not build
#   hang.json      a test binary stopped by -timeout
#   unnamed.json   the tiny suite through go tool test2json without -p: no
#                  event names its package
# Run from agenttest/report: bash testdata/record.sh
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
TINY_ARTIFACTS_DIR="$tmp/results" go test -json -count=1 -artifacts -outputdir="$tmp/out" ./testdata/tiny |
	sed "s#$tmp#/home/runner/work/app#g" > testdata/tiny.json
go test -json -count=1 ./testdata/broken > testdata/broken.json 2>/dev/null
go test -json -count=1 -timeout=2s ./testdata/hang > testdata/hang.json
go test -c -o "$tmp/tiny.test" ./testdata/tiny &&
	(cd "$tmp" && go tool test2json ./tiny.test -test.v=test2json) | sed "s#$tmp#/home/runner/work/app#g" > testdata/unnamed.json
echo recorded testdata/tiny.json testdata/broken.json testdata/hang.json testdata/unnamed.json
