package agenttask

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"
)

// allow admits one request at now if l can without waiting: the
// limiter driven on a virtual clock.
func (l *WindowLimiter) allow(now time.Time) bool {
	if l.fault() != nil {
		return false
	}
	_, err := l.reserve(now, now, true)
	return err == nil
}

// clientTestMaxInWindow drives l greedily on a virtual clock for three
// windows and returns the most events admitted in any window of length
// per, counted as a server with a sliding window counts them: the
// events in (t-per, t] for every t.
func clientTestMaxInWindow(l *WindowLimiter, per time.Duration) int {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := per / 2000
	var events []time.Time
	for now := start; now.Sub(start) <= 3*per; now = now.Add(step) {
		for l.allow(now) {
			events = append(events, now)
		}
	}
	return clientTestMostInWindow(events, per)
}

// clientTestMostInWindow returns the most of events (sorted) in any
// window (t-per, t].
func clientTestMostInWindow(events []time.Time, per time.Duration) int {
	most, lo := 0, 0
	for hi, t := range events {
		for !events[lo].After(t.Add(-per)) {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// fakeWindowClock is a virtual clock for a WindowLimiter: a Wait's
// sleep moves it to the admission's time, or, when block is set, lasts
// until the Wait's ctx is done. It records every admission.
type fakeWindowClock struct {
	mu       sync.Mutex
	t        time.Time
	block    bool
	admitted []time.Time
}

func newFakeWindowClock() *fakeWindowClock {
	return &fakeWindowClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeWindowClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeWindowClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeWindowClock) until(ctx context.Context, at time.Time) error {
	c.mu.Lock()
	if at.After(c.t) {
		if c.block {
			c.mu.Unlock()
			<-ctx.Done()
			return ctx.Err()
		}
		c.t = at
	}
	defer c.mu.Unlock()
	c.admitted = append(c.admitted, at)
	return nil
}

// limiter is NewWindowLimiter(n, per) on c.
func (c *fakeWindowClock) limiter(n int, per time.Duration) *WindowLimiter {
	l := NewWindowLimiter(n, per)
	l.now, l.until = c.now, c.until
	return l
}

func (c *fakeWindowClock) since(start time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var d []time.Duration
	for _, at := range c.admitted {
		d = append(d, at.Sub(start))
	}
	return d
}

func TestNewServerShareLimiterStaysUnderTheLimitInAnyWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		requests int
		per      time.Duration
		budget   int // ⌊0.9 × requests⌋, at least 1
	}{{100, 10 * time.Second, 90}, {1000, 10 * time.Second, 900}, {40, time.Second, 36}, {10, time.Second, 9}, {3, time.Second, 2}, {7, time.Minute, 6}, {1, time.Second, 1}} {
		l := NewServerShareLimiter(tc.requests, tc.per, 1)
		if window := tc.per + tc.per/20; l.Requests() != tc.budget || l.Window() != window {
			t.Errorf("NewServerShareLimiter(%d, %s, 1) = %d per %s, want %d per %s", tc.requests, tc.per, l.Requests(), l.Window(), tc.budget, window)
		}
		if got := clientTestMaxInWindow(l, tc.per); got != tc.budget {
			t.Errorf("NewServerShareLimiter(%d, %s, 1) admitted at most %d in a window, want %d", tc.requests, tc.per, got, tc.budget)
		}
	}
	for _, bad := range [][2]int{{0, 1}, {-1, 1}, {5, 0}, {5, -1}} {
		l := NewServerShareLimiter(bad[0], time.Duration(bad[1])*time.Second, 1)
		if err := l.Wait(context.Background()); err == nil || !strings.Contains(err.Error(), "admits nothing") {
			t.Errorf("NewServerShareLimiter(%d, %ds, 1): Wait = %v, want an error saying it admits nothing", bad[0], bad[1], err)
		}
		if l.allow(time.Now()) {
			t.Errorf("NewServerShareLimiter(%d, %ds, 1) admits requests", bad[0], bad[1])
		}
	}
	if err := new(WindowLimiter).Wait(context.Background()); err == nil {
		t.Errorf("the zero WindowLimiter admits requests")
	}
	if err := (*WindowLimiter)(nil).Wait(context.Background()); err == nil {
		t.Errorf("a nil *WindowLimiter admits requests")
	}
}

// TestWindowLimiterBurstThenSlots: the first n go at once, and the
// (n+k)-th waits until the k-th admission is per old.
func TestWindowLimiterBurstThenSlots(t *testing.T) {
	t.Parallel()
	clock := newFakeWindowClock()
	start := clock.now()
	l := clock.limiter(5, 10*time.Second)
	ctx := context.Background()
	for range 3 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock.advance(time.Second)
	for range 2 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 { // the 6th to 9th admissions
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{0, 0, 0, time.Second, time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 11 * time.Second}
	if got := clock.since(start); !slices.Equal(got, want) {
		t.Errorf("admissions at %v, want %v", got, want)
	}
}

// TestWindowLimiterKeepsTheFullRate: kept busy for three windows, it
// admits its n in each.
func TestWindowLimiterKeepsTheFullRate(t *testing.T) {
	t.Parallel()
	const n, per = 45, 10 * time.Second
	clock := newFakeWindowClock()
	start := clock.now()
	l := clock.limiter(n, per)
	admitted := 0
	for {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if clock.now().Sub(start) >= 3*per {
			break
		}
		admitted++
	}
	if admitted < 3*n*95/100 || admitted > 3*n {
		t.Errorf("admitted %d in 3 windows, want about %d", admitted, 3*n)
	}
	var events []time.Time
	for _, d := range clock.since(start) {
		events = append(events, start.Add(d))
	}
	if got := clientTestMostInWindow(events, per); got != n {
		t.Errorf("at most %d in a window, want %d", got, n)
	}
}

// TestWindowLimiterCancel: a Wait whose ctx ends returns ctx's error
// and gives its slot back when it was the last reserved.
func TestWindowLimiterCancel(t *testing.T) {
	t.Parallel()
	clock := newFakeWindowClock()
	start := clock.now()
	l := clock.limiter(1, 10*time.Second)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.mu.Lock()
	clock.block = true
	clock.mu.Unlock()
	ctx, cancel := context.WithCancel(clientTestCtx(t))
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a done ctx = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithCancel(clientTestCtx(t))
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	clientTestEventually(t, func() bool { return l.delay() >= 20*time.Second }, "the waiter reserved no slot")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait = %v, want context.Canceled", err)
	}
	clock.mu.Lock()
	clock.block = false
	clock.mu.Unlock()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 10 * time.Second} // the cancelled slot was given back
	if got := clock.since(start); !slices.Equal(got, want) {
		t.Errorf("admissions at %v, want %v", got, want)
	}
}

