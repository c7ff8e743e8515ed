package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
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
	// StepClerkJS: clerk-js in the page did not load holding the session.
	StepClerkJS Step = "clerk-js"
	StepCheck   Step = "check" // the caller's WithCheck
)

// SignInError is a failed sign-in: which step failed, for whom, and why.
// Its message never contains the task URL's ticket.
type SignInError struct {
	Step Step
	User string // the user id or identifier asked for
	Err  error
}

// Error reads in one line, e.g. `agenttest: sign in as user_123:
// redirect: …`: the module's name once, the operation, the step (unless
// the cause, a configuration error, names it itself), the cause.
func (e *SignInError) Error() string {
	var cause string
	if e.Err != nil {
		cause = e.Err.Error()
	}
	op := "sign in"
	if e.User != "" {
		op = "sign in as " + redact.Value(e.User) // a newline cannot forge a line
	}
	if step := string(e.Step) + ": "; !strings.HasPrefix(cause, step) {
		cause = step + cause
	}
	return "agenttest: " + op + ": " + cause
}

// Unwrap returns the cause.
func (e *SignInError) Unwrap() error { return e.Err }

// SignIn signs the page in: it creates an Agent Task for the user,
// opens its URL once (a task URL is single-use, so the navigation is
// never retried), waits for the redirect to settle on the redirect URL
// (Clerk's own query parameters ignored), checks that the redirect
// URL's origin has a __session cookie for that user, from that task,
// and runs the caller's checks. Then [Page.Task], [Page.UserID] and [Page.SessionID] say who it is. The
// task is revoked by [Page.Release] if it was not used.
//
// Under [ReuseSignIn] it signs in through a task only the first time
// for a user and app; later pages get that sign-in's cookies and open
// the redirect URL (the app's own refresh keeps the 60 s session token
// fresh), and the checks are the same.
//
// A page already signed in can sign in again (as another user, say): it
// still owns the earlier session, which Release revokes with the rest.
func (p *Page) SignIn(ctx context.Context, opts ...Option) error {
	o, err := resolve(p.opts, atPageSignIn, opts)
	if err != nil {
		return &SignInError{Step: StepConfig, Err: err}
	}
	if p.Page == nil {
		return &SignInError{Step: StepConfig, Err: errors.New("the page was not opened: use agenttest.NewPage, agenttest.NewPageContext or Browser.NewPage")}
	}
	plan, err := prepareSignIn(ctx, p.suite, o, p.client)
	if err != nil {
		return err
	}
	// A page signed in before (as another user, say) still owns that
	// session: Release revokes it.
	p.retireSession()
	return p.finishSignIn(ctx, o, plan)
}

// adopt makes the page the owner of what the plan made.
func (p *Page) adopt(plan *signInPlan) {
	p.client = plan.client
	if plan.task != nil {
		p.own(plan.task)
	}
}

// finishSignIn is the browser's part of a sign-in: navigate (open the
// task URL, or seed a shared sign-in), check the session, register it,
// and share it when the sign-in is the first of its ReuseSignIn key.
func (p *Page) finishSignIn(ctx context.Context, o options, plan *signInPlan) error {
	p.adopt(plan)
	defer plan.publish(nil) // a leading sign-in that failed lets the next one lead
	if plan.shared != nil {
		return p.signInShared(ctx, o, plan)
	}
	fail := plan.target.fail(p)
	p.task = plan.task
	mark := time.Now()
	if step, err := p.openTask(ctx, o, plan); err != nil {
		return fail(step, err)
	}
	lap(&p.phases.navigate, &mark)
	claims, step, err := p.checkSession(ctx, o, plan, plan.task.ID)
	if err != nil {
		return fail(step, err)
	}
	lap(&p.phases.check, &mark)
	kind := ownedSession
	if o.keepSession {
		kind = keptSession
	}
	p.session = newSession(claims.SessionID, claims.Subject, plan.task, kind, p.suite.frontend)
	if plan.lead != nil {
		if err := p.share(plan); err != nil {
			return fail(StepCookie, err) // not shared: the page's Release ends it
		}
	}
	if err := p.waitClerkJS(o, claims.Subject, claims.SessionID); err != nil {
		return fail(StepClerkJS, err)
	}
	return p.runChecks(o, fail)
}

