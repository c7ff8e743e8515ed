package agenttest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The environment variables that make this test binary a child of
// TestStartAppStopsWhenTheBinaryIsInterrupted: the test binary that
// starts the app, and the app itself (an HTTP server at that address).
const (
	startAppChildEnv = "AGENTTEST_TEST_STARTAPP_CHILD"
	servingChildEnv  = "AGENTTEST_TEST_SERVE_ADDR"
	// startAppMainEnv makes the child's TestMain start the app before
	// RunTests and wait there (see testMain).
	startAppMainEnv = "AGENTTEST_TEST_STARTAPP_MAIN"
	// startAppListEnv makes the child's TestMain start an app that cannot
	// start, before RunTests (see testMain).
	startAppListEnv = "AGENTTEST_TEST_STARTAPP_LIST"
)

// go test -list (which agenttest shard runs) runs TestMain but no test:
// StartApp starts nothing there, so listing neither waits for the app
// nor takes its port.
func TestStartAppStartsNothingWhenTheBinaryLists(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.list=^TestStartAppStartsNothingWhenTheBinaryLists$")
	cmd.Env = append(os.Environ(), startAppListEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "TestStartAppStartsNothingWhenTheBinaryLists\n", string(out))
}

// An app StartApp started runs in a process group of its own, which a
// Ctrl-C does not reach: when the test binary is interrupted (SIGINT) in
// a test, RunTests stops the app before the binary ends.
func TestStartAppStopsWhenTheBinaryIsInterrupted(t *testing.T) {
	interruptStartAppChild(t, startAppChildEnv, syscall.SIGINT)
}

// Outside RunTests (in TestMain before it, as during its sweep of dead
// runs, or after it), a SIGTERM stops the app too.
func TestStartAppStopsWhenTheBinaryIsTerminatedOutsideRunTests(t *testing.T) {
	interruptStartAppChild(t, startAppMainEnv, syscall.SIGTERM)
}

// interruptStartAppChild runs this test binary as a child that starts an
// app (with env naming the app's address: startAppChildEnv in a test,
// startAppMainEnv in TestMain), sends it sig once the app runs, and
// checks that the app ended with the child.
func interruptStartAppChild(t *testing.T, env string, sig syscall.Signal) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if os.Getenv(startAppChildEnv) != "" || os.Getenv(servingChildEnv) != "" || os.Getenv(startAppMainEnv) != "" {
		t.Skip("this is a child")
	}
	t.Parallel()
	addr := strings.TrimPrefix(fixtureClosedURL(t), "http://")
	child := startAppChild(t, "TestStartAppChild", "startapp-pid: ", env+"="+addr)
	require.True(t, lifecycleAlive(child.appPid), "the app runs while the tests do")

	require.NoError(t, child.cmd.Process.Signal(sig))
	require.Error(t, child.wait(), "the interrupted child fails")
	child.requireAppGone(t)
	_, err := http.Get("http://" + addr + "/")
	assert.Error(t, err, "something still answers at the app's address")
}

// TestStartAppChild is the child of
// TestStartAppStopsWhenTheBinaryIsInterrupted: it starts this binary as
// an app (TestServingChild), prints the app's pid and waits to be
// interrupted.
func TestStartAppChild(t *testing.T) {
	addr := os.Getenv(startAppChildEnv)
	if addr == "" {
		t.Skip("runs only as the child of TestStartAppStopsWhenTheBinaryIsInterrupted")
	}
	app, err := startServingChild(addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Stop() })
	// Wait for the parent's SIGINT, which ends this binary; a minute
	// bounds the wait should it never come.
	time.Sleep(time.Minute)
	t.Fatal("the parent did not interrupt the child")
}

// startServingChild starts this binary as an app at addr
// (TestServingChild) and prints its pid for the parent.
func startServingChild(addr string) (*App, error) {
	app, err := StartApp(context.Background(), AppOptions{
		Command: []string{os.Args[0], "-test.run=^TestServingChild$", "-test.count=1"},
		Env:     []string{startAppChildEnv + "=", startAppMainEnv + "=", servingChildEnv + "=" + addr},
		URL:     "http://" + addr + "/",
	})
	if err == nil {
		fmt.Printf("startapp-pid: %d\n", app.Pid())
	}
	return app, err
}

// TestServingChild is the app TestStartAppChild starts: an HTTP server
// at its address until it is stopped.
func TestServingChild(t *testing.T) {
	addr := os.Getenv(servingChildEnv)
	if addr == "" {
		t.Skip("runs only as the app of TestStartAppChild")
	}
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })}
	t.Fatal(srv.ListenAndServe())
}

