package agenttest

import (
	"archive/zip"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/go-jose/go-jose/v3"
	"github.com/go-jose/go-jose/v3/jwt"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignInLandsSignedInOnTheDashboard(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	var taskID, sessionID string
	t.Run("signed in", func(t *testing.T) {
		page := SignIn(t, s.opts(AsUser(fixtureAda))...)
		require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Ada"))
		assert.Equal(t, fixtureAda, page.UserID())
		require.NotEmpty(t, page.SessionID())
		require.NotNil(t, page.Task())
		taskID, sessionID = page.Task().ID, page.SessionID()
		// The parts of the sign-in were timed, for the benchmarks.
		ph := page.phases
		for name, d := range map[string]time.Duration{"page": ph.page, "navigate": ph.navigate, "check": ph.check} {
			assert.Positive(t, d, "the sign-in's %s phase", name)
		}

		// The page's own base URL is the app: paths work.
		_, err := page.Goto("/api/me")
		require.NoError(t, err)
		require.NoError(t, fixtureExpect().Locator(page.Locator("body")).ToContainText("ada@example.com"))
		ExpectSignedIn(t, page)

		accepted := s.emu.Tasks(clerkemu.TaskAccepted)
		require.Len(t, accepted, 1)
		assert.Equal(t, taskID, accepted[0].ID)
		assert.Equal(t, "agenttest: "+t.Name(), accepted[0].Description, "the task is described by the test's name")
	})
	// The subtest's cleanup has run: the browser signed out of the
	// session on the Frontend API, with no Backend API request, and the
	// used task was left alone (no revoke call for it).
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending))
	ended := s.emu.Sessions(clerkemu.SessionEnded)
	require.Len(t, ended, 1)
	assert.Equal(t, sessionID, ended[0].ID)
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteEndSession))
	assert.Zero(t, s.emu.Requests(clerkemu.RouteRevokeSession), "the session ends without the Backend API")
	assert.Zero(t, s.emu.Requests(clerkemu.RouteRevokeTask), "a used task needs no revoke")
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive))
}

// When the Frontend API cannot end the session (it refuses, or the test
// cleared the browser's cookies), Release revokes it through the Backend
// API: the session never outlives the test.
func TestReleaseRevokesWhenTheFrontendAPICannotEndTheSession(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	var refused, cleared string
	t.Run("refused", func(t *testing.T) {
		s.emu.InjectFault(clerkemu.RouteEndSession, clerkemu.Fault{Status: http.StatusServiceUnavailable})
		page := SignIn(t, s.opts(AsUser(fixtureAda), WithTrace(TraceOff))...)
		refused = page.SessionID()
	})
	t.Run("cookies cleared", func(t *testing.T) {
		page := SignIn(t, s.opts(AsUser(fixtureGrace), WithTrace(TraceOff))...)
		require.NoError(t, page.BrowserContext.ClearCookies())
		cleared = page.SessionID()
	})
	revoked := map[string]bool{}
	for _, sess := range s.emu.Sessions(clerkemu.SessionRevoked) {
		revoked[sess.ID] = true
	}
	assert.True(t, revoked[refused], "a session the Frontend API would not end is revoked")
	assert.True(t, revoked[cleared], "a session whose browser forgot its cookies is revoked")
	assert.Equal(t, 2, s.emu.Requests(clerkemu.RouteRevokeSession))
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteEndSession), "no end is tried without the browser's cookies")
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive))
}

func TestSignInByIdentifierLooksTheUserUpOnce(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	for range 2 {
		t.Run("grace", func(t *testing.T) {
			page := SignIn(t, s.opts(AsIdentifier("grace@example.com"))...)
			assert.Equal(t, fixtureGrace, page.UserID())
			require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Grace"))
		})
	}
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteListUsers), "the identifier is resolved once per test binary")
}

func TestKeepSessionLeavesTheSessionActive(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	t.Run("keep", func(t *testing.T) {
		SignIn(t, s.opts(AsUser(fixtureAda), KeepSession())...)
	})
	assert.Len(t, s.emu.Sessions(clerkemu.SessionActive), 1)
}

// KeepSession given to Page.SignIn, not to the page, keeps the session
// too.
func TestKeepSessionOnPageSignInLeavesTheSessionActive(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	var kept string
	t.Run("keep", func(t *testing.T) {
		page := NewPage(t, s.opts()...)
		require.NoError(t, page.SignIn(fixtureCtx(t), AsUser(fixtureAda), KeepSession()))
		kept = page.SessionID()
	})
	active := s.emu.Sessions(clerkemu.SessionActive)
	if assert.Len(t, active, 1) {
		assert.Equal(t, kept, active[0].ID)
	}
}

