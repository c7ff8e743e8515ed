package agenttest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/agenttask"
	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/fixtures/clerkemu"
	"github.com/agenttest/agenttest/fixtures/demoapp"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/agenttest/agenttest/internal/shellword"
	"github.com/mxschmitt/playwright-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanChildEnv names the file where TestScanChild, run as a child of
// TestFailingSuiteLeavesNoSecret, writes the secrets it saw and the
// environments of its driver and browser processes.
const scanChildEnv = "AGENTTEST_SCAN_CHILD"

// Variables the child gets besides the emulator's: two must not reach
// the driver or the browser, one must.
const (
	scanCanarySecret = "AGENTTEST_SCAN_CANARY_SECRET"
	scanCanaryToken  = "MY_API_TOKEN"
	scanKeep         = "AGENTTEST_SCAN_KEEP"
)

// TestFailingSuiteLeavesNoSecret runs a small suite of failing tests
// (TestScanChild) in a child test binary under `go tool test2json`,
// against an emulator with bot protection, and then greps its -json
// stream and every artifact, unzipped, for every secret it involved: the
// secret key, the Testing Token, every task URL and ticket, every cookie
// value (session tokens, __client, the dev browser token), any JWT
// (handshakes included) and any secret key. It also checks that the
// child's driver and browser processes had no secret variable in their
// environment, that every trace still parses and loads in Playwright's
// trace viewer, that each page of a test kept its own artifacts, and that
// nothing was left behind.
func TestFailingSuiteLeavesNoSecret(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if os.Getenv(scanChildEnv) != "" {
		t.Skip("this is the child")
	}
	goTool := goCommand(t)
	st := demoapp.RunStackT(t, demoapp.StackOptions{Emulator: clerkemu.Options{
		BotProtection: true,
		RateLimit:     clerkemu.RateLimit{Disabled: true},
	}})
	env := st.Env()
	cfg, err := agenttask.ConfigFromEnv(config.EnvFromMap(env))
	require.NoError(t, err)
	client, err := agenttask.NewClient(cfg)
	require.NoError(t, err)
	token, err := client.CreateTestingToken(fixtureCtx(t))
	require.NoError(t, err)

	// The browser is started through a wrapper that writes down the
	// environment it was given, then runs the real one.
	parentEnv, err := config.LoadEnv()
	require.NoError(t, err)
	chromium, err := provision.Load(parentEnv).FindBrowser("chromium")
	require.NoError(t, err)
	browserEnvDir := t.TempDir()
	wrapper := filepath.Join(t.TempDir(), "chromium")
	require.NoError(t, os.WriteFile(wrapper, []byte("#!/bin/sh\nenv > "+shellword.Quote(browserEnvDir)+"/chromium.$$\nexec "+shellword.Quote(chromium)+` "$@"`+"\n"), 0o700))

	work := t.TempDir()
	artifacts := filepath.Join(work, "artifacts")
	manifest := filepath.Join(t.TempDir(), "manifest") // not scanned: it lists the secrets
	childEnv := append(os.Environ(),
		scanChildEnv+"="+manifest,
		config.VarArtifactsDir+"="+artifacts,
		config.VarTestingToken+"="+token.Value(),
		scanCanarySecret+"=canary-secret-0123456789",
		scanCanaryToken+"=canary-token-0123456789",
		scanKeep+"=keep-me",
		config.VarBrowserPath+"="+wrapper,
	)
	for name, value := range env {
		childEnv = append(childEnv, name+"="+value)
	}
	cmd := exec.Command(goTool, "tool", "test2json", "-t", "-p", "agenttest", os.Args[0],
		"-test.v=test2json", "-test.run=^TestScanChild$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = childEnv
	var stream bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stream, &stream
	err = cmd.Run()
	require.Error(t, err, "the child's tests fail on purpose:\n%s", stream.String())
	out := stream.String()

	// The child ran every case and failed each the way it meant to.
	for _, name := range []string{"signed_in_then_fails", "opens_its_own_task_then_fails", "opens_a_task_that_leads_nowhere", "sign_in_fails_after_the_ticket_was_spent"} {
		assert.Contains(t, out, `"Action":"fail","Package":"agenttest","Test":"TestScanChild/`+name+`"`, "case %s", name)
	}
	assert.Regexp(t, `agenttest: open task agttsk_\w+: navigate: [^"]*ERR_CONNECTION_REFUSED at http://[^"]*/v1/agents/tasks\?ticket=REDACTED`, out, "OpenTask's error names the task and the failure, and redacts the URL Playwright quoted")
	assert.Contains(t, out, "check: the check fails", "the sign-in's error is printed")
	assert.NotContains(t, out, "panic:")

	m := readScanManifest(t, manifest)
	secrets := append(m.secrets, st.Emulator.SecretKey(), token.Value(), "canary-secret-0123456789", "canary-token-0123456789")
	require.GreaterOrEqual(t, len(m.secrets), 12, "tickets, task URLs and cookie values of four tests")

	// The scan can fail: the manifest itself is full of secrets.
	manifestData, err := os.ReadFile(manifest)
	require.NoError(t, err)
	require.NotEmpty(t, scanForSecrets(string(manifestData), secrets), "the scan finds what the manifest lists")

	// Every output: the -json stream and every artifact, zips unzipped.
	blobs := map[string]string{"go test -json stream": out}
	var traces []string
	require.NoError(t, filepath.WalkDir(artifacts, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".zip") {
			traces = append(traces, p)
			for name, data := range unzipEntries(t, p) {
				blobs[p+"!"+name] = string(data)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		blobs[p] = string(data)
		return err
	}))
	var scanned int
	for where, text := range blobs {
		scanned += len(text)
		for _, hit := range scanForSecrets(text, secrets) {
			t.Errorf("%s holds a secret: %s", where, hit)
		}
	}
	t.Logf("scanned %d outputs (%d bytes) for %d secrets and the JWT and secret key shapes", len(blobs), scanned, len(secrets))

	// Each page of a test kept its own artifacts.
	first := filepath.Join(artifacts, "TestScanChild_signed_in_then_fails")
	for _, dir := range []string{first, filepath.Join(first, "page-2")} {
		for _, name := range []string{artifactScreenshot, artifactTrace, artifactHTML, artifactConsole} {
			assert.FileExists(t, filepath.Join(dir, name))
		}
	}
	console, err := os.ReadFile(filepath.Join(first, "page-2", artifactConsole))
	require.NoError(t, err)
	assert.Contains(t, string(console), "another page's task: http://", "page 2 showed page 1's task URL, redacted")
	require.Len(t, traces, 5, "a trace per page: %v", traces)

	// The driver and the browser ran without the secret variables: the
	// driver's environment as /proc shows it, the browser's as its
	// wrapper saw it at start (Chromium writes its process title over
	// /proc/<pid>/environ), and no secret value in any process's bytes.
	require.NotEmpty(t, m.procs, "the child reported no process")
	var kinds []string
	for _, p := range m.procs {
		if p.comm == "node" {
			assert.True(t, p.kept, "process %s (%s) lost the harmless %s: the check reads the wrong environment", p.pid, p.comm, scanKeep)
		}
		assert.Empty(t, p.leaked, "process %s (%s) has secret variables", p.pid, p.comm)
		kinds = append(kinds, p.comm)
	}
	assert.Contains(t, kinds, "node", "the driver among %v", kinds)
	assert.True(t, slices.ContainsFunc(kinds, func(c string) bool { return strings.Contains(c, "chrom") }), "a chromium among %v", kinds)
	dumps, err := filepath.Glob(filepath.Join(browserEnvDir, "chromium.*"))
	require.NoError(t, err)
	require.Len(t, dumps, 1, "the shared browser started once, through the wrapper")
	browserEnv, err := os.ReadFile(dumps[0])
	require.NoError(t, err)
	// Booleans, not the dump: a failure must not print the environment.
	assert.True(t, strings.Contains(string(browserEnv), "\n"+scanKeep+"=keep-me\n"), "the browser's environment lost the harmless %s", scanKeep)
	for _, name := range []string{config.VarSecretKey, config.VarTestingToken, scanCanarySecret, scanCanaryToken} {
		assert.False(t, strings.Contains(string(browserEnv), "\n"+name+"="), "the browser's environment has %s", name)
	}
	assert.Zero(t, len(scanForSecrets(string(browserEnv), secrets)), "secret values in the browser's environment")

	// Nothing left behind.
	assert.Empty(t, st.Emulator.Tasks(clerkemu.TaskPending), "pending tasks")
	assert.Empty(t, st.Emulator.Sessions(clerkemu.SessionActive), "active sessions")

	// Every trace parses and loads in Playwright's own trace viewer.
	viewer := NewPage(t, WithArtifactsDir(t.TempDir()))
	for _, trace := range traces {
		require.NoError(t, checkTraceParses(trace), trace)
		body := loadInTraceViewer(t, viewer, trace, strings.Contains(trace, "page-2"))
		for _, hit := range scanForSecrets(body, secrets) {
			t.Errorf("the trace viewer shows a secret of %s: %s", trace, hit)
		}
	}
}

// TestScanChild is the failing suite of TestFailingSuiteLeavesNoSecret:
// each case does what real tests do and fails, so that every artifact
// is saved, and the child records the secrets it saw.
func TestScanChild(t *testing.T) {
	file := os.Getenv(scanChildEnv)
	if file == "" {
		t.Skip("runs only as the child of TestFailingSuiteLeavesNoSecret")
	}
	m := &scanRecorder{path: file}

	t.Run("signed in then fails", func(t *testing.T) {
		page := SignIn(t, RedirectTo("/dashboard"))
		m.task(t, page.Task())
		// A careless app shows the task URL and the cookies, and sends
		// them in a request's query and Authorization header.
		_, err := page.Evaluate(`async (u) => {
			console.log("visited " + u + " cookies " + document.cookie);
			document.body.append(u, document.cookie);
			await fetch("/api/me?ticket=" + encodeURIComponent(u), {headers: {Authorization: "Bearer " + document.cookie}});
		}`, page.Task().URL())
		require.NoError(t, err)
		m.cookies(t, page)
		// A second page shows the first page's task URL.
		second := NewPage(t)
		_, err = second.Goto("/")
		require.NoError(t, err)
		_, err = second.Evaluate(`(u) => console.log("another page's task: " + u)`, page.Task().URL())
		require.NoError(t, err)
		m.processes(t)
		t.Error("fails on purpose, to keep the artifacts")
	})

	t.Run("opens its own task then fails", func(t *testing.T) {
		task := NewTask(t, RedirectTo("/dashboard"))
		m.task(t, task)
		page := NewPage(t)
		require.NoError(t, page.OpenTask(t.Context(), task), "a valid task signs the page in")
		require.NoError(t, page.OpenTask(t.Context(), task), "a used one is refused, not an error")
		m.cookies(t, page)
		t.Error("fails on purpose, to keep the artifacts")
	})

	t.Run("opens a task that leads nowhere", func(t *testing.T) {
		task := NewTask(t, RedirectTo(fixtureClosedURL(t)+"/dead"))
		m.task(t, task)
		page := NewPage(t)
		err := page.OpenTask(t.Context(), task)
		require.Error(t, err, "the redirect goes to a closed port")
		m.cookies(t, page)
		t.Error(err) // Playwright quoted the redirect, handshake and all
	})

	t.Run("sign in fails after the ticket was spent", func(t *testing.T) {
		page := NewPage(t)
		err := page.SignIn(t.Context(), RedirectTo("/dashboard"), WithCheck(func(*Page) error {
			return errors.New("the check fails")
		}))
		require.Error(t, err)
		m.task(t, page.Task())
		m.cookies(t, page)
		t.Error(err)
	})
}

// scanRecorder writes what the child saw to the manifest, a line each.
type scanRecorder struct {
	path string
	mu   sync.Mutex
}

// add appends lines to the manifest.
func (r *scanRecorder) add(t *testing.T, lines ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(r.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer f.Close()
	for _, line := range lines {
		_, err := fmt.Fprintln(f, line)
		require.NoError(t, err)
	}
}

// task records a task's URL and ticket.
func (r *scanRecorder) task(t *testing.T, task *Task) {
	require.NotNil(t, task)
	u, err := url.Parse(task.URL())
	require.NoError(t, err)
	ticket := u.Query().Get("ticket")
	require.NotEmpty(t, ticket)
	r.add(t, "secret\t"+task.URL(), "secret\t"+ticket)
}

// cookies records every cookie value of the page's context that could
// be a credential.
func (r *scanRecorder) cookies(t *testing.T, p *Page) {
	cookies, err := p.BrowserContext.Cookies()
	require.NoError(t, err)
	var lines []string
	for _, c := range cookies {
		if len(c.Value) >= minCookieSecret {
			lines = append(lines, "secret\t"+c.Value)
		}
	}
	r.add(t, lines...)
}

// processes records, for each process below this one (the driver and
// the browser), whether its environment holds the harmless variable and
// which secret names or values it holds. Chromium writes its process
// title over its initial environment, so only the values are looked for
// in its bytes; the browser's environment is read at its start by the
// wrapper TestFailingSuiteLeavesNoSecret gives as its executable.
func (r *scanRecorder) processes(t *testing.T) {
	secretNames := []string{config.VarSecretKey, config.VarTestingToken, scanCanarySecret, scanCanaryToken}
	secretValues := []string{os.Getenv(config.VarSecretKey), os.Getenv(config.VarTestingToken), os.Getenv(scanCanarySecret), os.Getenv(scanCanaryToken)}
	var lines []string
	for _, pid := range lifecycleDescendants(os.Getpid()) {
		environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			continue // exited meanwhile
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		vars := strings.Split(string(environ), "\x00")
		kept := slices.Contains(vars, scanKeep+"=keep-me")
		var leaked []string
		for _, v := range vars {
			name, _, _ := strings.Cut(v, "=")
			if slices.Contains(secretNames, name) {
				leaked = append(leaked, name)
			}
		}
		for i, v := range secretValues {
			if v != "" && bytes.Contains(environ, []byte(v)) {
				leaked = append(leaked, "the value of "+secretNames[i])
			}
		}
		lines = append(lines, fmt.Sprintf("proc\t%d\t%s\t%v\t%s", pid, strings.TrimSpace(string(comm)), kept, strings.Join(leaked, ",")))
	}
	r.add(t, lines...)
}

// scanManifest is what the child recorded.
type scanManifest struct {
	secrets []string
	procs   []scanProc
}

// scanProc is one driver or browser process the child checked.
type scanProc struct {
	pid    string
	comm   string
	kept   bool
	leaked string
}

// readScanManifest reads the child's manifest.
func readScanManifest(t *testing.T, file string) scanManifest {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var m scanManifest
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		switch {
		case f[0] == "secret" && len(f) == 2:
			m.secrets = append(m.secrets, f[1])
		case f[0] == "proc" && len(f) == 5:
			m.procs = append(m.procs, scanProc{pid: f[1], comm: f[2], kept: f[3] == "true", leaked: f[4]})
		default:
			t.Fatalf("bad manifest line %q", line)
		}
	}
	return m
}

// scanJWT and scanSecretKey are the shapes of a credential that the
// scan looks for besides the exact values.
var (
	scanJWT       = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.`)
	scanSecretKey = regexp.MustCompile(`sk_(?:test|live)_[A-Za-z0-9]{1,8}`)
)

// scanForSecrets lists where text holds one of the secrets (raw or
// query-escaped), a JWT or a secret key other than its redacted form.
func scanForSecrets(text string, secrets []string) []string {
	var hits []string
	show := func(i int) string {
		return fmt.Sprintf("%q", text[max(0, i-60):min(len(text), i+60)])
	}
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if i := strings.Index(text, form); i >= 0 {
				hits = append(hits, "a listed secret at "+show(i))
			}
		}
	}
	for _, loc := range scanJWT.FindAllStringIndex(text, 3) {
		hits = append(hits, "a JWT at "+show(loc[0]))
	}
	for _, loc := range scanSecretKey.FindAllStringIndex(text, -1) {
		if !strings.HasPrefix(text[loc[0]:], "sk_test_"+redact.Placeholder) && !strings.HasPrefix(text[loc[0]:], "sk_live_"+redact.Placeholder) {
			hits = append(hits, "a secret key at "+show(loc[0]))
		}
	}
	return hits
}

// unzipEntries reads every entry of a zip.
func unzipEntries(t *testing.T, file string) map[string][]byte {
	zr, err := zip.OpenReader(file)
	require.NoError(t, err)
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err, "%s in %s", f.Name, file)
		out[f.Name] = data
	}
	return out
}

// checkTraceParses checks a trace's structure: every entry unzips (the
// checksums hold), every line of its event files and every JSON entry
// parses, and it has the events the viewer starts from.
func checkTraceParses(file string) error {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return err
	}
	defer zr.Close()
	var errs []error
	seen := map[string]bool{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		seen[f.Name] = true
		switch path.Ext(f.Name) {
		case ".trace", ".network":
			for i, line := range bytes.Split(data, []byte("\n")) {
				if len(bytes.TrimSpace(line)) > 0 && !json.Valid(line) {
					errs = append(errs, fmt.Errorf("%s line %d is not JSON", f.Name, i+1))
				}
			}
		case ".stacks":
			if !json.Valid(data) {
				errs = append(errs, fmt.Errorf("%s is not JSON", f.Name))
			}
		}
	}
	for _, name := range []string{"trace.trace", "trace.network"} {
		if !seen[name] {
			errs = append(errs, fmt.Errorf("no %s", name))
		}
	}
	return errors.Join(errs...)
}

// loadInTraceViewer serves a trace with the driver's own viewer
// (`cli.js show-trace --host 127.0.0.1 --port 0`), opens it in page, and
// checks that it shows the trace's actions and no load error; unless
// plain, one of them is the navigation to a task URL, redacted. It
// returns the text the viewer showed.
func loadInTraceViewer(t *testing.T, page *Page, trace string, plain bool) string {
	t.Helper()
	env, err := config.LoadEnv()
	require.NoError(t, err)
	driverDir, err := provision.Load(env).DriverDir()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// No PATH: with --host the viewer also tries to open a desktop
	// browser (xdg-open), which must not happen on a developer's machine.
	cmd := exec.CommandContext(ctx, filepath.Join(driverDir, "node"), filepath.Join(driverDir, "package", "cli.js"),
		"show-trace", "--host", "127.0.0.1", "--port", "0", trace)
	cmd.Env = []string{"PATH=", "HOME=" + t.TempDir()}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	listening := regexp.MustCompile(`Listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	sc := bufio.NewScanner(stdout) // ends when the viewer exits or ctx kills it
	for base == "" && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
	}
	require.NotEmpty(t, base, "the trace viewer did not say where it listens")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	_, err = page.Goto(base + "/")
	require.NoError(t, err)
	expect := fixtureExpect()
	titles := page.Locator(".action-title")
	require.NoError(t, expect.Locator(titles.First()).ToBeVisible(), "the viewer lists the trace's actions")
	if !plain {
		require.NoError(t, expect.Locator(titles.Filter(playwright.LocatorFilterOptions{HasText: "/v1/agents/tasks?ticket=" + redact.Placeholder}).First()).ToBeVisible(),
			"the viewer shows the navigation to the task URL, redacted")
	}
	require.NoError(t, expect.Locator(page.Locator(".processing-error")).ToHaveCount(0), "the viewer shows no load error")
	text, err := page.Locator("body").InnerText()
	require.NoError(t, err)
	return text
}