// openTask opens the task URL, once, and waits for the redirect to
// settle on the redirect URL; it names the step that failed.
func (p *Page) openTask(ctx context.Context, o options, plan *signInPlan) (Step, error) {
	task, redirect := plan.task, plan.target.Redirect
	if err := ctx.Err(); err != nil {
		return StepNavigate, err
	}
	// The task URL carries the Testing Token itself, as the route would
	// add it; the route, for the context's later Frontend API requests
	// (a refresh handshake, Clerk's scripts), is in place before the
	// navigation starts: SignInContext sets it while the task is being
	// created (routeFrontendAPIEarly), so here it is usually set already.
	// A route set while a navigation is in flight can make Chromium
	// report the redirect chain as one response of the first URL.
	if err := p.routeFrontendAPI(plan.token, task.URL()); err != nil {
		return StepToken, err
	}
	hops, stopHops := p.watchHops()
	resp, err := p.Page.Goto(withTestingToken(task.URL(), plan.token.Value()), playwright.PageGotoOptions{
		WaitUntil: playwright.WaitUntilStateCommit,
		Timeout:   playwright.Float(float64(o.timeout.Milliseconds())),
	})
	stopHops()
	// Which hop answered 4xx or 5xx, if one did: Clerk's Frontend API
	// (the task URL refused) or the app, once Clerk had redirected there.
	// Playwright may report it as a response or only as a network error.
	failed, ok := hops.failed()
	if !ok && err == nil && resp != nil && resp.Status() >= 400 {
		failed, ok = hop{url: resp.URL(), status: resp.Status(), resp: resp}, true
	}
	if ok {
		herr, spent := hopError(failed, redirect, hops.describe(redirect), task.RedactedURL())
		if spent {
			task.markUsed()
		}
		if saysCannotBeUsed(failed.resp) {
			herr = whyCannotSignIn(ctx, plan, herr)
		}
		return StepNavigate, herr
	}
	if err != nil {
		// Past Clerk's redirect, the redirect's host failed, not the
		// task URL.
		if herr := redirectUnreachable(err, hops.hopsSeen(), redirect, config.VarAppURL+" or agenttest.RedirectTo", o.timeout); herr != nil {
			task.markUsed()
			return StepNavigate, herr
		}
		return StepNavigate, fmt.Errorf("open the task URL %s: %w", task.RedactedURL(), err)
	}
	if err := p.waitSettled(o, redirect); err != nil {
		return StepRedirect, err
	}
	// The browser reached the redirect URL, so the ticket was spent.
	task.markUsed()
	return "", nil
}

// userStateTimeout bounds whyCannotSignIn's user lookup.
const userStateTimeout = 5 * time.Second

// whyCannotSignIn adds to err, Clerk's refusal of a task URL whose user
// cannot sign in, which state of the user is why (banned, locked), as
// the Backend API's user object says; err alone when the lookup fails.
func whyCannotSignIn(ctx context.Context, plan *signInPlan, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), userStateTimeout)
	defer cancel()
	u, lerr := plan.client.User(ctx, plan.wantUser)
	switch {
	case lerr != nil:
		return err
	case u.Banned:
		return fmt.Errorf("%w: %s is banned: unban the user (Clerk Dashboard, or the Backend API's POST /v1/users/{user_id}/unban) or sign in another one", err, u.ID)
	case u.Locked:
		return fmt.Errorf("%w: %s is locked (too many failed sign-in attempts): unlock the user (Clerk Dashboard, or the Backend API's POST /v1/users/{user_id}/unlock), wait for the lockout to end, or sign in another one", err, u.ID)
	}
	return err
}

// routeFrontendAPI sends the Testing Token with every request of the
// context to the instance's Frontend API (named by the publishable key
// and by the task URL's host): the instance's bot protection would
// otherwise refuse an automated browser. Without a token it does
// nothing.
func (p *Page) routeFrontendAPI(token *agenttask.TestingToken, taskURL string) error {
	if token.Value() == "" {
		return nil
	}
	p.setTestingToken(token)
	for _, h := range frontendAPIHosts(p.suite.publishableKey(), taskURL) {
		if err := p.routeTestingToken(h); err != nil {
			return err
		}
	}
	return nil
}

