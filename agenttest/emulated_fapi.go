package agenttest

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/mxschmitt/playwright-go"
)

// emulatedFrontendAPI is the Frontend API of an emulated instance: the
// proxy URL (CLERK_PROXY_URL, else CLERK_FRONTEND_API_URL) when it is
// plain http on loopback, as the Clerk emulator prints it; nil for a real
// instance, whose publishable key's host is reached as it is.
func (s *suite) emulatedFrontendAPI() *url.URL {
	for _, name := range []string{config.VarProxyURL, config.VarFrontendAPIURL} {
		v, _ := s.env.Lookup(name)
		u, err := url.Parse(strings.TrimSpace(v))
		if err != nil || u.Scheme != "http" || u.Host == "" {
			continue
		}
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return u
		}
	}
	return nil
}

// mapFrontendAPI sends the page's requests to https://<the publishable
// key's Frontend API host> to the emulated instance's Frontend API
// (emulatedFrontendAPI), so that an app configured with only its two
// keys, as in production, loads clerk-js and talks to the emulator as it
// would to Clerk. Each request is made once, redirects not followed
// (the browser follows them), and answered with the emulator's answer;
// requests under /v1/ carry the page's Testing Token, as
// routeTestingToken adds it to a Frontend API reached directly. Nothing
// is routed for a real instance.
func (p *Page) mapFrontendAPI() error {
	to := p.suite.emulatedFrontendAPI()
	host := frontendAPIFromPublishableKey(p.suite.publishableKey())
	if to == nil || host == "" || host == to.Host || p.BrowserContext == nil {
		return nil
	}
	p.mu.Lock()
	if p.fapiRouted == nil {
		p.fapiRouted = map[string]bool{}
	}
	// This route adds the Testing Token itself: routeTestingToken leaves
	// the host alone.
	p.fapiRouted[host] = true
	p.mu.Unlock()
	pattern := regexp.MustCompile(`^https://` + regexp.QuoteMeta(host) + `/`)
	err := p.BrowserContext.Route(pattern, func(route playwright.Route) {
		target, ok := emulatedURL(route.Request().URL(), to)
		if !ok {
			_ = route.Abort("failed")
			return
		}
		if strings.HasPrefix(strings.TrimPrefix(target, to.String()), "/v1/") {
			target = withTestingToken(target, p.currentTestingToken())
		}
		resp, err := route.Fetch(playwright.RouteFetchOptions{URL: &target, MaxRedirects: playwright.Int(0)})
		if err != nil {
			_ = route.Abort("failed")
			return
		}
		_ = route.Fulfill(playwright.RouteFulfillOptions{Response: resp})
	})
	if err != nil {
		return fmt.Errorf("agenttest: route the Frontend API %s to the emulator at %s: %w", host, to.Host, err)
	}
	return p.followAppRedirects(host, to)
}

// followAppRedirects routes the page's navigations to the app
// (AGENTTEST_APP_URL's origin): a route sees only the first URL of a
// redirect chain, so the app's redirect to https://host (Clerk's
// handshake) would leave mapFrontendAPI's route unasked. Such a
// navigation is made by the route, and a redirect to host answered by
// the emulator's answer to it (a redirect back to the app, normally).
// Other requests go on unchanged.
func (p *Page) followAppRedirects(host string, to *url.URL) error {
	app, err := url.Parse(p.appURL)
	if err != nil || app.Host == "" {
		return nil
	}
	pattern := regexp.MustCompile(`^` + regexp.QuoteMeta(app.Scheme+"://"+app.Host) + `/`)
	err = p.BrowserContext.Route(pattern, func(route playwright.Route) {
		if !route.Request().IsNavigationRequest() {
			_ = route.Fallback()
			return
		}
		resp, err := route.Fetch(playwright.RouteFetchOptions{MaxRedirects: playwright.Int(0)})
		if err != nil {
			_ = route.Abort("failed")
			return
		}
		loc := resp.Headers()["location"]
		if resp.Status() >= 300 && resp.Status() < 400 && strings.HasPrefix(loc, "https://"+host+"/") {
			if target, ok := emulatedURL(loc, to); ok {
				target = withTestingToken(target, p.currentTestingToken())
				if next, err := route.Fetch(playwright.RouteFetchOptions{URL: &target, MaxRedirects: playwright.Int(0)}); err == nil {
					resp = next
				}
			}
		}
		_ = route.Fulfill(playwright.RouteFulfillOptions{Response: resp})
	})
	if err != nil {
		return fmt.Errorf("agenttest: route the app %s's redirects to the emulated Frontend API: %w", app.Host, err)
	}
	return nil
}

// emulatedURL is raw (a URL on the publishable key's host) on the
// emulator's Frontend API to: its scheme and host, to's path before
// raw's path, raw's query kept.
func emulatedURL(raw string, to *url.URL) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u.Scheme, u.Host = to.Scheme, to.Host
	u.Path = strings.TrimRight(to.Path, "/") + u.Path
	u.RawPath = ""
	return u.String(), true
}
