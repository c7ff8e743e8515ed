package agenttest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3/jwt"
	"github.com/mxschmitt/playwright-go"
)

// Clerk's cookie names on the app's domain. Each may carry a suffix
// derived from the publishable key (__session_AbCd1234), which Clerk sets
// beside or instead of the plain name; both are read.
const (
	sessionCookie   = "__session"
	clientUATCookie = "__client_uat"
	cookieSuffixLen = 8
)

// pollInterval is how often a wait reads the context's cookies.
const pollInterval = 50 * time.Millisecond

// isClerkCookie reports whether name is base or base_<suffix>.
func isClerkCookie(name, base string) bool {
	if name == base {
		return true
	}
	suffix, ok := strings.CutPrefix(name, base+"_")
	return ok && len(suffix) == cookieSuffixLen
}

// cookieState is what the app's origin says about the signed-in state.
type cookieState struct {
	token     string // a __session token, "" when none
	signedOut bool   // __client_uat says 0: Clerk signed the browser out
}

// readCookieState reads the Clerk cookies the context holds for origin.
func readCookieState(bc playwright.BrowserContext, origin string) (cookieState, error) {
	cookies, err := bc.Cookies(origin)
	if err != nil {
		return cookieState{}, fmt.Errorf("read cookies of %s: %w", origin, err)
	}
	var s cookieState
	for _, c := range cookies {
		switch {
		case isClerkCookie(c.Name, sessionCookie) && c.Value != "":
			s.token = c.Value
		case isClerkCookie(c.Name, clientUATCookie) && c.Value == "0":
			s.signedOut = true
		}
	}
	return s, nil
}

// pollCookies reads the cookies of origin every pollInterval until done
// says so or ctx ends; then it returns done's error, or timeout() when
// ctx ended first. It is the one waiting loop of the fixture's checks.
func pollCookies(ctx context.Context, bc playwright.BrowserContext, origin string, done func(cookieState) (bool, error), timeout func() error) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		s, err := readCookieState(bc, origin)
		if err != nil {
			return err
		}
		if ok, err := done(s); ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return timeout()
		case <-tick.C:
		}
	}
}

// sessionClaims are the claims of a session token the fixture reads.
type sessionClaims struct {
	Subject   string           `json:"sub"`
	SessionID string           `json:"sid"`
	Expiry    *jwt.NumericDate `json:"exp"`
	// Issuer (iss) is the instance's Frontend API URL: an app that
	// expects another refuses the token.
	Issuer string `json:"iss"`
	// AuthorizedParty (azp) is the origin the token was issued to: an
	// app that checks authorized parties refuses any other.
	AuthorizedParty string `json:"azp"`
	Actor           *struct {
		Subject string `json:"sub"`
		Type    string `json:"type"`
		TaskID  string `json:"task_id"`
	} `json:"act"`
}

// decodeSessionToken reads the claims of a session token without
// verifying its signature: the application does that; the fixture
// checks whom the token is for.
func decodeSessionToken(token string) (sessionClaims, error) {
	var c sessionClaims
	parsed, err := jwt.ParseSigned(token)
	if err != nil {
		return c, fmt.Errorf("the %s cookie is not a JWT: %w", sessionCookie, err)
	}
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		return c, fmt.Errorf("the %s cookie has unreadable claims: %w", sessionCookie, err)
	}
	if c.Subject == "" || c.SessionID == "" {
		return c, fmt.Errorf("the %s token has no sub or sid claim", sessionCookie)
	}
	return c, nil
}

// waitForSession waits, within ctx, until origin holds a session token
// for wantUser (any user when empty) and returns its claims. Every token
// seen becomes one of the page's secrets. Clerk's browser SDK may set
// the cookie a moment after the redirect settles, hence the polling.
func (p *Page) waitForSession(ctx context.Context, origin, wantUser string) (sessionClaims, error) {
	var got, last sessionClaims
	err := pollCookies(ctx, p.BrowserContext, origin, func(s cookieState) (bool, error) {
		if s.token == "" {
			return false, nil
		}
		p.secrets.Add(s.token)
		claims, err := decodeSessionToken(s.token)
		if err != nil {
			return false, err
		}
		if wantUser != "" && claims.Subject != wantUser {
			last = claims
			return false, nil
		}
		got = claims
		return true, nil
	}, func() error {
		if last.Subject != "" {
			return fmt.Errorf("the %s cookie of %s is for %s, want %s", sessionCookie, origin, last.Subject, wantUser)
		}
		return fmt.Errorf("no %s cookie for %s after %s: the app is not signed in", sessionCookie, origin, p.opts.timeout)
	})
	return got, err
}