// A page signed in again (as another user) still owns its first
// session: both end with the test.
func TestSigningInAgainEndsEverySessionOfThePage(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	var sessions []string
	t.Run("twice", func(t *testing.T) {
		page := SignIn(t, s.opts(AsUser(fixtureAda))...)
		sessions = append(sessions, page.SessionID())
		require.NoError(t, page.SignIn(fixtureCtx(t), AsUser(fixtureGrace)))
		require.Equal(t, fixtureGrace, page.UserID())
		sessions = append(sessions, page.SessionID())
		require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Grace"))
	})
	require.Len(t, sessions, 2)
	assert.NotEqual(t, sessions[0], sessions[1])
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive), "sessions %v: every one ends with the test", sessions)
}

func TestNewTaskIsRevokedWhenUnused(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	var unused, used *Task
	t.Run("tasks", func(t *testing.T) {
		unused = NewTask(t, s.taskOpts(AsUser(fixtureAda))...)
		used = NewTask(t, s.taskOpts(AsUser(fixtureGrace))...)
		page := NewPage(t, s.opts()...)
		_, err := page.Goto(used.URL())
		require.NoError(t, err)
		require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Grace"))
		assert.NotContains(t, used.String(), "ticket=t", "a task prints redacted")
	})
	byID := map[string]clerkemu.TaskState{}
	for _, task := range s.emu.Tasks() {
		byID[task.ID] = task.State
	}
	assert.Equal(t, clerkemu.TaskRevoked, byID[unused.ID])
	assert.Equal(t, clerkemu.TaskAccepted, byID[used.ID], "revoking a used task is refused by Clerk and counts as done")
}

