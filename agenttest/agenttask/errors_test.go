package agenttask

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/clerk/clerk-sdk-go/v2"
)

func TestAPIErrorMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, golden, op string
		status           int
		header           http.Header
		want             string
	}{
		{"user not found", "error_user_not_found.json", "create agent task for user_123", 404, nil,
			"create agent task for user_123: 404 resource_not_found: No user was found with id user_nope (trace 7f3a)"},
		{"several errors", "error_invalid_params.json", "create agent task for user_123", 422, nil,
			"create agent task for user_123: 422 form_param_value_invalid: read does not match one of the allowed values for parameter permissions; form_param_missing: agent_name must be included. (trace 9e1d)"},
		{"cannot revoke", "error_task_cannot_be_revoked.json", "revoke agent task agttsk_1", 400, nil,
			"revoke agent task agttsk_1: 400 agent_task_cannot_be_revoked: cannot revoke agent task (trace b2c4)"},
		{"rate limited", "error_rate_limited.json", "revoke agent task agttsk_1", 429, nil,
			"revoke agent task agttsk_1: 429 too_many_requests: Too many requests, retry later (trace 5c6b)"},
		{"unauthorized", "error_unauthorized.json", "get user user_1", 401, nil,
			"get user user_1: 401 clerk_key_invalid: The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct. (trace 0a1b)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := decodeErrorBody(tc.status, tc.header, clientTestGolden(t, tc.golden), nil)
			e.Op = tc.op
			if got := e.Error(); got != tc.want {
				t.Errorf("message\n %s\nwant\n %s", got, tc.want)
			}
			var sdk *clerk.APIErrorResponse
			if !errors.As(e, &sdk) || sdk.HTTPStatusCode != tc.status || len(sdk.Errors) != len(e.Errors) || sdk.TraceID != e.TraceID {
				t.Errorf("Unwrap: %+v", sdk)
			}
		})
	}
}

func TestAPIErrorNonClerkBodies(t *testing.T) {
	t.Parallel()
	html := "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n" +
		"<p>upstream sent Authorization: Bearer " + clientTestKey + " for https://fapi.example.com/v1/agents/tasks?ticket=tkt_s3cr3tT1cket</p>" +
		strings.Repeat("<p>padding</p>", 50) + "</body></html>"
	h := http.Header{}
	h.Set("Clerk-Trace-Id", "hdr9")
	e := decodeErrorBody(502, h, []byte(html), func(s string) string { return strings.ReplaceAll(s, clientTestKey, "REDACTED") })
	e.Op = "create agent task for user_123"
	msg := e.Error()
	for _, want := range []string{"create agent task for user_123: 502 Bad Gateway: response is not a Clerk error: ", "<title>502 Bad Gateway</title>", "(trace hdr9)", "…"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	for _, secret := range []string{clientTestKey, "cl1entT3st", "s3cr3tT1cket", "\n"} {
		if strings.Contains(msg, secret) {
			t.Errorf("message %q contains %q", msg, secret)
		}
	}
	if len(msg) > 400 {
		t.Errorf("message is %d bytes long, want it truncated", len(msg))
	}
	var sdk *clerk.APIErrorResponse
	if !errors.As(e, &sdk) || sdk.HTTPStatusCode != 502 || sdk.TraceID != "hdr9" {
		t.Errorf("Unwrap: %+v", sdk)
	}

	empty := decodeErrorBody(503, nil, nil, nil)
	if got, want := empty.Error(), "503 Service Unavailable: response is not a Clerk error (empty body)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	noErrors := decodeErrorBody(500, nil, []byte(`{"errors":[],"clerk_trace_id":"t1"}`), nil)
	if got, want := noErrors.Error(), "500 Internal Server Error: response is not a Clerk error (empty body) (trace t1)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAPIErrorFromNonClerkServer(t *testing.T) {
	t.Parallel()
	s := newClientTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body><h1>502 Bad Gateway</h1><!-- " + r.Header.Get("Authorization") + " --></body></html>"))
	})
	clock := newClientTestClock()
	_, err := s.client(t, withPolicy(clock.policy())).Create(clientTestCtx(t), clientTestCreate)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 502 {
		t.Fatalf("error %v, want an *APIError with status 502", err)
	}
	if !strings.Contains(err.Error(), "502 Bad Gateway: response is not a Clerk error: \"<html><body><h1>502 Bad Gateway</h1>") ||
		!strings.Contains(err.Error(), "gave up after 6 attempts") || strings.Contains(err.Error(), "cl1entT3st") {
		t.Errorf("message %q", err)
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	e := &APIError{Status: 400, Errors: []clerk.Error{{Code: codeTaskCannotBeRevoked}}, is: []error{ErrTaskNotPending}}
	if !errors.Is(e, ErrTaskNotPending) || errors.Is(e, ErrUserNotFound) || !e.HasCode(codeTaskCannotBeRevoked) || e.HasCode("other") {
		t.Errorf("Is/HasCode wrong for %v", e)
	}
	if (&APIError{}).Unwrap() != nil {
		t.Errorf("a zero APIError unwraps to something")
	}
}

