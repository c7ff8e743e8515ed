package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/frontend"
)

// SignedInClient is an *http.Client signed in as a Clerk user without a
// browser, for tests of an app's API: every request to the app carries
// "Authorization: Bearer <session token>", a token minted through the
// Backend API (POST /v1/sessions/{id}/tokens) and replaced shortly before
// it expires (session tokens live 60 s). Relative URLs ("/api/me")
// resolve against AGENTTEST_APP_URL, as in [Page]'s Goto. The token goes
// to the sign-in's redirect origin (AGENTTEST_APP_URL, or
// [RedirectTo]'s) only, the origin its azp claim names; requests to other
// hosts go out without it.
//
// The session comes from an Agent Task, exactly as a browser's sign-in
// makes it: the task URL is visited once by a plain HTTP client that does
// not follow Clerk's redirect into the app, and the session is read from
// the redirect's handshake. So the session has the task's agent actor,
// works on development and production instances alike, and is recorded in
// the run's ledger like a page's.
type SignedInClient struct {
	// Client sends the requests; use it like any *http.Client.
	*http.Client
	// Tokens mints the session tokens the Client sends.
	Tokens *agenttask.SessionTokenSource

	client    *agenttask.Client
	transport *http.Transport // the client's connections, closed by Release
	task      *Task
	session   *session // nil until the visit's session is known

	mu       sync.Mutex
	released bool
}

// HTTPClientContext signs in as the user the options and environment
// name (as for [SignIn]: [AsUser], [AsIdentifier], [RedirectTo],
// [WithClient], [WithSessionMaxDuration], [KeepSession], [WithClock],
// [WithTimeout]) and returns a client for the app's API. It is the
// error-returning core of [HTTPClient]. The caller owns the client and
// must call [SignedInClient.Release], also when HTTPClientContext fails
// (Release accepts the half-built client it returns). Under [Main] the
// run's signal and timeout handling revokes its session too.
func HTTPClientContext(ctx context.Context, opts ...Option) (*SignedInClient, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	sc := &SignedInClient{transport: tr}
	o, err := resolve(defaults, atClient, opts)
	if err != nil {
		return sc, &SignInError{Step: StepConfig, Err: err}
	}
	s, err := runSuite()
	if err != nil {
		return sc, err
	}
	appURL := s.appURL()
	tg, client, err := resolveAndCheck(ctx, s, o, nil)
	if err != nil {
		return sc, err
	}
	fail := tg.failWith(&s.secrets)
	if err := runStarting(); err != nil {
		return sc, fail(StepConfig, err)
	}
	sc.client = client
	tctx, cancel := o.stepContext(ctx)
	token, err := s.testingToken(tctx, client)
	err = timedOut(tctx, err)
	cancel()
	if err != nil {
		return sc, fail(StepToken, err)
	}
	task, err := createTask(ctx, s, o, client, tg)
	if err != nil {
		return sc, err
	}
	sc.task = task

	first, signOut, step, err := sc.visit(ctx, o, task, token)
	if err != nil {
		return sc, fail(step, err)
	}
	if first.UserID != task.userID {
		return sc, fail(StepWrongUser, fmt.Errorf("the session token is for %s, want %s", first.UserID, task.userID))
	}
	if first.ActorTaskID != task.ID {
		return sc, fail(StepWrongSession, fmt.Errorf("the session token is from agent task %q, want %s", first.ActorTaskID, task.ID))
	}
	kind := ownedSession
	if o.keepSession {
		kind = keptSession
	}
	sc.session = newSession(first.SessionID, first.UserID, task, kind, s.frontend)
	sc.session.signOut = signOut

	initial := first
	if initial.Value() == "" {
		initial = nil
	}
	sc.Tokens = sc.client.NewTokenSource(first.SessionID, agenttask.TokenSourceOptions{Now: o.now, Initial: initial})
	base := tg.Redirect
	if appURL != "" {
		if base, err = url.Parse(appURL + "/"); err != nil {
			return sc, fail(StepConfig, fmt.Errorf("%s is not a URL: %w", config.VarAppURL, err))
		}
	}
	sc.Client = &http.Client{Transport: &appTransport{
		base:   base,
		origin: tg.Redirect.Scheme + "://" + tg.Redirect.Host,
		signed: &agenttask.Transport{Source: sc.Tokens, Base: tr},
		plain:  tr,
	}}
	return sc, nil
}

