//go:build unix

package main

import (
	"archive/zip"
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
)

// writeTrace writes a zip holding the given entries and returns its path.
func writeTrace(t *testing.T, entries ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trace.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, name := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, `{"version":7,"type":"context-options"}`+"\n")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShowTraceCommandArgvAndEnv(t *testing.T) {
	s := provision.Settings{DriverPath: "/opt/driver", BrowsersPath: "/opt/browsers"}
	environ := []string{
		"PATH=/usr/bin", "HOME=/home/u", "LC_ALL=C.UTF-8", "DISPLAY=:1", "XDG_RUNTIME_DIR=/run/user/1",
		"CLERK_SECRET_KEY=sk_test_shouldNotLeak", "AWS_SECRET_ACCESS_KEY=nope", "GITHUB_TOKEN=ghp_nope",
		"EXPERIMENTAL_OPENAI_API_KEY=nope", "AGENTTEST_USER_ID=user_1",
	}
	cmd, err := traceViewerCommand(context.Background(), s, viewerOptions{Host: "127.0.0.1", Port: "0"}, "/tmp/t/trace.zip", environ)
	if err != nil {
		t.Fatal(err)
	}
	node := "/opt/driver/node" // a Unix test: no node.exe
	wantArgs := []string{node, filepath.Join("/opt/driver", "package", "cli.js"), "show-trace", "--host", "127.0.0.1", "--port", "0", "/tmp/t/trace.zip"}
	if cmd.Path != node || !slices.Equal(cmd.Args, wantArgs) {
		t.Errorf("command %s %q, want %q", cmd.Path, cmd.Args, wantArgs)
	}
	wantEnv := []string{
		"PATH=/usr/bin", "HOME=/home/u", "LC_ALL=C.UTF-8", "DISPLAY=:1", "XDG_RUNTIME_DIR=/run/user/1",
		"PLAYWRIGHT_DRIVER_PATH=/opt/driver", "PLAYWRIGHT_BROWSERS_PATH=/opt/browsers",
	}
	if !slices.Equal(cmd.Env, wantEnv) {
		t.Errorf("env %q, want %q", cmd.Env, wantEnv)
	}

	// Without --host and --port: the viewer's window, no serving flags.
	cmd, err = traceViewerCommand(context.Background(), provision.Settings{DriverPath: "/d", NodePath: "/usr/bin/node"}, viewerOptions{}, "/x.zip", []string{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/usr/bin/node", filepath.Join("/d", "package", "cli.js"), "show-trace", "/x.zip"}; !slices.Equal(cmd.Args, want) {
		t.Errorf("command %q, want %q", cmd.Args, want)
	}
	if want := []string{"PLAYWRIGHT_DRIVER_PATH=/d", "PLAYWRIGHT_NODEJS_PATH=/usr/bin/node"}; !slices.Equal(cmd.Env, want) {
		t.Errorf("env %q, want %q", cmd.Env, want)
	}
}

func TestShowTraceRefusesWhatIsNotATrace(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "trace.zip")
	if err := os.WriteFile(notZip, []byte("<html>not a zip</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ path, want string }{
		"missing":   {filepath.Join(dir, "nope.zip"), "does not exist"},
		"directory": {dir, "is a directory"},
		"not a zip": {notZip, "is not a zip file"},
		"no trace":  {writeTrace(t, "readme.txt"), "not a Playwright trace"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "show-trace", tc.path)
			line := oneLineOf(t, stderr)
			if code != 1 || stdout != "" || !strings.HasPrefix(line, "agenttest show-trace: trace ") || !strings.Contains(line, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and one line saying %q", code, stdout, line, tc.want)
			}
		})
	}
	for _, args := range [][]string{{"show-trace"}, {"show-trace", "a", "b"}, {"show-trace", "--port", "http", "x.zip"}} {
		if code, _, stderr := runCLI(t, args...); code != 2 || !isUsageError(stderr, "show-trace") {
			t.Errorf("agenttest %q: exit %d, stderr %q; want 2 and the usage", args, code, stderr)
		}
	}
}

