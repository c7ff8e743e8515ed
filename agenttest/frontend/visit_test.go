package frontend

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/agenttest/agenttask"
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
	tok, err := VisitTask(ctx, clerktest.HTTP(t), task, tt)
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
		cfg      func(*agenttask.Config)
	}{
		// Development: the handshake is in the redirect's query.
		{"development", clerkemu.Options{}, clerktest.Redirect, nil},
		// Production: the handshake is a cookie of the redirect's domain.
		{"production", clerkemu.Options{SecretKey: "sk_live_visittaskproduction0001"}, "https://localhost:3000/dashboard",
			func(c *agenttask.Config) { c.AllowProduction = true }},
		// Bot protection: the visit carries the Testing Token.
		{"bot protection", clerkemu.Options{BotProtection: true}, clerktest.Redirect, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := clerktest.Emulator(t, tc.opts)
			c := clerktest.Client(t, emu, tc.cfg)
			var tt *agenttask.TestingToken
			if tc.opts.BotProtection {
				var err error
				if tt, err = c.CreateTestingToken(clerktest.Ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
			task, tok := sessionTestVisit(t, emu, c, tc.redirect, tt)
			sessions := emu.Sessions(clerkemu.SessionActive)
			if len(sessions) != 1 {
				t.Fatalf("%d active sessions after the visit, want 1", len(sessions))
			}
			if tok.SessionID != sessions[0].ID || tok.UserID != clerktest.AdaID || tok.ActorTaskID != task.ID {
				t.Errorf("handshake token: session %s user %s task %s, want %s %s %s",
					tok.SessionID, tok.UserID, tok.ActorTaskID, sessions[0].ID, clerktest.AdaID, task.ID)
			}
			if !tok.ExpiresAt.After(emu.Now()) {
				t.Errorf("handshake token expires %v, before the emulator's now %v", tok.ExpiresAt, emu.Now())
			}
		})
	}
}

func TestVisitTaskRefusedTwiceAndWithoutTestingToken(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	task, _ := sessionTestVisit(t, emu, c, clerktest.Redirect, nil)
	_, err := VisitTask(clerktest.Ctx(t), clerktest.HTTP(t), task, nil)
	var apiErr *agenttask.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !apiErr.HasCode("agent_task_already_used") {
		t.Fatalf("second visit: %v, want a 400 agent_task_already_used *APIError", err)
	}
	if strings.Contains(err.Error(), "ticket=") && !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("the error shows the ticket: %v", err)
	}

	bot := clerktest.Emulator(t, clerkemu.Options{BotProtection: true})
	bc := clerktest.Client(t, bot)
	task2, err := bc.Create(clerktest.Ctx(t), agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	_, err = VisitTask(clerktest.Ctx(t), clerktest.HTTP(t), task2, nil)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("visit without a Testing Token under bot protection: %v, want a 400 *APIError", err)
	}
	if n := len(bot.Sessions()); n != 0 {
		t.Errorf("a refused visit made %d sessions", n)
	}
	if _, err := VisitTask(clerktest.Ctx(t), nil, &agenttask.Task{ID: "agttsk_x"}, nil); err == nil {
		t.Error("VisitTask of a task without URL did not fail")
	}
}

func TestVisitTaskConnectionErrorHidesTheTicket(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	task, err := clerktest.Client(t, emu).Create(clerktest.Ctx(t), agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: clerktest.Redirect})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(task.URL())
	if err != nil {
		t.Fatal(err)
	}
	ticket := u.Query().Get("ticket")
	if ticket == "" {
		t.Fatalf("the task URL %s has no ticket", task.RedactedURL())
	}
	emu.Close() // nothing listens there any more
	_, err = VisitTask(clerktest.Ctx(t), nil, task, nil)
	if err == nil {
		t.Fatal("a visit to a closed port succeeded")
	}
	if strings.Contains(err.Error(), ticket) {
		t.Errorf("the error shows the ticket: %v", err)
	}
}