// visit opens the task URL once with a plain client that does not follow
// Clerk's redirect into the app, and reads the session it made from the
// handshake (else looks it up); it also returns how the Frontend API
// names the session: the __client cookie the visit set and a
// development instance's dev browser token, as a browser signs out. It
// names the step that failed.
func (sc *SignedInClient) visit(ctx context.Context, o options, task *Task, token *agenttask.TestingToken) (*agenttask.SessionToken, *frontend.SignOut, Step, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, nil, StepNavigate, err
	}
	watch := &devBrowserWatch{base: sc.transport}
	vctx, cancel := o.stepContext(ctx)
	first, err := frontend.VisitTask(vctx, &http.Client{Transport: watch, Jar: jar}, task.Task, token)
	err = timedOut(vctx, err)
	cancel()
	var refused *agenttask.APIError
	switch {
	case errors.As(err, &refused):
		return nil, nil, StepNavigate, err // the ticket is unspent: Release revokes the task
	case errors.Is(err, frontend.ErrNoHandshakeSession):
		task.markUsed()
		sctx, cancel := o.stepContext(ctx)
		first, err = sc.findSession(sctx, task)
		err = timedOut(sctx, err)
		cancel()
		if err != nil {
			return nil, nil, StepCookie, err
		}
	case err != nil:
		return nil, nil, StepNavigate, err // Release finds the session, if the visit made one
	}
	task.markUsed()
	fapi, err := url.Parse(frontendOrigin(task.URL()))
	if err != nil || fapi.Host == "" {
		return first, nil, "", nil
	}
	named := map[string]string{}
	for _, c := range jar.Cookies(fapi) {
		named[c.Name] = c.Value
	}
	if v := watch.token(); v != "" {
		named[devBrowserCookie] = v
	}
	return first, signOutFrom(fapi.String(), first.SessionID, token, named), "", nil
}

// findSession finds the session task created when the handshake could
// not be read: the user's active session whose actor is the task.
func (sc *SignedInClient) findSession(ctx context.Context, task *Task) (*agenttask.SessionToken, error) {
	sessions, err := sc.client.TaskSessions(ctx, task.userID, task.ID)
	if err != nil {
		return nil, err
	}
	if len(sessions) != 1 {
		return nil, fmt.Errorf("agent task %s has %d active sessions after its URL was visited, want 1", task.ID, len(sessions))
	}
	s := sessions[0]
	return &agenttask.SessionToken{SessionID: s.ID, UserID: s.UserID, ActorTaskID: task.ID}, nil
}

// Release ends the session unless [KeepSession] was given (on the
// Frontend API by the __client cookie and dev browser token the task
// URL's visit left, as a browser signs out, else through the Backend
// API) and, should the sign-in have stopped before the session was
// known, the task or what it created; it closes the client's
// connections. A session
// token the app already holds stays valid until it expires (at most
// 60 s): Clerk's session tokens are verified without a call to Clerk. It
// is safe to call twice and on a nil or half-built client.
func (sc *SignedInClient) Release(ctx context.Context) error {
	if sc == nil {
		return nil
	}
	sc.mu.Lock()
	if sc.released {
		sc.mu.Unlock()
		return nil
	}
	sc.released = true
	sc.mu.Unlock()
	errs := []error{sc.session.end(ctx, nil), sc.task.Release(ctx)}
	if sc.transport != nil {
		sc.transport.CloseIdleConnections()
	}
	return errors.Join(errs...)
}

// Task is the Agent Task the session came from; nil when the sign-in
// failed before it was made.
func (sc *SignedInClient) Task() *Task { return sc.task }

// UserID is the signed-in user; "" before the session was known.
func (sc *SignedInClient) UserID() string { return sc.session.user() }

// SessionID is the session; "" before it was known.
func (sc *SignedInClient) SessionID() string { return sc.session.sessionID() }

// HTTPClient gives the test an *http.Client signed in as a Clerk user,
// without a browser (see [SignedInClient], [HTTPClientContext] its
// core): requests to the app carry a fresh session token as
// "Authorization: Bearer"; relative URLs resolve against
// AGENTTEST_APP_URL. When the test ends the session is ended. A
// failure fails the test with one line that names the step.
func HTTPClient(tb testing.TB, opts ...Option) *http.Client {
	tb.Helper()
	ctx, cancel := signInContext(tb)
	defer cancel()
	sc, err := HTTPClientContext(ctx, append(opts[:len(opts):len(opts)], describedBy(tb))...)
	releaseOnCleanup(tb, sc.Release)
	if sc.task != nil {
		tb.Attr("agenttest.task_id", sc.task.ID)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Attr("agenttest.user_id", sc.UserID())
	tb.Logf("agenttest: signed in as %s without a browser (session %s, task %s)", sc.UserID(), sc.SessionID(), sc.task.ID)
	return sc.Client
}

// appTransport resolves relative URLs against the app's URL and sends
// the session token to the app's origin only.
type appTransport struct {
	base   *url.URL
	origin string // scheme://host the token is for
	signed http.RoundTripper
	plain  http.RoundTripper
}

func (t *appTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "" {
		r := req.Clone(req.Context())
		r.URL = t.base.ResolveReference(req.URL)
		r.Host = ""
		req = r
	}
	if req.URL.Scheme+"://"+req.URL.Host == t.origin {
		return t.signed.RoundTrip(req)
	}
	return t.plain.RoundTrip(req)
}

// devBrowserWatch remembers the dev browser token (__clerk_db_jwt) a
// redirect's Location carries: a development instance's task URL
// answers 307 to redirect_url?…&__clerk_db_jwt=….
type devBrowserWatch struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen string
}

// RoundTrip sends r with the base transport and reads the answer's
// Location.
func (w *devBrowserWatch) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(r)
	if err == nil {
		if loc, lerr := resp.Location(); lerr == nil {
			if v := loc.Query().Get(devBrowserCookie); v != "" {
				w.mu.Lock()
				w.seen = v
				w.mu.Unlock()
			}
		}
	}
	return resp, err
}

// token is the dev browser token seen, "" if none.
func (w *devBrowserWatch) token() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}
