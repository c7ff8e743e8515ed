package nextapp

import (
	"context"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// Clerk's own <SignIn/> on /sign-in, with the seed user's password, then
// with a code sent to the user's email address (read from the emulator,
// as a test reads a mailbox). No Agent Task: the session is the UI's, so
// the spec signs out with <SignOutButton/> and checks it ended.
func TestSignInComponent(t *testing.T) {
	s := needStack(t)
	for _, tc := range []struct {
		name   string
		verify func(t *testing.T, page *agenttest.Page)
	}{
		{"password", func(t *testing.T, page *agenttest.Page) {
			require.NoError(t, page.Locator("input[name=password]").Fill(clerkemu.TestPassword))
			require.NoError(t, page.GetByRole("button", playwright.PageGetByRoleOptions{Name: "Continue", Exact: playwright.Bool(true)}).Click())
		}},
		{"email code", func(t *testing.T, page *agenttest.Page) {
			require.NoError(t, page.GetByRole("link", playwright.PageGetByRoleOptions{Name: "Use another method"}).Click())
			require.NoError(t, page.GetByRole("button", playwright.PageGetByRoleOptions{Name: "Email code to ada@example.com"}).Click())
			var code string
			require.Eventually(t, func() bool {
				var ok bool
				code, ok = s.emu.SignInCode("ada@example.com")
				return ok
			}, 10*time.Second, 50*time.Millisecond, "the emulator sent no code")
			// Clerk's code field takes the digits as typed.
			require.NoError(t, page.Locator("input[autocomplete=one-time-code]").First().Click())
			require.NoError(t, page.Keyboard().Type(code))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, errs := newWatchedPage(t)
			url := s.ways()[1].url // keys only: the fixture maps the key's host
			_, err := page.Goto(url + "/sign-in")
			require.NoError(t, err)
			require.NoError(t, page.Locator("input[name=identifier]").Fill("ada@example.com"))
			require.NoError(t, page.GetByRole("button", playwright.PageGetByRoleOptions{Name: "Continue", Exact: playwright.Bool(true)}).Click())
			tc.verify(t, page)

			expect := playwright.NewPlaywrightAssertions()
			require.NoError(t, expect.Page(page.Page).ToHaveURL(url+"/"))
			sessionID := clerkSessionID(t, page)
			t.Cleanup(func() { endSession(t, s, sessionID) })
			_, err = page.Goto(url + "/dashboard")
			require.NoError(t, err)
			require.NoError(t, expect.Locator(page.Locator("header")).ToHaveText("Welcome Ada"))
			require.Equal(t, ada, clerkUserID(t, page))

			require.NoError(t, page.GetByRole("button", playwright.PageGetByRoleOptions{Name: "Sign out"}).Click())
			require.NoError(t, expect.Page(page.Page).ToHaveURL(url+"/"))
			require.Equal(t, clerkemu.SessionEnded, sessionState(t, s, sessionID))
			errs.none(t)
		})
	}
}

// The Go counterpart of @clerk/testing's clerk.signIn: through clerk-js
// in the page, with a password or a test address's email code, no task.
// The page owns the session: its release ends it.
func TestClerkSignIn(t *testing.T) {
	s := needStack(t)
	for _, tc := range []struct {
		name   string
		params agenttest.ClerkSignInParams
		user   string
		first  string
	}{
		{"password", agenttest.ClerkSignInParams{Strategy: "password", Identifier: "ada@example.com", Password: clerkemu.TestPassword}, ada, "Ada"},
		{"email code", agenttest.ClerkSignInParams{Strategy: "email_code", Identifier: graceEmail}, grace, "Grace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, way := range s.ways() {
				page, errs := newWatchedPage(t)
				_, err := page.Goto(way.url + "/")
				require.NoError(t, err)
				require.NoError(t, page.ClerkSignIn(t.Context(), tc.params), way.name)
				require.Equal(t, tc.user, page.UserID())

				_, err = page.Goto(way.url + "/dashboard")
				require.NoError(t, err)
				expect := playwright.NewPlaywrightAssertions()
				require.NoError(t, expect.Locator(page.Locator("header")).ToHaveText("Welcome "+tc.first), way.name)
				require.Equal(t, tc.user, clerkUserID(t, page))
				errs.none(t)

				ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
				require.NoError(t, page.Release(ctx))
				cancel()
				require.NotEqual(t, clerkemu.SessionActive, sessionState(t, s, page.SessionID()), "the page's release should end the session, %s", way.name)
			}
		})
	}
}

// clerkSessionID is window.Clerk.session.id once clerk-js has loaded.
func clerkSessionID(t *testing.T, page *agenttest.Page) string {
	t.Helper()
	v, err := page.WaitForFunction(`() => window.Clerk && window.Clerk.loaded && window.Clerk.session && window.Clerk.session.id`, nil)
	require.NoError(t, err, "clerk-js holds no session")
	id, err := v.JSONValue()
	require.NoError(t, err)
	return id.(string)
}

// endSession revokes a session the spec made without a task, if it is
// still active when the spec ends (it failed before signing out).
func endSession(t *testing.T, s *nextStack, id string) {
	if sessionState(t, s, id) != clerkemu.SessionActive {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := agenttaskClient(s)
	require.NoError(t, err)
	_, err = client.RevokeSession(ctx, id)
	require.NoError(t, err)
}

// A sign-in through clerk-js that Clerk completed but whose setActive
// failed (here made to throw in the page) leaves the session Clerk made
// the page's: ClerkSignIn fails, and the page's release ends the session.
func TestClerkSignInOwnsTheSessionWhenSetActiveFails(t *testing.T) {
	t.Parallel()
	s := needStack(t)
	way := s.ways()[0]
	page, _ := newWatchedPage(t)
	_, err := page.Goto(way.url + "/")
	require.NoError(t, err)
	_, err = page.WaitForFunction(`() => window.Clerk && window.Clerk.loaded`, nil)
	require.NoError(t, err)
	_, err = page.Evaluate(`() => { window.Clerk.setActive = async () => { throw new Error('setActive refused for the test') } }`)
	require.NoError(t, err)

	err = page.ClerkSignIn(t.Context(), agenttest.ClerkSignInParams{Strategy: "password", Identifier: "ada@example.com", Password: clerkemu.TestPassword})
	require.ErrorContains(t, err, "setActive refused for the test")
	require.NotEmpty(t, page.SessionID(), "the session Clerk made is the page's")
	require.Equal(t, clerkemu.SessionActive, sessionState(t, s, page.SessionID()))

	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	defer cancel()
	require.NoError(t, page.Release(ctx))
	require.NotEqual(t, clerkemu.SessionActive, sessionState(t, s, page.SessionID()), "the page's release should end the session")
}
