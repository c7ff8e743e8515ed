package agenttest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lifecycleChildEnv makes the test binary run TestLifecycleChild as a
// child process that starts the browser and then fails or panics.
const lifecycleChildEnv = "AGENTTEST_LIFECYCLE_CHILD"

// TestFixtureProcessesEndWithTheBinary runs a test binary that starts the
// shared browser and then fails, or panics, and checks that its driver
// and browser processes are gone once it has exited.
func TestFixtureProcessesEndWithTheBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if os.Getenv(lifecycleChildEnv) != "" {
		t.Skip("this is the child")
	}
	for _, mode := range []string{"fail", "panic"} {
		t.Run(mode, func(t *testing.T) {
			cmd := childTest("TestLifecycleChild")
			cmd.Env = append(os.Environ(), lifecycleChildEnv+"="+mode)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = cmd.Stdout
			require.NoError(t, cmd.Start())

			var pids []int
			var transcript []string
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				line := sc.Text()
				transcript = append(transcript, line)
				if rest, ok := strings.CutPrefix(line, "lifecycle-pids:"); ok {
					for f := range strings.FieldsSeq(rest) {
						pid, err := strconv.Atoi(f)
						require.NoError(t, err)
						pids = append(pids, pid)
					}
				}
			}
			err = cmd.Wait()
			require.Error(t, err, "the child test must fail")
			require.NotEmpty(t, pids, "the child started no browser:\n%s", strings.Join(transcript, "\n"))
			if mode == "fail" {
				// The cleanup's log line names the test's NewPage call,
				// not the library's file.
				var logged string
				for _, line := range transcript {
					if strings.Contains(line, "agenttest: artifacts of the failed test are in") {
						logged = strings.TrimSpace(line)
					}
				}
				assert.Regexp(t, `^lifecycle_test\.go:\d+: `, logged, "the artifacts line, in:\n%s", strings.Join(transcript, "\n"))
			}

			deadline := time.Now().Add(20 * time.Second)
			var alive []int
			for {
				alive = alive[:0]
				for _, pid := range pids {
					if lifecycleAlive(pid) {
						alive = append(alive, pid)
					}
				}
				if len(alive) == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond) // polling /proc, bounded by the deadline
			}
			assert.Empty(t, alive, "processes of the child outlived it: %v", lifecycleDescribe(alive))
		})
	}
}

// childTest is this test binary run again for its test name alone,
// verbose, with args added: a child whose end (a failure, a panic, a
// signal) a parent test watches from outside.
func childTest(name string, args ...string) *exec.Cmd {
	return exec.Command(os.Args[0], append([]string{"-test.run=^" + name + "$", "-test.count=1", "-test.v"}, args...)...)
}

// TestLifecycleChild is the child of TestFixtureProcessesEndWithTheBinary.
func TestLifecycleChild(t *testing.T) {
	mode := os.Getenv(lifecycleChildEnv)
	if mode == "" {
		t.Skip("runs only as the child of TestFixtureProcessesEndWithTheBinary")
	}
	page := NewPage(t, WithArtifactsDir(t.TempDir()))
	_, err := page.Goto("data:text/html,<h1>child</h1>")
	require.NoError(t, err)
	fmt.Printf("lifecycle-pids: %s\n", strings.Trim(fmt.Sprint(lifecycleDescendants(os.Getpid())), "[]"))
	if mode == "panic" {
		panic("the child panics with the browser running")
	}
	t.Fatal("the child fails with the browser running")
}

// lifecycleDescendants lists the processes below pid, from /proc.
func lifecycleDescendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// The command name, in parentheses, may hold spaces: skip past it.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		self, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		children[ppid] = append(children[ppid], self)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// lifecycleAlive reports whether pid is a live (not zombie) process.
func lifecycleAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// lifecycleDescribe names processes for a failure message.
func lifecycleDescribe(pids []int) []string {
	var out []string
	for _, pid := range pids {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		out = append(out, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
	}
	return out
}

// A browser that stops answering does not hold a page's release past its
// context: Release gives up on the browser and still revokes what the
// page made (here a task it never used).
func TestReleaseIsBoundedWhenTheBrowserStopsAnswering(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stops the browser's processes, found in /proc")
	}
	s := fixtureStart(t)
	b, stop, resume := lifecycleStoppableBrowser(t)
	t.Cleanup(func() {
		resume()
		require.NoError(t, b.Close())
	})
	page, err := b.NewPage(t.Context(), s.opts()...)
	require.NoError(t, err)
	task, err := NewTaskContext(fixtureCtx(t), s.taskOpts(AsUser(fixtureAda))...)
	require.NoError(t, err)
	page.own(task)
	stop()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	err = page.Release(ctx)
	took := time.Since(start)
	require.ErrorContains(t, err, "the browser did not answer in time")
	assert.Less(t, took, 10*time.Second, "Release waited for the stopped browser")
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending), "the unused task is revoked all the same")
}

// Closing a browser that stopped answering is bounded: Close gives up
// on the browser, stops the driver, gives up on the driver too when it
// does not exit, and returns saying so. Once the processes run again,
// the driver, whose input is closed, exits and takes the browser with
// it: nothing is left.
func TestBrowserCloseIsBoundedWhenTheBrowserStopsAnswering(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stops the browser's processes, found in /proc")
	}
	b, stop, resume := lifecycleStoppableBrowser(t)
	stopped := stop()

	start := time.Now()
	err := b.shutDown(time.Second, time.Second)
	took := time.Since(start)
	require.ErrorContains(t, err, "close browser: no answer in 1s")
	require.ErrorContains(t, err, "stop playwright driver: it did not exit in 1s")
	assert.Less(t, took, 5*time.Second, "Close waited for the stopped browser")

	resume()
	require.Eventually(t, func() bool {
		for _, pid := range stopped {
			if lifecycleAlive(pid) {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "a process of the closed browser outlived its driver")
}

// lifecycleStoppableBrowser launches a browser of the test's own. stop
// SIGSTOPs its processes, its driver's and Chromium's, and returns them:
// the binary's children new since the launch (the driver: the test must
// not be parallel) and their descendants, not a process the run's shared
// browser starts meanwhile. resume SIGCONTs them; it also runs when the
// test ends.
func lifecycleStoppableBrowser(t *testing.T) (b *Browser, stop func() []int, resume func()) {
	t.Helper()
	cur, err := currentRun()
	require.NoError(t, err)
	before := map[int]bool{}
	for _, pid := range lifecycleDescendants(os.Getpid()) {
		before[pid] = true
	}
	b, err = launchBrowser(t.Context(), cur.suite)
	require.NoError(t, err)
	var stopped []int
	stop = func() []int {
		var tree []int
		for _, pid := range lifecycleDescendants(os.Getpid()) {
			if !before[pid] && lifecycleParent(pid) == os.Getpid() {
				tree = append(append(tree, pid), lifecycleDescendants(pid)...)
			}
		}
		for _, pid := range tree {
			if syscall.Kill(pid, syscall.SIGSTOP) == nil {
				stopped = append(stopped, pid)
			}
		}
		require.NotEmpty(t, stopped, "no process of the browser to stop")
		return stopped
	}
	resume = func() {
		for _, pid := range stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	return b, stop, resume
}

// lifecycleParent is process pid's parent, from /proc; 0 when unknown.
func lifecycleParent(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	st := string(data)
	fields := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
