package agenttest

import (
	"fmt"
	"net/url"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/internal/redact"
	"github.com/playwright-community/playwright-go"
)

// Goto navigates the page to url, like playwright.Page's Goto, which it
// shadows: a relative url (a path such as "/dashboard") is resolved
// against AGENTTEST_APP_URL, or the BaseURL given in
// [WithContextOptions]. With neither, a relative url fails at once with
// one line naming them, instead of Playwright's protocol error.
func (p *Page) Goto(url string, options ...playwright.PageGotoOptions) (playwright.Response, error) {
	if p.baseURL == "" && isRelativeURL(url) {
		return nil, fmt.Errorf("agenttest: Goto(%s): a relative URL needs %s (or WithContextOptions BaseURL)", redact.Quote(url), agenttask.VarAppURL)
	}
	if p.Page == nil {
		return nil, fmt.Errorf("agenttest: Goto(%s): the page was not opened: use agenttest.NewPage, agenttest.Open or Browser.NewPage", redact.Quote(url))
	}
	return p.Page.Goto(url, options...)
}

// isRelativeURL reports whether s names no scheme, so that it means
// nothing without a base URL.
func isRelativeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == ""
}
