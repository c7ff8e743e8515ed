package agenttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/internal/shellword"
	"github.com/mxschmitt/playwright-go"
)

// chromiumArgs keep Chromium working as root and in containers, and off
// the network: without the background-networking flags it phones home
// at start-up, which a closed CI network refuses. They hold no
// --disable-features or --enable-features: Chromium keeps only the last
// of a repeated switch, so one here would replace Playwright's own list
// (HttpsUpgrades, DeferRendererTasksAfterInput, PaintHolding and more,
// which its auto-waiting counts on) instead of adding to it.
var chromiumArgs = []string{
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-domain-reliability",
	"--disable-client-side-phishing-detection",
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
func browserSettingsFromEnv(env config.Env) (browserSettings, error) {
	s := browserSettings{kind: "chromium"}
	if v, ok := env.Lookup(config.VarBrowser); ok && v != "" {
		s.kind = strings.ToLower(strings.TrimSpace(v))
	}
	switch s.kind {
	case "chromium", "firefox", "webkit":
	default:
		return s, fmt.Errorf("agenttest: %s=%q is not a browser: use chromium, firefox or webkit", config.VarBrowser, s.kind)
	}
	if v, ok := env.Lookup(config.VarHeaded); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("agenttest: %s=%q is not a boolean: use 1 or 0", config.VarHeaded, v)
		}
		s.headed = b
	}
	if v, ok := env.Lookup(config.VarSlowMo); ok && v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms < 0 {
			return s, fmt.Errorf("agenttest: %s=%q is not a delay: give whole milliseconds, e.g. %s=250", config.VarSlowMo, v, config.VarSlowMo)
		}
		s.slowMo = time.Duration(ms) * time.Millisecond
	}
	return s, nil
}

// checkDisplay refuses a headed browser on Linux (goos) when the
// environment names no display (neither DISPLAY nor WAYLAND_DISPLAY):
// the browser would fail to start with a long message of its own.
func (s browserSettings) checkDisplay(env config.Env, goos string) error {
	if !s.headed || goos != "linux" {
		return nil
	}
	for _, name := range []string{"DISPLAY", "WAYLAND_DISPLAY"} {
		if v, _ := env.Lookup(name); v != "" {
			return nil
		}
	}
	return fmt.Errorf("agenttest: no display for a headed browser: unset %s to run headless, or run under Xvfb (xvfb-run go test …)", config.VarHeaded)
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

// Browser is a Playwright driver and one browser, owned by whoever
// launched it: [Main] launches one per test binary and shares it between
// the binary's tests; a plain program launches its own with
// [LaunchBrowser] and closes it. Every page it opens gets a
// BrowserContext of its own. A Browser is safe for concurrent use.
type Browser struct {
	suite     *suite
	ownsSuite bool // LaunchBrowser's: Close closes the suite's ledgers
	pw        *playwright.Playwright
	browser   playwright.Browser
	settings  browserSettings
	// remote is the browser connected to instead of launched, or nil:
	// Close then disconnects and leaves that browser running.
	remote *remoteEndpoint

	closeOnce sync.Once
	closeErr  error
}

// LaunchBrowser reads the environment (see [config.LoadEnv]), checks
// that the driver and a browser are installed (nothing is downloaded
// here: a missing piece fails with the command that installs it), and
// starts them. The caller owns the Browser and must Close it.
//
// With AGENTTEST_BROWSER_WS_ENDPOINT (a Playwright server) or
// AGENTTEST_BROWSER_CDP_ENDPOINT (a Chromium's DevTools endpoint) set,
// no browser is launched: the driver starts locally and connects to that
// browser, and Close disconnects from it without ending it.
//
// Tests do not call it: [Main] owns the browser of a test binary, and
// [SignIn], [NewPage] and [NewPageContext] use that one.
func LaunchBrowser(ctx context.Context) (*Browser, error) {
	env, err := loadEnv()
	if err != nil {
		return nil, err
	}
	b, err := launchBrowser(ctx, newSuite(env))
	if b != nil {
		b.ownsSuite = true
	}
	return b, err
}

// launchBrowser starts a browser whose pages share s.
func launchBrowser(ctx context.Context, s *suite) (*Browser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("agenttest: launch browser: %w", err)
	}
	settings, err := browserSettingsFromEnv(s.env)
	if err != nil {
		return nil, err
	}
	remote, err := remoteEndpointFromEnv(s.env)
	if err != nil {
		return nil, err
	}
	if remote != nil && remote.cdp && settings.kind != "chromium" {
		return nil, fmt.Errorf("agenttest: %s connects to Chromium only, but %s=%s: unset one of them", config.VarBrowserCDPEndpoint, config.VarBrowser, settings.kind)
	}
	if remote == nil {
		if err := settings.checkDisplay(s.env, runtime.GOOS); err != nil {
			return nil, err
		}
	}
	prov := provision.Load(s.env)
	if err := prov.CheckDriver(); err != nil {
		return nil, fmt.Errorf("agenttest: %w", err) // provision names the operation
	}
	if remote == nil {
		// A headless run takes a headless shell, as Playwright does.
		find := prov.FindBrowser
		if !settings.headed {
			find = prov.FindHeadlessBrowser
		}
		if settings.path, err = find(settings.kind); err != nil {
			return nil, fmt.Errorf("agenttest: %w", err) // provision names the operation
		}
	}
	driverDir, err := prov.DriverDir()
	if err != nil {
		return nil, fmt.Errorf("agenttest: %w", err) // provision names the operation
	}
	cleanDir, removeCleanDir, err := cleanEnvDriverDir(driverDir, prov.NodePath, provision.DriverVersion())
	if err != nil {
		return nil, err
	}
	pw, err := playwright.Run(&playwright.RunOptions{DriverDirectory: cleanDir, Stdout: os.Stderr, Stderr: os.Stderr})
	// The running driver needs the directory no more (Node.js resolved
	// its script through the link to the real package), so a binary that
	// is killed or times out leaves none behind. Should it stay, a later
	// launch removes it (removeStaleDriverDirs): not a reason to fail.
	_ = removeCleanDir()
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
	if remote != nil {
		s.secrets.AddURL(remote.raw)
		browser, err := remote.connect(ctx, bt, settings)
		if err != nil {
			return nil, errors.Join(err, pw.Stop())
		}
		return &Browser{suite: s, pw: pw, browser: browser, settings: settings, remote: remote}, nil
	}
	browser, err := bt.Launch(settings.launchOptions())
	if err != nil {
		stopErr := pw.Stop()
		where := settings.path
		if where == "" {
			where = "Playwright's own " + settings.kind
		}
		return nil, errors.Join(&redactedError{
			msg:  fmt.Sprintf("agenttest: launch %s (%s): %s; check it starts with `%s --headless --version`, or set %s", settings.kind, where, launchSummary(err.Error()), where, config.VarBrowserPath),
			kind: playwrightKind(err),
		}, stopErr)
	}
	return &Browser{suite: s, pw: pw, browser: browser, settings: settings}, nil
}