func TestSignInFailuresNameTheStep(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	otherHost := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(otherHost.Close)
	otherURL := strings.Replace(otherHost.URL, "127.0.0.1", "127.0.0.2", 1)
	// An app without Clerk middleware: it serves the page but never
	// resolves the handshake the Frontend API sends it.
	noMiddleware := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<header>Welcome, whoever</header>")
	}))
	t.Cleanup(noMiddleware.Close)

	// An app that resolves the handshake into a session cookie, then
	// sends the page elsewhere: to its sign-in page (it rejects the
	// token), or to its canonical host name (the cookies stay on the
	// other).
	forged := fixtureForgedToken(t, fixtureAda)
	elsewhere := func(where func(r *http.Request) string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Query().Has("__clerk_handshake"):
				http.SetCookie(w, &http.Cookie{Name: "__session", Value: forged, Path: "/"})
				http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
			case r.URL.Path == "/sign-in":
				io.WriteString(w, "<h1>Sign in</h1>")
			default:
				http.Redirect(w, r, where(r), http.StatusFound)
			}
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	rejecting := elsewhere(func(*http.Request) string { return "/sign-in" })
	// An app whose middleware ignores the handshake: every page but its
	// sign-in page sends the visitor there, with no session cookie.
	ignoring := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sign-in" {
			io.WriteString(w, "<h1>Sign in</h1>")
			return
		}
		http.Redirect(w, r, "/sign-in", http.StatusFound)
	}))
	t.Cleanup(ignoring.Close)
	// An app that answers 404 (empty body: Chromium reports only a
	// network error code) or 403 right after Clerk's redirect.
	answering := func(status int, body string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	notFound, forbidden := answering(http.StatusNotFound, ""), answering(http.StatusForbidden, "<h1>Forbidden</h1>")
	canonical := elsewhere(func(r *http.Request) string { return "http://localhost:" + strings.Split(r.Host, ":")[1] + "/sign-in" })

	// Something else on the app's port that accepts connections and
	// never answers; an app that sends the page on to a port where
	// nothing listens (configured for another port than its own).
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { silent.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	nobody, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nobodyURL := "http://" + nobody.Addr().String()
	require.NoError(t, nobody.Close())
	away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, nobodyURL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(away.Close)

	cases := []struct {
		name string
		opts []Option
		step Step
		want string
	}{
		{"a silent server on the app's port", []Option{AsUser(fixtureAda), RedirectTo("http://" + silent.Addr().String() + "/dashboard"), WithTimeout(2 * time.Second)}, StepNavigate, "could not be reached (no answer within 2s; the task was used): something accepted the connection on port " + portOf(&url.URL{Host: silent.Addr().String()}) + " but sent no response: check that AGENTTEST_APP_URL or agenttest.RedirectTo names the app's port"},
		{"app redirects to a port where nothing listens", []Option{AsUser(fixtureAda), RedirectTo(away.URL + "/dashboard")}, StepNavigate, "; the app there sent the page on to " + nobodyURL + "/dashboard, which could not be reached (net::ERR_CONNECTION_REFUSED; the task was used): check where the app redirects"},
		{"app answers 404 after the redirect", []Option{AsUser(fixtureAda), RedirectTo(notFound.URL + "/dashboard")}, StepNavigate, "the app answered 404 at " + notFound.URL + "/dashboard (with Clerk's handshake) after Clerk's redirect (the task was used; hops: Clerk 307 → app 404)"},
		{"app answers 403 after the redirect", []Option{AsUser(fixtureAda), RedirectTo(forbidden.URL + "/dashboard")}, StepNavigate, "the app answered 403 at " + forbidden.URL + "/dashboard (with Clerk's handshake) after Clerk's redirect"},
		{"app ignores the handshake", []Option{AsUser(fixtureAda), RedirectTo(ignoring.URL + "/dashboard")}, StepRedirect, "and no __session cookie reached " + ignoring.URL + ": the app's Clerk middleware must resolve the handshake into the session cookies (for a Go app on clerk-sdk-go, github.com/agenttest/agenttest/fixtures/clerkhandshake does it; with its Config.Logger set, the app logs why a handshake was refused)"},
		{"app rejects the token", []Option{AsUser(fixtureAda), RedirectTo(rejecting.URL + "/dashboard")}, StepRedirect, "so the app rejected the token (it must verify tokens with this Clerk instance's keys and issuer, its publishable key, JWKS and Frontend API URL, and read the __session cookie)"},
		{"app reached by another host name than its own", []Option{AsUser(fixtureAda), RedirectTo(strings.Replace(s.app.URL(), "127.0.0.1", "localhost", 1) + "/dashboard")}, StepRedirect, "so the app rejected the token (it must verify tokens with this Clerk instance's keys and issuer, its publishable key, JWKS and Frontend API URL, and read the __session cookie; its azp is http://localhost:"},
		{"app rejecting the token names its issuer too", []Option{AsUser(fixtureAda), RedirectTo(strings.Replace(s.app.URL(), "127.0.0.1", "localhost", 1) + "/dashboard")}, StepRedirect, "; its iss is " + s.emu.FrontendURL() + ", so an app that expects another issuer (another Frontend API URL or proxy URL) refuses it)"},
		{"app on another host name", []Option{AsUser(fixtureAda), RedirectTo(canonical.URL + "/dashboard")}, StepRedirect, "cookies belong to a host name"},
		{"unknown user", []Option{AsUser("user_nobody")}, StepCreate, "404 agent_task_subject_not_found"},
		{"unknown identifier", []Option{AsIdentifier("nobody@example.com")}, StepConfig, "nobody@example.com"},
		{"no user", nil, StepConfig, "AGENTTEST_USER_ID"},
		{"zero timeout", []Option{AsUser(fixtureAda), WithTimeout(0)}, StepConfig, "WithTimeout(0s): give a positive duration"},
		{"empty AsUser", []Option{AsUser("")}, StepConfig, `agenttest.AsUser(""): give a user id (user_…), or leave it out to use AGENTTEST_USER_ID`},
		{"empty AsIdentifier", []Option{AsIdentifier(" ")}, StepConfig, `agenttest.AsIdentifier(" "): give an email address, phone number or username, or leave it out to use AGENTTEST_USER_IDENTIFIER`},
		{"AsUser and AsIdentifier", []Option{AsUser(fixtureAda), AsIdentifier("ada@example.com")}, StepConfig, "agenttest.AsUser and agenttest.AsIdentifier name the user twice: pass exactly one"},
		{"user id with a newline", []Option{AsUser("user_x\nFAKE")}, StepConfig, `agenttest.AsUser is "user_x\nFAKE", not a Clerk user id (user_…: at most 128 letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as agenttest.AsIdentifier`},
		{"redirect URL with a password", []Option{AsUser(fixtureAda), RedirectTo("http://admin:hunter2secretpw@127.0.0.1:1/dashboard")}, StepConfig, "with user information (user:password@), which Clerk would receive in redirect_url: remove it"},
		{"redirect host not the instance's", []Option{AsUser(fixtureAda), RedirectTo(otherURL + "/dashboard")}, StepNavigate, "refused by Clerk's Frontend API with 422: redirect_url_domain_mismatch: "},
		{"app without Clerk middleware", []Option{AsUser(fixtureAda), RedirectTo(noMiddleware.URL + "/dashboard"), WithTimeout(2 * time.Second)}, StepRedirect, "did not resolve Clerk's handshake (its Clerk middleware must read __clerk_handshake, set the session cookies and redirect to the same URL without Clerk's parameters; for a Go app on clerk-sdk-go, github.com/agenttest/agenttest/fixtures/clerkhandshake does it"},
		{"custom check", []Option{AsUser(fixtureAda), WithCheck(func(p *Page) error {
			return fixtureExpect().Locator(p.Locator("header")).ToContainText("Goodbye", fixtureShortWait())
		})}, StepCheck, "Goodbye"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPageContext(fixtureCtx(t), s.opts()...)
			t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
			require.NoError(t, err)
			err = p.SignIn(fixtureCtx(t), c.opts...)
			var sie *SignInError
			require.ErrorAs(t, err, &sie)
			assert.Equal(t, c.step, sie.Step, "%v", err)
			assert.Contains(t, err.Error(), c.want)
			// One prefix, and a user only when there is one to name.
			assert.Regexp(t, `^agenttest: sign in( as [^ :]+)?: `+regexp.QuoteMeta(string(c.step))+`: `, err.Error())
			assert.NotContains(t, err.Error(), "as :")
			assert.NotContains(t, err.Error(), "exceeded", "judged where the page rested, not timed out")
			if p.Task() != nil {
				assert.NotContains(t, err.Error(), fixtureTicket(p.Task()))
			}
			assert.NotContains(t, err.Error(), "hunter2secretpw")
			if c.step != StepCheck { // a check's own error is the caller's
				assert.NotContains(t, err.Error(), "\n", "one line")
			}
		})
	}
	// Every task a failed sign-in created was revoked by Release.
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending))
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive))
}

