package agenttest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The endpoint variables are checked before anything touches the
// network: one of them at most, a URL of the right scheme, and an error
// that shows neither a password nor a token.
func TestRemoteEndpointFromEnv(t *testing.T) {
	t.Parallel()
	ws, cdp := config.VarBrowserWSEndpoint, config.VarBrowserCDPEndpoint
	for _, tc := range []struct {
		name    string
		vars    map[string]string
		wantCDP bool
		wantErr string // "" for none; "-" for no endpoint at all
	}{
		{name: "none", vars: nil, wantErr: "-"},
		{name: "empty", vars: map[string]string{ws: " ", cdp: ""}, wantErr: "-"},
		{name: "playwright server", vars: map[string]string{ws: "ws://127.0.0.1:3000/"}},
		{name: "playwright server over tls", vars: map[string]string{ws: "wss://pw.example.com/?token=s3cr3t"}},
		{name: "cdp over http", vars: map[string]string{cdp: "http://127.0.0.1:9222"}, wantCDP: true},
		{name: "browserless", vars: map[string]string{cdp: "wss://chrome.browserless.io?token=s3cr3t"}, wantCDP: true},
		{name: "both", vars: map[string]string{ws: "ws://a:1/", cdp: "http://b:2"}, wantErr: "are both set: unset one"},
		{name: "http for a playwright server", vars: map[string]string{ws: "http://u:s3cr3t@127.0.0.1:3000/?token=s3cr3t"}, wantErr: "AGENTTEST_BROWSER_WS_ENDPOINT=http://REDACTED@127.0.0.1:3000/?token=REDACTED is not a browser endpoint: set a Playwright server's ws:// or wss:// URL"},
		{name: "no host", vars: map[string]string{cdp: "ws:///devtools?token=s3cr3t"}, wantErr: "is not a browser endpoint: set a DevTools endpoint"},
		{name: "not a url", vars: map[string]string{cdp: "127.0.0.1:9222"}, wantErr: "AGENTTEST_BROWSER_CDP_ENDPOINT="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := remoteEndpointFromEnv(config.EnvFromMap(tc.vars))
			switch tc.wantErr {
			case "-":
				require.NoError(t, err)
				assert.Nil(t, e)
			case "":
				require.NoError(t, err)
				require.NotNil(t, e)
				assert.Equal(t, tc.wantCDP, e.cdp)
				assert.NotContains(t, e.shown(), "s3cr3t")
			default:
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), "s3cr3t")
				assert.NotContains(t, err.Error(), "\n")
			}
		})
	}
}

// A CDP endpoint is Chromium's protocol: another browser with it is a
// configuration error, found before the driver starts.
func TestRemoteCDPNeedsChromium(t *testing.T) {
	t.Parallel()
	_, err := launchBrowser(fixtureCtx(t), newSuite(config.EnvFromMap(map[string]string{
		config.VarBrowserCDPEndpoint: "http://127.0.0.1:9222",
		config.VarBrowser:            "firefox",
	})))
	require.ErrorContains(t, err, "connects to Chromium only")
}

// An endpoint where nothing answers fails the launch with one line that
// names the endpoint (redacted), its variable and what to do, and stops
// the driver it started.
func TestRemoteEndpointRefused(t *testing.T) {
	remoteSkipUnlessLinux(t)
	addr := strings.TrimPrefix(fixtureClosedURL(t), "http://") // nothing listens there
	for _, tc := range []struct{ variable, endpoint, want string }{
		{config.VarBrowserWSEndpoint, "ws://user:s3cr3t@" + addr + "/?token=s3cr3t", "connect to the Playwright server ws://REDACTED@" + addr + "/?token=REDACTED (AGENTTEST_BROWSER_WS_ENDPOINT)"},
		{config.VarBrowserCDPEndpoint, "http://" + addr + "/?token=s3cr3t", "connect over CDP http://" + addr + "/?token=REDACTED (AGENTTEST_BROWSER_CDP_ENDPOINT)"},
	} {
		t.Run(tc.variable, func(t *testing.T) {
			before := lifecycleDescendants(os.Getpid())
			b, err := launchBrowser(fixtureCtx(t), newSuite(remoteEnv(t, map[string]string{tc.variable: tc.endpoint})))
			require.Error(t, err)
			require.Nil(t, b)
			msg := err.Error()
			t.Log(msg)
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "or unset "+tc.variable+" to launch a local browser")
			assert.NotContains(t, msg, "s3cr3t")
			assert.NotContains(t, msg, "\n")
			// The driver the launch started is gone.
			var left []int
			for _, pid := range lifecycleDescendants(os.Getpid()) {
				if !slices.Contains(before, pid) {
					left = append(left, pid)
				}
			}
			require.NoError(t, waitGone(left, 20*time.Second))
		})
	}
}