// goCommand is the go command that runs this test, for `go tool
// test2json`.
func goCommand(t *testing.T) string {
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to run test2json")
	}
	return p
}

// fakeDriverDir is a driver directory with an empty package/ folder,
// for cleanEnvDriverDir to wrap.
func fakeDriverDir(t *testing.T) string {
	t.Helper()
	driver := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(driver, "package"), 0o755))
	return driver
}

func TestCleanEnvDriverDirRunsNodeWithoutSecrets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the driver runs as playwright-go starts it on Windows")
	}
	t.Parallel()
	driver := fakeDriverDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(driver, "package", "cli.js"), []byte("//"), 0o644))
	envPath, err := exec.LookPath("env")
	require.NoError(t, err)
	// /usr/bin/env stands in for Node.js: it prints the environment the
	// wrapper gives it.
	dir, remove, err := cleanEnvDriverDir(driver, envPath, "")
	require.NoError(t, err)
	cli, err := os.ReadFile(filepath.Join(dir, "package", "cli.js"))
	require.NoError(t, err)
	assert.Equal(t, "//", string(cli), "the driver package is the real one")

	cmd := exec.Command(filepath.Join(dir, "node"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "KEEP_ME=1", "PLAYWRIGHT_BROWSERS_PATH=0", "CLERK_PUBLISHABLE_KEY=pk_test_x",
		"CLERK_SECRET_KEY=sk_test_x", "CLERK_TESTING_TOKEN=t", "GITHUB_TOKEN=g", "aws_secret_access_key=a",
		"DB_PASSWORD=p", "OPENAI_API_KEY=o", "AGENTTEST_BROWSER_CDP_ENDPOINT=wss://b?token=x",
	}
	out, err := cmd.Output()
	require.NoError(t, err)
	var names []string
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		name, _, _ := strings.Cut(line, "=")
		names = append(names, name)
	}
	assert.Subset(t, names, []string{"PATH", "KEEP_ME", "PLAYWRIGHT_BROWSERS_PATH"})
	for _, name := range []string{"CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY", "CLERK_TESTING_TOKEN", "GITHUB_TOKEN", "aws_secret_access_key", "DB_PASSWORD", "OPENAI_API_KEY", "AGENTTEST_BROWSER_CDP_ENDPOINT"} {
		assert.NotContains(t, names, name)
	}

	// Arguments pass through, quotes and all.
	out, err = exec.Command(filepath.Join(dir, "node"), "echo", "it's", "$HOME").Output()
	require.NoError(t, err)
	assert.Equal(t, "it's $HOME\n", string(out))

	require.NoError(t, remove())
	assert.NoDirExists(t, dir)
	assert.DirExists(t, filepath.Join(driver, "package"), "removing the wrapper leaves the driver alone")
}

