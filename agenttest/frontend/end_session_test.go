package frontend

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/internal/clerktest"

	"github.com/agenttest/agenttest/agenttest/agenttask"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
)

// endTestVisit creates a task for Ada, visits its URL as a browser's
// first hop would and returns the session id, the __client cookie and
// the dev browser token the visit left.
func endTestVisit(t *testing.T, emu *clerkemu.Emulator, c *agenttask.Client, redirect string, tt *agenttask.TestingToken) (sessionID, client, devBrowser string) {
	t.Helper()
	task, err := c.Create(clerktest.Ctx(t), agenttask.CreateParams{UserID: clerktest.AdaID, RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	u := task.URL()
	if tt != nil {
		u += "&" + testingTokenParam + "=" + url.QueryEscape(tt.Value())
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("task URL: status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == clientCookieName {
			client = ck.Value
		}
	}
	if loc, err := resp.Location(); err == nil {
		devBrowser = loc.Query().Get(devBrowserName)
	}
	for _, s := range emu.Sessions() {
		if s.TaskID == task.ID {
			return s.ID, client, devBrowser
		}
	}
	t.Fatal("the visit made no session")
	return "", "", ""
}

func TestEndSessionEndsItWithoutTheBackendAPI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     clerkemu.Options
		redirect string
		cfg      func(*agenttask.Config)
		by       func(client, dvb string) (string, string) // which credentials to send
	}{
		{"development, __client cookie", clerkemu.Options{}, clerktest.Redirect, nil, func(c, _ string) (string, string) { return c, "" }},
		{"development, dev browser token", clerkemu.Options{}, clerktest.Redirect, nil, func(_, d string) (string, string) { return "", d }},
		{"production", clerkemu.Options{SecretKey: "sk_live_endsessionproduction001"}, "https://localhost:3000/dashboard",
			func(c *agenttask.Config) { c.AllowProduction = true }, func(c, _ string) (string, string) { return c, "" }},
		{"bot protection", clerkemu.Options{BotProtection: true}, clerktest.Redirect, nil, func(c, d string) (string, string) { return c, d }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := clerktest.Emulator(t, tc.opts)
			c := clerktest.Client(t, emu, tc.cfg)
			tt, err := c.CreateTestingToken(clerktest.Ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			id, client, dvb := endTestVisit(t, emu, c, tc.redirect, tt)
			client, dvb = tc.by(client, dvb)
			if client == "" && dvb == "" {
				t.Fatal("the visit left neither a __client cookie nor a dev browser token")
			}
			revokes := emu.Requests(clerkemu.RouteRevokeSession)
			err = EndSession(clerktest.Ctx(t), clerktest.HTTP(t), SignOut{
				FrontendAPI: emu.FrontendURL(), SessionID: id, Client: client, DevBrowser: dvb, TestingToken: tt,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := emu.Sessions(clerkemu.SessionEnded); len(got) != 1 || got[0].ID != id {
				t.Errorf("ended sessions = %+v, want %s", got, id)
			}
			if got := emu.Requests(clerkemu.RouteRevokeSession); got != revokes {
				t.Errorf("EndSession made %d Backend API revocations", got-revokes)
			}
		})
	}
}

func TestEndSessionRefusals(t *testing.T) {
	t.Parallel()
	emu := clerktest.Emulator(t, clerkemu.Options{})
	c := clerktest.Client(t, emu)
	id, client, dvb := endTestVisit(t, emu, c, clerktest.Redirect, nil)
	other, _, _ := endTestVisit(t, emu, c, clerktest.Redirect, nil)
	ctx := clerktest.Ctx(t)

	// Bad input: refused before any request.
	for _, s := range []SignOut{
		{FrontendAPI: emu.FrontendURL(), Client: client},
		{FrontendAPI: emu.FrontendURL(), SessionID: "sess_a/../b", Client: client},
		{FrontendAPI: "127.0.0.1:80", SessionID: id, Client: client},
		{FrontendAPI: emu.FrontendURL(), SessionID: id},
	} {
		err := EndSession(ctx, clerktest.HTTP(t), s)
		if err == nil || !strings.Contains(err.Error(), ": ") {
			t.Errorf("EndSession(%+v) = %v, want a refusal", s.SessionID, err)
		}
	}
	if got := emu.Requests(clerkemu.RouteEndSession); got != 0 {
		t.Errorf("bad input made %d requests", got)
	}

	// Another client's session: the Frontend API's 404, and nothing ended.
	err := EndSession(ctx, clerktest.HTTP(t), SignOut{FrontendAPI: emu.FrontendURL(), SessionID: other, Client: client, DevBrowser: dvb})
	var apiErr *agenttask.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || !apiErr.HasCode("resource_not_found") {
		t.Fatalf("another client's session: %v, want a 404 resource_not_found *APIError", err)
	}
	for _, secret := range []string{client, dvb} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a credential: %v", err)
		}
	}
	// A browser the Frontend API does not know.
	err = EndSession(ctx, clerktest.HTTP(t), SignOut{FrontendAPI: emu.FrontendURL(), SessionID: id, Client: "nope"})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || !apiErr.HasCode("dev_browser_unauthenticated") {
		t.Errorf("unknown browser: %v, want a 401 dev_browser_unauthenticated *APIError", err)
	}
	if got := emu.Sessions(clerkemu.SessionActive); len(got) != 2 {
		t.Errorf("%d sessions active after refusals, want 2", len(got))
	}
	// Twice: the second is done too.
	for range 2 {
		if err := EndSession(ctx, clerktest.HTTP(t), SignOut{FrontendAPI: emu.FrontendURL(), SessionID: id, Client: client}); err != nil {
			t.Fatal(err)
		}
	}
	// A closed Frontend API: a transport error that names the host only.
	err = EndSession(ctx, clerktest.HTTP(t), SignOut{FrontendAPI: "http://127.0.0.1:1", SessionID: id, Client: client, DevBrowser: dvb})
	if err == nil || strings.Contains(err.Error(), dvb) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("closed Frontend API: %v", err)
	}
}
