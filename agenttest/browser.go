package agenttest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playwright-community/playwright-go"
)

// Environment variables that configure the shared browser.
const (
	envHeaded      = "AGENTTEST_HEADED"
	envSlowMo      = "AGENTTEST_SLOWMO"
	envBrowser     = "AGENTTEST_BROWSER"
	envBrowserPath = "AGENTTEST_BROWSER_PATH"
)

// chromiumArgs keep Chromium working as root and in containers, and off
// the network: without the background-networking flags it phones home
// at start-up, which a closed CI network refuses.
var chromiumArgs = []string{
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-domain-reliability",
	"--disable-client-side-phishing-detection",
	"--disable-features=Translate,OptimizationHints,MediaRouter",
	"--disable-gpu",
	"--disable-dev-shm-usage",
}

// browserSettings is what AGENTTEST_HEADED, AGENTTEST_SLOWMO,
// AGENTTEST_BROWSER and AGENTTEST_BROWSER_PATH ask for.
type browserSettings struct {
	kind   string // chromium, firefox or webkit
	path   string // executable; "" lets Playwright use its own browser
	headed bool
	slowMo time.Duration
}

// browserSettingsFromEnv reads the browser variables and checks them.
func browserSettingsFromEnv(env Env) (browserSettings, error) {
	s := browserSettings{kind: "chromium"}
	if v, ok := env.Lookup(envBrowser); ok && v != "" {
		s.kind = strings.ToLower(strings.TrimSpace(v))
	}
	switch s.kind {
	case "chromium", "firefox", "webkit":
	default:
		return s, fmt.Errorf("agenttest: %s=%q is not a browser: use chromium, firefox or webkit", envBrowser, s.kind)
	}
	if v, ok := env.Lookup(envHeaded); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("agenttest: %s=%q is not a boolean: use 1 or 0", envHeaded, v)
		}
		s.headed = b
	}
	if v, ok := env.Lookup(envSlowMo); ok && v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return s, fmt.Errorf("agenttest: %s=%q is not a delay: give whole milliseconds, e.g. %s=250", envSlowMo, v, envSlowMo)
		}
		s.slowMo = time.Duration(ms) * time.Millisecond
	}
	return s, nil
}

// launchOptions turns the settings into Playwright's launch options.
func (s browserSettings) launchOptions() playwright.BrowserTypeLaunchOptions {
	opts := playwright.BrowserTypeLaunchOptions{
		Headless: playwright.Bool(!s.headed),
	}
	if s.path != "" {
		opts.ExecutablePath = playwright.String(s.path)
	}
	if s.slowMo > 0 {
		opts.SlowMo = playwright.Float(float64(s.slowMo.Milliseconds()))
	}
	if s.kind == "chromium" {
		args := append([]string(nil), chromiumArgs...)
		if os.Geteuid() == 0 {
			// Chromium refuses to start its sandbox as root.
			args = append(args, "--no-sandbox")
		}
		opts.Args = args
		opts.ChromiumSandbox = playwright.Bool(false)
	}
	return opts
}

// browserHost owns the one Playwright driver and browser of a test
// binary. It starts them on first use, shares them between parallel
// tests (each test gets its own BrowserContext) and stops them in
// [Run]. It is the package's one deliberate piece of process-wide
// state, because a browser per test would cost a second each.
type browserHost struct {
	mu       sync.Mutex
	running  bool // inside Run
	started  bool // start attempted (its error is kept in err)
	err      error
	pw       *playwright.Playwright
	browser  playwright.Browser
	settings browserSettings

	// The environment and the client built from it, loaded once.
	envOnce   sync.Once
	env       Env
	envErr    error
	clientMu  sync.Mutex
	client    *Client
	clientErr error

	// users caches API URL + identifier -> user id (see [AsIdentifier]).
	users sync.Map
}

// host is the browser of this test binary; see [browserHost].
var host = &browserHost{}

