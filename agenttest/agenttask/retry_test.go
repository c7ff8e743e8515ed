package agenttask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"golang.org/x/time/rate"
)

// clientTestClock is a fake clock for RetryPolicy: Sleep moves it and
// records the waits, so tests check backoff without waiting.
type clientTestClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClientTestClock() *clientTestClock { return &clientTestClock{now: time.Now()} }

func (c *clientTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clientTestClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *clientTestClock) waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// policy is the default policy (1 s base, 30 s cap) without jitter, on
// this clock.
func (c *clientTestClock) policy() RetryPolicy {
	return RetryPolicy{MaxJitter: -1, Sleep: c.Sleep, Now: c.Now}
}

// clientTestServer is an httptest server answering /v1/* with handler;
// it counts requests and checks each carries the same body.
type clientTestServer struct {
	*httptest.Server
	requests atomic.Int64
}

func newClientTestServer(t testing.TB, handler func(w http.ResponseWriter, r *http.Request, n int)) *clientTestServer {
	s := &clientTestServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1))
		handler(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

// clientTestKey is the secret key of tests against clientTestServer.
const clientTestKey = "sk_test_cl1entT3stK3yS3cr3tV4lue00000000"

func (s *clientTestServer) client(t testing.TB, opts ...clientTestOpt) *Client {
	t.Helper()
	base := []clientTestOpt{withHTTP(clientTestHTTP(t)), withLimiter(nil)}
	c, err := clientTestNew(Config{SecretKey: clientTestKey, APIURL: s.URL}, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientTestWriteJSON answers status with a JSON body.
func clientTestWriteJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// clientTestCreated is a successful create answer.
const clientTestCreated = `{"object":"agent_task","agent_id":"agt_1","agent_task_id":"agttsk_1","task_id":"agttsk_1","url":"https://fapi.example.com/v1/agents/tasks?ticket=tkt_T1CK3Tsecretsecretsecretsecret00"}`

// clientTestCreate is a valid create call.
var clientTestCreate = CreateParams{UserID: "user_123", RedirectURL: "http://localhost:3000/"}

// clientTestHijackClose drops the connection without an answer; reset
// makes it a TCP RST instead of a FIN.
func clientTestHijackClose(t testing.TB, w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		tcp.SetLinger(0)
	}
	conn.Close()
}

func TestRetryBackoffSchedule(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxJitter: -1}.withDefaults()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for n, w := range want {
		if got := p.backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	if got := p.backoff(200); got != 30*time.Second {
		t.Errorf("backoff(200) = %s, want the cap", got)
	}
	j := RetryPolicy{}.withDefaults()
	seen := map[time.Duration]bool{}
	for range 200 {
		got := j.jitter()
		if got < 0 || got > 500*time.Millisecond {
			t.Fatalf("jitter() = %s, want within [0, 0.5s]", got)
		}
		seen[got] = true
	}
	if len(seen) < 2 {
		t.Errorf("jitter() drew %d distinct values in 200 draws", len(seen))
	}
	if got := p.jitter(); got != 0 {
		t.Errorf("jitter() with MaxJitter -1 = %s, want 0", got)
	}
	d := RetryPolicy{}.withDefaults()
	if d.MaxRetries != 5 || d.BaseDelay != time.Second || d.MaxDelay != 30*time.Second || d.MaxJitter != 500*time.Millisecond || d.AttemptTimeout != 10*time.Second {
		t.Errorf("defaults %+v", d)
	}
	off := RetryPolicy{MaxRetries: -1, MaxJitter: -1, AttemptTimeout: -1}.withDefaults()
	if off.MaxRetries != 0 || off.MaxJitter != 0 || off.AttemptTimeout != 0 {
		t.Errorf("negative values should turn things off: %+v", off)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, " 7 ": 7 * time.Second, "0": 0, "-4": 0, "soon": 0,
		now.Add(5 * time.Second).Format(http.TimeFormat): 5 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
		"99999999999": 24 * time.Hour,
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", v, got, want)
		}
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			w.Header().Set("Retry-After", "7")
			clientTestWriteJSON(w, http.StatusTooManyRequests, string(clientTestGolden(t, "error_rate_limited.json")))
			return
		}
		clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
	})
	clock := newClientTestClock()
	task, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
	if err != nil {
		t.Fatal(err)
	}
	if task.ID != "agttsk_1" {
		t.Errorf("task %v", task)
	}
	if got := clock.waits(); len(got) != 2 || got[0] != 7*time.Second || got[1] != 7*time.Second {
		t.Errorf("waits %v, want [7s 7s] (Retry-After over the 1s, 2s backoff)", got)
	}
}

