package agenttest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"
)

// Main runs the tests of a package that uses the fixture and then closes
// the shared browser. Call it from TestMain:
//
//	func TestMain(m *testing.M) { agenttest.Main(m) }
//
// Main does not return: it exits with the tests' exit code, or 1 when
// the browser could not be closed cleanly.
func Main(m *testing.M) {
	os.Exit(RunTests(m))
}

// RunTests is [Main] for a TestMain that has more to do after the tests
// (an emulator to check and stop, say): it runs the tests, closes the
// shared browser and returns the exit code instead of exiting.
func RunTests(m *testing.M) int {
	return RunTestsWith(m, nil)
}

// RunTestsWith is [RunTests] with vars set over the environment the run
// reads (the process environment over .env.local over .env), without
// touching the process environment: for a TestMain that starts an
// emulator and hands the run its variables. The fixture reads vars;
// test code that reads the environment itself (config.LoadEnv) does not
// see them (overlay them with [config.Env.With]).
func RunTestsWith(m *testing.M, vars map[string]string) (code int) {
	r, err := beginRun(vars)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Before the sweep, which may take a while: a signal during it stops
	// the apps StartApp started too.
	stopSignals := r.watchSignals()
	defer stopSignals()
	stopWatchdog := r.watchTimeout(binaryTimeout())
	defer stopWatchdog()
	if !listing() {
		r.suite.sweepDeadRuns() // not for `go test -list` (agenttest shard lists tests)
	}
	defer func() {
		if err := errors.Join(r.releases.drain(), r.end()); err != nil {
			fmt.Fprintln(os.Stderr, withSweepHint(err))
			if code == 0 {
				code = 1
			}
		}
	}()
	return m.Run()
}

// testRun is a test binary's run under [RunTests]: the suite its tests
// share and the browser, launched on first use and closed when the run
// ends.
type testRun struct {
	suite    *suite
	inflight inflight
	releases releaseQueue // finished tests' pages, released in the background
	panicked sync.Once    // endOnPanic's

	envOnce sync.Once
	envErr  error // see envProblem

	mu         sync.Mutex
	launched   bool // launch attempted; its result is kept
	browser    *Browser
	browserErr error
}

// errNoMain is returned when the shared browser is asked for outside
// [Main] or [RunTests].
var errNoMain = errors.New("agenttest: the shared browser needs agenttest.Main: add `func TestMain(m *testing.M) { agenttest.Main(m) }` to this package's tests so the browser is closed when they end (a plain program uses agenttest.LaunchBrowser)")

// beginRun starts the binary's run, reading the environment once, with
// vars over it.
func beginRun(vars map[string]string) (*testRun, error) {
	env, err := loadEnv()
	if err != nil {
		return nil, err
	}
	if len(vars) > 0 {
		env = env.With(vars, "agenttest.RunTestsWith")
	}
	r := &testRun{suite: newSuite(env)}
	current.mu.Lock()
	defer current.mu.Unlock()
	if current.run != nil {
		return nil, errors.New("agenttest: RunTests is already running in this binary: call it once, from TestMain")
	}
	current.run = r
	return r, nil
}

// currentRun returns the run, or errNoMain.
func currentRun() (*testRun, error) {
	current.mu.Lock()
	r := current.run
	current.mu.Unlock()
	return requireRun(r)
}

// requireRun is r, or errNoMain when there is no run.
func requireRun(r *testRun) (*testRun, error) {
	if r == nil {
		return nil, errNoMain
	}
	return r, nil
}

// sharedBrowser returns the run's browser, launching it on first use. A
// launch that failed fails every later call the same way. The launch is
// the run's, not the first caller's: it does not end with ctx (a test
// near its deadline, a cleanup's cancelled t.Context()), and a caller
// whose ctx has ended launches nothing.
func (r *testRun) sharedBrowser(ctx context.Context) (*Browser, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.launched {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("agenttest: launch browser: %w", err)
		}
		r.launched = true
		r.browser, r.browserErr = launchBrowser(context.WithoutCancel(ctx), r.suite)
	}
	return r.browser, r.browserErr
}

// pageProblem is what will stop the run's browser from opening a page
// with o, when that is known without launching or connecting: a trace
// mode that is not one, an AGENTTEST_APP_URL that is not a URL, a
// browser setting or endpoint the environment gets wrong, or a launch
// that failed already (it fails every later call the same way).
func (r *testRun) pageProblem(o options) error {
	if _, err := r.suite.traceMode(o); err != nil {
		return fmt.Errorf("agenttest: config: %w", err)
	}
	if err := r.envProblem(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.launched {
		return r.browserErr
	}
	return nil
}

// envProblem is what the environment gets wrong for a page (the app URL,
// the browser settings and endpoint), checked once per run: the run's
// environment does not change.
func (r *testRun) envProblem() error {
	r.envOnce.Do(func() {
		if r.envErr = r.suite.appURLProblem(); r.envErr != nil {
			return
		}
		if strings.HasPrefix(r.suite.publishableKey(), "sk_") {
			r.envErr = fmt.Errorf("agenttest: config: %s holds a secret key (sk_…), not a publishable key: give the instance's publishable key (pk_test_…), and keep the secret key in %s only", r.suite.env.Describe(config.VarPublishableKey), config.VarSecretKey)
			return
		}
		if _, r.envErr = browserSettingsFromEnv(r.suite.env); r.envErr != nil {
			return
		}
		_, r.envErr = remoteEndpointFromEnv(r.suite.env)
	})
	return r.envErr
}

// end revokes the shared sign-ins, closes the browser and forgets the
// run. The release queue is drained before.
func (r *testRun) end() error {
	current.mu.Lock()
	if current.run == r {
		current.run = nil
	}
	current.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	shared := r.suite.reuse.revokeAll(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	err := errors.Join(shared, r.browser.Close(), r.suite.closeLedgers())
	r.suite.closeClient()
	return err
}

// listing reports whether the binary only lists its tests (-test.list).
// Outside a test binary it is false, and parses no flags.
func listing() bool {
	f := flag.Lookup("test.list")
	if f == nil {
		return false
	}
	if !flag.Parsed() {
		flag.Parse()
	}
	return f.Value.String() != ""
}
