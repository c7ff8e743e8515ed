package agenttask

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

func TestSessionAndRevokeSession(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if err != nil {
		t.Fatal(err)
	}
	visitor := clientTestHTTP(t)
	visitor.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := visitor.Get(task.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sessions := emu.Sessions(clerkemu.SessionActive)
	if len(sessions) != 1 {
		t.Fatalf("%d active sessions, want 1", len(sessions))
	}
	s, err := c.Session(ctx, sessions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var actor struct{ Type, TaskID string }
	_ = json.Unmarshal(s.Actor, &struct {
		Type   *string `json:"type"`
		TaskID *string `json:"task_id"`
	}{&actor.Type, &actor.TaskID})
	if s.Status != "active" || s.UserID != clientTestAdaID || actor.Type != "agent" || actor.TaskID != task.ID {
		t.Errorf("Session = %+v (actor %s)", s, s.Actor)
	}
	revoked, err := c.RevokeSession(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if revoked.Status != "revoked" {
		t.Errorf("RevokeSession status %q", revoked.Status)
	}
	if n := len(emu.Sessions(clerkemu.SessionActive)); n != 0 {
		t.Errorf("%d active sessions after revoke", n)
	}
	for _, call := range []func() error{
		func() error { _, err := c.Session(ctx, "sess_unknown"); return err },
		func() error { _, err := c.RevokeSession(ctx, "sess_unknown"); return err },
	} {
		var apiErr *APIError
		if err := call(); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Op == "" {
			t.Errorf("unknown session: %v, want a 404 *APIError", err)
		}
	}
	if _, err := c.Session(ctx, ""); err == nil {
		t.Errorf("Session(\"\") did not refuse")
	}
}
