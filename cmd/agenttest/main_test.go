package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/childenv"
)

// binary is the agenttest command built once by TestMain, for the tests
// that need a real process (signals, exit status).
var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "agenttest-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "make temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "agenttest")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build the agenttest command: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// lineWait bounds every wait for a process to print or to exit.
const lineWait = 30 * time.Second

// usersFile is the project's seed, absolute so processes can run anywhere.
func usersFile(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runCLI runs the command in-process and returns its exit status, stdout
// and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// process is the agenttest binary running in the background, its stdout
// read line by line.
type process struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe to read while the process writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess starts the built binary with args in a temp working
// directory, without any CLERK_ variable in its environment. A cleanup
// kills it if the test did not stop it.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(binary, args...), lines: make(chan string, 64)}
	p.cmd.Dir = t.TempDir()
	p.cmd.Env = childenv.Without("CLERK_")
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			for range p.lines {
			}
			_ = p.cmd.Wait()
		}
	})
	return p
}

// readLines returns the next n lines, failing the test if the process
// does not print them within lineWait.
func (p *process) readLines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(lineWait)
	var lines []string
	for len(lines) < n {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("process exited after %d of %d lines %q; stderr: %s", len(lines), n, lines, p.stderr.String())
			}
			lines = append(lines, l)
		case <-deadline:
			t.Fatalf("process printed %d of %d lines within %s: %q", len(lines), n, lineWait, lines)
		}
	}
	return lines
}

// stop sends sig and waits for the process to exit, returning any lines
// it printed in the meantime and its exit status.
func (p *process) stop(t *testing.T, sig syscall.Signal) (rest []string, code int) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(lineWait)
	for done := false; !done; {
		select {
		case l, ok := <-p.lines:
			if !ok {
				done = true
				break
			}
			rest = append(rest, l)
		case <-deadline:
			t.Fatalf("process still running %s after %v", lineWait, sig)
		}
	}
	err := p.cmd.Wait()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return rest, p.cmd.ProcessState.ExitCode()
}

// envLines parses KEY=VALUE lines.
func envLines(t *testing.T, lines []string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("line %q is not KEY=VALUE", l)
		}
		env[k] = v
	}
	return env
}

// oneLineOf fails unless s is exactly one line, and returns it.
func oneLineOf(t *testing.T, s string) string {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("want exactly one line, got %q", s)
	}
	return strings.TrimSuffix(s, "\n")
}
