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
// # What SignIn does
//
// [SignIn] asks Clerk's Backend API for an Agent Task on behalf of the
// user (a URL that, visited once, creates a session and redirects to a
// page of the app), opens that URL in a new BrowserContext of a shared
// Playwright browser, waits until the redirect settles on the app, and
// checks that the app's origin holds a __session cookie whose token is
// for that user. When the test ends it saves a screenshot, a trace, the
// HTML and the console log if the test failed, closes the context,
// revokes every task the test created and did not use, and ends the
// session, as a browser signs out (for the run's own client, in the background: the run drains
// its release queue before the binary exits). Every failure names its
// step ([SignInError]) and, when the page came to rest somewhere else,
// why (another host name, a token the app rejected, which hop of the
// redirect chain answered an error).
//
// # Speed
//
// The sign-in's Backend API calls (user lookup, Testing Token, task)
// run while the browser makes the context and page. [ReuseSignIn] signs
// in through a task once per user and app for the whole binary and
// seeds later pages with that sign-in. [WithTrace] (or AGENTTEST_TRACE)
// chooses when a trace is recorded and kept. The configuration is
// checked once, before the first sign-in: a wrong URL or key fails every
// test at once.
//
// # Ownership
//
// SignIn, [NewPage] and [NewTask] are functions of the package, not
// methods of a value TestMain builds, so that a spec is one line and
// copies between packages unchanged. [Main] (or [RunTests]) owns the
// test binary's run: the one [Browser] its tests share (launched on
// first use, closed when the tests end), the suite (the environment, the
// default client, a record per Clerk instance) and what is in flight.
// Package-level state: that run, three values of the process (signal
// watch, started apps, traces being saved) and agenttask's limiter per
// secret key. Everything a test owns (its
// BrowserContext, page, tasks and session) is its own, so SignIn is safe
// under t.Parallel.
//
// Outside tests, a program owns its browser: [LaunchBrowser], then
// [Browser.NewPage], [Page.SignIn], [Page.Release] and [Browser.Close].
//
// # Configuration
//
// Every variable is read once, through [config.LoadEnv] (the process
// environment over .env.local over .env); [config.Variables] lists
// them all. CLERK_SECRET_KEY and CLERK_API_URL configure the Backend API
// client ([agenttask.ConfigFromEnv]); AGENTTEST_APP_URL,
// AGENTTEST_USER_ID or AGENTTEST_USER_IDENTIFIER say where and whom to
// sign in; AGENTTEST_BROWSER, AGENTTEST_BROWSER_PATH, AGENTTEST_HEADED
// and AGENTTEST_SLOWMO choose the browser, or
// AGENTTEST_BROWSER_WS_ENDPOINT (a Playwright server) or
// AGENTTEST_BROWSER_CDP_ENDPOINT (a Chromium's DevTools endpoint) name
// one running elsewhere to connect to; AGENTTEST_ARTIFACTS_DIR is
// where failed tests' artifacts go. Per-call choices are [Option]
// values. The driver and browser are installed by the provision package
// (the CLI's `agenttest install`). A headless run launches Chromium's
// headless shell when one is found, as Playwright does (see
// [provision.Settings.FindHeadlessBrowser]); a headed run, the full
// browser.
//
// # The core and the wrappers
//
// Every testing.TB helper has a core that takes a context and returns an
// error, named by Go's XContext rule: [SignIn] and [SignInContext],
// [NewPage] and [NewPageContext], [NewTask] and [NewTaskContext],
// [HTTPClient] and [HTTPClientContext]. The core has every capability;
// the helper calls it, registers the cleanup right after, and fails the
// test with one line. [Main] has [RunTests] and [RunTestsWith], which
// hands the run its variables (an emulator's) without os.Setenv. An
// [Option] given to a call it does not apply to fails that call at once.
//
// # Secrets
//
// A task URL is a bearer credential: whoever has it can sign in as the
// user until it is used, revoked or expired. The package never prints
// one: [Task] formats redacted, errors carry the redacted form, and
// artifacts (the trace's network log included) have every task URL,
// ticket and session token replaced. The secret key is never printed.
//
// # Limits
//
// A task URL is single-use, so the navigation to it is never retried.
// The fixture reads whom the session token is for; it does not verify
// the token's signature (the application under test does that).
// An identifier is resolved to its user once per Clerk instance and
// run: a user whose identifier moves to another user during a run is
// not noticed.
package agenttest
