package agenttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// defaultTimeout bounds each step of a sign-in (navigation, redirect,
// cookie, check).
const defaultTimeout = 30 * time.Second

// An Option changes one call of an entry point: [SignIn] or
// [SignInContext], [NewPage] or [NewPageContext] (and [Browser.NewPage]),
// [Page.SignIn], [NewTask] or [NewTaskContext], [HTTPClient] or
// [HTTPClientContext]. Each option's doc says where it applies; given
// anywhere else, the call fails at once, before any browser or network
// call, with an error naming the option and the call. (One type rather
// than sealed types per entry point: a list of options can then be
// built once and passed to several calls, as tests do.)
type Option struct {
	name  string // "agenttest.WithClock", for the refusal
	where entry  // the entry points it applies to
	set   func(*options)
	err   error // a bad argument, reported by the call
}

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

// entry is a set of entry points.
type entry uint8

// The entry points, by what they make.
const (
	atSignIn     entry = 1 << iota // SignIn, SignInContext
	atNewPage                      // NewPage, NewPageContext, Browser.NewPage
	atPageSignIn                   // Page.SignIn
	atTask                         // NewTask, NewTaskContext
	atClient                       // HTTPClient, HTTPClientContext

	// atTaskMaking are the entry points that create a task: every
	// option of whom, where and how.
	atTaskMaking = atSignIn | atNewPage | atPageSignIn | atTask | atClient
	// atBrowserSignIn are a browser sign-in's: NewPage takes them as the
	// defaults of the page's later Page.SignIn.
	atBrowserSignIn = atSignIn | atNewPage | atPageSignIn
	// atPageMaking are the entry points that open a page.
	atPageMaking = atSignIn | atNewPage
)

// entryNames name the entry points, in the order of their bits.
var entryNames = []string{"SignIn", "NewPage", "Page.SignIn", "NewTask", "HTTPClient"}