func TestSignInRefusesAWrongUser(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	// A page on the same host that replaces the session cookie with a
	// token for someone else: the fixture must notice.
	impostor := fixtureImpostor(t, fixtureForgedToken(t, "user_someone_else"))

	p, err := NewPageContext(fixtureCtx(t), s.opts()...)
	t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
	require.NoError(t, err)
	err = p.SignIn(fixtureCtx(t), AsUser(fixtureAda), RedirectTo(impostor.URL+"/dashboard"))
	var sie *SignInError
	require.ErrorAs(t, err, &sie)
	assert.Equal(t, StepWrongUser, sie.Step)
	assert.Contains(t, err.Error(), "user_someone_else")
}

// A user id Clerk does not have fails the sign-in with one line that
// says so and names where the id comes from; later sign-ins as that
// user in the same binary fail at once, with no task request and no
// browser page.
func TestSignInAsAnUnknownUserFailsOnceThenAtOnce(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	const nobody = "user_nobody0000000000000000000"
	signIn := func() (*Page, error) {
		p, err := SignInContext(fixtureCtx(t), s.opts(AsUser(nobody))...)
		t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
		return p, err
	}
	_, err := signIn()
	var sie *SignInError
	require.ErrorAs(t, err, &sie)
	assert.Equal(t, StepCreate, sie.Step)
	assert.Contains(t, err.Error(), "no user "+nobody+" in this Clerk instance (404 agent_task_subject_not_found, trace ")
	assert.Contains(t, err.Error(), "check the user id given to agenttest.AsUser or AGENTTEST_USER_ID")
	assert.NotContains(t, err.Error(), "\n")
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteCreateTask))

	p, err := signIn()
	require.ErrorAs(t, err, &sie)
	assert.Equal(t, StepCreate, sie.Step)
	assert.Contains(t, err.Error(), "no user "+nobody+" in this Clerk instance")
	assert.Contains(t, err.Error(), "known from an earlier sign-in of this test binary")
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteCreateTask), "no second request")
	assert.Nil(t, p.Page, "no browser page")
}

// The session must come from this very task: a token for the right user
// without the agent act claim, or from another task, is refused.
func TestSignInRefusesASessionNotFromTheTask(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	for name, act := range map[string]map[string]any{
		"no act claim": nil,
		"another task": {"act": map[string]any{"sub": "agt_x", "type": "agent", "task_id": "agttsk_another"}},
		"not an agent": {"act": map[string]any{"sub": "user_admin", "type": "impersonation"}},
	} {
		t.Run(name, func(t *testing.T) {
			forged := fixtureForgedToken(t, fixtureAda, act)
			impostor := fixtureImpostor(t, forged)
			p, err := NewPageContext(fixtureCtx(t), s.opts()...)
			t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
			require.NoError(t, err)
			err = p.SignIn(fixtureCtx(t), AsUser(fixtureAda), RedirectTo(impostor.URL+"/dashboard"))
			var sie *SignInError
			require.ErrorAs(t, err, &sie)
			assert.Equal(t, StepWrongSession, sie.Step, "%v", err)
			assert.NotContains(t, err.Error(), forged)
			// The session the task really created is found and revoked.
			require.NoError(t, p.Release(fixtureCleanupCtx(t)))
			for _, sess := range s.emu.Sessions(clerkemu.SessionActive) {
				assert.NotEqual(t, p.Task().ID, sess.Actor.TaskID, "the task's session outlived the page")
			}
		})
	}
}