// With the version provision checked, the wrapper answers playwright-go's
// version check itself; any other command still runs Node.js.
func TestCleanEnvDriverDirAnswersTheVersionCheck(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the driver runs as playwright-go starts it on Windows")
	}
	t.Parallel()
	driver := fakeDriverDir(t)
	// A "Node.js" that records that it ran.
	ran := filepath.Join(t.TempDir(), "ran")
	fake := filepath.Join(t.TempDir(), "node")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho \"$@\" >> "+shellword.Quote(ran)+"\necho from-node\n"), 0o755))
	dir, remove, err := cleanEnvDriverDir(driver, fake, "1.64.1")
	require.NoError(t, err)
	defer remove()
	cli := filepath.Join(dir, "package", "cli.js")

	out, err := exec.Command(filepath.Join(dir, "node"), cli, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "Version 1.64.1\n", string(out), "the form playwright-go looks for")
	assert.NoFileExists(t, ran, "Node.js did not start for the version check")

	for _, args := range [][]string{{cli, "run-driver"}, {"other.js", "--version"}, {cli, "--version", "x"}} {
		out, err := exec.Command(filepath.Join(dir, "node"), args...).Output()
		require.NoError(t, err)
		assert.Equal(t, "from-node\n", string(out), "%v runs Node.js", args)
	}
	log, err := os.ReadFile(ran)
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(log), "\n"))
}

