package agenttest

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// redacted replaces a secret wherever this package prints one.
const redacted = "REDACTED"

// redactMinSegment is the length from which a path segment (or a query
// key) is taken for an opaque credential and redacted.
const redactMinSegment = 32

// RedactURL returns raw with its secrets replaced by "REDACTED", for
// logs and error messages. It keeps the scheme, host and path, and
// replaces every query value, the fragment, any user information and
// every path segment (or query key) of 32 characters or more, which is
// how long opaque tokens look. The query keys stay, so
// "https://x.dev/v1/tickets/accept?ticket=tkt_…" becomes
// "https://x.dev/v1/tickets/accept?ticket=REDACTED".
//
// A string that does not parse as a URL is replaced whole.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.Opaque != "" {
		b.WriteString(redacted)
		return b.String()
	}
	if u.Host != "" || u.User != nil {
		b.WriteString("//")
		if u.User != nil {
			b.WriteString(redacted)
			b.WriteByte('@')
		}
		b.WriteString(u.Host)
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, s := range segments {
		if len(s) >= redactMinSegment {
			segments[i] = redacted
		}
	}
	b.WriteString(strings.Join(segments, "/"))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			key, _, hasValue := strings.Cut(p, "=")
			if len(key) >= redactMinSegment {
				key = redacted
			}
			if hasValue {
				key += "=" + redacted
			}
			parts[i] = key
		}
		b.WriteString(strings.Join(parts, "&"))
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.HasSuffix(raw, "#") {
		b.WriteString("#" + redacted)
	}
	return b.String()
}

// redactSecretKeyRE matches anything shaped like a Clerk secret key.
var redactSecretKeyRE = regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9_\-]+`)

// redactURLRE matches absolute http(s) URLs inside free text.
var redactURLRE = regexp.MustCompile(`https?://[^\s"'<>` + "`" + `]+`)

// redactParamRE matches credential-looking key=value pairs outside URLs.
var redactParamRE = regexp.MustCompile(`(?i)\b(ticket|token|__session|__clerk_[a-z_]+|secret|password|authorization)(=|:\s*(bearer\s+)?)[^&\s"'<>;,]+`)

// redactText scrubs free text that did not come from us (a proxy's error
// page, a transport error) before it goes into an error or a log: it
// removes each of the given secrets, anything shaped like a secret key,
// credential-looking parameters, and passes URLs through RedactURL.
func redactText(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redacted)
		}
	}
	s = redactSecretKeyRE.ReplaceAllString(s, "sk_${1}_"+redacted)
	s = redactURLRE.ReplaceAllStringFunc(s, RedactURL)
	return redactParamRE.ReplaceAllString(s, "${1}${2}"+redacted)
}

// redactSecretKey shows which kind of key a configuration holds, never
// any character of the key itself.
func redactSecretKey(key string) string {
	switch {
	case key == "":
		return ""
	case strings.HasPrefix(key, "sk_test_"):
		return "sk_test_" + redacted
	case strings.HasPrefix(key, "sk_live_"):
		return "sk_live_" + redacted
	default:
		return redacted
	}
}

// clientFormatRedacted implements fmt.Formatter for the types that hold
// secrets (Config, Env, Task, Client): every verb prints the redacted
// text, %#v prints goSyntax, and %q quotes, so no verb falls back to
// printing the raw fields.
func clientFormatRedacted(f fmt.State, verb rune, text string, goSyntax ...string) {
	switch {
	case verb == 'v' && f.Flag('#') && len(goSyntax) > 0:
		io.WriteString(f, goSyntax[0])
	case verb == 'v' || verb == 's':
		io.WriteString(f, text)
	case verb == 'q':
		io.WriteString(f, strconv.Quote(text))
	default:
		fmt.Fprintf(f, "%%!%c(%s)", verb, text)
	}
}
