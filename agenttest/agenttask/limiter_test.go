package agenttask

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"golang.org/x/time/rate"
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

func TestSharedLimiterPerSecretKeyAndShare(t *testing.T) {
	t.Parallel()
	const keyA, keyB, keyC = "sk_test_sharedAsharedAsharedA", "sk_test_sharedBsharedBsharedB", "sk_live_sharedCsharedCsharedC"
	a1, a2 := sharedLimiter(Config{SecretKey: keyA}), sharedLimiter(Config{SecretKey: keyA, RateShare: 0.5})
	b := sharedLimiter(Config{SecretKey: keyB})
	live := sharedLimiter(Config{SecretKey: keyC})
	whole := sharedLimiter(Config{SecretKey: keyA, RateShare: 1})
	if a1 != a2 || a1 == b || a1 == whole {
		t.Errorf("one limiter per key and share: %p %p %p %p", a1, a2, b, whole)
	}
	// Default shares: half of 100 per 10 s (45 after the margin: burst
	// 4, 4.1/s), a fifth of 1000 (180: burst 18, 16.2/s).
	for _, c := range []struct {
		name  string
		l     *rate.Limiter
		burst int
		rate  float64
	}{{"sk_test_ default", a1, 4, 4.1}, {"sk_live_ default", live, 18, 16.2}, {"sk_test_ share 1", whole, 9, 8.1}} {
		if c.l.Burst() != c.burst || math.Abs(float64(c.l.Limit())-c.rate) > 0.01 {
			t.Errorf("%s: burst %d, %.2f/s; want %d, %.1f/s", c.name, c.l.Burst(), float64(c.l.Limit()), c.burst, c.rate)
		}
	}
	limiterRegistry.mu.Lock()
	defer limiterRegistry.mu.Unlock()
	if limiterRegistry.m[limiterKey{sha256.Sum256([]byte(keyA)), 0.5}] != a1 {
		t.Errorf("the registry is not keyed by the key's SHA-256 and the share")
	}
}

func TestShareLimiter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		share float64
		most  int // the most admitted in any 10 s window
	}{{1, 90}, {0.5, 45}, {0.25, 22}, {0.05, 4}} {
		l := ShareLimiter(100, 10*time.Second, c.share)
		if got := clientTestMaxInWindow(l, 10*time.Second); got > c.most || got < c.most*8/10 {
			t.Errorf("ShareLimiter(100, 10s, %g) admitted %d in a window, want at most %d and not much less", c.share, got, c.most)
		}
	}
	for _, bad := range []float64{0, -0.5, 1.5, math.NaN()} {
		if err := ShareLimiter(100, 10*time.Second, bad).Wait(context.Background()); err == nil {
			t.Errorf("ShareLimiter with share %g admits requests", bad)
		}
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
	all := clientTestPairs(ctx, pairs, workers, func() *Client {
		return clientTestClient(t, emu, withLimiter(limiter), withPolicy(RetryPolicy{}))
	})
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

// TestRateShareLeavesTheAppItsPart is a suite-like load beside the app
// under test, against an emulator with Clerk's development limit (100
// requests per 10 s): 30 create + revoke pairs from 8 goroutines, each
// with its own Client of the key and the default share (no Limiter set,
// so the process-wide limiter of the key: 45 per 10 s), while an "app"
// goroutine makes its own Backend API calls (GET /v1/users/{id}) at the
// other half of the budget, 50 per 10 s, with a limiter of its own
// since it does not share ours. Neither may get a 429; the suite makes
// exactly 60 requests (no retries) and the app at least 50, so the load
// spans more than one 10 s window (about 14 s at 4.1 requests/s).
//
// The control runs the same app beside 60 pairs from a suite taking the
// whole limit (RateShare 1: 90 per 10 s, also about 14 s): there the
// instance must answer 429s, or this test could not tell.
func TestRateShareLeavesTheAppItsPart(t *testing.T) {
	if testing.Short() {
		t.Skip("about 14 s of rate-limited traffic")
	}
	t.Parallel()
	t.Run("default share", func(t *testing.T) {
		t.Parallel()
		emu, r := clientTestShareLoad(t, 0, 30)
		if r.errs != nil {
			t.Errorf("%d of 30 pairs failed:\n%v", r.failed, r.errs)
		}
		if r.appErr != nil {
			t.Errorf("the app's calls: %v", r.appErr)
		}
		if r.appLimited != 0 || emu.RateLimited() != 0 {
			t.Errorf("429s: %d to the app (of %d calls), %d in all", r.appLimited, r.appCalls, emu.RateLimited())
		}
		if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteRevokeTask); n != 60 {
			t.Errorf("the suite made %d requests, want 60 (no retries)", n)
		}
		if r.appCalls < 50 {
			t.Errorf("the app made %d calls, want at least 50 (it ran beside the whole suite)", r.appCalls)
		}
		if n := len(emu.Tasks(clerkemu.TaskPending)); n != 0 {
			t.Errorf("%d tasks left pending", n)
		}
		t.Logf("suite: 60 requests; app: %d calls; 429s: %d", r.appCalls, emu.RateLimited())
	})
	t.Run("control: the whole limit", func(t *testing.T) {
		t.Parallel()
		emu, r := clientTestShareLoad(t, 1, 60)
		if emu.RateLimited() == 0 {
			t.Errorf("a suite taking the whole limit beside the app got no 429 (app: %d calls): the load does not test the share", r.appCalls)
		}
		t.Logf("suite: %d requests, %d pairs failed; app: %d calls, %d × 429; 429s in all: %d",
			emu.Requests(clerkemu.RouteCreateTask)+emu.Requests(clerkemu.RouteRevokeTask), r.failed, r.appCalls, r.appLimited, emu.RateLimited())
	})
}

