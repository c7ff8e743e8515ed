package agenttest

import (
	"context"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/mxschmitt/playwright-go"
)

// defaultTimeout bounds each step of a sign-in (navigation, redirect,
// cookie, check).
const defaultTimeout = 30 * time.Second

// An Option changes one call of [SignIn], [NewPage], [NewTask] or
// their cores ([Page.SignIn], [Open], [Browser.NewPage], [CreateTask]).
type Option func(*options)

// options is what the Options of one call add up to.
type options struct {
	userID         string
	identifier     string
	redirect       string
	sessionMax     time.Duration
	agentName      string
	description    string
	checks         []func(*Page) error
	keepSession    bool
	artifactsDir   string
	timeout        time.Duration
	contextOptions *playwright.BrowserNewContextOptions
	client         *agenttask.Client
	trace          TraceMode // "": AGENTTEST_TRACE, else retain-on-failure
	reuse          bool
	now            func() time.Time
}

// AsUser signs in as the user with this Clerk user id (user_…). The
// default is AGENTTEST_USER_ID, else AGENTTEST_USER_IDENTIFIER. A value
// that is not a user id (an email address, say) fails the sign-in before
// any call, pointing at [AsIdentifier].
func AsUser(userID string) Option {
	return func(o *options) { o.userID, o.identifier = userID, "" }
}

// AsIdentifier signs in as the user a verified email address, phone
// number or username belongs to. The fixture looks the user up once per
// test binary to know whose session to expect; an address or number
// that is the user's but unverified fails the sign-in then, naming the
// user id to pass to [AsUser] instead.
func AsIdentifier(identifier string) Option {
	return func(o *options) { o.identifier, o.userID = identifier, "" }
}

// RedirectTo is where the browser lands once signed in: a path, joined
// to AGENTTEST_APP_URL, or a full URL. The default is AGENTTEST_APP_URL.
func RedirectTo(pathOrURL string) Option {
	return func(o *options) { o.redirect = pathOrURL }
}

// WithSessionMaxDuration caps the life of the session the task creates:
// at most [MaxSessionLifetime]. The default is what a test needs: the
// time left before the sign-in's deadline (the test binary's -timeout
// for SignIn) plus two minutes, between 2 and 30 minutes; 10 minutes
// without a deadline. A session the cleanup could not revoke (the
// process was killed) ends by itself that soon.
func WithSessionMaxDuration(d time.Duration) Option {
	return func(o *options) { o.sessionMax = d }
}

// WithAgentName names the agent in Clerk's audit log (default
// "agenttest").
func WithAgentName(name string) Option {
	return func(o *options) { o.agentName = name }
}

// WithTaskDescription describes the task in Clerk's audit log (default:
// the test's name).
func WithTaskDescription(description string) Option {
	return func(o *options) { o.description = description }
}

// WithCheck adds a check that the page is signed in, run after the
// fixture's own (redirect settled, session cookie for the right user).
// Use Playwright's web-first assertions in it: they wait.
func WithCheck(check func(*Page) error) Option {
	return func(o *options) { o.checks = append(o.checks, check) }
}

// KeepSession leaves the session the task created alive when the test
// ends. By default it is ended, so a real instance does not collect
// live sessions. A kept session is closed in the run's ledger, so a
// later sweep leaves it: it ends with its lifetime
// ([WithSessionMaxDuration]). One exception: a sweep after a run that
// was killed while creating a task for the same user revokes that
// user's agent sessions that no live run names and that were made after
// that create began (less a minute for the clocks), a kept one among
// them, since it cannot tell them from the session the lost task may
// have made.
func KeepSession() Option {
	return func(o *options) { o.keepSession = true }
}

// WithArtifactsDir is where a failed test's screenshot, trace, HTML and
// console log go. The default is t.ArtifactDir() under `go test
// -artifacts`, else AGENTTEST_ARTIFACTS_DIR, else test-results, each
// with a folder per test.
func WithArtifactsDir(dir string) Option {
	return func(o *options) { o.artifactsDir = dir }
}

// WithTimeout bounds each step of the sign-in (default 30 s).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithContextOptions sets the options of the test's BrowserContext
// (viewport, locale, …). BaseURL defaults to AGENTTEST_APP_URL.
func WithContextOptions(opts playwright.BrowserNewContextOptions) Option {
	return func(o *options) { o.contextOptions = &opts }
}

// WithClient uses this client instead of the one built from the
// environment (see [agenttask.LoadConfig]).
func WithClient(c *agenttask.Client) Option {
	return func(o *options) { o.client = c }
}

// WithClock is the clock a [SignedInClient] judges its session tokens'
// expiry by (default time.Now): a test that moves an emulator's clock
// (clerkemu's Advance) passes the emulator's Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// newOptions applies opts over the defaults.
func newOptions(opts []Option) options {
	o := options{timeout: defaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Session lifetimes: the bound of WithSessionMaxDuration, and the
// default's limits.
const (
	// MaxSessionLifetime is the longest session a sign-in may ask for:
	// a leaked test session should not outlive a working day.
	MaxSessionLifetime    = 2 * time.Hour
	minDefaultLifetime    = 2 * time.Minute
	maxDefaultLifetime    = 30 * time.Minute
	noDeadlineLifetime    = 10 * time.Minute
	sessionLifetimeMargin = 2 * time.Minute
)

// sessionLifetime is the session lifetime to ask for: the option, else
// the time left before ctx's deadline plus a margin, within limits.
func (o options) sessionLifetime(ctx context.Context) time.Duration {
	if o.sessionMax != 0 {
		return o.sessionMax
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return noDeadlineLifetime
	}
	return min(max(time.Until(dl)+sessionLifetimeMargin, minDefaultLifetime), maxDefaultLifetime)
}

// cleanupTimeout bounds a test's whole cleanup (artifacts, revokes).
const cleanupTimeout = 30 * time.Second

// stepContext bounds one step by the option's timeout.
func (o options) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout)
}