// TestRetryAfterIsNotDoubledPast: five 429s with "Retry-After: 2" then
// a 200, under a 15 s deadline, with the default jitter. The waits are
// the hint plus at most 0.5 s each (about 11 s in all); doubling past the
// hint (2, 2, 4, 8, 16 s) would stop at the fourth retry.
func TestRetryAfterIsNotDoubledPast(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 5 {
			w.Header().Set("Retry-After", "2")
			clientTestWriteJSON(w, http.StatusTooManyRequests, string(clientTestGolden(t, "error_rate_limited.json")))
			return
		}
		clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
	})
	clock := newClientTestClock()
	policy := clock.policy()
	policy.MaxJitter = 0 // the default, 500 ms
	ctx, cancel := context.WithDeadline(clientTestCtx(t), clock.Now().Add(15*time.Second))
	defer cancel()
	if _, err := s.client(t, withPolicy(policy)).Create(ctx, clientTestCreate); err != nil {
		t.Fatalf("five 429s with Retry-After: 2 under a 15 s deadline: %v", err)
	}
	waits := clock.waits()
	if len(waits) != 5 {
		t.Fatalf("waits %v, want 5", waits)
	}
	for i, w := range waits {
		if w < 2*time.Second || w > 2500*time.Millisecond {
			t.Errorf("wait %d = %s, want the 2s hint plus at most 0.5s of jitter", i+1, w)
		}
	}
	if n := s.requests.Load(); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}
}

func TestRetryServerErrorBurst(t *testing.T) {
	t.Parallel()
	for _, status := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				body, _ := io.ReadAll(r.Body)
				if !strings.Contains(string(body), `"user_id":"user_123"`) {
					t.Errorf("attempt %d: body %q was not replayed", n, body)
				}
				if n <= 5 {
					clientTestWriteJSON(w, status, `{"errors":[{"code":"busy","message":"busy","long_message":"try later"}]}`)
					return
				}
				clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
			})
			clock := newClientTestClock()
			if _, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate); err != nil {
				t.Fatal(err)
			}
			want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
			if got := clock.waits(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("waits %v, want %v", got, want)
			}
		})
	}
}

func TestRetryGivesUpAfterFiveRetries(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Clerk-Trace-Id", fmt.Sprintf("tr%d", n))
		clientTestWriteJSON(w, http.StatusServiceUnavailable, `{"errors":[{"code":"unavailable","message":"down","long_message":"Service unavailable"}]}`)
	})
	clock := newClientTestClock()
	_, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 503 || apiErr.TraceID != "tr6" {
		t.Fatalf("error %v, want the last 503 with its trace id", err)
	}
	if want := "create agent task for user_123: 503 unavailable: Service unavailable (trace tr6; gave up after 6 attempts)"; err.Error() != want {
		t.Errorf("message\n %s\nwant\n %s", err, want)
	}
	if n := s.requests.Load(); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}
}

func TestRetryNotOnClientErrors(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
			clientTestWriteJSON(w, status, `{"errors":[{"code":"nope","message":"no","long_message":"No."}]}`)
		})
		clock := newClientTestClock()
		_, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != status || s.requests.Load() != 1 || len(clock.waits()) != 0 {
			t.Errorf("%d: error %v after %d requests, want one request and the %d", status, err, s.requests.Load(), status)
		}
	}
}

func TestRetryStopsBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		clientTestWriteJSON(w, http.StatusBadGateway, `{"errors":[{"code":"bad_gateway","message":"bad","long_message":"Upstream failed"}]}`)
	})
	clock := newClientTestClock()
	// 1 s and 2 s waits: the second would end past the deadline at +2.5 s.
	ctx, cancel := context.WithDeadline(clientTestCtx(t), clock.Now().Add(2500*time.Millisecond))
	defer cancel()
	_, err := s.client(t, withPolicy(clock.policy())).Create(ctx, clientTestCreate)
	if err == nil || !strings.Contains(err.Error(), "502 bad_gateway: Upstream failed") ||
		!strings.Contains(err.Error(), "stopped after 2 attempts: the next retry in 2s would pass the context deadline") {
		t.Fatalf("error %v, want the 502 and why retrying stopped", err)
	}
	if n := s.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if got := clock.waits(); len(got) != 1 {
		t.Errorf("waits %v, want one", got)
	}
}

