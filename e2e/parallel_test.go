package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Several users at once: each parallel test gets its own browser
// context, task and session, so they cannot see each other's cookies.
func TestUsersInParallel(t *testing.T) {
	needEmbedded(t, "it signs in as the seeded users")
	for _, u := range []struct{ identifier, firstName string }{
		{"ada@example.com", "Ada"},
		{"grace", "Grace"},       // a username
		{"+15555550103", "Alan"}, // a phone number
		{"katherine@example.com", "Katherine"},
	} {
		t.Run(u.firstName, func(t *testing.T) {
			t.Parallel()
			page := agenttest.SignIn(t, agenttest.AsIdentifier(u.identifier), agenttest.RedirectTo("/dashboard"))

			require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToContainText("Welcome, "+u.firstName))
			assert.NotEmpty(t, page.SessionID())
		})
	}
}
