package agenttask

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// One 500 from GET /v1/jwks is tried again and passes; one that persists
// is said to be Clerk's failure, not the configuration's; a 404 (a URL
// that is not the Backend API) is not tried again.
func TestPingRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	var waits []time.Duration
	sleep := RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}}
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu, withPolicy(sleep))

	emu.InjectFault(clerkemu.RouteJWKS, clerkemu.Fault{Status: 500})
	if err := c.Ping(clientTestCtx(t)); err != nil {
		t.Errorf("Ping after one 500: %v, want nil", err)
	}
	if n := emu.Requests(clerkemu.RouteJWKS); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}

	emu.InjectFault(clerkemu.RouteJWKS, clerkemu.Fault{Status: 503, Times: 3})
	err := c.Ping(clientTestCtx(t))
	if err == nil || !strings.Contains(err.Error(), "failed GET /v1/jwks with 503") || !strings.Contains(err.Error(), "a server error, not a configuration one: retry later") || !strings.HasSuffix(err.Error(), "(3 attempts)") || strings.Contains(err.Error(), "check CLERK_API_URL") {
		t.Errorf("Ping after three 503s: %v; want Clerk's failure said, after 3 attempts", err)
	}
	if len(waits) != 3 || waits[0] != pingBackoff || waits[1] != pingBackoff || waits[2] != 2*pingBackoff {
		t.Errorf("waits %v, want %v, then %v and %v", waits, pingBackoff, pingBackoff, 2*pingBackoff)
	}

	wrong := clientTestClient(t, emu, withPolicy(sleep))
	wrong.apiURL = emu.APIURL() + "/nothing"
	before := len(waits)
	if err := wrong.Ping(clientTestCtx(t)); err == nil || !strings.Contains(err.Error(), "check CLERK_API_URL") || len(waits) != before {
		t.Errorf("Ping of a URL that is not the Backend API: %v after %d waits; want the URL named, no retry", err, len(waits)-before)
	}
}
