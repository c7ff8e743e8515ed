package agenttest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// hop is one response of a navigation's redirect chain.
type hop struct {
	url    string
	status int
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
		h.hops = append(h.hops, hop{url: r.URL(), status: r.Status()})
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
		return fmt.Errorf("the app answered %d at %s after Clerk's redirect (the task was used; hops: %s): check the app's logs for that URL", x.status, appURLShown(x.url), chain), true
	}
	return fmt.Errorf("the task URL %s was refused by Clerk's Frontend API with %d (the task is used, revoked, expired, or its redirect URL's domain is not the instance's; hops: %s)", taskURL, x.status, chain), false
}

// appURLShown is an app URL for a message: without Clerk's handshake
// parameters (said in words instead), other secrets redacted.
func appURLShown(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redact.URL(raw)
	}
	if !hasHandshake(raw) {
		return redact.URL(raw)
	}
	q := u.Query()
	for _, name := range handshakeParams {
		q.Del(name)
	}
	u.RawQuery = q.Encode()
	return redact.URL(u.String()) + " (with Clerk's handshake)"
}
