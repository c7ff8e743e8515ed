package agenttask

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/clerk/clerk-sdk-go/v2"
)

// clientTestRedirect is an allowed redirect URL of every test emulator.
const clientTestRedirect = "http://localhost:3000/dashboard"

// Seed users of testdata/users.json.
const (
	clientTestAdaID    = "user_2ada0000000000000000000001"
	clientTestAdaEmail = "ada@example.com"
)

// clientTestGolden reads testdata/golden/name from the module root.
func clientTestGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// clientTestEmulator starts an emulator with the seed users for this test.
func clientTestEmulator(t testing.TB, opts clerkemu.Options) *clerkemu.Emulator {
	t.Helper()
	if opts.Users == nil {
		opts.Users = clerkemu.SeedUsers()
	}
	return clerkemu.RunT(t, opts)
}

// clientTestHTTP is an http.Client with a transport of its own whose idle
// connections are closed when the test ends.
func clientTestHTTP(t testing.TB) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// clientTestFastRetries is a fast retry policy for tests: tiny delays, no
// jitter, so retries take milliseconds.
var clientTestFastRetries = RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxJitter: -1}

// clientTestClient builds a Client for emu: its own transport, no
// client-side limiter and fast retries unless opts say otherwise.
func clientTestClient(t testing.TB, emu *clerkemu.Emulator, opts ...clientTestOpt) *Client {
	t.Helper()
	base := []clientTestOpt{withHTTP(clientTestHTTP(t)), withLimiter(nil), withPolicy(clientTestFastRetries)}
	c, err := clientTestNew(Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL()}, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientTestCtx is a test context bounded so a hang fails instead of
// blocking the run (a bound, not a timing assertion).
func clientTestCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// clientTestLogs is a slog handler collecting every record as text.
type clientTestLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l *clientTestLogs) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(clientTestLogWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *clientTestLogs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

type clientTestLogWriter struct{ l *clientTestLogs }

func (w clientTestLogWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.l.lines = append(w.l.lines, string(p))
	return len(p), nil
}

// clientTestErr drops a call's result, keeping its error.
func clientTestErr[T any](_ T, err error) error { return err }

// clientTestJSONEqual compares two JSON documents as values.
func clientTestJSONEqual(t testing.TB, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs:\n got: %s\nwant: %s", got, want)
	}
}

func TestCreateRequestMatchesGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		golden string
		params CreateParams
	}{
		{"create_task_request_identifier.json", CreateParams{
			Identifier: "ada@example.com", AgentName: "my-agent",
			TaskDescription: "Automated test login", RedirectURL: "http://localhost:3000/dashboard",
		}},
		{"create_task_request_user_id.json", CreateParams{
			UserID: "user_2ada0000000000000000000001", AgentName: "my-agent", Permissions: "*",
			TaskDescription: "Automated test login", RedirectURL: "http://localhost:3000/dashboard",
			SessionMaxDuration: 10 * time.Minute,
		}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			req, err := tc.params.request(false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			clientTestJSONEqual(t, got, clientTestGolden(t, tc.golden))
		})
	}
}

func TestCreateRequestDefaults(t *testing.T) {
	t.Parallel()
	req, err := CreateParams{UserID: "user_1", RedirectURL: "https://app.example.com/"}.request(true)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(req)
	clientTestJSONEqual(t, got, []byte(`{"on_behalf_of":{"user_id":"user_1"},"permissions":"*","agent_name":"agenttest","task_description":"agenttest sign-in","redirect_url":"https://app.example.com/"}`))

	for d, want := range map[time.Duration]int64{
		time.Second: 1, 1500 * time.Millisecond: 2, time.Nanosecond: 1, 30 * time.Minute: 1800,
	} {
		req, err := CreateParams{UserID: "user_1", RedirectURL: "http://localhost/", SessionMaxDuration: d}.request(false)
		if err != nil {
			t.Fatal(err)
		}
		if req.SessionMaxDuration != want {
			t.Errorf("SessionMaxDuration %s: sent %d s, want %d s", d, req.SessionMaxDuration, want)
		}
	}
}