func TestRetryAfterBeyondTheCapIsNotWaited(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "120")
		clientTestWriteJSON(w, http.StatusTooManyRequests, string(clientTestGolden(t, "error_rate_limited.json")))
	})
	clock := newClientTestClock()
	_, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
	if err == nil || !strings.Contains(err.Error(), "429 too_many_requests") || !strings.Contains(err.Error(), "asked to wait 2m0s, more than the 30s cap") {
		t.Fatalf("error %v", err)
	}
	if s.requests.Load() != 1 || len(clock.waits()) != 0 {
		t.Errorf("%d requests, waits %v: want 1 and none", s.requests.Load(), clock.waits())
	}
}

func TestRetryDroppedConnections(t *testing.T) {
	t.Parallel()
	for _, reset := range []bool{false, true} {
		t.Run(fmt.Sprintf("reset=%t", reset), func(t *testing.T) {
			t.Parallel()
			s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
				body, _ := io.ReadAll(r.Body)
				if !strings.Contains(string(body), `"user_id":"user_123"`) {
					t.Errorf("attempt %d: body %q was not replayed", n, body)
				}
				if n <= 3 {
					clientTestHijackClose(t, w, reset)
					return
				}
				clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
			})
			clock := newClientTestClock()
			if _, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate); err != nil {
				t.Fatal(err)
			}
			if n := s.requests.Load(); n != 4 {
				t.Errorf("%d requests, want 4", n)
			}
		})
	}
}

// A retried answer whose body broke while it was discarded does not
// color the error of a later attempt that got no answer at all.
func TestRetryErrorIsTheLastAttempts(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		// Read the request first: closing a connection with unread data
		// makes the kernel reset it, which reads as another error.
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		if n == 1 { // a 503 whose body is cut short
			buf.WriteString("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"errors\":")
			buf.Flush()
		}
	})
	clock := newClientTestClock()
	p := clock.policy()
	p.MaxRetries = 1
	_, err := s.client(t, withPolicy(p)).Create(clientTestCtx(t), clientTestCreate)
	if err == nil || !strings.Contains(err.Error(), "closed without a response") || strings.Contains(err.Error(), "reading its body") {
		t.Fatalf("error %v, want the last attempt's: the connection closed without a response", err)
	}
	if n := s.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	clock := newClientTestClock()
	c, err := clientTestNew(Config{SecretKey: clientTestKey, APIURL: "http://" + addr}, withHTTP(clientTestHTTP(t)), withLimiter(nil), withPolicy(clock.policy()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Revoke(clientTestCtx(t), "agttsk_1")
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "gave up after 6 attempts") ||
		!strings.HasPrefix(err.Error(), "revoke agent task agttsk_1: ") {
		t.Fatalf("error %v, want connection refused after 6 attempts", err)
	}
	if strings.Contains(err.Error(), clientTestKey) {
		t.Errorf("error shows the key")
	}
	if got := len(clock.waits()); got != 5 {
		t.Errorf("%d waits, want 5", got)
	}
}

// clientTestRoundTrip is an http.RoundTripper made of a function.
type clientTestRoundTrip func(*http.Request) (*http.Response, error)

func (f clientTestRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryDNSErrors(t *testing.T) {
	t.Parallel()
	for _, dnsErr := range []*net.DNSError{
		{Err: "no such host", Name: "api.clerk.test", IsNotFound: true},
		{Err: "server misbehaving", Name: "api.clerk.test", IsTemporary: true},
		{Err: "i/o timeout", Name: "api.clerk.test", IsTimeout: true},
	} {
		var attempts atomic.Int64
		base := clientTestRoundTrip(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			if r.Body != nil {
				r.Body.Close()
			}
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: dnsErr}
		})
		clock := newClientTestClock()
		c, err := clientTestNew(Config{SecretKey: clientTestKey, APIURL: "https://api.clerk.test"},
			withHTTP(&http.Client{Transport: base}), withLimiter(nil), withPolicy(clock.policy()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(clientTestCtx(t), clientTestCreate)
		if !errors.As(err, new(*net.DNSError)) || !strings.Contains(err.Error(), "gave up after 6 attempts") {
			t.Errorf("%s: error %v, want the DNS error after 6 attempts", dnsErr.Err, err)
		}
		if n := attempts.Load(); n != 6 {
			t.Errorf("%s: %d attempts, want 6 (DNS failures are retried)", dnsErr.Err, n)
		}
	}
}

func TestRetryAttemptTimeout(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			io.ReadAll(r.Body) // so the server notices the client hanging up
			select {           // hang until the client gives up on the attempt
			case <-r.Context().Done():
			case <-time.After(10 * time.Second): // a bound on a broken test
			}
			return
		}
		clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
	})
	clock := newClientTestClock()
	p := clock.policy()
	p.AttemptTimeout = 200 * time.Millisecond
	if _, err := s.client(t, withPolicy(p)).Create(clientTestCtx(t), clientTestCreate); err != nil {
		t.Fatal(err)
	}
	// Only the first attempt hangs, but on a loaded machine a later one
	// may be slow to answer too and be retried again: what matters is
	// that the timed-out attempt was retried and the call succeeded.
	if n := s.requests.Load(); n < 2 {
		t.Errorf("%d requests, want the hung one and at least one retry", n)
	}
}

