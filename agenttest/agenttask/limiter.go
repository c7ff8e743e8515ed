package agenttask

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"sync"
	"time"
)

// Clerk's Backend API rate limits per instance (per secret key).
const (
	devLimitRequests  = 100 // sk_test_: 100 requests per 10 s
	prodLimitRequests = 1000
	limitWindow       = 10 * time.Second
)

// limiterSafety is the share of the server's limit the client allows
// itself in any window, leaving room for requests bunching up on the
// way and for edges of the server's window.
const limiterSafety = 0.9

// limiterGuard is how much longer than the server's window the client
// counts its admissions in, as a fraction of the window: 500 ms of
// Clerk's 10 s. The server counts requests when they arrive, and an
// admission waits exactly until its slot while the one a window before
// may have reached the server later (a new connection, a busy machine);
// without the guard the two would fall in one server window.
const limiterGuard = 0.05

// Limiter is a client-side rate limiter: Wait blocks until one more
// request may be sent, or fails when ctx is done first (or, with a
// deadline, when the request could not be admitted before it).
// [*WindowLimiter] (from [NewWindowLimiter] or [NewServerShareLimiter]) is one, and
// so is golang.org/x/time/rate's *rate.Limiter; rate.NewLimiter(rate.Inf,
// 0) admits everything at once.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WindowLimiter admits at most n requests in any window of length per,
// measured on admission times: the first n go at once, and the
// (n+k)-th waits until the k-th admission is per old. So it allows a
// full burst and, kept busy, the full steady rate of n per per, and it
// is never looser than a server limit of n requests per per, whether
// the server counts in fixed windows, in a sliding window or with a
// token bucket of capacity n refilling n per per.
//
// Waiters are admitted in the order they call Wait: each reserves the
// next slot of a ring of the last n admission times and sleeps until
// it. A Wait that ends before its slot (ctx done) gives the slot back
// when no later Wait has reserved one after it; otherwise the slot
// stays spent, which only makes the limiter stricter. A waiter wakes
// at or just after its slot; the margin [NewServerShareLimiter] keeps covers that
// and the spread in how late requests reach the server.
//
// A WindowLimiter is safe for concurrent use and runs no goroutine of
// its own. Make one with [NewWindowLimiter] (exactly n per window) or
// [NewServerShareLimiter] (a share of a server's limit, with a margin);
// the zero value and a nil *WindowLimiter admit nothing.
type WindowLimiter struct {
	n   int
	per time.Duration
	err error // non-nil: the limiter was misconfigured and admits nothing

	now   func() time.Time
	until func(ctx context.Context, at time.Time) error // sleeps until at or ctx is done

	mu    sync.Mutex
	times []time.Time // the last n reserved admission times, a ring; zero: unused
	next  int         // the oldest entry of times, the one the next admission replaces
	seq   uint64      // reservations made, to tell whether a cancelled one was the last
}

// NewWindowLimiter returns a limiter that admits at most n requests in
// any window of length per, exactly, with no margin (see
// [NewServerShareLimiter] for one).
// n < 1 or per ≤ 0 give a limiter whose every Wait fails with an error
// saying so, instead of the misconfiguration going unnoticed.
func NewWindowLimiter(n int, per time.Duration) *WindowLimiter {
	l := &WindowLimiter{n: n, per: per, now: time.Now, until: sleepUntil}
	if n < 1 || per <= 0 {
		l.err = fmt.Errorf("the rate limiter of %d requests per %s admits nothing: give it at least 1 request and a positive window", n, per)
		return l
	}
	l.times = make([]time.Time, n)
	return l
}

// Requests returns how many requests l admits in any window of length
// [WindowLimiter.Window].
func (l *WindowLimiter) Requests() int { return l.n }

// Window returns the length of l's window.
func (l *WindowLimiter) Window() time.Duration { return l.per }

