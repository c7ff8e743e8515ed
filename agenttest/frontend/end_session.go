package frontend

import (
	"context"
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

// Names the Frontend API knows a browser by.
const (
	clientCookieName = "__client"       // HttpOnly cookie on the Frontend API host
	devBrowserName   = "__clerk_db_jwt" // development instances: query parameter and cookie
)

// SignOut names one session the way the Frontend API knows it: by the
// browser client it lives on. [EndSession] ends it.
type SignOut struct {
	// FrontendAPI is the Frontend API's origin, e.g. the scheme and host
	// of the task URL that created the session.
	FrontendAPI string
	// SessionID is the session to end ("sess_…").
	SessionID string
	// Client is the value of the browser's __client cookie on the
	// Frontend API host; empty when only DevBrowser is known.
	Client string
	// DevBrowser is the dev browser token (__clerk_db_jwt) of a
	// development instance; empty in production.
	DevBrowser string
	// TestingToken, if not nil, goes with the request as
	// __clerk_testing_token, past the instance's bot protection.
	TestingToken *agenttask.TestingToken
}

// EndSession signs the browser client s names out of its session, as
// clerk-js's session.end() does: POST /v1/client/sessions/{id}/end on the
// Frontend API, authenticated by the client (Client and, in development,
// DevBrowser), not by the secret key. The session becomes ended, which
// no token or handshake can renew, and no Backend API request is spent
// on it: Clerk's Backend API limit (100 requests per 10 s on a
// development instance) stays for creating tasks. A session that had
// already ended, been revoked or expired is done too.
//
// It makes one attempt; a caller that must not leave the session
// behind falls back to [agenttask.Client.RevokeSession] when it fails (the
// Frontend API refused, say because the browser's cookies are gone).
// A nil hc means a plain http.Client. Errors never show the cookie, the
// dev browser token or the Testing Token.
func EndSession(ctx context.Context, hc *http.Client, s SignOut) error {
	op := "end session " + redact.Value(s.SessionID) + " on the Frontend API"
	base, err := url.Parse(s.FrontendAPI)
	switch {
	case s.SessionID == "" || strings.ContainsAny(s.SessionID, "/?#"):
		return fmt.Errorf("%s: no valid session id: pass the id of the session the task URL created", op)
	case err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "":
		return fmt.Errorf("%s: the Frontend API %s is not an http(s) URL: pass the task URL's origin", op, redact.Value(s.FrontendAPI))
	case s.Client == "" && s.DevBrowser == "":
		return fmt.Errorf("%s: neither a __client cookie nor a dev browser token names the browser: read them from its cookies before it closes", op)
	}
	u := url.URL{Scheme: base.Scheme, Host: base.Host, Path: "/v1/client/sessions/" + s.SessionID + "/end"}
	q := url.Values{}
	if s.DevBrowser != "" {
		q.Set(devBrowserName, s.DevBrowser)
	}
	if v := s.TestingToken.Value(); v != "" {
		q.Set(testingTokenParam, v)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%s: build the request: %w", op, err)
	}
	if s.Client != "" {
		req.AddCookie(&http.Cookie{Name: clientCookieName, Value: s.Client})
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		// url.Error quotes the URL, tokens included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: POST %s://%s/v1/client/sessions/…/end: %w", op, base.Scheme, base.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, visitErrorBodyLimit))
	if resp.StatusCode != http.StatusOK {
		apiErr := agenttask.DecodeAPIError(resp.StatusCode, resp.Header, body)
		apiErr.Op = op
		return apiErr
	}
	var answer struct {
		Response struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"response"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Response.ID != s.SessionID {
		return fmt.Errorf("%s: the answer is not the session wrapped as {\"response\": …}", op)
	}
	if answer.Response.Status == "active" {
		return fmt.Errorf("%s: the Frontend API answered 200 but the session is still active", op)
	}
	return nil
}
