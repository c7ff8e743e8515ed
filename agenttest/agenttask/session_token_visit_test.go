package agenttask_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/frontend"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/internal/clerktest"
)

// sessionTestVisit creates a task for Ada and visits its URL without a
// browser, returning the session token the handshake carried.
func sessionTestVisit(t *testing.T, emu *clerkemu.Emulator, c *agenttask.Client, redirect string, tt *agenttask.TestingToken) (*agenttask.Task, *agenttask.SessionToken) {
	t.Helper()
	ctx := clerktest.Ctx(t)
	task, err := c.Create(ctx, agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := frontend.VisitTask(ctx, clerktest.HTTP(t), task, tt)
	if err != nil {
		t.Fatal(err)
	}
	return task, tok
}

func TestSessionTokenMintsUntilRevoked(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	task, first := sessionTestVisit(t, emu, c, clerktest.Redirect, nil)
	before := emu.Now()
	tok, err := c.SessionToken(ctx, first.SessionID)
	after := emu.Now()
	if err != nil {
		t.Fatal(err)
	}
	if tok.SessionID != first.SessionID || tok.UserID != clerktest.AdaID || tok.ActorTaskID != task.ID || tok.Value() == "" || tok.Value() == first.Value() {
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
		var apiErr *agenttask.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
			t.Errorf("SessionToken(%s) = %v, want a 404 *APIError", id, err)
		}
	}
	if _, err := c.SessionToken(ctx, "https://x/?ticket=1"); err == nil || strings.Contains(err.Error(), "ticket=1") {
		t.Errorf("SessionToken(a URL) = %v, want a refusal that does not repeat it", err)
	}
}

func TestTokenSourceRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	ctx := clerktest.Ctx(t)
	_, first := sessionTestVisit(t, emu, c, clerktest.Redirect, nil)
	src := c.NewTokenSource(first.SessionID, agenttask.TokenSourceOptions{Now: emu.Now, Initial: first})
	mints := func() int { return emu.Requests(clerkemu.RouteSessionTokens) }

	tok, err := src.Token(ctx)
	if err != nil || tok != first || mints() != 0 {
		t.Fatalf("first Token = %v, %v after %d mints; want the initial token, no mint", tok, err, mints())
	}
	emu.Advance(clerkemu.DefaultTokenTTL - agenttask.DefaultRefreshMargin - 2*time.Second) // 11-12 s left (exp is whole seconds): fresh
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
	got := make([]*agenttask.SessionToken, callers)
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
	var apiErr *agenttask.APIError
	if _, err := src.Token(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("Token after revoke = %v, want a 404 *APIError", err)
	}
}
