// Package signedin is a small signed-in suite with one passing and one
// failing spec, run by the report's browser test (TestReportInChromium)
// against the emulator and the demo app, to make a report from.
package signedin

import (
	"testing"

	"github.com/agenttest/agenttest/agenttest"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { agenttest.Main(m) }

func TestDashboardWelcomesTheUser(t *testing.T) {
	t.Parallel()
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))
	require.NoError(t, playwright.NewPlaywrightAssertions().Locator(page.Locator("header")).ToContainText("Welcome"))
}

// Fails on purpose: the demo app's dashboard has no order list.
func TestDashboardListsOrders(t *testing.T) {
	t.Parallel()
	page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))
	page.Evaluate(`console.warn("orders API answered 503")`)
	err := playwright.NewPlaywrightAssertions().Locator(page.Locator("#orders")).ToBeVisible(playwright.LocatorAssertionsToBeVisibleOptions{Timeout: playwright.Float(500)})
	require.NoError(t, err, "the dashboard lists the user's orders")
}
