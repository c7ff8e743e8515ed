package agenttask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// sessionTestVisit creates a task for Ada and visits its URL without a
// browser, returning the session token the handshake carried.
func sessionTestVisit(t *testing.T, emu *clerkemu.Emulator, c *Client, redirect string, tt *TestingToken) (*Task, *SessionToken) {
	t.Helper()
	ctx := clientTestCtx(t)
	task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := VisitTask(ctx, clientTestHTTP(t), task, tt)
	if err != nil {
		t.Fatal(err)
	}
	return task, tok
}

func TestVisitTaskReadsTheSessionFromTheHandshake(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     clerkemu.Options
		redirect string
		cfg      clientTestOpt
	}{
		// Development: the handshake is in the redirect's query.
		{"development", clerkemu.Options{}, clientTestRedirect, nil},
		// Production: the handshake is a cookie of the redirect's domain.
		{"production", clerkemu.Options{SecretKey: "sk_live_visittaskproduction0001"}, "https://localhost:3000/dashboard",
			func(c *Config) { c.AllowProduction = true }},
		// Bot protection: the visit carries the Testing Token.
		{"bot protection", clerkemu.Options{BotProtection: true}, clientTestRedirect, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := clientTestEmulator(t, tc.opts)
			c := clientTestClient(t, emu, tc.cfg)
			var tt *TestingToken
			if tc.opts.BotProtection {
				var err error
				if tt, err = c.CreateTestingToken(clientTestCtx(t)); err != nil {
					t.Fatal(err)
				}
			}
			task, tok := sessionTestVisit(t, emu, c, tc.redirect, tt)
			sessions := emu.Sessions(clerkemu.SessionActive)
			if len(sessions) != 1 {
				t.Fatalf("%d active sessions after the visit, want 1", len(sessions))
			}
			if tok.SessionID != sessions[0].ID || tok.UserID != clientTestAdaID || tok.ActorTaskID != task.ID {
				t.Errorf("handshake token: session %s user %s task %s, want %s %s %s",
					tok.SessionID, tok.UserID, tok.ActorTaskID, sessions[0].ID, clientTestAdaID, task.ID)
			}
			if !tok.ExpiresAt.After(emu.Now()) {
				t.Errorf("handshake token expires %v, before the emulator's now %v", tok.ExpiresAt, emu.Now())
			}
		})
	}
}

func TestVisitTaskRefusedTwiceAndWithoutTestingToken(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	task, _ := sessionTestVisit(t, emu, c, clientTestRedirect, nil)
	_, err := VisitTask(clientTestCtx(t), clientTestHTTP(t), task, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !apiErr.HasCode("agent_task_already_used") {
		t.Fatalf("second visit: %v, want a 400 agent_task_already_used *APIError", err)
	}
	if strings.Contains(err.Error(), "ticket=") && !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("the error shows the ticket: %v", err)
	}

	bot := clientTestEmulator(t, clerkemu.Options{BotProtection: true})
	bc := clientTestClient(t, bot)
	task2, err := bc.Create(clientTestCtx(t), CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if err != nil {
		t.Fatal(err)
	}
	_, err = VisitTask(clientTestCtx(t), clientTestHTTP(t), task2, nil)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("visit without a Testing Token under bot protection: %v, want a 400 *APIError", err)
	}
	if n := len(bot.Sessions()); n != 0 {
		t.Errorf("a refused visit made %d sessions", n)
	}
	if _, err := VisitTask(clientTestCtx(t), nil, &Task{ID: "agttsk_x"}, nil); err == nil {
		t.Error("VisitTask of a task without URL did not fail")
	}
}

func TestVisitTaskConnectionErrorHidesTheTicket(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	task := &Task{ID: "agttsk_gone", url: func() string { return addr + "/v1/agents/tasks?ticket=secretticket123" }}
	_, err := VisitTask(clientTestCtx(t), nil, task, nil)
	if err == nil {
		t.Fatal("a visit to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "secretticket123") {
		t.Errorf("the error shows the ticket: %v", err)
	}
}

func TestSessionTokenMintsUntilRevoked(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	task, first := sessionTestVisit(t, emu, c, clientTestRedirect, nil)
	before := emu.Now()
	tok, err := c.SessionToken(ctx, first.SessionID)
	after := emu.Now()
	if err != nil {
		t.Fatal(err)
	}
	if tok.SessionID != first.SessionID || tok.UserID != clientTestAdaID || tok.ActorTaskID != task.ID || tok.Value() == "" || tok.Value() == first.Value() {
		t.Errorf("minted %v (user %s, task %s)", tok, tok.UserID, tok.ActorTaskID)
	}
	// exp is whole seconds: TTL after the minting second, which is
	// between before and after (on the emulator's real clock, however
	// slow the machine).
	ttl := clerkemu.DefaultTokenTTL
	if lo, hi := before.Add(ttl).Truncate(time.Second), after.Add(ttl); tok.ExpiresAt.Before(lo) || tok.ExpiresAt.After(hi) {
		t.Errorf("the token expires at %v, want between %v and %v: %v after it was minted (whole seconds)", tok.ExpiresAt, lo, hi, ttl)
	}
	js, _ := json.Marshal(tok)
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "token", tok)
	for _, shown := range []string{fmt.Sprintf("%v %+v %#v %s %q", tok, tok, tok, tok, tok), string(js), logs.String()} {
		if strings.Contains(shown, tok.Value()) || !strings.Contains(shown, "REDACTED") {
			t.Errorf("the token prints unredacted: %s", shown)
		}
	}
	if _, err := c.RevokeSession(ctx, first.SessionID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{first.SessionID, "sess_unknown"} {
		_, err := c.SessionToken(ctx, id)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			t.Errorf("SessionToken(%s) = %v, want a 404 *APIError", id, err)
		}
	}
	if _, err := c.SessionToken(ctx, "https://x/?ticket=1"); err == nil || strings.Contains(err.Error(), "ticket=1") {
		t.Errorf("SessionToken(a URL) = %v, want a refusal that does not repeat it", err)
	}
}