// TestWindowLimiterCancelLeaksNothing cancels a Wait blocked on the
// real clock: it returns ctx's error, and no goroutine is left.
// Not parallel, so goleak sees only this test's goroutines.
func TestWindowLimiterCancelLeaksNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	l := NewWindowLimiter(1, time.Hour)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	clientTestEventually(t, func() bool { return l.delay() > time.Hour }, "the waiter reserved no slot")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Wait = %v, want context.Canceled", err)
		}
	case <-clientTestCtx(t).Done():
		t.Fatal("a cancelled Wait did not return")
	}
	goleak.VerifyNone(t, ignore)
}

// TestWindowLimiterDeadline: a Wait whose ctx's deadline comes before
// the next free slot fails at once with an error wrapping
// context.DeadlineExceeded, and reserves nothing.
func TestWindowLimiterDeadline(t *testing.T) {
	t.Parallel()
	l := NewWindowLimiter(1, time.Hour)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	err := l.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Errorf("Wait = %v with ctx.Err() = %v, want a deadline error before the deadline", err, ctx.Err())
	}
	if d := l.delay(); d > time.Hour {
		t.Errorf("the next slot is in %s: the failed Wait reserved one", d)
	}
}

// TestWindowLimiterConcurrent: many goroutines waiting at once on the
// real clock never get more than n admissions in any window.
func TestWindowLimiterConcurrent(t *testing.T) {
	t.Parallel()
	const n, per, workers, each = 8, 100 * time.Millisecond, 16, 4
	l := NewWindowLimiter(n, per)
	var mu sync.Mutex
	var admitted []time.Time
	l.until = func(ctx context.Context, at time.Time) error {
		err := sleepUntil(ctx, at)
		if err == nil {
			mu.Lock()
			admitted = append(admitted, at)
			mu.Unlock()
		}
		return err
	}
	ctx := clientTestCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				if err := l.Wait(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	slices.SortFunc(admitted, time.Time.Compare)
	if len(admitted) != workers*each {
		t.Fatalf("%d admissions, want %d", len(admitted), workers*each)
	}
	if got := clientTestMostInWindow(admitted, per); got > n {
		t.Errorf("%d admissions in a window of %s, want at most %d", got, per, n)
	}
}

// clientTestEventually polls cond until it holds, failing the test if
// it does not within clientTestCtx's bound.
func clientTestEventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	ctx := clientTestCtx(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal(msg)
		case <-time.After(time.Millisecond):
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
	// Default shares: half of 100 per 10 s (45 after the margin, in any
	// 10.5 s), a fifth of 1000 (180).
	for _, c := range []struct {
		name string
		l    *WindowLimiter
		n    int
	}{{"sk_test_ default", a1, 45}, {"sk_test_ other key", b, 45}, {"sk_live_ default", live, 180}, {"sk_test_ share 1", whole, 90}} {
		if c.l.Requests() != c.n || c.l.Window() != 10500*time.Millisecond {
			t.Errorf("%s: %d per %s; want %d per 10.5s", c.name, c.l.Requests(), c.l.Window(), c.n)
		}
	}
	limiterRegistry.mu.Lock()
	defer limiterRegistry.mu.Unlock()
	if limiterRegistry.m[limiterKey{sha256.Sum256([]byte(keyA)), 0.5}] != a1 {
		t.Errorf("the registry is not keyed by the key's SHA-256 and the share")
	}
}

func TestNewServerShareLimiterShare(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		share float64
		most  int // the most admitted in any 10 s window
	}{{1, 90}, {0.5, 45}, {0.25, 22}, {0.05, 4}, {0.001, 1}} {
		l := NewServerShareLimiter(100, 10*time.Second, c.share)
		if got := clientTestMaxInWindow(l, 10*time.Second); got != c.most {
			t.Errorf("NewServerShareLimiter(100, 10s, %g) admitted at most %d in a window, want %d", c.share, got, c.most)
		}
	}
	for _, bad := range []float64{0, -0.5, 1.5, math.NaN()} {
		err := NewServerShareLimiter(100, 10*time.Second, bad).Wait(context.Background())
		if err == nil || !strings.Contains(err.Error(), "share") {
			t.Errorf("NewServerShareLimiter with share %g: Wait = %v, want an error naming the share", bad, err)
		}
	}
}

