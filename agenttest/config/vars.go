package config

// DefaultAPIURL is Clerk's Backend API, used when CLERK_API_URL is unset.
const DefaultAPIURL = "https://api.clerk.com/v1"

// The variables agenttest reads, with those below naming a remote
// browser; [Variables] describes each. The library and the CLI read them
// only through an [Env].
const (
	VarSecretKey       = "CLERK_SECRET_KEY"
	VarAPIURL          = "CLERK_API_URL"
	VarPublishableKey  = "CLERK_PUBLISHABLE_KEY"
	VarTestingToken    = "CLERK_TESTING_TOKEN"
	VarProxyURL        = "CLERK_PROXY_URL"
	VarFrontendAPIURL  = "CLERK_FRONTEND_API_URL"
	VarAllowProduction = "AGENTTEST_ALLOW_PRODUCTION"
	VarRateShare       = "AGENTTEST_RATE_SHARE"
	VarAppURL          = "AGENTTEST_APP_URL"
	VarUserID          = "AGENTTEST_USER_ID"
	VarUserIdentifier  = "AGENTTEST_USER_IDENTIFIER"
	VarArtifactsDir    = "AGENTTEST_ARTIFACTS_DIR"
	VarTrace           = "AGENTTEST_TRACE"
	VarLedgerDir       = "AGENTTEST_LEDGER_DIR"
	VarBrowser         = "AGENTTEST_BROWSER"
	VarBrowserPath     = "AGENTTEST_BROWSER_PATH"
	VarHeaded          = "AGENTTEST_HEADED"
	VarSlowMo          = "AGENTTEST_SLOWMO"
	VarDriverPath      = "PLAYWRIGHT_DRIVER_PATH"
	VarNodePath        = "PLAYWRIGHT_NODEJS_PATH"
	VarBrowsersPath    = "PLAYWRIGHT_BROWSERS_PATH"
	VarNPMRegistry     = "PLAYWRIGHT_GO_NPM_REGISTRY"
	VarNodeMirror      = "NODE_MIRROR"
	VarDownloadHost    = "PLAYWRIGHT_DOWNLOAD_HOST"
)

// The variables that name a browser running elsewhere, which the fixture
// connects to instead of launching one. They may hold a credential (a
// Browserless ?token=, a password in the URL): errors show them
// redacted.
const (
	VarBrowserWSEndpoint  = "AGENTTEST_BROWSER_WS_ENDPOINT"
	VarBrowserCDPEndpoint = "AGENTTEST_BROWSER_CDP_ENDPOINT"
)

// Variable describes one configuration variable.
type Variable struct {
	// Name is the variable's name, e.g. CLERK_SECRET_KEY.
	Name string
	// Default is what an unset variable means, in words.
	Default string
	// Meaning says what the variable sets.
	Meaning string
	// Secret marks a value that is never printed.
	Secret bool
}

// Variables returns the table of every variable agenttest reads, in the
// order the README lists them. It is a fresh copy on each call.
func Variables() []Variable {
	return []Variable{
		{VarSecretKey, "required", "the Clerk instance's secret key (sk_test_…; sk_live_… only with AGENTTEST_ALLOW_PRODUCTION=1)", true},
		{VarAPIURL, DefaultAPIURL, "Clerk's Backend API URL, with or without /v1", false},
		{VarPublishableKey, "none", "the instance's publishable key (pk_test_…): names its Frontend API, whose requests get the Testing Token", false},
		{VarProxyURL, "none", "the Frontend API's proxy URL; an http loopback one (the Clerk emulator's) also receives the browser's requests to the publishable key's https host", false},
		{VarFrontendAPIURL, "none", "the Clerk emulator's Frontend API, used as CLERK_PROXY_URL when that is unset", false},
		{VarTestingToken, "fetched", "a Testing Token to use instead of asking the Backend API for one", true},
		{VarAllowProduction, "0", "1 allows an sk_live_ key: Agent Tasks then sign real users in", false},
		{VarRateShare, "0.5 (sk_live_: 0.2)", "the fraction of Clerk's Backend API rate limit this test process may use (0.5 or 50%); the rest is left to the app under test", false},
		{VarAppURL, "none", "the app under test: the base of relative Goto and RedirectTo paths", false},
		{VarUserID, "none", "the user to sign in as (user_…)", false},
		{VarUserIdentifier, "none", "the user to sign in as, by verified email, phone number or username", false},
		{VarBrowser, "chromium", "chromium, firefox or webkit", false},
		{VarBrowserPath, "found on the machine", "a browser executable to launch", false},
		{VarHeaded, "0", "1 shows the browser window", false},
		{VarSlowMo, "0", "milliseconds to wait between browser actions", false},
		{VarBrowserWSEndpoint, "none", "a Playwright server (ws:// or wss://) to connect to instead of launching a browser", true},
		{VarBrowserCDPEndpoint, "none", "a Chromium's DevTools endpoint (http(s):// or ws(s)://: Browserless, a Chrome started elsewhere) to connect to instead of launching a browser", true},
		{VarArtifactsDir, "test-results", "where failed tests' artifacts go (under go test -artifacts: t.ArtifactDir())", false},
		{VarTrace, "retain-on-failure", "Playwright traces: off, retain-on-failure (kept in a failed test's artifacts) or on (kept for every test)", false},
		{VarLedgerDir, "<user cache>/agenttest/ledgers", "where runs record what they create, one directory per Clerk instance, for agenttest sweep", false},
		{VarDriverPath, "~/.cache/ms-playwright-go/<version>", "the Playwright driver's directory", false},
		{VarNodePath, "<driver>/node", "the Node.js that runs the driver", false},
		{VarBrowsersPath, "<user cache>/ms-playwright", "where Playwright keeps its own browsers", false},
		{VarNPMRegistry, "https://registry.npmjs.org", "where agenttest install downloads the driver (playwright-core) from", false},
		{VarNodeMirror, "https://nodejs.org/dist", "where agenttest install downloads the driver's Node.js from", false},
		{VarDownloadHost, "Playwright's CDN", "where agenttest install downloads a browser from, when none is found", false},
	}
}
