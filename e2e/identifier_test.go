package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// Sign in by a user's email address (a phone number or username works
// too) instead of their user id.
func TestSignInByEmailAddress(t *testing.T) {
	t.Parallel()
	env, err := config.LoadEnv()
	require.NoError(t, err)
	email, _ := env.Lookup("AGENTTEST_USER_IDENTIFIER")
	if email == "" {
		needEmbedded(t, "set AGENTTEST_USER_IDENTIFIER to a verified email of a test user")
		email = "grace@example.com"
	}
	page := agenttest.SignIn(t, agenttest.AsIdentifier(email), agenttest.RedirectTo("/dashboard"))

	require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("body")).ToContainText(email))
}
