package agenttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/agenttest/agenttest/agenttest/frontend"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// Page is one browser page in a BrowserContext of its own. It embeds the
// playwright.Page, so page.Locator and the rest are called on it
// directly; its own [Page.Goto] takes paths relative to
// AGENTTEST_APP_URL.
//
// After a sign-in, [Page.Task], [Page.UserID] and [Page.SessionID] say
// who the page is signed in as and how.
type Page struct {
	playwright.Page

	// BrowserContext is the page's own context: its cookies are the
	// signed-in state.
	BrowserContext playwright.BrowserContext
	suite          *suite
	client         *agenttask.Client // set by the first sign-in or task
	appURL         string
	baseURL        string // the context's BaseURL: relative Goto URLs need one
	origin         string // where the session cookie lives: the redirect's origin
	opts           options
	console        consoleLog
	secrets        redact.Set // what no error or artifact of the page may show
	// artifactsSlot is the page's number among its test's pages (1 for
	// the first), naming its artifacts folder; 0 outside NewPage.
	artifactsSlot int
	// phases timed the page's last sign-in, for the benchmarks.
	phases signInPhases
	// notNavigated: SignIn failed before the page navigated (the task or
	// the Testing Token could not be had), so it has nothing to show.
	notNavigated bool

	// task is the Agent Task of the last sign-in; session the session it
	// made (nil before it was checked).
	task    *Task
	session *session
	// retired are sessions of earlier sign-ins of the page, which a later
	// Page.SignIn replaced: Release revokes them.
	retired []*session
	// testingToken went with the sign-in's Frontend API requests; ending
	// the session sends it too.
	testingToken *agenttask.TestingToken

	mu       sync.Mutex
	tasks    []*Task   // tasks this page created, in order
	tracing  bool      // a trace is being recorded
	trace    TraceMode // when it is kept
	released bool
	// fapiRouted are the Frontend API hosts whose requests get the
	// Testing Token (see routeTestingToken).
	fapiRouted map[string]bool
}

// NewPageContext opens a signed-out page on the test binary's shared
// browser (see [Main]). It is the error-returning core of [NewPage],
// with the same options; the caller owns the page and must call
// [Page.Release], also when NewPageContext fails (Release accepts the
// half-built page it returns). A plain program opens pages with
// [Browser.NewPage] instead.
func NewPageContext(ctx context.Context, opts ...Option) (*Page, error) {
	o, err := resolve(defaults, atNewPage, opts)
	if err != nil {
		return &Page{opts: o}, fmt.Errorf("agenttest: config: %w", err)
	}
	r, err := currentRun()
	if err != nil {
		return &Page{opts: o}, err
	}
	// Before the browser is launched: a configuration error fails the
	// test at once.
	if err := r.pageProblem(o); err != nil {
		return &Page{suite: r.suite, opts: o}, err
	}
	b, err := r.sharedBrowser(ctx)
	if err != nil {
		return &Page{suite: r.suite, opts: o}, err
	}
	return b.newPage(ctx, o)
}

// NewPage opens a signed-out page in a fresh BrowserContext of b. The
// caller owns the page and must call [Page.Release], also when NewPage
// fails (Release accepts the half-built page it returns). Sign it in
// with [Page.SignIn].
func (b *Browser) NewPage(ctx context.Context, opts ...Option) (*Page, error) {
	o, err := resolve(defaults, atNewPage, opts)
	if err != nil {
		return &Page{suite: b.suite, opts: o}, fmt.Errorf("agenttest: config: %w", err)
	}
	return b.newPage(ctx, o)
}

