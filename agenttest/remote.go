package agenttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/mxschmitt/playwright-go"
)

// remoteConnectTimeout bounds the connection to a remote browser when
// the caller's context has no earlier deadline: Playwright's own
// Connect waits forever for a server that accepts and never answers.
const remoteConnectTimeout = 30 * time.Second

// remoteEndpoint is a browser running elsewhere that the fixture
// connects to instead of launching one: a Playwright server
// (AGENTTEST_BROWSER_WS_ENDPOINT, [playwright.BrowserType.Connect]) or a
// Chromium's DevTools endpoint (AGENTTEST_BROWSER_CDP_ENDPOINT,
// [playwright.BrowserType.ConnectOverCDP]: Browserless, a Chrome started
// elsewhere). The driver still runs locally.
type remoteEndpoint struct {
	variable string // the variable that named it
	raw      string // as given: may hold a credential (user info, ?token=)
	cdp      bool
}

// shown is the endpoint as errors and logs show it: without its user
// information or query values (Browserless takes its key as ?token=).
func (e *remoteEndpoint) shown() string { return redact.URL(e.raw) }

// remoteEndpointFromEnv reads the two endpoint variables and checks the
// one that is set, before anything touches the network. It returns nil
// when neither is set (the browser is launched locally).
func remoteEndpointFromEnv(env config.Env) (*remoteEndpoint, error) {
	ws, _ := env.Lookup(config.VarBrowserWSEndpoint)
	cdp, _ := env.Lookup(config.VarBrowserCDPEndpoint)
	ws, cdp = strings.TrimSpace(ws), strings.TrimSpace(cdp)
	switch {
	case ws != "" && cdp != "":
		return nil, fmt.Errorf("agenttest: %s and %s are both set: unset one (the first names a Playwright server, the second a Chromium's DevTools endpoint)", config.VarBrowserWSEndpoint, config.VarBrowserCDPEndpoint)
	case ws != "":
		e := &remoteEndpoint{variable: config.VarBrowserWSEndpoint, raw: ws}
		return e, e.check("ws", "wss")
	case cdp != "":
		e := &remoteEndpoint{variable: config.VarBrowserCDPEndpoint, raw: cdp, cdp: true}
		return e, e.check("ws", "wss", "http", "https")
	}
	return nil, nil
}

// check reports an endpoint that is not an absolute URL of one of the
// schemes.
func (e *remoteEndpoint) check(schemes ...string) error {
	u, err := url.Parse(e.raw)
	if err == nil && u.Host != "" {
		for _, s := range schemes {
			if strings.EqualFold(u.Scheme, s) {
				return nil
			}
		}
	}
	want := "a Playwright server's ws:// or wss:// URL, e.g. ws://127.0.0.1:3000/ (what `npx playwright run-server` prints)"
	if e.cdp {
		want = "a DevTools endpoint: http(s)://host:port of a Chromium started with --remote-debugging-port, or its ws(s):// URL (Browserless: wss://host?token=…)"
	}
	return fmt.Errorf("agenttest: %s=%s is not a browser endpoint: set %s", e.variable, redact.URL(e.raw), want)
}

// connect connects bt to the remote browser. A Playwright server that
// launches a browser per connection (run-server) gets the settings'
// headless flag and arguments, as Playwright Test sends them; a CDP
// endpoint's browser runs as it was started.
func (e *remoteEndpoint) connect(ctx context.Context, bt playwright.BrowserType, s browserSettings) (playwright.Browser, error) {
	if err := ctx.Err(); err != nil {
		return nil, e.fail(err)
	}
	timeout := remoteConnectTimeout
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < timeout {
		timeout = time.Until(deadline)
	}
	ms := playwright.Float(float64(timeout.Milliseconds()))
	var slowMo *float64
	if s.slowMo > 0 {
		slowMo = playwright.Float(float64(s.slowMo.Milliseconds()))
	}
	var (
		browser playwright.Browser
		err     error
	)
	if e.cdp {
		browser, err = bt.ConnectOverCDP(e.raw, playwright.BrowserTypeConnectOverCDPOptions{Timeout: ms, SlowMo: slowMo})
	} else {
		var launch []byte
		launch, err = json.Marshal(s.remoteLaunchOptions())
		if err != nil {
			return nil, e.fail(err)
		}
		browser, err = bt.Connect(e.raw, playwright.BrowserTypeConnectOptions{
			Timeout: ms,
			SlowMo:  slowMo,
			Headers: map[string]string{"x-playwright-launch-options": string(launch)},
		})
	}
	if err != nil {
		return nil, e.fail(err)
	}
	return browser, nil
}

// fail is a connection error that names the endpoint without its
// credentials and says what to check. Playwright's message quotes the
// endpoint as given, so it is shown redacted (its host and path stay,
// as in the message's start), and only the error's kind is kept.
func (e *remoteEndpoint) fail(err error) error {
	what, fix := "connect to the Playwright server", "check the server is running and reachable from here and runs Playwright "+playwrightVersion()
	switch {
	case e.cdp:
		what, fix = "connect over CDP", "check the browser is running with --remote-debugging-port and is reachable from here"
	case strings.Contains(err.Error(), "Executable doesn't exist"):
		fix = "the server has no browser of its own to launch: install one on its machine (npx playwright@" + playwrightVersion() + " install chromium)"
	}
	msg := fmt.Sprintf("agenttest: %s %s (%s): %s; %s, or unset %s to launch a local browser",
		what, e.shown(), e.variable, firstLine(redact.Text(strings.ReplaceAll(err.Error(), e.raw, e.shown()))), fix, e.variable)
	return &redactedError{msg: msg, kind: playwrightKind(err)}
}

// remoteLaunchOptions are the launch options a Playwright server gets in
// the x-playwright-launch-options header. Paths are left out: the
// server's machine has its own (and run-server ignores them).
func (s browserSettings) remoteLaunchOptions() map[string]any {
	opts := map[string]any{"headless": !s.headed}
	if s.kind == "chromium" {
		opts["args"] = chromiumArgs
		opts["chromiumSandbox"] = false
	}
	return opts
}

// playwrightVersion is the Playwright version of the driver, which a
// Playwright server must match (major and minor).
func playwrightVersion() string {
	v := provision.DriverVersion()
	if i := strings.LastIndexByte(v, '.'); i > 0 {
		return v[:i] + ".x"
	}
	return v
}

// firstLine is s up to its first line break: Playwright appends a call
// log that does not fit a one-line error.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return strings.TrimSpace(s)
}
