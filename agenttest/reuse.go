package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/mxschmitt/playwright-go"
)

// ReuseSignIn signs in through an Agent Task only once per user and app
// (and agent name, and client) for the whole test binary, as
// Playwright's storageState and Cypress's cy.session do: the first
// sign-in is a whole one; every later page with this option gets a
// fresh BrowserContext seeded with that sign-in's cookies and opens the
// redirect URL, and the app's own refresh keeps the 60 s session token
// fresh (a handshake through Clerk's Frontend API, no Backend API call).
// The checks are the same: the page is signed in as the user, through
// that task. The shared session is the run's: no test ends it, the
// run does when the binary ends (and a killed run's ledger has it for
// the sweep).
//
// A suite of 200 specs for 4 users then makes about 4 tasks, not 200.
// Specs that sign out, change the session, or need one of their own
// must not use it; should the shared session end anyway, the next page
// signs in afresh and shares that. Not with [KeepSession].
// For a browser sign-in: SignIn, NewPage (for its Page.SignIn), Page.SignIn.
func ReuseSignIn() Option {
	return option("agenttest.ReuseSignIn", atBrowserSignIn, func(o *options) { o.reuse = true })
}

// reuseKey names one shared sign-in: an instance (its client), a user,
// the app's origin (cookies are per host) and the agent's name.
type reuseKey struct {
	client *agenttask.Client
	user   string
	origin string
	agent  string
}

// sharedSignIn is the signed-in state of the first sign-in of a key.
type sharedSignIn struct {
	cookies []playwright.OptionalCookie // every cookie of the context: the app's and the Frontend API's
	session *session                    // the run's, ended when the run ends
}

// sharedPending is a key's sign-in while its first page signs in: the
// tests that want the same key wait for it.
type sharedPending struct {
	done  chan struct{}
	state *sharedSignIn // set before done closes; nil when the sign-in failed
	cache *signInCache
	key   reuseKey
	once  sync.Once
}

// publish hands the state (nil: the sign-in failed, the next one leads)
// to the waiting tests.
func (sp *sharedPending) publish(state *sharedSignIn) {
	sp.once.Do(func() {
		sp.cache.mu.Lock()
		if state == nil {
			delete(sp.cache.entries, sp.key)
		} else {
			sp.cache.states = append(sp.cache.states, state)
		}
		sp.state = state
		sp.cache.mu.Unlock()
		close(sp.done)
	})
}

// signInCache holds a suite's shared sign-ins (see [ReuseSignIn]) and
// revokes their sessions when the suite ends.
type signInCache struct {
	mu      sync.Mutex
	entries map[reuseKey]*sharedPending
	states  []*sharedSignIn // every state shared, for the end of the run
	closed  bool
	// frontend is the suite's client for the Frontend API, which ends
	// the shared sessions.
	frontend *http.Client
}

// errSuiteEnded refuses to share a sign-in once the suite is ending.
var errSuiteEnded = errors.New("agenttest.ReuseSignIn: the test binary's shared sign-ins were revoked (the run is ending)")

// claim returns the key's shared state, waiting while another page
// signs in for it; or, when there is none, makes the caller the leader
// that signs in and publishes.
func (c *signInCache) claim(ctx context.Context, key reuseKey) (*sharedSignIn, *sharedPending, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, nil, errSuiteEnded
		}
		sp, ok := c.entries[key]
		if !ok {
			if c.entries == nil {
				c.entries = map[reuseKey]*sharedPending{}
			}
			sp = &sharedPending{done: make(chan struct{}), cache: c, key: key}
			c.entries[key] = sp
			c.mu.Unlock()
			return nil, sp, nil
		}
		c.mu.Unlock()
		select {
		case <-sp.done:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("wait for the shared sign-in of %s: %w", key.user, ctx.Err())
		}
		if sp.state != nil {
			return sp.state, nil, nil
		}
		// The leader failed; the next claim leads.
	}
}

// forget drops a shared state that no longer signs in (its session
// ended), so the next claim signs in afresh.
func (c *signInCache) forget(key reuseKey, state *sharedSignIn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sp, ok := c.entries[key]; ok && sp.state == state {
		delete(c.entries, key)
	}
}

// revokeAll refuses new sharing and revokes every shared session: the
// end of the suite.
func (c *signInCache) revokeAll(ctx context.Context) error {
	c.mu.Lock()
	c.closed = true
	states := c.states
	c.states = nil
	c.mu.Unlock()
	return c.revokeShared(ctx, states)
}

// revokeShared ends shared sessions (on the Frontend API, by the
// browser cookies the sign-in captured, else through the Backend API)
// and closes their ledger entries.
func (c *signInCache) revokeShared(ctx context.Context, states []*sharedSignIn) error {
	var errs []error
	for _, st := range states {
		errs = append(errs, st.session.end(ctx, nil))
	}
	return errors.Join(errs...)
}

