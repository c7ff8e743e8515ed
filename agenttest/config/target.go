package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/agenttest/agenttest/internal/clerkid"
	"github.com/agenttest/agenttest/internal/redact"
)

// Target is whom an Agent Task signs in and where the browser lands
// once signed in, resolved by [ResolveTarget]. Exactly one of UserID
// and Identifier is set.
type Target struct {
	UserID, Identifier string
	// Setting names what gave the user: the caller's option or flag, or
	// the variable.
	Setting string
	// Redirect is the absolute http(s) URL the browser lands on.
	Redirect *url.URL
}

// Who is the user as asked for: the user id, else the identifier.
func (t Target) Who() string {
	if t.UserID != "" {
		return t.UserID
	}
	return t.Identifier
}

// Choice is what a caller asked for (each "" when not given) and what
// the caller calls each setting, for its errors: the fixture's options
// ("agenttest.AsUser"), the CLI's flags ("--user-id").
type Choice struct {
	UserID, Identifier, Redirect             string
	UserIDName, IdentifierName, RedirectName string
}

// ResolveTarget resolves whom and where from the caller's choice over
// env (with an error, the target holds what was resolved): the user from the choice, else VarUserID or VarUserIdentifier
// (trimmed, one of them); the redirect from the choice (an absolute URL,
// or a path joined to VarAppURL), else VarAppURL. It makes no call. Each
// problem is said in one line, what to set included; all of them are
// returned, joined by "; ".
func ResolveTarget(env Env, c Choice) (Target, error) {
	t, userErr := resolveUser(env, c)
	var redirectErr error
	t.Redirect, redirectErr = resolveRedirect(env, c)
	if userErr != nil && redirectErr != nil {
		return t, errors.New(userErr.Error() + "; " + redirectErr.Error())
	}
	return t, errors.Join(userErr, redirectErr)
}

// CheckGivenUser checks a user id (or, with identifier, an email
// address, phone number or username) that a caller passed explicitly,
// by an option or a flag, shown as the caller wrote it: one left empty
// or blank names nobody, and is refused rather than read as not given.
// The fixture's options and the CLI's flags share it.
func CheckGivenUser(shown, value string, identifier bool) error {
	switch {
	case strings.TrimSpace(value) != "":
		return nil
	case identifier:
		return fmt.Errorf("%s: give an email address, phone number or username, or leave it out to use %s", shown, VarUserIdentifier)
	}
	return fmt.Errorf("%s: give a user id (user_…), or leave it out to use %s", shown, VarUserID)
}

// userIDPrefix starts every Clerk user id.
const userIDPrefix = "user_"

// resolveUser is ResolveTarget's user.
func resolveUser(env Env, c Choice) (Target, error) {
	t := Target{UserID: c.UserID, Identifier: c.Identifier, Setting: c.UserIDName}
	switch {
	case c.UserID != "" && c.Identifier != "":
		return t, fmt.Errorf("%s and %s name the user twice: pass exactly one", c.UserIDName, c.IdentifierName)
	case c.Identifier != "":
		t.Setting = c.IdentifierName
	case c.UserID == "":
		// Trimmed, as every variable is: a dotenv line's stray space is
		// no part of an id.
		id, _ := env.Lookup(VarUserID)
		identifier, _ := env.Lookup(VarUserIdentifier)
		t.UserID, t.Identifier = strings.TrimSpace(id), strings.TrimSpace(identifier)
		switch {
		case t.UserID != "" && t.Identifier != "":
			return t, fmt.Errorf("both %s and %s are set: keep one, or pass %s or %s", VarUserID, VarUserIdentifier, c.UserIDName, c.IdentifierName)
		case t.UserID != "":
			t.Setting = VarUserID
		case t.Identifier != "":
			t.Setting = VarUserIdentifier
		default:
			return t, fmt.Errorf("no user: pass %s or %s, or set %s or %s", c.UserIDName, c.IdentifierName, VarUserID, VarUserIdentifier)
		}
	}
	if t.UserID == "" || strings.HasPrefix(t.UserID, userIDPrefix) && clerkid.Valid(t.UserID) {
		return t, nil
	}
	instead := c.IdentifierName
	if t.Setting == VarUserID {
		instead = VarUserIdentifier + ", or pass " + c.IdentifierName
	}
	if strings.HasPrefix(t.UserID, userIDPrefix) {
		// A newline or space in it would reach messages and logs.
		return t, fmt.Errorf("%s is %s, not a Clerk user id (user_…: at most %d letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as %s", t.Setting, redact.Quote(t.UserID), clerkid.MaxLength, instead)
	}
	if unquoted := strings.Trim(t.UserID, "\"'`\u2018\u2019\u201c\u201d"); unquoted != t.UserID && strings.HasPrefix(unquoted, userIDPrefix) {
		return t, fmt.Errorf("%s is %s, a user id in quote characters: remove them", t.Setting, redact.Quote(t.UserID))
	}
	return t, fmt.Errorf("%s is %s, not a Clerk user id (user_…): for an email address, phone number or username use %s", t.Setting, redact.Quote(t.UserID), instead)
}

// resolveRedirect is ResolveTarget's redirect URL.
func resolveRedirect(env Env, c Choice) (*url.URL, error) {
	appURL, _ := env.Lookup(VarAppURL)
	appURL = strings.TrimRight(strings.TrimSpace(appURL), "/")
	path := c.Redirect
	if u, err := url.Parse(path); err != nil || u.Scheme != "" || strings.HasPrefix(path, "//") {
		if err != nil || !absoluteHTTP(u) {
			return nil, fmt.Errorf("%s is %s, not an absolute http(s) URL: pass one such as http://localhost:3000/dashboard, or a path such as /dashboard with %s set", c.RedirectName, redact.Quote(shownURL(path)), VarAppURL)
		}
		if u.User != nil {
			return nil, fmt.Errorf("%s is %s, with user information (user:password@), which Clerk would receive in redirect_url: remove it", c.RedirectName, redact.Quote(shownURL(path)))
		}
		return withPath(u), nil
	}
	switch {
	case appURL == "" && path == "":
		return nil, fmt.Errorf("no redirect: set %s to your app's URL (e.g. http://localhost:3000), or pass a full URL to %s", VarAppURL, c.RedirectName)
	case appURL == "":
		return nil, fmt.Errorf("%s is %s, a path, but %s is not set: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL", c.RedirectName, redact.Quote(shownURL(path)), VarAppURL)
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(appURL + path)
	if err != nil || !absoluteHTTP(u) {
		// Not shown: a URL in the configuration may hold a password.
		return nil, fmt.Errorf("%s is not an absolute http(s) URL: set it to your app's URL (e.g. http://localhost:3000), or pass a full URL to %s", env.Describe(VarAppURL), c.RedirectName)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s holds user information (user:password@), which Clerk would receive in redirect_url: remove it", env.Describe(VarAppURL))
	}
	return withPath(u), nil
}

// absoluteHTTP reports whether u is an http(s) URL with a host.
func absoluteHTTP(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// withPath gives a URL without a path the root path, as browsers do.
func withPath(u *url.URL) *url.URL {
	if u.Path == "" {
		u.Path = "/"
	}
	return u
}

// shownURL is raw without its query, fragment and user information,
// which may hold credentials: each is shown as "…".
func shownURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "…"
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		host := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			host = rest[:i]
		}
		if at := strings.LastIndex(host, "@"); at >= 0 {
			s = scheme + "://…" + rest[at:]
		}
	}
	return s
}
