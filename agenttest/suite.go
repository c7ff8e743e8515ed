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
	"github.com/agenttest/agenttest/agenttest/config"
	"github.com/agenttest/agenttest/agenttest/ledger"
	"github.com/agenttest/agenttest/internal/redact"
)

// suite is what the pages of one test binary (under [Main]) or one
// [Browser] (a plain program) share besides the browser: the
// environment snapshot, the default client built from it (on first use,
// so a test that brings its own client never needs a key), the
// configuration check, the secrets no artifact may show, the shared
// sign-ins, and a record per Clerk instance (see instance).
type suite struct {
	env config.Env

	clientOnce sync.Once
	client     *agenttask.Client
	clientErr  error
	// preflight checks the configuration once (see preflight.go).
	preflightOnce sync.Once
	preflightErr  error

	// instances are the Clerk instances the suite reached.
	instances    sync.Map // *agenttask.Client -> *instance
	ledgerWarned sync.Once
	// secrets are the task URLs and Testing Tokens of every page and
	// test of the run: no artifact of any page may show them.
	secrets redact.Set
	// pagesOpened counts each running test's pages, so that their
	// artifacts get folders of their own (see claimArtifactsSlot).
	pagesOpened sync.Map // testing.TB -> *atomic.Int32
	// reuse holds the sign-ins shared under ReuseSignIn.
	reuse signInCache
	// frontend sends the fixture's own Frontend API requests (ending a
	// session); its idle connections close with the default client's
	// (closeClient).
	frontend *http.Client
}

// instance is what a run learns about one Clerk instance, named by the
// client that reaches it (real Clerk serves every instance from one API
// URL, so the URL alone does not name one): the users identifiers
// resolve to, the user ids it does not have, its Testing Token and its
// ledger. It lives as long as the suite.
type instance struct {
	// users maps an identifier to its user id (see [AsIdentifier]).
	users sync.Map // string -> string
	// unknownUsers are the user ids Clerk said it does not have (see
	// unknownUser): later sign-ins as them fail at once, before a
	// browser page or a Backend API request.
	unknownUsers sync.Map // string -> error

	// token is the Testing Token the suite's contexts send to the
	// Frontend API, replaced shortly before it expires; flight is the
	// request for it in progress: a caller waits for it (or its own
	// context) without holding tokenMu.
	tokenMu sync.Mutex
	token   *agenttask.TestingToken
	flight  *tokenFlight

	// ledger records what the suite creates at the instance (see
	// ledger.go); nil when it could not be opened.
	ledgerOnce sync.Once
	ledger     *ledger.Ledger
}

// instance returns the suite's record of c's instance, made on first use.
func (s *suite) instance(c *agenttask.Client) *instance {
	v, _ := s.instances.LoadOrStore(c, &instance{})
	return v.(*instance)
}

// newSuite returns a suite over env.
func newSuite(env config.Env) *suite {
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
	v, _ := s.env.Lookup(config.VarAppURL)
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
		return fmt.Errorf("agenttest: config: %s is %s, not an http(s) URL: give the app's address with its scheme, such as http://localhost:3000", s.env.Describe(config.VarAppURL), redact.Quote(redact.Text(shown)))
	}
	if u.User != nil {
		return fmt.Errorf("agenttest: config: %s carries user information (user:password@), which Clerk would receive in redirect_url: remove it", s.env.Describe(config.VarAppURL))
	}
	if p, err := strconv.Atoi(u.Port()); err == nil && badPort(p) {
		return fmt.Errorf("agenttest: config: %s names port %d, which browsers refuse to load (one of the Fetch standard's bad ports; Chromium says ERR_UNSAFE_PORT): run the app on another port", s.env.Describe(config.VarAppURL), p)
	}
	return nil
}

// badPort reports whether browsers refuse port: the Fetch standard's
// bad ports (https://fetch.spec.whatwg.org/#port-blocking), Chromium's
// restricted ports.
func badPort(port int) bool {
	switch port {
	case 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79,
		87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179,
		389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989,
		990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080:
		return true
	}
	return false
}

// publishableKey is CLERK_PUBLISHABLE_KEY, or "".
func (s *suite) publishableKey() string {
	v, _ := s.env.Lookup(config.VarPublishableKey)
	return strings.TrimSpace(v)
}

// lookupUser resolves an identifier to a user id, once per client and
// suite.
func (s *suite) lookupUser(ctx context.Context, c *agenttask.Client, identifier string) (string, error) {
	in := s.instance(c)
	if id, ok := in.users.Load(identifier); ok {
		return id.(string), nil
	}
	u, err := c.FindUser(ctx, identifier)
	if err != nil {
		return "", err // it names the identifier: "find user …"
	}
	in.users.Store(identifier, u.ID)
	return u.ID, nil
}
