package agenttask

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agenttest/agenttest/internal/redact"

	"github.com/clerk/clerk-sdk-go/v2"
)

// ErrTaskNotPending is matched (errors.Is) by the error of
// [Client.Revoke] when the task can no longer be revoked: its URL was
// used, it was revoked already, or it expired (400
// agent_task_cannot_be_revoked). A cleanup that revokes "just in case"
// can treat it as success. The error is still an [*APIError] for
// errors.As.
var ErrTaskNotPending = errors.New("agent task is not pending (used, revoked or expired)")

// ErrTaskNotFound is matched (errors.Is) by the error of [Client.Revoke]
// when the instance has no task with this id (404 agent_task_not_found):
// a mistyped id, or a secret key of another instance than the one that
// created the task. Nothing can be revoked; a cleanup of a task it
// created itself can treat it as done. The error is still an
// [*APIError] for errors.As.
var ErrTaskNotFound = errors.New("no agent task with this id in this instance")

// ErrUserNotFound is matched (errors.Is) when Clerk has no such user:
// [Client.FindUser] found nobody with the identifier, or [Client.User]
// or [Client.Create] got a 404 for it.
var ErrUserNotFound = errors.New("user not found")

// ErrIdentifierNotVerified is matched (errors.Is) by the error of
// [Client.FindUser] when the email address or phone number belongs to a
// user but is not verified: an Agent Task's on_behalf_of.identifier
// names a user only by a verified one (Clerk answers "user not found"
// otherwise). Verify it, or name the user by id.
var ErrIdentifierNotVerified = errors.New("identifier not verified")

// ErrNotSent is matched (errors.Is) by the error of a [Client.Create]
// whose request never left the client (the context ended while it
// waited for the rate limiter): Clerk made no task.
var ErrNotSent = errors.New("the request was not sent")

// notSentError is an error of a call that sent nothing: its text is
// the cause's, and it matches [ErrNotSent] as well as the cause.
type notSentError struct{ err error }

func (e notSentError) Error() string   { return e.err.Error() }
func (e notSentError) Unwrap() []error { return []error{e.err, ErrNotSent} }

// codeTaskCannotBeRevoked is Clerk's code for revoking a task that is no
// longer pending.
const codeTaskCannotBeRevoked = "agent_task_cannot_be_revoked"

// errorBodyLimit is how much of an error response body is kept, and
// errorSnippetLimit how much of a non-Clerk body (an HTML page from a
// proxy, say) goes into the message.
const (
	errorBodyLimit    = 64 << 10
	errorSnippetLimit = 160
	errorTextLimit    = 300
)

// APIError is a non-2xx answer of Clerk's Backend API. Its message is
// one line with the operation, the HTTP status, every Clerk error code
// with its long message, and the trace id to quote to Clerk support:
//
//	create agent task for user_123: 404 resource_not_found: User not found (trace 7f3a)
//
// A refused key (401) from a [Client] ends with what to check, naming
// where the key came from:
//
//	…: 401 clerk_key_invalid: … (trace 7f3a): check CLERK_SECRET_KEY (from /m/.env.local) is this instance's secret key (Clerk Dashboard, API keys)
//
// A body that is not Clerk's error shape (an HTML 502 from a proxy)
// still gives an APIError, with the status and a short, scrubbed excerpt
// of the body. Text from the server is scrubbed of anything shaped like a
// secret key, token or ticket before it is kept.
type APIError struct {
	// Op is what was being done, e.g. "revoke agent task agttsk_…".
	Op string
	// Status is the HTTP status code.
	Status int
	// Errors are Clerk's errors (code, message, long_message, meta);
	// empty when the body was not Clerk-shaped.
	Errors []clerk.Error
	// TraceID is clerk_trace_id from the body, else the Clerk-Trace-Id
	// header; empty if neither.
	TraceID string

	resp    *clerk.APIErrorResponse
	excerpt string  // a non-Clerk body, scrubbed and truncated
	note    string  // how retrying ended, if it mattered
	hint    string  // what to do, when the client knows (a refused key: which variable, from where)
	is      []error // sentinels this error matches
}

// Error returns the one-line message described at [APIError].
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.Status))
	if len(e.Errors) == 0 {
		if text := http.StatusText(e.Status); text != "" {
			b.WriteString(" " + text)
		}
		if e.excerpt != "" {
			b.WriteString(": response is not a Clerk error: " + strconv.Quote(e.excerpt))
		} else {
			b.WriteString(": response is not a Clerk error (empty body)")
		}
	}
	for i, ce := range e.Errors {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString("; ")
		}
		msg := ce.LongMessage
		if msg == "" {
			msg = ce.Message
		}
		code := errorOneLine(ce.Code)
		if code == "" {
			code = "(no code)"
		}
		b.WriteString(code)
		if msg = errorOneLine(msg); msg != "" {
			b.WriteString(": " + msg)
		}
	}
	var tail []string
	if e.TraceID != "" {
		tail = append(tail, "trace "+errorOneLine(e.TraceID))
	}
	if e.note != "" {
		tail = append(tail, e.note)
	}
	if len(tail) > 0 {
		b.WriteString(" (" + strings.Join(tail, "; ") + ")")
	}
	if e.hint != "" {
		b.WriteString(": " + e.hint)
	}
	return b.String()
}

