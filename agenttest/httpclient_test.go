package agenttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests start no browser: the run's browser is launched on first
// use only, so they need no browser lock.

// httpTestMe GETs path with c and decodes the demo app's /api/me answer.
func httpTestMe(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(fixtureCtx(t), http.MethodGet, path, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var me struct {
		ID string `json:"id"`
	}
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &me)
	return resp.StatusCode, me.ID
}

func TestHTTPClientCallsTheAppAsTheUser(t *testing.T) {
	t.Parallel()
	st := fixtureStart(t)
	c := HTTPClient(t, st.taskOpts(AsUser(fixtureGrace), WithClock(st.emu.Now))...)

	status, id := httpTestMe(t, c, "/api/me") // relative: the app's URL
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, fixtureGrace, id)
	status, id = httpTestMe(t, c, st.app.URL()+"/api/me")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, fixtureGrace, id)
	active := st.emu.Sessions(clerkemu.SessionActive)
	require.Len(t, active, 1)
	assert.Equal(t, "agent", active[0].Actor.Type, "the session is an Agent Task's, as a browser sign-in makes it")
	assert.Zero(t, st.emu.Requests(clerkemu.RouteSessionTokens), "the handshake's token serves the first minute without a mint")

	// Another host gets no token: it is for the app's origin only.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(other.Close)
	resp, err := c.Get(other.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Empty(t, string(body), "a request to another host carried an Authorization header")
}

