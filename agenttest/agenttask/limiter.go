package agenttask

import (
	"crypto/sha256"
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

// limiterRegistry holds one limiter per secret key, shared by every
// Client of that key in the process. It is the client's one deliberate
// piece of package-level state: Clerk limits requests per instance, so
// hundreds of parallel tests, each with its own Client, must draw from
// one budget or they get 429s. Keys are stored as SHA-256 digests so the
// registry never holds a secret.
var limiterRegistry = struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*rate.Limiter
}{m: map[[sha256.Size]byte]*rate.Limiter{}}

// sharedLimiter returns the process-wide limiter of secretKey, creating
// it with Clerk's limit for the kind of key on first use.
func sharedLimiter(secretKey string) *rate.Limiter {
	id := sha256.Sum256([]byte(secretKey))
	limiterRegistry.mu.Lock()
	defer limiterRegistry.mu.Unlock()
	if l, ok := limiterRegistry.m[id]; ok {
		return l
	}
	requests := devLimitRequests
	if (Config{SecretKey: secretKey}).Production() {
		requests = prodLimitRequests
	}
	l := NewLimiter(requests, limitWindow)
	limiterRegistry.m[id] = l
	return l
}
