package agenttask

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/agenttest/agenttest/internal/redact"
)

// Ping checks, with one request and no retry, that the Backend API
// answers and takes the secret key: GET /v1/jwks, which Clerk does not
// rate limit. It is what a test binary checks once before its first
// sign-in, so that a wrong URL or key fails every test at once instead
// of each one after its retries. Its error is one line naming the URL
// (never the key) and the fix.
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.apiURL+"/jwks", nil)
	if err != nil {
		return fmt.Errorf("check the Backend API: %w", err)
	}
	c.authorize(req)
	req.Header.Set("User-Agent", userAgent())
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("the Backend API at %s did not answer (%s): check %s and that Clerk (or the emulator) is running and reachable from here", redact.URL(c.apiURL), c.scrub(redact.Text(err.Error())), c.urlFrom)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("the Backend API at %s refused the secret key (%s): %s", redact.URL(c.apiURL), apiErrorSummary(resp, body, c.scrub), c.keyHint())
	default:
		return fmt.Errorf("the Backend API at %s answered %s to GET /v1/jwks: check %s names Clerk's Backend API (with or without /v1)", redact.URL(c.apiURL), apiErrorSummary(resp, body, c.scrub), c.urlFrom)
	}
}

// apiErrorSummary is a refusal in a few words: its status and Clerk's
// error codes.
func apiErrorSummary(resp *http.Response, body []byte, scrub func(string) string) string {
	return decodeErrorBody(resp.StatusCode, resp.Header, body, scrub).Error()
}