// clientTestInvalidParams are CreateParams Create must refuse before any
// request, each with a word the error must contain.
var clientTestInvalidParams = []struct {
	name       string
	params     CreateParams
	production bool
	want       string
}{
	{"no user", CreateParams{RedirectURL: clientTestRedirect}, false, "no user"},
	{"both users", CreateParams{UserID: clientTestAdaID, Identifier: clientTestAdaEmail, RedirectURL: clientTestRedirect}, false, "exactly one"},
	{"white space", CreateParams{UserID: " " + clientTestAdaID, RedirectURL: clientTestRedirect}, false, "white space"},
	{"email as user id", CreateParams{UserID: clientTestAdaEmail, RedirectURL: clientTestRedirect}, false, "is not a Clerk user id (user_…): pass an email address, phone number or username as CreateParams.Identifier"},
	{"username as user id", CreateParams{UserID: "ada", RedirectURL: clientTestRedirect}, false, "CreateParams.UserID ada is not a Clerk user id"},
	{"permissions", CreateParams{UserID: clientTestAdaID, Permissions: "read", RedirectURL: clientTestRedirect}, false, "Permissions"},
	{"no redirect", CreateParams{UserID: clientTestAdaID}, false, "RedirectURL is empty"},
	{"relative redirect", CreateParams{UserID: clientTestAdaID, RedirectURL: "/dashboard"}, false, "absolute"},
	{"ftp redirect", CreateParams{UserID: clientTestAdaID, RedirectURL: "ftp://localhost/x"}, false, "absolute http(s)"},
	{"hostless redirect", CreateParams{UserID: clientTestAdaID, RedirectURL: "http:///x"}, false, "no host"},
	{"bad redirect", CreateParams{UserID: clientTestAdaID, RedirectURL: "http://[::1"}, false, "not a URL"},
	{"http in production", CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect}, true, "https only"},
	{"negative duration", CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect, SessionMaxDuration: -time.Second}, false, "SessionMaxDuration"},
}

