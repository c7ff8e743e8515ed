package main

import (
	"strings"
	"testing"
)

func TestBadUsageExits2WithUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"install", "--nope"},
		{"install", "--only", "driver"},
		{"install", "--check", "--only", "everything"},
		{"emulator", "--listen"},
		{"emulator", "extra"},
		{"demo", "--nope"},
		{"create", "--session-max-duration", "soon"},
		{"create", "--user-id", "u", "--redirect-url", "http://x/", "extra"},
		{"revoke"},
		{"revoke", "a", "b"},
		{"shard", "--index", "0"},
		{"shard", "--total", "2", "--index", "-1"},
		{"serve", "--url", "http://127.0.0.1:1/"},
		{"show-trace"},
		{"show-trace", "--port", "x", "t.zip"},
		{"init", "a", "b"},
		{"init", "--nope"},
		{"help", "frobnicate"},
		{"report"},
		{"report", "a", "b"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "usage: agenttest") {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", args, code, stdout, stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	code, stdout, stderr := runCLI(t, "help")
	if code != 0 || stderr != "" {
		t.Fatalf("help: exit %d, stderr %q", code, stderr)
	}
	for _, c := range commands() {
		if !strings.Contains(stdout, c.name) {
			t.Errorf("help does not list %s", c.name)
		}
		code, stdout, _ := runCLI(t, "help", c.name)
		if code != 0 || !strings.Contains(stdout, "usage: agenttest "+c.name) {
			t.Errorf("help %s: exit %d, stdout %q", c.name, code, stdout)
		}
		if code, _, stderr := runCLI(t, c.name, "-h"); code != 0 || !strings.Contains(stderr, "usage: agenttest "+c.name) {
			t.Errorf("%s -h: exit %d, stderr %q", c.name, code, stderr)
		}
	}
}
