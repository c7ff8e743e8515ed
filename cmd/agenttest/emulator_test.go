package main

import (
	"fmt"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// emulatorVars are the lines `agenttest emulator` prints, in order.
var emulatorVars = []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_API_URL", "CLERK_FRONTEND_API_URL", "CLERK_JWKS_URL",
	"CLERK_PROXY_URL", "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "NEXT_PUBLIC_CLERK_PROXY_URL",
	"NEXT_PUBLIC_CLERK_JS_URL", "NEXT_PUBLIC_CLERK_UI_URL", "CLERK_TELEMETRY_DISABLED", "NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED"}

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
	if want := "agenttest emulator: test password of the users with a password, for signing in through clerk-js: " + clerkemu.TestPassword; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr %q does not give the test password", p.stderr.String())
	}
	// The seeded users' ids, for AGENTTEST_USER_ID, on stderr: stdout
	// stays an env file of the instance.
	if want := "agenttest emulator: seeded users, for AGENTTEST_USER_ID: user_2ada0000000000000000000001 (ada@example.com), "; !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr %q does not list the seeded users (%q)", p.stderr.String(), want)
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
	line = oneLineOf(t, stderr)
	if code != 1 || !strings.HasPrefix(line, "agenttest revoke: nothing to revoke: this instance has no task agttsk_unknown: check the id, and that CLERK_SECRET_KEY is the key of the instance that created it: revoke agent task agttsk_unknown: 404 agent_task_not_found") ||
		strings.Contains(line, "already used") || strings.Contains(line, env["CLERK_SECRET_KEY"]) {
		t.Fatalf("revoke unknown: exit %d, stderr %q; want 1 and one line saying there is no such task", code, stderr)
	}
	// Not a task id at all: said before any request, and a long value,
	// which may be a ticket, is not shown.
	code, _, stderr = runCLI(t, "revoke", "hello")
	if line := oneLineOf(t, stderr); code != 1 || line != `agenttest revoke: the task id "hello" is not an Agent Task id (agttsk_…): pass the task_id create printed, or the id in Clerk's logs` {
		t.Fatalf("revoke hello: exit %d, stderr %q", code, stderr)
	}
	ticket := strings.Repeat("Tk9", 20)
	if code, _, stderr = runCLI(t, "revoke", ticket); code != 1 || strings.Contains(stderr, ticket) || !strings.Contains(stderr, "(60 characters, not shown: it may be a credential)") {
		t.Fatalf("revoke of a long value: exit %d, stderr %q", code, stderr)
	}
	// A Testing Token's shape (Unix seconds, "-c_", 27 characters): a
	// plain word, but 40 characters long, so not shown either.
	token := "1713877200-c_" + strings.Repeat("a1B", 9)
	if code, _, stderr = runCLI(t, "revoke", token); code != 1 || strings.Contains(stderr, token) || !strings.Contains(stderr, "(40 characters, not shown: it may be a credential)") {
		t.Fatalf("revoke of a Testing Token: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "create", "--user-id", "user_missing", "--redirect-url", "http://127.0.0.1:1/")
	if code != 1 || !strings.Contains(oneLineOf(t, stderr), "agent_task_subject_not_found") {
		t.Fatalf("create for an unknown user: exit %d, stderr %q; want 1 and agent_task_subject_not_found", code, stderr)
	}
	if code, _, _ := runCLI(t, "revoke", ids[1]); code != 0 {
		t.Fatalf("revoke %s: exit %d", ids[1], code)
	}
}

func TestEmulatorNodeModulesWithoutClerkJS(t *testing.T) {
	code, stdout, stderr := runCLI(t, "emulator", "--node-modules", t.TempDir())
	if code != 2 || stdout != "" || !strings.Contains(stderr, "has no @clerk/clerk-js: run npm install @clerk/clerk-js@6 @clerk/ui@1") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
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

// waitStderr polls (bounded by lineWait) until the process's stderr holds
// want, and returns it.
func (p *process) waitStderr(t *testing.T, want string) string {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(lineWait)
	for {
		if s := p.stderr.String(); strings.Contains(s, want) {
			return s
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("stderr lacks %q after %s: %q", want, lineWait, p.stderr.String())
		}
	}
}

// TestEmulatorPrintsTheAddressItBound: by default both APIs bind
// loopback and stderr says so without a warning; --listen :0 binds every
// interface, which stderr names ([::]:PORT, the port of CLERK_API_URL)
// and warns about, while the URLs still name 127.0.0.1, where local
// clients reach it.
func TestEmulatorPrintsTheAddressItBound(t *testing.T) {
	port := regexp.MustCompile(`:(\d+)$`)
	t.Run("default", func(t *testing.T) {
		p := startProcess(t, "emulator", "--users", "none")
		env := envLines(t, p.readLines(t, len(emulatorVars)))
		stderr := p.waitStderr(t, "Frontend API to ")
		want := fmt.Sprintf("agenttest emulator: Backend API bound to 127.0.0.1:%s, Frontend API to 127.0.0.1:%s\n",
			port.FindStringSubmatch(env["CLERK_API_URL"])[1], port.FindStringSubmatch(env["CLERK_FRONTEND_API_URL"])[1])
		if _, code := p.stop(t, syscall.SIGINT); code != 0 {
			t.Errorf("exit status %d", code)
		}
		if stderr != want {
			t.Errorf("stderr %q, want %q", stderr, want)
		}
	})
	t.Run("every interface", func(t *testing.T) {
		p := startProcess(t, "emulator", "--users", "none", "--listen", ":0")
		env := envLines(t, p.readLines(t, len(emulatorVars)))
		stderr := p.waitStderr(t, "warning")
		if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(env["CLERK_API_URL"]) {
			t.Errorf("CLERK_API_URL=%q, want http://127.0.0.1:PORT, where local clients reach it", env["CLERK_API_URL"])
		}
		bport := port.FindStringSubmatch(env["CLERK_API_URL"])[1]
		if want := "Backend API bound to [::]:" + bport + ","; !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
		if want := "agenttest emulator: warning: the Backend API is bound to [::]:" + bport + ", not loopback:"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "--listen 127.0.0.1:0") {
			t.Errorf("stderr %q lacks the warning %q with the fix", stderr, want)
		}
		if strings.Count(stderr, "warning") != 1 {
			t.Errorf("stderr %q: want one warning (the Frontend API stays on the advertised loopback host)", stderr)
		}
		// It really answers on the address the URL names.
		resp, err := http.Get(env["CLERK_FRONTEND_API_URL"] + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("JWKS: %d", resp.StatusCode)
		}
		if _, code := p.stop(t, syscall.SIGINT); code != 0 {
			t.Errorf("exit status %d", code)
		}
	})
}

func TestEmulatorRefusesKeysOfTheWrongShape(t *testing.T) {
	for key, want := range map[string]string{
		"sk_test_":                  "the secret key is only the prefix sk_test_",
		"sk_test_x":                 "the secret key has 1 characters after sk_test_; a Clerk secret key has 16 to 128",
		"sk_test_S3CR3T S3CR3T1234": "the secret key has a character no Clerk secret key has",
		"pk_test_S3CR3TS3CR3T1234":  `does not start with "sk_test_" or "sk_live_"`,
	} {
		code, stdout, stderr := runCLI(t, "emulator", "--secret-key", key)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != 2 || stdout != "" || !strings.HasPrefix(first, "agenttest emulator: --secret-key: ") || !strings.Contains(first, want) {
			t.Errorf("--secret-key of %d bytes: exit %d, stdout %q, first stderr line %q; want 2 and %q", len(key), code, stdout, first, want)
		}
		if strings.Contains(stderr, "S3CR3T") {
			t.Errorf("--secret-key of %d bytes: stderr shows the key: %q", len(key), first)
		}
	}
	key := "sk_test_" + strings.Repeat("k3y", 12)
	p := startProcess(t, "emulator", "--users", "none", "--secret-key", key)
	if env := envLines(t, p.readLines(t, len(emulatorVars))); env["CLERK_SECRET_KEY"] != key {
		t.Errorf("a key of the right shape is not the instance's")
	}
	if _, code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

func TestBoundAddr(t *testing.T) {
	for _, c := range [][3]string{
		{"127.0.0.1:0", "http://127.0.0.1:4100", "127.0.0.1:4100"},
		{":0", "http://127.0.0.1:4100", "[::]:4100"},
		{"0.0.0.0:0", "http://127.0.0.1:4100", "0.0.0.0:4100"},
		{"[::]:4100", "http://127.0.0.1:4100", "[::]:4100"},
		{"localhost:0", "http://localhost:4100", "localhost:4100"},
		{"", "http://127.0.0.1:4101", "127.0.0.1:4101"},
	} {
		if got := boundAddr(c[0], c[1]); got != c[2] {
			t.Errorf("boundAddr(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "app.localhost:1": true,
		"[::]:1": false, "0.0.0.0:1": false, "192.0.2.1:1": false, "no-such-host.invalid:1": false, "junk": false,
	} {
		if got := loopback(t.Context(), addr); got != want {
			t.Errorf("loopback(%q) = %t, want %t", addr, got, want)
		}
	}
}

// Values from the command line show in messages on one line, quoted and
// cut.
func TestEmulatorQuotesAndCutsArguments(t *testing.T) {
	long := strings.Repeat("é", 50_000)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--listen", "127.0.0.1:0\nINJECTED"}, 2, `agenttest emulator: --listen "127.0.0.1:0\nINJECTED" is not a host:port`},
		{[]string{"--frontend-listen", long}, 2, `agenttest emulator: --frontend-listen "` + strings.Repeat("é", 80) + `"… (100000 bytes) is not a host:port`},
		{[]string{"--users", "/nonexistent/users\nINJECTED.json"}, 1, `agenttest emulator: users file "/nonexistent/users\nINJECTED.json": not a file name`},
		{[]string{"--users", "/nonexistent/" + long}, 1, `agenttest emulator: users file "/nonexistent/` + strings.Repeat("é", 67) + `"… (100013 bytes): not a file name`},
		{[]string{"--users", "/nonexistent/" + long[:2000]}, 1, `agenttest emulator: users file "/nonexistent/` + strings.Repeat("é", 67) + `"… (2013 bytes) not found`},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"emulator"}, c.args...)...)
		first, _, _ := strings.Cut(stderr, "\n")
		if code != c.code || stdout != "" || !strings.HasPrefix(first, c.want) || len(first) > 600 {
			t.Errorf("emulator %.60q: exit %d, first stderr line %.300q; want %d and a line starting %.300q", c.args, code, first, c.code, c.want)
		}
	}
}
