package nextapp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// The seed's own spec: the task URL signs Ada in, the server renders
// "Welcome Ada" from currentUser(), and clerk-js in the page holds the
// same user, whose email the client component shows from useUser().
func TestDashboardWelcomesTheUser(t *testing.T) {
	s := needStack(t)
	for _, way := range s.ways() {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			page, errs := signInAda(t, way.url)
			expect := playwright.NewPlaywrightAssertions()
			require.NoError(t, expect.Locator(page.Locator("#email")).ToHaveText("ada@example.com"))
			require.Equal(t, ada, clerkUserID(t, page))
			errs.none(t)
		})
	}
}

// clerk-js refreshes the 60 s session token by itself: past the first
// token's expiry, real time, the page and a reload still show the user.
// Real time, not the emulator's clock: clerk-js schedules its refresh
// from the browser's clock and the app's @clerk/backend checks tokens
// against node's, so only a wait keeps all three clocks in step, as they
// are against Clerk. About 65 s, parallel with the other specs.
func TestTokenRefreshesInThePage(t *testing.T) {
	s := needStack(t)
	t.Parallel()
	page, errs := signInAda(t, s.ways()[0].url, agenttest.WithTimeout(90*time.Second))
	expect := playwright.NewPlaywrightAssertions()
	first := sessionToken(t, page)

	// clerk-js writes each fresh token to the __session cookie.
	_, err := page.WaitForFunction(`(firstExp) => {
		const m = document.cookie.match(/(?:^|; )__session=([^;]+)/);
		if (!m || Date.now() / 1000 < firstExp + 1) return false;
		const claims = JSON.parse(atob(m[1].split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
		return claims.exp > firstExp;
	}`, first.Exp, playwright.PageWaitForFunctionOptions{Timeout: playwright.Float(120_000), Polling: 1000})
	require.NoError(t, err, "clerk-js did not refresh the session token past its expiry")
	require.Equal(t, ada, clerkUserID(t, page))
	require.NoError(t, expect.Locator(page.Locator("#email")).ToHaveText("ada@example.com"))

	_, err = page.Reload()
	require.NoError(t, err)
	require.NoError(t, expect.Locator(page.Locator("header")).ToHaveText("Welcome Ada"))
	require.Equal(t, ada, clerkUserID(t, page))
	next := sessionToken(t, page)
	require.Equal(t, first.Sid, next.Sid, "the refreshed token should be of the same session")
	require.Greater(t, next.Exp, first.Exp)
	errs.none(t)
}

// <SignOutButton/> signs out through clerk-js: the session is ended at
// the Backend API, /dashboard then sends the browser to the sign-in page,
// and the fixture's cleanup accepts a session that already ended.
func TestSignOutButtonSignsOut(t *testing.T) {
	s := needStack(t)
	for _, way := range s.ways() {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			page, errs := signInAda(t, way.url)
			expect := playwright.NewPlaywrightAssertions()

			require.NoError(t, page.GetByRole("button", playwright.PageGetByRoleOptions{Name: "Sign out"}).Click())
			require.NoError(t, expect.Page(page.Page).ToHaveURL(way.url+"/"))
			require.Equal(t, clerkemu.SessionEnded, sessionState(t, s, page.SessionID()))

			_, err := page.Goto(way.url + "/dashboard")
			require.NoError(t, err)
			require.NoError(t, expect.Page(page.Page).ToHaveURL(regexp.MustCompile(`^`+regexp.QuoteMeta(way.url+"/sign-in")+`([?#]|$)`)))
			errs.none(t)

			ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
			defer cancel()
			require.NoError(t, page.Release(ctx))
		})
	}
}

// signInAda signs Ada in to the app at url through a task URL, on a
// page whose Clerk console errors are recorded, and waits until
// /dashboard welcomes her.
func signInAda(t *testing.T, url string, opts ...agenttest.Option) (*agenttest.Page, *consoleErrors) {
	t.Helper()
	page, errs := newWatchedPage(t, opts...)
	require.NoError(t, page.SignIn(t.Context(), agenttest.RedirectTo(url+"/dashboard"), agenttest.AsUser(ada)))
	require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToHaveText("Welcome Ada"))
	return page, errs
}

// sessionState is the emulator's state of session id.
func sessionState(t *testing.T, s *nextStack, id string) clerkemu.SessionState {
	t.Helper()
	for _, sess := range s.emu.Sessions() {
		if sess.ID == id {
			return sess.Status
		}
	}
	t.Fatalf("the emulator has no session %s", id)
	return ""
}

// clerkUserID is window.Clerk.user.id in the page once clerk-js has
// loaded there, "" signed out.
func clerkUserID(t *testing.T, page *agenttest.Page) string {
	t.Helper()
	v, err := page.WaitForFunction(`() => window.Clerk && window.Clerk.loaded && { id: window.Clerk.user ? window.Clerk.user.id : '' }`, nil)
	require.NoError(t, err, "clerk-js did not load in the page")
	got, err := v.JSONValue()
	require.NoError(t, err)
	id, _ := got.(map[string]any)["id"].(string)
	return id
}

// tokenClaims are the claims of a session token the specs compare.
type tokenClaims struct {
	Sid string `json:"sid"`
	Exp int64  `json:"exp"`
}

// sessionToken reads the app origin's __session cookie's claims.
func sessionToken(t *testing.T, page *agenttest.Page) tokenClaims {
	t.Helper()
	cookies, err := page.BrowserContext.Cookies(page.URL())
	require.NoError(t, err)
	for _, c := range cookies {
		if c.Name != "__session" {
			continue
		}
		parts := strings.Split(c.Value, ".")
		require.Len(t, parts, 3, "the __session cookie is not a JWT")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		var claims tokenClaims
		require.NoError(t, json.Unmarshal(payload, &claims))
		return claims
	}
	t.Fatal("the app has no __session cookie")
	return tokenClaims{}
}

// consoleErrors are the console errors of a page that come from Clerk
// (they name Clerk, or come from its scripts or its Frontend API).
type consoleErrors struct {
	mu    sync.Mutex
	lines []string
}

// newWatchedPage opens a signed-out page whose Clerk console errors are
// recorded from the start, before the sign-in.
func newWatchedPage(t *testing.T, opts ...agenttest.Option) (*agenttest.Page, *consoleErrors) {
	t.Helper()
	page := agenttest.NewPage(t, opts...)
	errs := &consoleErrors{}
	page.OnConsole(func(m playwright.ConsoleMessage) {
		if m.Type() != "error" {
			return
		}
		text := m.Text()
		if strings.Contains(strings.ToLower(text+" "+m.Location().URL), "clerk") || strings.Contains(text, "/v1/") {
			errs.mu.Lock()
			errs.lines = append(errs.lines, text)
			errs.mu.Unlock()
		}
	})
	page.OnPageError(func(err error) {
		errs.mu.Lock()
		errs.lines = append(errs.lines, "uncaught: "+err.Error())
		errs.mu.Unlock()
	})
	return page, errs
}

// none fails the test if Clerk wrote an error to the console.
func (c *consoleErrors) none(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Empty(t, c.lines, "Clerk's console errors")
}
