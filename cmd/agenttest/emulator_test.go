package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// emulatorVars are the lines `agenttest emulator` prints, in order.
var emulatorVars = []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_API_URL", "CLERK_FRONTEND_API_URL", "CLERK_JWKS_URL"}

// TestEmulatorProcess runs `agenttest emulator` as a real process from a
// directory outside the repository, with the built-in seed users, checks
// its env lines, drives create and revoke against it with that env, and
// stops it with SIGINT.
func TestEmulatorProcess(t *testing.T) {
	p := startProcess(t, "emulator")
	lines := p.readLines(t, len(emulatorVars))
	for i, name := range emulatorVars {
		if !strings.HasPrefix(lines[i], name+"=") {
			t.Fatalf("line %d starts %.24q, want %s=", i+1, lines[i], name)
		}
	}
	env := envLines(t, lines)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(env["CLERK_API_URL"]) {
		t.Errorf("CLERK_API_URL=%q, want http://127.0.0.1:PORT (no /v1: JS SDKs add it)", env["CLERK_API_URL"])
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(env["CLERK_FRONTEND_API_URL"]) || env["CLERK_FRONTEND_API_URL"] == env["CLERK_API_URL"] {
		t.Errorf("CLERK_FRONTEND_API_URL=%q, want a host of its own beside CLERK_API_URL=%q", env["CLERK_FRONTEND_API_URL"], env["CLERK_API_URL"])
	}
	if !strings.HasPrefix(env["CLERK_PUBLISHABLE_KEY"], "pk_test_") {
		t.Errorf("CLERK_PUBLISHABLE_KEY=%q, want pk_test_…", env["CLERK_PUBLISHABLE_KEY"])
	}
	if !regexp.MustCompile(`^sk_test_[0-9a-f]{32}$`).MatchString(env["CLERK_SECRET_KEY"]) {
		t.Errorf("CLERK_SECRET_KEY is not a random sk_test_ key (value not shown)")
	}

	t.Run("create and revoke", func(t *testing.T) {
		testCreateRevoke(t, env)
	})

	rest, code := p.stop(t, syscall.SIGINT)
	if len(rest) != 0 {
		t.Errorf("emulator printed more than its env lines: %q", rest)
	}
	if code != 0 {
		t.Errorf("emulator exit status after SIGINT = %d, want 0; stderr: %s", code, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), env["CLERK_SECRET_KEY"]) {
		t.Error("emulator printed its secret key on stderr")
	}
}

func testCreateRevoke(t *testing.T, env map[string]string) {
	t.Setenv("CLERK_SECRET_KEY", env["CLERK_SECRET_KEY"])
	t.Setenv("CLERK_API_URL", env["CLERK_API_URL"])
	t.Setenv("AGENTTEST_ALLOW_PRODUCTION", "")
	fapi := env["CLERK_FRONTEND_API_URL"]

	var ids []string
	for _, who := range [][]string{{"--user-id", "user_2ada0000000000000000000001"}, {"--identifier", "grace@example.com"}} {
		args := append([]string{"create"}, who...)
		args = append(args, "--redirect-url", "http://127.0.0.1:1/dashboard", "--agent-name", "cli test", "--session-max-duration", "5m")
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("create %v: exit %d, stderr %q", who, code, stderr)
		}
		out := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(out) != 2 || !regexp.MustCompile(`^task_id=agttsk_\w+$`).MatchString(out[0]) ||
			!strings.HasPrefix(out[1], fapi+"/v1/agents/tasks?ticket=") {
			t.Fatalf("create %v printed %d lines, want task_id=agttsk_… and the task URL on the Frontend API %s", who, len(out), fapi)
		}
		if strings.Contains(stdout+stderr, env["CLERK_SECRET_KEY"]) {
			t.Fatal("create printed the secret key")
		}
		ids = append(ids, strings.TrimPrefix(out[0], "task_id="))
	}

	code, stdout, stderr := runCLI(t, "revoke", ids[0])
	if code != 0 || stdout != "revoked "+ids[0]+"\n" {
		t.Fatalf("revoke: exit %d, stdout %q, stderr %q; want 0 and \"revoked %s\"", code, stdout, stderr, ids[0])
	}
	code, stdout, stderr = runCLI(t, "revoke", ids[0])
	line := oneLineOf(t, stderr)
	if code != 1 || stdout != "" || !strings.Contains(line, "nothing to revoke") || !strings.Contains(line, "agent_task_cannot_be_revoked") {
		t.Fatalf("revoke twice: exit %d, stdout %q, stderr %q; want 1 and one line saying there is nothing to revoke", code, stdout, line)
	}
	code, _, stderr = runCLI(t, "revoke", "agttsk_unknown")
	if code != 1 || !strings.Contains(oneLineOf(t, stderr), "404") {
		t.Fatalf("revoke unknown: exit %d, stderr %q; want 1 and the 404", code, stderr)
	}
	code, _, stderr = runCLI(t, "create", "--user-id", "user_missing", "--redirect-url", "http://127.0.0.1:1/")
	if code != 1 || !strings.Contains(oneLineOf(t, stderr), "agent_task_subject_not_found") {
		t.Fatalf("create for an unknown user: exit %d, stderr %q; want 1 and agent_task_subject_not_found", code, stderr)
	}
	if code, _, _ := runCLI(t, "revoke", ids[1]); code != 0 {
		t.Fatalf("revoke %s: exit %d", ids[1], code)
	}
}

func TestEmulatorMissingUsersFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "users.json")
	code, stdout, stderr := runCLI(t, "emulator", "--users", missing)
	line := oneLineOf(t, stderr)
	if code != 1 || stdout != "" || !strings.Contains(line, missing) || !strings.Contains(line, "--users") {
		t.Fatalf("emulator with a missing users file: exit %d, stdout %q, stderr %q; want 1 and a hint to pass --users", code, stdout, line)
	}
}

func TestEmulatorUsersFile(t *testing.T) {
	p := startProcess(t, "emulator", "--users", usersFile(t))
	env := envLines(t, p.readLines(t, len(emulatorVars)))
	t.Setenv("CLERK_SECRET_KEY", env["CLERK_SECRET_KEY"])
	t.Setenv("CLERK_API_URL", env["CLERK_API_URL"])
	code, stdout, stderr := runCLI(t, "create", "--identifier", "grace@example.com", "--redirect-url", "http://127.0.0.1:1/")
	if code != 0 {
		t.Fatalf("create for a user of the file: exit %d, stderr %q", code, stderr)
	}
	id := strings.TrimPrefix(strings.SplitN(stdout, "\n", 2)[0], "task_id=")
	if code, _, _ := runCLI(t, "revoke", id); code != 0 {
		t.Fatalf("revoke %s: exit %d", id, code)
	}
	if _, code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("exit status after SIGINT = %d", code)
	}
}
