package agenttest

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// SignIn gives the test a page signed in as a Clerk user: it opens a
// BrowserContext of its own on the shared browser, creates an Agent
// Task, opens the task URL once, waits for the redirect, and checks
// that the page is signed in as that user (see [Page.SignIn]). Any
// failure fails the test with one line that names the step.
//
// When the test ends, in this order: if it failed, its screenshot,
// trace, HTML and console log are saved (see [WithArtifactsDir]) and
// their folder is logged and named in the test attribute
// agenttest.artifacts (a -json `attr` event, which `agenttest report`
// reads); the context is closed; every task the test
// created and did not use is revoked; the session is ended (see
// [Page.Release], [KeepSession]). Cleanup errors are reported with t.Error.
//
// SignIn is safe to call from parallel tests; the package's tests must
// run under [Main].
func SignIn(tb testing.TB, opts ...Option) *Page {
	tb.Helper()
	ctx, cancel := signInContext(tb)
	defer cancel()
	p, err := SignInContext(ctx, append(opts[:len(opts):len(opts)], describedBy(tb))...)
	releaseWithTest(tb, p)
	if p.task != nil {
		// Recorded on failure too: the id is what Clerk's logs know it by.
		tb.Attr("agenttest.task_id", p.task.ID)
		if p.task.Warning != "" {
			tb.Log("agenttest: " + p.task.Warning)
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Attr("agenttest.user_id", p.UserID())
	shared := ""
	if p.session.is(sharedSession) {
		shared = ", shared"
	}
	tb.Logf("agenttest: signed in as %s (session %s%s, task %s)", p.UserID(), p.SessionID(), shared, p.task.ID)
	return p
}

// SignInContext is the error-returning core of [SignIn]: it opens a page
// on the test binary's shared browser (see [Main]) and signs it in. The
// sign-in's Backend API calls (user lookup, Testing Token, task) run
// while the browser makes the context and page, so it is faster than
// [NewPageContext] then [Page.SignIn]. Options are checked before
// anything starts: a configuration error launches no browser. The page
// it returns, also with an error, owns what was made: the caller must
// call [Page.Release].
func SignInContext(ctx context.Context, opts ...Option) (*Page, error) {
	o, err := resolve(defaults, atSignIn, opts)
	if err != nil {
		return &Page{opts: o}, &SignInError{Step: StepConfig, Err: err}
	}
	r, err := currentRun()
	if err != nil {
		return &Page{opts: o}, err
	}
	s := r.suite
	tg, client, err := resolveAndCheck(ctx, s, o, nil)
	if err != nil {
		return &Page{suite: s, opts: o}, err
	}
	// Before the task is made: a page that cannot open would waste it,
	// in every test.
	if err := r.pageProblem(o); err != nil {
		return &Page{suite: s, opts: o}, err
	}
	type planned struct {
		plan *signInPlan
		err  error
	}
	ch := make(chan planned, 1)
	go func() {
		plan, err := prepareResolved(ctx, s, o, tg, client)
		ch <- planned{plan, err}
	}()
	p := &Page{suite: s, opts: o}
	mark := time.Now()
	b, err := r.sharedBrowser(ctx)
	if err == nil {
		p, err = b.newPage(ctx, o)
	}
	if err == nil {
		// Before the navigation, while the task is being created.
		if rerr := p.routeFrontendAPIEarly(); rerr != nil {
			err = tg.fail(p)(StepToken, rerr)
		}
	}
	lap(&p.phases.page, &mark)
	res := <-ch
	lap(&p.phases.prepare, &mark)
	switch {
	case err != nil:
		if res.plan != nil {
			p.adopt(res.plan) // its task is the page's to revoke
			res.plan.publish(nil)
		}
		p.notNavigated = true
		return p, err
	case res.err != nil:
		p.notNavigated = true
		return p, res.err
	}
	return p, p.finishSignIn(ctx, o, res.plan)
}

// NewPage gives the test a signed-out page in a BrowserContext of its
// own (see [NewPageContext], its core), released with artifacts on failure when
// the test ends, like [SignIn]'s. Sign it in later with [Page.SignIn],
// or use it to check what a signed-out visitor sees.
func NewPage(tb testing.TB, opts ...Option) *Page {
	tb.Helper()
	p, err := NewPageContext(tb.Context(), opts...)
	releaseWithTest(tb, p)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// NewTask creates an Agent Task that the test owns (see [NewTaskContext],
// its core), for tests that use a task URL themselves (to check that a
// revoked or used URL does not sign in, say). If the test has not used
// it when it ends, it is revoked.
func NewTask(tb testing.TB, opts ...Option) *Task {
	tb.Helper()
	ctx, cancel := signInContext(tb)
	defer cancel()
	task, err := NewTaskContext(ctx, append(opts[:len(opts):len(opts)], describedBy(tb))...)
	releaseOnCleanup(tb, task.Release)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Attr("agenttest.task_id", task.ID)
	if task.Warning != "" {
		tb.Log("agenttest: " + task.Warning)
	}
	return task
}

// signInContext bounds a sign-in by the test's deadline (the binary's
// -timeout) less a reserve, so that a slow sign-in fails the test while
// there is still time to save its artifacts and revoke what it made.
func signInContext(tb testing.TB) (context.Context, context.CancelFunc) {
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			reserve := min(cleanupTimeout, time.Until(dl)/5)
			return context.WithDeadline(tb.Context(), dl.Add(-reserve))
		}
	}
	return context.WithCancel(tb.Context())
}

// cleanupPage is the cleanup SignIn and NewPage register: it saves the
// artifacts of a failed test (and the trace of every test under
// TraceOn), then releases the page: in the background through the
// run's release queue when its client is the run's own (the instance
// the environment names, which outlives every test) and the test
// passed, at once otherwise (a client the test brought with WithClient
// may be stopped by one of the test's own cleanups, which run right
// after this one). A panicking test counts as failed, although testing
// marks it so only after its cleanups; the run then ends early (see
// endAfterPanic).
func cleanupPage(tb testing.TB, p *Page) {
	tb.Helper() // its lines name the test's SignIn or NewPage call
	panicked := panicking()
	defer endAfterPanic(panicked)
	failed := panicked || tb.Failed()
	// Under go test -artifacts, the folder was named when the first page
	// opened (see nameArtifactDirEarly), and is removed at the end if
	// nothing went in it.
	switch {
	case p.Page == nil || (!failed && p.trace != TraceOn):
		// Nothing to keep.
	case failed && p.notNavigated:
		// A blank screenshot and an empty trace would only mislead.
		tb.Log("agenttest: no artifacts: the sign-in failed before its page loaded anything")
	default:
		dir := pageArtifactsDir(tb, p)
		switch {
		case failed:
			if err := p.SaveArtifacts(dir); err != nil {
				tb.Error(err)
			}
			// The folder as a -json `attr` event, for `agenttest report`.
			tb.Attr("agenttest.artifacts", absPath(dir))
			tb.Logf("agenttest: artifacts of the failed test are in %s", absPath(dir))
		case p.trace == TraceOn:
			if err := p.keepTrace(dir); err != nil {
				tb.Error(err)
			}
			tb.Attr("agenttest.artifacts", absPath(dir))
			tb.Logf("agenttest: trace kept in %s", absPath(filepath.Join(dir, artifactTrace)))
		}
	}
	if r, err := currentRun(); err == nil && !failed && p.suite == r.suite && r.suite.isDefaultClient(p.client) {
		r.releases.add(tb.Name(), p)
		return
	}
	ctx, cancel := cleanupContext(tb)
	defer cancel()
	if err := p.Release(ctx); err != nil {
		tb.Error(withSweepHint(err))
	}
}

// withSweepHint is a cleanup's failure err with what will finish the
// job: the run's ledger keeps every task and session not revoked, which
// agenttest sweep, or the next run's sweep of dead runs, revokes.
func withSweepHint(err error) error {
	return fmt.Errorf("%w; the run's ledger keeps what was not revoked: agenttest sweep (or the next test run) revokes it once Clerk answers", err)
}

// endAfterPanic ends the run early when the cleanup that calls it runs
// because its test panicked, once its own release is done: the binary
// dies after that test's cleanups, so what the other tests and the
// release queue hold is revoked, and the apps StartApp started are
// stopped, as on a signal.
func endAfterPanic(panicked bool) {
	if !panicked {
		return
	}
	if r, err := currentRun(); err == nil {
		r.endOnPanic()
	}
}

// absPath is dir made absolute for the log, so a reader finds it from
// anywhere; dir itself when that fails.
func absPath(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

// cleanupContext bounds a test's cleanup; t.Context() is already
// cancelled when cleanups run.
func cleanupContext(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(tb.Context()), cleanupTimeout)
}

// releaseWithTest registers the cleanup of a page [SignIn] or [NewPage]
// made (see cleanupPage), also of the half-built page of a failure.
func releaseWithTest(tb testing.TB, p *Page) {
	tb.Helper()
	p.claimArtifactsSlot(tb)
	tb.Cleanup(func() {
		tb.Helper()
		cleanupPage(tb, p)
	})
}

// releaseOnCleanup registers release, bounded by cleanupContext, as a
// cleanup of tb that reports its error with tb.Error.
func releaseOnCleanup(tb testing.TB, release func(context.Context) error) {
	tb.Helper()
	tb.Cleanup(func() {
		tb.Helper()
		defer endAfterPanic(panicking())
		ctx, cancel := cleanupContext(tb)
		defer cancel()
		if err := release(ctx); err != nil {
			tb.Error(withSweepHint(err))
		}
	})
}

// artifactsFlagSet reports whether `go test -artifacts` was given.
func artifactsFlagSet() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}
