package agenttask

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/internal/clerkid"
	"github.com/agenttest/agenttest/internal/redact"

	"github.com/clerk/clerk-sdk-go/v2"
)

// Defaults of CreateParams.
const (
	defaultAgentName       = "agenttest"
	defaultTaskDescription = "agenttest sign-in"
	allPermissions         = "*"
)

// agentTasksPath is the Agent Tasks endpoint, relative to the API URL.
const agentTasksPath = "/agents/tasks"

// Client calls Clerk's Backend API for Agent Tasks (and the few user and
// session endpoints a sign-in needs). It is safe for concurrent use; one
// Client can serve every test of a binary.
//
// Like clerk-sdk-go's resource clients (actortoken.Client) it is a
// clerk.Backend, built with clerk.NewBackend, so clerk-sdk-go's own
// packages can be pointed at it too (user.Client{Backend: c.Backend}).
// Retries and the rate limiter live under that Backend, in its
// http.RoundTripper, so every request through Backend gets them.
type Client struct {
	// Backend is the clerk-sdk-go backend every call goes through.
	Backend clerk.Backend

	apiURL     string
	production bool
	scrub      func(string) string // removes the secret key from text
	instance   string              // names the instance's ledgers; see instanceID
	logger     *slog.Logger
	http       *http.Client        // its transport is the retrying one
	base       http.RoundTripper   // the transport under the retries, for Ping
	authorize  func(*http.Request) // sets the secret key's header (a func: never printed)
	// keyFrom and urlFrom name the key's and the URL's variables in
	// errors (Ping's, a refused key's), with their source when known
	// (see Config).
	keyFrom, urlFrom string
}

// NewClient validates cfg and returns a Client for its instance. The
// fields of cfg beyond the key and URL (HTTPClient, RetryPolicy,
// Limiter, Logger) have documented zero values; see [Config].
func NewClient(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	apiURL, err := cfg.apiURL()
	if err != nil {
		return nil, err
	}
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = sharedLimiter(cfg)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &retryTransport{
		userAgent: userAgent(),
		base:      base,
		policy:    cfg.RetryPolicy.withDefaults(),
		limiter:   limiter,
		logger:    logger,
	}
	key := cfg.SecretKey
	keyFrom, urlFrom := cmp.Or(cfg.keyFrom, config.VarSecretKey), cmp.Or(cfg.urlFrom, config.VarAPIURL)
	return &Client{
		keyFrom: keyFrom,
		urlFrom: urlFrom,
		Backend: &clientBackend{
			Backend: clerk.NewBackend(&clerk.BackendConfig{HTTPClient: hc, URL: &apiURL, Key: &key}),
			apiURL:  apiURL,
		},
		apiURL:     apiURL,
		production: cfg.Production(),
		instance:   instanceID(apiURL, key),
		scrub: func(s string) string {
			return strings.ReplaceAll(s, key, redact.Placeholder)
		},
		logger: logger,
		http:   hc,
		base:   base,
		authorize: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+key)
		},
	}, nil
}

// keyHint is what to check when Clerk refuses the secret key: the
// variable it came from, and where.
func (c *Client) keyHint() string {
	return "check " + c.keyFrom + " is this instance's secret key (Clerk Dashboard, API keys)"
}

// CloseIdleConnections closes the connections the client keeps open
// between requests (of its own transport, or the one Config.HTTPClient
// brought, the default transport included), for a caller that is done
// with it.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// clientBackend wraps clerk-sdk-go's backend only to keep it from being
// printed: its fields include the secret key.
type clientBackend struct {
	clerk.Backend
	apiURL string
}

// Format prints the API URL only, for every verb.
func (b *clientBackend) Format(f fmt.State, verb rune) {
	s := "agenttest backend for " + redact.URL(b.apiURL)
	redact.Format(f, verb, s, "&agenttask.clientBackend{"+s+"}")
}

// APIURL returns the Backend API URL the client calls, ending in /v1.
func (c *Client) APIURL() string { return c.apiURL }

// String describes the client without its secret key.
func (c Client) String() string {
	kind := "development"
	if c.production {
		kind = "production"
	}
	return fmt.Sprintf("agenttask.Client{APIURL: %s, instance: %s}", redact.URL(c.apiURL), kind)
}

