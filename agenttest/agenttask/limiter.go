package agenttask

import (
	"crypto/sha256"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
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

// NewLimiter returns a token-bucket limiter that keeps a client under a
// server limit of requests per per in every window of that length, with
// a 10% margin: burst + rate × per ≤ 0.9 × requests. About a tenth of
// the budget is burst, the rest refills at a steady rate; NewLimiter(100,
// 10*time.Second) allows a burst of 9 and 8.1 requests per second.
//
// For limits too small for a margin (requests < 2) it allows one
// request per period. requests < 1 or per ≤ 0 give a limiter that
// admits nothing, so the first call fails with the limiter's error
// instead of the misconfiguration going unnoticed.
func NewLimiter(requests int, per time.Duration) *rate.Limiter {
	if requests < 1 || per <= 0 {
		return rate.NewLimiter(0, 0)
	}
	budget := int(float64(requests) * limiterSafety)
	if budget < 2 {
		return rate.NewLimiter(rate.Every(per), 1)
	}
	burst := max(1, budget/10)
	refill := float64(budget-burst) / per.Seconds()
	return rate.NewLimiter(rate.Limit(refill), burst)
}

// Default shares of Clerk's limit a process takes (Config.RateShare),
// leaving the rest to the app under test.
const (
	defaultTestRateShare = 0.5
	defaultLiveRateShare = 0.2
)

// ShareLimiter returns a limiter that keeps a client to share (0 < share
// ≤ 1) of a server limit of requests per per, with NewLimiter's 10%
// margin: NewLimiter(⌊requests × share⌋, per), at least one request per
// period. ShareLimiter(100, 10*time.Second, 0.5) allows a burst of 4
// and 4.1 requests per second, 45 in any 10 s, leaving Clerk's other 50
// to the app under test. A share outside (0, 1] gives a limiter that
// admits nothing.
func ShareLimiter(requests int, per time.Duration, share float64) *rate.Limiter {
	if !(share > 0 && share <= 1) {
		return rate.NewLimiter(0, 0)
	}
	return NewLimiter(max(1, int(math.Floor(float64(requests)*share+1e-9))), per)
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
	m  map[limiterKey]*rate.Limiter
}{m: map[limiterKey]*rate.Limiter{}}

// sharedLimiter returns the process-wide limiter of cfg's secret key
// and share, creating it on first use with the share of Clerk's limit
// for the kind of key.
func sharedLimiter(cfg Config) *rate.Limiter {
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
	l := ShareLimiter(requests, limitWindow, id.share)
	limiterRegistry.m[id] = l
	return l
}
