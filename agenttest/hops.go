package agenttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// hop is one response of a navigation's redirect chain.
type hop struct {
	url    string
	status int
	resp   playwright.Response // nil when only the status is known
}

// navHops records the main frame's navigation responses while a sign-in
// opens the task URL: the redirect chain hop by hop (Clerk's Frontend
// API, then the app), so a failure can say which hop failed with what
// status, even when Playwright reports only a network error code.
type navHops struct {
	mu   sync.Mutex
	hops []hop
}

// watchHops records the page's navigation responses until stop.
func (p *Page) watchHops() (h *navHops, stop func()) {
	h = &navHops{}
	main := p.Page.MainFrame()
	fn := func(r playwright.Response) {
		req := r.Request()
		if !req.IsNavigationRequest() || req.Frame() != main {
			return
		}
		h.mu.Lock()
		h.hops = append(h.hops, hop{url: r.URL(), status: r.Status(), resp: r})
		h.mu.Unlock()
	}
	p.Page.OnResponse(fn)
	return h, func() { p.Page.RemoveListener("response", fn) }
}

// failed returns the first hop that answered 4xx or 5xx, if any.
func (h *navHops) failed() (hop, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, x := range h.hops {
		if x.status >= 400 {
			return x, true
		}
	}
	return hop{}, false
}

// describe shows the chain, e.g. "Clerk 307 → app 404", each hop named
// by whose it is (the app's origin is redirect's).
func (h *navHops) describe(redirect *url.URL) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	parts := make([]string, 0, len(h.hops))
	for _, x := range h.hops {
		who := "Clerk"
		if sameOrigin(x.url, redirect) {
			who = "app"
		}
		parts = append(parts, fmt.Sprintf("%s %d", who, x.status))
	}
	return strings.Join(parts, " → ")
}

// hopError says which hop of the task URL's navigation failed: the app
// (after Clerk's redirect: the ticket was spent) or Clerk's Frontend
// API (the task was refused); spent reports the first.
func hopError(x hop, redirect *url.URL, chain string, taskURL string) (err error, spent bool) {
	if sameOrigin(x.url, redirect) {
		return fmt.Errorf("the app answered %d at %s after Clerk's redirect (the task was used; hops: %s): check the app's logs for that URL", x.status, appURLShown(x.url, redirect), chain), true
	}
	said := clerkSays(x.resp)
	switch {
	case x.status >= 500:
		return fmt.Errorf("the task URL %s failed at Clerk's Frontend API with %d%s, a server error, not a refusal (hops: %s): retry later; Release revokes the unused task", taskURL, x.status, said, chain), false
	case x.status == 429:
		return fmt.Errorf("the task URL %s was rate-limited by Clerk's Frontend API with 429%s (hops: %s): lower the sign-ins' rate (%s)", taskURL, said, chain, config.VarRateShare), false
	case said != "":
		return fmt.Errorf("the task URL %s was refused by Clerk's Frontend API with %d%s (hops: %s)", taskURL, x.status, said, chain), false
	}
	return fmt.Errorf("the task URL %s was refused by Clerk's Frontend API with %d (the task is used, revoked, expired, or its redirect URL's domain is not the instance's; hops: %s)", taskURL, x.status, chain), false
}

// clerkSays is ": <code>: <message>" for each error of a Frontend API
// error body (Clerk's own words for a refusal: a banned user, a
// redirect URL outside the instance), or "" when resp has none.
func clerkSays(resp playwright.Response) string {
	errs := clerkErrors(resp)
	if len(errs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, e := range errs {
		msg := e.LongMessage
		if msg == "" {
			msg = e.Message
		}
		fmt.Fprintf(&b, ": %s: %s", oneLine(redact.Text(e.Code)), oneLine(redact.Text(strings.TrimSuffix(msg, "."))))
	}
	if s := b.String(); len(s) <= 300 {
		return s
	}
	return b.String()[:300] + "…"
}

// clerkError is one error of a Frontend API error body.
type clerkError struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	LongMessage string `json:"long_message"`
}

// clerkErrors are the errors of a Frontend API error body; none when
// resp has none.
func clerkErrors(resp playwright.Response) []clerkError {
	if resp == nil {
		return nil
	}
	body, err := resp.Body()
	if err != nil {
		return nil
	}
	var wire struct {
		Errors []clerkError `json:"errors"`
	}
	if json.Unmarshal(body, &wire) != nil {
		return nil
	}
	return wire.Errors
}

// saysCannotBeUsed reports whether Clerk refused a task URL because its
// user cannot sign in (agent_task_cannot_be_used: banned or locked).
func saysCannotBeUsed(resp playwright.Response) bool {
	for _, e := range clerkErrors(resp) {
		if e.Code == "agent_task_cannot_be_used" {
			return true
		}
	}
	return false
}