func TestRetryAttemptTimeoutDoesNotCutTheBody(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, clientTestCreated[:20])
		http.NewResponseController(w).Flush()
		time.Sleep(1500 * time.Millisecond) // the fault: a slow body, three attempt timeouts long
		io.WriteString(w, clientTestCreated[20:])
	})
	// The headers come at once; the timeout is long enough that they
	// arrive within it even on a loaded machine under -race.
	p := clientTestFastRetries
	p.AttemptTimeout = 500 * time.Millisecond
	task, err := s.client(t, withPolicy(p)).Create(clientTestCtx(t), clientTestCreate)
	if err != nil {
		t.Fatal(err)
	}
	if task.ID != "agttsk_1" || s.requests.Load() != 1 {
		t.Errorf("task %v after %d requests", task, s.requests.Load())
	}
}

func TestRetryCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		clientTestWriteJSON(w, http.StatusServiceUnavailable, `{"errors":[]}`)
	})
	ctx, cancel := context.WithCancel(clientTestCtx(t))
	p := RetryPolicy{MaxJitter: -1, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}}
	_, err := s.client(t, withPolicy(p)).Create(ctx, clientTestCreate)
	if !errors.Is(err, context.Canceled) || s.requests.Load() != 1 {
		t.Fatalf("error %v after %d requests, want context.Canceled after 1", err, s.requests.Load())
	}
}

func TestRetryWaitsOnTheLimiterBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			clientTestWriteJSON(w, http.StatusInternalServerError, `{"errors":[]}`)
			return
		}
		clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
	})
	l := rate.NewLimiter(rate.Every(time.Hour), 10) // tokens do not come back during the test
	clock := newClientTestClock()
	if _, err := s.client(t, withLimiter(l), withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate); err != nil {
		t.Fatal(err)
	}
	if got := l.Tokens(); got < 6.5 || got > 7.5 {
		t.Errorf("limiter has %.2f tokens left, want 7 (one per attempt)", got)
	}

	// A limiter that can never admit fails fast with its error.
	_, err := s.client(t, withLimiter(NewServerShareLimiter(0, time.Second, 1))).Create(clientTestCtx(t), clientTestCreate)
	if err == nil || !strings.Contains(err.Error(), "rate limiter") {
		t.Errorf("error %v, want the limiter's", err)
	}
}

