package e2e

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Specs that only read what a signed-in user sees can share one
// sign-in: ReuseSignIn signs in through an Agent Task the first time and
// seeds every later spec's fresh context with it (checked the same way:
// that user, that task). Specs that sign out must not share it (see
// signout_test.go).
func TestSharedSignIn(t *testing.T) {
	e := needEmbedded(t, "it counts the tasks the emulator created")
	before := e.emu.Requests(clerkemu.RouteCreateTask)
	t.Run("specs", func(t *testing.T) {
		for _, path := range []string{"/dashboard", "/dashboard?spec=2", "/dashboard?spec=3", "/dashboard?spec=4"} {
			t.Run(path, func(t *testing.T) {
				t.Parallel()
				page := agenttest.SignIn(t, agenttest.AsIdentifier("katherine@example.com"), agenttest.RedirectTo(path), agenttest.ReuseSignIn())
				require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToContainText("Katherine"))
			})
		}
	})
	assert.Equal(t, 1, e.emu.Requests(clerkemu.RouteCreateTask)-before, "four specs, one task")
}