// TestShowTraceServesOverHTTP runs show-trace --port 0 on a trace with a
// secret in agenttest's environment, GETs the viewer and the trace from
// it on loopback, checks the environment the driver passed on (through
// a stand-in browser that records it: the driver's bundled xdg-open runs
// $BROWSER when there is no desktop), then stops it with SIGINT.
func TestShowTraceServesOverHTTP(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the children are read from /proc")
	}
	env, err := config.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Load(env).CheckDriver(); err != nil {
		t.Skipf("no driver: %v", err)
	}
	trace := writeTrace(t, "trace.trace", "trace.network")
	browser := filepath.Join(t.TempDir(), "browser")
	opened := filepath.Join(t.TempDir(), "opened")
	script := "#!/bin/sh\n{ echo \"$@\"; env; } > " + opened + ".tmp && mv " + opened + ".tmp " + opened + "\n"
	if err := os.WriteFile(browser, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "show-trace", "--port", "0", "--host", "127.0.0.1", trace)
	cmd.Env = append(os.Environ(), "BROWSER="+browser, "DISPLAY=", "WAYLAND_DISPLAY=", "CLERK_SECRET_KEY=sk_test_showTraceMustNotSeeThis")
	cmd.WaitDelay = lineWait
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM) // it passes SIGINT to the driver
			_ = cmd.Wait()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Listening on "); ok {
				urls <- u
			}
		}
		close(urls)
	}()
	var base string
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("show-trace exited without serving; stderr %s", stderr.String())
		}
		base = strings.TrimSuffix(u, "/")
	case <-time.After(lineWait):
		t.Fatalf("show-trace did not print its URL within %s; stderr %s", lineWait, stderr.String())
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("serving on %q, want loopback", base)
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer noRedirect.CloseIdleConnections()
	resp, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Playwright 1.64's viewer takes the trace as a URL of its server:
	// ./trace/index.html?trace=file?path=<the trace>.
	loc := resp.Header.Get("Location")
	viewer, _ := url.Parse(loc)
	file, _ := url.Parse(viewer.Query().Get("trace"))
	if resp.StatusCode != http.StatusFound || viewer.Path != "./trace/index.html" || file.Path != "file" || file.Query().Get("path") != trace {
		t.Fatalf("GET / = %d Location %q, want a redirect to the viewer naming %s", resp.StatusCode, loc, trace)
	}
	if body := get(t, noRedirect, base+"/trace/index.html"); !strings.Contains(body, "<title>Playwright Trace Viewer") {
		t.Fatalf("the viewer page is not Playwright's: %.200q", body)
	}
	want, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if body := get(t, noRedirect, base+"/trace/file?path="+trace); body != string(want) {
		t.Fatalf("the served trace differs from the file (%d bytes, want %d)", len(body), len(want))
	}

	// The driver asked the desktop to open the URL, with our filtered env.
	var seen []byte
	for deadline := time.After(lineWait); seen == nil; {
		if b, err := os.ReadFile(opened); err == nil {
			seen = b
			break
		}
		select {
		case <-deadline:
			t.Fatal("the driver never ran $BROWSER to open its URL")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(string(seen), base) || strings.Contains(string(seen), "sk_test_showTraceMustNotSeeThis") || strings.Contains(string(seen), "CLERK_") {
		t.Fatalf("$BROWSER ran with %q: want the URL and no CLERK_ variable", seen)
	}

	children := childPids(t, cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("show-trace after SIGINT: %v, stderr %s", err, stderr.String())
	}
	requireProcessesGone(t, 1, children)
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// childPids reads a process's children from /proc (each thread's).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		b, _ := os.ReadFile(f) // a thread may be gone
		all.Write(b)
		all.WriteByte(' ')
	}
	var ps []int
	for _, f := range strings.Fields(all.String()) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, n)
	}
	return ps
}