func TestParseSessionTokenRefusesNonTokens(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.e30.c"} { // e30 = {}
		if _, err := ParseSessionToken(s); err == nil {
			t.Errorf("ParseSessionToken(%q) succeeded", s)
		}
	}
}

func TestTokenSourceRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	_, first := sessionTestVisit(t, emu, c, clientTestRedirect, nil)
	src := c.NewTokenSource(first.SessionID, TokenSourceOptions{Now: emu.Now, Initial: first})
	mints := func() int { return emu.Requests(clerkemu.RouteSessionTokens) }

	tok, err := src.Token(ctx)
	if err != nil || tok != first || mints() != 0 {
		t.Fatalf("first Token = %v, %v after %d mints; want the initial token, no mint", tok, err, mints())
	}
	emu.Advance(clerkemu.DefaultTokenTTL - DefaultRefreshMargin - 2*time.Second) // 11-12 s left (exp is whole seconds): fresh
	if tok, err = src.Token(ctx); err != nil || tok != first || mints() != 0 {
		t.Fatalf("Token with 11-12 s left = %v, %v after %d mints; want the same token", tok, err, mints())
	}
	emu.Advance(3 * time.Second) // 8-9 s left: inside the margin
	if tok, err = src.Token(ctx); err != nil || tok == first || mints() != 1 {
		t.Fatalf("Token with 8-9 s left = %v, %v after %d mints; want a fresh token, one mint", tok, err, mints())
	}
	if !tok.ExpiresAt.After(first.ExpiresAt) {
		t.Errorf("the fresh token expires %v, not after the first's %v", tok.ExpiresAt, first.ExpiresAt)
	}

	// Concurrent callers past the expiry: one mint, one token for all.
	emu.Advance(clerkemu.DefaultTokenTTL)
	const callers = 16
	got := make([]*SessionToken, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if got[i], err = src.Token(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if mints() != 2 {
		t.Errorf("%d mints for %d concurrent callers after expiry, want 1 more (2 in all)", mints(), callers)
	}
	for _, g := range got {
		if g != got[0] {
			t.Fatal("concurrent callers got different tokens")
		}
	}

	// Revoked: the next mint fails.
	if _, err := c.RevokeSession(ctx, first.SessionID); err != nil {
		t.Fatal(err)
	}
	emu.Advance(clerkemu.DefaultTokenTTL)
	var apiErr *APIError
	if _, err := src.Token(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("Token after revoke = %v, want a 404 *APIError", err)
	}
}

func TestTokenSourceWaiterGivesUp(t *testing.T) {
	t.Parallel()
	src := (&Client{}).NewTokenSource("sess_1", TokenSourceOptions{})
	src.sem <- struct{}{} // a mint in flight
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token with a cancelled context while a mint is in flight = %v, want context.Canceled", err)
	}
}

// transportTestSource is a TokenSource with a fixed answer.
type transportTestSource struct {
	tok *SessionToken
	err error
}

func (s transportTestSource) Token(context.Context) (*SessionToken, error) { return s.tok, s.err }

// transportTestBody records whether it was closed.
type transportTestBody struct {
	io.Reader
	closed bool
}

func (b *transportTestBody) Close() error { b.closed = true; return nil }

func TestTransportSetsBearerOnAClone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	tok := &SessionToken{SessionID: "sess_1", value: func() string { return "the.jwt.value" }}
	tr := &Transport{Source: transportTestSource{tok: tok}, Base: srv.Client().Transport}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Basic old")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "Bearer the.jwt.value" {
		t.Errorf("the app saw Authorization %q", body)
	}
	if req.Header.Get("Authorization") != "Basic old" {
		t.Errorf("the caller's request was modified: %q", req.Header.Get("Authorization"))
	}

	// A source that fails: the body is closed, the error wraps the cause.
	cause := errors.New("mint failed")
	b := &transportTestBody{Reader: strings.NewReader("x")}
	req, _ = http.NewRequest(http.MethodPost, srv.URL, b)
	_, err = (&Transport{Source: transportTestSource{err: cause}}).RoundTrip(req)
	if !errors.Is(err, cause) || !b.closed {
		t.Errorf("failing source: err %v, body closed %t; want the cause and a closed body", err, b.closed)
	}
	if _, err := (&Transport{}).RoundTrip(req); err == nil {
		t.Error("a Transport without Source sent the request")
	}

	// A cause with the package's own prefix reads once.
	prefixed := errors.New("agenttest: mint session token for sess_1: 404 resource_not_found")
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err = (&Transport{Source: transportTestSource{err: prefixed}}).RoundTrip(req)
	if want := "agenttest: sign request: get a session token: mint session token for sess_1: 404 resource_not_found"; !errors.Is(err, prefixed) || err.Error() != want {
		t.Errorf("failing source: %v, want %q and the cause", err, want)
	}
}