func TestCleanEnvDriverDirFailsClosed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the driver runs as playwright-go starts it on Windows")
	}
	t.Parallel()
	envPath, err := exec.LookPath("env")
	require.NoError(t, err)
	dir, remove, err := cleanEnvDriverDir(t.TempDir(), envPath, "")
	require.NoError(t, err)
	defer remove()
	// Without awk the wrapper cannot list the variables: it must not run
	// the driver with them.
	cmd := exec.Command(filepath.Join(dir, "node"))
	cmd.Env = []string{"PATH=" + t.TempDir(), "CLERK_SECRET_KEY=sk_test_x"}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.NotContains(t, string(out), "sk_test_x")
}

func TestRedactTraceEntry(t *testing.T) {
	t.Parallel()
	var r redact.Set
	r.AddURL("http://f.dev/v1/agents/tasks?ticket=tkt_0123456789")
	png := []byte("\x89PNG\r\n\x1a\nticket=tkt_0123456789")
	for _, c := range []struct {
		name, in, want string
		err            bool
	}{
		{"trace.trace", "{\"url\":\"http://f.dev/v1/agents/tasks?ticket=tkt_0123456789\"}\n", "{\"url\":\"http://f.dev/v1/agents/tasks?ticket=REDACTED\"}\n", false},
		{"trace.network", "{\"a\":\"__session=abc\"}\nnot json tkt_0123456789\n", "{\"a\":\"__session=REDACTED\"}\n", true},
		{"trace.stacks", `{"files":["/a.go"],"stacks":[[1,[[0,1,2,"x"]]]]}`, `{"files":["/a.go"],"stacks":[[1,[[0,1,2,"x"]]]]}`, false},
		{"resources/ab.json", `{"jwt":"opaque"}`, `{"jwt":"REDACTED"}`, false},
		{"resources/ab.json", `not json: tkt_0123456789`, `not json: REDACTED`, false},
		{"resources/ab.html", `<a href="/x?__clerk_handshake=abc">tkt_0123456789</a>`, `<a href="/x?__clerk_handshake=REDACTED">REDACTED</a>`, false},
		{"resources/ab.png", string(png), string(png), false},
		{"resources/ab.bin", "\x00\x01tkt_0123456789", "\x00\x01tkt_0123456789", false},
	} {
		got, err := redactTraceEntry(c.name, []byte(c.in), &r)
		assert.Equal(t, c.err, err != nil, "%s: %v", c.name, err)
		assert.Equal(t, c.want, string(got), c.name)
	}
}

