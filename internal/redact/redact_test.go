package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 32)
	for raw, want := range map[string]string{
		"https://clerk.example.accounts.dev/v1/tickets/accept?ticket=tkt_SECRET": "https://clerk.example.accounts.dev/v1/tickets/accept?ticket=REDACTED",
		"http://127.0.0.1:8080/a/b?x=1&y=&z#frag":                                "http://127.0.0.1:8080/a/b?x=REDACTED&y=REDACTED&z#REDACTED",
		"https://x.dev/t/" + long + "/ok":                                        "https://x.dev/t/REDACTED/ok",
		"https://x.dev/t/" + long[:31]:                                           "https://x.dev/t/" + long[:31],
		"https://x.dev/?" + long:                                                 "https://x.dev/?REDACTED",
		"https://user:pass@x.dev/p":                                              "https://REDACTED@x.dev/p",
		"https://x.dev/p#":                                                       "https://x.dev/p#REDACTED",
		"https://x.dev/p?":                                                       "https://x.dev/p?",
		"/relative?ticket=s":                                                     "/relative?ticket=REDACTED",
		"mailto:someone@example.com":                                             "mailto:REDACTED",
		"http://[::1":                                                            "REDACTED",
		"":                                                                       "",
		"https://api.clerk.com/v1":                                               "https://api.clerk.com/v1",
		"https://x.dev/a%2Fb?q=%20":                                              "https://x.dev/a%2Fb?q=REDACTED",
	} {
		if got := URL(raw); got != want {
			t.Errorf("URL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedactText(t *testing.T) {
	t.Parallel()
	in := "proxy saw Authorization: Bearer sk_live_abcDEF123 and sk_test_xyz, visited https://f.dev/v1/tickets/accept?ticket=tkt_1 then ticket=tkt_2&x, token: t0k and the exact key custom-secret"
	got := Text(in, "custom-secret")
	for _, secret := range []string{"abcDEF123", "xyz", "tkt_1", "tkt_2", "t0k", "custom-secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text left %q in %q", secret, got)
		}
	}
	for _, kept := range []string{"proxy saw", "sk_test_REDACTED", "https://f.dev/v1/tickets/accept?ticket=REDACTED"} {
		if !strings.Contains(got, kept) {
			t.Errorf("Text lost %q: %q", kept, got)
		}
	}
}

func TestSetRedactsURLWholeThenItsParts(t *testing.T) {
	t.Parallel()
	var s Set
	task := "https://fapi.example.dev/v1/agents/tasks?ticket=tkt_0123456789abcdef"
	s.AddURL(task)
	s.Add("custom-token-value")
	in := "opened " + task + " (escaped: " + "https%3A%2F%2Ffapi.example.dev%2Fv1%2Fagents%2Ftasks%3Fticket%3Dtkt_0123456789abcdef" + "), ticket alone tkt_0123456789abcdef, custom-token-value, key sk_test_abc"
	got := s.String(in)
	for _, secret := range []string{"tkt_0123456789abcdef", "custom-token-value", "sk_test_abc"} {
		if strings.Contains(got, secret) {
			t.Errorf("String left %q in %q", secret, got)
		}
	}
	if !strings.Contains(got, "https://fapi.example.dev/v1/agents/tasks?ticket=REDACTED") {
		t.Errorf("String lost the URL's redacted form: %q", got)
	}
	var zero *Set
	if zero.Known("x") != "x" {
		t.Error("a nil Set must leave text alone")
	}
}

func TestTextKeepsJSONEscapesWhole(t *testing.T) {
	t.Parallel()
	in := `{"postData":"{\"url\":\"http://x.dev/a?ticket=tkt_secret\"}"}`
	got := Text(in)
	if strings.Contains(got, "tkt_secret") {
		t.Fatalf("Text left the ticket: %s", got)
	}
	if !strings.Contains(got, `\"}"}`) {
		t.Fatalf("Text broke the JSON escapes: %s", got)
	}
}

func TestTextRedactsJWTsAndHARCredentials(t *testing.T) {
	t.Parallel()
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	in := `{"queryString":[{"name":"__clerk_handshake","value":"` + jwt + `"},{"name":"ticket","value":"tkt_\"odd\" one"},{"name":"page","value":"2"}],"cookies":[{"name":"__client","value":"cli_secret"},{"name":"__client_uat","value":"1795950604"}],"note":"bearer ` + jwt + `"}`
	got := Text(in)
	for _, secret := range []string{jwt, "tkt_", "odd", "cli_secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text left %q in %s", secret, got)
		}
	}
	for _, kept := range []string{`{"name":"page","value":"2"}`, `{"name":"__client_uat","value":"1795950604"}`} {
		if !strings.Contains(got, kept) {
			t.Errorf("Text lost %s: %s", kept, got)
		}
	}
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("Text broke the JSON: %v\n%s", err, got)
	}
}

// A word of prose after "token:" is not a credential: the sentence stays
// readable. A value that looks like one is still replaced, after a colon
// or an equals sign.
func TestTextKeepsProseAfterACredentialName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"the app rejected the token: it must verify tokens": "the app rejected the token: it must verify tokens",
		"session token: expired, sign in again":             "session token: expired, sign in again",
		"token: tok_9f8e7d6c5b4a":                           "token: " + Placeholder,
		"password: hunter22":                                "password: " + Placeholder,
		"password: correcthorsebattery":                     "password: " + Placeholder,
		"Authorization: Bearer abc":                         "Authorization: Bearer " + Placeholder,
		"ticket=it":                                         "ticket=" + Placeholder,
		"x-api-token: plain":                                "x-api-token: plain",
		"__session: abcDEF123":                              "__session: " + Placeholder,
		`create testing token: Post "http://127.0.0.1:1/v1/testing_tokens": refused`: `create testing token: Post "http://127.0.0.1:1/v1/testing_tokens": refused`,
		"token: Posted": "token: " + Placeholder,
		"WebSocket error: ws://user:s3cr3t@127.0.0.1:1/ 200 OK": "WebSocket error: ws://" + Placeholder + "@127.0.0.1:1/ 200 OK",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	var s Set
	if got := s.Value("the app rejected the token: it must"); got != "the app rejected the token: it must" {
		t.Errorf("Value garbled prose: %q", got)
	}
}

// A URL in a sentence keeps the punctuation after it, and is redacted
// as a URL (its host shown), not replaced whole.
func TestTextLeavesPunctuationAfterAURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"its azp is http://localhost:43499, so an app": "its azp is http://localhost:43499, so an app",
		"open http://127.0.0.1:80/dashboard.":          "open http://127.0.0.1:80/dashboard.",
		"(at http://x.dev/a?ticket=tkt_1)":             "(at http://x.dev/a?ticket=" + Placeholder + ")",
		"see http://x.dev/a;":                          "see http://x.dev/a;",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

// The punctuation that ends a clause after a credential's value stays:
// the sentence still reads.
func TestTextKeepsTheClausePunctuationAfterAValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"stayed on http://x.dev/d?__clerk_handshake=abc123: the app": "stayed on http://x.dev/d?__clerk_handshake=" + Placeholder + ": the app",
		"with token=abc123. Then":                                    "with token=" + Placeholder + ". Then",
		"token=a:b:c1":                                               "token=" + Placeholder,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