func TestRetryNotWithoutReplayableBody(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		clientTestWriteJSON(w, http.StatusServiceUnavailable, `{"errors":[]}`)
	})
	tr := &retryTransport{base: clientTestHTTP(t).Transport, policy: RetryPolicy{MaxJitter: -1, BaseDelay: time.Millisecond}.withDefaults()}
	req, err := http.NewRequestWithContext(clientTestCtx(t), http.MethodPost, s.URL, io.NopCloser(strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	req.GetBody = nil
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || s.requests.Load() != 1 {
		t.Errorf("status %d after %d requests, want one 503", resp.StatusCode, s.requests.Load())
	}
}

func TestRetryAgainstEmulatorFaults(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	clock := newClientTestClock()
	var logs clientTestLogs
	c := clientTestClient(t, emu, withPolicy(clock.policy()), withLogger(logs.logger()))
	ctx := clientTestCtx(t)

	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 2, Status: 429, RetryAfter: 3 * time.Second})
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 1, Status: 503})
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 1, Drop: true})
	task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(clock.waits()), fmt.Sprint([]time.Duration{3 * time.Second, 3 * time.Second, 4 * time.Second, 8 * time.Second}); got != want {
		t.Errorf("waits %s, want %s", got, want)
	}
	if n := emu.Requests(clerkemu.RouteCreateTask); n != 5 {
		t.Errorf("%d create requests, want 5", n)
	}
	// The dropped request never reached the handler: one task only.
	if n := len(emu.Tasks()); n != 1 {
		t.Errorf("%d tasks, want 1", n)
	}
	emu.InjectFault(clerkemu.RouteRevokeTask, clerkemu.Fault{Times: 1, Status: 500})
	if _, err := c.Revoke(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	lines := logs.all()
	if len(lines) != 6 {
		t.Errorf("%d log lines, want 5 retries and the warning about the dropped attempt:\n%s", len(lines), strings.Join(lines, ""))
	}
	// The client cannot tell that the drop came before the handler: it
	// says the fourth attempt may have left a task nobody holds.
	const dup = "attempt 4 may have created a task nobody holds; Clerk expires it"
	if !strings.Contains(task.Warning, dup) || !strings.Contains(strings.Join(lines, ""), "level=WARN msg=\"agenttest: create agent task for "+clientTestAdaID+": no answer to attempt 4 (") {
		t.Errorf("Task.Warning %q and the logs lack the warning %q:\n%s", task.Warning, dup, strings.Join(lines, ""))
	}
	all := strings.Join(lines, "")
	for _, want := range []string{"attempt=1", "status=429", "wait=3s", "retry_after=3s", "status=503", "wait=4s", "status=500"} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %q:\n%s", want, all)
		}
	}
	// A dropped connection reads as EOF or, when the close races the
	// request's write, as a reset: both are the drop.
	if !strings.Contains(all, "EOF") && !strings.Contains(all, "connection reset by peer") {
		t.Errorf("logs lack the dropped connection (EOF or reset):\n%s", all)
	}

	// A deadline shorter than the next backoff fails fast, saying so.
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 10, Status: 503})
	short, cancel := context.WithDeadline(ctx, clock.Now().Add(1500*time.Millisecond))
	defer cancel()
	before := len(clock.waits())
	_, err = c.Create(short, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "would pass the context deadline") {
		t.Errorf("error %v, want the 503 and the deadline", err)
	}
	if got := len(clock.waits()) - before; got != 1 {
		t.Errorf("%d waits, want 1 (1 s fits, 2 s does not)", got)
	}
}

// clientTestWaitPending polls emu (bounded by ctx) until it holds want
// pending tasks, and returns how many it holds at the end.
func clientTestWaitPending(ctx context.Context, emu *clerkemu.Emulator, want int) int {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n := len(emu.Tasks(clerkemu.TaskPending))
		if n == want {
			return n
		}
		select {
		case <-ctx.Done():
			return n
		case <-tick.C:
		}
	}
}

// TestCreateRetriedAfterAStallNamesTheDuplicate is where "2 pending"
// after one Create comes from: the first attempt stalls longer than the
// attempt timeout, the client gives up on it and retries, and the
// emulator, like Clerk, still carries out the stalled request (its body
// is unread while it stalls, so the server never notices the client
// left). The second attempt creates the task the caller gets; the first
// leaves one nobody holds. Create succeeds and says so, in
// Task.Warning and in a warning log line.
func TestCreateRetriedAfterAStallNamesTheDuplicate(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	clock := newClientTestClock()
	policy := clock.policy()
	policy.AttemptTimeout = 200 * time.Millisecond
	var logs clientTestLogs
	c := clientTestClient(t, emu, withPolicy(policy), withLogger(logs.logger()))
	ctx := clientTestCtx(t)

	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Delay: 600 * time.Millisecond})
	task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if err != nil {
		t.Fatal(err)
	}
	if n := clientTestWaitPending(ctx, emu, 2); n != 2 {
		t.Fatalf("%d pending tasks after the stalled attempt was carried out, want 2 (the duplicate and %s)", n, task.ID)
	}
	const want = "no answer to the first attempt (no response within 200ms: attempt timed out): the first attempt may have created a task nobody holds; Clerk expires it"
	if task.Warning != want {
		t.Errorf("Task.Warning\n %q\nwant\n %q", task.Warning, want)
	}
	var warn string
	for _, l := range logs.all() {
		if strings.Contains(l, "level=WARN") {
			warn = l
		}
	}
	if !strings.Contains(warn, "agenttest: create agent task for "+clientTestAdaID+": "+want) || !strings.Contains(warn, "task_id="+task.ID) || !strings.Contains(warn, "attempts=2") {
		t.Errorf("warning log %q, want the note, the task id and 2 attempts", warn)
	}
	if _, err := c.Revoke(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(emu.Tasks(clerkemu.TaskPending)); n != 1 {
		t.Errorf("%d pending after revoking ours, want the 1 duplicate", n)
	}
}