func TestRedactTraceKeepsEveryEntry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "raw.zip"), filepath.Join(dir, "trace.zip")
	f, err := os.Create(src)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"trace.trace":           "{\"type\":\"before\",\"params\":{\"url\":\"http://f/?ticket=t1\"}}\n",
		"trace.network":         "{\"type\":\"resource-snapshot\"}\n",
		"resources/x.jpeg":      "\xff\xd8\xff",
		"resources/page.html":   "<p>__client=c1</p>",
		"resources/answer.json": `{"token":"t2"}`,
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = io.WriteString(w, body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())

	require.NoError(t, redactTrace(src, dst, &redact.Set{}))
	got := unzipEntries(t, dst)
	require.Len(t, got, 5)
	assert.Equal(t, "\xff\xd8\xff", string(got["resources/x.jpeg"]))
	assert.Equal(t, `{"token":"REDACTED"}`, string(got["resources/answer.json"]))
	assert.Equal(t, "<p>__client=REDACTED</p>", string(got["resources/page.html"]))
	assert.Contains(t, string(got["trace.trace"]), "ticket=REDACTED")
	require.NoError(t, checkTraceParses(dst))

	// A source that is not a zip leaves nothing behind.
	require.NoError(t, os.WriteFile(src, []byte("not a zip"), 0o644))
	require.Error(t, redactTrace(src, filepath.Join(dir, "none.zip"), &redact.Set{}))
	assert.NoFileExists(t, filepath.Join(dir, "none.zip"))
}

