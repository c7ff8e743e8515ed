package ledger

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/clerktest"
	"golang.org/x/time/rate"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// The child process of TestSweepLeavesALiveRunAloneAndCleansUpAfterKill
// reads its emulator and ledger directory from these variables.
const (
	sweepChildDirEnv = "AGENTTASK_SWEEP_CHILD_DIR"
	sweepChildKeyEnv = "AGENTTASK_SWEEP_CHILD_KEY"
	sweepChildAPIEnv = "AGENTTASK_SWEEP_CHILD_API"
	sweepChildReady  = "sweep-child-ready"
)

// sweepWait bounds every wait on the child process.
const sweepWait = time.Minute

// TestSweepChild is the child of
// TestSweepLeavesALiveRunAloneAndCleansUpAfterKill: a run that records
// its ledger as the fixture will and is killed before it cleans up. It
// leaves, for Ada:
//   - T1, a pending task;
//   - T2, a task whose URL was visited: a session the ledger does not name;
//   - T3, visited, its session recorded;
//   - T4, created and visited but killed (as it were) before its task
//     was recorded: the ledger holds only the "creating".
func TestSweepChild(t *testing.T) {
	dir := os.Getenv(sweepChildDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestSweepLeavesALiveRunAloneAndCleansUpAfterKill")
	}
	c, err := agenttask.NewClient(agenttask.Config{
		SecretKey: os.Getenv(sweepChildKeyEnv), APIURL: os.Getenv(sweepChildAPIEnv),
		HTTPClient: clerktest.HTTP(t), Limiter: rate.NewLimiter(rate.Inf, 0), RetryPolicy: clerktest.FastRetries,
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, c) // never closed: the parent kills this process
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	create := func(record bool) *agenttask.Task {
		if err := l.Creating(clerktest.AdaID); err != nil {
			t.Fatal(err)
		}
		task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
		if err != nil {
			t.Fatal(err)
		}
		if record {
			if err := l.Task(task, clerktest.AdaID); err != nil {
				t.Fatal(err)
			}
		}
		return task
	}
	create(true)
	ledgerTestVisit(t, create(true).URL())
	t3 := create(true)
	ledgerTestVisit(t, t3.URL())
	s3, err := c.TaskSessions(ctx, clerktest.AdaID, t3.ID)
	if err != nil || len(s3) != 1 {
		t.Fatalf("sessions of T3: %d, %v", len(s3), err)
	}
	if err := l.Session(s3[0].ID, t3.ID, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, create(false).URL())
	fmt.Println(sweepChildReady, l.Path())
	<-ctx.Done() // until killed (or -test.timeout)
}

// sweepChild starts TestSweepChild in a child process and returns it
// once it is ready, with its ledger's path. A cleanup kills it.
func sweepChild(t *testing.T, emu *clerkemu.Emulator, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepChild$", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(),
		sweepChildDirEnv+"="+dir, sweepChildKeyEnv+"="+emu.SecretKey(), sweepChildAPIEnv+"="+emu.APIURL())
	var stderr bytes.Buffer
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
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	var transcript []string
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if path, ok := strings.CutPrefix(sc.Text(), sweepChildReady+" "); ok {
				ready <- path
			}
			transcript = append(transcript, sc.Text())
		}
		close(ready)
	}()
	select {
	case path, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("the child exited before it was ready:\n%s\n%s", strings.Join(transcript, "\n"), stderr.String())
		}
		return cmd, path
	case <-time.After(sweepWait):
		t.Fatalf("the child was not ready within %s", sweepWait)
	}
	return nil, ""
}

// sweepTestCount fails unless the emulator holds want pending tasks and
// wantActive active sessions.
func sweepTestCount(t *testing.T, emu *clerkemu.Emulator, when string, wantPending, wantActive int) {
	t.Helper()
	if p, a := len(emu.Tasks(clerkemu.TaskPending)), len(emu.Sessions(clerkemu.SessionActive)); p != wantPending || a != wantActive {
		t.Fatalf("%s: %d pending tasks and %d active sessions, want %d and %d", when, p, a, wantPending, wantActive)
	}
}