// closeWait bounds how long [Browser.Close] waits for the browser to
// close, and driverExitWait how long it then waits for the Playwright
// driver to exit. A browser that does not answer is the driver's to end:
// the driver kills the browsers it launched when it exits, and exits by
// itself at the latest 30 s after its input closes (Playwright's own
// bound), even when it cannot close them gracefully.
const (
	closeWait      = 10 * time.Second
	driverExitWait = 5 * time.Second
)

// Close closes the browser and stops the driver, waiting at most 10 s
// for the browser and then at most 5 s for the driver: a browser that
// stopped answering does not hold the end of a run until
// `go test -timeout` kills the binary. The error says which wait ran
// out; the driver, whose input is closed, then ends the browser it
// launched within 30 s. Close is idempotent and safe to call
// concurrently; a nil Browser is closed.
func (b *Browser) Close() error {
	if b == nil {
		return nil
	}
	b.closeOnce.Do(func() {
		var errs []error
		if b.ownsSuite {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			errs = append(errs, b.suite.reuse.revokeAll(ctx))
			cancel()
		}
		errs = append(errs, b.shutDown(closeWait, driverExitWait))
		if b.ownsSuite {
			errs = append(errs, b.suite.closeLedgers())
			b.suite.closeClient()
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// shutDown closes the browser, waiting at most closeWait, then stops the
// driver, waiting at most exitWait. A step that runs out of time is left
// running: the driver's exit ends both.
func (b *Browser) shutDown(closeWait, exitWait time.Duration) error {
	var errs []error
	what, ends := "close browser", "which kills it"
	if b.remote != nil {
		what, ends = "disconnect from "+b.remote.shown(), "which drops the connection and leaves the remote browser running"
	}
	cctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	var closeErr error
	switch {
	case !within(cctx, func() { closeErr = b.browser.Close() }):
		errs = append(errs, fmt.Errorf("agenttest: %s: no answer in %s: the browser stopped answering; stopping the Playwright driver, %s", what, closeWait, ends))
	case closeErr != nil:
		errs = append(errs, fmt.Errorf("agenttest: %s: %w", what, closeErr))
	}
	sctx, cancel := context.WithTimeout(context.Background(), exitWait)
	defer cancel()
	var stopErr error
	switch {
	case !within(sctx, func() { stopErr = b.pw.Stop() }):
		errs = append(errs, fmt.Errorf("agenttest: stop playwright driver: it did not exit in %s; it exits by itself within 30 s of its input closing, and kills any browser it launched", exitWait))
	case stopErr != nil:
		errs = append(errs, fmt.Errorf("agenttest: stop playwright driver: %w", stopErr))
	}
	return errors.Join(errs...)
}

// secretVarPattern is the awk regular expression (matched against the
// upper-cased name) of the variables the driver and the browser do not
// get: Clerk's own (CLERK_SECRET_KEY, CLERK_TESTING_TOKEN and the rest:
// the browser needs none of them), the remote browser endpoints (which
// may carry a token; the driver is given the endpoint by the protocol)
// and any that looks like a credential.
const secretVarPattern = `^CLERK_|^AGENTTEST_BROWSER_.*_ENDPOINT$|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|API_KEY|PRIVATE_KEY`

// launchSummary is a failed launch's error in one line: Playwright's
// first line and what the browser wrote on stderr ("[pid=N][err] …"),
// without the "Browser logs" block around it (the whole command line of
// the launch, some forty flags).
func launchSummary(msg string) string {
	out := []string{firstLine(msg)}
	for _, l := range strings.Split(msg, "\n")[1:] {
		if _, rest, ok := strings.Cut(l, "[err] "); ok && strings.HasPrefix(l, "[pid=") && len(out) < 4 {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return strings.Join(out, " | ")
}

// driverDirPrefix begins the name of every driver directory
// cleanEnvDriverDir makes in the temporary directory.
const driverDirPrefix = "agenttest-driver-"

// staleDriverDirAge is the age from which a driver directory is taken
// for one a killed binary left: a directory is needed only while its
// driver starts.
const staleDriverDirAge = time.Hour

// removeStaleDriverDirs removes the driver directories in dir last
// changed before cutoff, best effort.
func removeStaleDriverDirs(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), driverDirPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// cleanEnvDriverDir returns a driver directory whose Node.js runs the
// driver without the secret variables of the environment, and the
// function that removes it. playwright-go starts the driver
// (<dir>/node <dir>/package/cli.js run-driver) with the whole process
// environment and has no option to change it, and the driver passes its
// own environment to the browser; so the directory holds a node script
// that unsets every variable matching secretVarPattern (in the
// environment it is given, when it starts) and then runs the real
// Node.js, next to a link to the real driver package. The script fails
// rather than run the driver when it cannot list the variables.
//
// When version is set (the driver version provision.CheckDriver has
// just read from the driver's package.json), the script answers
// playwright-go's own version check (`node <dir>/package/cli.js
// --version`, run before every start) with it instead of starting
// Node.js for it: that check cost every test binary about 0.6 s of a
// core before its first page.
//
// Limits: on Windows the driver runs as playwright-go starts it; and
// when PLAYWRIGHT_NODEJS_PATH is set in the process environment,
// playwright-go runs that Node.js directly and the script is not used.
func cleanEnvDriverDir(driverDir, nodePath, version string) (string, func() error, error) {
	if runtime.GOOS == "windows" {
		return driverDir, func() error { return nil }, nil
	}
	if nodePath == "" {
		nodePath = filepath.Join(driverDir, "node")
	}
	removeStaleDriverDirs(os.TempDir(), time.Now().Add(-staleDriverDirAge))
	tmp, err := os.MkdirTemp("", driverDirPrefix+"*")
	if err != nil {
		return "", nil, fmt.Errorf("agenttest: prepare the driver's environment: %w", err)
	}
	remove := func() error {
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("agenttest: remove the driver's directory: %w", err)
		}
		return nil
	}
	versionCheck := ""
	if version != "" {
		versionCheck = "if [ \"$#\" -eq 2 ] && [ \"$1\" = " + shellword.Quote(filepath.Join(tmp, "package", "cli.js")) + " ] && [ \"$2\" = --version ]; then\n" +
			"\techo " + shellword.Quote("Version "+version) + "\n" +
			"\texit 0\n" +
			"fi\n"
	}
	script := "#!/bin/sh\n" +
		"# agenttest: runs the Playwright driver without secret variables.\n" +
		"set -f\n" +
		versionCheck +
		"unset_args=$(awk 'BEGIN { for (k in ENVIRON) if (toupper(k) ~ /" + secretVarPattern + "/) printf \"-u %s \", k }') || exit 126\n" +
		"exec env $unset_args " + shellword.Quote(nodePath) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(tmp, "node"), []byte(script), 0o700); err != nil {
		return "", nil, errors.Join(fmt.Errorf("agenttest: prepare the driver's environment: %w", err), remove())
	}
	if err := os.Symlink(filepath.Join(driverDir, "package"), filepath.Join(tmp, "package")); err != nil {
		return "", nil, errors.Join(fmt.Errorf("agenttest: prepare the driver's environment: %w", err), remove())
	}
	return tmp, remove, nil
}