// newPage opens a page with resolved options.
func (b *Browser) newPage(ctx context.Context, o options) (*Page, error) {
	p := &Page{suite: b.suite, opts: o, appURL: b.suite.appURL()}
	var err error
	if p.trace, err = b.suite.traceMode(o); err != nil {
		return p, fmt.Errorf("agenttest: config: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	ctxOpts := playwright.BrowserNewContextOptions{}
	if o.contextOptions != nil {
		ctxOpts = *o.contextOptions
	}
	if ctxOpts.BaseURL == nil && p.appURL != "" {
		ctxOpts.BaseURL = playwright.String(p.appURL)
	}
	if ctxOpts.BaseURL != nil {
		p.baseURL = *ctxOpts.BaseURL
	}
	bc, err := b.browser.NewContext(ctxOpts)
	if err != nil {
		return p, fmt.Errorf("agenttest: new browser context: %w", err)
	}
	p.BrowserContext = bc
	bc.SetDefaultTimeout(float64(o.timeout.Milliseconds()))
	if p.trace != TraceOff {
		err := bc.Tracing().Start(playwright.TracingStartOptions{
			Screenshots: playwright.Bool(true),
			Snapshots:   playwright.Bool(true),
		})
		if err != nil {
			return p, fmt.Errorf("agenttest: start trace: %w", err)
		}
		p.tracing = true
	}
	page, err := bc.NewPage()
	if err != nil {
		if verr := videoError(err, b.suite.env); verr != nil {
			return p, verr
		}
		return p, fmt.Errorf("agenttest: new page: %w", err)
	}
	p.Page = page
	p.console.watch(page)
	if err := p.watchClerkJS(); err != nil {
		return p, err
	}
	return p, nil
}

// own records a task the page created, so that Release revokes it if
// it was never used, and artifacts never show its URL.
func (p *Page) own(t *Task) {
	p.mu.Lock()
	p.tasks = append(p.tasks, t)
	p.mu.Unlock()
	p.secrets.AddURL(t.URL())
}

// Release ends the page: it closes its BrowserContext, revokes every
// task the page created that was not used (a task Clerk says is no
// longer pending counts as done), and ends the session the sign-in
// created unless [KeepSession] was given: it signs the browser out of
// it on Clerk's Frontend API, as the app's sign-out would, which spends
// none of the Backend API's rate limit, and revokes it through the
// Backend API when that is not possible (see [frontend.EndSession]).
// The sessions of the page's earlier sign-ins, which a later
// [Page.SignIn] replaced, are revoked through the Backend API. The
// browser gets half of ctx's time (when ctx has a deadline): one that
// does not answer by then is left to close with the browser, and the
// revocations still run.
// It runs every step even when one fails, returns their errors joined,
// and is safe to call twice and on a nil or half-built page. ctx should
// not be a test's t.Context(), which is already cancelled when cleanups
// run.
func (p *Page) Release(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return nil
	}
	p.released = true
	tasks, retired := p.tasks, p.retired
	p.retired = nil
	tracing := p.tracing
	p.tracing = false
	p.mu.Unlock()

	var errs []error
	ownSession := p.ownsSession()
	var signOut *frontend.SignOut
	if p.BrowserContext != nil {
		// Bounded by half of ctx's time: a browser that stopped answering
		// must not keep the tasks and the session from being revoked
		// (the other half). The context then goes with the browser, when
		// the run ends.
		bctx := ctx
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			bctx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(dl)/2))
			defer cancel()
		}
		var (
			closedSignOut *frontend.SignOut
			closeErr      error
		)
		if within(bctx, func() { closedSignOut, closeErr = p.closeContext(tracing, ownSession) }) {
			signOut = closedSignOut
			if closeErr != nil {
				errs = append(errs, closeErr)
			}
		} else {
			errs = append(errs, fmt.Errorf("agenttest: close browser context: the browser did not answer in time (%w): the context goes with the browser when the run ends", bctx.Err()))
		}
	}
	for _, t := range tasks {
		if err := t.Release(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if ownSession {
		errs = append(errs, p.session.end(ctx, signOut))
	}
	for _, s := range retired {
		// Through the Backend API: the browser's cookies were the later
		// sign-in's, so the Frontend API cannot name it.
		errs = append(errs, s.end(ctx, nil))
	}
	return errors.Join(errs...)
}

// closeContext ends the page's BrowserContext: it discards the trace
// (SaveArtifacts already kept it if wanted), reads how to sign the
// session out (when own), and closes the context. Release runs it.
func (p *Page) closeContext(tracing, own bool) (*frontend.SignOut, error) {
	var errs []error
	if tracing {
		if err := p.BrowserContext.Tracing().Stop(); err != nil && !isClosedError(err) {
			errs = append(errs, fmt.Errorf("agenttest: stop trace: %w", err))
		}
	}
	var signOut *frontend.SignOut
	if own {
		// From the context's cookies, once no trace records them and
		// before the context closes.
		signOut = p.signOut()
	}
	if err := p.BrowserContext.Close(); err != nil && !isClosedError(err) {
		errs = append(errs, fmt.Errorf("agenttest: close browser context: %w", err))
	}
	return signOut, errors.Join(errs...)
}

// Task is the Agent Task the page signed in with last; nil before.
func (p *Page) Task() *Task { return p.task }

// UserID is the Clerk user the page is signed in as; "" before.
func (p *Page) UserID() string { return p.session.user() }

// SessionID is the Clerk session the page signed in with; "" before.
func (p *Page) SessionID() string { return p.session.sessionID() }

// ownsSession reports whether the page's last sign-in left it a session
// to end: not kept (KeepSession) nor the run's (ReuseSignIn).
func (p *Page) ownsSession() bool {
	return p.session.is(ownedSession)
}

// retireSession hands the session of the page's last sign-in, when the
// page owns it, to the page's retired ones, so that a new sign-in can
// take its place: Release still revokes it.
func (p *Page) retireSession() {
	if p.ownsSession() {
		p.mu.Lock()
		p.retired = append(p.retired, p.session)
		p.mu.Unlock()
	}
	p.session = nil
}

// revokeSession revokes a session; one that has already ended (signed
// out, expired, revoked) is done.
func revokeSession(ctx context.Context, c *agenttask.Client, sessionID string) error {
	_, err := c.RevokeSession(ctx, sessionID)
	var apiErr *agenttask.APIError
	if err == nil || (errors.As(err, &apiErr) && (apiErr.Status == 400 || apiErr.Status == 404 || apiErr.Status == 410)) {
		return nil
	}
	return fmt.Errorf("agenttest: cleanup: revoke session %s: %w", sessionID, err)
}

// isClosedError reports whether Playwright refused because the target
// is already closed: cleanup after a crash or a test that closed it.
func isClosedError(err error) bool {
	return errors.Is(err, playwright.ErrTargetClosed) || strings.Contains(err.Error(), "has been closed")
}