// A live run's ledger (its lock held by a child process) is not swept;
// once the child is killed with SIGKILL, the same ledger is: its pending
// task revoked, and every session its tasks created (named in the
// ledger, found by task, or found by agent for a create with no task
// recorded) revoked, while the session of a run still alive, for the
// same user and agent, is left alone. A dry run before changes nothing.
func TestSweepLeavesALiveRunAloneAndCleansUpAfterKill(t *testing.T) {
	if os.Getenv(sweepChildDirEnv) != "" {
		t.Skip("this is the child")
	}
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()

	child, childLedger := sweepChild(t, emu, dir)
	sweepTestCount(t, emu, "child ready", 1, 3)

	// This process is a live run too, signed in as the same user through
	// the same agent.
	mine := ledgerTestOpen(t, dir, emu)
	myTask, _ := ledgerTestSignIn(t, ctx, c, mine)
	sweepTestCount(t, emu, "both runs signed in", 1, 4)

	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.Live != 2 || rep.Files != 0 || len(rep.Revoked) != 0 {
		t.Fatalf("sweep with both runs alive: %+v, %v; want 2 live, nothing swept", rep, err)
	}
	sweepTestCount(t, emu, "after sweeping live runs", 1, 4)

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err == nil {
		t.Fatal("the killed child exited 0")
	}

	before := mustRead(t, childLedger)
	rep, err = Sweep(ctx, c, dir, SweepOptions{DryRun: true})
	if err != nil || !rep.DryRun || rep.Files != 1 || rep.Live != 1 || rep.TasksRevoked != 2 || rep.SessionsRevoked != 3 || rep.Removed != 0 {
		t.Fatalf("dry run: %+v, %v; want 1 file, 1 live, 2 tasks (T1, T2) and 3 sessions to revoke", rep, err)
	}
	sweepTestCount(t, emu, "after the dry run", 1, 4)
	if after := mustRead(t, childLedger); !bytes.Equal(before, after) {
		t.Fatalf("the dry run changed the ledger:\n%s\n---\n%s", before, after)
	}

	rep, err = Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.Files != 1 || rep.Live != 1 || rep.TasksRevoked != 1 || rep.SessionsRevoked != 3 || rep.Removed != 1 || len(rep.Kept) != 0 || rep.Errors != 0 {
		t.Fatalf("sweep after kill -9: %+v, %v; want 1 file swept and removed, 1 task and 3 sessions revoked", rep, err)
	}
	if _, err := os.Stat(childLedger); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead run's ledger is still there: %v", err)
	}
	active := emu.Sessions(clerkemu.SessionActive)
	if len(emu.Tasks(clerkemu.TaskPending)) != 0 || len(active) != 1 || active[0].TaskID != myTask.ID {
		t.Fatalf("after the sweep: %d pending, active %+v; want 0 pending and only the live run's session", len(emu.Tasks(clerkemu.TaskPending)), active)
	}
	var childTasks []string
	for _, task := range emu.Tasks() {
		if task.ID != myTask.ID {
			childTasks = append(childTasks, task.ID)
		}
	}
	var revokedFor []string
	for _, it := range rep.Revoked {
		if it.Kind == "session" {
			revokedFor = append(revokedFor, it.TaskID)
		}
		if it.UserID != clerktest.AdaID || it.Ledger != childLedger {
			t.Errorf("item %+v", it)
		}
	}
	slices.Sort(revokedFor)
	if want := slices.Sorted(slices.Values(childTasks[1:])); !slices.Equal(revokedFor, want) {
		t.Errorf("sessions revoked for tasks %v, want those of T2, T3, T4 %v", revokedFor, want)
	}

	rep, err = Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.Files != 0 || rep.Live != 1 || len(rep.Revoked) != 0 {
		t.Errorf("second sweep: %+v, %v; want nothing", rep, err)
	}

	// The live run cleans up after itself.
	if _, err := c.RevokeSession(ctx, active[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := mine.Session(active[0].ID, myTask.ID, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	if err := mine.Closed(active[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := mine.Close(); err != nil {
		t.Fatal(err)
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(childLedger), "*")); len(names) != 0 {
		t.Errorf("left in the ledger dir: %v", names)
	}
	sweepTestCount(t, emu, "at the end", 0, 0)
}

// sweepTestDeadLedger writes a ledger in this process and closes it with
// something open: from then on it is a dead run's.
func sweepTestDeadLedger(t *testing.T, dir string, emu *clerkemu.Emulator, record func(l *Ledger) error) string {
	t.Helper()
	l, err := Open(dir, clerktest.Client(t, emu))
	if err != nil {
		t.Fatal(err)
	}
	if err := record(l); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return l.Path()
}

// sweepTestDeadTask is sweepTestDeadLedger with one pending task for Ada
// recorded, made with c; it returns the ledger's path and the task.
func sweepTestDeadTask(t *testing.T, dir string, emu *clerkemu.Emulator, c *agenttask.Client) (string, *agenttask.Task) {
	t.Helper()
	var task *agenttask.Task
	path := sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error {
		var err error
		if task, err = c.Create(clerktest.Ctx(t), agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect}); err != nil {
			return err
		}
		return l.Task(task, clerktest.AdaID)
	})
	return path, task
}

// A create with no task recorded gets its user's agent sessions revoked
// only when the agent is known to be this project's; a session of
// another agent keeps the ledger, with an error naming the way out, until
// a sweep with AllAgentSessions.
func TestSweepUnknownAgentNeedsAllAgentSessions(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	path := sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error { return l.Creating(clerktest.AdaID) })
	task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect, AgentName: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, task.URL())

	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err == nil || !strings.Contains(err.Error(), "--all-agent-sessions") || !strings.Contains(err.Error(), task.AgentID) ||
		strings.Contains(err.Error(), "\n") || rep.Errors != 1 || len(rep.Kept) != 1 || rep.SessionsRevoked != 0 {
		t.Fatalf("sweep: %+v, %v; want one error naming the agent and --all-agent-sessions, the ledger kept", rep, err)
	}
	if !strings.HasPrefix(err.Error(), "sweep "+filepath.Base(path)+": ") {
		t.Errorf("error %q does not name the ledger", err)
	}
	sweepTestCount(t, emu, "after a refused sweep", 0, 1)

	rep, err = Sweep(ctx, c, dir, SweepOptions{AllAgentSessions: true})
	if err != nil || rep.SessionsRevoked != 1 || rep.Removed != 1 {
		t.Fatalf("sweep of all agent sessions: %+v, %v", rep, err)
	}
	sweepTestCount(t, emu, "after sweeping all agent sessions", 0, 0)
}

