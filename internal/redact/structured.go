package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// credentialNamePattern matches the names of Clerk's credential
// parameters, cookies and headers, and the generic ones: ticket,
// __clerk_* (handshake, db_jwt, testing_token, handshake_nonce),
// __session and __refresh (with Clerk's suffix), __client (but not
// __client_uat, a timestamp), authorization, and any name holding
// token, secret, password or jwt.
const credentialNamePattern = `(?i:ticket|__clerk_[a-z0-9_]+|__session[a-z0-9_-]*|__refresh[a-z0-9_-]*|__client|authorization|proxy-authorization|[a-z0-9_-]*(?:token|secret|password|jwt)[a-z0-9_-]*)`

// credentialNameRE matches a credential name whole.
var credentialNameRE = regexp.MustCompile(`^` + credentialNamePattern + `$`)

// credentialParamRE matches name=value (a query or form parameter, a
// Cookie or Set-Cookie pair) and name: value (a header line) where name
// is a credential, also with the separator percent-encoded (a URL inside
// another URL's query). Group 1 is what precedes the name, 2 the name,
// 3 the separator, 4 the value. A value ends at &, ;, a comma,
// whitespace, a quote, a backslash, #, a closing parenthesis or an
// encoded & or ;.
var credentialParamRE = regexp.MustCompile(`(^|[^A-Za-z0-9_%-]|%[0-9A-Fa-f]{2})(` + credentialNamePattern + `)(=|%3[Dd]|:[ \t]*(?:(?i:bearer|basic)[ \t]+)?)((?:[^&;,\s"'<>\\%#)]|%(?:2[0-57-9A-Fa-f]|3[0-9ACE-Face-f]|[014-9A-Fa-f][0-9A-Fa-f]))+)`)

// jwtRE matches a JSON Web Token anywhere: a session token, a handshake,
// a dev browser token, the __client cookie.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// IsCredentialName reports whether a parameter, cookie, header or JSON
// key of that name holds a credential (see the list at
// credentialNamePattern): its value is replaced whole.
func IsCredentialName(name string) bool {
	return credentialNameRE.MatchString(name)
}

// Value redacts one string taken out of a structured artifact (a JSON
// string value, once decoded): the registered secrets, anything shaped
// like a secret key or a JWT, and the value of every credential
// parameter (ticket=…, __session=…, Authorization: Bearer …) wherever it
// appears: in a URL, a nested URL, a Cookie header, a form body. A value
// that is itself a JSON document is redacted as one. Unlike [Text] it
// leaves other query values alone, so a trace stays readable.
func (s *Set) Value(v string) string {
	if v == "" {
		return v
	}
	if t := strings.TrimSpace(v); len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		if out, err := s.JSON([]byte(v)); err == nil {
			return string(out)
		}
	}
	v = s.Known(v)
	v = redactSecretKeyRE.ReplaceAllString(v, "sk_${1}_"+Placeholder)
	v = jwtRE.ReplaceAllString(v, Placeholder)
	return redactValues(credentialParamRE, v, 3, 4)
}

// JSON redacts a JSON document by parsing it: every string value goes
// through [Set.Value]; the value of a key that names a credential, and
// the "value" of a {"name": …, "value": …} pair whose name is one (a HAR
// header, cookie, query or form parameter, as in a Playwright trace's
// network log), becomes Placeholder; base64 bodies ({"encoding":
// "base64", "text": …}) are decoded, redacted and encoded again. Numbers
// keep their text; keys come out sorted. Invalid JSON is an error and
// nothing is returned.
func (s *Set) JSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("redact json: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("redact json: more than one value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s.walk(v)); err != nil {
		return nil, fmt.Errorf("redact json: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// JSONLines redacts a file of JSON values, one a line (a Playwright
// trace's .trace and .network entries), line by line with [Set.JSON].
// Empty lines stay. A line that is not JSON is dropped, not copied, so
// the result holds no unredacted text and still parses; the error counts
// the dropped lines and the rest is returned with it.
func (s *Set) JSONLines(data []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(data))
	dropped, first := 0, 0
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		body := bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(body)) == 0 {
			out.Write(line)
			continue
		}
		red, err := s.JSON(body)
		if err != nil {
			if dropped == 0 {
				first = i + 1
			}
			dropped++
			continue
		}
		out.Write(red)
		out.Write(line[len(body):])
	}
	if dropped > 0 {
		return out.Bytes(), fmt.Errorf("redact json lines: dropped %d line(s) that are not JSON, the first line %d", dropped, first)
	}
	return out.Bytes(), nil
}

// walk returns v with its strings redacted.
func (s *Set) walk(v any) any {
	switch v := v.(type) {
	case string:
		return s.Value(v)
	case []any:
		for i := range v {
			v[i] = s.walk(v[i])
		}
		return v
	case map[string]any:
		return s.walkObject(v)
	default:
		return v
	}
}

// walkObject redacts one JSON object.
func (s *Set) walkObject(m map[string]any) map[string]any {
	// A HAR name/value pair: a header, cookie, query or form parameter.
	if name, ok := m["name"].(string); ok {
		if value, ok := m["value"].(string); ok && IsCredentialName(name) && value != "" {
			m["value"] = Placeholder
		}
	}
	// A body the trace keeps inline, base64-encoded.
	if enc, _ := m["encoding"].(string); enc == "base64" {
		if text, ok := m["text"].(string); ok {
			m["text"] = s.base64Value(text)
		}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch str, ok := v.(string); {
		case ok && str != "" && IsCredentialName(k):
			v = Placeholder
		case k == "text" && m["encoding"] == "base64":
		default:
			v = s.walk(v)
		}
		// Keys are text too: a map of cookies or headers may be keyed by
		// a value.
		out[s.Value(k)] = v
	}
	return out
}

// base64Value redacts a base64 body: text is redacted and encoded again;
// a body that is not text is kept, since no secret of ours is binary.
func (s *Set) base64Value(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Placeholder // not base64 after all: keep nothing unread
	}
	if !utf8.Valid(raw) || bytes.IndexByte(raw, 0) >= 0 {
		return b64
	}
	return base64.StdEncoding.EncodeToString([]byte(s.Value(string(raw))))
}