func TestFailedTestKeepsRedactedArtifacts(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	ft := fixtureNewFakeT(t, "TestCheckout/with spaces")
	base := t.TempDir()
	dir := filepath.Join(base, "TestCheckout_with_spaces")
	var task *Task
	var token string
	ft.run(func(tb testing.TB) {
		page := SignIn(tb, s.opts(AsUser(fixtureAda), WithArtifactsDir(base))...)
		task = page.Task()
		var err error
		state, err := readCookieState(page.BrowserContext, page.origin)
		require.NoError(t, err)
		token = state.token
		// Make the page show the secrets, as a careless app might.
		_, err = page.Evaluate(`([u, tok]) => { console.log("visited " + u + " with " + tok); document.body.append(u, tok) }`, []string{task.URL(), token})
		require.NoError(t, err)
		tb.Errorf("the checkout button is missing")
	})
	require.True(t, ft.Failed())
	require.NotEmpty(t, token)
	assert.Contains(t, ft.output(), "artifacts of the failed test are in "+dir)
	assert.Equal(t, task.ID, ft.attrs["agenttest.task_id"])

	for _, name := range []string{artifactScreenshot, artifactTrace, artifactHTML, artifactConsole} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.NotZero(t, info.Size(), name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "nothing but the four artifacts (no unredacted trace left)")

	console, err := os.ReadFile(filepath.Join(dir, artifactConsole))
	require.NoError(t, err)
	assert.Contains(t, string(console), "visited "+task.RedactedURL()+" with REDACTED")
	secrets := []string{fixtureTicket(task), token, url.QueryEscape(fixtureTicket(task))}
	for _, name := range []string{artifactHTML, artifactConsole} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		for _, secret := range secrets {
			assert.NotContains(t, string(data), secret, name)
		}
	}
	trace := string(fixtureUnzipText(t, filepath.Join(dir, artifactTrace)))
	for _, secret := range secrets {
		assert.NotContains(t, trace, secret, "trace")
	}
	assert.Contains(t, trace, "/v1/agents/tasks", "the trace records the navigation, with the ticket redacted")
	assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`, trace, "no JWT (session token, handshake) in the trace")
	assert.NotRegexp(t, `__clerk_testing_token=[^R&"]`, trace, "no testing token in the trace")
	// Cleanup still ran after the artifacts: nothing left behind.
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive))
}