// A run killed while its create request was in flight leaves a
// "creating" entry and, once Clerk carries the request out, a pending
// task whose id nobody learnt. Clerk cannot list tasks, so the sweep
// cannot revoke it: it reports it as such (a dry run too), closes the
// entry and removes the ledger; the task stays pending, unused.
func TestSweepReportsATaskOfUnknownID(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	path := sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error { return l.Creating(clerktest.AdaID) })
	if _, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect}); err != nil {
		t.Fatal(err)
	}
	want := "a task may be pending at Clerk with an unknown id (user " + clerktest.AdaID + ", a run killed while creating it): it cannot be used; nothing to revoke"
	for _, dry := range []bool{true, false} {
		rep, err := Sweep(ctx, c, dir, SweepOptions{DryRun: dry})
		if err != nil || rep.TasksRevoked+rep.SessionsRevoked != 0 || len(rep.UnknownTasks) != 1 {
			t.Fatalf("sweep (dry run %v): %+v, %v; want one task of unknown id and nothing revoked", dry, rep, err)
		}
		if got := rep.UnknownTasks[0]; got.String() != want || got.Ledger != path {
			t.Errorf("sweep (dry run %v) reports %q in %s, want %q in %s", dry, got, got.Ledger, want, path)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ledger is kept (%v): nothing in it can be done", err)
	}
	sweepTestCount(t, emu, "after the sweep", 1, 0)
	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || len(rep.UnknownTasks) != 0 || rep.Files != 0 {
		t.Fatalf("second sweep: %+v, %v; want nothing left to report", rep, err)
	}
}

