//go:build unix

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/childenv"
)

// webapp builds the stand-in app of appserver's tests.
func webapp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "webapp")
	if out, err := exec.Command("go", "build", "-o", bin, "../../agenttest/appserver/testdata/webapp").CombinedOutput(); err != nil {
		t.Fatalf("build the webapp: %v\n%s", err, out)
	}
	return bin
}

// freeLoopback is a loopback address no one listens on now.
func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveCLI runs the built agenttest serve with args and returns its exit
// status, stdout and stderr.
func serveCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = lineWait
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// appPids are the pids the webapp printed (itself, its child).
func appPids(out string) []int {
	var ps []int
	for _, m := range regexp.MustCompile(`(?m)^(?:pid|child) (\d+)$`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		ps = append(ps, n)
	}
	return ps
}

func requireProcessesGone(t *testing.T, want int, ps []int) {
	t.Helper()
	if len(ps) < want {
		t.Fatalf("found %d processes to check, want at least %d", len(ps), want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range ps {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("process %d outlived agenttest serve", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestServeRunsTheTestsWhileTheAppAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	app, addr := webapp(t), freeLoopback(t)
	url := "http://" + addr + "/"
	code, stdout, stderr := serveCLI(t, "--url", url, "--app", app+" -listen "+addr+" -delay 200ms -child", "--", app, "-get", url)
	if code != 0 || strings.TrimSpace(stdout) != "ok" {
		t.Fatalf("serve: exit %d, stdout %q, stderr %q; want 0 and the app's answer", code, stdout, stderr)
	}
	requireProcessesGone(t, 2, appPids(stderr))

	// The tests command's status is serve's.
	code, _, stderr = serveCLI(t, "--url", url, "--app", app+" -listen "+addr+" -child", "--", "sh", "-c", "exit 3")
	if code != 3 {
		t.Fatalf("serve with failing tests: exit %d, want 3; stderr %q", code, stderr)
	}
	requireProcessesGone(t, 2, appPids(stderr))
}

func TestServeAppThatExitsFailsInOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	app, addr := webapp(t), freeLoopback(t)
	code, stdout, stderr := serveCLI(t, "--url", "http://"+addr+"/", "--app", app+" -child -exit 2", "--", "sh", "-c", "echo tests ran")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 1 || stdout != "" || !strings.HasPrefix(last, "agenttest serve: start app: sh -c '"+app+" -child -exit 2' exited (exit status 2) before ") || !strings.Contains(last, "boom") {
		t.Fatalf("serve of an app that exits: exit %d, stdout %q, last line %q", code, stdout, last)
	}
	requireProcessesGone(t, 2, appPids(stderr))
}

// The timeout hint names the flag, not appserver's Go option.
func TestServeTimeoutNamesTheFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	addr := freeLoopback(t) // nothing listens there
	code, stdout, stderr := serveCLI(t, "--url", "http://"+addr+"/", "--app", "echo starting; exec sleep 30", "--timeout", "500ms", "--", "sh", "-c", "echo tests ran")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 1 || stdout != "" || !strings.HasPrefix(last, "agenttest serve: start app: ") || !strings.Contains(last, "did not answer within 500ms") || !strings.Contains(last, "raise --timeout") || strings.Contains(stderr, "Options.") {
		t.Fatalf("serve of an app that does not answer: exit %d, stdout %q, stderr %q; want 1 and a hint to raise --timeout", code, stdout, stderr)
	}
}

// Something already answering at --url is named with the flag that
// would use it, not appserver's Go option.
func TestServeURLAlreadyAnsweringNamesTheFlag(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	code, stdout, stderr := serveCLI(t, "--url", srv.URL+"/", "--app", "exit 3", "--", "true")
	want := "agenttest serve: start app: " + srv.URL + "/ already answers before sh -c 'exit 3' started: stop what holds the port, or set --reuse-existing\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"serve", "--url", "http://127.0.0.1:1/"}, {"serve", "--app", "true"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || stdout != "" || !isUsageError(stderr, "serve") {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

// Durations that would wait forever or not at all, and a URL that cannot
// be polled, are refused before the app starts (a marker file shows it
// did not), in one line naming the flag.
func TestServeRefusesBadValues(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	app := "touch " + marker
	for _, tt := range []struct {
		args []string
		code int
		line string
	}{
		{[]string{"--url", "http://127.0.0.1:1/", "--timeout", "0"}, 2, "agenttest serve: --timeout 0s: give a positive duration, such as 60s"},
		{[]string{"--url", "http://127.0.0.1:1/", "--timeout", "-1s"}, 2, "agenttest serve: --timeout -1s: give a positive duration, such as 60s"},
		{[]string{"--url", "http://127.0.0.1:1/", "--stop-timeout", "-1s"}, 2, "agenttest serve: --stop-timeout -1s: give a positive duration, such as 10s"},
		{[]string{"--url", "notaurl"}, 1, `agenttest serve: start app: --url "notaurl" is not an absolute http or https URL: give the URL that answers once the app is ready, such as http://127.0.0.1:3000/`},
		{[]string{"--url", "ftp://127.0.0.1:1/"}, 1, `agenttest serve: start app: --url "ftp://127.0.0.1:1/" is not an absolute http or https URL: give the URL that answers once the app is ready, such as http://127.0.0.1:3000/`},
	} {
		args := append(append([]string{"serve", "--app", app}, tt.args...), "--", "true")
		code, stdout, stderr := runCLI(t, args...)
		if first, _, _ := strings.Cut(stderr, "\n"); code != tt.code || stdout != "" || first != tt.line {
			t.Errorf("agenttest %q: exit %d, stdout %q, stderr %q; want %d and %q", args, code, stdout, stderr, tt.code, tt.line)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the app ran although serve refused its flags")
	}
}

// SIGHUP (the terminal closed) ends serve as SIGTERM does: the tests
// command is interrupted, the app's whole process group stopped and its
// port freed.
func TestServeStopsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	app := webapp(t)
	for _, tests := range [][]string{nil, {"sh", "-c", "echo tests $$; exec sleep 60"}} {
		addr := freeLoopback(t)
		args := []string{"serve", "--url", "http://" + addr + "/", "--app", app + " -listen " + addr + " -child"}
		want := 2 // the app and its child
		if tests != nil {
			args = append(append(args, "--"), tests...)
			want++
		}
		p := startProcess(t, args...)
		first := p.readLines(t, 1)[0]
		var pids []int
		t.Cleanup(func() { // should any outlive serve, they must not outlive the test
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		})
		if tests != nil {
			pid, err := strconv.Atoi(strings.TrimPrefix(first, "tests "))
			if err != nil {
				t.Fatalf("first line %q, want the tests command's pid", first)
			}
			pids = append(pids, pid)
		} else if first != "ready http://"+addr+"/" {
			t.Fatalf("first line %q, want ready and the URL", first)
		}
		pids = append(pids, appPids(p.stderr.String())...)
		_, code := p.stop(t, syscall.SIGHUP)
		// As after SIGTERM: 0 when serving alone, the interrupted tests
		// command's failure otherwise.
		if wantCode := min(len(tests), 1); code != wantCode {
			t.Errorf("tests %q: exit %d after SIGHUP, want %d; stderr %q", tests, code, wantCode, p.stderr.String())
		}
		requireProcessesGone(t, want, pids)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the app's port is still taken after SIGHUP: %v", err)
		}
		l.Close()
	}
}

// The app gets the Clerk instance the tests read from .env.local (here in
// the module root, serve run from a package folder below it), and serve
// says which variables and from where, never their values.
func TestServeGivesTheAppTheTestsInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	app, addr := webapp(t), freeLoopback(t)
	root := t.TempDir()
	const pk, sk = "pk_test_c2VydmUuZXhhbXBsZS50ZXN0JA", "sk_test_serveEnvLocalSecret0123456789"
	for name, body := range map[string]string{
		"go.mod":     "module example.com/served\n",
		".env.local": "CLERK_PUBLISHABLE_KEY=" + pk + "\nCLERK_SECRET_KEY=" + sk + "\n",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkgDir := filepath.Join(root, "e2e")
	if err := os.Mkdir(pkgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve", "--url", "http://"+addr+"/",
		"--app", `echo "app: pk=$CLERK_PUBLISHABLE_KEY sk_len=${#CLERK_SECRET_KEY} api=${CLERK_API_URL-unset}"; exec `+app+" -listen "+addr,
		"--", "true")
	cmd.Dir, cmd.Env = pkgDir, childenv.Without("CLERK_")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = lineWait
	if err := cmd.Run(); err != nil {
		t.Fatalf("serve: %v; stderr %q", err, stderr.String())
	}
	envFile := filepath.Join(root, ".env.local")
	for _, want := range []string{
		"agenttest serve: the app gets CLERK_SECRET_KEY (from " + envFile + "), CLERK_PUBLISHABLE_KEY (from " + envFile + "), as the tests read them\n",
		"app: pk=" + pk + " sk_len=" + strconv.Itoa(len(sk)) + " api=unset\n",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
	if strings.Contains(stderr.String(), sk) {
		t.Error("serve printed the secret key")
	}
}
