package agenttest

import (
	"context"
	"net/url"

	"github.com/agenttest/agenttest/agenttest/agenttask"
)

// Clerk's names for the browser on the Frontend API.
const (
	clientCookie     = "__client"       // HttpOnly, on the Frontend API host
	devBrowserCookie = "__clerk_db_jwt" // development: the dev browser token, also on the app's domain
)

// signOut names the page's session the way the Frontend API knows it,
// read from the context's cookies (the __client cookie of the Frontend
// API host, the dev browser token): what ending it there takes. It is
// nil when the cookies cannot be read or name no browser.
func (p *Page) signOut() *agenttask.SignOut {
	if p.BrowserContext == nil || p.Task == nil {
		return nil
	}
	fapi, err := url.Parse(p.Task.URL())
	if err != nil || fapi.Host == "" {
		return nil
	}
	s := &agenttask.SignOut{FrontendAPI: fapi.Scheme + "://" + fapi.Host, SessionID: p.SessionID, TestingToken: p.testingToken}
	urls := []string{s.FrontendAPI}
	if p.origin != "" {
		urls = append(urls, p.origin)
	}
	cookies, err := p.BrowserContext.Cookies(urls...)
	if err != nil {
		return nil
	}
	for _, c := range cookies {
		switch {
		case c.Name == clientCookie && c.Value != "":
			s.Client = c.Value
		case isClerkCookie(c.Name, devBrowserCookie) && c.Value != "":
			s.DevBrowser = c.Value
		}
	}
	if s.Client == "" && s.DevBrowser == "" {
		return nil
	}
	return s
}

// endSession ends the page's session: on the Frontend API when s names
// the browser (no Backend API request), otherwise, or when the Frontend
// API refuses, by revoking it through the Backend API. Either way the
// session can no longer be used.
func (p *Page) endSession(ctx context.Context, s *agenttask.SignOut) error {
	if s != nil && agenttask.EndSession(ctx, p.suite.frontend, *s) == nil {
		return nil
	}
	return revokeSession(ctx, p.client, p.SessionID)
}
