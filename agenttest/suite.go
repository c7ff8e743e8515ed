package agenttest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/internal/redact"
)

// suite is what the pages of one run share besides the browser: the
// environment snapshot, the Backend API client built from it (loaded on
// first use, so a test that brings its own client never needs a key),
// and the users that identifiers were resolved to. [Main] makes one per
// test binary; [LaunchBrowser] one per Browser.
type suite struct {
	env agenttask.Env

	clientOnce sync.Once
	client     *agenttask.Client
	clientErr  error

	// users maps a client (an instance: real Clerk serves every instance
	// from one API URL, so the URL alone does not name one) and an
	// identifier to the user id (see [AsIdentifier]).
	users sync.Map // userKey -> string
	// unknownUsers are the user ids Clerk said it does not have (see
	// unknownUser): later sign-ins as them fail at once, before a
	// browser page or a Backend API request.
	unknownUsers sync.Map // userKey (with the user id) -> error

	// tokens are the Testing Tokens the suite's contexts send to each
	// instance's Frontend API, replaced shortly before they expire.
	tokenMu sync.Mutex
	tokens  map[*agenttask.Client]*agenttask.TestingToken
	// tokenFlights are the Testing Token requests in progress, per
	// client: a caller waits for one (or its own context) without
	// holding tokenMu.
	tokenFlights map[*agenttask.Client]*tokenFlight

	// ledgers record, per client's instance, what the suite creates; see
	// ledger.go.
	ledgerMu     sync.Mutex
	ledgers      map[*agenttask.Client]*agenttask.Ledger
	ledgerWarned bool
	// secrets are the task URLs and Testing Tokens of every page and
	// test of the run: no artifact of any page may show them.
	secrets redact.Set
	// pagesOpened counts each running test's pages, so that their
	// artifacts get folders of their own (see claimArtifactsSlot).
	pagesOpened sync.Map // testing.TB -> *atomic.Int32
	// preflight checks the configuration once (see preflight.go).
	preflightOnce sync.Once
	preflightErr  error
	// reuse holds the sign-ins shared under ReuseSignIn.
	reuse signInCache
	// frontend sends the fixture's own Frontend API requests (ending a
	// page's session); its idle connections close with the default
	// client's (closeClient).
	frontend *http.Client
}

// userKey names an identifier of one instance.
type userKey struct {
	client     *agenttask.Client
	identifier string
}

// newSuite returns a suite over env.
func newSuite(env agenttask.Env) *suite {
	s := &suite{env: env, frontend: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	s.reuse.frontend = s.frontend
	return s
}

// defaultClient is the client built from the environment, shared by
// every page of the suite (it shares the secret key's limiter anyway).
func (s *suite) defaultClient() (*agenttask.Client, error) {
	s.clientOnce.Do(func() {
		cfg, err := agenttask.ConfigFromEnv(s.env)
		if err != nil {
			s.clientErr = err
			return
		}
		s.client, s.clientErr = agenttask.NewClient(cfg)
	})
	return s.client, s.clientErr
}

// isDefaultClient reports whether c is the suite's default client.
func (s *suite) isDefaultClient(c *agenttask.Client) bool {
	if c == nil {
		return false
	}
	d, err := s.defaultClient()
	return err == nil && d == c
}

// appURL is AGENTTEST_APP_URL without a trailing slash, or "".
func (s *suite) appURL() string {
	v, _ := s.env.Lookup(agenttask.VarAppURL)
	return strings.TrimRight(strings.TrimSpace(v), "/")
}

// appURLProblem says what is wrong with AGENTTEST_APP_URL when it is set
// but not an absolute http(s) URL, which every relative Goto and the
// sign-in's redirect need; nil otherwise.
func (s *suite) appURLProblem() error {
	raw := s.appURL()
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := raw
		if i := strings.LastIndex(shown, "@"); i >= 0 { // user:password@host, with or without a scheme
			shown = "REDACTED@" + shown[i+1:]
		}
		return fmt.Errorf("agenttest: config: %s is %s, not an http(s) URL: give the app's address with its scheme, such as http://localhost:3000", s.env.Describe(agenttask.VarAppURL), redact.Quote(redact.Text(shown)))
	}
	if p, err := strconv.Atoi(u.Port()); err == nil && badPorts[p] {
		return fmt.Errorf("agenttest: config: %s names port %d, which browsers refuse to load (one of the Fetch standard's bad ports; Chromium says ERR_UNSAFE_PORT): run the app on another port", s.env.Describe(agenttask.VarAppURL), p)
	}
	return nil
}

// badPorts are the ports the Fetch standard has browsers refuse
// (https://fetch.spec.whatwg.org/#port-blocking), Chromium included.
var badPorts = map[int]bool{
	1: true, 7: true, 9: true, 11: true, 13: true, 15: true, 17: true, 19: true, 20: true, 21: true,
	22: true, 23: true, 25: true, 37: true, 42: true, 43: true, 53: true, 69: true, 77: true, 79: true,
	87: true, 95: true, 101: true, 102: true, 103: true, 104: true, 109: true, 110: true, 111: true,
	113: true, 115: true, 117: true, 119: true, 123: true, 135: true, 137: true, 139: true, 143: true,
	161: true, 179: true, 389: true, 427: true, 465: true, 512: true, 513: true, 514: true, 515: true,
	526: true, 530: true, 531: true, 532: true, 540: true, 548: true, 554: true, 556: true, 563: true,
	587: true, 601: true, 636: true, 989: true, 990: true, 993: true, 995: true, 1719: true, 1720: true,
	1723: true, 2049: true, 3659: true, 4045: true, 4190: true, 5060: true, 5061: true, 6000: true,
	6566: true, 6665: true, 6666: true, 6667: true, 6668: true, 6669: true, 6679: true, 6697: true,
	10080: true,
}

// publishableKey is CLERK_PUBLISHABLE_KEY, or "".
func (s *suite) publishableKey() string {
	v, _ := s.env.Lookup(agenttask.VarPublishableKey)
	return strings.TrimSpace(v)
}

// lookupUser resolves an identifier to a user id, once per client and
// suite.
func (s *suite) lookupUser(ctx context.Context, c *agenttask.Client, identifier string) (string, error) {
	key := userKey{c, identifier}
	if id, ok := s.users.Load(key); ok {
		return id.(string), nil
	}
	u, err := c.FindUser(ctx, identifier)
	if err != nil {
		return "", err // it names the identifier: "find user …"
	}
	s.users.Store(key, u.ID)
	return u.ID, nil
}