func TestPassingTestKeepsNoArtifacts(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	ft := fixtureNewFakeT(t, "TestPasses")
	ft.run(func(tb testing.TB) { SignIn(tb, s.opts(AsUser(fixtureAda))...) })
	require.False(t, ft.Failed(), ft.output())
	entries, err := os.ReadDir(ft.dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestSignInFailureFailsTheTestInOneLine(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	ft := fixtureNewFakeT(t, "TestUnknownUser")
	ft.run(func(tb testing.TB) {
		SignIn(tb, s.opts(AsUser("user_nobody"))...)
		tb.Error("not reached: SignIn must stop the test")
	})
	require.True(t, ft.Failed())
	require.NotEmpty(t, ft.errors)
	first := ft.errors[0]
	assert.NotContains(t, first, "\n")
	assert.True(t, strings.HasPrefix(first, "agenttest: sign in as user_nobody: create: "), first)
	assert.NotContains(t, ft.output(), "not reached")
	assert.NotContains(t, ft.output(), s.emu.SecretKey())
}

func TestExpectSignedOutAfterSignOut(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	page := SignIn(t, s.opts(AsUser(fixtureAda))...)
	_, err := page.Goto("/sign-out")
	require.NoError(t, err)
	ExpectSignedOut(t, page)
	_, err = page.Goto("/dashboard")
	require.NoError(t, err)
	require.NoError(t, fixtureExpect().Locator(page.Locator("h1")).ToContainText("Sign in"))
	require.Error(t, fixtureWithTimeout(page, 300*time.Millisecond).CheckSignedIn(fixtureCtx(t)))
}

func TestArtifactsDirFor(t *testing.T) {
	env := config.EnvFromMap(map[string]string{"AGENTTEST_ARTIFACTS_DIR": "/tmp/arts"})
	artifactDir := func() string { return "/from/go-test-artifacts" }
	assert.Equal(t, "opt/TestX_sub_case", artifactsDirFor("TestX/sub case", "opt", true, artifactDir, env))
	assert.Equal(t, "/from/go-test-artifacts", artifactsDirFor("TestX", "", true, artifactDir, env))
	assert.Equal(t, "/tmp/arts/TestX", artifactsDirFor("TestX", "", false, artifactDir, env))
	assert.Equal(t, "test-results/TestX", artifactsDirFor("TestX", "", false, artifactDir, config.EnvFromMap(nil)))
}

func TestFixtureNeedsMain(t *testing.T) {
	_, err := requireRun(nil)
	require.ErrorIs(t, err, errNoMain)
	assert.Contains(t, err.Error(), "agenttest.Main(m)")
}

func TestRedirectURLMatching(t *testing.T) {
	want, _ := url.Parse("http://127.0.0.1:3000/dashboard")
	assert.True(t, sameOriginAndPath("http://127.0.0.1:3000/dashboard?__clerk_db_jwt=x#y", want))
	assert.True(t, settled("http://127.0.0.1:3000/dashboard?tab=2#y", want))
	assert.False(t, settled("http://127.0.0.1:3000/dashboard?__clerk_handshake=x&__clerk_db_jwt=y", want), "the handshake is not resolved yet")
	assert.False(t, sameOriginAndPath("http://127.0.0.1:3000/sign-in?redirect=/dashboard", want))
	assert.False(t, sameOriginAndPath("http://127.0.0.1:3001/dashboard", want))
}

func TestBrowserSettingsFromEnv(t *testing.T) {
	s, err := browserSettingsFromEnv(config.EnvFromMap(map[string]string{"AGENTTEST_HEADED": "1", "AGENTTEST_SLOWMO": "250", "AGENTTEST_BROWSER": "Firefox"}))
	require.NoError(t, err)
	assert.Equal(t, browserSettings{kind: "firefox", headed: true, slowMo: 250 * time.Millisecond}, s)
	opts := s.launchOptions()
	assert.False(t, *opts.Headless)
	assert.Equal(t, 250.0, *opts.SlowMo)
	assert.Empty(t, opts.Args, "chromium flags only for chromium")

	s, err = browserSettingsFromEnv(config.EnvFromMap(nil))
	require.NoError(t, err)
	args := strings.Join(s.launchOptions().Args, " ")
	for _, flag := range []string{"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"} {
		assert.Contains(t, args, flag)
	}
	for env, want := range map[string]string{
		"AGENTTEST_BROWSER": "not a browser",
		"AGENTTEST_HEADED":  "not a boolean",
		"AGENTTEST_SLOWMO":  "whole milliseconds",
	} {
		_, err := browserSettingsFromEnv(config.EnvFromMap(map[string]string{env: "lots"}))
		assert.ErrorContains(t, err, want)
		assert.ErrorContains(t, err, env)
	}
}

// fixtureTicket is the secret part of a task URL.
func fixtureTicket(task *Task) string {
	u, err := url.Parse(task.URL())
	if err != nil {
		return task.URL()
	}
	return u.Query().Get("ticket")
}

// fixtureForgedToken is an RS256 JWT for sub, signed by a key nobody
// trusts: the fixture reads whom a token is for, it does not verify it.
func fixtureForgedToken(t *testing.T, sub string, extra ...map[string]any) string {
	key := fixtureRSAKey(t)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	require.NoError(t, err)
	claims := map[string]any{"sub": sub, "sid": "sess_forged", "exp": time.Now().Add(time.Hour).Unix()}
	for _, e := range extra {
		maps.Copy(claims, e)
	}
	token, err := jwt.Signed(signer).Claims(claims).CompactSerialize()
	require.NoError(t, err)
	return token
}

// fixtureImpostor is an app on the emulator's host that resolves Clerk's
// handshake by setting its own session cookie, forged, instead of the
// handshake's: the fixture must notice whose session it holds.
func fixtureImpostor(t *testing.T, forged string) *httptest.Server {
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("__clerk_handshake") {
			http.SetCookie(w, &http.Cookie{Name: "__session", Value: forged, Path: "/"})
			http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		io.WriteString(w, "<header>Welcome, impostor</header>")
	}))
	t.Cleanup(impostor.Close)
	return impostor
}

// fixtureWithTimeout returns a copy of the page's handle with a shorter
// step timeout, for checks expected to fail.
func fixtureWithTimeout(p *Page, d time.Duration) *Page {
	q := &Page{Page: p.Page, BrowserContext: p.BrowserContext, session: p.session, origin: p.origin, appURL: p.appURL, opts: p.opts}
	q.opts.timeout = d
	return q
}

// fixtureRSAKey is a throwaway signing key.
func fixtureRSAKey(t *testing.T) *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key
}

// fixtureShortWait makes an assertion that is expected to fail give up
// soon.
func fixtureShortWait() playwright.LocatorAssertionsToContainTextOptions {
	return playwright.LocatorAssertionsToContainTextOptions{Timeout: playwright.Float(500)}
}