func TestEachPageOfATestGetsItsOwnArtifactsDir(t *testing.T) {
	t.Parallel()
	s := newSuite(config.EnvFromMap(map[string]string{config.VarArtifactsDir: "/arts"}))
	ft := fixtureNewFakeT(t, "TestTwo/pages")
	other := fixtureNewFakeT(t, "TestOther")
	var pages []*Page
	ft.run(func(tb testing.TB) {
		for range 3 {
			p := &Page{suite: s}
			p.claimArtifactsSlot(tb)
			pages = append(pages, p)
		}
		o := &Page{suite: s}
		o.claimArtifactsSlot(other)
		assert.Equal(t, "/arts/TestOther", pageArtifactsDir(other, o), "another test counts its own pages")
	})
	assert.Equal(t, "/arts/TestTwo_pages", pageArtifactsDir(ft, pages[0]))
	assert.Equal(t, "/arts/TestTwo_pages/page-2", pageArtifactsDir(ft, pages[1]))
	assert.Equal(t, "/arts/TestTwo_pages/page-3", pageArtifactsDir(ft, pages[2]))
	_, counting := s.pagesOpened.Load(testing.TB(ft))
	assert.False(t, counting, "the count is dropped when the test ends")
	assert.Equal(t, "test-results/TestX", pageArtifactsDir(fixtureNewFakeT(t, "TestX"), &Page{}), "a page without a suite")
}

