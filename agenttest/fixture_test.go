package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// The seeded users the fixture tests sign in as (testdata/users.json).
const (
	fixtureAda   = "user_2ada0000000000000000000001"
	fixtureGrace = "user_2grace000000000000000000002"
)

// fixtureStack is an emulator, the demo app that trusts it, and a
// client pointed at it: everything a sign-in needs, on loopback.
type fixtureStack struct {
	emu    *clerkemu.Emulator
	app    *demoapp.App
	client *agenttask.Client
}

// fixtureStart starts a stack for one test; both servers stop with it.
func fixtureStart(tb testing.TB) *fixtureStack {
	tb.Helper()
	return fixtureStartWith(tb, clerkemu.Options{})
}

// fixtureStartWith is fixtureStart with the emulator's options (its rate
// limit is always off).
func fixtureStartWith(tb testing.TB, emuOpts clerkemu.Options) *fixtureStack {
	tb.Helper()
	emuOpts.RateLimit = clerkemu.RateLimit{Disabled: true}
	st := demoapp.RunStackT(tb, demoapp.StackOptions{Emulator: emuOpts})
	emu, app := st.Emulator, st.App
	cfg, err := agenttask.ConfigFromEnv(config.EnvFromMap(map[string]string{
		config.VarSecretKey: emu.SecretKey(),
		config.VarAPIURL:    emu.APIURL(),
	}))
	require.NoError(tb, err)
	cfg.Limiter = rate.NewLimiter(rate.Inf, 0)
	client, err := agenttask.NewClient(cfg)
	require.NoError(tb, err)
	return &fixtureStack{emu: emu, app: app, client: client}
}

// opts are the options that point a page's fixture call at the stack.
func (s *fixtureStack) opts(more ...Option) []Option {
	return s.taskOpts(append([]Option{
		WithContextOptions(playwright.BrowserNewContextOptions{BaseURL: playwright.String(s.app.URL())}),
	}, more...)...)
}

// taskOpts are the options that point a fixture call without a page
// (NewTask, HTTPClient) at the stack.
func (s *fixtureStack) taskOpts(more ...Option) []Option {
	return append([]Option{
		WithClient(s.client),
		RedirectTo(s.app.URL() + "/dashboard"),
		WithTimeout(15 * time.Second),
	}, more...)
}

// fixtureFakeT is a testing.TB whose failures and cleanups are recorded
// instead of acted on, so the fixture's own failure paths can be tested.
// Everything else goes to the real test.
type fixtureFakeT struct {
	testing.TB
	name string
	dir  string

	mu       sync.Mutex
	failed   bool
	errors   []string
	logs     []string
	attrs    map[string]string
	cleanups []func()
}

func fixtureNewFakeT(t *testing.T, name string) *fixtureFakeT {
	return &fixtureFakeT{TB: t, name: name, dir: t.TempDir(), attrs: map[string]string{}}
}

func (f *fixtureFakeT) Helper()      {}
func (f *fixtureFakeT) Name() string { return f.name }
func (f *fixtureFakeT) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}
func (f *fixtureFakeT) ArtifactDir() string { return f.dir }
func (f *fixtureFakeT) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}
func (f *fixtureFakeT) Attr(key, value string) { f.mu.Lock(); f.attrs[key] = value; f.mu.Unlock() }
func (f *fixtureFakeT) Log(args ...any)        { f.record(&f.logs, fmt.Sprint(args...), false) }
func (f *fixtureFakeT) Logf(format string, a ...any) {
	f.record(&f.logs, fmt.Sprintf(format, a...), false)
}
func (f *fixtureFakeT) Error(args ...any) { f.record(&f.errors, fmt.Sprint(args...), true) }
func (f *fixtureFakeT) Errorf(format string, a ...any) {
	f.record(&f.errors, fmt.Sprintf(format, a...), true)
}
func (f *fixtureFakeT) Fatal(args ...any) { f.Error(args...); runtime.Goexit() }
func (f *fixtureFakeT) Fatalf(format string, a ...any) {
	f.Errorf(format, a...)
	runtime.Goexit()
}
func (f *fixtureFakeT) Fail()    { f.mu.Lock(); f.failed = true; f.mu.Unlock() }
func (f *fixtureFakeT) FailNow() { f.Fail(); runtime.Goexit() }

func (f *fixtureFakeT) record(to *[]string, s string, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*to = append(*to, s)
	if fail {
		f.failed = true
	}
}

// run calls body as a test would (Fatal ends it), then runs the
// cleanups, last registered first.
func (f *fixtureFakeT) run(body func(tb testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(f)
	}()
	<-done
	f.mu.Lock()
	cleanups := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}

// output is everything the fake test printed.
func (f *fixtureFakeT) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(append(append([]string(nil), f.errors...), f.logs...), "\n")
}

// fixtureExpect is Playwright's web-first assertions.
func fixtureExpect() playwright.PlaywrightAssertions {
	return playwright.NewPlaywrightAssertions(10000)
}

// fixtureCleanupCtx is a bounded context for a cleanup, when the test's
// own context is already cancelled.
func fixtureCleanupCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// fixtureCtx is a bounded context for core calls in tests.
func fixtureCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// fixtureClosedURL is an http URL on loopback where nothing listens.
func fixtureClosedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// A cleanup that could not revoke says what will: the ledger keeps it
// for agenttest sweep or the next run.
func TestCleanupFailureNamesTheSweep(t *testing.T) {
	ft := fixtureNewFakeT(t, "TestX")
	ft.run(func(tb testing.TB) {
		releaseOnCleanup(tb, func(context.Context) error {
			return errors.New("revoke session sess_1: the Backend API did not answer")
		})
	})
	require.Len(t, ft.errors, 1)
	assert.Equal(t, "revoke session sess_1: the Backend API did not answer; the run's ledger keeps what was not revoked: agenttest sweep (or the next test run) revokes it once Clerk answers", ft.errors[0])
}