// Wait blocks until l admits one request and returns nil, or returns
// ctx's error once ctx is done. When ctx has a deadline before the
// next free slot it fails at once, with an error that wraps
// context.DeadlineExceeded, and reserves nothing. A misconfigured
// limiter fails every Wait.
func (l *WindowLimiter) Wait(ctx context.Context) error {
	if err := l.fault(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	deadline, hasDeadline := ctx.Deadline()
	r, err := l.reserve(l.now(), deadline, hasDeadline)
	if err != nil {
		return err
	}
	if err := l.until(ctx, r.at); err != nil {
		l.cancel(r)
		return err
	}
	return nil
}

// fault is why l admits nothing, or nil.
func (l *WindowLimiter) fault() error {
	if l == nil {
		return fmt.Errorf("the rate limiter is a nil *WindowLimiter, which admits nothing: make it with NewWindowLimiter or NewServerShareLimiter, or leave Config.Limiter nil")
	}
	if l.err != nil {
		return l.err
	}
	if len(l.times) == 0 {
		return fmt.Errorf("the rate limiter is a zero WindowLimiter, which admits nothing: make it with NewWindowLimiter or NewServerShareLimiter")
	}
	return nil
}

// windowSlot is one reserved admission.
type windowSlot struct {
	at   time.Time // when the request is admitted
	i    int       // its place in the ring
	prev time.Time // what the place held before, given back on cancel
	seq  uint64    // the limiter's seq after this reservation
}

// reserve takes the next slot at or after now: now while fewer than n
// admissions lie within per before it, else when the oldest of the
// last n turns per old. With a deadline before that time it reserves
// nothing and fails.
func (l *WindowLimiter) reserve(now, deadline time.Time, hasDeadline bool) (windowSlot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.slotLocked(now)
	if hasDeadline && at.After(deadline) {
		return windowSlot{}, fmt.Errorf("the rate limiter's next free slot is in %s, past the context's deadline in %s: %w",
			at.Sub(now).Round(time.Millisecond), deadline.Sub(now).Round(time.Millisecond), context.DeadlineExceeded)
	}
	r := windowSlot{at: at, i: l.next, prev: l.times[l.next]}
	l.times[l.next] = at
	l.next = (l.next + 1) % len(l.times)
	l.seq++
	r.seq = l.seq
	return r, nil
}

// slotLocked is the time of the next free slot at or after now.
func (l *WindowLimiter) slotLocked(now time.Time) time.Time {
	if oldest := l.times[l.next]; !oldest.IsZero() && oldest.Add(l.per).After(now) {
		return oldest.Add(l.per)
	}
	return now
}

// cancel gives r's slot back if no later reservation was made after it.
func (l *WindowLimiter) cancel(r windowSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seq != r.seq {
		return
	}
	l.times[r.i], l.next = r.prev, r.i
	l.seq--
}

// delay is how long a Wait starting now would wait: 0 when a slot is
// free, or when Wait fails at once anyway.
func (l *WindowLimiter) delay() time.Duration {
	if l.fault() != nil {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slotLocked(now).Sub(now)
}

// sleepUntil waits until at on the real clock, or until ctx is done and
// then returns its error (retrySleep's wait).
func sleepUntil(ctx context.Context, at time.Time) error {
	if d := time.Until(at); d > 0 {
		return retrySleep(ctx, d)
	}
	return nil
}

// Default shares of Clerk's limit a process takes (Config.RateShare),
// leaving the rest to the app under test.
const (
	defaultTestRateShare = 0.5
	defaultLiveRateShare = 0.2
)

// NewServerShareLimiter returns a limiter that keeps a client to share
// (0 < share ≤ 1) of a server limit of requests per per, with a margin:
// a [WindowLimiter] admitting 90% of ⌊requests × share⌋ (at least 1) in
// any window of length per + 5%, all at once if they come at once. The
// 5% guard (500 ms of 10 s) absorbs how much later one request may reach
// the server than the one a window after it.
// NewServerShareLimiter(100, 10*time.Second, 1) admits 90 in any 10.5 s;
// with share 0.5 it admits 45, leaving Clerk's other 50 to the app under
// test.
//
// requests < 1, per ≤ 0 or a share outside (0, 1] give a limiter whose
// every Wait fails with an error saying so, instead of the
// misconfiguration going unnoticed.
func NewServerShareLimiter(requests int, per time.Duration, share float64) *WindowLimiter {
	switch {
	case requests < 1 || per <= 0:
		return NewWindowLimiter(requests, per)
	case !(share > 0 && share <= 1):
		l := NewWindowLimiter(0, per)
		l.err = fmt.Errorf("the rate limiter's share %g of %d requests per %s admits nothing: give a share more than 0 and at most 1", share, requests, per)
		return l
	}
	ours := max(1, int(math.Floor(float64(requests)*share+1e-9)))
	budget := max(1, int(math.Floor(float64(ours)*limiterSafety+1e-9)))
	return NewWindowLimiter(budget, per+time.Duration(float64(per)*limiterGuard))
}

// limiterKey names a shared limiter: the secret key's SHA-256 digest
// (the registry never holds a secret) and the share.
type limiterKey struct {
	key   [sha256.Size]byte
	share float64
}

// limiterRegistry holds one limiter per secret key and share, shared by
// every Client of that key and share in the process. It is the client's
// one deliberate piece of package-level state: Clerk limits requests
// per instance, so hundreds of parallel tests, each with its own Client,
// must draw from one budget or they get 429s. Clients of one key with
// different shares get a limiter each, and together use the sum of
// their shares.
var limiterRegistry = struct {
	mu sync.Mutex
	m  map[limiterKey]*WindowLimiter
}{m: map[limiterKey]*WindowLimiter{}}

// sharedLimiter returns the process-wide limiter of cfg's secret key
// and share, creating it on first use with the share of Clerk's limit
// for the kind of key.
func sharedLimiter(cfg Config) *WindowLimiter {
	id := limiterKey{sha256.Sum256([]byte(cfg.SecretKey)), cfg.rateShare()}
	limiterRegistry.mu.Lock()
	defer limiterRegistry.mu.Unlock()
	if l, ok := limiterRegistry.m[id]; ok {
		return l
	}
	requests := devLimitRequests
	if cfg.Production() {
		requests = prodLimitRequests
	}
	l := NewServerShareLimiter(requests, limitWindow, id.share)
	limiterRegistry.m[id] = l
	return l
}