// An endpoint that answers HTTP instead of a WebSocket: Playwright's
// error quotes the endpoint, shown redacted by parsing, so the message
// still says which host answered what.
func TestRemoteEndpointNotAWebSocket(t *testing.T) {
	remoteSkipUnlessLinux(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	b, err := launchBrowser(fixtureCtx(t), newSuite(remoteEnv(t, map[string]string{config.VarBrowserWSEndpoint: "ws://user:s3cr3t@" + host + "/?token=s3cr3t"})))
	require.Error(t, err)
	require.Nil(t, b)
	msg := err.Error()
	t.Log(msg)
	assert.NotContains(t, msg, "s3cr3t")
	assert.NotContains(t, msg, "error: REDACTED", "the endpoint is redacted by parsing, not replaced whole")
	assert.Contains(t, msg, "WebSocket error: ws://REDACTED@"+host+"/ 200 OK")
}

// A Playwright server started by the test on loopback (the driver's own
// run-server, which launches a browser per connection from Playwright's
// browser directory: here one that holds the machine's Chromium) serves
// a real sign-in with a Testing Token, a trace and a revoked session;
// Close leaves the server running.
func TestRemotePlaywrightServerSignsIn(t *testing.T) {
	remoteSkipUnlessLinux(t)
	prov := provision.Load(remoteEnv(t, nil))
	driverDir, err := prov.DriverDir()
	require.NoError(t, err)
	chromium, err := prov.FindBrowser("chromium")
	require.NoError(t, err)
	node := prov.NodePath
	if node == "" {
		node = filepath.Join(driverDir, "node")
	}
	server := remoteStart(t, regexp.MustCompile(`Listening on (ws://\S+)\n`),
		[]string{"PLAYWRIGHT_BROWSERS_PATH=" + remoteBrowsersDir(t, driverDir, chromium)},
		node, filepath.Join(driverDir, "package", "cli.js"), "run-server", "--host", "127.0.0.1", "--port", "0")

	remoteSignIn(t, config.VarBrowserWSEndpoint, server.endpoint)
	assert.True(t, lifecycleAlive(server.pid), "Close ended the Playwright server")
}

// A Chromium started by the test with --remote-debugging-port (as a
// Chrome started elsewhere, or Browserless, runs) serves a real sign-in
// over CDP; Close disconnects and the browser keeps running.
func TestRemoteCDPSignsIn(t *testing.T) {
	remoteSkipUnlessLinux(t)
	chromium, err := provision.Load(remoteEnv(t, nil)).FindBrowser("chromium")
	require.NoError(t, err)
	args := append([]string{"--headless", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--user-data-dir=" + t.TempDir()}, chromiumArgs...)
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox")
	}
	browser := remoteStart(t, regexp.MustCompile(`DevTools listening on (ws://\S+)\n`), nil, chromium, append(args, "about:blank")...)
	ws, err := url.Parse(browser.endpoint)
	require.NoError(t, err)
	endpoint := "http://" + ws.Host // the form a Chrome started elsewhere is known by

	remoteSignIn(t, config.VarBrowserCDPEndpoint, endpoint)
	assert.True(t, lifecycleAlive(browser.pid), "Close ended the remote browser")
	req, err := http.NewRequestWithContext(fixtureCtx(t), http.MethodGet, endpoint+"/json/version", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "the remote browser's DevTools endpoint stopped answering after Close")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// remoteSignIn connects a Browser of its own to the endpoint, signs a
// page in through a stack whose Frontend API wants a Testing Token,
// saves its artifacts, releases it (the session is revoked) and closes
// the Browser.
func remoteSignIn(t *testing.T, variable, endpoint string) {
	t.Helper()
	st := demoapp.RunStackT(t, demoapp.StackOptions{Emulator: clerkemu.Options{BotProtection: true}})
	vars := st.Env()
	vars[variable] = endpoint
	ctx := fixtureCtx(t)
	b, err := launchBrowser(ctx, newSuite(remoteEnv(t, vars)))
	require.NoError(t, err)
	b.ownsSuite = true
	t.Cleanup(func() { _ = b.Close() })
	require.NotNil(t, b.remote)

	page, err := b.NewPage(ctx, AsUser(fixtureAda), RedirectTo("/dashboard"), WithTimeout(15*time.Second))
	t.Cleanup(func() { _ = page.Release(fixtureCleanupCtx(t)) })
	require.NoError(t, err)
	require.NoError(t, page.SignIn(ctx))
	require.NoError(t, fixtureExpect().Locator(page.Locator("header")).ToContainText("Welcome, Ada"))
	assert.Equal(t, 1, st.Emulator.Requests(clerkemu.RouteAcceptTask), "the task URL is fetched exactly once")
	assert.Equal(t, 1, st.Emulator.Requests(clerkemu.RouteTestingTokens), "the Testing Token went through the remote browser's routes")

	dir := t.TempDir()
	require.NoError(t, page.SaveArtifacts(dir))
	for _, name := range []string{"trace.zip", "screenshot.png", "page.html"} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, "artifact %s", name)
		assert.Positive(t, info.Size(), name)
	}

	require.NoError(t, page.Release(fixtureCleanupCtx(t)))
	assert.Empty(t, st.Emulator.Sessions(clerkemu.SessionActive), "Release revokes the session")
	require.NoError(t, b.Close())
}

// remoteEnv is an environment snapshot holding vars and the driver's
// location as this process has it, with ledgers in the test's folder.
func remoteEnv(t *testing.T, vars map[string]string) config.Env {
	t.Helper()
	local, err := config.LoadEnv()
	require.NoError(t, err)
	m := map[string]string{config.VarLedgerDir: t.TempDir()}
	for _, name := range []string{config.VarDriverPath, config.VarNodePath, config.VarBrowsersPath, config.VarBrowserPath} {
		if v, ok := local.Lookup(name); ok {
			m[name] = v
		}
	}
	for k, v := range vars {
		m[k] = v
	}
	return config.EnvFromMap(m)
}

// remoteBrowsersDir is a Playwright browsers directory whose Chromium
// builds (the headless shell and the full browser, at the revisions the
// driver expects) are the machine's Chromium: run-server launches from
// there and ignores the executable path a client asks for.
func remoteBrowsersDir(t *testing.T, driverDir, chromium string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(driverDir, "package", "browsers.json"))
	require.NoError(t, err)
	var manifest struct {
		Browsers []struct{ Name, Revision string }
	}
	require.NoError(t, json.Unmarshal(data, &manifest))
	// Playwright 1.64's layout (Chrome for Testing's), on linux.
	arch := map[string]string{"amd64": "64", "arm64": "-arm64"}[runtime.GOARCH]
	layout := map[string][2]string{
		"chromium":                {"chrome-linux" + arch, "chrome"},
		"chromium-headless-shell": {"chrome-headless-shell-linux" + arch, "chrome-headless-shell"},
	}
	dir := t.TempDir()
	for _, b := range manifest.Browsers {
		exe, ok := layout[b.Name]
		if !ok {
			continue
		}
		at := filepath.Join(dir, strings.ReplaceAll(b.Name, "-", "_")+"-"+b.Revision, exe[0])
		require.NoError(t, os.MkdirAll(at, 0o755))
		require.NoError(t, os.Symlink(chromium, filepath.Join(at, exe[1])))
	}
	return dir
}