func TestOpenTaskRefusesWhatItCannotOpen(t *testing.T) {
	t.Parallel()
	var p *Page
	err := p.OpenTask(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agenttest: open task: no task")
	task := &Task{Task: &agenttask.Task{ID: "agttsk_1"}}
	err = (&Page{}).OpenTask(context.Background(), task)
	require.Error(t, err)
	assert.Equal(t, "agenttest: open task agttsk_1: the page was not opened: use agenttest.NewPage, agenttest.NewPageContext or Browser.NewPage", err.Error())
}

// A test's new run clears what its earlier failed run saved: only the
// fixture's own files, so a folder with something else in it stays.
func TestClearStaleArtifacts(t *testing.T) {
	write := func(dir string, names ...string) {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, n := range names {
			require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644))
		}
	}
	ours := []string{artifactScreenshot, artifactTrace, artifactHTML, artifactConsole}

	gone := filepath.Join(t.TempDir(), "TestA")
	write(gone, ours...)
	write(filepath.Join(gone, "page-2"), ours...)
	clearStaleArtifacts(gone)
	_, err := os.Stat(gone)
	assert.ErrorIs(t, err, os.ErrNotExist, "only the fixture's files: the folder goes")

	kept := filepath.Join(t.TempDir(), "TestB")
	write(kept, append(ours, "notes.txt")...)
	write(filepath.Join(kept, "page-2"), ours...)
	write(filepath.Join(kept, "other"), artifactScreenshot)
	clearStaleArtifacts(kept)
	left, err := os.ReadDir(kept)
	require.NoError(t, err)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"notes.txt", "other"}, names, "the user's files and folders stay; page-2 went")
	_, err = os.Stat(filepath.Join(kept, "other", artifactScreenshot))
	assert.NoError(t, err, "a folder that is not page-n is not ours")
}

// artifactsChildEnv marks the child of TestPassingTestsMakeNoArtifactDirs.
const artifactsChildEnv = "AGENTTEST_TEST_ARTIFACTS_CHILD"

// Under go test -artifacts, a test that passes leaves no folder behind:
// the fixture removes the t.ArtifactDir it named early (see
// TestArtifactDirIsNamedBeforeTheTestsOutput) when nothing went in it.
func TestPassingTestsMakeNoArtifactDirs(t *testing.T) {
	out, transcript, err := runArtifactsChild(t, "1")
	require.NoError(t, err, "the child passes:\n%s", transcript)
	require.Contains(t, string(transcript), "--- PASS: TestArtifactsChild")
	var made []string
	require.NoError(t, filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		// go test makes _artifacts itself; what goes in it is ours.
		if err == nil && p != out && p != filepath.Join(out, "_artifacts") {
			made = append(made, strings.TrimPrefix(p, out))
		}
		return err
	}))
	assert.Empty(t, made, "a passing test left these under -outputdir")
}

// TestArtifactsChild is the child of TestPassingTestsMakeNoArtifactDirs:
// a page that loads something, and a test that passes.
func TestArtifactsChild(t *testing.T) {
	if os.Getenv(artifactsChildEnv) == "" {
		t.Skip("runs only as the child of TestPassingTestsMakeNoArtifactDirs")
	}
	page := NewPage(t)
	_, err := page.Goto("data:text/html,<h1>child</h1>")
	require.NoError(t, err)
	if os.Getenv(artifactsChildEnv) == "fail" {
		assert.Equal(t, "child", "grown-up", artifactsChildAssertion)
	}
}

