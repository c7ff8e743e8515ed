package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/mxschmitt/playwright-go"
)

// clerkJSState is what the page says about clerk-js (window.Clerk): not
// there, or loaded and with whom.
type clerkJSState struct {
	Present bool   `json:"present"`
	Status  string `json:"status"`  // clerk-js's status: ready, degraded, error; "script failed"
	User    string `json:"user"`    // Clerk.user.id, "" signed out
	Session string `json:"session"` // Clerk.session.id, "" signed out
	Script  string `json:"script"`  // the clerk-js script URL that failed to load
}

// clerkJSStateJS polls, in the page, until clerk-js is either absent
// (no window.Clerk and no clerk-js script tag once the document is
// parsed: the page pays one evaluation), loaded, failed, or its script
// failed to load (clerkJSScriptWatchJS saw it). @clerk/react and
// @clerk/nextjs tag the script they add with data-clerk-js-script or
// data-clerk-publishable-key.
const clerkJSStateJS = `() => {
	if (document.readyState === 'loading') return false;
	const c = window.Clerk;
	if (!c) {
		if (window.__agenttestClerkScriptFailed) return { present: true, status: 'script failed', script: window.__agenttestClerkScriptFailed };
		return document.querySelector('script[data-clerk-js-script], script[data-clerk-publishable-key]') ? false : { present: false };
	}
	if (c.status === 'error' || c.status === 'degraded') return { present: true, status: c.status };
	if (!c.loaded) return false;
	return { present: true, status: c.status || 'ready', user: c.user ? c.user.id : '', session: c.session ? c.session.id : '' };
}`

// clerkJSScriptWatchJS runs first in every document of the page: it
// notes the URL of a clerk-js script tag that failed to load (a 404,
// TLS, a refused connection), which no other record keeps.
const clerkJSScriptWatchJS = `const clerkJSScripts = 'script[data-clerk-js-script], script[data-clerk-publishable-key]';
addEventListener('error', (e) => {
	const t = e.target;
	if (t && t.tagName === 'SCRIPT' && (t.matches(clerkJSScripts) || /\/@clerk\/clerk-js@/.test(t.src))) window.__agenttestClerkScriptFailed = t.src;
}, true);`

// watchClerkJS prepares the page for clerk-js: it notes a clerk-js
// script that fails to load (see waitClerkJS) and, for an emulated
// instance, routes its Frontend API host (see mapFrontendAPI).
func (p *Page) watchClerkJS() error {
	if err := p.BrowserContext.AddInitScript(playwright.Script{Content: playwright.String(clerkJSScriptWatchJS)}); err != nil {
		return fmt.Errorf("agenttest: watch clerk-js in the page: %w", err)
	}
	return p.mapFrontendAPI()
}

// waitClerkJS waits, when the page has clerk-js, until it has loaded and
// holds userID's session sessionID, so that a test never races its first
// render. A page without clerk-js returns after one evaluation. One
// whose clerk-js failed, or loaded signed out or as someone else, fails
// with what it holds and the Frontend API request that failed, if one
// did.
func (p *Page) waitClerkJS(o options, userID, sessionID string) error {
	h, err := p.Page.WaitForFunction(clerkJSStateJS, nil, playwright.PageWaitForFunctionOptions{
		Timeout: playwright.Float(float64(o.timeout.Milliseconds())),
	})
	if err != nil {
		if errors.Is(err, playwright.ErrTimeout) {
			return fmt.Errorf("clerk-js in the page did not load within %s%s", o.timeout, p.clerkJSFailure(""))
		}
		return fmt.Errorf("wait for clerk-js in the page: %w", err)
	}
	v, err := h.JSONValue()
	_ = h.Dispose()
	if err != nil {
		return fmt.Errorf("read clerk-js's state in the page: %w", err)
	}
	st := decodeClerkJSState(v)
	switch {
	case !st.Present:
		return nil
	case st.Status == "script failed":
		return fmt.Errorf("clerk-js in the page did not load: its script %s failed to load%s%s", redactedPageURL(st.Script), httpsProxyHint(st.Script), p.clerkJSFailure(st.Script))
	case st.Status == "error" || st.Status == "degraded":
		return fmt.Errorf("clerk-js in the page loaded with status %q%s", st.Status, p.clerkJSFailure(""))
	case st.User == "":
		return fmt.Errorf("clerk-js in the page loaded signed out, while the app's cookie is %s's session %s%s", userID, sessionID, p.clerkJSFailure(""))
	case st.User != userID || st.Session != sessionID:
		return fmt.Errorf("clerk-js in the page holds %s's session %s, want %s's %s", st.User, st.Session, userID, sessionID)
	}
	return nil
}

