package agenttask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agenttest/agenttest/internal/redact"

	"golang.org/x/time/rate"
)

// RetryPolicy says how the client retries Backend API requests that
// failed in a way worth retrying: statuses 408, 429, 500, 502, 503 and
// 504, and connection errors (refused, reset, closed without an answer,
// DNS failures, timed out). Without a hint from the server the wait
// before retry n (from 0) is BaseDelay × 2^n plus up to MaxJitter, at
// most MaxDelay. An answer with Retry-After is a hint that replaces the
// doubling: the wait is the hint plus up to MaxJitter, never shorter
// than the hint and not doubled past it (five 429s with "Retry-After: 2"
// wait about 2 s each, not 2, 2, 4, 8 and 16 s). Retrying stops early,
// returning the last answer and saying why in the error, when the next
// wait would pass the context's deadline or the server asks to wait
// longer than MaxDelay.
//
// The zero value is the default policy, which matches @clerk/testing: 5
// retries, 1 s base, 30 s cap, 0.5 s jitter, plus a 10 s timeout per
// attempt.
//
// Retrying a POST is not free: when a create request reached Clerk but
// its answer was lost (the connection dropped, the attempt timed out, a
// proxy answered 500, 502 or 504), the retry creates a second task, and
// the first one's id and URL are never learnt. That task stays pending
// until Clerk expires it; nobody holds its URL, so it grants nothing. We
// accept this for test sign-ins over failing the test, and say so:
// [Client.Create] logs a warning naming the attempts whose outcome is
// unknown when a later one succeeds, and adds the same note to its error
// when none does. Set MaxRetries to -1 to never retry.
type RetryPolicy struct {
	// MaxRetries is how many times a request is retried after its first
	// attempt: 0 means 5, a negative value means never.
	MaxRetries int
	// BaseDelay is the wait before the first retry, doubled for each
	// further one: 0 means 1 s.
	BaseDelay time.Duration
	// MaxDelay caps the backoff: 0 means 30 s. A Retry-After longer than
	// MaxDelay is not waited for; the answer is returned instead.
	MaxDelay time.Duration
	// MaxJitter is the most random delay added to each wait, to keep
	// parallel tests from retrying in step: 0 means 500 ms, a negative
	// value means none.
	MaxJitter time.Duration
	// AttemptTimeout bounds each attempt until the response headers
	// arrive (reading the body is bounded by the caller's context only):
	// 0 means 10 s, a negative value means no per-attempt bound. A
	// timed-out attempt is retried.
	AttemptTimeout time.Duration
	// Sleep waits d, or until ctx is done and then returns its error:
	// nil means a timer. Tests inject one that moves a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock the deadline check uses: nil means time.Now.
	// Tests inject the same fake clock as Sleep.
	Now func() time.Time
}

// Default values of RetryPolicy's zero fields.
const (
	defaultMaxRetries     = 5
	defaultBaseDelay      = time.Second
	defaultMaxDelay       = 30 * time.Second
	defaultMaxJitter      = 500 * time.Millisecond
	defaultAttemptTimeout = 10 * time.Second
)