// clientFuzzSecret is planted in fuzzed error bodies wherever they say
// KEY; it must never come out in a message.
const clientFuzzSecret = "sk_test_fuzzSECRETfuzzSECRET"

func FuzzDecodeErrorBody(f *testing.F) {
	for _, name := range []string{"error_invalid_params.json", "error_rate_limited.json", "error_task_cannot_be_revoked.json", "error_unauthorized.json", "error_user_not_found.json"} {
		f.Add(404, clientTestGolden(f, name))
	}
	f.Add(502, []byte("<html>502 Bad Gateway KEY</html>"))
	f.Add(500, []byte(`{"errors":[{"code":"KEY","message":"KEY","long_message":"bearer KEY\nhttps://x/?ticket=KEY","meta":{"k":"KEY"}}],"clerk_trace_id":"KEY"}`))
	f.Add(400, []byte(`{"errors":null}`))
	f.Add(400, []byte(`{"errors":[null,{}]}`))
	f.Add(0, []byte{})
	scrub := func(s string) string { return strings.ReplaceAll(s, clientFuzzSecret, "REDACTED") }
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		body = []byte(strings.ReplaceAll(string(body), "KEY", clientFuzzSecret))
		h := http.Header{}
		h.Set("Clerk-Trace-Id", "h-"+clientFuzzSecret)
		e := decodeErrorBody(status, h, body, scrub)
		e.Op = "op"
		msg := e.Error()
		if !strings.HasPrefix(msg, "op: "+strconv.Itoa(status)) {
			t.Errorf("message %q lacks the op and status", msg)
		}
		if strings.ContainsAny(msg, "\n\r") {
			t.Errorf("message %q is not one line", msg)
		}
		if strings.Contains(msg, clientFuzzSecret) {
			t.Errorf("message %q leaks the secret", msg)
		}
		for _, ce := range e.Errors {
			if strings.Contains(ce.LongMessage+ce.Message+ce.Code+string(ce.Meta), clientFuzzSecret) {
				t.Errorf("kept error %+v leaks the secret", ce)
			}
		}
		var sdk *clerk.APIErrorResponse
		if !errors.As(e, &sdk) || sdk.HTTPStatusCode != status {
			t.Errorf("does not unwrap to the status")
		}
	})
}

// callerOp matches the operation that starts the client's errors, and
// no module prefix before it.
var callerOp = regexp.MustCompile(`^(create agent task|revoke agent task|revoke session|get user|get session|find user|list [a-z ]*sessions of [a-z ]+)[ :]`)

// TestCallerValuesInErrorsAreQuotedAndCut: every error that echoes a
// caller's id, identifier or URL is one line, shows at most 80
// characters of the value, and is short, whatever the value.
func TestCallerValuesInErrorsAreQuotedAndCut(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	huge := strings.Repeat("a", 100_000)
	multi := "user_1\nagenttest: revoke agent task agttsk_x: 200 OK"
	cases := map[string]error{
		"Revoke multi-line":        clientTestErr(c.Revoke(ctx, multi)),
		"Revoke 100 KB":            clientTestErr(c.Revoke(ctx, huge)),
		"Revoke 100 KB unicode":    clientTestErr(c.Revoke(ctx, strings.Repeat("é", 50_000))),
		"User multi-line":          clientTestErr(c.User(ctx, multi)),
		"User 100 KB":              clientTestErr(c.User(ctx, huge)),
		"Session 100 KB":           clientTestErr(c.Session(ctx, huge)),
		"RevokeSession newline":    clientTestErr(c.RevokeSession(ctx, "sess_1\n")),
		"TaskSessions 100 KB":      clientTestErr(c.TaskSessions(ctx, huge, huge)),
		"FindUser multi-line":      clientTestErr(c.FindUser(ctx, "ada\nINJECTED")),
		"FindUser 100 KB":          clientTestErr(c.FindUser(ctx, huge+"@example.com")),
		"FindUser 100 KB space":    clientTestErr(c.FindUser(ctx, huge+" ")),
		"Create UserID multi-line": clientTestErr(c.Create(ctx, CreateParams{UserID: multi, RedirectURL: clientTestRedirect})),
		"Create UserID 100 KB":     clientTestErr(c.Create(ctx, CreateParams{UserID: huge, RedirectURL: clientTestRedirect})),
		"Create Identifier multi":  clientTestErr(c.Create(ctx, CreateParams{Identifier: "nobody\n@example.com", RedirectURL: clientTestRedirect})),
		"Create Identifier 100 KB": clientTestErr(c.Create(ctx, CreateParams{Identifier: huge + "@example.com", RedirectURL: clientTestRedirect})),
		"Create RedirectURL multi": clientTestErr(c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: "http://localhost:3000/\nINJECTED"})),
		"Create RedirectURL ftp":   clientTestErr(c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: "ftp://localhost/" + huge})),
		"Create Permissions":       clientTestErr(c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect, Permissions: huge + "\n"})),
		"Create everything wrong":  clientTestErr(c.Create(ctx, CreateParams{UserID: multi, Permissions: "read\nwrite", RedirectURL: "ftp://x/\n", SessionMaxDuration: -1})),
	}
	// An identifier that passes the checks but that Clerk does not know:
	// the request is made, the error still short.
	cases["Create unknown identifier"] = clientTestErr(c.Create(ctx, CreateParams{Identifier: strings.Repeat("n", 300) + "@example.com", RedirectURL: clientTestRedirect}))
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\n\r") || !utf8.ValidString(msg) {
			t.Errorf("%s: not one valid line: %q", name, msg)
		}
		if len(msg) > 1000 {
			t.Errorf("%s: error of %d bytes: %.300q…", name, len(msg), msg)
		}
		if strings.Contains(msg, strings.Repeat("a", 81)) || strings.Contains(msg, strings.Repeat("n", 81)) || strings.Contains(msg, strings.Repeat("é", 81)) {
			t.Errorf("%s: shows more than 80 characters of the value: %.300q", name, msg)
		}
		if !callerOp.MatchString(msg) {
			t.Errorf("%s: %q does not start with its operation", name, msg)
		}
	}
	if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteRevokeTask) + emu.Requests(clerkemu.RouteGetUser) + emu.Requests(clerkemu.RouteListUsers); n != 3 {
		t.Errorf("%d requests, want 3 (the multi-line username looked up, the multi-line and the unknown identifiers' creates): the rest are refused before any request", n)
	}
	if want := `create agent task for "user_1\nagenttest: revoke agent task agttsk_x: 200 OK": CreateParams.UserID is not a Clerk user id`; !strings.HasPrefix(cases["Create UserID multi-line"].Error(), want) {
		t.Errorf("error\n %s\nwant it to start\n %s", cases["Create UserID multi-line"], want)
	}
	if want := `find user "ada\nINJECTED": user not found`; !strings.HasPrefix(cases["FindUser multi-line"].Error(), want) {
		t.Errorf("error\n %s\nwant it to start\n %s", cases["FindUser multi-line"], want)
	}
}

