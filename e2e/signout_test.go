package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Signing out ends the session: the app drops the cookies and a
// protected page sends the visitor to sign in.
func TestSignOut(t *testing.T) {
	t.Parallel()
	e := needEmbedded(t, "it uses the demo app's /sign-out route; point it at your app's sign-out")
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))

	_, err := page.Goto("/sign-out")
	require.NoError(t, err)
	agenttest.ExpectSignedOut(t, page)

	_, err = page.Goto("/dashboard")
	require.NoError(t, err)
	require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("h1")).ToContainText("Sign in"))
	var revoked bool
	for _, s := range e.emu.Sessions(clerkemu.SessionRevoked) {
		revoked = revoked || s.ID == page.SessionID()
	}
	assert.True(t, revoked, "the app revoked the session through the Backend API")
}