// clientTestShareResult is what clientTestShareLoad saw.
type clientTestShareResult struct {
	failed               int
	errs                 error // the pairs' failures, joined
	appCalls, appLimited int
	appErr               error
}

// clientTestShareLoad runs pairs create + revoke pairs from 8
// goroutines, each with its own Client (RateShare share, no Limiter),
// beside clientTestAppLoad at 50 requests per 10 s, against an emulator
// with Clerk's development limit; it returns once the pairs are done.
func clientTestShareLoad(t *testing.T, share float64, pairs int) (*clerkemu.Emulator, clientTestShareResult) {
	emu := clientTestEmulator(t, clerkemu.Options{}) // Clerk's limit for sk_test_: 100 per 10 s
	ctx := clientTestCtx(t)
	var r clientTestShareResult

	appCtx, stopApp := context.WithCancel(ctx)
	defer stopApp()
	appDone := make(chan struct{})
	go func() {
		defer close(appDone)
		r.appCalls, r.appLimited, r.appErr = clientTestAppLoad(appCtx, clientTestHTTP(t), emu, rate.NewLimiter(4.5, 5))
	}()

	all := clientTestPairs(ctx, pairs, 8, func() *Client {
		return clientTestClient(t, emu, func(c *Config) { c.Limiter, c.RateShare = nil, share }, withPolicy(RetryPolicy{}))
	})
	stopApp()
	<-appDone
	r.failed, r.errs = len(all), errors.Join(all...)
	return emu, r
}

// clientTestAppLoad stands in for the app under test: it calls GET
// /v1/users/{id} with the secret key, as fast as its own limiter allows,
// until ctx is done, and returns how many calls it made and how many
// got a 429. Any other failure is an error.
func clientTestAppLoad(ctx context.Context, hc *http.Client, emu *clerkemu.Emulator, l *rate.Limiter) (calls, limited int, err error) {
	for {
		if l.Wait(ctx) != nil {
			return calls, limited, nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, emu.APIURL()+"/users/"+clientTestAdaID, nil)
		if err != nil {
			return calls, limited, err
		}
		req.Header.Set("Authorization", "Bearer "+emu.SecretKey())
		resp, err := hc.Do(req)
		if ctx.Err() != nil {
			return calls, limited, nil
		}
		if err != nil {
			return calls, limited, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		calls++
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			limited++
		default:
			return calls, limited, fmt.Errorf("GET /v1/users/%s: status %d", clientTestAdaID, resp.StatusCode)
		}
	}
}

// clientTestPairs runs pairs create+revoke pairs on workers clients made
// by newClient, in parallel, and returns the failures.
func clientTestPairs(ctx context.Context, pairs, workers int, newClient func() *Client) []error {
	jobs := make(chan int)
	errs := make(chan error, pairs)
	var wg sync.WaitGroup
	for range workers {
		c := newClient()
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
	return all
}
