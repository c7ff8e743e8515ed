package agenttask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"time"

	"github.com/agenttest/agenttest/internal/redact"
)

// Ping checks that the Backend API answers and takes the secret key:
// GET /v1/jwks, which Clerk does not rate limit. It is what a test
// binary checks once before its first sign-in, so that a wrong URL or
// key fails every test at once instead of each one after its retries.
// A transient answer (5xx, 429, 408, a timeout, a reset) is tried again,
// pingAttempts times in all; one that persists is said to be Clerk's
// failure, not a configuration error. Its error is one line naming the
// URL (never the key) and the fix.
func (c *Client) Ping(ctx context.Context) error {
	wait := pingBackoff
	for attempt := 1; ; attempt++ {
		transient, err := c.pingOnce(ctx)
		if err == nil || !transient || attempt == pingAttempts || ctx.Err() != nil {
			if err != nil && transient && attempt > 1 {
				err = fmt.Errorf("%w (%d attempts)", err, attempt)
			}
			return err
		}
		if c.sleep(ctx, wait) != nil {
			return fmt.Errorf("%w (%d attempt(s), then the check's time ran out)", err, attempt)
		}
		wait *= 2
	}
}

// sleep waits d as the client's RetryPolicy.Sleep does, or until ctx
// ends.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if rt, ok := c.http.Transport.(*retryTransport); ok {
		return rt.policy.Sleep(ctx, d)
	}
	return retrySleep(ctx, d)
}

// Ping's retries: attempts in all, and the wait before the second
// (doubled before each next one).
const (
	pingAttempts = 3
	pingBackoff  = 250 * time.Millisecond
)

// pingOnce is one GET /v1/jwks: nil, or the error and whether it may
// pass if tried again.
func (c *Client) pingOnce(ctx context.Context) (transient bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.apiURL+"/jwks", nil)
	if err != nil {
		return false, fmt.Errorf("check the Backend API: %w", err)
	}
	c.authorize(req)
	req.Header.Set("User-Agent", userAgent())
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		// A refused connection is a wrong URL or Clerk not running, not
		// a blip: said at once.
		transient := retryableError(err) && !errors.Is(err, syscall.ECONNREFUSED)
		return transient, fmt.Errorf("the Backend API at %s did not answer (%s): check %s and that Clerk (or the emulator) is running and reachable from here", redact.URL(c.apiURL), c.scrub(redact.Text(err.Error())), c.urlFrom)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		return false, nil
	case resp.StatusCode == http.StatusUnauthorized:
		return false, fmt.Errorf("the Backend API at %s refused the secret key (%s): %s", redact.URL(c.apiURL), apiErrorSummary(resp, body, c.scrub), c.keyHint())
	case retryableStatus(resp.StatusCode):
		return true, fmt.Errorf("the Backend API at %s failed GET /v1/jwks with %s, a server error, not a configuration one: retry later", redact.URL(c.apiURL), apiErrorSummary(resp, body, c.scrub))
	default:
		return false, fmt.Errorf("the Backend API at %s answered %s to GET /v1/jwks: check %s names Clerk's Backend API (with or without /v1)", redact.URL(c.apiURL), apiErrorSummary(resp, body, c.scrub), c.urlFrom)
	}
}

// apiErrorSummary is a refusal in a few words: its status and Clerk's
// error codes.
func apiErrorSummary(resp *http.Response, body []byte, scrub func(string) string) string {
	return decodeErrorBody(resp.StatusCode, resp.Header, body, scrub).Error()
}