// withDefaults returns p with every zero field set to its default, and
// "negative means off" turned into zero.
func (p RetryPolicy) withDefaults() RetryPolicy {
	switch {
	case p.MaxRetries == 0:
		p.MaxRetries = defaultMaxRetries
	case p.MaxRetries < 0:
		p.MaxRetries = 0
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = defaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = defaultMaxDelay
	}
	switch {
	case p.MaxJitter == 0:
		p.MaxJitter = defaultMaxJitter
	case p.MaxJitter < 0:
		p.MaxJitter = 0
	}
	switch {
	case p.AttemptTimeout == 0:
		p.AttemptTimeout = defaultAttemptTimeout
	case p.AttemptTimeout < 0:
		p.AttemptTimeout = 0
	}
	if p.Sleep == nil {
		p.Sleep = retrySleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// backoff is the doubling wait before retry n (from 0), capped at
// MaxDelay, without jitter.
func (p RetryPolicy) backoff(n int) time.Duration {
	if n < 32 && p.BaseDelay <= p.MaxDelay>>n {
		return p.BaseDelay << n
	}
	return p.MaxDelay
}

// jitter draws the random part of one wait, in [0, MaxJitter].
func (p RetryPolicy) jitter() time.Duration {
	if p.MaxJitter <= 0 {
		return 0
	}
	return rand.N(p.MaxJitter + 1)
}

// retrySleep waits d or until ctx is done.
func retrySleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// retryInput is everything a retry decision looks at, for one attempt.
type retryInput struct {
	attempt, maxRetries int           // attempt counts from 0
	status              int           // the answer's status, 0 for a transport error
	err                 error         // the transport's error, nil for an answer
	retryAfter          time.Duration // the answer's Retry-After, 0 when none
	backoff             time.Duration // the policy's doubling wait before this retry, capped, no jitter
	jitter              time.Duration // the random part of the wait, drawn once
	limiterDelay        time.Duration // how long the limiter would make the retry wait
	maxDelay            time.Duration // the policy's cap
	now                 time.Time
	deadline            time.Time // the context's deadline, when hasDeadline
	hasDeadline         bool
}

// retryDecision says whether to retry, after how long, and otherwise
// why retrying stopped early (empty: the outcome is final as it is).
type retryDecision struct {
	retry bool
	wait  time.Duration
	why   string // the outcome, for logs: the status, or "transport error"
	stop  string // the note of an early stop, added to the error
}

// retryable reports whether the outcome is worth retrying at all.
func retryable(in retryInput) bool {
	if in.err != nil {
		return retryableError(in.err)
	}
	return retryableStatus(in.status)
}

// decideRetry is the retry decision: a pure function of the attempt's
// outcome and the policy's numbers, tested by a table.
func decideRetry(in retryInput) retryDecision {
	d := retryDecision{why: "transport error"}
	if in.err == nil {
		d.why = strconv.Itoa(in.status) + " " + http.StatusText(in.status)
	}
	switch {
	case !retryable(in):
		return d
	case in.attempt >= in.maxRetries:
		if in.maxRetries > 0 {
			d.stop = "gave up after " + retryAttempts(in.attempt+1)
		}
		return d
	case in.retryAfter > in.maxDelay:
		d.stop = fmt.Sprintf("not retried after %s: the server asked to wait %s, more than the %s cap", retryAttempts(in.attempt+1), in.retryAfter, in.maxDelay)
		return d
	}
	// A Retry-After hint replaces the doubling backoff: the server said
	// when to come back, and doubling past that only burns the deadline.
	wait := min(in.backoff+in.jitter, in.maxDelay)
	if in.retryAfter > 0 {
		wait = in.retryAfter + in.jitter
	}
	wait = max(wait, in.limiterDelay)
	if in.hasDeadline && !in.now.Add(wait).Before(in.deadline) {
		d.stop = fmt.Sprintf("stopped after %s: the next retry in %s would pass the context deadline", retryAttempts(in.attempt+1), wait.Round(time.Millisecond))
		return d
	}
	d.retry, d.wait = true, wait
	return d
}

// retryableStatus reports the statuses worth retrying.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errAttemptTimeout is the cause of an attempt's context when
// RetryPolicy.AttemptTimeout passes.
var errAttemptTimeout = errors.New("attempt timed out")

// retryableError reports connection-level failures worth retrying:
// refused, reset, aborted, closed without an answer (EOF), DNS failures
// (every kind, as @clerk/testing retries them: a resolver that briefly
// fails often says "no such host"), timed out. TLS and URL errors are not
// retried: they will not heal.
func retryableError(err error) bool {
	if errors.Is(err, errAttemptTimeout) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	if dns := (*net.DNSError)(nil); errors.As(err, &dns) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// callRecord is what the transport tells the Client about one call: the
// last answer (clerk-sdk-go turns a non-Clerk error body into a bare
// errors.New(body), losing the status) and how retrying ended. A Client
// method puts one in the request context; the transport fills it in.
type callRecord struct {
	attempts int
	status   int // of the answer returned, 0 if none
	header   http.Header
	body     []byte // first errorBodyLimit bytes of an error answer
	bodyErr  error  // reading that body failed
	note     string // why retrying stopped early, if it did
	lost     []lostAnswer
	// notSent: the first attempt never went out (its context ended while
	// the limiter held it).
	notSent bool
}

// lostAnswer is an attempt of a POST whose request may have reached
// Clerk and been carried out, but whose answer never came back: it timed
// out, the connection broke after the request was sent, or a server or
// proxy answered 500, 502 or 504. A create attempt like this may have
// created a task nobody learns the id or URL of.
type lostAnswer struct {
	attempt int    // from 1
	why     string // the outcome, as logged
}

// answerLost reports an outcome after which the request may have been
// carried out: not a refusal (connection refused, DNS, 408, 429, 503 say
// it was not) and not an answer.
func answerLost(in retryInput) bool {
	if in.err != nil {
		if errors.Is(in.err, syscall.ECONNREFUSED) {
			return false
		}
		if dns := (*net.DNSError)(nil); errors.As(in.err, &dns) {
			return false
		}
		return retryableError(in.err)
	}
	switch in.status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

type callRecordKey struct{}

// withCallRecord returns ctx carrying a fresh callRecord.
func withCallRecord(ctx context.Context) (context.Context, *callRecord) {
	rec := &callRecord{}
	return context.WithValue(ctx, callRecordKey{}, rec), rec
}

// retryTransport is the http.RoundTripper under the clerk.Backend that
// waits on the limiter before every attempt and retries per policy.
type retryTransport struct {
	userAgent string
	base      http.RoundTripper
	policy    RetryPolicy // withDefaults applied
	limiter   Limiter
	logger    *slog.Logger
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	rec, _ := ctx.Value(callRecordKey{}).(*callRecord)
	if rec == nil {
		rec = &callRecord{}
	}
	secret := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	req, err := withClerkHeaders(req, t.userAgent)
	if err != nil {
		return nil, err
	}
	maxRetries := t.policy.MaxRetries
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		maxRetries = 0 // the body cannot be replayed
	}
	for attempt := 0; ; attempt++ {
		if err := t.waitLimiter(ctx); err != nil {
			if attempt == 0 {
				rec.notSent = true
				if req.Body != nil {
					req.Body.Close()
				}
			}
			return nil, err
		}
		resp, err := t.attempt(req, attempt, rec)
		rec.attempts = attempt + 1
		if ctx.Err() != nil {
			if err != nil && req.Method == http.MethodPost {
				rec.lost = append(rec.lost, lostAnswer{attempt: attempt + 1, why: "the caller's context ended while waiting for the answer"})
			}
			return resp, err // the caller gave up; never retry
		}
		in := t.retryInput(ctx, attempt, maxRetries, resp, err)
		d := decideRetry(in)
		why := d.why
		if err != nil {
			why = redact.Text(err.Error(), secret)
		}
		if req.Method == http.MethodPost && answerLost(in) {
			rec.lost = append(rec.lost, lostAnswer{attempt: attempt + 1, why: why})
		}
		if !d.retry {
			if d.stop == "" {
				return resp, err
			}
			rec.note = d.stop
			t.logger.LogAttrs(ctx, slog.LevelDebug, "agenttest: not retrying Clerk Backend API request",
				slog.String("method", req.Method), slog.String("path", req.URL.EscapedPath()),
				slog.Int("attempt", attempt+1), slog.String("result", why), slog.String("reason", d.stop))
			if err != nil {
				return nil, &retryStopError{err: err, note: d.stop}
			}
			return resp, nil
		}
		wait := d.wait
		t.logRetry(ctx, req, resp, attempt, why, wait, in.retryAfter, secret)
		if resp != nil {
			retryDiscard(resp)
		}
		// The record describes the answer handed back; this one is not.
		rec.status, rec.header, rec.body, rec.bodyErr = 0, nil, nil, nil
		if err := t.policy.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("waiting %s to retry (attempt %d: %s): %w", wait, attempt+1, why, err)
		}
	}
}

// retryInput is what decideRetry needs to know about an attempt's
// outcome: its answer's status and Retry-After, the context's deadline,
// and, when a retry is possible, the waits it would take (the jitter is
// drawn here).
func (t *retryTransport) retryInput(ctx context.Context, attempt, maxRetries int, resp *http.Response, err error) retryInput {
	in := retryInput{attempt: attempt, maxRetries: maxRetries, err: err, maxDelay: t.policy.MaxDelay, now: t.policy.Now()}
	if err == nil {
		in.status = resp.StatusCode
		in.retryAfter = retryAfter(resp.Header, in.now)
	}
	in.deadline, in.hasDeadline = ctx.Deadline()
	if retryable(in) {
		in.backoff, in.jitter, in.limiterDelay = t.policy.backoff(attempt), t.policy.jitter(), t.limiterDelay()
	}
	return in
}

// logRetry logs, at debug level, a retry about to wait: the request, the
// attempt's result, the wait and, with an answer, its status, trace id
// and Retry-After. secret is kept out of the trace id.
func (t *retryTransport) logRetry(ctx context.Context, req *http.Request, resp *http.Response, attempt int, why string, wait, after time.Duration, secret string) {
	attrs := []slog.Attr{
		slog.String("method", req.Method), slog.String("path", req.URL.EscapedPath()),
		slog.Int("attempt", attempt+1), slog.String("result", why), slog.Duration("wait", wait),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if tr := resp.Header.Get("Clerk-Trace-Id"); tr != "" {
			attrs = append(attrs, slog.String("trace_id", redact.Text(tr, secret)))
		}
		if after > 0 {
			attrs = append(attrs, slog.Duration("retry_after", after))
		}
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "agenttest: retrying Clerk Backend API request", attrs...)
}

// attempt sends one try of req, bounded by the per-attempt timeout until
// the headers arrive. The returned body releases the attempt's context
// when closed, and records an error answer's body in rec.
func (t *retryTransport) attempt(req *http.Request, n int, rec *callRecord) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	r := req.Clone(ctx)
	if n > 0 && req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			cancel(nil)
			return nil, fmt.Errorf("replay the request body: %w", err)
		}
		r.Body = body
	}
	var timer *time.Timer
	if d := t.policy.AttemptTimeout; d > 0 {
		timer = time.AfterFunc(d, func() { cancel(errAttemptTimeout) })
	}
	resp, err := t.base.RoundTrip(r)
	if timer != nil && !timer.Stop() {
		// The attempt timed out, perhaps just after the headers came:
		// its body would be cut, so the whole attempt counts as timed out.
		if resp != nil {
			resp.Body.Close()
		}
		cancel(nil)
		if req.Context().Err() != nil {
			return nil, context.Cause(req.Context())
		}
		return nil, fmt.Errorf("no response within %s: %w", t.policy.AttemptTimeout, errAttemptTimeout)
	}
	if err != nil {
		cancel(nil)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("the connection closed without a response: %w", err)
		}
		return nil, err
	}
	rec.status, rec.header, rec.body, rec.bodyErr = resp.StatusCode, resp.Header, nil, nil
	resp.Body = &retryBody{rc: resp.Body, cancel: cancel, rec: rec, keep: resp.StatusCode >= 400}
	return resp, nil
}

