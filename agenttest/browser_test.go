package agenttest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/agenttest/agenttest/agenttest/provision"
	"github.com/agenttest/agenttest/internal/redact"
	"github.com/stretchr/testify/require"
)

// A headless run launches the headless shell when one is on PATH and
// neither AGENTTEST_BROWSER_PATH nor Playwright's own download says
// otherwise: the shared browser's process is the shell's executable.
func TestHeadlessRunsLaunchTheHeadlessShell(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the browser's process from /proc")
	}
	shell, err := exec.LookPath("chromium-headless-shell")
	if err != nil {
		t.Skip("no chromium-headless-shell on PATH (make setup installs Debian's)")
	}
	r, err := currentRun()
	require.NoError(t, err)
	env := r.suite.env
	if v, _ := env.Lookup(config.VarBrowserPath); v != "" {
		t.Skipf("%s chooses the browser", config.VarBrowserPath)
	}
	if v, _ := env.Lookup(config.VarHeaded); v != "" && v != "0" {
		t.Skip("a headed run")
	}
	if found, err := provision.Load(env).FindHeadlessBrowser("chromium"); err != nil || found == "" {
		t.Skipf("Playwright's own headless shell is installed (%q, %v): Playwright launches it", found, err)
	}
	b, err := r.sharedBrowser(t.Context())
	require.NoError(t, err)
	require.Equal(t, shell, b.settings.path)

	// Debian's /usr/bin/chromium-headless-shell is a script that runs the
	// binary beside the full browser's: look for a process of that binary
	// among this test binary's descendants (the driver's children).
	want := "chromium-headless-shell"
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var exes []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || !strings.Contains(exe, "chrom") || !descendsFrom(e.Name(), os.Getpid()) {
			continue
		}
		if filepath.Base(exe) == want {
			return
		}
		exes = append(exes, exe)
	}
	t.Fatalf("no %s process under this test binary; its Chromium processes run %v", want, exes)
}

// The browser agenttest launches runs with Playwright's list of disabled
// Chromium features: Chromium keeps only the last --disable-features, so
// a list of agenttest's own after Playwright's would switch Playwright's
// back on (HttpsUpgrades, ThirdPartyStoragePartitioning, PaintHolding
// and more: Playwright 1.64's list).
func TestLaunchedChromiumKeepsPlaywrightsDisabledFeatures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the browser's process from /proc")
	}
	r, err := currentRun()
	require.NoError(t, err)
	b, err := r.sharedBrowser(t.Context())
	require.NoError(t, err)
	if b.remote != nil || b.settings.kind != "chromium" {
		t.Skip("a remote browser or not Chromium: no Chromium of this binary's")
	}
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !descendsFrom(e.Name(), os.Getpid()) {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if !slices.Contains(args, "--remote-debugging-pipe") {
			continue // not the browser's main process
		}
		last := ""
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--disable-features="); ok {
				last = v
			}
		}
		features := strings.Split(last, ",")
		require.Subset(t, features, []string{"HttpsUpgrades", "ThirdPartyStoragePartitioning", "PaintHolding"},
			"the browser's last --disable-features, the one Chromium keeps, lacks Playwright's")
		return
	}
	t.Fatal("no browser process with --remote-debugging-pipe under this test binary")
}