// Server text cut for an error (a non-Clerk body's excerpt, a Clerk
// message) is cut between characters, never inside one: multi-byte text
// right at the cut stays valid UTF-8.
func TestServerTextCutOnCharacterBoundary(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"é", "漢", "😀"} {
		// An offset of one ASCII byte puts every cut byte-count inside a
		// character if the cut counted bytes.
		html := decodeErrorBody(502, nil, []byte("x"+strings.Repeat(r, 1000)), nil)
		if want := `response is not a Clerk error: "x` + strings.Repeat(r, errorSnippetLimit-1) + `…"`; !strings.Contains(html.Error(), want) {
			t.Errorf("%s: excerpt %q, want the first %d characters", r, html.Error(), errorSnippetLimit)
		}
		body := `{"errors":[{"code":"x","long_message":"x` + strings.Repeat(r, 1000) + `"}]}`
		clerkErr := decodeErrorBody(400, nil, []byte(body), nil)
		if want := "x: x" + strings.Repeat(r, errorTextLimit-1) + "…"; !strings.Contains(clerkErr.Error(), want) {
			t.Errorf("%s: message %q, want the first %d characters", r, clerkErr.Error(), errorTextLimit)
		}
		for _, msg := range []string{html.Error(), clerkErr.Error()} {
			if !utf8.ValidString(msg) || strings.Contains(msg, "\n") {
				t.Errorf("%s: %q is not one valid UTF-8 line", r, msg)
			}
		}
	}
}

func TestCheckObject(t *testing.T) {
	for _, tc := range []struct{ got, want, err string }{
		{"", "token", ""},
		{"token", "token", ""},
		{"session", "token", `the response is a "session" object, not a token`},
		{"user", "agent_task", `the response is a "user" object, not an agent_task`},
		{"token\n\x00x", "testing_token", `the response is a "token x" object, not a testing_token`},
	} {
		err := checkObject(tc.got, tc.want)
		if tc.err == "" {
			if err != nil {
				t.Errorf("checkObject(%q, %q) = %v, want nil", tc.got, tc.want, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.err {
			t.Errorf("checkObject(%q, %q) = %v, want %s", tc.got, tc.want, err, tc.err)
		}
	}
}

func TestAPIErrorSummary(t *testing.T) {
	t.Parallel()
	e := &APIError{Status: 404, TraceID: "7f3a", Errors: []clerk.Error{{Code: "agent_task_subject_not_found"}, {Code: "second\ncode"}}}
	if got, want := e.Summary(), "404 agent_task_subject_not_found second code, trace 7f3a"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := (&APIError{Status: 502}).Summary(); got != "502" {
		t.Errorf("Summary() of a bare 502 = %q", got)
	}
}