func TestCreateRefusesInvalidParamsWithoutRequest(t *testing.T) {
	t.Parallel()
	dev := clientTestEmulator(t, clerkemu.Options{})
	prod := clientTestEmulator(t, clerkemu.Options{SecretKey: "sk_live_" + strings.Repeat("ab", 16)})
	for _, tc := range clientTestInvalidParams {
		t.Run(tc.name, func(t *testing.T) {
			emu := dev
			var opts []clientTestOpt
			if tc.production {
				emu = prod
			}
			c, err := clientTestNew(Config{SecretKey: emu.SecretKey(), APIURL: emu.APIURL(), AllowProduction: true},
				append(opts, withHTTP(clientTestHTTP(t)), withLimiter(nil))...)
			if err != nil {
				t.Fatal(err)
			}
			task, err := c.Create(clientTestCtx(t), tc.params)
			if err == nil || task != nil {
				t.Fatalf("Create(%+v) = %v, %v; want an error", tc.params, task, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "create agent task") {
				t.Errorf("error %q: want the prefix and %q", err, tc.want)
			}
		})
	}
	c := clientTestClient(t, dev)
	const ticketURL = "http://127.0.0.1:1/v1/agents/tasks?ticket=T1CK3Tsecret"
	for _, id := range []string{"", "../users/user_1", "agttsk_1/revoke", "agttsk 1", "agttsk_1?x=y", ticketURL, "T1CK3Tsecret?"} {
		if _, err := c.Revoke(clientTestCtx(t), id); err == nil || !strings.HasPrefix(err.Error(), "revoke agent task: ") {
			t.Errorf("Revoke(%q) = %v, want refused", id, err)
		}
		// A task URL passed by mistake for an id is a credential: no
		// error repeats a refused id.
		for name, err := range map[string]error{
			"Revoke":        clientTestErr(c.Revoke(clientTestCtx(t), id)),
			"User":          clientTestErr(c.User(clientTestCtx(t), id)),
			"Session":       clientTestErr(c.Session(clientTestCtx(t), id)),
			"RevokeSession": clientTestErr(c.RevokeSession(clientTestCtx(t), id)),
		} {
			if err == nil || strings.Contains(err.Error(), "T1CK3T") {
				t.Errorf("%s(%q) = %v, want refused without repeating the id", name, id, err)
			}
		}
	}
	// The subtests ran one after the other: nothing refused reached Clerk.
	for _, emu := range []*clerkemu.Emulator{dev, prod} {
		if n := emu.Requests(clerkemu.RouteCreateTask) + emu.Requests(clerkemu.RouteRevokeTask); n != 0 {
			t.Errorf("the emulator saw %d create or revoke requests, want 0", n)
		}
	}
}

func TestCreateRevokeAgainstEmulator(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	for _, p := range []CreateParams{
		{UserID: clientTestAdaID, RedirectURL: clientTestRedirect, SessionMaxDuration: 90 * time.Second},
		{Identifier: clientTestAdaEmail, RedirectURL: clientTestRedirect, AgentName: "my-agent", TaskDescription: "checkout test"},
		{Identifier: "+15555550101", RedirectURL: clientTestRedirect},
		{Identifier: "ada", RedirectURL: clientTestRedirect},
	} {
		task, err := c.Create(ctx, p)
		if err != nil {
			t.Fatalf("Create(%+v): %v", p, err)
		}
		if !strings.HasPrefix(task.ID, "agttsk_") || !strings.HasPrefix(task.AgentID, "agt_") {
			t.Errorf("task ids %q, %q", task.ID, task.AgentID)
		}
		u, err := url.Parse(task.URL())
		if err != nil || u.Query().Get("ticket") == "" || !strings.HasPrefix(task.URL(), emu.FrontendURL()+"/v1/agents/tasks?") {
			t.Errorf("task URL is not a ticket URL on the emulator's Frontend API (redacted: %s)", task.RedactedURL())
		}
		var found *clerkemu.Task
		for _, et := range emu.Tasks(clerkemu.TaskPending) {
			if et.ID == task.ID {
				found = &et
			}
		}
		if found == nil {
			t.Fatalf("task %s is not pending in the emulator", task.ID)
		}
		wantName, wantDesc := p.AgentName, p.TaskDescription
		if wantName == "" {
			wantName, wantDesc = "agenttest", "agenttest sign-in"
		}
		if found.UserID != clientTestAdaID || found.AgentName != wantName || found.Description != wantDesc || found.RedirectURL != clientTestRedirect {
			t.Errorf("emulator task %+v does not match %+v", *found, p)
		}
		if want := p.SessionMaxDuration; want != 0 && found.SessionMaxDuration != want {
			t.Errorf("session max duration %s, want %s", found.SessionMaxDuration, want)
		}
		revoked, err := c.Revoke(ctx, task.ID)
		if err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if revoked.ID != task.ID || revoked.AgentID != task.AgentID || revoked.URL() != "" {
			t.Errorf("Revoke returned %v, want the task without URL", revoked)
		}
	}
	if n := len(emu.Tasks(clerkemu.TaskPending)); n != 0 {
		t.Errorf("%d tasks still pending", n)
	}
}

func TestRevokeNotPending(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)
	create := func() *Task {
		t.Helper()
		task, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
		if err != nil {
			t.Fatal(err)
		}
		return task
	}

	used := create()
	visitor := clientTestHTTP(t)
	visitor.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := visitor.Get(used.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("visiting the task URL: %d, want 307", resp.StatusCode)
	}

	revoked := create()
	if _, err := c.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}

	expired := create()
	emu.Advance(clerkemu.DefaultTaskTTL + time.Minute)

	for name, id := range map[string]string{
		"used": used.ID, "revoked": revoked.ID, "expired": expired.ID,
	} {
		_, err := c.Revoke(ctx, id)
		if !errors.Is(err, ErrTaskNotPending) {
			t.Errorf("%s: Revoke error %v, want ErrTaskNotPending", name, err)
			continue
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Errorf("%s: %v is not an *APIError", name, err)
			continue
		}
		var sdkErr *clerk.APIErrorResponse
		if !errors.As(err, &sdkErr) || sdkErr.HTTPStatusCode != apiErr.Status {
			t.Errorf("%s: %v does not unwrap to *clerk.APIErrorResponse", name, err)
		}
		if apiErr.Status != http.StatusBadRequest || apiErr.TraceID == "" || !strings.HasPrefix(err.Error(), "revoke agent task "+id+": ") {
			t.Errorf("%s: %v: want status 400, a trace id and the op", name, err)
		}
		if !apiErr.HasCode(codeTaskCannotBeRevoked) || errors.Is(err, ErrTaskNotFound) {
			t.Errorf("%s: %v lacks %s, or matches ErrTaskNotFound", name, err, codeTaskCannotBeRevoked)
		}
	}

	// An id the instance does not know is not found, not "not pending".
	_, err = c.Revoke(ctx, "agttsk_unknown000000000000000")
	var apiErr *APIError
	if !errors.Is(err, ErrTaskNotFound) || errors.Is(err, ErrTaskNotPending) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("unknown: Revoke error %v, want a 404 *APIError matching ErrTaskNotFound only", err)
	}
}