// decodeClerkJSState reads clerkJSStateJS's answer.
func decodeClerkJSState(v any) clerkJSState {
	m, _ := v.(map[string]any)
	str := func(k string) string { s, _ := m[k].(string); return s }
	present, _ := m["present"].(bool)
	return clerkJSState{Present: present, Status: str("status"), User: str("user"), Session: str("session"), Script: str("script")}
}

// httpsProxyHint explains a clerk-js script asked for over https from a
// loopback address: what @clerk/react and @clerk/nextjs make of an http
// proxy URL; "" for other URLs.
func httpsProxyHint(script string) string {
	u, err := url.Parse(script)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	if ip := net.ParseIP(u.Hostname()); (ip == nil || !ip.IsLoopback()) && u.Hostname() != "localhost" {
		return ""
	}
	return " (Clerk's SDKs load clerk-js over https from an http proxy URL's host: give the app the script's http URL, e.g. NEXT_PUBLIC_CLERK_JS_URL)"
}

// failedFrontendAPIJS lists the page's Frontend API requests (paths
// under /v1/ and /npm/ of hosts) that answered 400 or more, or no
// status: the path and the status, never the query (it carries the dev
// browser token).
const failedFrontendAPIJS = `(hosts) => performance.getEntriesByType('resource').flatMap((e) => {
	let u;
	try { u = new URL(e.name); } catch { return []; }
	if (!hosts.includes(u.host) || !/^\/(v1|npm)\//.test(u.pathname)) return [];
	if (e.responseStatus > 0 && e.responseStatus < 400) return [];
	return [u.host + u.pathname + (e.responseStatus ? ' answered ' + e.responseStatus : ' got no response (network or CORS)')];
})`

// clerkJSFailure is ": " and the first Frontend API request of the page
// that failed (other than the URL known, already named), and clerk-js's
// last console error, "" when there is neither.
func (p *Page) clerkJSFailure(known string) string {
	var parts []string
	hosts := frontendAPIHosts(p.suite.publishableKey(), "")
	if p.task != nil {
		hosts = frontendAPIHosts(p.suite.publishableKey(), p.task.URL())
	}
	if u := p.suite.emulatedFrontendAPI(); u != nil {
		hosts = append(hosts, u.Host)
	}
	if v, err := p.Page.Evaluate(failedFrontendAPIJS, hosts); err == nil {
		list, _ := v.([]any)
		for _, f := range list {
			if line, _ := f.(string); known == "" || !strings.HasPrefix(line, strings.TrimPrefix(strings.TrimPrefix(redactedPageURL(known), "https://"), "http://")+" ") {
				parts = append(parts, "the Frontend API request "+line)
				break
			}
		}
	}
	if line := lastClerkConsoleError(p.console.String()); line != "" {
		parts = append(parts, "clerk-js said "+strings.TrimPrefix(line, "error: "))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + p.secrets.String(strings.Join(parts, "; "))
}

// lastClerkConsoleError is the last console error of the log that
// names Clerk, "" when none does.
func lastClerkConsoleError(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "error: ") && strings.Contains(lines[i], "Clerk") {
			return lines[i]
		}
	}
	return ""
}

// ClerkSignInParams say how [Page.ClerkSignIn] signs in, as
// @clerk/testing's clerk.signIn signInParams do.
type ClerkSignInParams struct {
	// Strategy is "password" or "email_code".
	Strategy string
	// Identifier is the user's email address (or username, for a
	// password). For "email_code" it must be a test address
	// (name+clerk_test@…): the code is Clerk's development code, 424242.
	Identifier string
	// Password is the user's password, for "password".
	Password string
}

// clerkTestEmailCode is the code Clerk's development instances accept
// for a test email address (+clerk_test).
const clerkTestEmailCode = "424242"

// clerkSignInJS signs in through clerk-js in the page, as
// @clerk/testing's clerk.signIn does, and returns the new session's user
// and id.
const clerkSignInJS = `async ({ strategy, identifier, password, code }) => {
	const c = window.Clerk;
	if (!c || !c.loaded) throw new Error('clerk-js is not loaded in the page');
	let si;
	if (strategy === 'password') {
		si = await c.client.signIn.create({ strategy, identifier, password });
	} else {
		si = await c.client.signIn.create({ identifier });
		const f = (si.supportedFirstFactors || []).find((f) => f.strategy === 'email_code');
		if (!f) throw new Error('the user has no email_code first factor');
		await si.prepareFirstFactor({ strategy: 'email_code', emailAddressId: f.emailAddressId });
		si = await si.attemptFirstFactor({ strategy: 'email_code', code });
	}
	if (si.status !== 'complete') throw new Error('the sign-in ended ' + si.status + ', not complete');
	const created = si.createdSessionId;
	try {
		await c.setActive({ session: created });
	} catch (e) {
		return { created, error: String((e && e.message) || e) };
	}
	return { created, user: c.user ? c.user.id : '', session: c.session ? c.session.id : '' };
}`

