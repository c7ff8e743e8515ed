package agenttest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/childenv"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endingChildEnv makes the test binary run TestEndingChild; its value is
// the phase the child is ended in: "signed-in" (two pages signed in and a
// pending task), "navigate" (a pending task, and a sign-in whose visit
// of the task URL the emulator stalls) or "create" (a pending task, and
// a sign-in whose create request the emulator stalls).
const endingChildEnv = "AGENTTEST_ENDING_CHILD"

// endingPanicEnv makes the "signed-in" child panic once signed in,
// with endingPanicValue, instead of waiting to be ended.
const (
	endingPanicEnv   = "AGENTTEST_ENDING_PANIC"
	endingPanicValue = "the signed-in test panics"
)

// endingStall is how long the emulator stalls the task URL in the
// "navigate" phase: longer than the timeout case's -timeout.
const endingStall = 25 * time.Second

// In the "create" phase the emulator answers the sign-in's create
// endingCreateStall late: shorter than the run's bound on its early end
// (emergencyRevokeTimeout) and than the timeout case's watchdog margin,
// so an early end can wait for the answer. In the timeout case (whose
// -timeout is endingCreateTimeout, margin 3 s) the child sends the
// create endingCreateLead before its deadline: in flight when the
// watchdog acts, answered 2 s before the panic.
const (
	endingCreateStall   = 3 * time.Second
	endingCreateTimeout = 30 * time.Second
	endingCreateLead    = 5 * time.Second
)

