package agenttask

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// clientTestMaxInWindow drives l greedily on a virtual clock for three
// windows and returns the most events admitted in any closed window of
// length per.
func clientTestMaxInWindow(l interface{ AllowN(time.Time, int) bool }, per time.Duration) int {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := per / 2000
	var events []time.Time
	for now := start; now.Sub(start) <= 3*per; now = now.Add(step) {
		for l.AllowN(now, 1) {
			events = append(events, now)
		}
	}
	most, lo := 0, 0
	for hi, t := range events {
		for events[lo].Before(t.Add(-per)) {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

func TestNewLimiterStaysUnderTheLimitInAnyWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		requests int
		per      time.Duration
	}{{100, 10 * time.Second}, {1000, 10 * time.Second}, {40, time.Second}, {10, time.Second}, {3, time.Second}, {7, time.Minute}} {
		l := NewLimiter(tc.requests, tc.per)
		budget := int(float64(tc.requests) * 0.9)
		if got := float64(l.Burst()) + float64(l.Limit())*tc.per.Seconds(); got > float64(budget)+1e-9 {
			t.Errorf("NewLimiter(%d, %s): burst %d + rate %.2f/s × window = %.2f > %d", tc.requests, tc.per, l.Burst(), float64(l.Limit()), got, budget)
		}
		if got := clientTestMaxInWindow(l, tc.per); got > budget || got < budget*8/10 {
			t.Errorf("NewLimiter(%d, %s) admitted %d in a window, want at most %d and not much less", tc.requests, tc.per, got, budget)
		}
	}
	if l := NewLimiter(100, 10*time.Second); l.Burst() != 9 || float64(l.Limit()) < 8.09 || float64(l.Limit()) > 8.11 {
		t.Errorf("NewLimiter(100, 10s) = burst %d, %.2f/s; want 9, 8.1/s", l.Burst(), float64(l.Limit()))
	}
	if got := clientTestMaxInWindow(NewLimiter(1, time.Second), time.Second); got > 2 {
		t.Errorf("NewLimiter(1, 1s) admitted %d in a window", got)
	}
	for _, bad := range [][2]int{{0, 1}, {-1, 1}, {5, 0}} {
		l := NewLimiter(bad[0], time.Duration(bad[1])*time.Second)
		if err := l.Wait(context.Background()); err == nil {
			t.Errorf("NewLimiter(%d, %ds) admits requests", bad[0], bad[1])
		}
	}
}

func TestSharedLimiterPerSecretKey(t *testing.T) {
	t.Parallel()
	a1, a2 := sharedLimiter("sk_test_sharedA"), sharedLimiter("sk_test_sharedA")
	b := sharedLimiter("sk_test_sharedB")
	live := sharedLimiter("sk_live_sharedC")
	if a1 != a2 || a1 == b {
		t.Errorf("one limiter per key: %p %p %p", a1, a2, b)
	}
	if a1.Burst() != 9 || live.Burst() != 90 {
		t.Errorf("bursts %d and %d, want 9 (sk_test_) and 90 (sk_live_)", a1.Burst(), live.Burst())
	}
	limiterRegistry.mu.Lock()
	defer limiterRegistry.mu.Unlock()
	if limiterRegistry.m[sha256.Sum256([]byte("sk_test_sharedA"))] != a1 {
		t.Errorf("the registry is not keyed by the key's SHA-256")
	}
}

// TestLimiterKeepsParallelClientsUnderTheServerLimit runs 300 create +
// revoke pairs from 8 goroutines, each with its own Client of the same
// key, against an emulator limiting 400 requests per 10 s: the shared
// client-side limiter must keep every one of them from a 429. The
// limiter refills at 32.4 requests/s either way; with Clerk's 10 s
// window its 10% margin (40 requests) absorbs 1.2 s of spread in how
// late admitted requests reach the server, which a loaded machine
// under -race needs (a 200 per 5 s window absorbed only 0.6 s).
func TestLimiterKeepsParallelClientsUnderTheServerLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("about 17 s of rate-limited traffic")
	}
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{RateLimit: clerkemu.RateLimit{Requests: 400, Window: 10 * time.Second}})
	limiter := NewLimiter(400, 10*time.Second)
	ctx := clientTestCtx(t)
	const pairs, workers = 300, 8
	jobs := make(chan int)
	errs := make(chan error, pairs)
	var wg sync.WaitGroup
	for range workers {
		c := clientTestClient(t, emu, withLimiter(limiter), withPolicy(RetryPolicy{}))
		wg.Go(func() {
			for i := range jobs {
				task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
				if err != nil {
					errs <- fmt.Errorf("pair %d: %w", i, err)
					continue
				}
				if _, err := c.Revoke(ctx, task.ID); err != nil {
					errs <- fmt.Errorf("pair %d: %w", i, err)
				}
			}
		})
	}
	for i := range pairs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		t.Errorf("%d of %d pairs failed:\n%v", len(all), pairs, err)
	}
	if n := emu.RateLimited(); n != 0 {
		t.Errorf("the emulator answered %d requests with 429", n)
	}
	if n := len(emu.Tasks(clerkemu.TaskPending)); n != 0 {
		t.Errorf("%d tasks left pending", n)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteRevokeTask); n != 2*pairs {
		t.Errorf("%d requests, want %d (no retries)", n, 2*pairs)
	}
}
