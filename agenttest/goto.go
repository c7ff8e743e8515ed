package agenttest

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// Goto navigates the page to url, like playwright.Page's Goto, which it
// shadows: a relative url (a path such as "/dashboard") is resolved
// against AGENTTEST_APP_URL, or the BaseURL given in
// [WithContextOptions]. With neither, a relative url fails at once with
// one line naming them, instead of Playwright's protocol error. When
// the app at that base URL cannot be reached (nothing listens there,
// its host does not resolve), the error says so in one line and names
// the setting to fix; it wraps Playwright's. Any other error is
// Playwright's with every secret redacted (a task URL's ticket, a
// handshake), matching playwright.ErrTimeout and the like.
func (p *Page) Goto(url string, options ...playwright.PageGotoOptions) (playwright.Response, error) {
	if p.baseURL == "" && isRelativeURL(url) {
		if p.suite != nil {
			if _, set := p.suite.env.Lookup(config.VarAppURL); set { // a placeholder left empty
				return nil, fmt.Errorf("agenttest: Goto(%s): a relative URL needs an app URL, and %s is empty: set it to the app's address (or give WithContextOptions BaseURL)", redact.Quote(url), p.suite.env.Describe(config.VarAppURL))
			}
		}
		return nil, fmt.Errorf("agenttest: Goto(%s): a relative URL needs %s (or WithContextOptions BaseURL)", redact.Quote(url), config.VarAppURL)
	}
	if p.Page == nil {
		return nil, fmt.Errorf("agenttest: Goto(%s): the page was not opened: use agenttest.NewPage, agenttest.NewPageContext or Browser.NewPage", redact.Quote(url))
	}
	resp, err := p.Page.Goto(url, options...)
	if err != nil {
		if unreachable := p.appUnreachable(url, err); unreachable != err {
			return resp, unreachable
		}
		// Playwright quotes the URL it went to, a task URL's ticket
		// and all: redacted, only the error's kind kept.
		return resp, &redactedError{msg: p.artifactRedactor().String(err.Error()), kind: playwrightKind(err)}
	}
	return resp, nil
}

// netError is Chromium's name for a failed connection in Playwright's
// error text: net::ERR_CONNECTION_REFUSED, net::ERR_NAME_NOT_RESOLVED…
var netError = regexp.MustCompile(`net::ERR_[A-Z_]+`)

// appUnreachable is err, Goto's error for target, said as one line
// when the browser could not reach the page's base URL (the app):
// which app, which setting names it, what to do.
func (p *Page) appUnreachable(target string, err error) error {
	cause := netError.FindString(err.Error())
	if cause == "" || p.baseURL == "" {
		return err
	}
	base, berr := url.Parse(p.baseURL)
	u, uerr := base.Parse(target)
	if berr != nil || uerr != nil || u.Scheme != base.Scheme || u.Host != base.Host {
		return err
	}
	setting := "the context's BaseURL (WithContextOptions)"
	if p.baseURL == p.appURL {
		setting = config.VarAppURL
	}
	return &redactedError{
		msg:  fmt.Sprintf("agenttest: Goto(%s): the app at %s (%s) could not be reached (%s): start it before the tests, or fix %s", redact.Quote(target), redact.URL(base.Scheme+"://"+base.Host), setting, cause, setting),
		kind: err,
	}
}

// isRelativeURL reports whether s names no scheme, so that it means
// nothing without a base URL.
func isRelativeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == ""
}