// TestLimiterKeepsParallelClientsUnderTheServerLimit runs 300 create +
// revoke pairs from 8 goroutines, each with its own Client of the same
// key, against an emulator limiting 400 requests per 10 s: the shared
// client-side limiter (360 in any 10.5 s) must keep every one of them
// from a 429. It admits the first 360 as fast as the emulator answers
// and the other 240 as the first ones turn 10.5 s old; its margins (40
// requests, 500 ms) absorb the spread in how late admitted requests
// reach the server, which a loaded machine under -race needs.
func TestLimiterKeepsParallelClientsUnderTheServerLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("about 17 s of rate-limited traffic")
	}
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{RateLimit: clerkemu.RateLimit{Requests: 400, Window: 10 * time.Second}})
	limiter := NewServerShareLimiter(400, 10*time.Second, 1)
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

// TestSharedLimiterBurstsUnderClerksLimit sends 150 requests (75
// create + revoke pairs from 8 goroutines, each with its own Client of
// the key at RateShare 1, no Limiter set: the process-wide limiter of
// 90 in any 10.5 s) at an emulator with Clerk's development limit of
// 100 per 10 s. The first 90 go as fast as the emulator answers, the
// other 60 as the first ones turn 10.5 s old: not one 429, no retry. The
// control sends the same load with client-side limiting off and must
// get 429s, or this test could not tell.
func TestSharedLimiterBurstsUnderClerksLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of rate-limited traffic")
	}
	t.Parallel()
	const pairs, workers = 75, 8
	t.Run("shared limiter", func(t *testing.T) {
		t.Parallel()
		emu := clientTestEmulator(t, clerkemu.Options{}) // Clerk's limit for sk_test_: 100 per 10 s
		all := clientTestPairs(clientTestCtx(t), pairs, workers, func() *Client {
			return clientTestClient(t, emu, func(c *Config) { c.Limiter, c.RateShare = nil, 1 }, withPolicy(RetryPolicy{}))
		})
		if err := errors.Join(all...); err != nil {
			t.Errorf("%d of %d pairs failed:\n%v", len(all), pairs, err)
		}
		if n := emu.RateLimited(); n != 0 {
			t.Errorf("the emulator answered %d requests with 429", n)
		}
		if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteRevokeTask); n != 2*pairs {
			t.Errorf("%d requests, want %d (no retries)", n, 2*pairs)
		}
	})
	t.Run("control: no client-side limit", func(t *testing.T) {
		t.Parallel()
		emu := clientTestEmulator(t, clerkemu.Options{})
		clientTestPairs(clientTestCtx(t), pairs, workers, func() *Client {
			return clientTestClient(t, emu, withLimiter(nil), withPolicy(RetryPolicy{MaxRetries: -1}))
		})
		if emu.RateLimited() == 0 {
			t.Errorf("%d requests with no client-side limit got no 429: the load does not test the limiter", 2*pairs)
		}
	})
}

// TestRateShareLeavesTheAppItsPart is a suite-like load beside the app
// under test, against an emulator with Clerk's development limit (100
// requests per 10 s): 30 create + revoke pairs from 8 goroutines, each
// with its own Client of the key and the default share (no Limiter set,
// so the process-wide limiter of the key: 45 per 10.5 s), while an "app"
// goroutine makes its own Backend API calls (GET /v1/users/{id}) at the
// other half of the budget, 50 per 10 s, with a limiter of its own
// since it does not share ours. Neither may get a 429; the suite makes
// exactly 60 requests (no retries): 45 at once, the other 15 as the
// first ones turn 10.5 s old, so the load spans more than one window;
// the app makes at least 45 calls meanwhile (50 per 10 s), so it kept
// its rate through the suite's first window.
//
// The control runs the same app beside 60 pairs from a suite taking the
// whole limit (RateShare 1: 90 per 10.5 s): there the instance must
// answer 429s, or this test could not tell.
func TestRateShareLeavesTheAppItsPart(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of rate-limited traffic")
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
		if r.appCalls < 45 {
			t.Errorf("the app made %d calls, want at least 45 (it ran beside the whole suite)", r.appCalls)
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