// Format makes every fmt verb print [Client.String]. Its receiver is a
// value so that printing a Client, not only a *Client, never walks its
// fields: they hold the HTTP transport, whose state other goroutines
// change while they use it.
func (c Client) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, c.String(), "&"+c.String())
}

// LogValue implements slog.LogValuer without the secret key.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("api_url", redact.URL(c.apiURL)), slog.Bool("production", c.production))
}

// CreateParams describes an Agent Task to create. Only the user is
// required; [Client.Create] checks everything before any request.
type CreateParams struct {
	// UserID (user_…) or Identifier (a verified email address, phone
	// number or username of the user): exactly one.
	UserID, Identifier string
	// Permissions: empty means "*", the only value Clerk accepts.
	Permissions string
	// AgentName names the agent in Clerk's audit log: empty means
	// "agenttest". The same name always maps to the same agent id.
	AgentName string
	// TaskDescription is audit-logged: empty means "agenttest sign-in".
	TaskDescription string
	// RedirectURL is where the browser lands after signing in: an
	// absolute http(s) URL on a domain of the instance; https only with
	// a production key. Required.
	RedirectURL string
	// SessionMaxDuration bounds the session the task creates: 0 means
	// Clerk's default (1800 s); otherwise positive, sent as whole seconds
	// rounded up.
	SessionMaxDuration time.Duration
}

// createTaskRequest is the JSON body of POST /v1/agents/tasks.
type createTaskRequest struct {
	clerk.APIParams
	OnBehalfOf         createTaskOnBehalfOf `json:"on_behalf_of"`
	Permissions        string               `json:"permissions"`
	AgentName          string               `json:"agent_name"`
	TaskDescription    string               `json:"task_description"`
	RedirectURL        string               `json:"redirect_url"`
	SessionMaxDuration int64                `json:"session_max_duration_in_seconds,omitempty"`
}

type createTaskOnBehalfOf struct {
	UserID     string `json:"user_id,omitempty"`
	Identifier string `json:"identifier,omitempty"`
}

// subject names whom the task is for, in operation names: one line,
// cut (see redact.Value).
func (p CreateParams) subject() string {
	if p.UserID != "" {
		return redact.Value(p.UserID)
	}
	if p.Identifier != "" {
		return redact.Value(p.Identifier)
	}
	return ""
}