// remoteProcess is a process the test started in a process group of its
// own, and the endpoint it printed.
type remoteProcess struct {
	pid      int
	endpoint string
}

// remoteStart starts name with args (and extra variables) in its own
// process group and waits, bounded, for a line matching ready, whose
// first group is the endpoint. When the test ends the whole group is
// killed, and the test fails if any of its processes is left.
func remoteStart(t *testing.T, ready *regexp.Regexp, env []string, name string, args ...string) remoteProcess {
	t.Helper()
	out := &remoteOutput{ready: ready, found: make(chan string, 1)}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 10 * time.Second
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		group := append([]int{pid}, lifecycleDescendants(pid)...)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
		var left []int
		for _, p := range group {
			if p != pid { // reaped by Wait; its pid may be reused
				left = append(left, p)
			}
		}
		assert.NoError(t, waitGone(left, 20*time.Second), "%s outlived the test", filepath.Base(name))
		assert.NoError(t, waitFor(20*time.Second, func() bool { return syscall.Kill(-pid, 0) == syscall.ESRCH }), "a process of %s's group is left", filepath.Base(name))
	})
	select {
	case endpoint := <-out.found:
		return remoteProcess{pid: pid, endpoint: endpoint}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s printed no endpoint within 60 s; its output:\n%s", filepath.Base(name), out.text())
	}
	return remoteProcess{}
}

// remoteOutput collects a process's output and sends the first match of
// ready's group on found.
type remoteOutput struct {
	ready *regexp.Regexp
	found chan string

	mu   sync.Mutex
	buf  strings.Builder
	sent bool
}

func (o *remoteOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	if !o.sent {
		if m := o.ready.FindStringSubmatch(o.buf.String()); m != nil {
			o.sent = true
			o.found <- m[1]
		}
	}
	return len(p), nil
}

func (o *remoteOutput) text() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// remoteSkipUnlessLinux skips tests that read /proc and use process
// groups.
func remoteSkipUnlessLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and kills process groups")
	}
}

// A Playwright server without browsers of its own fails every launch:
// the error says to install one there, not to check the connection.
func TestRemoteFailureWithoutServerBrowsersSaysToInstallOne(t *testing.T) {
	e := &remoteEndpoint{variable: config.VarBrowserWSEndpoint, raw: "ws://user:pw@127.0.0.1:9323/?token=abc"}
	err := e.fail(errors.New("playwright: Executable doesn't exist at /root/.cache/ms-playwright/chromium_headless_shell-1169/chrome-linux/headless_shell"))
	msg := err.Error()
	assert.Contains(t, msg, "the server has no browser of its own to launch: install one on its machine (npx playwright@"+playwrightVersion()+" install chromium)")
	assert.NotContains(t, msg, "check the server is running")
	assert.NotContains(t, msg, "pw@")
	assert.NotContains(t, msg, "abc")
}
