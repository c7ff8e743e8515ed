package frontend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/redact"
)

// ErrNoHandshakeSession is matched by a [VisitTask] error when the
// Frontend API accepted the task URL (the ticket is spent and a session
// exists) but its redirect carried no session token VisitTask can read:
// a handshake nonce instead of a signed handshake, say. Find the session
// with [agenttask.Client.TaskSessions] then.
var ErrNoHandshakeSession = errors.New("the redirect carries no readable handshake session token")

// Clerk's names in the task URL's answer and on the Frontend API.
const (
	handshakeName       = "__clerk_handshake"     // query parameter (development) or cookie (production)
	sessionCookieName   = "__session"             // a handshake directive's cookie, also __session_<suffix>
	testingTokenParam   = "__clerk_testing_token" // lets a request past bot protection
	visitErrorBodyLimit = 64 << 10
)

// VisitTask opens task's URL once with hc, as a browser's first request
// would, but does not follow the Frontend API's redirect into the app:
// the visit itself creates the session (Clerk answers 307 to the task's
// redirect URL with a handshake). It returns the session token the
// handshake carries (in development in the redirect's __clerk_handshake
// query parameter, in production in a __clerk_handshake cookie), from
// which the session id is read. testingToken, if not nil, goes with the
// visit as __clerk_testing_token, past the instance's bot protection.
//
// A task URL is single-use: VisitTask never retries, and a task it
// visited is spent unless the error is an [*APIError] (Clerk refused
// the ticket and changed nothing). The handshake is read without
// verifying its signature: it comes from the instance's Frontend API,
// and the token it holds is verified by the app that receives it. A nil
// hc means a plain http.Client; VisitTask uses a copy that does not
// follow redirects. Errors show the task id and the URL redacted, never
// the ticket or the handshake.
func VisitTask(ctx context.Context, hc *http.Client, task *agenttask.Task, testingToken *agenttask.TestingToken) (*agenttask.SessionToken, error) {
	if task == nil || task.URL() == "" {
		return nil, errors.New("visit task: no task URL: pass the task Client.Create returned (a revoked task's answer has none)")
	}
	op := "visit task " + redact.Value(task.ID)
	u, err := url.Parse(task.URL())
	if err != nil {
		return nil, fmt.Errorf("%s: the task URL %s is not a URL", op, task.RedactedURL())
	}
	if v := testingToken.Value(); v != "" {
		q := u.Query()
		q.Set(testingTokenParam, v)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: build the request for %s", op, task.RedactedURL())
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		// url.Error quotes the URL, ticket included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: GET %s (the ticket may be spent; do not retry it): %w", op, task.RedactedURL(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, visitErrorBodyLimit))
		apiErr := agenttask.DecodeAPIError(resp.StatusCode, resp.Header, body)
		apiErr.Op = op + ": the Frontend API refused the task URL"
		if resp.StatusCode < 300 {
			apiErr.Op = op + ": the Frontend API answered without a redirect"
		}
		return nil, apiErr
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, visitErrorBodyLimit))
	tok, err := handshakeSessionToken(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: %d redirect: %w", op, resp.StatusCode, err)
	}
	return tok, nil
}

// handshakeSessionToken reads the session token from the handshake of
// the task URL's redirect.
func handshakeSessionToken(resp *http.Response) (*agenttask.SessionToken, error) {
	var jwt string
	if loc, err := resp.Location(); err == nil {
		jwt = loc.Query().Get(handshakeName)
	}
	if jwt == "" {
		for _, c := range resp.Cookies() {
			if c.Name == handshakeName && c.Value != "" {
				jwt = c.Value
			}
		}
	}
	if jwt == "" {
		return nil, fmt.Errorf("no %s in its Location or cookies: %w", handshakeName, ErrNoHandshakeSession)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("the handshake is not a JWT: %w", ErrNoHandshakeSession)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	var hs struct {
		Handshake []string `json:"handshake"`
	}
	if err != nil || json.Unmarshal(payload, &hs) != nil {
		return nil, fmt.Errorf("the handshake's payload is not {\"handshake\": [cookies]}: %w", ErrNoHandshakeSession)
	}
	for _, d := range hs.Handshake {
		c, err := http.ParseSetCookie(d)
		if err != nil || c.Value == "" || (c.Name != sessionCookieName && !strings.HasPrefix(c.Name, sessionCookieName+"_")) {
			continue
		}
		tok, err := agenttask.ParseSessionToken(c.Value)
		if err != nil {
			return nil, fmt.Errorf("the handshake's %s cookie: %w", c.Name, err)
		}
		return tok, nil
	}
	return nil, fmt.Errorf("the handshake sets no %s cookie: %w", sessionCookieName, ErrNoHandshakeSession)
}