// request validates p and builds the request body; production says
// whether the key is a production instance's.
func (p CreateParams) request(production bool) (*createTaskRequest, error) {
	var errs []error
	userID, identifier := strings.TrimSpace(p.UserID), strings.TrimSpace(p.Identifier)
	switch {
	case userID == "" && identifier == "":
		errs = append(errs, errors.New("no user: set CreateParams.UserID (user_…) or CreateParams.Identifier (a verified email, phone number or username)"))
	case userID != "" && identifier != "":
		errs = append(errs, errors.New("both CreateParams.UserID and CreateParams.Identifier are set: set exactly one"))
	case userID != "" && userID != p.UserID, identifier != "" && identifier != p.Identifier:
		errs = append(errs, errors.New("the user id or identifier has surrounding white space: remove it"))
	case userID != "" && !strings.HasPrefix(userID, "user_"):
		errs = append(errs, fmt.Errorf("CreateParams.UserID %s is not a Clerk user id (user_…): pass an email address, phone number or username as CreateParams.Identifier", redact.Value(userID)))
	case userID != "" && !clerkid.Valid(userID):
		errs = append(errs, fmt.Errorf("CreateParams.UserID is not a Clerk user id (user_…: at most %d letters, digits, '_' and '-'): pass the id Clerk returned, or the user's email, phone number or username as CreateParams.Identifier", clerkid.MaxLength))
	case len(identifier) > maxIdentifierLength:
		errs = append(errs, fmt.Errorf("CreateParams.Identifier is longer than any email address, phone number or username (%d bytes, at most %d)", len(identifier), maxIdentifierLength))
	}
	perms := p.Permissions
	if perms == "" {
		perms = allPermissions
	}
	if perms != allPermissions {
		errs = append(errs, fmt.Errorf("CreateParams.Permissions is %s: Clerk accepts only %q; leave it empty", redact.Quote(p.Permissions), allPermissions))
	}
	if err := validateRedirectURL(p.RedirectURL, production); err != nil {
		errs = append(errs, err)
	}
	var seconds int64
	switch d := p.SessionMaxDuration; {
	case d < 0:
		errs = append(errs, fmt.Errorf("CreateParams.SessionMaxDuration is %s: use a positive duration, or 0 for Clerk's default (30m)", d))
	case d > 0:
		seconds = int64(d / time.Second)
		if d%time.Second != 0 {
			seconds++
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	r := &createTaskRequest{
		OnBehalfOf:         createTaskOnBehalfOf{UserID: userID, Identifier: identifier},
		Permissions:        perms,
		AgentName:          p.AgentName,
		TaskDescription:    p.TaskDescription,
		RedirectURL:        p.RedirectURL,
		SessionMaxDuration: seconds,
	}
	if r.AgentName == "" {
		r.AgentName = defaultAgentName
	}
	if r.TaskDescription == "" {
		r.TaskDescription = defaultTaskDescription
	}
	return r, nil
}

// validateRedirectURL checks CreateParams.RedirectURL.
func validateRedirectURL(raw string, production bool) error {
	if raw == "" {
		return errors.New("CreateParams.RedirectURL is empty: set the absolute URL of the page to land on, e.g. http://localhost:3000/")
	}
	u, err := url.Parse(raw)
	shown := redact.Quote(redact.URL(raw))
	switch {
	case err != nil:
		return fmt.Errorf("CreateParams.RedirectURL %s is not a URL: set an absolute http(s) URL", redact.Quote(redact.Text(raw)))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("CreateParams.RedirectURL %s is not an absolute http(s) URL: include the scheme and host, e.g. http://localhost:3000/", shown)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("CreateParams.RedirectURL %s has no host: include it, e.g. http://localhost:3000/", shown)
	case u.Scheme == "http" && production:
		return fmt.Errorf("CreateParams.RedirectURL %s uses http with a production key: production instances redirect to https only", shown)
	}
	return nil
}

// Create creates an Agent Task and returns it with its URL. Parameters
// are checked first: an invalid CreateParams fails without any request.
// Failed calls are retried per the client's [RetryPolicy]. A Clerk error
// is an [*APIError]; errors.Is(err, ErrUserNotFound) tells a missing
// user, and errors.Is(err, ErrNotSent) a request that never went out.
//
// A retried create may leave a duplicate: when an attempt's answer was
// lost (it timed out, the connection broke after the request went out,
// a proxy answered 500, 502 or 504), Clerk may have created that task
// anyway, and nobody will ever learn its id or URL. It grants nothing,
// stays pending and Clerk expires it, but it shows as one pending task
// more than the caller created. Create says so: in [Task.Warning] and a
// warning to Config.Logger when a later attempt succeeded, in the error
// when none did.
//
// Whoever holds the URL can sign in as the user until it is used,
// revoked or expired: visit it once, and Revoke a task you did not use.
func (c *Client) Create(ctx context.Context, p CreateParams) (*Task, error) {
	op := "create agent task for " + p.subject()
	if p.subject() == "" {
		op = "create agent task"
	}
	body, err := p.request(c.production)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req := clerk.NewAPIRequest(http.MethodPost, agentTasksPath)
	req.SetParams(body)
	raw, rec, err := c.callRecorded(ctx, op, req)
	if err != nil {
		if apiErr := (*APIError)(nil); errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
			apiErr.is = append(apiErr.is, ErrUserNotFound)
			if body.OnBehalfOf.Identifier != "" {
				err = withNote(err, "an identifier names a user only if it is a verified email address or phone number, or a username, of this instance: check it is verified, or name the user by id")
			}
		}
		if rec.notSent {
			err = notSentError{err}
		}
		return nil, withNote(err, duplicateNote(rec.lost))
	}
	task, err := decodeTaskResponse(raw.body, true)
	if err != nil {
		// The task was created: the answer is unreadable, not lost.
		err = fmt.Errorf("%s: %w (%s)", op, err, raw.describe())
		return nil, withNote(err, duplicateNote(append(rec.lost, lostAnswer{attempt: rec.attempts, why: "unreadable answer"})))
	}
	if note := duplicateNote(rec.lost); note != "" {
		task.Warning = note
		c.logger.LogAttrs(ctx, slog.LevelWarn, "agenttest: "+op+": "+note,
			slog.String("task_id", task.ID), slog.Int("attempts", rec.attempts))
	}
	return task, nil
}

// duplicateNote says which create attempts may have left a task nobody
// holds; "" when none.
func duplicateNote(lost []lostAnswer) string {
	switch len(lost) {
	case 0:
		return ""
	case 1:
		which := "attempt " + strconv.Itoa(lost[0].attempt)
		if lost[0].attempt == 1 {
			which = "the first attempt"
		}
		return "no answer to " + which + " (" + lost[0].why + "): " + which + " may have created a task nobody holds; Clerk expires it"
	}
	nums := make([]string, len(lost))
	whys := make([]string, len(lost))
	for i, l := range lost {
		nums[i], whys[i] = strconv.Itoa(l.attempt), l.why
	}
	return "no answer to attempts " + strings.Join(nums, ", ") + " (" + strings.Join(whys, "; ") + "): each may have created a task nobody holds; Clerk expires them"
}

// withNote adds note to err's message in parentheses, keeping err's
// type for errors.As when it is one of ours.
func withNote(err error, note string) error {
	if note == "" {
		return err
	}
	var apiErr *APIError
	var stop *retryStopError
	var callErr *clientCallError
	switch {
	case errors.As(err, &apiErr):
		if apiErr.note != "" {
			apiErr.note += "; "
		}
		apiErr.note += note
		return err
	case errors.As(err, &stop):
		stop.note += "; " + note // one parenthesis: "(gave up after …; no answer to …)"
		return err
	case errors.As(err, &callErr):
		if callErr.note != "" {
			callErr.note += "; "
		}
		callErr.note += note
		return err
	}
	return fmt.Errorf("%w (%s)", err, note)
}

// Revoke revokes a pending Agent Task so its URL can no longer sign
// anyone in, and returns it (without URL). A task that is not pending —
// used, revoked or expired — gives an [*APIError] matching
// [ErrTaskNotPending], which cleanup code can ignore; an id the instance
// does not know gives one matching [ErrTaskNotFound].
func (c *Client) Revoke(ctx context.Context, taskID string) (*Task, error) {
	op, err := clerkid.Op("revoke agent task", "task", taskID)
	if err != nil {
		return nil, err
	}
	path, err := clerk.JoinPath(agentTasksPath, taskID, "revoke")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	raw, err := c.call(ctx, op, clerk.NewAPIRequest(http.MethodPost, path))
	if err != nil {
		if apiErr := (*APIError)(nil); errors.As(err, &apiErr) {
			switch {
			case apiErr.Status == http.StatusNotFound:
				apiErr.is = append(apiErr.is, ErrTaskNotFound)
			case apiErr.Status == http.StatusBadRequest && apiErr.HasCode(codeTaskCannotBeRevoked):
				apiErr.is = append(apiErr.is, ErrTaskNotPending)
			}
		}
		return nil, err
	}
	task, err := decodeTaskResponse(raw.body, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%s)", op, err, raw.describe())
	}
	return task, nil
}