// String names the entry points of e.
func (e entry) String() string {
	var names []string
	for i, n := range entryNames {
		if e&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// option returns the Option called name that applies set where.
func option(name string, where entry, set func(*options)) Option {
	return Option{name: name, where: where, set: set}
}

// AsUser signs in as the user with this Clerk user id (user_…). The
// default is AGENTTEST_USER_ID, else AGENTTEST_USER_IDENTIFIER. A value
// that is not a user id (an email address, say) fails the sign-in before
// any call, pointing at [AsIdentifier].
func AsUser(userID string) Option {
	if err := config.CheckGivenUser(optAsUser+"("+redact.Quote(userID)+")", userID, false); err != nil {
		return Option{err: err}
	}
	return option(optAsUser, atTaskMaking, func(o *options) { o.userID, o.identifier = userID, "" })
}

// AsIdentifier signs in as the user a verified email address, phone
// number or username belongs to. The fixture looks the user up once per
// test binary to know whose session to expect; an address or number
// that is the user's but unverified fails the sign-in then, naming the
// user id to pass to [AsUser] instead.
func AsIdentifier(identifier string) Option {
	if err := config.CheckGivenUser(optAsIdentifier+"("+redact.Quote(identifier)+")", identifier, true); err != nil {
		return Option{err: err}
	}
	return option(optAsIdentifier, atTaskMaking, func(o *options) { o.identifier, o.userID = identifier, "" })
}

// The names of the options that say whom to sign in: one call takes
// one of them.
const (
	optAsUser       = "agenttest.AsUser"
	optAsIdentifier = "agenttest.AsIdentifier"
)

// RedirectTo is where the browser lands once signed in: a path, joined
// to AGENTTEST_APP_URL, or a full URL. The default is AGENTTEST_APP_URL.
func RedirectTo(pathOrURL string) Option {
	return option("agenttest.RedirectTo", atTaskMaking, func(o *options) { o.redirect = pathOrURL })
}

// WithSessionMaxDuration caps the life of the session the task creates:
// at most [MaxSessionLifetime]. The default is what a test needs: the
// time left before the sign-in's deadline (the test binary's -timeout
// for SignIn) plus two minutes, between 2 and 30 minutes; 10 minutes
// without a deadline. A session the cleanup could not revoke (the
// process was killed) ends by itself that soon.
func WithSessionMaxDuration(d time.Duration) Option {
	return option("agenttest.WithSessionMaxDuration", atTaskMaking, func(o *options) { o.sessionMax = d })
}

// WithAgentName names the agent in Clerk's audit log (default
// "agenttest").
func WithAgentName(name string) Option {
	return option("agenttest.WithAgentName", atTaskMaking, func(o *options) { o.agentName = name })
}

// WithTaskDescription describes the task in Clerk's audit log (default:
// the test's name).
func WithTaskDescription(description string) Option {
	return option("agenttest.WithTaskDescription", atTaskMaking, func(o *options) { o.description = description })
}

// WithCheck adds a check that the page is signed in, run after the
// fixture's own (redirect settled, session cookie for the right user).
// Use Playwright's web-first assertions in it: they wait.
// For a browser sign-in: SignIn, NewPage (for its Page.SignIn), Page.SignIn.
func WithCheck(check func(*Page) error) Option {
	if check == nil {
		return Option{err: errors.New("agenttest.WithCheck(nil): give a check function")}
	}
	return option("agenttest.WithCheck", atBrowserSignIn, func(o *options) { o.checks = append(o.checks, check) })
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
// Not for NewTask.
func KeepSession() Option {
	return option("agenttest.KeepSession", atBrowserSignIn|atClient, func(o *options) { o.keepSession = true })
}

// WithArtifactsDir is where a failed test's screenshot, trace, HTML and
// console log go. The default is t.ArtifactDir() under `go test
// -artifacts`, else AGENTTEST_ARTIFACTS_DIR, else test-results, each
// with a folder per test.
// For the calls that open a page: SignIn, NewPage.
func WithArtifactsDir(dir string) Option {
	return option("agenttest.WithArtifactsDir", atPageMaking, func(o *options) { o.artifactsDir = dir })
}

// WithTimeout bounds each step of the sign-in (default 30 s).
func WithTimeout(d time.Duration) Option {
	return option("agenttest.WithTimeout", atTaskMaking, func(o *options) { o.timeout = d })
}

// WithContextOptions sets the options of the test's BrowserContext
// (viewport, locale, …). BaseURL defaults to AGENTTEST_APP_URL.
// For the calls that open a page: SignIn, NewPage.
func WithContextOptions(opts playwright.BrowserNewContextOptions) Option {
	return option("agenttest.WithContextOptions", atPageMaking, func(o *options) { o.contextOptions = &opts })
}

// WithClient uses this client instead of the one built from the
// environment (see [agenttask.LoadConfig]).
func WithClient(c *agenttask.Client) Option {
	return option("agenttest.WithClient", atTaskMaking, func(o *options) { o.client = c })
}

// WithClock is the clock a [SignedInClient] judges its session tokens'
// expiry by (default time.Now): a test that moves an emulator's clock
// (clerkemu's Advance) passes the emulator's Now.
// For HTTPClient only.
func WithClock(now func() time.Time) Option {
	return option("agenttest.WithClock", atClient, func(o *options) { o.now = now })
}

// resolve applies opts, given to the entry point at, over base. An
// option that does not apply there, a bad argument and a value out of
// range are errors, all found before any call.
func resolve(base options, at entry, opts []Option) (options, error) {
	o := base
	o.checks = o.checks[:len(o.checks):len(o.checks)] // appends copy
	var errs []string
	who := map[string]bool{} // the options naming the user in this call
	for _, opt := range opts {
		switch {
		case opt.err != nil:
			errs = append(errs, opt.err.Error())
		case opt.set == nil:
			// The zero Option changes nothing.
		case opt.where&at == 0:
			errs = append(errs, fmt.Sprintf("%s does not apply to %s: it is for %s", opt.name, at, opt.where))
		default:
			opt.set(&o)
			who[opt.name] = opt.name == optAsUser || opt.name == optAsIdentifier
		}
	}
	if who[optAsUser] && who[optAsIdentifier] {
		errs = append(errs, "agenttest.AsUser and agenttest.AsIdentifier name the user twice: pass exactly one")
	}
	if o.timeout <= 0 {
		errs = append(errs, fmt.Sprintf("agenttest.WithTimeout(%v): give a positive duration, e.g. 30*time.Second", o.timeout))
	}
	if o.sessionMax < 0 || o.sessionMax > MaxSessionLifetime {
		errs = append(errs, fmt.Sprintf("agenttest.WithSessionMaxDuration(%v): give a duration up to %v (a leaked session lives that long), or leave it to the default", o.sessionMax, MaxSessionLifetime))
	}
	if o.reuse && o.keepSession {
		errs = append(errs, ("agenttest.ReuseSignIn and agenttest.KeepSession together: a reused session belongs to the run, which revokes it when the binary ends; keep one"))
	}
	if o.trace != "" {
		if _, err := parseTraceMode(string(o.trace)); err != nil {
			errs = append(errs, "agenttest.WithTrace: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return o, errors.New(strings.Join(errs, "; ")) // one line
	}
	return o, nil
}

// defaults are the options before any is given.
var defaults = options{timeout: defaultTimeout}

// describedBy names the test in the task's description when the caller
// gave none ("agenttest: TestX/sub"), so Clerk's audit log says which
// test made the task. The t-forms add it last.
func describedBy(tb testing.TB) Option {
	return option("", atTaskMaking, func(o *options) {
		if o.description == "" {
			o.description = "agenttest: " + tb.Name()
		}
	})
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

// stepContext bounds one step by the option's timeout; its cause, when
// the timeout passes, is a stepTimeout.
func (o options) stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, o.timeout, stepTimeout(o.timeout))
}

// stepTimeout is why a step's context ended: its WithTimeout passed.
type stepTimeout time.Duration

func (d stepTimeout) Error() string {
	return fmt.Sprintf("the step took longer than agenttest.WithTimeout(%s): give it more time", time.Duration(d))
}

// timedOut is err, a step's failure, saying so when the step's context
// ctx ended by its timeout (see stepContext), so that a slow step is
// not blamed on the hop it was waiting for. Call it before ctx's cancel.
func timedOut(ctx context.Context, err error) error {
	var d stepTimeout
	if err == nil || !errors.As(context.Cause(ctx), &d) || errors.As(err, &d) {
		return err
	}
	return fmt.Errorf("%w: %w", err, d)
}
