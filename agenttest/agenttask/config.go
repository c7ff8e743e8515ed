package agenttask

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/internal/redact"
)

// Secret key prefixes of development and production instances.
const (
	testKeyPrefix = "sk_test_"
	liveKeyPrefix = "sk_live_"
)

// Config is what a [Client] needs to talk to Clerk's Backend API. Build
// it with [LoadConfig] or [ConfigFromEnv], or by hand and check it with
// [Config.Validate].
//
// The secret key never leaves through fmt, slog or JSON: String, Format
// (every verb, %#v included) and LogValue show it as sk_test_REDACTED.
type Config struct {
	// SecretKey is CLERK_SECRET_KEY, required: sk_test_… (development
	// instance) or sk_live_… (production, refused unless AllowProduction).
	SecretKey string `json:"-"`
	// APIURL is CLERK_API_URL, default DefaultAPIURL: an absolute http(s)
	// URL. ConfigFromEnv and NewClient normalize it to end in /v1.
	APIURL string
	// AllowProduction is AGENTTEST_ALLOW_PRODUCTION=1: permission to mint
	// sessions of real users with an sk_live_ key.
	AllowProduction bool

	// HTTPClient sends the requests, through a copy: its Transport
	// (default http.DefaultTransport) becomes the base under the
	// retrying, rate-limited transport; its Jar, CheckRedirect and
	// Timeout are kept. A non-zero Timeout bounds a call with all its
	// retries; prefer a context deadline. Nil means a new http.Client.
	HTTPClient *http.Client `json:"-"`
	// RetryPolicy says how failed calls are retried; its zero value is
	// the default policy (see [RetryPolicy]).
	RetryPolicy RetryPolicy `json:"-"`
	// Limiter is the client-side rate limiter every attempt (retries
	// included) waits on. Nil means the [WindowLimiter] shared by every
	// Client of the same secret key and RateShare in the process, which
	// keeps this process under its share of Clerk's limit (sk_test_: 100
	// requests per 10 s, sk_live_: 1000) with a margin: 90% of that share
	// in any 10.5 s, all at once if they come at once; see
	// [NewServerShareLimiter]. To turn client-side limiting off, pass
	// rate.NewLimiter(rate.Inf, 0) from golang.org/x/time/rate.
	Limiter Limiter `json:"-"`
	// RateShare is AGENTTEST_RATE_SHARE: the fraction of Clerk's
	// per-instance limit this process may use, more than 0 and at most
	// 1. The rest is left to the app under test, which calls the same
	// instance with the same key and shares its budget without sharing
	// this limiter. 0 means the default: 0.5 for an sk_test_ key (the
	// suite gets 45 requests per 10 s after the limiter's margin, the app
	// 50), 0.2 for an sk_live_ key (a production instance also serves
	// real users). The share is per process: go test runs packages in
	// parallel, each its own process with its own limiter, so lower it
	// (or run go test -p 1) when several packages sign in at once.
	// Ignored when Limiter is set.
	RateShare float64

	// keyFrom and urlFrom name the variables the key and the URL came
	// from, with their source ("CLERK_SECRET_KEY (from /m/.env.local)"),
	// for the client's errors; set by ConfigFromEnv.
	keyFrom, urlFrom string
	// Logger receives, at debug level, the retries the client makes
	// (method, path, attempt, status or error, wait) and why it stops
	// retrying; at warn level, a create that succeeded after an attempt
	// whose answer was lost, which may have left a duplicate task (see
	// [Client.Create]). Nothing secret is logged. Nil discards.
	Logger *slog.Logger `json:"-"`
}

// LoadConfig is [config.LoadEnv] followed by [ConfigFromEnv].
func LoadConfig() (Config, error) {
	env, err := config.LoadEnv()
	if err != nil {
		return Config{}, err
	}
	return ConfigFromEnv(env)
}

