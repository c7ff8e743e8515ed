package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/internal/redact"
	"github.com/playwright-community/playwright-go"
)

// Step names a step of a sign-in, so a failure says which one failed.
type Step string

// The steps of a sign-in, in order.
const (
	StepConfig    Step = "config"        // options, environment, user lookup
	StepToken     Step = "testing token" // get the Testing Token for the Frontend API
	StepCreate    Step = "create"        // create the Agent Task
	StepNavigate  Step = "navigate"      // open the task URL (once, never retried)
	StepRedirect  Step = "redirect"      // wait for the redirect to settle on the redirect URL
	StepCookie    Step = "cookie"        // the app origin has a __session cookie
	StepWrongUser Step = "wrong user"    // the session is someone else's
	// StepWrongSession: the session is the user's but not this task's (no
	// agent act claim, or another task's): the app holds another sign-in.
	StepWrongSession Step = "wrong session"
	StepCheck        Step = "check" // the caller's WithCheck
)

// SignInError is a failed sign-in: which step failed, for whom, and why.
// Its message never contains the task URL's ticket.
type SignInError struct {
	Step Step
	User string // the user id or identifier asked for
	Err  error
}

// Error reads in one line, e.g. `agenttest: sign in as user_123:
// redirect: …`.
func (e *SignInError) Error() string {
	return fmt.Sprintf("agenttest: sign in as %s: %s: %v", e.User, e.Step, e.Err)
}

// Unwrap returns the cause.
func (e *SignInError) Unwrap() error { return e.Err }

// SignIn signs the page in: it creates an Agent Task for the user,
// opens its URL once (a task URL is single-use, so the navigation is
// never retried), waits for the redirect to settle on the redirect URL
// (Clerk's own query parameters ignored), checks that the redirect
// URL's origin has a __session cookie for that user, and runs the
// caller's checks. It sets Task, UserID and SessionID. The task is
// revoked by [Page.Release] if it was not used.
func (p *Page) SignIn(ctx context.Context, opts ...Option) error {
	o := p.opts
	for _, opt := range opts {
		opt(&o)
	}
	if p.Page == nil {
		return &SignInError{Step: StepConfig, Err: errors.New("the page was not opened: use agenttest.NewPage, agenttest.Open or Browser.NewPage")}
	}
	tg, err := p.resolveTarget(o)
	if err != nil {
		return err
	}
	fail := tg.fail(p)
	if err := runStarting(); err != nil {
		return fail(StepConfig, err)
	}
	wantUser := tg.userID
	if wantUser == "" {
		lctx, cancel := o.stepContext(ctx)
		wantUser, err = p.suite.lookupUser(lctx, p.client, tg.identifier)
		cancel()
		if err != nil {
			return fail(StepConfig, err)
		}
	}
	tctx, cancel := o.stepContext(ctx)
	token, err := p.suite.testingToken(tctx, p.client)
	cancel()
	if err != nil {
		return fail(StepToken, err)
	}
	task, err := p.create(ctx, o, tg)
	if err != nil {
		return err
	}
	p.own(task)
	p.Task = task
	// Every Frontend API request of the context carries the Testing
	// Token, the task URL's included: the instance's bot protection
	// would otherwise refuse an automated browser.
	hosts := []string{frontendAPIFromPublishableKey(p.suite.publishableKey())}
	if u, err := url.Parse(task.URL()); err == nil {
		hosts = append(hosts, u.Host)
	}
	for _, h := range hosts {
		if err := p.routeTestingToken(h, token); err != nil {
			return fail(StepToken, err)
		}
	}

	redirect := tg.redirect
	if err := ctx.Err(); err != nil {
		return fail(StepNavigate, err)
	}
	resp, err := p.Page.Goto(task.URL(), playwright.PageGotoOptions{
		WaitUntil: playwright.WaitUntilStateCommit,
		Timeout:   playwright.Float(float64(o.timeout.Milliseconds())),
	})
	if err != nil {
		return fail(StepNavigate, fmt.Errorf("open the task URL %s: %w", task.RedactedURL(), err))
	}
	if resp != nil && resp.Status() >= 400 {
		// Which hop answered: Clerk's Frontend API (the task URL refused)
		// or the app, once Clerk had redirected there.
		if at := resp.URL(); sameOrigin(at, redirect) {
			task.markUsed() // the ticket was spent on the way
			return fail(StepNavigate, fmt.Errorf("the app answered %d at %s after Clerk's redirect (the task was used): check the app's logs", resp.Status(), redact.URL(at)))
		}
		return fail(StepNavigate, fmt.Errorf("the task URL %s was refused by Clerk's Frontend API with %d (the task is used, revoked, expired, or its redirect URL's domain is not the instance's)", task.RedactedURL(), resp.Status()))
	}

	err = p.Page.WaitForURL(func(u string) bool { return settled(u, redirect) }, playwright.PageWaitForURLOptions{
		Timeout:   playwright.Float(float64(o.timeout.Milliseconds())),
		WaitUntil: playwright.WaitUntilStateCommit,
	})
	if err != nil {
		at := p.Page.URL()
		if sameOriginAndPath(at, redirect) && hasHandshake(at) {
			return fail(StepRedirect, fmt.Errorf("the page stayed on %s: the app did not resolve Clerk's handshake (its Clerk middleware must read __clerk_handshake, set the session cookies and redirect to the same URL without Clerk's parameters)", redact.URL(at)))
		}
		return fail(StepRedirect, fmt.Errorf("the page settled on %s, want %s: %w", redact.URL(at), withoutQuery(redirect), err))
	}
	// The browser reached the redirect URL, so the ticket was spent.
	task.markUsed()

	p.origin = redirect.Scheme + "://" + redirect.Host
	cctx, cancel := o.stepContext(ctx)
	claims, err := p.waitForSession(cctx, p.origin, "")
	cancel()
	if err != nil {
		return fail(StepCookie, err)
	}
	if claims.Subject != wantUser {
		return fail(StepWrongUser, fmt.Errorf("the session token is for %s, want %s", claims.Subject, wantUser))
	}
	switch {
	case claims.Actor == nil || claims.Actor.Type != "agent":
		return fail(StepWrongSession, fmt.Errorf("the session token of %s has no agent act claim, want one from agent task %s: the app holds a sign-in that is not this task's", claims.Subject, task.ID))
	case claims.Actor.TaskID != task.ID:
		return fail(StepWrongSession, fmt.Errorf("the session token is from agent task %s, want %s: the app holds another sign-in", claims.Actor.TaskID, task.ID))
	}
	// The session is this task's: the page revokes it (or keeps it, under
	// KeepSession). Until here the task's cleanup looks it up itself.
	p.SessionID = claims.SessionID
	task.keepSession()
	p.trackSession()
	if o.keepSession {
		_ = task.ledger.Closed(task.ID) // kept on purpose: no sweep revokes it
	} else {
		_ = task.ledger.Session(claims.SessionID, task.ID, task.userID)
	}
	p.UserID = claims.Subject
	for _, check := range o.checks {
		if err := check(p); err != nil {
			return fail(StepCheck, err)
		}
	}
	return nil
}

