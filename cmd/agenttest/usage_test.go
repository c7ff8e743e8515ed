package main

import (
	"strings"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// isUsageError reports whether stderr is a usage error of the command
// name: one line naming the problem, then where its full usage is.
func isUsageError(stderr, name string) bool {
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	return len(lines) == 2 && strings.HasPrefix(lines[0], "agenttest "+name+": ") && lines[1] == "run `agenttest help "+name+"` for its flags"
}

func TestBadUsageExits2WithOneLineAndAPointer(t *testing.T) {
	for _, args := range [][]string{
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
		{"shard", "--total", "3"},
		{"shard", "--total", "2", "--index", "-1"},
		{"serve", "--url", "http://127.0.0.1:1/"},
		{"show-trace"},
		{"show-trace", "--port", "x", "t.zip"},
		{"init", "a", "b"},
		{"init", "--nope"},
		{"report"},
		{"report", "a", "b"},
		{"version", "x"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !isUsageError(stderr, args[0]) {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want 2, the problem and `agenttest help %s` on stderr", args, code, stdout, stderr, args[0])
		}
	}
	for _, args := range [][]string{{"frobnicate"}, {"help", "frobnicate"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !strings.HasSuffix(stderr, "unknown command \"frobnicate\"\nrun `agenttest help` for the commands\n") || strings.Count(stderr, "\n") != 2 {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want 2, the problem and `agenttest help`", args, code, stdout, stderr)
		}
	}
	// No command at all: the list of commands.
	if code, stdout, stderr := runCLI(t); code != 2 || stdout != "" || !strings.Contains(stderr, "usage: agenttest COMMAND") {
		t.Errorf("agenttest: exit %d, stdout %q, stderr %q; want 2 and the commands", code, stdout, stderr)
	}
}

// Flags after an argument are not parsed (the flag package stops at the
// first argument): the error says so and shows the order that works.
func TestFlagsAfterTheArgumentsSayTheRightOrder(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{{
		args: []string{"shard", "./e2e/", "--index", "0", "--total", "2"},
		want: "agenttest shard: flags go before the packages: agenttest shard --index 0 --total 2 ./e2e/",
	}, {
		args: []string{"shard", "--total", "2", "./a/", "-v", "--index=1", "./b/"},
		want: "agenttest shard: flags go before the packages: agenttest shard --total 2 -v --index=1 ./a/ ./b/",
	}, {
		args: []string{"report", "test output", "--json", "go test.json"},
		want: "agenttest report: flags go before the DIR: agenttest report --json 'go test.json' 'test output'",
	}, {
		args: []string{"show-trace", "t.zip", "--port", "0"},
		want: "agenttest show-trace: flags go before the FILE: agenttest show-trace --port 0 t.zip",
	}, {
		args: []string{"init", ".", "--force"},
		want: "agenttest init: flags go before the DIR: agenttest init --force .",
	}} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != 2 || stdout != "" || !isUsageError(stderr, tc.args[0]) || !strings.HasPrefix(stderr, tc.want+"\n") {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
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
		if !strings.Contains(stdout, "\n"+c.summary+"\n") {
			t.Errorf("help %s does not show the command's summary: %q", c.name, stdout)
		}
		if code, _, stderr := runCLI(t, c.name, "-h"); code != 0 || !strings.Contains(stderr, "usage: agenttest "+c.name) || !strings.Contains(stderr, "\n"+c.summary+"\n") {
			t.Errorf("%s -h: exit %d, stderr %q", c.name, code, stderr)
		}
	}
}

// The emulator's summary and help name what it prints.
func TestEmulatorHelpNamesItsEnv(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{})
	env := emu.Env()
	_, help, _ := runCLI(t, "help", "emulator")
	if len(env) != 12 || !strings.Contains(help, "twelve variables") {
		t.Errorf("the emulator prints %d variables; its summary says: %q", len(env), strings.SplitN(help, "\n", 4)[2])
	}
	for _, v := range env {
		if !strings.Contains(help, "\n  "+v.Name+"=") {
			t.Errorf("help emulator does not show %s", v.Name)
		}
	}
}