// redirectUnreachable is the navigation's error err said as the hop it
// is when Clerk had accepted the task (a 3xx in the chain) and the
// browser then could not reach the redirect's host: nothing listening
// (the app down), a host that does not resolve, a port Chromium refuses,
// or a listener that never answered within timeout (another server on
// the app's port). It returns nil when err is not such a failure.
func redirectUnreachable(err error, chain []hop, redirect *url.URL, who string, timeout time.Duration) error {
	cause := netError.FindString(err.Error())
	silent := cause == "" && errors.Is(err, playwright.ErrTimeout)
	if silent {
		cause = "no answer within " + timeout.String()
	}
	accepted := false
	for _, x := range chain {
		if x.status >= 300 && x.status < 400 && !sameOrigin(x.url, redirect) {
			accepted = true
		}
	}
	if cause == "" || !accepted {
		return nil
	}
	origin := redirect.Scheme + "://" + redirect.Host
	if next := appRedirectedAway(chain, redirect); next != nil {
		// The app answered, and sent the page on to where nothing answers.
		return &redactedError{
			msg:  fmt.Sprintf("Clerk accepted the task and redirected to %s; the app there sent the page on to %s, which could not be reached (%s; the task was used): check where the app redirects (the URL or port it is configured with), and that %s names the app", redact.URL(withoutQuery(redirect)), redact.URL(withoutQuery(next)), cause, who),
			kind: playwrightKind(err),
		}
	}
	hint := "start it before the tests, or fix " + who
	switch {
	case silent:
		hint = "something accepted the connection on port " + portOf(redirect) + " but sent no response: check that " + who + " names the app's port, and the app's logs"
	case cause == "net::ERR_NAME_NOT_RESOLVED":
		hint = "its host " + redirect.Hostname() + " does not resolve: fix " + who
	case cause == "net::ERR_UNSAFE_PORT":
		hint = "Chromium refuses port " + redirect.Port() + " as unsafe: run the app on another port"
	}
	return &redactedError{
		msg:  fmt.Sprintf("Clerk accepted the task and redirected to %s, but %s could not be reached (%s; the task was used): %s", redact.URL(withoutQuery(redirect)), redact.URL(origin), cause, hint),
		kind: playwrightKind(err),
	}
}

// appRedirectedAway is where the app last redirected the page to, when
// that is another origin than its own; nil when it did not.
func appRedirectedAway(chain []hop, redirect *url.URL) *url.URL {
	for i := len(chain) - 1; i >= 0; i-- {
		x := chain[i]
		if x.status < 300 || x.status >= 400 || x.resp == nil || !sameOrigin(x.url, redirect) {
			continue
		}
		loc, err := x.resp.HeaderValue("location")
		if err != nil || loc == "" {
			return nil
		}
		from, err := url.Parse(x.url)
		if err != nil {
			return nil
		}
		next, err := from.Parse(loc)
		if err != nil || sameOrigin(next.String(), redirect) {
			return nil
		}
		return next
	}
	return nil
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// hopsSeen is a copy of the chain recorded so far.
func (h *navHops) hopsSeen() []hop {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hop(nil), h.hops...)
}

// appURLShown is an app URL for a message: without Clerk's handshake
// parameters (said in words instead), other secrets redacted.
func appURLShown(raw string, redirect *url.URL) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redact.URL(raw)
	}
	if !hasHandshake(raw) {
		return withOwnQuery(redact.URL(raw), u.RawQuery, redirect)
	}
	q := u.Query()
	for _, name := range handshakeParams {
		q.Del(name)
	}
	u.RawQuery = q.Encode()
	return withOwnQuery(redact.URL(u.String()), u.RawQuery, redirect) + " (with Clerk's handshake)"
}

// withOwnQuery is shown, an app URL redacted, with the query parameters
// that the redirect URL itself has (what the test wrote in RedirectTo or
// AGENTTEST_APP_URL) shown as written when rawQuery, the app URL's, has
// them too: they are the test's own, not a secret of Clerk's or the
// app's. A parameter named like a credential stays redacted.
func withOwnQuery(shown, rawQuery string, redirect *url.URL) string {
	if redirect == nil || redirect.RawQuery == "" {
		return shown
	}
	have := "&" + rawQuery + "&"
	for part := range strings.SplitSeq(redirect.RawQuery, "&") {
		key, _, ok := strings.Cut(part, "=")
		if !ok || redact.IsCredentialName(key) || !strings.Contains(have, "&"+part+"&") {
			continue
		}
		for _, sep := range []string{"?", "&"} {
			if i := strings.Index(shown, sep+key+"="+redact.Placeholder); i >= 0 {
				shown = shown[:i+1] + part + shown[i+1+len(key)+1+len(redact.Placeholder):]
				break
			}
		}
	}
	return shown
}