// TestCreateDuplicateNotes: which outcomes count as a possibly created
// task. 429, 503 and refused connections say the request was not
// carried out: no note. 500, 502, 504 and timeouts may have been: a
// note, in the error when no attempt succeeded.
func TestCreateDuplicateNotes(t *testing.T) {
	t.Parallel()
	answer := func(statuses ...int) func(w http.ResponseWriter, r *http.Request, n int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if n <= len(statuses) {
				clientTestWriteJSON(w, statuses[n-1], `{"errors":[{"code":"busy","message":"busy","long_message":"try later"}]}`)
				return
			}
			clientTestWriteJSON(w, http.StatusOK, clientTestCreated)
		}
	}
	for _, c := range []struct {
		name     string
		statuses []int
		warning  string
	}{
		{"429 and 503 are refusals", []int{429, 503, 429}, ""},
		{"a 502", []int{502}, "no answer to the first attempt (502 Bad Gateway): the first attempt may have created a task nobody holds; Clerk expires it"},
		{"429 then 504", []int{429, 504}, "no answer to attempt 2 (504 Gateway Timeout): attempt 2 may have created a task nobody holds; Clerk expires it"},
		{"500, 503, 502", []int{500, 503, 502}, "no answer to attempts 1, 3 (500 Internal Server Error; 502 Bad Gateway): each may have created a task nobody holds; Clerk expires them"},
	} {
		s := newClientTestServer(t, answer(c.statuses...))
		clock := newClientTestClock()
		task, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if task.Warning != c.warning {
			t.Errorf("%s: Task.Warning\n %q\nwant\n %q", c.name, task.Warning, c.warning)
		}
	}

	// No attempt succeeds: the error says each may have left a task.
	s := newClientTestServer(t, answer(502, 502, 502))
	clock := newClientTestClock()
	_, err := s.client(t, withPolicy(RetryPolicy{MaxRetries: 2, MaxJitter: -1, Sleep: clock.Sleep, Now: clock.Now})).Create(clientTestCtx(t), clientTestCreate)
	const want = "create agent task for user_123: 502 busy: try later (gave up after 3 attempts; no answer to attempts 1, 2, 3 (502 Bad Gateway; 502 Bad Gateway; 502 Bad Gateway): each may have created a task nobody holds; Clerk expires them)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	// Revoke is a POST too, but creates nothing: no note.
	s = newClientTestServer(t, answer(502, 502))
	clock = newClientTestClock()
	_, err = s.client(t, withPolicy(RetryPolicy{MaxRetries: 1, MaxJitter: -1, Sleep: clock.Sleep, Now: clock.Now})).Revoke(clientTestCtx(t), "agttsk_1")
	if err == nil || strings.Contains(err.Error(), "nobody holds") {
		t.Errorf("revoke error %v, want the 502 without a duplicate note", err)
	}
}

// TestCreateStalledUntilGivingUpNamesTheDuplicates: every attempt
// stalls past the attempt timeout; the error names both attempts as
// possibly created, on one line.
func TestCreateStalledUntilGivingUpNamesTheDuplicates(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	clock := newClientTestClock()
	c := clientTestClient(t, emu, withPolicy(RetryPolicy{MaxRetries: 1, AttemptTimeout: 100 * time.Millisecond, MaxJitter: -1, Sleep: clock.Sleep, Now: clock.Now}))
	ctx := clientTestCtx(t)
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 2, Delay: 300 * time.Millisecond})
	_, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	const want = "(gave up after 2 attempts; no answer to attempts 1, 2 (no response within 100ms: attempt timed out; no response within 100ms: attempt timed out): each may have created a task nobody holds; Clerk expires them)"
	if err == nil || !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error\n %v\nwant one line ending\n %s", err, want)
	}
	if n := clientTestWaitPending(ctx, emu, 2); n != 2 {
		t.Errorf("%d pending tasks, want the 2 the stalled attempts created", n)
	}
}
