package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

// The spec from Clerk's Playwright example, in Go: sign in through an
// Agent Task that redirects to the dashboard, then check the header.
func TestDashboardWelcomesTheUser(t *testing.T) {
	t.Parallel()
	// One line: a page signed in as AGENTTEST_USER_ID, on /dashboard.
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))

	expect := playwright.NewPlaywrightAssertions()
	require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome"))
}