// A run ended by SIGINT, SIGTERM, SIGHUP or its own -timeout (whose panic
// runs no cleanup), or by a test's panic (which runs the test's cleanups
// only), revokes every task and session in flight before it goes, and
// leaves no browser process behind. One killed with SIGKILL can do
// nothing; its ledger lets the next run sweep what it left.
func TestEndingRevokesWhatIsInFlight(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and sends signals")
	}
	if os.Getenv(endingChildEnv) != "" {
		t.Skip("this is the child")
	}
	for _, tc := range []struct{ mode, phase string }{
		{"SIGINT", "signed-in"}, {"SIGTERM", "signed-in"}, {"timeout", "signed-in"}, {"SIGKILL", "signed-in"},
		{"SIGINT", "navigate"}, {"SIGTERM", "navigate"}, {"timeout", "navigate"}, {"SIGKILL", "navigate"},
		{"SIGINT", "create"}, {"SIGTERM", "create"}, {"timeout", "create"}, {"SIGKILL", "create"},
		{"SIGHUP", "signed-in"}, {"SIGHUP", "navigate"}, {"panic", "signed-in"},
	} {
		mode := tc.mode
		t.Run(tc.mode+"/"+tc.phase, func(t *testing.T) {
			stack := demoapp.RunStackT(t, demoapp.StackOptions{Emulator: clerkemu.Options{RateLimit: clerkemu.RateLimit{Disabled: true}}})
			switch tc.phase {
			case "navigate":
				stack.Emulator.InjectFault(clerkemu.RouteAcceptTask, clerkemu.Fault{Delay: endingStall})
			case "create":
				// The first create (NewTask's) passes; the second (the
				// sign-in's) is answered late, carried out even if the
				// child is gone by then.
				stack.Emulator.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{})
				stack.Emulator.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Delay: endingCreateStall})
			}
			args := []string{"-test.run=^TestEndingChild$", "-test.count=1", "-test.v"}
			timeout := 20 * time.Second
			if tc.phase == "create" {
				timeout = endingCreateTimeout
			}
			if mode == "timeout" {
				args = append(args, "-test.timeout="+timeout.String())
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = childenv.Clean(stack.Env())
			ledgers := t.TempDir()
			cmd.Env = append(cmd.Env, "AGENTTEST_ARTIFACTS_DIR="+t.TempDir(), "AGENTTEST_LEDGER_DIR="+ledgers)
			base := cmd.Env
			cmd.Env = append(cmd.Env[:len(cmd.Env):len(cmd.Env)], endingChildEnv+"="+tc.phase)
			if mode == "panic" {
				cmd.Env = append(cmd.Env, endingPanicEnv+"=1")
			}
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = cmd.Stdout
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill() })

			ready := make(chan []int, 1)
			lines := make(chan []string, 1)
			go func() {
				var transcript []string
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					line := sc.Text()
					transcript = append(transcript, line)
					if rest, ok := strings.CutPrefix(line, "ending-ready:"); ok {
						var pids []int
						for f := range strings.FieldsSeq(rest) {
							if pid, err := strconv.Atoi(f); err == nil {
								pids = append(pids, pid)
							}
						}
						ready <- pids
					}
				}
				lines <- transcript
			}()
			var pids []int
			select {
			case pids = <-ready:
			case transcript := <-lines:
				t.Fatalf("the child ended before signing in:\n%s", strings.Join(transcript, "\n"))
			case <-time.After(90 * time.Second):
				t.Fatal("the child did not sign in within 90 s")
			}
			switch tc.phase {
			case "navigate":
				// End the child while the browser waits on the task URL.
				require.NoError(t, waitFor(60*time.Second, func() bool { return stack.Emulator.Requests(clerkemu.RouteAcceptTask) > 0 }), "the child never visited the task URL")
				require.Len(t, stack.Emulator.Tasks(clerkemu.TaskPending), 2, "the child holds two pending tasks")
			case "create":
				// End the child while its create request is unanswered
				// (the timeout case's watchdog acts on its own).
				require.NoError(t, waitFor(endingCreateTimeout, func() bool { return stack.Emulator.Requests(clerkemu.RouteCreateTask) > 1 }), "the child never sent its second create")
				require.Len(t, stack.Emulator.Tasks(), 1, "the second create is still unanswered")
				require.Len(t, stack.Emulator.Tasks(clerkemu.TaskPending), 1, "the child holds one pending task")
			default:
				require.NotEmpty(t, stack.Emulator.Sessions(clerkemu.SessionActive), "the child holds sessions")
				require.NotEmpty(t, stack.Emulator.Tasks(clerkemu.TaskPending), "the child holds a pending task")
			}
			switch mode {
			case "SIGINT":
				require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			case "SIGTERM":
				require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			case "SIGHUP":
				require.NoError(t, cmd.Process.Signal(syscall.SIGHUP))
			case "SIGKILL":
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			}
			err = cmd.Wait()
			transcript := strings.Join(<-lines, "\n")
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, transcript)
			ws := exit.Sys().(syscall.WaitStatus)
			switch mode {
			case "panic":
				assert.Contains(t, transcript, "panic: "+endingPanicValue, "the test's panic ended it")
				assert.Contains(t, transcript, "agenttest: a test panicked: revoking every task and session in flight")
				assert.Contains(t, transcript, "agenttest: artifacts of the failed test are in ", "a panicking test counts as failed")
			case "timeout":
				assert.Contains(t, transcript, "panic: test timed out", "the binary's own timeout ended it")
				assert.Contains(t, transcript, "-timeout "+timeout.String()+" is about to pass")
			case "SIGKILL":
				require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "%v", ws)
				if tc.phase == "signed-in" {
					assert.NotEmpty(t, stack.Emulator.Sessions(clerkemu.SessionActive), "nothing can run on SIGKILL")
				} else {
					assert.NotEmpty(t, stack.Emulator.Tasks(clerkemu.TaskPending), "nothing can run on SIGKILL")
				}
				// The next run of the binary sweeps what the killed one left,
				// before its first test.
				next := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
				next.Env = base
				out, err := next.CombinedOutput()
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "that killed runs left behind")
				if tc.phase == "create" {
					// The killed run never learnt the second task's id, and
					// Clerk cannot list tasks: once Clerk carries the create
					// out, that task stays pending. Its URL reached no one,
					// so it signs nobody in; the sweep says so.
					assert.Contains(t, string(out), "agenttest: sweeping what killed runs left behind: a task may be pending at Clerk with an unknown id (user ")
					assert.Contains(t, string(out), "it cannot be used; nothing to revoke")
					require.NoError(t, waitFor(endingCreateStall+10*time.Second, func() bool { return len(stack.Emulator.Tasks()) == 2 }), "the stalled create was never carried out")
					assert.Len(t, stack.Emulator.Tasks(clerkemu.TaskRevoked), 1, "the sweep revokes the task the ledger names")
					assert.Len(t, stack.Emulator.Tasks(clerkemu.TaskPending), 1, "the task of unknown id stays pending")
					assert.Zero(t, stack.Emulator.Requests(clerkemu.RouteAcceptTask), "no task URL was visited")
					assert.Empty(t, stack.Emulator.Sessions(), "no session was ever made")
					require.NoError(t, waitGone(pids, 20*time.Second))
					return
				}
			default:
				assert.True(t, ws.Signaled(), "the child ends by its signal, as without agenttest: %v\n%s", ws, transcript)
				assert.Contains(t, transcript, "received ")
			}
			if tc.phase == "create" {
				// The run waited for the stalled create and revoked its task.
				assert.Len(t, stack.Emulator.Tasks(clerkemu.TaskRevoked), 2, "both tasks revoked:\n%s", transcript)
			}
			assert.Empty(t, stack.Emulator.Sessions(clerkemu.SessionActive), "sessions left active:\n%s", transcript)
			assert.Empty(t, stack.Emulator.Tasks(clerkemu.TaskPending), "tasks left pending:\n%s", transcript)
			require.NoError(t, waitGone(pids, 20*time.Second))
		})
	}
}

