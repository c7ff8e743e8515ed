package agenttest

import (
	"context"
	"net/http"
	"net/url"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/frontend"
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
func (p *Page) signOut() *frontend.SignOut {
	if p.BrowserContext == nil || p.task == nil {
		return nil
	}
	fapi := frontendOrigin(p.task.URL())
	if fapi == "" {
		return nil
	}
	urls := []string{fapi}
	if p.origin != "" {
		urls = append(urls, p.origin)
	}
	cookies, err := p.BrowserContext.Cookies(urls...)
	if err != nil {
		return nil
	}
	named := make(map[string]string, len(cookies))
	for _, c := range cookies {
		named[c.Name] = c.Value
	}
	p.mu.Lock()
	token := p.testingToken
	p.mu.Unlock()
	return signOutFrom(fapi, p.SessionID(), token, named)
}

// frontendOrigin is the scheme and host of a task URL: its instance's
// Frontend API; "" when it is not a URL.
func frontendOrigin(taskURL string) string {
	u, err := url.Parse(taskURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// signOutFrom names a session by the browser cookies (name → value)
// that identify its client: the __client cookie and the dev browser
// token (__clerk_db_jwt, also with the instance's suffix). It is nil
// when neither is there.
func signOutFrom(fapi, sessionID string, token *agenttask.TestingToken, cookies map[string]string) *frontend.SignOut {
	s := &frontend.SignOut{FrontendAPI: fapi, SessionID: sessionID, TestingToken: token}
	for name, value := range cookies {
		switch {
		case value == "":
		case name == clientCookie:
			s.Client = value
		case isClerkCookie(name, devBrowserCookie):
			s.DevBrowser = value
		}
	}
	if s.Client == "" && s.DevBrowser == "" {
		return nil
	}
	return s
}

// endSession ends a session: on the Frontend API when s names the
// browser it lives on (no Backend API request), otherwise, or when the
// Frontend API refuses, by revoking it through the Backend API with c.
// Either way the session can no longer be used.
func endSession(ctx context.Context, hc *http.Client, c *agenttask.Client, sessionID string, s *frontend.SignOut) error {
	if s != nil && frontend.EndSession(ctx, hc, *s) == nil {
		return nil
	}
	return revokeSession(ctx, c, sessionID)
}
