package agenttask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/clerk/clerk-sdk-go/v2"
)

// testingTokensPath is the Testing Tokens endpoint, relative to the API URL.
const testingTokensPath = "/testing_tokens"

// TestingToken is a Clerk Testing Token: added as the
// __clerk_testing_token query parameter to a browser's Frontend API
// requests, it lets an automated browser past the instance's bot
// protection ("Bot traffic detected"). It is short-lived, per instance,
// and a secret: only [TestingToken.Value] returns it; every fmt verb,
// slog and JSON show it redacted.
type TestingToken struct {
	// ExpiresAt is when Clerk stops accepting the token; zero when
	// unknown (a token given through CLERK_TESTING_TOKEN).
	ExpiresAt time.Time

	value func() string // a closure, so reflection cannot print it
}

// NewTestingToken wraps a token obtained elsewhere (CLERK_TESTING_TOKEN,
// say); expiresAt may be zero.
func NewTestingToken(value string, expiresAt time.Time) *TestingToken {
	return &TestingToken{ExpiresAt: expiresAt, value: func() string { return value }}
}

// Value returns the token itself: put it in Frontend API requests only.
func (t *TestingToken) Value() string {
	if t == nil || t.value == nil {
		return ""
	}
	return t.value()
}

// String describes the token without its value.
func (t *TestingToken) String() string {
	if t == nil {
		return "agenttask.TestingToken(nil)"
	}
	if t.ExpiresAt.IsZero() {
		return "agenttask.TestingToken{" + redact.Placeholder + "}"
	}
	return "agenttask.TestingToken{" + redact.Placeholder + ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339) + "}"
}

// Format makes every fmt verb print [TestingToken.String].
func (t *TestingToken) Format(f fmt.State, verb rune) { redact.Format(f, verb, t.String()) }

// LogValue implements slog.LogValuer without the value.
func (t *TestingToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON encodes the token redacted.
func (t *TestingToken) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// CreateTestingToken asks Clerk for a Testing Token of the instance
// (POST /v1/testing_tokens).
func (c *Client) CreateTestingToken(ctx context.Context) (*TestingToken, error) {
	const op = "create testing token"
	raw, err := c.call(ctx, op, clerk.NewAPIRequest(http.MethodPost, testingTokensPath))
	if err != nil {
		return nil, err
	}
	var wire struct {
		Object    string `json:"object"`
		Token     string `json:"token"`
		ExpiresAt int64  `json:"expires_at"`
	}
	if err := raw.decodeJSON(&wire); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := checkObject(wire.Object, "testing_token"); err != nil {
		return nil, fmt.Errorf("%s: %w (%s)", op, err, raw.describe())
	}
	if wire.Token == "" {
		return nil, fmt.Errorf("%s: %w (%s)", op, errors.New("the response has no token"), raw.describe())
	}
	var exp time.Time
	if wire.ExpiresAt > 0 {
		exp = time.Unix(wire.ExpiresAt, 0)
	}
	return NewTestingToken(wire.Token, exp), nil
}