func TestHTTPClientRefreshesTokensAcrossExpiry(t *testing.T) {
	t.Parallel()
	st := fixtureStart(t)
	// The test moves Clerk's clock 7 minutes on: the session must outlive
	// that. By default its lifetime is the time left before the test
	// binary's -timeout plus 2 minutes, which late in a long run (go test
	// -count=3) is less, and the token mint then finds the session ended.
	c := HTTPClient(t, st.taskOpts(AsUser(fixtureAda), WithClock(st.emu.Now), WithSessionMaxDuration(10*time.Minute))...)
	mints := func() int { return st.emu.Requests(clerkemu.RouteSessionTokens) }

	status, _ := httpTestMe(t, c, "/api/me")
	require.Equal(t, http.StatusOK, status)
	require.Zero(t, mints())
	st.emu.Advance(55 * time.Second) // inside the refresh margin, not yet expired
	status, id := httpTestMe(t, c, "/api/me")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, fixtureAda, id)
	assert.Equal(t, 1, mints(), "a token about to expire is replaced before it is sent")
	st.emu.Advance(5 * time.Minute) // far past every token's expiry
	status, id = httpTestMe(t, c, "/api/me")
	assert.Equal(t, http.StatusOK, status, "a call after the token expired still succeeds")
	assert.Equal(t, fixtureAda, id)
	assert.Equal(t, 2, mints())

	// Concurrent calls across an expiry: all succeed, one mint.
	st.emu.Advance(time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 3 {
				req, _ := http.NewRequest(http.MethodGet, "/api/me", nil)
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("concurrent GET /api/me: status %d", resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 3, mints(), "concurrent callers past an expiry share one mint")
}

func TestSignedInClientReleaseEndsTheSession(t *testing.T) {
	t.Parallel()
	st := fixtureStart(t)
	ctx := fixtureCtx(t)
	sc, err := HTTPClientContext(ctx, st.taskOpts(AsIdentifier("ada@example.com"), WithClock(st.emu.Now))...)
	t.Cleanup(func() { _ = sc.Release(fixtureCleanupCtx(t)) })
	require.NoError(t, err)
	assert.Equal(t, fixtureAda, sc.UserID())
	status, _ := httpTestMe(t, sc.Client, "/api/me")
	require.Equal(t, http.StatusOK, status)
	last, err := sc.Tokens.Token(ctx)
	require.NoError(t, err)
	// Recorded like a page's session: the run's ledger and in-flight set.
	r, err := currentRun()
	require.NoError(t, err)
	ledger := r.suite.ledger(st.client)
	require.NotNil(t, ledger)
	assert.Equal(t, 1, ledger.Outstanding(), "the ledger holds the session")
	r.inflight.mu.Lock()
	_, tracked := r.inflight.sessions[sc.session]
	r.inflight.mu.Unlock()
	assert.True(t, tracked, "the run's in-flight set holds the session")

	require.NotNil(t, sc.session.signOut, "the visit left what ends the session on the Frontend API")
	assert.NotEmpty(t, sc.session.signOut.Client, "the __client cookie")
	assert.NotEmpty(t, sc.session.signOut.DevBrowser, "the dev browser token of the 307")
	require.NoError(t, sc.Release(ctx))
	assert.Zero(t, ledger.Outstanding(), "the ledger still holds something after Release")
	r.inflight.mu.Lock()
	_, tracked = r.inflight.sessions[sc.session]
	r.inflight.mu.Unlock()
	assert.False(t, tracked, "the run's in-flight set still holds the session")
	require.NoError(t, sc.Release(ctx), "a second Release is a no-op")
	// Ended on the Frontend API by the visit's __client cookie and dev
	// browser token, as a browser signs out: no Backend API request.
	ended := st.emu.Sessions(clerkemu.SessionEnded)
	require.Len(t, ended, 1)
	assert.Equal(t, sc.SessionID(), ended[0].ID)
	assert.Zero(t, st.emu.Requests(clerkemu.RouteRevokeSession))
	assert.Empty(t, st.emu.Sessions(clerkemu.SessionActive))

	// Tokens are verified without Clerk: the last one works until its
	// exp, then the old token fails and no new one can be minted.
	st.emu.Advance(clerkemu.DefaultTokenTTL + time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, st.app.URL()+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+last.Value())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the old token still signs in after Release and its expiry")
	_, err = sc.Get("/api/me")
	var apiErr *agenttask.APIError
	require.ErrorAs(t, err, &apiErr, "a call after Release must fail to mint a token")
	assert.Equal(t, http.StatusNotFound, apiErr.Status)
	assert.NotContains(t, err.Error(), last.Value())
}

func TestSignedInClientFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	st := fixtureStart(t)
	ft := fixtureNewFakeT(t, "TestUnknownUser")
	ft.run(func(tb testing.TB) { HTTPClient(tb, st.taskOpts(AsUser("user_unknown"))...) })
	assert.True(t, ft.Failed())
	assert.Contains(t, ft.output(), "agenttest: sign in as user_unknown: create:")

	// A visit the Frontend API refuses, or that gets no answer: the
	// error names the step, and Release revokes the task; no session.
	for _, f := range []clerkemu.Fault{{Status: http.StatusServiceUnavailable}, {Drop: true}} {
		ctx := fixtureCtx(t)
		st.emu.InjectFault(clerkemu.RouteAcceptTask, f)
		sc, err := HTTPClientContext(ctx, st.taskOpts(AsUser(fixtureAda))...)
		var signInErr *SignInError
		require.ErrorAs(t, err, &signInErr)
		assert.Equal(t, StepNavigate, signInErr.Step, "%v", err)
		assert.NotContains(t, err.Error(), "ticket=ey")
		require.NotNil(t, sc.Task())
		require.NoError(t, sc.Release(ctx))
		assert.Empty(t, st.emu.Tasks(clerkemu.TaskPending), "a task outlived Release")
		assert.Empty(t, st.emu.Sessions())
	}

	// Bad options fail before any request, and Release takes the
	// half-built client.
	sc, err := HTTPClientContext(fixtureCtx(t), st.taskOpts(AsUser(fixtureAda), WithSessionMaxDuration(-1))...)
	var signInErr *SignInError
	require.ErrorAs(t, err, &signInErr)
	assert.Equal(t, StepConfig, signInErr.Step)
	require.NoError(t, sc.Release(fixtureCtx(t)))
}
