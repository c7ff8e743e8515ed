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
// revokes every task the test created and did not use, and revokes the
// session. Every failure names its step ([SignInError]).
//
// # Why package-level functions
//
// SignIn, [NewPage] and [NewTask] are functions of the package, not
// methods of a value TestMain builds, so that a spec is one line and
// copies between packages unchanged. What they share is shared on
// purpose and guarded: one Playwright driver and browser per test binary
// (started on first use, stopped by [Main] or [Run]), one client per
// binary built from the environment, and one rate limiter per secret
// key (the limiter registry and the browser are the package's only
// package-level state). Everything a test owns (its BrowserContext, page, tasks and
// session) is its own, so SignIn is safe under t.Parallel.
//
// # Configuration
//
// The fixture reads the process environment over .env.local over .env
// (see [LoadEnv]): CLERK_SECRET_KEY and CLERK_API_URL for the Backend
// API ([LoadConfig]); AGENTTEST_APP_URL, AGENTTEST_USER_ID or
// AGENTTEST_USER_IDENTIFIER for where and whom to sign in;
// AGENTTEST_BROWSER, AGENTTEST_BROWSER_PATH, AGENTTEST_HEADED and
// AGENTTEST_SLOWMO for the browser; AGENTTEST_ARTIFACTS_DIR for failed
// tests' artifacts. Per-call choices are [Option] values.
//
// # The Backend API client
//
// [Client] talks to Clerk's Backend API for Agent Tasks. Build it from
// a [Config]: [LoadConfig] reads CLERK_SECRET_KEY and CLERK_API_URL from
// the process, then .env.local and .env files from the working directory
// up to the module root, without modifying the process environment.
// sk_live_ keys are refused unless AGENTTEST_ALLOW_PRODUCTION=1: an Agent
// Task mints a real session for a real user. [Client.Create] checks its
// parameters before any request and returns a [Task] whose URL only
// [Task.URL] returns. Revoke a task you did not use; errors.Is(err,
// [ErrTaskNotPending]) means it was already used, revoked, expired or is
// unknown. Failures from Clerk are [*APIError] values with the status,
// every Clerk code and message, and the trace id.
//
// Every request, retries included, waits on a client-side rate limiter
// shared by every Client of the same secret key in the process (Clerk
// limits per instance: 100 requests per 10 s for development keys, 1000
// for production; see [NewLimiter]) and is retried on 408, 429, 5xx
// gateway errors and dropped connections with exponential backoff that
// honours Retry-After and never waits past the context's deadline
// ([RetryPolicy]). A create whose answer was lost may therefore leave a
// duplicate pending task that nobody holds the URL of; Clerk expires it.
//
// # The core and the wrappers
//
// Everything that can fail has a form that takes a context and returns
// an error, usable outside tests: [Open], [Page.SignIn], [Page.Release],
// [Page.SaveArtifacts], [CheckSignedIn], [CheckSignedOut], and the
// Backend API [Client]. The testing.TB forms ([SignIn], [NewPage],
// [NewTask], [ExpectSignedIn], [ExpectSignedOut]) register their cleanup
// right after creation and fail the test with one line.
//
// # Secrets
//
// A task URL is a bearer credential: whoever has it can sign in as the
// user until it is used, revoked or expired. The package never prints
// one: [Task] formats redacted, errors carry [RedactURL]'s form, and
// artifacts (the trace's network log included) have every task URL,
// ticket and session token replaced. The secret key is never printed.
//
// # Limits
//
// A task URL is single-use, so the navigation to it is never retried.
// The fixture reads whom the session token is for; it does not verify
// the token's signature (the application under test does that).
// An identifier is resolved to its user once per Clerk instance and
// test binary: a user whose identifier moves to another user during a
// run is not noticed.
package agenttest
