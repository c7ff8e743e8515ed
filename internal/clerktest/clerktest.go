// Package clerktest starts emulated Clerk instances, and Backend API
// clients pointed at them, for this module's tests.
package clerktest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"golang.org/x/time/rate"
)

// Redirect is an allowed redirect URL of every test emulator.
const Redirect = "http://localhost:3000/dashboard"

// Seed users of testdata/users.json.
const (
	AdaID    = "user_2ada0000000000000000000001"
	AdaEmail = "ada@example.com"
)

// FastRetries is a retry policy for tests: tiny delays, no jitter.
var FastRetries = agenttask.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxJitter: -1}

// Emulator starts an emulator with the seed users unless opts name
// others; it is closed when the test ends.
func Emulator(t testing.TB, opts clerkemu.Options) *clerkemu.Emulator {
	t.Helper()
	if opts.Users == nil {
		opts.Users = clerkemu.SeedUsers()
	}
	return clerkemu.RunT(t, opts)
}

// HTTP is an http.Client with a transport of its own whose idle
// connections are closed when the test ends.
func HTTP(t testing.TB) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// Client is a Client for emu with its own transport, no client-side
// limiter and FastRetries, then changed by opts.
func Client(t testing.TB, emu *clerkemu.Emulator, opts ...func(*agenttask.Config)) *agenttask.Client {
	t.Helper()
	cfg := agenttask.Config{
		SecretKey:   emu.SecretKey(),
		APIURL:      emu.APIURL(),
		HTTPClient:  HTTP(t),
		Limiter:     rate.NewLimiter(rate.Inf, 0),
		RetryPolicy: FastRetries,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	c, err := agenttask.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Ctx is a test context bounded so a hang fails instead of blocking the
// run (a bound, not a timing assertion).
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