// A sweep that fails part-way keeps the ledger with what it did closed
// in it, and the next sweep finishes; a torn last line (a write cut short
// by a kill) is skipped.
func TestSweepResumesAfterAFailure(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	var tasks []*agenttask.Task
	path := sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error {
		for range 2 {
			task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
			if err != nil {
				return err
			}
			tasks = append(tasks, task)
			if err := l.Task(task, clerktest.AdaID); err != nil {
				return err
			}
		}
		return nil
	})
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"op":"session","id":"sess_torn","ta`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	emu.InjectFault(clerkemu.RouteRevokeTask, clerkemu.Fault{Status: 403}) // not retried
	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err == nil || rep.Errors != 1 || rep.TasksRevoked != 1 || len(rep.Kept) != 1 || rep.Removed != 0 {
		t.Fatalf("sweep with a failing revoke: %+v, %v", rep, err)
	}
	sweepTestCount(t, emu, "after the failed sweep", 1, 0)
	st := parseLedger(mustRead(t, path))
	if st.open() != 1 || st.tasks[rep.Revoked[0].ID] != nil || st.malformed != 1 {
		t.Fatalf("kept ledger: %d open, %d malformed, tasks %v", st.open(), st.malformed, st.tasks)
	}
	data := mustRead(t, path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, `{"op":"closed","id":"`+rep.Revoked[0].ID+`"`) {
		t.Errorf("the sweep's closing did not start a line of its own: %q", last)
	}
	rep, err = Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.TasksRevoked != 1 || rep.Removed != 1 {
		t.Fatalf("second sweep: %+v, %v", rep, err)
	}
	sweepTestCount(t, emu, "after the second sweep", 0, 0)
}

// A sweep's failures read as one line and match errors.Is each.
func TestSweepErrorsAreOneLine(t *testing.T) {
	t.Parallel()
	a, b := errors.New("first"), errors.New("second")
	err := error(sweepErrors{a, b})
	if err.Error() != "first; second" || !errors.Is(err, a) || !errors.Is(err, b) {
		t.Errorf("%q, Is: %t %t", err, errors.Is(err, a), errors.Is(err, b))
	}
}

// With no agent id recorded, the agent of a create with no task is
// learnt from the actor.sub of the sessions the ledger's tasks created.
func TestSweepLearnsTheAgentFromTheTasksSessions(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	known, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, known.URL())
	unrecorded, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, unrecorded.URL())
	sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error {
		if err := l.Task(&agenttask.Task{ID: known.ID}, clerktest.AdaID); err != nil { // no agent id
			return err
		}
		return l.Creating(clerktest.AdaID)
	})
	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.SessionsRevoked != 2 || rep.Removed != 1 {
		t.Fatalf("sweep: %+v, %v; want both sessions revoked", rep, err)
	}
	sweepTestCount(t, emu, "after the sweep", 0, 0)
}

