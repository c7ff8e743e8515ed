package agenttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// CheckSignedIn waits, up to the page's timeout, until the app origin
// has a session cookie for the page's user (any user when the page has
// not signed in through the fixture), and returns an error if it never
// does. It is the core of [ExpectSignedIn].
func CheckSignedIn(ctx context.Context, p *Page) error {
	origin, err := p.appOrigin()
	if err != nil {
		return err
	}
	claims, err := p.waitForSession(ctx, p.opts, origin, p.UserID)
	if err != nil {
		return fmt.Errorf("agenttest: expect signed in: %s", p.redactor().Replace(err.Error()))
	}
	if p.UserID == "" {
		p.UserID, p.SessionID = claims.Subject, claims.SessionID
	}
	return nil
}

// CheckSignedOut waits, up to the page's timeout, until the app origin
// has no session cookie (or Clerk's __client_uat says 0), and returns an
// error if it still has one. It is the core of [ExpectSignedOut].
func CheckSignedOut(ctx context.Context, p *Page) error {
	origin, err := p.appOrigin()
	if err != nil {
		return err
	}
	ctx, cancel := p.opts.stepContext(ctx)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cookies, err := p.BrowserContext.Cookies(origin)
		if err != nil {
			return fmt.Errorf("agenttest: expect signed out: read cookies of %s: %w", origin, err)
		}
		signedIn := false
		for _, c := range cookies {
			if c.Name == sessionCookie && c.Value != "" {
				signedIn = true
			}
			if c.Name == "__client_uat" && c.Value == "0" {
				signedIn = false
				break
			}
		}
		if !signedIn {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("agenttest: expect signed out: %s still has a %s cookie after %s", origin, sessionCookie, p.opts.timeout)
		case <-tick.C:
		}
	}
}

// ExpectSignedIn fails the test unless the page is signed in as its
// user (see [CheckSignedIn]). Use it later in a test, after a reload or
// a navigation that could have lost the session.
func ExpectSignedIn(tb testing.TB, p *Page) {
	tb.Helper()
	if err := CheckSignedIn(context.WithoutCancel(tb.Context()), p); err != nil {
		tb.Fatal(err)
	}
}

// ExpectSignedOut fails the test unless the page is signed out (see
// [CheckSignedOut]), e.g. after a sign-out.
func ExpectSignedOut(tb testing.TB, p *Page) {
	tb.Helper()
	if err := CheckSignedOut(context.WithoutCancel(tb.Context()), p); err != nil {
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
	u, err := resolveRedirect(p.appURL, "")
	if err != nil {
		return "", fmt.Errorf("agenttest: no app to check: %w", err)
	}
	return u.Scheme + "://" + u.Host, nil
}
