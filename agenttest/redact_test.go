package agenttest

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
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
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestRedactText(t *testing.T) {
	t.Parallel()
	in := "proxy saw Authorization: Bearer sk_live_abcDEF123 and sk_test_xyz, visited https://f.dev/v1/tickets/accept?ticket=tkt_1 then ticket=tkt_2&x, token: t0k and the exact key custom-secret"
	got := redactText(in, "custom-secret")
	for _, secret := range []string{"abcDEF123", "xyz", "tkt_1", "tkt_2", "t0k", "custom-secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("redactText left %q in %q", secret, got)
		}
	}
	for _, kept := range []string{"proxy saw", "sk_test_REDACTED", "https://f.dev/v1/tickets/accept?ticket=REDACTED"} {
		if !strings.Contains(got, kept) {
			t.Errorf("redactText lost %q: %q", kept, got)
		}
	}
}