// guardChildEnv makes this test binary the child of
// TestStartAppGuardWaitsForTheRunsEarlyEnd; guardBAPIEnv is its Backend
// API.
const (
	guardChildEnv = "AGENTTEST_TEST_GUARD_CHILD"
	guardBAPIEnv  = "AGENTTEST_TEST_GUARD_BAPI"
)

// A signal while RunTests ends (the run forgotten, its watcher still
// installed) is the run's: an app's guard waits while the run's early end
// revokes what is in flight, instead of ending the binary under it.
func TestStartAppGuardWaitsForTheRunsEarlyEnd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("signals a child process")
	}
	if os.Getenv(guardChildEnv) != "" || os.Getenv(servingChildEnv) != "" {
		t.Skip("this is a child")
	}
	t.Parallel()
	var cancelled, completed atomic.Int32
	bapi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			cancelled.Add(1) // the child died during the revoke
		case <-time.After(time.Second):
			completed.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"object":"session","id":"sess_guard","status":"revoked"}`))
		}
	}))
	t.Cleanup(bapi.Close)
	child := startAppChild(t, "TestStartAppGuardChild", "guard-ready", guardChildEnv+"="+strings.TrimPrefix(fixtureClosedURL(t), "http://"), guardBAPIEnv+"="+bapi.URL)
	require.NoError(t, child.cmd.Process.Signal(syscall.SIGTERM))
	require.Error(t, child.wait(), "the terminated child fails")
	assert.EqualValues(t, 1, completed.Load(), "the run's early end revoked the session in flight before the binary ended:\n%s", strings.Join(child.transcript, "\n"))
	assert.Zero(t, cancelled.Load(), "the binary ended during the revoke")
	child.requireAppGone(t)
}

// TestStartAppGuardChild is the child of
// TestStartAppGuardWaitsForTheRunsEarlyEnd: an app, a session in flight
// on a slow Backend API, and the run forgotten as RunTests' end does
// first, then a wait for the parent's SIGTERM.
func TestStartAppGuardChild(t *testing.T) {
	addr := os.Getenv(guardChildEnv)
	if addr == "" {
		t.Skip("runs only as the child of TestStartAppGuardWaitsForTheRunsEarlyEnd")
	}
	app, err := startServingChild(addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Stop() })
	r, err := currentRun()
	require.NoError(t, err)
	c, err := agenttask.NewClient(agenttask.Config{SecretKey: "sk_test_" + strings.Repeat("g", 40), APIURL: os.Getenv(guardBAPIEnv)})
	require.NoError(t, err)
	r.inflight.addSession(&session{id: "sess_guard", client: c})
	current.mu.Lock()
	current.run = nil // as RunTests' end does first, its watcher still installed
	current.mu.Unlock()
	fmt.Println("guard-ready")
	time.Sleep(time.Minute) // bounds the wait should the signal never come
	t.Fatal("the parent did not terminate the child")
}

// appChild is this test binary run again as a child test that starts an
// app with StartApp (startServingChild prints its pid), its output read
// line by line.
type appChild struct {
	cmd        *exec.Cmd
	sc         *bufio.Scanner
	appPid     int
	transcript []string
}

// startAppChild runs the child test name with env added, reads its
// output up to the first line that begins with until (the app's pid read
// on the way), and kills the child and the app's process group (its own:
// pgid = pid) when the test ends, so that neither outlives a test that
// fails early.
func startAppChild(t *testing.T, name, until string, env ...string) *appChild {
	t.Helper()
	c := &appChild{cmd: childTest(name)}
	c.cmd.Env = append(os.Environ(), env...)
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	c.cmd.Stderr = c.cmd.Stdout
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		if c.appPid != 0 {
			_ = syscall.Kill(-c.appPid, syscall.SIGKILL)
		}
	})
	c.sc = bufio.NewScanner(stdout)
	for c.sc.Scan() {
		line := c.sc.Text()
		c.transcript = append(c.transcript, line)
		if rest, ok := strings.CutPrefix(line, "startapp-pid: "); ok {
			c.appPid, err = strconv.Atoi(rest)
			require.NoError(t, err)
		}
		if strings.HasPrefix(line, until) {
			break
		}
	}
	require.NotZero(t, c.appPid, "the child started no app:\n%s", strings.Join(c.transcript, "\n"))
	return c
}

// wait reads the rest of the child's output and waits for it to exit.
func (c *appChild) wait() error {
	for c.sc.Scan() {
		c.transcript = append(c.transcript, c.sc.Text())
	}
	return c.cmd.Wait()
}

// requireAppGone fails the test unless the app's process ends within 15 s.
func (c *appChild) requireAppGone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for lifecycleAlive(c.appPid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling /proc, bounded by the deadline
	}
	require.False(t, lifecycleAlive(c.appPid), "the app (pid %d) outlived the child:\n%s", c.appPid, strings.Join(c.transcript, "\n"))
}
