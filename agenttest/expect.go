package agenttest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/agenttest/agenttest/agenttest/config"
)

// CheckSignedIn waits, up to the page's timeout, until the app's origin
// has a session cookie for the page's user (any user when the page has
// not signed in through the fixture), and returns an error if it never
// does. It changes nothing on the page. It is the core of
// [ExpectSignedIn].
func (p *Page) CheckSignedIn(ctx context.Context) error {
	origin, err := p.appOrigin()
	if err != nil {
		return err
	}
	ctx, cancel := p.opts.stepContext(ctx)
	defer cancel()
	if _, err := p.waitForSession(ctx, origin, p.UserID()); err != nil {
		return fmt.Errorf("agenttest: expect signed in: %s", p.secrets.String(err.Error()))
	}
	return nil
}

// CheckSignedOut waits, up to the page's timeout, until the app's origin
// has no session cookie (or Clerk's __client_uat says 0), and returns an
// error if it still has one. It changes nothing on the page. It is the
// core of [ExpectSignedOut].
func (p *Page) CheckSignedOut(ctx context.Context) error {
	origin, err := p.appOrigin()
	if err != nil {
		return err
	}
	ctx, cancel := p.opts.stepContext(ctx)
	defer cancel()
	err = pollCookies(ctx, p.BrowserContext, origin, func(s cookieState) (bool, error) {
		return s.token == "" || s.signedOut, nil
	}, func() error {
		return fmt.Errorf("%s still has a %s cookie after %s", origin, sessionCookie, p.opts.timeout)
	})
	if err != nil {
		return fmt.Errorf("agenttest: expect signed out: %w", err)
	}
	return nil
}

// ExpectSignedIn fails the test unless the page is signed in as its
// user (see [Page.CheckSignedIn]). Use it later in a test, after a
// reload or a navigation that could have lost the session.
func ExpectSignedIn(tb testing.TB, p *Page) {
	tb.Helper()
	if err := p.CheckSignedIn(context.WithoutCancel(tb.Context())); err != nil {
		tb.Fatal(err)
	}
}

// ExpectSignedOut fails the test unless the page is signed out (see
// [Page.CheckSignedOut]), e.g. after a sign-out.
func ExpectSignedOut(tb testing.TB, p *Page) {
	tb.Helper()
	if err := p.CheckSignedOut(context.WithoutCancel(tb.Context())); err != nil {
		tb.Fatal(err)
	}
}

// appOrigin is where the page's session cookie lives.
func (p *Page) appOrigin() (string, error) {
	if p == nil || p.BrowserContext == nil {
		return "", errors.New("agenttest: the page was not opened: use agenttest.SignIn or agenttest.NewPage")
	}
	if p.origin != "" {
		return p.origin, nil
	}
	u, err := url.Parse(p.appURL)
	if p.appURL == "" || err != nil {
		return "", fmt.Errorf("agenttest: no app to check: set %s to your app's URL (e.g. http://localhost:3000), or sign the page in first", config.VarAppURL)
	}
	return u.Scheme + "://" + u.Host, nil
}