// A ledger file left by a run killed inside Open (before its
// rename) is removed once its lock is free, and left while it is held.
func TestSweepRemovesStaleSetupFiles(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	dir := t.TempDir()
	idir := filepath.Join(dir, c.Instance())
	if err := os.MkdirAll(idir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale, held := filepath.Join(idir, ".1-aa.tmp"), filepath.Join(idir, ".2-bb.tmp")
	for _, p := range []string{stale, held} {
		if err := os.WriteFile(p, []byte(`{"op":"open","v":1}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(held, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := tryLock(f); !ok || err != nil {
		t.Fatal(ok, err)
	}
	rep, err := Sweep(clerktest.Ctx(t), c, dir, SweepOptions{})
	if err != nil || rep.Files != 0 || rep.Live != 0 {
		t.Fatalf("sweep: %+v, %v", rep, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale setup file is still there: %v", err)
	}
	if _, err := os.Stat(held); err != nil {
		t.Errorf("the held setup file was removed: %v", err)
	}
}

// A session made before a dead run's lost create began is not that
// create's: the sweep leaves it (a session kept with KeepSession by an
// earlier run, say), while it still revokes one made after.
func TestSweepLeavesSessionsOlderThanTheLostCreate(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()

	// An earlier run kept its session: its ledger closed the task.
	kept := ledgerTestOpen(t, dir, emu)
	task, _ := ledgerTestSignIn(t, ctx, c, kept)
	if err := kept.Closed(task.ID); err != nil {
		t.Fatal(err)
	}
	if err := kept.Close(); err != nil {
		t.Fatal(err)
	}

	// A later run, of the same agent, was killed during a create for
	// Ada, past the clocks' margin after the kept session was made.
	later := func() time.Time { return time.Now().Add(2 * createClockSkew) }
	dead, err := open(dir, clerktest.Client(t, emu), later)
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Task(&agenttask.Task{ID: "agttsk_earlier", AgentID: task.AgentID}, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	if err := dead.Closed("agttsk_earlier"); err != nil {
		t.Fatal(err)
	}
	if err := dead.Creating(clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(ctx, c, dir, SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	sweepTestCount(t, emu, "the kept session, older than the lost create, is left", 0, 1)

	// The same lost create with a session made after it began: revoked.
	dead, err = open(dir, clerktest.Client(t, emu), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := dead.Task(&agenttask.Task{ID: "agttsk_earlier2", AgentID: task.AgentID}, clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	if err := dead.Creating(clerktest.AdaID); err != nil {
		t.Fatal(err)
	}
	lost, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, lost.URL())
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(ctx, c, dir, SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	// (The kept session, made within the clocks' margin of this create,
	// goes too: the sweep cannot tell it from the lost task's.)
	for _, sess := range emu.Sessions(clerkemu.SessionActive) {
		if sess.TaskID == lost.ID {
			t.Errorf("the session of the task the lost create made (%s) is still active", sess.ID)
		}
	}
}

// A ledger a sweep cannot read whole is never deleted without a word:
// one from a newer agenttest is left untouched, one overwritten with
// garbage is kept after what can be read is swept, each with an error
// naming the file and why.
func TestSweepKeepsALedgerItCannotRead(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	for _, tc := range []struct {
		name, content, want string
		revoked             int
	}{
		{"newer", `{"op":"open","v":2,"pid":1}` + "\n" + `{"op":"task2","id":"agttsk_x"}` + "\n", "written by a newer agenttest (ledger format v2; this one reads v1): kept for that version's sweep", 0},
		{"garbage", "\x00\x01not json\nnor this\n", "not a ledger (its first line is no ledger's): kept", 0},
		{"torn twice", "", "2 lines do not parse (a kill tears one at most): kept", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, task := sweepTestDeadTask(t, dir, emu, c)
			content := tc.content
			if content == "" { // the real ledger, with two unreadable lines
				content = string(mustRead(t, path)) + "{\"op\":\"ses\n{\"op\":\"ta\n"
			}
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Sweep(ctx, c, dir, SweepOptions{})
			if err == nil || !strings.Contains(err.Error(), filepath.Base(path)) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("sweep: %v; want an error naming %s and %q", err, filepath.Base(path), tc.want)
			}
			if len(rep.Kept) != 1 || rep.Removed != 0 || rep.TasksRevoked != tc.revoked {
				t.Errorf("report %+v; want the ledger kept, %d task(s) revoked", rep, tc.revoked)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the ledger is gone: %v", err)
			}
			// The task it recorded (lost with the garbage) is the
			// test's to revoke.
			_, _ = c.Revoke(ctx, task.ID)
		})
	}
}

// A sweep whose CLERK_API_URL names the instance by another loopback
// name (localhost for 127.0.0.1) finds, and sweeps, the ledger a run
// wrote with the first.
func TestSweepFindsALedgerWrittenUnderAnotherLoopbackName(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	sweepTestDeadTask(t, dir, emu, c)
	other, err := agenttask.NewClient(agenttask.Config{SecretKey: emu.SecretKey(), APIURL: strings.Replace(emu.APIURL(), "127.0.0.1", "localhost", 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.CloseIdleConnections)
	if other.Instance() != c.Instance() {
		t.Fatalf("instance %s under localhost, %s under 127.0.0.1: want one", other.Instance(), c.Instance())
	}
	rep, err := Sweep(ctx, other, dir, SweepOptions{})
	if err != nil || rep.Files != 1 || rep.TasksRevoked != 1 || rep.Removed != 1 {
		t.Errorf("sweep under localhost: %+v, %v; want the ledger swept", rep, err)
	}
}

// A session recorded without a task (a sign-in through clerk-js in the
// page) is revoked by the sweep of a killed run's ledger, as a task's.
func TestSweepRevokesASessionMadeWithoutATask(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	dir := t.TempDir()
	task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	ledgerTestVisit(t, task.URL())
	sessions, err := c.TaskSessions(ctx, clerktest.AdaID, task.ID)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("TaskSessions: %d sessions, %v", len(sessions), err)
	}
	sweepTestDeadLedger(t, dir, emu, func(l *Ledger) error { return l.Session(sessions[0].ID, "", clerktest.AdaID) })
	sweepTestCount(t, emu, "before the sweep", 0, 1)

	rep, err := Sweep(ctx, c, dir, SweepOptions{})
	if err != nil || rep.SessionsRevoked != 1 || rep.Removed != 1 {
		t.Fatalf("sweep: %+v, %v; want the session revoked and the ledger removed", rep, err)
	}
	sweepTestCount(t, emu, "after the sweep", 0, 0)
}
