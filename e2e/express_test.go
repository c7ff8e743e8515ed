package e2e

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/expressapp"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// The same sign-in against an app that Clerk's own Express middleware
// (@clerk/express) protects: the handshake from the task URL is resolved
// by Clerk's JS SDK, not by this project's Go code. The app runs as a
// node child process (fixtures/expressapp), pointed at the embedded
// emulator by its variables, or at your Clerk instance by
// CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY.
func TestExpressAppWelcomesTheUser(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the Express app needs Node 20+")
	}
	t.Parallel()
	env, skew := expressConfig(t)
	app := expressapp.RunT(t, expressapp.Options{Env: env, ClockSkew: skew})

	// RedirectTo with a full URL: this app is not AGENTTEST_APP_URL.
	page := agenttest.SignIn(t, agenttest.RedirectTo(app.URL()+"/dashboard"), agenttest.AsUser(ada))
	expect := playwright.NewPlaywrightAssertions()
	require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome, Ada"))

	// /api/me reads the user back through @clerk/backend's
	// clerkClient.users.getUser and shows the session's actor.
	_, err := page.Goto(app.URL() + "/api/me")
	require.NoError(t, err)
	body := page.Locator("body")
	require.NoError(t, expect.Locator(body).ToContainText(`"userId":"`+ada+`"`))
	require.NoError(t, expect.Locator(body).ToContainText(`"firstName":"Ada"`))
	require.NoError(t, expect.Locator(body).ToContainText(`"type":"agent"`))
}

// expressConfig is the Express app's Clerk configuration: the embedded
// emulator's variables, or the real instance's keys; and the clock skew
// node must tolerate. node reads the real clock while specs that run
// before this one (TestSessionPastMaxDurationIsSignedOut, …) moved the
// emulator's clock ahead, which the Go demo app follows but node cannot.
func expressConfig(t *testing.T) (map[string]string, time.Duration) {
	t.Helper()
	env := map[string]string{}
	if embedded != nil {
		for _, v := range embedded.emu.Env() {
			env[v.Name] = v.Value
		}
		var skew time.Duration
		if lead := time.Until(embedded.emu.Now()); lead > 0 {
			skew = lead + 5*time.Second // @clerk/backend's default tolerance on top
		}
		return env, skew
	}
	for _, name := range []string{"CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY", "CLERK_API_URL"} {
		if v := os.Getenv(name); v != "" {
			env[name] = v
		}
	}
	if env["CLERK_PUBLISHABLE_KEY"] == "" {
		t.Skip("set CLERK_PUBLISHABLE_KEY to run the Express app against your Clerk instance")
	}
	return env, 0
}

// A session token lives 60 s; the page stays signed in past it. The
// emulator's clock (which the demo app reads too) moves 90 s: the reload
// finds the token expired, goes through the Frontend API's handshake and
// comes back with a fresh one. Not parallel: the clock is shared by the
// whole suite.
func TestDemoAppStaysSignedInPastTokenLifetime(t *testing.T) {
	e := needEmbedded(t, "it moves Clerk's clock")
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"), agenttest.AsUser(ada))
	expect := playwright.NewPlaywrightAssertions()
	require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome, Ada"))

	e.emu.Advance(90 * time.Second)
	handshakes := e.emu.Requests(clerkemu.RouteClientHandshake)

	_, err := page.Reload()
	require.NoError(t, err)
	require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome, Ada"))
	require.Equal(t, handshakes+1, e.emu.Requests(clerkemu.RouteClientHandshake), "the reload should refresh the token through the Frontend API once")
}