// errNoMain is returned when the fixture is used outside [Main].
var errNoMain = errors.New("agenttest: the shared browser needs agenttest.Main: add `func TestMain(m *testing.M) { agenttest.Main(m) }` to this package's tests so the browser is shut down when they end")

// environment loads .env.local, .env and the process environment once.
func (h *browserHost) environment() (Env, error) {
	h.envOnce.Do(func() { h.env, h.envErr = LoadEnv() })
	return h.env, h.envErr
}

// defaultClient is the client built from the environment, shared by
// every test of the binary (it shares the secret key's limiter anyway).
func (h *browserHost) defaultClient() (*Client, error) {
	h.clientMu.Lock()
	defer h.clientMu.Unlock()
	if h.client != nil || h.clientErr != nil {
		return h.client, h.clientErr
	}
	env, err := h.environment()
	if err != nil {
		h.clientErr = err
		return nil, err
	}
	cfg, err := ConfigFromEnv(env)
	if err != nil {
		h.clientErr = err
		return nil, err
	}
	h.client, h.clientErr = NewClient(cfg)
	return h.client, h.clientErr
}

// begin marks the start of [Run].
func (h *browserHost) begin() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = true
}

// get returns the shared browser, starting it on first use.
func (h *browserHost) get() (playwright.Browser, error) {
	env, err := h.environment()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		return nil, errNoMain
	}
	if h.started {
		return h.browser, h.err
	}
	h.started = true
	h.browser, h.err = h.start(env)
	return h.browser, h.err
}

// start checks what is installed, then starts the driver and browser.
// Nothing is downloaded here: a missing piece fails with the command
// that installs it.
func (h *browserHost) start(env Env) (playwright.Browser, error) {
	settings, err := browserSettingsFromEnv(env)
	if err != nil {
		return nil, err
	}
	if err := CheckDriver(); err != nil {
		return nil, err
	}
	if v, ok := env.Lookup(envBrowserPath); ok && v != "" {
		// FindBrowser reads the process environment; a value that came
		// from a .env file is honoured here, with the same check.
		if err := installIsExecutable(v); err != nil {
			return nil, fmt.Errorf("agenttest: %s: %w: point it at a browser executable, or unset it", envBrowserPath, err)
		}
		settings.path = v
	} else {
		settings.path, err = FindBrowser(settings.kind)
		if err != nil {
			return nil, err
		}
	}
	h.settings = settings
	pw, err := playwright.Run(&playwright.RunOptions{Verbose: false, Stdout: os.Stderr, Stderr: os.Stderr})
	if err != nil {
		return nil, fmt.Errorf("agenttest: start the playwright driver: %w (run `go run github.com/agenttest/agenttest/cmd/agenttest install`)", err)
	}
	var bt playwright.BrowserType
	switch settings.kind {
	case "firefox":
		bt = pw.Firefox
	case "webkit":
		bt = pw.WebKit
	default:
		bt = pw.Chromium
	}
	browser, err := bt.Launch(settings.launchOptions())
	if err != nil {
		stopErr := pw.Stop()
		where := settings.path
		if where == "" {
			where = "Playwright's own " + settings.kind
		}
		return nil, errors.Join(fmt.Errorf("agenttest: launch %s (%s): %w; check it starts with `%s --headless --version`, or set %s", settings.kind, where, err, where, envBrowserPath), stopErr)
	}
	h.pw = pw
	return browser, nil
}

// shutdown closes the browser and stops the driver; it waits for both.
func (h *browserHost) shutdown() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = false
	var errs []error
	if h.browser != nil {
		if err := h.browser.Close(); err != nil {
			errs = append(errs, fmt.Errorf("agenttest: close browser: %w", err))
		}
	}
	if h.pw != nil {
		if err := h.pw.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("agenttest: stop playwright driver: %w", err))
		}
	}
	h.browser, h.pw, h.err, h.started = nil, nil, nil, false
	return errors.Join(errs...)
}
