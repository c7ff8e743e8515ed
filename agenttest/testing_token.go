package agenttest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/mxschmitt/playwright-go"
)

// testingTokenParam is the query parameter Clerk's Frontend API reads a
// Testing Token from.
const testingTokenParam = "__clerk_testing_token"

// testingTokenMargin is how long before its expiry a Testing Token is
// replaced: a context opened now may make Frontend API requests for a
// while.
const testingTokenMargin = 2 * time.Minute

// testingToken returns the Testing Token for c's instance:
// CLERK_TESTING_TOKEN when set, else one created through c, once per
// client and suite and again shortly before it expires.
func (s *suite) testingToken(ctx context.Context, c *agenttask.Client) (*agenttask.TestingToken, error) {
	if v, ok := s.env.Lookup(config.VarTestingToken); ok && strings.TrimSpace(v) != "" {
		s.secrets.Add(strings.TrimSpace(v))
		return agenttask.NewTestingToken(strings.TrimSpace(v), time.Time{}), nil
	}
	in := s.instance(c)
	for {
		in.tokenMu.Lock()
		if t := in.token; t != nil && (t.ExpiresAt.IsZero() || time.Until(t.ExpiresAt) > testingTokenMargin) {
			in.tokenMu.Unlock()
			return t, nil
		}
		if f := in.flight; f != nil {
			// Another sign-in is asking: wait for its answer, or give up
			// with this caller's own context.
			in.tokenMu.Unlock()
			select {
			case <-f.done:
				if errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded) {
					continue // the asker's own context ended: ask ourselves
				}
				return f.t, f.err // Clerk's answer, the same for every asker
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		f := &tokenFlight{done: make(chan struct{})}
		in.flight = f
		in.tokenMu.Unlock()

		f.t, f.err = c.CreateTestingToken(ctx)
		in.tokenMu.Lock()
		in.flight = nil
		if f.err == nil {
			in.token = f.t
			s.secrets.Add(f.t.Value())
		}
		in.tokenMu.Unlock()
		close(f.done)
		return f.t, f.err
	}
}

// tokenFlight is one Testing Token request; done is closed once t or err
// is set.
type tokenFlight struct {
	done chan struct{}
	t    *agenttask.TestingToken
	err  error
}

// frontendAPIFromPublishableKey returns the Frontend API host a
// publishable key names (pk_test_ or pk_live_ + base64 of "host$"), as
// Clerk's SDKs decode it, or "" when key is not one.
func frontendAPIFromPublishableKey(key string) string {
	rest, ok := strings.CutPrefix(key, "pk_test_")
	if !ok {
		if rest, ok = strings.CutPrefix(key, "pk_live_"); !ok {
			return ""
		}
	}
	rest = strings.TrimRight(rest, "=")
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(rest); err != nil {
			return ""
		}
	}
	host, ok := strings.CutSuffix(string(b), "$")
	if !ok || host == "" || strings.ContainsAny(host, "/?#@ ") {
		return ""
	}
	return host
}

// setTestingToken makes token the one the page's Frontend API requests
// carry (see routeTestingToken).
func (p *Page) setTestingToken(token *agenttask.TestingToken) {
	if token.Value() == "" {
		return
	}
	p.secrets.Add(token.Value())
	p.mu.Lock()
	p.testingToken = token
	p.mu.Unlock()
}

// currentTestingToken is the Testing Token the page's Frontend API
// requests carry now, "" before one is set.
func (p *Page) currentTestingToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.testingToken.Value()
}

// routeTestingToken adds the page's Testing Token (setTestingToken) to
// every request of the page's context to the Frontend API on host (any
// scheme, paths under /v1/), as @clerk/testing does. The route continues
// each request once, so a task URL is still fetched exactly once; one
// that already carries a token, or made before the page has one, goes
// on unchanged. Routes are set per host, once.
func (p *Page) routeTestingToken(host string) error {
	if host == "" || p.BrowserContext == nil {
		return nil
	}
	p.mu.Lock()
	if p.fapiRouted == nil {
		p.fapiRouted = map[string]bool{}
	}
	done := p.fapiRouted[host]
	p.fapiRouted[host] = true
	p.mu.Unlock()
	if done {
		return nil
	}
	// A regexp, not a func: the driver matches it, so only Frontend API
	// requests make the round trip to Go.
	pattern := regexp.MustCompile(`^https?://` + regexp.QuoteMeta(host) + `/v1/`)
	err := p.BrowserContext.Route(pattern, func(route playwright.Route) {
		raw := route.Request().URL()
		if next := withTestingToken(raw, p.currentTestingToken()); next != raw {
			_ = route.Continue(playwright.RouteContinueOptions{URL: playwright.String(next)})
			return
		}
		_ = route.Continue()
	})
	if err != nil {
		return fmt.Errorf("route the Frontend API %s through the testing token: %w", host, err)
	}
	return nil
}

// withTestingToken is a Frontend API URL with the Testing Token added,
// as the context's route adds it (see routeTestingToken); raw itself
// when there is no token or it is not a URL.
func withTestingToken(raw, token string) string {
	if token == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.Query().Get(testingTokenParam) != "" {
		return raw
	}
	// Appended, the URL's own parameters kept as they are and first.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += testingTokenParam + "=" + url.QueryEscape(token)
	return u.String()
}