// maxIdentifierLength bounds an identifier a caller may pass: an email
// address has at most 320 characters.
const maxIdentifierLength = 512

// call sends req through the Backend and returns the raw 2xx answer, or
// the failure as an error prefixed with op: an [*APIError] for an
// answer, the transport's error otherwise.
func (c *Client) call(ctx context.Context, op string, req *clerk.APIRequest) (*clientRawResponse, error) {
	raw, _, err := c.callRecorded(ctx, op, req)
	return raw, err
}

// callRecorded is call that also returns what the transport recorded
// about the attempts.
func (c *Client) callRecorded(ctx context.Context, op string, req *clerk.APIRequest) (*clientRawResponse, *callRecord, error) {
	ctx, rec := withCallRecord(ctx)
	raw := &clientRawResponse{}
	err := c.Backend.Call(ctx, req, raw)
	if err == nil {
		return raw, rec, nil
	}
	return nil, rec, c.callError(op, rec, err)
}

// callError turns a Backend error into ours; see [Client.call].
func (c *Client) callError(op string, rec *callRecord, err error) error {
	var apiErr *APIError
	var sdkErr *clerk.APIErrorResponse
	switch {
	case rec.status >= 400 && rec.bodyErr == nil:
		// Our transport saw the answer: decode it ourselves, which also
		// covers bodies clerk-sdk-go reduces to errors.New(body).
		apiErr = decodeErrorBody(rec.status, rec.header, rec.body, c.scrub)
	case errors.As(err, &sdkErr):
		apiErr = fromSDKError(sdkErr, c.scrub)
	default:
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && rec.status > 0 {
			err = fmt.Errorf("the %d answer is not JSON: %w", rec.status, taskJSONError(err))
		}
		if rec.bodyErr != nil {
			err = fmt.Errorf("%d answer, reading its body: %w", rec.status, rec.bodyErr)
		}
		return &clientCallError{op: op, err: err, scrub: c.scrub}
	}
	apiErr.Op, apiErr.note = op, rec.note
	if apiErr.Status == http.StatusUnauthorized {
		apiErr.hint = c.keyHint()
	}
	return apiErr
}