// routeFrontendAPIEarly sets the route of the publishable key's Frontend
// API host before the Testing Token is known (SignIn does it while the
// task is being created); its requests get the token once
// routeFrontendAPI has given it.
func (p *Page) routeFrontendAPIEarly() error {
	return p.routeTestingToken(frontendAPIFromPublishableKey(p.suite.publishableKey()))
}

// frontendAPIHosts are the Frontend API hosts of an instance: from its
// publishable key and from a task URL, when known.
func frontendAPIHosts(publishableKey, taskURL string) []string {
	hosts := []string{frontendAPIFromPublishableKey(publishableKey)}
	if u, err := url.Parse(taskURL); err == nil && u.Host != "" && u.Host != hosts[0] {
		hosts = append(hosts, u.Host)
	}
	return hosts
}

// settleGrace is how long a page that loaded somewhere other than the
// redirect URL gets to move on by itself (a client-side redirect) before
// the sign-in fails there, instead of waiting out its whole timeout.
const settleGrace = time.Second

// waitSettled waits for the page to settle on the redirect URL with
// Clerk's handshake resolved. A page that comes to rest elsewhere (the
// app's sign-in page, another host, the handshake left on the URL)
// fails at once with what that says about the cause.
func (p *Page) waitSettled(o options, redirect *url.URL) error {
	deadline := time.Now().Add(o.timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			left = time.Millisecond
		}
		// Any URL the page could rest on: the target, or not one of
		// Clerk's hops on the way.
		err := p.Page.WaitForURL(func(u string) bool { return settled(u, redirect) || !clerkHop(u, redirect) }, playwright.PageWaitForURLOptions{
			Timeout:   playwright.Float(float64(left.Milliseconds())),
			WaitUntil: playwright.WaitUntilStateCommit,
		})
		at := p.Page.URL()
		if err != nil {
			return fmt.Errorf("the page was still at %s after %s, want %s: %w", redact.URL(at), o.timeout, withoutQuery(redirect), err)
		}
		if settled(at, redirect) {
			return nil
		}
		// Elsewhere: let it load and move on by itself, briefly.
		grace := min(settleGrace, max(time.Until(deadline), time.Millisecond))
		_ = p.Page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{
			State:   playwright.LoadStateLoad,
			Timeout: playwright.Float(float64(max(time.Until(deadline), time.Millisecond).Milliseconds())),
		})
		err = p.Page.WaitForURL(func(u string) bool { return settled(u, redirect) }, playwright.PageWaitForURLOptions{
			Timeout:   playwright.Float(float64(grace.Milliseconds())),
			WaitUntil: playwright.WaitUntilStateCommit,
		})
		if err == nil {
			return nil
		}
		if now := p.Page.URL(); now != at && time.Now().Before(deadline) {
			continue // it moved on: judge where it goes
		}
		return p.diagnoseElsewhere(at, redirect)
	}
}

// clerkHop reports whether raw is a hop of the sign-in on the way to the
// redirect URL: the blank page before it, Clerk's Frontend API (the
// task URL, a handshake). The app's own URLs are not hops, so the wait
// judges them as soon as they load.
func clerkHop(raw string, redirect *url.URL) bool {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || raw == "about:blank" {
		return true
	}
	return u.Host != redirect.Host && strings.HasPrefix(u.Path, "/v1/")
}