func TestArtifactsRedactCookiesAndCredentialParameters(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	ft := fixtureNewFakeT(t, "TestBeforeTheCookieStep")
	base := t.TempDir()
	const dbJWT = "dvb_2devbrowser0000000000000000000000"
	ft.run(func(tb testing.TB) {
		page := NewPage(tb, s.opts(WithArtifactsDir(base))...)
		// A cookie the fixture never learnt about (as when a sign-in fails
		// before its cookie step) and credential-looking text.
		require.NoError(t, page.BrowserContext.AddCookies([]playwright.OptionalCookie{{
			Name: "__clerk_db_jwt", Value: dbJWT, URL: playwright.String(s.app.URL()),
		}}))
		_, err := page.Goto("/")
		require.NoError(t, err)
		_, err = page.Evaluate(`(v) => { document.body.append("db " + v + " link ?__clerk_handshake=eyJhbGciOi.x.y&ok=1"); console.log("token=abc123def456") }`, dbJWT)
		require.NoError(t, err)
		tb.Error("fail to keep the artifacts")
	})
	dir := filepath.Join(base, "TestBeforeTheCookieStep")
	for _, name := range []string{artifactHTML, artifactConsole, artifactTrace} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		if name == artifactTrace {
			data = fixtureUnzipText(t, filepath.Join(dir, name))
		}
		for _, secret := range []string{dbJWT, "eyJhbGciOi.x.y", "abc123def456"} {
			assert.NotContains(t, string(data), secret, name)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, artifactHTML))
	require.NoError(t, err)
	assert.Contains(t, string(html), "__clerk_handshake=REDACTED&amp;ok=1", "the parameter's name stays, the rest of the page too")
}

// fixtureUnzipText is every entry of a zip, concatenated.
func fixtureUnzipText(t *testing.T, path string) []byte {
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var all []byte
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		all = append(all, data...)
	}
	return all
}

// With bot protection on, the Frontend API refuses an automated browser
// without a Testing Token: the fixture gets one and adds it to every
// Frontend API request, the task URL's included, which is still fetched
// exactly once.
func TestSignInPassesBotProtectionWithATestingToken(t *testing.T) {
	t.Parallel()
	s := fixtureStartWith(t, clerkemu.Options{BotProtection: true})
	page := SignIn(t, s.opts(AsUser(fixtureAda))...)
	require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Ada"))
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteAcceptTask), "the task URL is fetched exactly once")
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteTestingTokens), "one Testing Token for the test")
	// The context's later Frontend API requests get the token from the
	// route (the emulator refuses them without it).
	// A refresh handshake is one: it passes and lands on the dashboard.
	resp, err := page.Page.Goto(s.emu.FrontendURL() + "/v1/client/handshake?redirect_url=" + url.QueryEscape(s.app.URL()+"/dashboard"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.Status(), "a Frontend API request after the sign-in passes bot protection")
	require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Ada"))

	// A second page of the same client reuses the token.
	SignIn(t, s.opts(AsUser(fixtureGrace))...)
	assert.Equal(t, 1, s.emu.Requests(clerkemu.RouteTestingTokens), "the token is fetched once per client")
}

// Each hop's failure names the hop and its cause: the app down after
// Clerk's redirect, a port Chromium refuses, a server error of the
// Frontend API (not a refusal), Clerk's own code for a refusal. Nothing
// is left behind.
func TestSignInNamesTheHopThatFailed(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	down := fixtureClosedURL(t)
	cases := []struct {
		name  string
		fault bool // the task URL answers 503 once
		opts  []Option
		want  string
	}{
		{"the app down", false, []Option{RedirectTo(down + "/dashboard")},
			"Clerk accepted the task and redirected to " + down + "/dashboard, but " + down + " could not be reached (net::ERR_CONNECTION_REFUSED; the task was used): start it before the tests, or fix AGENTTEST_APP_URL or agenttest.RedirectTo"},
		{"a port Chromium refuses", false, []Option{RedirectTo("http://127.0.0.1:6000/dashboard")},
			"but http://127.0.0.1:6000 could not be reached (net::ERR_UNSAFE_PORT; the task was used): Chromium refuses port 6000 as unsafe: run the app on another port"},
		{"a server error of the Frontend API", true, nil, "failed at Clerk's Frontend API with 503"},
		{"a redirect host outside the instance", false, []Option{RedirectTo("http://elsewhere.example/dashboard")},
			"was refused by Clerk's Frontend API with 422: redirect_url_domain_mismatch: The provided redirect URL must belong to your instance's domain (hops: Clerk 422)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fault {
				s.emu.InjectFault(clerkemu.RouteAcceptTask, clerkemu.Fault{Status: http.StatusServiceUnavailable})
			}
			p, err := NewPageContext(fixtureCtx(t), s.opts()...)
			t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
			require.NoError(t, err)
			err = p.SignIn(fixtureCtx(t), append([]Option{AsUser(fixtureAda)}, c.opts...)...)
			var sie *SignInError
			require.ErrorAs(t, err, &sie)
			assert.Equal(t, StepNavigate, sie.Step, "%v", err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "\n")
			if p.Task() != nil {
				assert.NotContains(t, err.Error(), fixtureTicket(p.Task()))
			}
		})
	}
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending), "tasks left pending")
	assert.Empty(t, s.emu.Sessions(clerkemu.SessionActive), "sessions left active")
}

