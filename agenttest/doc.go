// Package agenttest gives a Go test a browser page signed in as a Clerk
// user, in one line, through Clerk's Agent Tasks.
//
//	func TestMain(m *testing.M) { agenttest.Main(m) }
//
//	func TestDashboard(t *testing.T) {
//		page := agenttest.SignIn(t, agenttest.RedirectTo("/dashboard"))
//		expect := playwright.NewPlaywrightAssertions()
//		require.NoError(t, expect.Locator(page.Locator("header")).ToContainText("Welcome"))
//	}
//
// [SignIn] creates an Agent Task for the user, opens its URL in a fresh
// BrowserContext of the binary's shared browser, and checks that the app
// holds a session for that user from that task. At the test's end it
// saves a failed test's artifacts, closes the context, and revokes what
// the test created; a test that panics too, and what else is in flight
// is then revoked before the binary dies. A test that calls os.Exit runs
// no cleanup: the next run's sweep of its ledger (or agenttest sweep)
// revokes what it left. Each testing.TB helper has a core that takes a
// context and returns an error ([SignInContext], [NewPageContext],
// [NewTaskContext], [HTTPClientContext]). Outside tests, use
// [LaunchBrowser] and [Browser.NewPage]. The configuration is read by
// the config package; docs/design.md in the repository holds the design
// notes.
package agenttest