// ClerkSignIn signs the page in through clerk-js in the page, with a
// password or an email code and no Agent Task, as @clerk/testing's
// clerk.signIn does: for tests of a sign-in UI itself. The page must be
// on a page of the app that loaded clerk-js. The session is the page's:
// [Page.Release] revokes it, as a task's.
func (p *Page) ClerkSignIn(ctx context.Context, params ClerkSignInParams) error {
	if p.Page == nil {
		return errors.New("agenttest: clerk sign in: the page was not opened: use agenttest.NewPage, agenttest.Open or Browser.NewPage")
	}
	switch params.Strategy {
	case "password":
		if params.Password == "" {
			return errors.New("agenttest: clerk sign in: ClerkSignInParams.Password is empty for strategy password")
		}
	case "email_code":
		if !strings.Contains(params.Identifier, "+clerk_test@") {
			return fmt.Errorf("agenttest: clerk sign in: %q is not a test email address (name+clerk_test@…), which alone takes Clerk's development code", params.Identifier)
		}
	default:
		return fmt.Errorf("agenttest: clerk sign in: ClerkSignInParams.Strategy is %q; want password or email_code", params.Strategy)
	}
	if params.Identifier == "" {
		return errors.New("agenttest: clerk sign in: ClerkSignInParams.Identifier is empty")
	}
	client := p.opts.client
	if client == nil {
		c, err := p.suite.defaultClient()
		if err != nil {
			return fmt.Errorf("agenttest: clerk sign in: %w", err)
		}
		client = c
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("agenttest: clerk sign in: %w", err)
	}
	p.secrets.Add(params.Password)
	if _, err := p.Page.WaitForFunction(`() => window.Clerk && window.Clerk.loaded`, nil); err != nil {
		return fmt.Errorf("agenttest: clerk sign in: clerk-js did not load in the page at %s%s", redactedPageURL(p.Page.URL()), p.clerkJSFailure(""))
	}
	v, err := p.Page.Evaluate(clerkSignInJS, map[string]any{
		"strategy": params.Strategy, "identifier": params.Identifier, "password": params.Password, "code": clerkTestEmailCode,
	})
	if err != nil {
		return fmt.Errorf("agenttest: clerk sign in as %s: %s%s", params.Identifier, p.secrets.String(err.Error()), p.clerkJSFailure(""))
	}
	st := decodeClerkJSState(v)
	m, _ := v.(map[string]any)
	created, _ := m["created"].(string)
	jsErr, _ := m["error"].(string)
	if created != "" {
		// Clerk made the session: the page owns it from here, like a
		// task's, whatever happens next. Release ends it (a page signed
		// in before keeps that session to end), and so does an early end
		// of the run; the ledger keeps it for a sweep.
		p.ownClerkSession(created, st.User, client)
	}
	switch {
	case jsErr != "":
		return fmt.Errorf("agenttest: clerk sign in as %s: setActive: %s%s", params.Identifier, p.secrets.String(jsErr), p.clerkJSFailure(""))
	case st.Session == "" || st.Session != created:
		return fmt.Errorf("agenttest: clerk sign in as %s: clerk-js holds no session after setActive%s", params.Identifier, p.clerkJSFailure(""))
	}
	return nil
}

// ownClerkSession makes session id, which a sign-in through clerk-js
// made, the page's: in the run's in-flight set and, when its user is
// known, the ledger.
func (p *Page) ownClerkSession(id, userID string, client *agenttask.Client) {
	sess := &session{id: id, userID: userID, client: client, frontend: p.suite.frontend, kind: ownedSession, ledger: p.suite.ledger(client)}
	if r, err := currentRun(); err == nil {
		r.inflight.addSession(sess)
		sess.untrack = func() { r.inflight.removeSession(sess) }
	}
	if userID != "" {
		_ = sess.ledger.Session(id, "", userID)
	}
	p.retireSession()
	p.client = client
	p.session = sess
}

// redactedPageURL is a page URL without its user information, query and
// fragment, which may carry credentials and Clerk's tokens.
func redactedPageURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
