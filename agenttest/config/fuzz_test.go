package config

import (
	"net/url"
	"strings"
	"testing"

	"github.com/agenttest/agenttest/internal/clerkid"
)

// fuzzSecret marks a password in a URL's user information: no message
// may show it.
const fuzzSecret = "hunter2FUZZsecret"

// maxValidationMessage bounds a validation error: every input is shown
// bounded (redact.Quote), whatever its size.
const maxValidationMessage = 2048

// Whatever the fixture's options, the CLI's flags or the environment
// give, the validators make no call and panic on nothing; a refusal is
// one bounded line that never shows a URL's password; what they accept
// is a valid user id or a non-empty identifier, and an absolute http(s)
// redirect URL without user information.
func FuzzValidators(f *testing.F) {
	for _, seed := range [][4]string{
		{"user_2ada0000000000000000000001", "", "/dashboard", "http://localhost:3000"},
		{"", "ada@example.com", "https://app.example.com/x?y=1", ""},
		{"user_x\nFAKE: forged", "", "", "http://127.0.0.1:1"},
		{"", " ", "//evil.com/x", "http://localhost:3000"},
		{"\"user_1\"", "", "http://u:" + fuzzSecret + "@x.dev/", ""},
		{"", "", "/x", "http://admin:" + fuzzSecret + "@localhost:3000"},
		{"ada@example.com", "", "ftp://x/y", "localhost:3000"},
		{"user_" + strings.Repeat("a", 4096), "", "\t/\\evil", "http://[::1]:3000"},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, userID, identifier, redirect, appURL string) {
		env := EnvFromMap(map[string]string{VarAppURL: appURL, VarUserID: "user_1"})
		for _, c := range []Choice{
			{UserID: userID, Identifier: identifier, Redirect: redirect, UserIDName: "agenttest.AsUser", IdentifierName: "agenttest.AsIdentifier", RedirectName: "agenttest.RedirectTo"},
			{UserID: userID, Identifier: identifier, Redirect: redirect, UserIDName: "--user-id", IdentifierName: "--identifier", RedirectName: "--redirect-url"},
		} {
			got, err := ResolveTarget(env, c)
			if err != nil {
				checkRefusal(t, err)
				continue
			}
			if got.UserID != "" && !clerkid.Valid(got.UserID) {
				t.Fatalf("accepted user id %q", got.UserID)
			}
			if got.UserID == "" && got.Identifier == "" {
				t.Fatalf("accepted no user: %+v", got)
			}
			u := got.Redirect
			if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
				t.Fatalf("accepted redirect %v", u)
			}
			if _, err := url.Parse(u.String()); err != nil {
				t.Fatalf("accepted redirect %q does not parse again: %v", u, err)
			}
		}
		for _, identifier := range []bool{false, true} {
			err := CheckGivenUser("--user-id "+userID, userID, identifier)
			if (err == nil) != (strings.TrimSpace(userID) != "") {
				t.Fatalf("CheckGivenUser(%q) = %v", userID, err)
			}
		}
	})
}

// checkRefusal fails t unless err is one bounded line without a secret.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	switch {
	case strings.ContainsAny(msg, "\n\r"):
		t.Fatalf("refusal on more than one line: %q", msg)
	case len(msg) > maxValidationMessage:
		t.Fatalf("refusal of %d bytes", len(msg))
	case strings.Contains(msg, fuzzSecret):
		t.Fatalf("refusal shows the password: %q", msg)
	}
}
