package agenttest

import (
	"context"
	"net/http"
	"net/url"
	"sync"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/frontend"
	"github.com/agenttest/agenttest/agenttest/ledger"
)

// session is a Clerk session a sign-in made: who, through which task and
// client, whose it is to end, and how. A page, a shared sign-in or a
// signed-in client holds it. It is registered once, when made (the
// run's in-flight set, the ledger), and ended once.
type session struct {
	id     string
	userID string
	client *agenttask.Client
	task   *Task
	// frontend sends the Frontend API's sign-out (nil: the default
	// client).
	frontend *http.Client
	// ledger records the session until it ends (nil-safe).
	ledger *ledger.Ledger

	mu   sync.Mutex
	kind sessionKind
	// signOut names the session on the Frontend API (nil: end it
	// through the Backend API).
	signOut *frontend.SignOut
	untrack func() // forgets it in the run's in-flight set
	ended   bool
}

// sessionKind says whose a session is to end.
type sessionKind int

const (
	// ownedSession: its holder (a page, a client) ends it.
	ownedSession sessionKind = iota
	// keptSession: KeepSession; nobody ends it, it expires.
	keptSession
	// sharedSession: ReuseSignIn; the run ends it when the binary ends.
	sharedSession
)

// newSession registers the session a task made: in the run's in-flight
// set (unless kept), so an early end revokes it; as the task's no longer
// (the task's cleanup stops looking it up); and in the ledger, as open,
// or closed when kept (no sweep revokes it).
func newSession(id, userID string, task *Task, kind sessionKind, frontend *http.Client) *session {
	s := &session{id: id, userID: userID, client: task.client, task: task, kind: kind, frontend: frontend, ledger: task.ledger}
	if kind != keptSession {
		if r, err := currentRun(); err == nil {
			r.inflight.addSession(s)
			s.untrack = func() { r.inflight.removeSession(s) }
		}
	}
	task.keepSession()
	if kind == keptSession {
		_ = task.ledger.Closed(task.ID)
	} else {
		_ = task.ledger.Session(id, task.ID, task.userID)
	}
	return s
}

// sessionID and user are the session's id and user; "" for nil (no
// sign-in yet).
func (s *session) sessionID() string {
	if s == nil {
		return ""
	}
	return s.id
}

func (s *session) user() string {
	if s == nil {
		return ""
	}
	return s.userID
}

// is reports whether the session is of kind k; false for nil.
func (s *session) is(k sessionKind) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kind == k
}

// share hands the session to the run (ReuseSignIn): its holder no
// longer ends it.
func (s *session) share(signOut *frontend.SignOut) {
	s.mu.Lock()
	s.kind, s.signOut = sharedSession, signOut
	s.mu.Unlock()
}

// end ends the session, once: on the Frontend API by signOut, when
// given (the holder's browser cookies), or by the one the session
// holds, else through the Backend API; it closes the session in the
// ledger and forgets it in the in-flight set. A kept session is left
// alive. Safe on nil.
func (s *session) end(ctx context.Context, signOut *frontend.SignOut) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	if s.ended || s.kind == keptSession {
		s.mu.Unlock()
		return nil
	}
	s.ended = true
	if signOut == nil {
		signOut = s.signOut
	}
	untrack := s.untrack
	s.mu.Unlock()
	if untrack != nil {
		defer untrack()
	}
	if err := endSession(ctx, s.frontend, s.client, s.id, signOut); err != nil {
		return err
	}
	_ = s.ledger.Closed(s.id)
	return nil
}

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