// target is whom a task signs in and where it lands.
type target struct {
	userID, identifier string
	redirect           *url.URL
}

// who names the user as asked for.
func (t target) who() string {
	if t.userID != "" {
		return t.userID
	}
	return t.identifier
}

// fail returns a function that wraps a step's error in a SignInError.
// An error that quotes a secret (Playwright's quote the URL they were
// given) is replaced by its redacted text; others keep their chain for
// errors.As.
func (t target) fail(p *Page) func(Step, error) error {
	return func(step Step, err error) error {
		if msg := p.redactError(err.Error()); msg != err.Error() {
			err = errors.New(msg)
		}
		return &SignInError{Step: step, User: t.who(), Err: err}
	}
}

// redactError scrubs an error's text of the page's secrets and of every
// task URL and Testing Token of the run.
func (p *Page) redactError(msg string) string {
	msg = p.secrets.Known(msg)
	if p.suite != nil {
		msg = p.suite.secrets.Known(msg)
	}
	return redact.Text(msg)
}

// resolveTarget loads the client and settles the user and the redirect
// URL from the options and the environment, before any network call.
func (p *Page) resolveTarget(o options) (target, error) {
	var t target
	fail := func(step Step, err error) error { return t.fail(p)(step, err) }
	if o.timeout <= 0 {
		return t, fail(StepConfig, fmt.Errorf("agenttest.WithTimeout(%v): give a positive duration, e.g. 30*time.Second", o.timeout))
	}
	if o.sessionMax < 0 || o.sessionMax > MaxSessionLifetime {
		return t, fail(StepConfig, fmt.Errorf("agenttest.WithSessionMaxDuration(%v): give a duration up to %v (a leaked session lives that long), or leave it to the default", o.sessionMax, MaxSessionLifetime))
	}
	env := p.suite.env
	if p.client == nil {
		p.client = o.client
	}
	if p.client == nil {
		var err error
		if p.client, err = p.suite.defaultClient(); err != nil {
			return t, fail(StepConfig, err)
		}
	}
	t.userID, t.identifier = o.userID, o.identifier
	if t.who() == "" {
		t.userID, _ = env.Lookup(agenttask.VarUserID)
		t.identifier, _ = env.Lookup(agenttask.VarUserIdentifier)
		if t.userID != "" && t.identifier != "" {
			return t, fail(StepConfig, fmt.Errorf("both %s and %s are set: keep one, or pass agenttest.AsUser / agenttest.AsIdentifier", agenttask.VarUserID, agenttask.VarUserIdentifier))
		}
	}
	if t.who() == "" {
		return t, fail(StepConfig, fmt.Errorf("no user to sign in as: pass agenttest.AsUser(\"user_…\") or agenttest.AsIdentifier(\"…\"), or set %s or %s", agenttask.VarUserID, agenttask.VarUserIdentifier))
	}
	var err error
	if t.redirect, err = resolveRedirect(p.appURL, o.redirect); err != nil {
		return t, fail(StepConfig, err)
	}
	return t, nil
}