// diagnoseElsewhere says why a sign-in's page came to rest at at rather
// than on the redirect URL, from what the cookies show: another host
// name than the one the session was set on, a token the app refused, no
// session cookie at all, or the handshake never resolved.
func (p *Page) diagnoseElsewhere(at string, redirect *url.URL) error {
	shown := redact.URL(at)
	want := withoutQuery(redirect)
	origin := redirect.Scheme + "://" + redirect.Host
	state, _ := readCookieState(p.BrowserContext, origin)
	u, err := url.Parse(at)
	switch {
	case err == nil && sameOriginAndPath(at, redirect) && hasHandshake(at):
		return fmt.Errorf("the page stayed on %s: the app did not resolve Clerk's handshake (its Clerk middleware must read __clerk_handshake, set the session cookies and redirect to the same URL without Clerk's parameters; %s)", shown, goHandshakeHint)
	case err == nil && u.Host != redirect.Host && u.Port() == redirect.Port() && state.token != "":
		return fmt.Errorf("the page ended on %s, host %s, but Clerk signed in %s: cookies belong to a host name, so the app on %s does not see the session: use the host name the app uses (localhost and 127.0.0.1 differ) in %s and RedirectTo", shown, u.Hostname(), redirect.Host, u.Hostname(), config.VarAppURL)
	case err == nil && u.Host != redirect.Host:
		return fmt.Errorf("the page ended on %s, another origin than the redirect URL %s: check where the app redirects after sign-in, and that %s names the app", shown, want, config.VarAppURL)
	case state.token != "":
		p.secrets.Add(state.token)
		who, azp := "a user", ""
		if c, err := decodeSessionToken(state.token); err == nil {
			who = c.Subject
			if c.AuthorizedParty != "" {
				azp = fmt.Sprintf("; its azp is %s, so an app that checks authorized parties must accept that origin (localhost and 127.0.0.1 differ: give %s the host name the app is configured with)", c.AuthorizedParty, config.VarAppURL)
			}
			if c.Issuer != "" {
				azp += fmt.Sprintf("; its iss is %s, so an app that expects another issuer (another Frontend API URL or proxy URL) refuses it", redact.URL(c.Issuer))
			}
		}
		return fmt.Errorf("the app sent the page to %s although it holds a session token for %s, so the app rejected the token (it must verify tokens with this Clerk instance's keys and issuer, its publishable key, JWKS and Frontend API URL, and read the __session cookie%s)", shown, who, azp)
	case state.signedOut:
		return fmt.Errorf("the app sent the page to %s and Clerk says signed out (__client_uat=0): the session ended (revoked, signed out or expired)", shown)
	}
	return fmt.Errorf("the app sent the page to %s, want %s, and no __session cookie reached %s: the app's Clerk middleware must resolve the handshake into the session cookies (%s)", shown, want, origin, goHandshakeHint)
}

// goHandshakeHint points a Go app at the middleware that resolves
// Clerk's handshake, which clerk-sdk-go itself does not.
const goHandshakeHint = "for a Go app on clerk-sdk-go, github.com/agenttest/agenttest/fixtures/clerkhandshake does it; with its Config.Logger set, the app logs why a handshake was refused"

// checkSession waits for the app's session cookie and checks that it is
// the user's, from the task taskID; it names the failed step.
func (p *Page) checkSession(ctx context.Context, o options, plan *signInPlan, taskID string) (sessionClaims, Step, error) {
	redirect := plan.target.Redirect
	p.origin = redirect.Scheme + "://" + redirect.Host
	cctx, cancel := o.stepContext(ctx)
	claims, err := p.waitForSession(cctx, p.origin, "")
	cancel()
	if err != nil {
		return claims, StepCookie, err
	}
	if claims.Subject != plan.wantUser {
		return claims, StepWrongUser, fmt.Errorf("the session token is for %s, want %s", claims.Subject, plan.wantUser)
	}
	switch {
	case claims.Actor == nil || claims.Actor.Type != "agent":
		return claims, StepWrongSession, fmt.Errorf("the session token of %s has no agent act claim, want one from agent task %s: the app holds a sign-in that is not this task's", claims.Subject, taskID)
	case claims.Actor.TaskID != taskID:
		return claims, StepWrongSession, fmt.Errorf("the session token is from agent task %s, want %s: the app holds another sign-in", claims.Actor.TaskID, taskID)
	}
	return claims, "", nil
}

// runChecks runs the caller's WithChecks.
func (p *Page) runChecks(o options, fail func(Step, error) error) error {
	for _, check := range o.checks {
		if err := check(p); err != nil {
			return fail(StepCheck, err)
		}
	}
	return nil
}

// target is whom a task signs in and where it lands.
type target struct{ config.Target }

// fail wraps a step's error of the page's sign-in in a SignInError,
// redacted of the page's secrets and the run's.
func (t target) fail(p *Page) func(Step, error) error {
	sets := []*redact.Set{&p.secrets}
	if p.suite != nil {
		sets = append(sets, &p.suite.secrets)
	}
	return t.failWith(sets...)
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