// Unwrap returns Clerk's error response as clerk-sdk-go models it, so
// errors.As(err, new(*clerk.APIErrorResponse)) works; for a non-Clerk
// body it carries the status and trace id with no Errors.
func (e *APIError) Unwrap() error {
	if e.resp == nil {
		return nil
	}
	return e.resp
}

// Is reports whether e matches target: [ErrTaskNotPending],
// [ErrTaskNotFound] and [ErrUserNotFound] where the operation and status call for it.
func (e *APIError) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}

// Summary is the refusal in a few words, for a message of the caller's
// own: the status, Clerk's error codes and the trace id, e.g.
// "404 agent_task_subject_not_found, trace 7f3a".
func (e *APIError) Summary() string {
	parts := []string{strconv.Itoa(e.Status)}
	for _, ce := range e.Errors {
		if code := errorOneLine(ce.Code); code != "" {
			parts = append(parts, code)
		}
	}
	s := strings.Join(parts, " ")
	if e.TraceID != "" {
		s += ", trace " + errorOneLine(e.TraceID)
	}
	return s
}

// HasCode reports whether Clerk returned an error with this code.
func (e *APIError) HasCode(code string) bool {
	for _, ce := range e.Errors {
		if ce.Code == code {
			return true
		}
	}
	return false
}

// DecodeAPIError reads a non-2xx answer of Clerk's Backend or Frontend
// API into an *APIError; the caller sets its Op.
func DecodeAPIError(status int, header http.Header, body []byte) *APIError {
	return decodeErrorBody(status, header, body, nil)
}

// decodeErrorBody turns a non-2xx response into an APIError (Op is left
// to the caller). A body with Clerk's shape ({"errors":[…]}, the test
// clerk-sdk-go applies too) gives its errors; anything else keeps a
// scrubbed excerpt. scrub removes caller-known secrets from text; nil
// means none. It never fails.
func decodeErrorBody(status int, header http.Header, body []byte, scrub func(string) string) *APIError {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	clean := func(s string) string { return scrub(redact.Text(s)) }
	if len(body) > errorBodyLimit {
		body = body[:errorBodyLimit]
	}
	e := &APIError{Status: status}
	var wire struct {
		Errors  []clerk.Error `json:"errors"`
		TraceID string        `json:"clerk_trace_id"`
	}
	if err := json.Unmarshal(body, &wire); err == nil && wire.Errors != nil {
		e.Errors = make([]clerk.Error, len(wire.Errors))
		for i, ce := range wire.Errors {
			e.Errors[i] = clerk.Error{
				Code:        clean(ce.Code),
				Message:     clean(ce.Message),
				LongMessage: clean(ce.LongMessage),
			}
			if len(ce.Meta) > 0 {
				if meta := clean(string(ce.Meta)); json.Valid([]byte(meta)) {
					e.Errors[i].Meta = json.RawMessage(meta)
				}
			}
		}
		e.TraceID = clean(wire.TraceID)
	} else {
		e.excerpt = errorExcerpt(clean(string(body)))
	}
	if e.TraceID == "" && header != nil {
		e.TraceID = clean(header.Get("Clerk-Trace-Id"))
	}
	e.resp = &clerk.APIErrorResponse{Errors: e.Errors, HTTPStatusCode: status, TraceID: e.TraceID}
	return e
}

// fromSDKError builds an APIError from clerk-sdk-go's decoding, for the
// case where the response never passed through our transport (a
// caller-replaced Backend).
func fromSDKError(sdk *clerk.APIErrorResponse, scrub func(string) string) *APIError {
	body, err := json.Marshal(struct {
		Errors  []clerk.Error `json:"errors"`
		TraceID string        `json:"clerk_trace_id,omitempty"`
	}{sdk.Errors, sdk.TraceID})
	if err != nil || sdk.Errors == nil {
		body = []byte(`{"errors":[]}`)
	}
	var header http.Header
	if sdk.Response != nil {
		header = sdk.Response.Header
	}
	return decodeErrorBody(sdk.HTTPStatusCode, header, body, scrub)
}

// errorExcerpt collapses white space and control characters, drops
// invalid UTF-8 and cuts s to errorSnippetLimit runes.
func errorExcerpt(s string) string {
	s = errorOneLine(s)
	if utf8.RuneCountInString(s) <= errorSnippetLimit {
		return s
	}
	r := []rune(s)
	return string(r[:errorSnippetLimit]) + "…"
}

// checkObject refuses a decoded answer whose "object" field names
// another kind of object than want; an answer without one passes.
func checkObject(got, want string) error {
	if got != "" && got != want {
		article := "a"
		if strings.ContainsRune("aeiou", rune(want[0])) {
			article = "an"
		}
		return fmt.Errorf("the response is a %q object, not %s %s", errorOneLine(got), article, want)
	}
	return nil
}

// errorOneLine makes server text safe for a one-line message: white
// space and control characters collapse to single spaces, invalid UTF-8
// is dropped, and it is cut to errorTextLimit runes.
func errorOneLine(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if n >= errorTextLimit {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// joinErrors is errors.Join on one line: the messages joined by "; ".
// It returns nil for no errors and the error itself for one.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return joinedError(errs)
}

// joinedError is several errors reported at once, on one line.
type joinedError []error

func (e joinedError) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e joinedError) Unwrap() []error { return e }
