// Package redact removes secrets from text before it reaches a log, an
// error or a saved artifact. It is shared by the Backend API client, the
// installer and the fixture, and is internal so that users never see it.
package redact

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Placeholder replaces a secret wherever this module prints one.
const Placeholder = "REDACTED"

// redactMinSegment is the length from which a path segment (or a query
// key) is taken for an opaque credential and Placeholder.
const redactMinSegment = 32

// URL returns raw with its secrets replaced by "REDACTED", for
// logs and error messages. It keeps the scheme, host and path, and
// replaces every query value, the fragment, any user information and
// every path segment (or query key) of 32 characters or more, which is
// how long opaque tokens look. The query keys stay, so
// "https://x.dev/v1/tickets/accept?ticket=tkt_…" becomes
// "https://x.dev/v1/tickets/accept?ticket=REDACTED".
//
// A string that does not parse as a URL is replaced whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Placeholder
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.Opaque != "" {
		b.WriteString(Placeholder)
		return b.String()
	}
	if u.Host != "" || u.User != nil {
		b.WriteString("//")
		if u.User != nil {
			b.WriteString(Placeholder)
			b.WriteByte('@')
		}
		b.WriteString(u.Host)
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, s := range segments {
		if len(s) >= redactMinSegment {
			segments[i] = Placeholder
		}
	}
	b.WriteString(strings.Join(segments, "/"))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			key, _, hasValue := strings.Cut(p, "=")
			if len(key) >= redactMinSegment {
				key = Placeholder
			}
			if hasValue {
				key += "=" + Placeholder
			}
			parts[i] = key
		}
		b.WriteString(strings.Join(parts, "&"))
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.HasSuffix(raw, "#") {
		b.WriteString("#" + Placeholder)
	}
	return b.String()
}

// redactSecretKeyRE matches anything shaped like a Clerk secret key.
var redactSecretKeyRE = regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9_\-]+`)

// redactURLRE matches absolute http(s) and ws(s) URLs inside free text
// (Playwright quotes a browser endpoint's ws:// URL, user information
// included, in its errors).
// A backslash ends a URL too: inside a JSON string a URL can be followed
// by an escaped quote, which must stay whole. Punctuation that ends a
// sentence or clause (".,;:!?)") is not taken as the URL's last
// character: "at http://host:80, then" keeps its comma.
var redactURLRE = regexp.MustCompile(`(?:https?|wss?)://[^\s"'<>\\` + "`" + `]*[^\s"'<>\\` + "`" + `.,;:!?)]`)

// redactParamRE matches credential-looking key=value pairs outside URLs.
// Group 1 is the name, 2 the separator, 4 the value.
var redactParamRE = regexp.MustCompile(`(?i)\b(ticket|token|__session|__clerk_[a-z_]+|secret|password|authorization)(=|:\s*(bearer\s+)?)([^&\s"'<>;,\\)]+)`)

// redactJWTRE matches a JSON Web Token (a session token, a handshake, a
// dev browser token): three base64url segments, the first a JSON header.
var redactJWTRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// redactNameValueRE matches a credential in the name/value form of a HAR
// network log (a trace's queryString, cookies, postData params): the
// value is replaced inside its quotes, so the JSON stays valid.
var redactNameValueRE = regexp.MustCompile(`("name"\s*:\s*"(?i:ticket|token|__session[A-Za-z0-9_]*|__client|__clerk_[a-z_]+|authorization)"\s*,\s*"value"\s*:\s*")(?:[^"\\]|\\.)*(")`)

// Text scrubs free text that did not come from us (a proxy's error
// page, a transport error) before it goes into an error or a log: it
// removes each of the given secrets, anything shaped like a secret key,
// credential-looking parameters (Clerk's cookies and parameters among
// them, see [IsCredentialName]), and passes URLs through URL.
func Text(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, Placeholder)
		}
	}
	s = redactSecretKeyRE.ReplaceAllString(s, "sk_${1}_"+Placeholder)
	s = redactJWTRE.ReplaceAllString(s, Placeholder)
	s = redactNameValueRE.ReplaceAllString(s, "${1}"+Placeholder+"${2}")
	s = redactURLRE.ReplaceAllStringFunc(s, URL)
	s = redactValues(redactParamRE, s, 2, 4)
	// Clerk's own names too (__client, __session_<suffix>, percent-encoded
	// separators), as in structured values.
	return redactValues(credentialParamRE, s, 3, 4)
}

// proseWordRE matches a value that reads as a word of prose: lowercase
// letters only, a dozen at most, or an HTTP method as net/http's errors
// name it ("create testing token: Post \"http://…\": …"). After "name:"
// it is prose ("the app rejected the token: it must…"), not a
// credential, and is kept.
var proseWordRE = regexp.MustCompile(`^(?:[a-z]{1,12}|Get|Head|Post|Put|Patch|Delete|Options)$`)

// redactValues replaces with Placeholder the value (group value) of
// every credential pair re matches in s, less the clause punctuation
// that ends it, except a word of prose after a bare colon (group sep is
// ":" and blanks; "Bearer" makes it a credential).
func redactValues(re *regexp.Regexp, s string, sep, value int) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		from, to := m[2*value], m[2*value+1]
		// Punctuation that ends a clause is the sentence's, not the
		// value's: "…=abc: the app" keeps its colon.
		for to > from+1 && strings.IndexByte(".:!?", s[to-1]) >= 0 {
			to--
		}
		if strings.TrimSpace(s[m[2*sep]:m[2*sep+1]]) == ":" && proseWordRE.MatchString(s[from:to]) {
			continue
		}
		b.WriteString(s[last:from])
		b.WriteString(Placeholder)
		last = to
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// SecretKey shows which kind of key a configuration holds, never
// any character of the key itself.
func SecretKey(key string) string {
	switch {
	case key == "":
		return ""
	case strings.HasPrefix(key, "sk_test_"):
		return "sk_test_" + Placeholder
	case strings.HasPrefix(key, "sk_live_"):
		return "sk_live_" + Placeholder
	default:
		return Placeholder
	}
}

// Format implements fmt.Formatter for the types that hold
// secrets (Config, Env, Task, Client): every verb prints the Placeholder
// text, %#v prints goSyntax, and %q quotes, so no verb falls back to
// printing the raw fields.
func Format(f fmt.State, verb rune, text string, goSyntax ...string) {
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