func TestClientAPIErrors(t *testing.T) {
	t.Parallel()
	emu := clientTestEmulator(t, clerkemu.Options{})
	c := clientTestClient(t, emu)
	ctx := clientTestCtx(t)

	_, err := c.Create(ctx, CreateParams{UserID: "user_nobody", RedirectURL: clientTestRedirect})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || !apiErr.HasCode("agent_task_subject_not_found") || !errors.Is(err, ErrUserNotFound) {
		t.Errorf("unknown user: %v, want a 404 agent_task_subject_not_found matching ErrUserNotFound", err)
	}
	if err != nil && !strings.HasPrefix(err.Error(), "create agent task for user_nobody: 404 agent_task_subject_not_found: ") {
		t.Errorf("message %q", err)
	}
	if errors.Is(err, ErrTaskNotPending) {
		t.Errorf("a create error matches ErrTaskNotPending")
	}

	// A redirect host the instance does not own is accepted at creation
	// and refused at the visit, as with Clerk; the task stays pending.
	foreign, err := c.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: "http://foreign.example/dashboard"})
	if err != nil {
		t.Fatalf("create with a foreign redirect host: %v, want it accepted", err)
	}
	visitor := clientTestHTTP(t)
	visitor.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := visitor.Get(foreign.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || len(emu.Sessions()) != 0 {
		t.Errorf("visiting a task URL with a foreign redirect host: %d and %d sessions, want 422 (redirect_url_domain_mismatch) and none", resp.StatusCode, len(emu.Sessions()))
	}
	if _, err := c.Revoke(ctx, foreign.ID); err != nil {
		t.Errorf("revoke the refused task: %v, want it still pending", err)
	}

	// A wrong key: 401.
	bad, err := clientTestNew(Config{SecretKey: "sk_test_wrongwrongwrongwrong", APIURL: emu.APIURL()}, withHTTP(clientTestHTTP(t)), withLimiter(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Create(ctx, CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || !apiErr.HasCode("clerk_key_invalid") {
		t.Errorf("wrong key: %v, want 401 clerk_key_invalid", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrongwrongwrong") {
		t.Errorf("the error %q shows the key", err)
	}
	if err != nil && !strings.HasSuffix(err.Error(), ": check CLERK_SECRET_KEY is this instance's secret key (Clerk Dashboard, API keys)") {
		t.Errorf("wrong key: %q does not say what to check", err)
	}
	// From the environment, the hint names where the key came from.
	cfg, err := ConfigFromEnv(config.EnvFromMap(map[string]string{config.VarSecretKey: "sk_test_wrongwrongwrongwrong", config.VarAPIURL: emu.APIURL()}))
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, err := clientTestNew(cfg, withHTTP(clientTestHTTP(t)), withLimiter(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = fromEnv.Revoke(ctx, "agttsk_x")
	if err == nil || !strings.HasSuffix(err.Error(), ": check CLERK_SECRET_KEY (from the given map) is this instance's secret key (Clerk Dashboard, API keys)") {
		t.Errorf("wrong key from an Env: %v, want the hint naming the source", err)
	}
}

func TestClientDoesNotPrintSecrets(t *testing.T) {
	t.Parallel()
	key := "sk_test_" + strings.Repeat("k3y", 12)
	c, err := clientTestNew(Config{SecretKey: key, APIURL: "http://127.0.0.1:1"}, withLimiter(nil))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		buf.Reset()
		fmt.Fprintf(&buf, f, c)
		fmt.Fprintf(&buf, f, c.Backend)
		fmt.Fprintf(&buf, f, *c)
		if strings.Contains(buf.String(), "k3y") {
			t.Errorf("%s prints the key: %s", f, buf.String())
		}
	}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "client", c)
	if strings.Contains(buf.String(), "k3y") {
		t.Errorf("slog prints the key: %s", buf.String())
	}
}

// TestNoSecretInErrorsOrLogs drives a client through faults, failures
// and successes, keeps every error string and every log line (the
// client's and the emulator's), and checks that neither the secret key
// nor any ticket appears in them.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	var emuLogs, clientLogs clientTestLogs
	emu := clientTestEmulator(t, clerkemu.Options{Logger: emuLogs.logger()})
	c := clientTestClient(t, emu, withLogger(clientLogs.logger()))
	ctx := clientTestCtx(t)
	var (
		errs    []string
		tickets []string
	)
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}
	create := func(p CreateParams) *Task {
		task, err := c.Create(ctx, p)
		keep(err)
		if task != nil {
			u, _ := url.Parse(task.URL())
			tickets = append(tickets, u.Query().Get("ticket"))
			clientLogs.logger().Info("created", "task", task)
		}
		return task
	}
	p := CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect}

	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 1, Status: 429})
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 1, Status: 502})
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 1, Drop: true})
	used := create(p)
	pending := create(p)
	create(CreateParams{UserID: "user_nobody", RedirectURL: clientTestRedirect})
	create(CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect, Permissions: "read"})
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 6, Status: 503})
	create(p)
	emu.InjectFault(clerkemu.RouteCreateTask, clerkemu.Fault{Times: 6, Drop: true})
	create(p)

	visitor := clientTestHTTP(t)
	visitor.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if resp, err := visitor.Get(used.URL()); err == nil {
		resp.Body.Close()
	}
	_, err := c.Revoke(ctx, used.ID)
	keep(err)
	emu.InjectFault(clerkemu.RouteRevokeTask, clerkemu.Fault{Times: 6, Status: 500})
	_, err = c.Revoke(ctx, pending.ID)
	keep(err)
	_, err = c.Revoke(ctx, pending.ID)
	keep(err)
	_, err = c.Revoke(ctx, pending.URL()) // the URL passed for the id by mistake
	keep(err)
	_, err = c.FindUser(ctx, "nobody@example.com")
	keep(err)

	wrong, err := clientTestNew(Config{SecretKey: emu.SecretKey() + "x", APIURL: emu.APIURL()}, withHTTP(clientTestHTTP(t)), withLimiter(nil), withPolicy(clientTestFastRetries), withLogger(clientLogs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Create(ctx, p)
	keep(err)

	if len(errs) < 8*3 || len(clientLogs.all()) < 10 || len(tickets) != 2 {
		t.Fatalf("the run did not exercise enough: %d errors, %d log lines, %d tickets", len(errs)/3, len(clientLogs.all()), len(tickets))
	}
	if testing.Verbose() {
		for i := 0; i < len(errs); i += 3 {
			t.Log(errs[i])
		}
		for _, l := range clientLogs.all() {
			t.Log(strings.TrimSpace(l))
		}
	}
	text := strings.Join(errs, "\n") + strings.Join(clientLogs.all(), "") + strings.Join(emuLogs.all(), "")
	secrets := append([]string{emu.SecretKey(), strings.TrimPrefix(emu.SecretKey(), "sk_test_")}, tickets...)
	for _, s := range secrets {
		if s == "" || strings.Contains(text, s) {
			t.Errorf("a secret (%d chars) appears in errors or logs:\n%s", len(s), text)
		}
	}
}

func BenchmarkCreateRevoke(b *testing.B) {
	emu := clientTestEmulator(b, clerkemu.Options{RateLimit: clerkemu.RateLimit{Disabled: true}})
	c := clientTestClient(b, emu)
	ctx := context.Background()
	p := CreateParams{UserID: clientTestAdaID, RedirectURL: clientTestRedirect}
	b.ReportAllocs()
	for b.Loop() {
		task, err := c.Create(ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Revoke(ctx, task.ID); err != nil {
			b.Fatal(err)
		}
	}
}