// A task URL Clerk refuses because its user cannot sign in says which
// state of the user is why, as the Backend API's user object says.
func TestSignInNamesABannedOrLockedUser(t *testing.T) {
	t.Parallel()
	users := clerkemu.SeedUsers()
	banned, locked := users[0], users[0]
	banned.ID, banned.Banned, banned.EmailAddresses, banned.PhoneNumbers, banned.Username = "user_2banned00000000000000001", true, nil, nil, ""
	locked.ID, locked.Locked, locked.EmailAddresses, locked.PhoneNumbers, locked.Username = "user_2locked00000000000000001", true, nil, nil, ""
	banned.PrimaryEmailAddressID, banned.PrimaryPhoneNumberID = "", ""
	locked.PrimaryEmailAddressID, locked.PrimaryPhoneNumberID = "", ""
	s := fixtureStartWith(t, clerkemu.Options{Users: append(users, banned, locked)})
	for _, c := range []struct{ user, want string }{
		{banned.ID, ": " + banned.ID + " is banned: unban the user (Clerk Dashboard, or the Backend API's POST /v1/users/{user_id}/unban) or sign in another one"},
		{locked.ID, ": " + locked.ID + " is locked (too many failed sign-in attempts): unlock the user"},
	} {
		t.Run(c.user, func(t *testing.T) {
			p, err := NewPageContext(fixtureCtx(t), s.opts()...)
			t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
			require.NoError(t, err)
			err = p.SignIn(fixtureCtx(t), AsUser(c.user))
			var sie *SignInError
			require.ErrorAs(t, err, &sie)
			assert.Equal(t, StepNavigate, sie.Step, "%v", err)
			assert.Contains(t, err.Error(), "refused by Clerk's Frontend API with 400: agent_task_cannot_be_used: ")
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending))
}

// A step that runs out of its WithTimeout says so, whichever step it is,
// and blames neither the rate limiter nor the hop it waited for.
func TestSignInOutOfTimeNamesTheTimeout(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	for _, opt := range []Option{AsUser(fixtureAda), AsIdentifier("ada@example.com")} {
		p, err := NewPageContext(fixtureCtx(t), s.opts()...)
		t.Cleanup(func() { assert.NoError(t, p.Release(fixtureCleanupCtx(t))) })
		require.NoError(t, err)
		err = p.SignIn(fixtureCtx(t), opt, WithTimeout(time.Nanosecond))
		var sie *SignInError
		require.ErrorAs(t, err, &sie)
		assert.Contains(t, err.Error(), ": the step took longer than agenttest.WithTimeout(1ns): give it more time")
		assert.NotContains(t, err.Error(), "rate limiter")
		assert.Equal(t, 1, strings.Count(err.Error(), "agenttest.WithTimeout"), "said once: %v", err)
	}
	assert.Empty(t, s.emu.Tasks(clerkemu.TaskPending))
}

// An app URL in a message shows the query parameters the test wrote in
// its redirect URL as written; the rest of the query, Clerk's handshake
// and any parameter named like a credential stay hidden.
func TestAppURLShowsTheTestsOwnQuery(t *testing.T) {
	t.Parallel()
	redirect, err := url.Parse("http://127.0.0.1:3000/dashboard?tab=billing&token=mine")
	require.NoError(t, err)
	for raw, want := range map[string]string{
		"http://127.0.0.1:3000/dashboard?tab=billing&token=mine":                    "http://127.0.0.1:3000/dashboard?tab=billing&token=REDACTED",
		"http://127.0.0.1:3000/dashboard?tab=billing&code=s3cr3t":                   "http://127.0.0.1:3000/dashboard?tab=billing&code=REDACTED",
		"http://127.0.0.1:3000/dashboard?tab=other":                                 "http://127.0.0.1:3000/dashboard?tab=REDACTED",
		"http://127.0.0.1:3000/dashboard?__clerk_handshake=eyJx.eyJy.z&tab=billing": "http://127.0.0.1:3000/dashboard?tab=billing (with Clerk's handshake)",
	} {
		assert.Equal(t, want, appURLShown(raw, redirect), raw)
	}
	assert.Equal(t, "http://127.0.0.1:3000/?x=REDACTED", appURLShown("http://127.0.0.1:3000/?x=1", nil))
}
