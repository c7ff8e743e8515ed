package e2e

import (
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// A session lives no longer than the task's session max duration. The
// emulator's clock (which the demo app reads too) is moved past it: no
// sleeping. Not parallel: the clock is shared by the whole suite.
func TestSessionPastMaxDurationIsSignedOut(t *testing.T) {
	e := needEmbedded(t, "it moves Clerk's clock")
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"), agenttest.WithSessionMaxDuration(5*time.Minute))
	expect := playwright.NewPlaywrightAssertions()
	require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome"))

	e.emu.Advance(5*time.Minute + time.Second)

	_, err := page.Reload()
	require.NoError(t, err)
	require.NoError(t, expect.Locator(page.Locator("h1")).ToContainText("Sign in"))
}