// descendsFrom reports whether process pid (a /proc entry name) has
// ancestor among its parents, following /proc/<pid>/stat's ppid.
func descendsFrom(pid string, ancestor int) bool {
	for range 16 {
		b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		if err != nil {
			return false
		}
		// pid (comm) state ppid …: comm may hold spaces, so cut after ')'.
		_, rest, ok := strings.Cut(string(b), ") ")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 2 {
			return false
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil || ppid <= 1 {
			return false
		}
		if ppid == ancestor {
			return true
		}
		pid = strconv.Itoa(ppid)
	}
	return false
}

// The run's browser is launched for the run: a first caller whose
// context has ended launches nothing and leaves the launch to the next
// caller, and a launch does not end with its caller's context.
func TestSharedBrowserLaunchOutlivesTheFirstCallersContext(t *testing.T) {
	t.Parallel()
	cur, err := currentRun()
	require.NoError(t, err)
	r := &testRun{suite: newSuite(cur.suite.env)}
	t.Cleanup(func() { require.NoError(t, r.browser.Close()) })

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = r.sharedBrowser(ended)
	require.ErrorIs(t, err, context.Canceled)

	live, cancelLive := context.WithCancel(context.Background())
	b, err := r.sharedBrowser(live)
	require.NoError(t, err, "a caller with a live context gets a browser after one whose context had ended")
	cancelLive()
	again, err := r.sharedBrowser(context.Background())
	require.NoError(t, err)
	require.Same(t, b, again)
	require.True(t, b.browser.IsConnected(), "the browser outlives the context it was launched under")
}

// What stops the browser from opening a page is known before a sign-in
// creates its task, when it can be: a browser endpoint the environment
// gets wrong, or a launch that failed already.
func TestPageProblemIsKnownBeforeATask(t *testing.T) {
	t.Parallel()
	r := &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarBrowserWSEndpoint: "http://127.0.0.1:1/"}))}
	require.ErrorContains(t, r.pageProblem(options{}), "AGENTTEST_BROWSER_WS_ENDPOINT=http://127.0.0.1:1/ is not a browser endpoint")
	require.False(t, r.launched, "nothing was launched or connected")

	failed := errors.New("agenttest: launch chromium: it failed")
	r = &testRun{suite: newSuite(config.EnvFromMap(nil)), launched: true, browserErr: failed}
	require.ErrorIs(t, r.pageProblem(options{}), failed)

	// Credentials in it are not shown.
	r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarAppURL: "admin:hunter2secretpw@staging.example.com"}))}
	err := r.pageProblem(options{})
	require.ErrorContains(t, err, `is "REDACTED@staging.example.com", not an http(s) URL`)
	require.NotContains(t, err.Error(), "hunter2secretpw")

	for _, bad := range []string{"127.0.0.1:3000", "ftp://127.0.0.1:21", `"http://localhost:3000"`} {
		r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarAppURL: bad}))}
		require.ErrorContains(t, r.pageProblem(options{}), "agenttest: config: AGENTTEST_APP_URL (from the given map) is "+redact.Quote(bad)+", not an http(s) URL: give the app's address with its scheme, such as http://localhost:3000")
	}

	r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarAppURL: "http://127.0.0.1:6000"}))}
	require.ErrorContains(t, r.pageProblem(options{}), "AGENTTEST_APP_URL (from the given map) names port 6000, which browsers refuse to load (one of the Fetch standard's bad ports; Chromium says ERR_UNSAFE_PORT): run the app on another port")

	// A password in the app URL would reach Clerk in redirect_url; the
	// secret key given as the publishable key would be treated as public.
	r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarAppURL: "http://admin:hunter2secretpw@127.0.0.1:3000/"}))}
	err = r.pageProblem(options{})
	require.ErrorContains(t, err, "agenttest: config: AGENTTEST_APP_URL (from the given map) carries user information (user:password@), which Clerk would receive in redirect_url: remove it")
	require.NotContains(t, err.Error(), "hunter2secretpw")
	const secretKey = "sk_test_publishableMixUp0123456789abcdef"
	r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarPublishableKey: secretKey}))}
	err = r.pageProblem(options{})
	require.ErrorContains(t, err, "agenttest: config: CLERK_PUBLISHABLE_KEY (from the given map) holds a secret key (sk_…), not a publishable key: give the instance's publishable key (pk_test_…), and keep the secret key in CLERK_SECRET_KEY only")
	require.NotContains(t, err.Error(), secretKey)

	r = &testRun{suite: newSuite(config.EnvFromMap(map[string]string{config.VarAppURL: "http://localhost:3000/"}))}
	require.NoError(t, r.pageProblem(options{}))
}

// The driver's directory (see cleanEnvDriverDir) is gone once the driver
// runs, so a binary that is killed or times out leaves none behind; one
// that a killed binary left before is removed at the next launch.
func TestLaunchLeavesNoDriverDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the driver runs from its own directory there")
	}
	cur, err := currentRun()
	require.NoError(t, err)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stale := filepath.Join(tmp, driverDirPrefix+"stale")
	fresh := filepath.Join(tmp, driverDirPrefix+"fresh")
	for _, dir := range []string{stale, fresh} {
		require.NoError(t, os.Mkdir(dir, 0o700))
	}
	old := time.Now().Add(-2 * staleDriverDirAge)
	require.NoError(t, os.Chtimes(stale, old, old))

	b, err := launchBrowser(t.Context(), newSuite(cur.suite.env))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	// The browser works without the directory.
	bc, err := b.browser.NewContext()
	require.NoError(t, err)
	page, err := bc.NewPage()
	require.NoError(t, err)
	_, err = page.Goto("data:text/html,<h1>up</h1>")
	require.NoError(t, err)
	require.NoError(t, bc.Close())

	left, err := filepath.Glob(filepath.Join(tmp, driverDirPrefix+"*"))
	require.NoError(t, err)
	require.Equal(t, []string{fresh}, left, "the launch's own directory is gone, the stale one removed, a recent one (another binary's, starting) kept")
}

// A failed launch reads in one line: Playwright's first line and the
// browser's own stderr, not the forty-flag command line of its logs.
func TestLaunchSummaryIsOneLine(t *testing.T) {
	t.Parallel()
	logs := "playwright: target closed: Target page, context or browser has been closed\nBrowser logs:\n\n<launching> /bin/true --disable-field-trial-config --headless --no-sandbox\n<launched> pid=27880\n[pid=27880][err] /bin/true: error while loading shared libraries: libnss3.so: cannot open shared object file\n[pid=27880][out] ignored\n"
	require.Equal(t, "playwright: target closed: Target page, context or browser has been closed | /bin/true: error while loading shared libraries: libnss3.so: cannot open shared object file", launchSummary(logs))
	require.Equal(t, "playwright: Arguments can not specify page to be opened", launchSummary("playwright: Arguments can not specify page to be opened"))
}

// AGENTTEST_BROWSER_PATH naming a program that is no browser fails the
// launch in one line that names it and the check to run.
func TestLaunchOfNoBrowserFailsInOneLine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/true")
	}
	t.Parallel()
	b, err := launchBrowser(t.Context(), newSuite(config.EnvFromMap(map[string]string{config.VarBrowserPath: "/bin/true"})))
	if b != nil {
		require.NoError(t, b.Close())
	}
	require.Error(t, err)
	require.NotContains(t, err.Error(), "\n")
	require.NotContains(t, err.Error(), "--disable-field-trial-config", "the launch's command line")
	require.Contains(t, err.Error(), "agenttest: launch chromium (/bin/true): ")
	require.Contains(t, err.Error(), "check it starts with `/bin/true --headless --version`, or set AGENTTEST_BROWSER_PATH")
}
