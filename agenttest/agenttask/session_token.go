package agenttask

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/agenttest/agenttest/internal/clerkid"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/clerk/clerk-sdk-go/v2"
)

// SessionToken is a Clerk session token (a JWT, 60 s by default) for one
// session: what an app's Clerk middleware verifies from the __session
// cookie or an "Authorization: Bearer" header. It is a credential: only
// [SessionToken.Value] returns it; every fmt verb, slog and JSON show it
// redacted.
//
// The other fields are read from the token's claims without verifying
// its signature: the token came from the instance's own API, and the app
// under test verifies it.
type SessionToken struct {
	// SessionID is the sid claim, the session (sess_…) the token is for.
	SessionID string
	// UserID is the sub claim, the signed-in user (user_…).
	UserID string
	// ActorTaskID is act.task_id: the Agent Task whose URL created the
	// session; empty for a session without an agent actor.
	ActorTaskID string
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time

	value func() string // a closure, so reflection cannot print it
}

// Value returns the token itself: send it to the app only.
func (t *SessionToken) Value() string {
	if t == nil || t.value == nil {
		return ""
	}
	return t.value()
}

// String describes the token without its value.
func (t *SessionToken) String() string {
	if t == nil {
		return "agenttask.SessionToken(nil)"
	}
	return "agenttask.SessionToken{" + redact.Placeholder + ", session " + t.SessionID +
		", expires " + t.ExpiresAt.UTC().Format(time.RFC3339) + "}"
}

// Format makes every fmt verb print [SessionToken.String].
func (t *SessionToken) Format(f fmt.State, verb rune) { redact.Format(f, verb, t.String()) }

// LogValue implements slog.LogValuer without the value.
func (t *SessionToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON encodes the token redacted.
func (t *SessionToken) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// sessionTokenClaims are the claims SessionToken reads.
type sessionTokenClaims struct {
	Sub string `json:"sub"`
	Sid string `json:"sid"`
	Exp int64  `json:"exp"`
	Act *struct {
		TaskID string `json:"task_id"`
	} `json:"act"`
}

// ParseSessionToken reads a session token's claims, without verifying
// its signature (see [SessionToken]). It fails on anything that is not a
// JWT with sub, sid and exp claims; the error never contains the token.
func ParseSessionToken(jwt string) (*SessionToken, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT (want three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("the JWT payload is not base64url")
	}
	var c sessionTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, errors.New("the JWT payload is not a JSON object of claims")
	}
	if c.Sub == "" || c.Sid == "" || c.Exp <= 0 {
		return nil, errors.New("the JWT lacks a sub, sid or exp claim: it is not a Clerk session token")
	}
	t := &SessionToken{SessionID: c.Sid, UserID: c.Sub, ExpiresAt: time.Unix(c.Exp, 0), value: func() string { return jwt }}
	if c.Act != nil {
		t.ActorTaskID = c.Act.TaskID
	}
	return t, nil
}

// SessionToken mints a fresh session token for an active session
// (POST /v1/sessions/{id}/tokens), valid for the instance's session
// token lifetime (60 s by default). A session that is not active
// (revoked, ended, expired) or unknown gives an [*APIError] with status
// 404.
func (c *Client) SessionToken(ctx context.Context, sessionID string) (*SessionToken, error) {
	op, err := clerkid.Op("create session token", "session", sessionID)
	if err != nil {
		return nil, err
	}
	path, err := clerk.JoinPath("/sessions", sessionID, "tokens")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	raw, err := c.call(ctx, op, clerk.NewAPIRequest(http.MethodPost, path))
	if err != nil {
		return nil, err
	}
	var wire struct {
		Object string `json:"object"`
		JWT    string `json:"jwt"`
	}
	if err := raw.decodeJSON(&wire); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkObject(wire.Object, "token"); err != nil {
		return nil, fmt.Errorf("%s: %w (%s)", op, err, raw.describe())
	}
	if wire.JWT == "" {
		return nil, fmt.Errorf("%s: the response has no jwt (%s)", op, raw.describe())
	}
	t, err := ParseSessionToken(wire.JWT)
	if err != nil {
		return nil, fmt.Errorf("%s: the answer's jwt: %w (%s)", op, err, raw.describe())
	}
	if t.SessionID != sessionID {
		return nil, fmt.Errorf("%s: the token is for session %s, not the one asked for (%s)", op, redact.Value(t.SessionID), raw.describe())
	}
	return t, nil
}