// ConfigFromEnv reads CLERK_SECRET_KEY, CLERK_API_URL,
// AGENTTEST_ALLOW_PRODUCTION and AGENTTEST_RATE_SHARE from env, trims
// surrounding white space,
// normalizes the URL and validates the result. Errors name the variable,
// where its value came from, and what to do; never its value when that
// may be a secret.
func ConfigFromEnv(env config.Env) (Config, error) {
	var errs []error
	key, _ := env.Lookup(config.VarSecretKey)
	cfg := Config{SecretKey: strings.TrimSpace(key), APIURL: config.DefaultAPIURL, keyFrom: env.Describe(config.VarSecretKey), urlFrom: env.Describe(config.VarAPIURL)}
	if err := validateSecretKey(cfg.SecretKey); err != nil {
		errs = append(errs, fmt.Errorf("%s %w", env.Describe(config.VarSecretKey), err))
	}
	if raw, ok := env.Lookup(config.VarAPIURL); ok && strings.TrimSpace(raw) != "" {
		u, err := normalizeAPIURL(strings.TrimSpace(raw))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %w", env.Describe(config.VarAPIURL), err))
		}
		cfg.APIURL = u
	} else {
		// A hint to check the URL must say none was given.
		cfg.urlFrom = config.VarAPIURL + " (not set: Clerk's " + config.DefaultAPIURL + ")"
	}
	if raw, ok := env.Lookup(config.VarAllowProduction); ok && strings.TrimSpace(raw) != "" {
		allow, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is %s: set it to 1 to allow sk_live_ keys, or unset it", env.Describe(config.VarAllowProduction), redact.Quote(raw)))
		}
		cfg.AllowProduction = allow
	}
	if raw, ok := env.Lookup(config.VarRateShare); ok && strings.TrimSpace(raw) != "" {
		share, err := parseRateShare(strings.TrimSpace(raw))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is %s: %w", env.Describe(config.VarRateShare), redact.Quote(raw), err))
		}
		cfg.RateShare = share
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", joinErrors(errs))
	}
	if err := cfg.checkProduction(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks a Config however it was built: the secret key is
// present and shaped like one, the API URL is an absolute http(s) URL
// (an empty one means DefaultAPIURL), RateShare is 0 or in (0, 1], and
// a production key comes with AllowProduction. It reports every problem
// found.
func (c Config) Validate() error {
	var errs []error
	if err := validateSecretKey(c.SecretKey); err != nil {
		errs = append(errs, fmt.Errorf("%s (Config.SecretKey) %w", config.VarSecretKey, err))
	}
	if c.RateShare != 0 && !(c.RateShare > 0 && c.RateShare <= 1) {
		errs = append(errs, fmt.Errorf("%s (Config.RateShare) is %v: %w", config.VarRateShare, c.RateShare, errRateShare))
	}
	if c.APIURL != "" {
		if _, err := normalizeAPIURL(c.APIURL); err != nil {
			errs = append(errs, fmt.Errorf("%s (Config.APIURL) %w", config.VarAPIURL, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", joinErrors(errs))
	}
	return c.checkProduction()
}

// Production reports whether the secret key is a production instance's
// (sk_live_…).
func (c Config) Production() bool {
	return strings.HasPrefix(c.SecretKey, liveKeyPrefix)
}

// checkProduction refuses a production key without the opt-in.
func (c Config) checkProduction() error {
	if c.Production() && !c.AllowProduction {
		return fmt.Errorf("config: %s is a production key (sk_live_…): an Agent Task mints a real session for a real user of your production instance; use a development instance's sk_test_ key, or opt in with %s=1", config.VarSecretKey, config.VarAllowProduction)
	}
	return nil
}

// apiURL is the normalized API URL (DefaultAPIURL when empty).
func (c Config) apiURL() (string, error) {
	if c.APIURL == "" {
		return config.DefaultAPIURL, nil
	}
	u, err := normalizeAPIURL(c.APIURL)
	if err != nil {
		return "", fmt.Errorf("config: %s (Config.APIURL) %w", config.VarAPIURL, err)
	}
	return u, nil
}

// The length of a secret key's body, after sk_test_ or sk_live_: real
// keys have a few dozen letters and digits; anything outside these
// bounds is a placeholder, a truncation or not a key at all.
const (
	minSecretKeyBody = 16
	maxSecretKeyBody = 128
)

// validateSecretKey checks the shape of a secret key: sk_test_ or
// sk_live_, then minSecretKeyBody to maxSecretKeyBody letters, digits
// and underscores. Its error starts mid-sentence ("is empty: …") after
// the variable's name, and never quotes the key.
func validateSecretKey(key string) error {
	const where = "copy the secret key from the Clerk Dashboard (Configure → API keys), or from `agenttest emulator` for the emulator, into the environment or into .env.local at the module root"
	switch {
	case key == "":
		return fmt.Errorf("is empty or unset: %s", where)
	case strings.HasPrefix(key, "pk_"):
		return fmt.Errorf("holds a publishable key (pk_…), not a secret key: %s", where)
	case strings.ContainsAny(key, "\"'`\u2018\u2019\u201c\u201d"):
		return fmt.Errorf("holds quote characters (\" ' ` or typographic ones, as a word processor or a chat pastes them): remove them; %s", where)
	case !strings.HasPrefix(key, testKeyPrefix) && !strings.HasPrefix(key, liveKeyPrefix):
		return fmt.Errorf("does not look like a Clerk secret key (sk_test_… or sk_live_…): %s", where)
	case len(key) == len(testKeyPrefix):
		return fmt.Errorf("is only the prefix %s: %s", key[:len(testKeyPrefix)], where)
	}
	body := key[len(testKeyPrefix):]
	for _, r := range body {
		switch {
		case r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r):
			return fmt.Errorf("contains white space or control characters: %s", where)
		case !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'):
			return fmt.Errorf("contains characters a Clerk secret key never has (only letters, digits and _ follow %s): %s", key[:len(testKeyPrefix)], where)
		}
	}
	switch {
	case len(body) < minSecretKeyBody:
		return fmt.Errorf("is too short for a Clerk secret key (%d characters after %s, want at least %d): %s", len(body), key[:len(testKeyPrefix)], minSecretKeyBody, where)
	case len(body) > maxSecretKeyBody:
		return fmt.Errorf("is too long for a Clerk secret key (%d characters after %s, want at most %d): %s", len(body), key[:len(testKeyPrefix)], maxSecretKeyBody, where)
	}
	return nil
}

// errRateShare says what a rate share may be.
var errRateShare = errors.New("set a fraction of Clerk's rate limit above 0 and at most 1, such as 0.5 or 50%, or unset it for the default")

// parseRateShare reads AGENTTEST_RATE_SHARE: a fraction (0.5) or a
// percentage (50%), above 0 and at most 1.
func parseRateShare(raw string) (float64, error) {
	scale := 1.0
	if p, ok := strings.CutSuffix(raw, "%"); ok {
		raw, scale = strings.TrimSpace(p), 100
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || !(v/scale > 0 && v/scale <= 1) {
		return 0, errRateShare
	}
	return v / scale, nil
}

// rateShare is the share of Clerk's limit this configuration's limiter
// keeps to: RateShare, or the default for the kind of key.
func (c Config) rateShare() float64 {
	switch {
	case c.RateShare > 0:
		return c.RateShare
	case c.Production():
		return defaultLiveRateShare
	}
	return defaultTestRateShare
}

// normalizeAPIURL checks an API URL and returns it ending in /v1 without
// a trailing slash: "https://api.clerk.com", "https://api.clerk.com/" and
// "https://api.clerk.com/v1/" all give DefaultAPIURL. Its error starts
// mid-sentence after the variable's name.
func normalizeAPIURL(raw string) (string, error) {
	const want = "set it to Clerk's Backend API URL such as " + config.DefaultAPIURL + ", or unset it"
	if !strings.Contains(raw, "://") {
		// A host and port, or a host: not a secret, but it may hold one
		// by mistake (a key pasted in the wrong variable).
		shown := redact.Text(raw)
		return "", fmt.Errorf("%s has no scheme: add it, e.g. %s", redact.Quote(shown), redact.Quote(schemeFor(shown)+shown))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("is not a URL (%s): %s", redact.Quote(redact.Text(raw)), want)
	}
	shown := redact.Quote(redact.URL(raw))
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s is not an absolute http(s) URL: %s", shown, want)
	case u.Host == "":
		return "", fmt.Errorf("%s has no host: %s", shown, want)
	case u.User != nil:
		return "", fmt.Errorf("%s carries user information, which would leak with every request: %s", shown, want)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", fmt.Errorf("%s has a query or fragment: %s", shown, want)
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/v1") {
		p += "/v1"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}

// schemeFor is the scheme a URL without one most likely wants: http
// for a loopback address (an emulator), https otherwise.
func schemeFor(hostport string) string {
	host := hostport
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	if host == "localhost" || strings.HasPrefix(host, "127.") {
		return "http://"
	}
	return "https://"
}

// String shows the configuration with the secret key redact.Placeholder;
// RateShare is shown only when set.
func (c Config) String() string {
	share := ""
	if c.RateShare != 0 {
		share = fmt.Sprintf(", RateShare: %g", c.RateShare)
	}
	return fmt.Sprintf("agenttask.Config{SecretKey: %s, APIURL: %s, AllowProduction: %t%s}", redact.SecretKey(c.SecretKey), redact.URL(c.APIURL), c.AllowProduction, share)
}

// GoString is what %#v prints: Go syntax, secret key redact.Placeholder.
func (c Config) GoString() string {
	return fmt.Sprintf("agenttask.Config{SecretKey:%q, APIURL:%q, AllowProduction:%t, RateShare:%g}", redact.SecretKey(c.SecretKey), redact.URL(c.APIURL), c.AllowProduction, c.RateShare)
}

// Format makes every fmt verb print [Config.String] (or
// [Config.GoString] for %#v), never the raw key.
func (c Config) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, c.String(), c.GoString())
}

// LogValue implements slog.LogValuer with the secret key redact.Placeholder.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secret_key", redact.SecretKey(c.SecretKey)),
		slog.String("api_url", redact.URL(c.APIURL)),
		slog.Bool("allow_production", c.AllowProduction),
		slog.Float64("rate_share", c.RateShare),
	)
}