// runArtifactsChild runs TestArtifactsChild in mode under go test
// -artifacts, with args, and returns its -outputdir and its output. It
// skips in the child itself.
func runArtifactsChild(t *testing.T, mode string, args ...string) (out string, transcript []byte, err error) {
	if os.Getenv(artifactsChildEnv) != "" {
		t.Skip("this is the child")
	}
	t.Parallel()
	out = t.TempDir()
	cmd := childTest("TestArtifactsChild", append([]string{"-test.artifacts", "-test.outputdir=" + out}, args...)...)
	cmd.Env = append(os.Environ(), artifactsChildEnv+"="+mode)
	transcript, err = cmd.CombinedOutput()
	return out, transcript, err
}

// artifactsChildAssertion is the message of the failing child's own
// assertion.
const artifactsChildAssertion = "the child's own assertion"

// Under go test -artifacts, the artifacts event that naming
// t.ArtifactDir sends comes before the test's own output: gotestsum
// takes that event as the test's end and keeps only what follows as the
// failure's text (JUnit, its summary), so sent at cleanup it left the
// assertion's message out.
func TestArtifactDirIsNamedBeforeTheTestsOutput(t *testing.T) {
	out, transcript, err := runArtifactsChild(t, "fail", "-test.v=test2json")
	require.Error(t, err, "the child fails:\n%s", transcript)
	named := strings.Index(string(transcript), "=== ARTIFACTS TestArtifactsChild ")
	asserted := strings.Index(string(transcript), artifactsChildAssertion)
	require.NotEqual(t, -1, named, "%s", transcript)
	require.NotEqual(t, -1, asserted, "%s", transcript)
	assert.Less(t, named, asserted, "the folder is named before the test's assertion:\n%s", transcript)
	assert.Contains(t, string(transcript), "agenttest: artifacts of the failed test are in "+out)
}

// A sign-in that failed before its page navigated (Clerk has no such
// user) keeps no artifacts (a blank screenshot, an empty trace) and says
// so; a failed test whose page is blank for its own reasons keeps them.
func TestSignInFailedBeforeNavigatingKeepsNoArtifacts(t *testing.T) {
	t.Parallel()
	s := fixtureStart(t)
	base := t.TempDir()
	early := fixtureNewFakeT(t, "TestNobody")
	early.run(func(tb testing.TB) {
		SignIn(tb, s.opts(AsUser("user_nobody0000000000000000000"), WithArtifactsDir(base))...)
	})
	require.True(t, early.Failed())
	assert.Contains(t, early.output(), "agenttest: no artifacts: the sign-in failed before its page loaded anything")
	assert.NoDirExists(t, filepath.Join(base, "TestNobody"))

	blank := fixtureNewFakeT(t, "TestBlank")
	blank.run(func(tb testing.TB) {
		NewPage(tb, WithArtifactsDir(base))
		tb.Errorf("the test failed before it navigated")
	})
	assert.Contains(t, blank.output(), "artifacts of the failed test are in")
	assert.FileExists(t, filepath.Join(base, "TestBlank", artifactScreenshot))
}

// The raw traces being saved are removed by an early end (endEarly calls
// rawTraces.removeAll, last), since the save's own removal then never
// runs; a save that starts after it records nothing;
// one whose save finished is forgotten.
func TestTempFilesRemoveWhatIsRecorded(t *testing.T) {
	dir := t.TempDir()
	var f tempFiles
	saving := filepath.Join(dir, "saving.zip")
	saved := filepath.Join(dir, "saved.zip")
	for _, p := range []string{saving, saved} {
		require.NoError(t, os.WriteFile(p, []byte("raw"), 0o600))
	}
	f.add(saving)
	forget, _ := f.add(saved)
	forget()
	f.removeAll()
	_, err := os.Stat(saving)
	assert.ErrorIs(t, err, os.ErrNotExist, "the trace being saved is removed")
	_, err = os.Stat(saved)
	assert.NoError(t, err, "a forgotten file is not the set's to remove")

	// A save that starts after the early end records nothing to fill.
	late := filepath.Join(dir, "late.zip")
	require.NoError(t, os.WriteFile(late, []byte("raw"), 0o600))
	_, ok := f.add(late)
	assert.False(t, ok, "a file added after removeAll is refused")
	_, err = os.Stat(late)
	assert.ErrorIs(t, err, os.ErrNotExist, "a file added after removeAll is removed at once")
}
