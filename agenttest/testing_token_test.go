package agenttest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// The suite creates a Testing Token once per client and replaces it when
// less than testingTokenMargin is left; CLERK_TESTING_TOKEN wins over
// creating one.
func TestSuiteTestingTokenIsCachedAndRenewed(t *testing.T) {
	t.Parallel()
	var created atomic.Int32
	ttl := atomic.Int64{}
	ttl.Store(int64(time.Hour / time.Second))
	bapi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/testing_tokens" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		n := created.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"testing_token","token":"1700000000-tok%d","expires_at":%d}`, n, time.Now().Unix()+ttl.Load())
	}))
	t.Cleanup(bapi.Close)
	c, err := agenttask.NewClient(agenttask.Config{SecretKey: "sk_test_0123456789abcdef", APIURL: bapi.URL, HTTPClient: bapi.Client(), Limiter: rate.NewLimiter(rate.Inf, 0)})
	require.NoError(t, err)

	s := newSuite(config.EnvFromMap(nil))
	first, err := s.testingToken(fixtureCtx(t), c)
	require.NoError(t, err)
	again, err := s.testingToken(fixtureCtx(t), c)
	require.NoError(t, err)
	assert.Equal(t, first.Value(), again.Value())
	assert.EqualValues(t, 1, created.Load(), "one token per client while it is fresh")
	assert.NotContains(t, fmt.Sprint(first), first.Value(), "a token prints redacted")

	// A token about to expire is replaced.
	ttl.Store(int64(testingTokenMargin/time.Second) - 10)
	s = newSuite(config.EnvFromMap(nil))
	short, err := s.testingToken(fixtureCtx(t), c)
	require.NoError(t, err)
	renewed, err := s.testingToken(fixtureCtx(t), c)
	require.NoError(t, err)
	assert.NotEqual(t, short.Value(), renewed.Value())
	assert.EqualValues(t, 3, created.Load())

	// CLERK_TESTING_TOKEN: no request at all.
	s = newSuite(config.EnvFromMap(map[string]string{config.VarTestingToken: " given-token "}))
	given, err := s.testingToken(fixtureCtx(t), c)
	require.NoError(t, err)
	assert.Equal(t, "given-token", given.Value())
	assert.EqualValues(t, 3, created.Load())
}

// While one sign-in asks for the Testing Token, the others wait for its
// answer, each as long as its own context allows: one request, and a
// caller whose context ends does not wait for it.
func TestSuiteTestingTokenWaitersKeepTheirOwnContext(t *testing.T) {
	t.Parallel()
	var created atomic.Int32
	release := make(chan struct{})
	bapi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := created.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"object":"testing_token","token":"1700000000-tok%d","expires_at":%d}`, n, time.Now().Unix()+3600)
	}))
	t.Cleanup(bapi.Close)
	c, err := agenttask.NewClient(agenttask.Config{SecretKey: "sk_test_0123456789abcdef", APIURL: bapi.URL, HTTPClient: bapi.Client(), Limiter: rate.NewLimiter(rate.Inf, 0)})
	require.NoError(t, err)
	s := newSuite(config.EnvFromMap(nil))

	lead := make(chan *agenttask.TestingToken, 1)
	go func() {
		tok, err := s.testingToken(fixtureCtx(t), c)
		assert.NoError(t, err)
		lead <- tok
	}()
	require.Eventually(t, func() bool { return created.Load() == 1 }, 5*time.Second, 5*time.Millisecond, "the first request is in flight")

	ctx, cancel := context.WithTimeout(fixtureCtx(t), 50*time.Millisecond)
	defer cancel()
	_, err = s.testingToken(ctx, c)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a waiter gives up with its own context")

	waiter := make(chan *agenttask.TestingToken, 1)
	go func() {
		tok, err := s.testingToken(fixtureCtx(t), c)
		assert.NoError(t, err)
		waiter <- tok
	}()
	close(release)
	first, second := <-lead, <-waiter
	assert.Equal(t, first.Value(), second.Value(), "the waiter gets the first request's token")
	assert.EqualValues(t, 1, created.Load(), "one request for every caller")
}

// Clerk's refusal of the Testing Token request is every waiter's answer:
// they do not each ask again, one after another, spending the Backend
// API's budget on the same refusal.
func TestSuiteTestingTokenWaitersShareClerksRefusal(t *testing.T) {
	t.Parallel()
	var created atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	open := func() { releaseOnce.Do(func() { close(release) }) }
	bapi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		created.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errors":[{"code":"authorization_invalid","message":"Unauthorized request","long_message":"You are not authorized"}],"clerk_trace_id":"t1"}`)
	}))
	t.Cleanup(bapi.Close)
	t.Cleanup(open) // before bapi.Close, which waits for the handler
	c, err := agenttask.NewClient(agenttask.Config{SecretKey: "sk_test_0123456789abcdef", APIURL: bapi.URL, HTTPClient: bapi.Client(), Limiter: rate.NewLimiter(rate.Inf, 0)})
	require.NoError(t, err)
	s := newSuite(config.EnvFromMap(nil))

	errs := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := s.testingToken(fixtureCtx(t), c)
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return created.Load() == 1 && testingTokenWaiters() == 2 }, 5*time.Second, 5*time.Millisecond,
		"the first request is in flight and the two others wait for it")
	open()
	for range 3 {
		assert.ErrorContains(t, <-errs, "authorization_invalid")
	}
	assert.EqualValues(t, 1, created.Load(), "one request for every caller")
}

// testingTokenWaiters counts the goroutines waiting in suite.testingToken
// for another's request: those whose stack, blocked in a select, begins
// in it.
func testingTokenWaiters() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		lines := strings.SplitN(g, "\n", 3)
		if len(lines) > 1 && strings.Contains(lines[0], "[select") && strings.Contains(lines[1], "agenttest.(*suite).testingToken(") {
			n++
		}
	}
	return n
}

// The Frontend API host comes out of a publishable key as Clerk's SDKs
// read it: the emulator's key names its development host.
func TestFrontendAPIFromPublishableKey(t *testing.T) {
	t.Parallel()
	emu := clerkemu.RunT(t, clerkemu.Options{})
	assert.Equal(t, emu.FrontendHost(), frontendAPIFromPublishableKey(emu.PublishableKey()))
	assert.Equal(t, "clerk.example.com", frontendAPIFromPublishableKey("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k"))
	for _, bad := range []string{"", "sk_test_abc", "pk_test_", "pk_test_!!!", "pk_test_Y2xlcmsuZXhhbXBsZS5jb20"} {
		assert.Empty(t, frontendAPIFromPublishableKey(bad), bad)
	}
}

func TestWithTestingToken(t *testing.T) {
	for _, c := range []struct{ raw, token, want string }{
		{"https://fapi.example/v1/agents/tasks?ticket=abc", "1713877200-c_x+y", "https://fapi.example/v1/agents/tasks?ticket=abc&__clerk_testing_token=1713877200-c_x%2By"},
		{"https://fapi.example/v1/x", "t", "https://fapi.example/v1/x?__clerk_testing_token=t"},
		{"https://fapi.example/v1/x?__clerk_testing_token=old", "t", "https://fapi.example/v1/x?__clerk_testing_token=old"},
		{"https://fapi.example/v1/x?a=1", "", "https://fapi.example/v1/x?a=1"},
	} {
		if got := withTestingToken(c.raw, c.token); got != c.want {
			t.Errorf("withTestingToken(%q, %q) = %q, want %q", c.raw, c.token, got, c.want)
		}
	}
}
