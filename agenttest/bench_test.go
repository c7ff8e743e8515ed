package agenttest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mxschmitt/playwright-go"
)

// benchSignIn signs in per iteration the way SignIn does: the Backend
// API calls prepared while the browser makes the context and page, the
// navigation and redirect, the cookie check, one assertion; then the
// page goes to the run's release queue, as SignIn's cleanup hands it
// (closing the context and revoking the session happen off the test's
// path; the queue is drained after the timed loop). Compare with
// BenchmarkBareNavigation, on the same browser: `make bench-ratio`.
func benchSignIn(b *testing.B, more ...Option) {
	s := fixtureStart(b)
	r, err := currentRun()
	if err != nil {
		b.Fatal(err)
	}
	// Launched before the timed loop, as benchBare's is: the launch is
	// the run's, not a sign-in's.
	if _, err := r.sharedBrowser(b.Context()); err != nil {
		b.Fatal(err)
	}
	opts := s.opts(append([]Option{AsUser(fixtureAda)}, more...)...)
	b.Cleanup(func() {
		if err := r.suite.reuse.releaseClient(fixtureCleanupCtx(b), s.client); err != nil {
			b.Error(err)
		}
	})
	var m phaseMeter
	for b.Loop() {
		p, err := SignInContext(b.Context(), opts...)
		if err != nil {
			_ = p.Release(fixtureCleanupCtx(b))
			b.Fatal(err)
		}
		mark := time.Now()
		if err := fixtureExpect().Locator(p.Locator("header")).ToContainText("Welcome"); err != nil {
			b.Fatal(err)
		}
		m.add("page", p.phases.page)
		m.add("prepare", p.phases.prepare)
		m.add("navigate", p.phases.navigate)
		m.add("check", p.phases.check)
		m.add("assert", time.Since(mark))
		r.releases.add(b.Name(), p)
	}
	m.report(b)
	if err := r.releases.drain(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSignIn is a whole sign-in through an Agent Task per
// iteration, traced (the default: retain-on-failure).
func BenchmarkSignIn(b *testing.B) { benchSignIn(b) }

// BenchmarkSignInTraceOff is BenchmarkSignIn without a trace: what
// recording one costs.
func BenchmarkSignInTraceOff(b *testing.B) { benchSignIn(b, WithTrace(TraceOff)) }

// BenchmarkSignInReuse signs in through a task once (ReuseSignIn); every
// iteration seeds a fresh context with that sign-in and opens the page.
func BenchmarkSignInReuse(b *testing.B) { benchSignIn(b, ReuseSignIn()) }

// BenchmarkSignInReuseTraceOff is BenchmarkSignInReuse without a trace.
func BenchmarkSignInReuseTraceOff(b *testing.B) { benchSignIn(b, ReuseSignIn(), WithTrace(TraceOff)) }

// benchBare is what a test without the fixture pays: a new context and
// page (traced when asked, as the fixture's are), one navigation to the
// (signed-out) app, one assertion, close. With redirected, the
// navigation reaches the same page the way a sign-in reaches its page,
// through two redirects (see BenchmarkBareRedirectsTraced).
func benchBare(b *testing.B, traced, redirected bool) {
	s := fixtureStart(b)
	r, err := currentRun()
	if err != nil {
		b.Fatal(err)
	}
	browser, err := r.sharedBrowser(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	start := s.app.URL() + "/sign-in"
	if redirected {
		start = bareHops(b, s.app.URL()) + "/v1/agents/tasks?ticket=" + strings.Repeat("t", 600)
	}
	var m phaseMeter
	for b.Loop() {
		mark := time.Now()
		bc, err := browser.browser.NewContext()
		if err != nil {
			b.Fatal(err)
		}
		if traced {
			if err := bc.Tracing().Start(playwright.TracingStartOptions{Screenshots: playwright.Bool(true), Snapshots: playwright.Bool(true)}); err != nil {
				b.Fatal(err)
			}
		}
		page, err := bc.NewPage()
		if err != nil {
			b.Fatal(err)
		}
		m.lap("page", &mark)
		resp, err := page.Goto(start)
		if err != nil {
			b.Fatal(err)
		}
		if redirected && resp.Request().RedirectedFrom() == nil {
			b.Fatal("the navigation was not redirected")
		}
		m.lap("navigate", &mark)
		if err := fixtureExpect().Locator(page.Locator("h1")).ToContainText("Sign in"); err != nil {
			b.Fatal(err)
		}
		m.lap("assert", &mark)
		if traced {
			if err := bc.Tracing().Stop(); err != nil {
				b.Fatal(err)
			}
		}
		if err := bc.Close(); err != nil {
			b.Fatal(err)
		}
		m.lap("close", &mark)
	}
	m.report(b)
}

// bareHops starts a loopback server standing for the Frontend API's
// task URL, without Clerk's work: it sets a cookie of a client's size and
// answers 307 to the app's /dashboard, which, signed out, redirects to
// /sign-in. It returns the server's origin.
func bareHops(b *testing.B, appURL string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "__client", Value: strings.Repeat("c", 400), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, appURL+"/dashboard", http.StatusTemporaryRedirect)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// phaseMeter sums the time of each part of a benchmark's iterations
// and reports each part's mean as a metric, "<part>-ms/op", in the
// order the parts were first added.
type phaseMeter struct {
	names []string
	sums  map[string]time.Duration
}

// add counts d towards the part name.
func (m *phaseMeter) add(name string, d time.Duration) {
	if m.sums == nil {
		m.sums = map[string]time.Duration{}
	}
	if _, ok := m.sums[name]; !ok {
		m.names = append(m.names, name)
	}
	m.sums[name] += d
}

// lap counts the time since *mark towards the part name and moves
// *mark to now.
func (m *phaseMeter) lap(name string, mark *time.Time) {
	var d time.Duration
	lap(&d, mark)
	m.add(name, d)
}

// report reports each part's mean over the b.N iterations.
func (m *phaseMeter) report(b *testing.B) {
	for _, name := range m.names {
		b.ReportMetric(float64(m.sums[name].Microseconds())/1e3/float64(b.N), name+"-ms/op")
	}
}

// BenchmarkBareNavigation is a bare page load, untraced.
func BenchmarkBareNavigation(b *testing.B) { benchBare(b, false, false) }

// BenchmarkBareNavigationTraced is a bare page load with the trace the
// fixture records by default, started and discarded.
func BenchmarkBareNavigationTraced(b *testing.B) { benchBare(b, true, false) }

// BenchmarkBareRedirectsTraced is BenchmarkBareNavigationTraced reached
// through the two redirects of a sign-in's navigation, without Clerk:
// a loopback server that only sets a cookie and answers 307 (where the
// task URL's Frontend API signs a session, a client and a handshake),
// then the app's own redirect (where the app resolves the handshake). It
// is the floor of BenchmarkSignIn on this machine: what the two hops
// cost a browser with no work behind them.
func BenchmarkBareRedirectsTraced(b *testing.B) { benchBare(b, true, true) }