// clientCallError is a call that got no usable answer (a connection
// error, a cancelled context): "<op>: <cause>", with the cause
// scrubbed of the secret key. It unwraps to the cause.
type clientCallError struct {
	op    string
	err   error
	scrub func(string) string
	note  string // added in parentheses, if any
}

func (e *clientCallError) Error() string {
	s := e.op + ": " + errorOneLine(e.scrub(e.err.Error()))
	if e.note != "" {
		s += " (" + e.note + ")"
	}
	return s
}

func (e *clientCallError) Unwrap() error { return e.err }

// clientRawResponse is a clerk.ResponseReader that keeps the raw body,
// so this package decodes (and fuzzes) the answers itself.
type clientRawResponse struct {
	resp *clerk.APIResponse
	body []byte
}

func (r *clientRawResponse) Read(resp *clerk.APIResponse) { r.resp = resp }

// UnmarshalJSON keeps a copy of the body instead of decoding it.
func (r *clientRawResponse) UnmarshalJSON(b []byte) error {
	r.body = append([]byte(nil), b...)
	return nil
}

// describe names the answer for a decode error: status and trace id.
func (r *clientRawResponse) describe() string {
	if r.resp == nil {
		return "no response details"
	}
	s := fmt.Sprintf("status %d", r.resp.StatusCode)
	if r.resp.TraceID != "" {
		s += ", trace " + errorOneLine(r.resp.TraceID)
	}
	return s
}

// decodeJSON decodes a raw 2xx body into v, without quoting the body.
func (r *clientRawResponse) decodeJSON(v any) error {
	if len(r.body) == 0 {
		return fmt.Errorf("the response body is empty (%s)", r.describe())
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("decode the response (%s): %w", r.describe(), taskJSONError(err))
	}
	return nil
}

// Instance names the client's Clerk instance without revealing its key:
// 16 hex digits of SHA-256 of the API URL, a zero byte and the secret
// key. It names the directory of the instance's ledgers.
func (c *Client) Instance() string { return c.instance }

// instanceID names a Clerk instance by its normalized API URL and secret
// key without revealing the key: 16 hex digits of a SHA-256. The
// loopback names of a local instance (localhost, ::1, 127.0.0.1) are
// one, so a sweep with either finds the ledgers a run wrote with the
// other.
func instanceID(apiURL, secretKey string) string {
	if u, err := url.Parse(apiURL); err == nil && loopbackHost(u.Hostname()) {
		if port := u.Port(); port != "" {
			u.Host = "127.0.0.1:" + port
		} else {
			u.Host = "127.0.0.1"
		}
		apiURL = u.String()
	}
	sum := sha256.Sum256([]byte(apiURL + "\x00" + secretKey))
	return hex.EncodeToString(sum[:8])
}

// loopbackHost reports whether host names this machine's loopback.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