// releaseClient revokes and forgets the shared sign-ins of one client:
// for a test that brought a client whose instance stops before the run
// ends.
func (c *signInCache) releaseClient(ctx context.Context, client *agenttask.Client) error {
	c.mu.Lock()
	var mine []*sharedSignIn
	kept := c.states[:0]
	for _, st := range c.states {
		if st.session.client == client {
			mine = append(mine, st)
		} else {
			kept = append(kept, st)
		}
	}
	c.states = kept
	for k := range c.entries {
		if k.client == client {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
	return c.revokeShared(ctx, mine)
}

// share hands the leading page's session to the run and publishes the
// page's signed-in state to the tests waiting for it.
func (p *Page) share(plan *signInPlan) error {
	cookies, err := p.BrowserContext.Cookies()
	if err != nil {
		return fmt.Errorf("read the signed-in cookies to share: %w", err)
	}
	state := &sharedSignIn{session: p.session}
	named := make(map[string]string, len(cookies))
	for _, c := range cookies {
		addCookieSecret(&p.secrets, c.Value)
		named[c.Name] = c.Value
		state.cookies = append(state.cookies, playwright.OptionalCookie{
			Name:     c.Name,
			Value:    c.Value,
			Domain:   playwright.String(c.Domain),
			Path:     playwright.String(c.Path),
			Expires:  playwright.Float(c.Expires),
			HttpOnly: playwright.Bool(c.HttpOnly),
			Secure:   playwright.Bool(c.Secure),
			SameSite: c.SameSite,
		})
	}
	p.session.share(signOutFrom(frontendOrigin(plan.task.URL()), p.session.id, plan.token, named))
	plan.publish(state)
	return nil
}

// signInShared signs the page in with the plan's shared sign-in. When
// the shared session ended (a test signed out, it expired), it signs in
// afresh, once, and shares that instead.
func (p *Page) signInShared(ctx context.Context, o options, plan *signInPlan) error {
	err := p.seed(ctx, o, plan)
	var se *SignInError
	if err == nil || !errors.As(err, &se) || se.Step == StepCheck || se.Step == StepClerkJS || se.Step == StepToken || ctx.Err() != nil {
		return err
	}
	p.suite.reuse.forget(plan.key, plan.shared)
	if cerr := p.BrowserContext.ClearCookies(); cerr != nil {
		return err
	}
	fresh, perr := prepareSignIn(ctx, p.suite, o, p.client)
	if perr != nil {
		return perr
	}
	if fresh.shared != nil {
		return err // another test already shares a new sign-in: report ours
	}
	return p.finishSignIn(ctx, o, fresh)
}

// seed signs the page in with a shared state: its cookies, then the
// redirect URL, then the same checks as a whole sign-in, the session
// included (the shared one, from the shared task).
func (p *Page) seed(ctx context.Context, o options, plan *signInPlan) error {
	st := plan.shared
	tg := plan.target
	fail := tg.fail(p)
	p.task = st.session.task
	for _, c := range st.cookies {
		addCookieSecret(&p.secrets, c.Value)
	}
	mark := time.Now()
	if err := p.routeFrontendAPI(plan.token, p.task.URL()); err != nil {
		return fail(StepToken, err)
	}
	if err := p.BrowserContext.AddCookies(st.cookies); err != nil {
		return fail(StepNavigate, fmt.Errorf("seed the shared sign-in's cookies: %w", err))
	}
	if err := ctx.Err(); err != nil {
		return fail(StepNavigate, err)
	}
	resp, err := p.Page.Goto(tg.Redirect.String(), playwright.PageGotoOptions{
		WaitUntil: playwright.WaitUntilStateCommit,
		Timeout:   playwright.Float(float64(o.timeout.Milliseconds())),
	})
	if err != nil {
		return fail(StepNavigate, fmt.Errorf("open %s with the shared sign-in: %w", withoutQuery(tg.Redirect), err))
	}
	if resp != nil && resp.Status() >= 400 {
		return fail(StepNavigate, fmt.Errorf("the app answered %d at %s with the shared sign-in: check the app's logs", resp.Status(), withoutQuery(tg.Redirect)))
	}
	if err := p.waitSettled(o, tg.Redirect); err != nil {
		return fail(StepRedirect, err)
	}
	lap(&p.phases.navigate, &mark)
	claims, step, err := p.checkSession(ctx, o, plan, p.task.ID)
	if err != nil {
		return fail(step, err)
	}
	lap(&p.phases.check, &mark)
	if claims.SessionID != st.session.id {
		return fail(StepWrongSession, fmt.Errorf("the session token is of session %s, want the shared %s", claims.SessionID, st.session.id))
	}
	p.session = st.session
	if err := p.waitClerkJS(o, claims.Subject, claims.SessionID); err != nil {
		return fail(StepClerkJS, err)
	}
	return p.runChecks(o, fail)
}