// waitLimiter waits for the client-side rate limiter, if any.
func (t *retryTransport) waitLimiter(ctx context.Context) error {
	if t.limiter == nil {
		return nil
	}
	if err := t.limiter.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			// The caller's time ran out, not the limiter's fault.
			return fmt.Errorf("not sent: %w", context.Cause(ctx))
		}
		return fmt.Errorf("wait for the client-side rate limiter (see Config.Limiter): %w", err)
	}
	return nil
}

// limiterDelay estimates how long the limiter would make the next
// attempt wait, so the deadline check accounts for it: a
// *WindowLimiter or *rate.Limiter knows; another Limiter gives 0.
func (t *retryTransport) limiterDelay() time.Duration {
	switch l := t.limiter.(type) {
	case *WindowLimiter:
		return l.delay()
	case *rate.Limiter:
		tokens := l.TokensAt(time.Now())
		limit := l.Limit()
		if tokens >= 1 || limit == rate.Inf || limit <= 0 {
			return 0 // no wait, or Wait fails with the limiter's own error
		}
		return time.Duration((1 - tokens) / float64(limit) * float64(time.Second))
	}
	return 0 // another Limiter: no estimate
}

// CloseIdleConnections forwards to the base transport.
func (t *retryTransport) CloseIdleConnections() {
	type closer interface{ CloseIdleConnections() }
	if c, ok := t.base.(closer); ok {
		c.CloseIdleConnections()
	}
}

// retryAttempts is "1 attempt", "2 attempts", ….
func retryAttempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// retryDiscard drains a little of a body we will not use, so the
// connection can be reused, and closes it.
func retryDiscard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// retryBody is the body of the answer handed to clerk-sdk-go: closing it
// releases the attempt's context; for an error answer it keeps the
// first bytes read for the Client's error message.
type retryBody struct {
	rc     io.ReadCloser
	cancel context.CancelCauseFunc
	rec    *callRecord
	keep   bool
}

func (b *retryBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.keep {
		if room := errorBodyLimit - len(b.rec.body); room > 0 {
			b.rec.body = append(b.rec.body, p[:min(n, room)]...)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			b.rec.bodyErr = err
		}
	}
	return n, err
}

func (b *retryBody) Close() error {
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// retryStopError is a connection error after which retrying stopped
// early; it says why and unwraps to the connection error.
type retryStopError struct {
	err  error
	note string
}

func (e *retryStopError) Error() string { return e.err.Error() + " (" + e.note + ")" }
func (e *retryStopError) Unwrap() error { return e.err }
