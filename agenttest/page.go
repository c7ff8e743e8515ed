package agenttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/playwright-community/playwright-go"
)

// Page is one test's browser page, in a BrowserContext of its own on
// the shared browser. It embeds the playwright.Page, so page.Goto,
// page.Locator and the rest are called on it directly; Goto takes paths
// relative to AGENTTEST_APP_URL.
//
// After a sign-in, Task, UserID and SessionID say who the page is
// signed in as and how.
type Page struct {
	playwright.Page

	// BrowserContext is the page's own context: its cookies are the
	// signed-in state.
	BrowserContext playwright.BrowserContext
	// Task is the Agent Task the page signed in with (nil before).
	Task *Task
	// UserID is the Clerk user the page is signed in as.
	UserID string
	// SessionID is the Clerk session the sign-in created.
	SessionID string

	client  *Client
	appURL  string
	origin  string // where the session cookie lives: the redirect's origin
	opts    options
	console consoleLog

	mu       sync.Mutex
	tasks    []*ownedTask // tasks this page created, in order
	secrets  []redaction  // what no error or artifact may show
	tracing  bool
	released bool
}

// ownedTask is a task a page or test created, with whether it is known
// to be used (and so needs no revoking).
type ownedTask struct {
	task *Task
	used bool
}

// Open starts a signed-out page in a fresh BrowserContext of the shared
// browser. It is the error-returning core of [NewPage]; the caller owns
// the page and must call [Page.Release], also when Open fails (Release
// accepts the half-built page it returns).
func Open(ctx context.Context, opts ...Option) (*Page, error) {
	return openPage(ctx, newOptions(opts), false)
}

// openPage is Open with the options resolved; trace starts a Playwright
// trace that [Page.SaveArtifacts] keeps.
func openPage(ctx context.Context, o options, trace bool) (*Page, error) {
	p := &Page{opts: o}
	env, err := host.environment()
	if err != nil {
		return p, err
	}
	p.setAppURL(env)
	if err := ctx.Err(); err != nil {
		return p, err
	}
	browser, err := host.get()
	if err != nil {
		return p, err
	}
	ctxOpts := playwright.BrowserNewContextOptions{}
	if o.contextOptions != nil {
		ctxOpts = *o.contextOptions
	}
	if ctxOpts.BaseURL == nil && p.appURL != "" {
		ctxOpts.BaseURL = playwright.String(p.appURL)
	}
	bc, err := browser.NewContext(ctxOpts)
	if err != nil {
		return p, fmt.Errorf("agenttest: new browser context: %w", err)
	}
	p.BrowserContext = bc
	bc.SetDefaultTimeout(float64(o.timeout.Milliseconds()))
	if trace {
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
		return p, fmt.Errorf("agenttest: new page: %w", err)
	}
	p.Page = page
	p.console.watch(page)
	return p, nil
}

// setAppURL takes the app's URL from AGENTTEST_APP_URL, once.
func (p *Page) setAppURL(env Env) {
	if v, ok := env.Lookup(envAppURL); ok && p.appURL == "" {
		p.appURL = strings.TrimRight(v, "/")
	}
}

// own records a task the page created, so that Release revokes it if
// it was never used.
func (p *Page) own(t *Task) *ownedTask {
	p.mu.Lock()
	defer p.mu.Unlock()
	ot := &ownedTask{task: t}
	p.tasks = append(p.tasks, ot)
	p.secrets = append(p.secrets, taskRedactions(t)...)
	return ot
}

// addSecret adds a string that no artifact may show.
func (p *Page) addSecret(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets = append(p.secrets, redaction{s, redacted})
}

// redactor replaces every secret the page knows of.
func (p *Page) redactor() *strings.Replacer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return redactionReplacer(p.secrets)
}

// Release ends the page: it closes its BrowserContext, revokes every
// task the page created that was not used (a task Clerk says is no
// longer pending counts as done), and revokes the session the sign-in
// created unless [KeepSession] was given. It runs every step even when
// one fails, returns their errors joined, and is safe to call twice and
// on a nil or half-built page. ctx should not be a test's t.Context(),
// which is already cancelled when cleanups run.
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
	var unused []*Task
	for _, ot := range p.tasks {
		if !ot.used {
			unused = append(unused, ot.task)
		}
	}
	p.mu.Unlock()

	var errs []error
	if p.BrowserContext != nil {
		if p.tracing {
			// Discard the trace; SaveArtifacts already kept it if wanted.
			if err := p.BrowserContext.Tracing().Stop(); err != nil && !isClosedError(err) {
				errs = append(errs, fmt.Errorf("agenttest: stop trace: %w", err))
			}
		}
		if err := p.BrowserContext.Close(); err != nil && !isClosedError(err) {
			errs = append(errs, fmt.Errorf("agenttest: close browser context: %w", err))
		}
	}
	for _, t := range unused {
		if err := revokeUnused(ctx, p.client, t); err != nil {
			errs = append(errs, err)
		}
	}
	if p.SessionID != "" && !p.opts.keepSession && p.client != nil {
		if err := revokeSession(ctx, p.client, p.SessionID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// revokeUnused revokes a task that is not known to be used; a task that
// is no longer pending is what cleanup wants, so that is no error.
func revokeUnused(ctx context.Context, c *Client, t *Task) error {
	if c == nil {
		return nil
	}
	_, err := c.Revoke(ctx, t.ID)
	if err == nil || errors.Is(err, ErrTaskNotPending) {
		return nil
	}
	return fmt.Errorf("agenttest: cleanup: revoke unused task %s: %w", t.ID, err)
}

// revokeSession revokes a session; one that has already ended (signed
// out, expired, revoked) is done.
func revokeSession(ctx context.Context, c *Client, sessionID string) error {
	_, err := c.RevokeSession(ctx, sessionID)
	var apiErr *APIError
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
