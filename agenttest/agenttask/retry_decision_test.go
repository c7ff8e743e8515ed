package agenttask

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDecideRetry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := retryInput{maxRetries: 5, backoff: time.Second, maxDelay: 30 * time.Second, now: now}
	with := func(f func(*retryInput)) retryInput { in := base; f(&in); return in }
	cases := []struct {
		name  string
		in    retryInput
		retry bool
		wait  time.Duration
		stop  string // substring of the stop note; "" means none
	}{
		{"200 is final", with(func(in *retryInput) { in.status = 200 }), false, 0, ""},
		{"400 is final", with(func(in *retryInput) { in.status = 400 }), false, 0, ""},
		{"401 is final", with(func(in *retryInput) { in.status = 401 }), false, 0, ""},
		{"408 retried", with(func(in *retryInput) { in.status = 408 }), true, time.Second, ""},
		{"429 retried", with(func(in *retryInput) { in.status = 429 }), true, time.Second, ""},
		{"500 retried", with(func(in *retryInput) { in.status = 500 }), true, time.Second, ""},
		{"501 is final", with(func(in *retryInput) { in.status = 501 }), false, 0, ""},
		{"502 retried", with(func(in *retryInput) { in.status = 502 }), true, time.Second, ""},
		{"503 retried", with(func(in *retryInput) { in.status = 503 }), true, time.Second, ""},
		{"504 retried", with(func(in *retryInput) { in.status = 504 }), true, time.Second, ""},
		{"reset retried", with(func(in *retryInput) { in.err = syscall.ECONNRESET }), true, time.Second, ""},
		{"EOF retried", with(func(in *retryInput) { in.err = io.EOF }), true, time.Second, ""},
		{"other error final", with(func(in *retryInput) { in.err = io.ErrShortWrite }), false, 0, ""},
		{"Retry-After wins over a shorter backoff", with(func(in *retryInput) { in.status = 429; in.retryAfter = 3 * time.Second }), true, 3 * time.Second, ""},
		{"jitter adds to the backoff", with(func(in *retryInput) { in.status = 503; in.jitter = 300 * time.Millisecond }), true, 1300 * time.Millisecond, ""},
		{"jitter adds to Retry-After", with(func(in *retryInput) {
			in.status = 429
			in.retryAfter, in.jitter = 2*time.Second, 400*time.Millisecond
		}), true, 2400 * time.Millisecond, ""},
		{"Retry-After is not doubled past: hint 2s at backoff 16s", with(func(in *retryInput) {
			in.status, in.attempt = 429, 4
			in.backoff, in.retryAfter, in.jitter = 16*time.Second, 2*time.Second, 100*time.Millisecond
		}), true, 2100 * time.Millisecond, ""},
		{"the backoff with jitter stays under the cap", with(func(in *retryInput) {
			in.status, in.attempt = 503, 4
			in.backoff, in.jitter = 30*time.Second, 400*time.Millisecond
		}), true, 30 * time.Second, ""},
		{"a Retry-After at the cap is waited, plus jitter", with(func(in *retryInput) {
			in.status = 429
			in.retryAfter, in.jitter = 30*time.Second, 200*time.Millisecond
		}), true, 30*time.Second + 200*time.Millisecond, ""},
		{"the limiter wins over a shorter Retry-After", with(func(in *retryInput) {
			in.status = 429
			in.retryAfter, in.limiterDelay = 2*time.Second, 5*time.Second
		}), true, 5 * time.Second, ""},
		{"Retry-After plus jitter past the deadline stops", with(func(in *retryInput) {
			in.status = 429
			in.retryAfter, in.jitter = 2*time.Second, 500*time.Millisecond
			in.hasDeadline, in.deadline = true, now.Add(2400*time.Millisecond)
		}), false, 0, "the next retry in 2.5s would pass the context deadline"},
		{"Retry-After within the deadline is waited though the backoff would not fit", with(func(in *retryInput) {
			in.status, in.attempt = 429, 3
			in.backoff, in.retryAfter = 8*time.Second, 2*time.Second
			in.hasDeadline, in.deadline = true, now.Add(3*time.Second)
		}), true, 2 * time.Second, ""},
		{"the limiter wins when longer", with(func(in *retryInput) { in.status = 503; in.limiterDelay = 4 * time.Second }), true, 4 * time.Second, ""},
		{"Retry-After past the cap stops", with(func(in *retryInput) { in.status = 429; in.retryAfter = time.Minute }), false, 0, "more than the 30s cap"},
		{"last retry used", with(func(in *retryInput) { in.status = 503; in.attempt = 5 }), false, 0, "gave up after 6 attempts"},
		{"never retry", with(func(in *retryInput) { in.status = 503; in.maxRetries = 0 }), false, 0, ""},
		{"deadline too close", with(func(in *retryInput) {
			in.status = 503
			in.hasDeadline, in.deadline = true, now.Add(500*time.Millisecond)
		}), false, 0, "would pass the context deadline"},
		{"deadline far enough", with(func(in *retryInput) {
			in.status = 503
			in.hasDeadline, in.deadline = true, now.Add(2*time.Second)
		}), true, time.Second, ""},
	}
	for _, c := range cases {
		d := decideRetry(c.in)
		if d.retry != c.retry || d.wait != c.wait {
			t.Errorf("%s: retry=%v wait=%s, want retry=%v wait=%s", c.name, d.retry, d.wait, c.retry, c.wait)
		}
		if (c.stop == "") != (d.stop == "") || !strings.Contains(d.stop, c.stop) {
			t.Errorf("%s: stop note %q, want one containing %q", c.name, d.stop, c.stop)
		}
	}
}