// create creates the task; its owner (the page, or CreateTask's
// caller) releases it.
func (p *Page) create(ctx context.Context, o options, t target) (*Task, error) {
	lifetime := o.sessionLifetime(ctx) // from the sign-in's deadline, not the step's
	ctx, cancel := o.stepContext(ctx)
	defer cancel()
	// The ledger learns of the task before Clerk does, so a run killed
	// during the request still leaves a trace for the sweep.
	user := p.taskUser(t)
	userID, err := user(ctx)
	if err != nil {
		return nil, t.fail(p)(StepConfig, err)
	}
	// An early end of the run (a signal, the -timeout) waits for this
	// create, so the task Clerk creates is revoked below rather than left
	// pending: endCreate runs after trackTask, or after the Release that
	// follows its refusal.
	endCreate, err := beginCreate()
	if err != nil {
		return nil, t.fail(p)(StepCreate, err)
	}
	defer endCreate()
	ledger := p.suite.ledger(p.client)
	if err := ledger.Creating(userID); err != nil {
		return nil, t.fail(p)(StepCreate, fmt.Errorf("record the task in the ledger: %w", err))
	}
	task, err := p.client.Create(ctx, agenttask.CreateParams{
		UserID:             t.userID,
		Identifier:         t.identifier,
		AgentName:          o.agentName,
		TaskDescription:    o.description,
		RedirectURL:        t.redirect.String(),
		SessionMaxDuration: lifetime,
	})
	if err != nil {
		_ = ledger.CreateFailed(userID)
		return nil, t.fail(p)(StepCreate, err)
	}
	p.suite.secrets.AddURL(task.URL()) // every artifact of the run hides it
	owned := &Task{Task: task, client: p.client, user: user, ledger: ledger, userID: userID}
	if err := ledger.Task(task, userID); err != nil {
		return nil, errors.Join(t.fail(p)(StepCreate, fmt.Errorf("record the task in the ledger: %w", err)), owned.Release(context.WithoutCancel(ctx)))
	}
	if err := trackTask(owned); err != nil {
		// The run is ending: give the task back at once.
		return nil, errors.Join(t.fail(p)(StepCreate, err), owned.Release(context.WithoutCancel(ctx)))
	}
	return owned, nil
}

// taskUser resolves the user a task signs in, for its cleanup.
func (p *Page) taskUser(t target) func(context.Context) (string, error) {
	c, s := p.client, p.suite
	return func(ctx context.Context) (string, error) {
		if t.userID != "" {
			return t.userID, nil
		}
		return s.lookupUser(ctx, c, t.identifier)
	}
}

// resolveRedirect joins a path to the app URL, or checks a full URL.
func resolveRedirect(appURL, redirect string) (*url.URL, error) {
	target := redirect
	if !strings.Contains(redirect, "://") {
		if appURL == "" {
			if redirect == "" {
				return nil, fmt.Errorf("no redirect URL: set %s to your app's URL (e.g. http://localhost:3000) or pass agenttest.RedirectTo(\"https://…\")", agenttask.VarAppURL)
			}
			return nil, fmt.Errorf("redirect %q is a path but %s is not set: set it to your app's URL, or pass a full URL to agenttest.RedirectTo", redirect, agenttask.VarAppURL)
		}
		if redirect != "" && !strings.HasPrefix(redirect, "/") {
			redirect = "/" + redirect
		}
		target = appURL + redirect
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("redirect URL %q is not an absolute http(s) URL: check %s and agenttest.RedirectTo", target, agenttask.VarAppURL)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// sameOriginAndPath reports whether raw is the redirect URL, ignoring
// its query (Clerk adds its own parameters on the way) and fragment.
func sameOriginAndPath(raw string, want *url.URL) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	return u.Scheme == want.Scheme && u.Host == want.Host && path == want.Path
}

// sameOrigin reports whether raw is on want's scheme and host.
func sameOrigin(raw string, want *url.URL) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == want.Scheme && u.Host == want.Host
}

// handshakeParams are the query parameters Clerk's Frontend API adds to
// the redirect URL in development; the app's middleware removes them.
var handshakeParams = []string{"__clerk_handshake", "__clerk_db_jwt", "__clerk_handshake_nonce"}

// hasHandshake reports whether raw still carries Clerk's handshake
// parameters.
func hasHandshake(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	q := u.Query()
	for _, name := range handshakeParams {
		if q.Has(name) {
			return true
		}
	}
	return false
}

// settled reports whether the page is on the redirect URL with Clerk's
// handshake resolved: the app's origin and path, without Clerk's
// parameters.
func settled(raw string, want *url.URL) bool {
	return sameOriginAndPath(raw, want) && !hasHandshake(raw)
}

// withoutQuery shows a URL's origin and path.
func withoutQuery(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}
