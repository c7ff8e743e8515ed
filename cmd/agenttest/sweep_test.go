package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"golang.org/x/time/rate"
)

// sweepCLI runs the built binary with args in a temp directory whose
// environment has no CLERK_ or AGENTTEST_ variable but those in env, and
// returns its exit status, stdout and stderr.
func sweepCLI(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), lineWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(childenv.Clean(nil), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// sweepDeadRun records, in a ledger under dir, a run that created a
// pending task and a task whose URL it visited, and closes the ledger
// with both open, as a killed run would leave it (its lock released).
// It returns the ledger's path and the two task ids.
func sweepDeadRun(t *testing.T, emu *clerkemu.Emulator, dir string, visit bool) (path string, tasks []string) {
	t.Helper()
	client, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL(), Limiter: rate.NewLimiter(rate.Inf, 0)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(dir, client)
	if err != nil {
		t.Fatal(err)
	}
	user := emu.Users()[0].ID
	n := 1
	if visit {
		n = 2
	}
	for i := range n {
		if err := l.Creating(user); err != nil {
			t.Fatal(err)
		}
		task, err := client.Create(t.Context(), agenttask.CreateParams{UserID: user, RedirectURL: "http://localhost:3000/"})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Task(task, user); err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, task.ID)
		if i == 1 {
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.Get(task.URL())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			hc.CloseIdleConnections()
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return l.Path(), tasks
}

func TestSweepCommandEndToEnd(t *testing.T) {
	emu := clerkemu.RunT(t, clerkemu.Options{Users: clerkemu.SeedUsers()})
	dir := t.TempDir()
	path, tasks := sweepDeadRun(t, emu, dir, true)
	user := emu.Users()[0].ID
	keyEnv := []string{"CLERK_SECRET_KEY=" + emu.SecretKey(), "CLERK_API_URL=" + emu.BackendURL()}
	count := func(when string, pending, active int) {
		t.Helper()
		if p, a := len(emu.Tasks(clerkemu.TaskPending)), len(emu.Sessions(clerkemu.SessionActive)); p != pending || a != active {
			t.Fatalf("%s: %d pending tasks, %d active sessions; want %d and %d", when, p, a, pending, active)
		}
	}
	count("before", 1, 1)
	sess := emu.Sessions(clerkemu.SessionActive)[0].ID

	code, stdout, stderr := sweepCLI(t, keyEnv, "sweep", "--dry-run", "--ledger-dir", dir)
	want := "would revoke task " + tasks[0] + " (user " + user + ")\n" +
		"would revoke task " + tasks[1] + " (user " + user + ")\n" +
		"would revoke session " + sess + " (user " + user + ", task " + tasks[1] + ")\n" +
		"read 1 ledger(s) of dead runs (0 of live runs left alone): would revoke 2 task(s) and 1 session(s)\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("sweep --dry-run: exit %d\nstdout %q\nwant   %q\nstderr %q", code, stdout, want, stderr)
	}
	count("after the dry run", 1, 1)

	// The directory from AGENTTEST_LEDGER_DIR this time.
	code, stdout, stderr = sweepCLI(t, append(keyEnv, config.VarLedgerDir+"="+dir), "sweep")
	want = "revoked task " + tasks[0] + " (user " + user + ")\n" +
		"revoked session " + sess + " (user " + user + ", task " + tasks[1] + ")\n" +
		"swept 1 ledger(s) of dead runs (0 of live runs left alone): revoked 1 task(s) and 1 session(s); 1 ledger(s) removed, 0 kept\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("sweep: exit %d\nstdout %q\nwant   %q\nstderr %q", code, stdout, want, stderr)
	}
	count("after the sweep", 0, 0)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the swept ledger is still there: %v", err)
	}
	if strings.Contains(stdout+stderr, emu.SecretKey()) || regexp.MustCompile(`ticket|eyJ|://`).MatchString(stdout+stderr) {
		t.Errorf("sweep printed a secret or URL: %q %q", stdout, stderr)
	}

	// A revoke that fails: exit 1, one line naming the ledger, which is
	// kept; the next sweep finishes.
	path, tasks = sweepDeadRun(t, emu, dir, false)
	emu.InjectFault(clerkemu.RouteRevokeTask, clerkemu.Fault{Status: http.StatusForbidden}) // not retried
	code, stdout, stderr = sweepCLI(t, keyEnv, "sweep", "--ledger-dir", dir)
	line := oneLineOf(t, stderr)
	if code != 1 || !strings.HasPrefix(line, "agenttest sweep: 1 error(s), 1 ledger(s) kept for the next sweep: sweep "+filepath.Base(path)+": revoke agent task "+tasks[0]+": 403") ||
		!strings.HasSuffix(stdout, "revoked 0 task(s) and 0 session(s); 0 ledger(s) removed, 1 kept; 1 error(s)\n") {
		t.Fatalf("failing sweep: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	count("after the failing sweep", 1, 0)
	if code, stdout, stderr = sweepCLI(t, keyEnv, "sweep", "--ledger-dir", dir); code != 0 || !strings.HasPrefix(stdout, "revoked task "+tasks[0]) {
		t.Fatalf("sweep after the failure: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	count("at the end", 0, 0)
	if names, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(names) != 0 {
		t.Errorf("left in the ledger dir: %v", names)
	}
}

func TestSweepUsageAndConfig(t *testing.T) {
	if code, stdout, stderr := runCLI(t, "sweep", "extra"); code != 2 || stdout != "" || !isUsageError(stderr, "sweep") {
		t.Errorf("sweep extra: exit %d, stdout %q, stderr %q; want 2 and the usage", code, stdout, stderr)
	}
	code, stdout, stderr := sweepCLI(t, []string{"CLERK_SECRET_KEY="}, "sweep", "--ledger-dir", t.TempDir())
	if line := oneLineOf(t, stderr); code != 1 || stdout != "" || !strings.Contains(line, "CLERK_SECRET_KEY") {
		t.Errorf("sweep without a key: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// An instance with no ledgers: nothing to do.
	emu := clerkemu.RunT(t, clerkemu.Options{})
	code, stdout, stderr = sweepCLI(t, []string{"CLERK_SECRET_KEY=" + emu.SecretKey(), "CLERK_API_URL=" + emu.APIURL()}, "sweep", "--ledger-dir", t.TempDir())
	if code != 0 || stdout != "swept 0 ledger(s) of dead runs (0 of live runs left alone): revoked 0 task(s) and 0 session(s); 0 ledger(s) removed, 0 kept\n" || stderr != "" {
		t.Errorf("empty sweep: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// A --ledger-dir given by hand that is no directory: a typo would
	// sweep nothing and exit 0. Refused in one line.
	env := []string{"CLERK_SECRET_KEY=" + emu.SecretKey(), "CLERK_API_URL=" + emu.APIURL()}
	missing := filepath.Join(t.TempDir(), "nonexistent")
	for dir, what := range map[string]string{missing: "does not exist", os.DevNull: "is not a directory"} {
		code, stdout, stderr := sweepCLI(t, env, "sweep", "--ledger-dir", dir)
		want := "agenttest sweep: --ledger-dir " + dir + " " + what + ": give the directory the runs recorded their ledgers in (AGENTTEST_LEDGER_DIR, default <user cache>/agenttest/ledgers); nothing was swept\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("sweep --ledger-dir %s: exit %d, stdout %q, stderr %q; want 1 and %q", dir, code, stdout, stderr, want)
		}
	}
}