// waitFor polls cond every 50 ms until it holds or limit passes.
func waitFor(limit time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// waitGone waits, polling /proc within limit, until none of pids is alive.
func waitGone(pids []int, limit time.Duration) error {
	var alive []int
	if waitFor(limit, func() bool {
		alive = alive[:0]
		for _, pid := range pids {
			if lifecycleAlive(pid) {
				alive = append(alive, pid)
			}
		}
		return len(alive) == 0
	}) != nil {
		return errors.New("processes of the child outlived it: " + strings.Join(lifecycleDescribe(alive), ", "))
	}
	return nil
}

// TestEndingChild is the child of TestEndingRevokesWhatIsInFlight.
func TestEndingChild(t *testing.T) {
	if os.Getenv(endingChildEnv) == "" {
		t.Skip("runs only as the child of TestEndingRevokesWhatIsInFlight")
	}
	NewTask(t, RedirectTo("/dashboard"))
	if os.Getenv(endingChildEnv) == "create" {
		page := NewPage(t)
		fmt.Printf("ending-ready: %s\n", strings.Trim(fmt.Sprint(lifecycleDescendants(os.Getpid())), "[]"))
		if deadline, ok := t.Deadline(); ok {
			// Under -timeout: send the create so that the watchdog acts
			// while it is unanswered (see endingCreateLead).
			select {
			case <-time.After(time.Until(deadline.Add(-endingCreateLead))):
			case <-t.Context().Done():
			}
		}
		_ = page.SignIn(t.Context(), RedirectTo("/dashboard")) // its create is stalled by the emulator
		<-t.Context().Done()
		return
	}
	if os.Getenv(endingChildEnv) == "navigate" {
		page := NewPage(t)
		fmt.Printf("ending-ready: %s\n", strings.Trim(fmt.Sprint(lifecycleDescendants(os.Getpid())), "[]"))
		_ = page.SignIn(t.Context(), RedirectTo("/dashboard")) // stalled by the emulator until the end
		<-t.Context().Done()
		return
	}
	a := SignIn(t, RedirectTo("/dashboard"))
	b := SignIn(t, RedirectTo("/dashboard"))
	fmt.Printf("signed in: %s, %s\n", a.SessionID(), b.SessionID())
	fmt.Printf("ending-ready: %s\n", strings.Trim(fmt.Sprint(lifecycleDescendants(os.Getpid())), "[]"))
	if os.Getenv(endingPanicEnv) != "" {
		panic(endingPanicValue) // the test's cleanups run, then the binary dies
	}
	<-t.Context().Done() // until a signal or the timeout ends the binary
}
