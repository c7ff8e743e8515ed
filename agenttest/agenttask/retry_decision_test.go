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
