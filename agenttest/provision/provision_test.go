package provision

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agenttest/agenttest/agenttest/config"

	"github.com/mxschmitt/playwright-go"
)

// installFakeExecutable writes an executable shell script named name into dir.
func installFakeExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// installIsolate points every location FindBrowser and CheckDriver consult
// at empty temp directories, with PATH holding only pathDir.
func installIsolate(t *testing.T, pathDir string) (driverDir, browsersDir string) {
	t.Helper()
	driverDir = filepath.Join(t.TempDir(), "driver")
	browsersDir = t.TempDir()
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", driverDir)
	t.Setenv("PLAYWRIGHT_BROWSERS_PATH", browsersDir)
	t.Setenv("PLAYWRIGHT_NODEJS_PATH", "")
	t.Setenv("AGENTTEST_BROWSER_PATH", "")
	t.Setenv("PATH", pathDir)
	return driverDir, browsersDir
}

// installFakeDriver lays out the files CheckDriver and FindBrowser read.
func installFakeDriver(t *testing.T, dir, version string) {
	t.Helper()
	pkg := filepath.Join(dir, "package")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"cli.js":        "// fake\n",
		"package.json":  `{"name":"playwright-core","version":"` + version + `"}`,
		"browsers.json": `{"browsers":[{"name":"chromium","revision":"1169"},{"name":"chromium-headless-shell","revision":"1169"},{"name":"firefox","revision":"1482"},{"name":"webkit","revision":"2158","revisionOverrides":{"mac12":"2009"}}]}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	installFakeExecutable(t, dir, "node")
}

func TestDriverVersionMatchesPlaywrightGo(t *testing.T) {
	d, err := playwright.NewDriver(&playwright.RunOptions{DriverDirectory: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := DriverVersion(); got != d.Version || got == "" {
		t.Fatalf("DriverVersion() = %q, playwright-go expects %q", got, d.Version)
	}
}

func TestDriverDir(t *testing.T) {
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", "/some/where")
	if got, err := fromProcess(t).DriverDir(); err != nil || got != "/some/where" {
		t.Fatalf("fromProcess(t).DriverDir() = %q, %v; want /some/where", got, err)
	}
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", "")
	got, err := fromProcess(t).DriverDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("ms-playwright-go", DriverVersion()); !strings.HasSuffix(got, want) {
		t.Fatalf("fromProcess(t).DriverDir() = %q, want it to end in %q", got, want)
	}
}

func TestCheckDriver(t *testing.T) {
	dir, _ := installIsolate(t, t.TempDir())

	err := fromProcess(t).CheckDriver()
	if err == nil {
		t.Fatal("fromProcess(t).CheckDriver() on an empty PLAYWRIGHT_DRIVER_PATH = nil, want an error")
	}
	for _, want := range []string{filepath.Join(dir, "package", "cli.js"), "not installed", "agenttest install"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("fromProcess(t).CheckDriver() = %q, want it to mention %q", err, want)
		}
	}

	installFakeDriver(t, dir, "1.0.0")
	if err := fromProcess(t).CheckDriver(); err == nil || !strings.Contains(err.Error(), "1.0.0") || !strings.Contains(err.Error(), DriverVersion()) {
		t.Errorf("fromProcess(t).CheckDriver() with a wrong version = %v, want both versions named", err)
	}

	installFakeDriver(t, dir, DriverVersion())
	if err := fromProcess(t).CheckDriver(); err != nil {
		t.Errorf("fromProcess(t).CheckDriver() with a complete driver = %v", err)
	}

	if err := os.Remove(filepath.Join(dir, "node")); err != nil {
		t.Fatal(err)
	}
	if err := fromProcess(t).CheckDriver(); err == nil || !strings.Contains(err.Error(), "PLAYWRIGHT_NODEJS_PATH") {
		t.Errorf("fromProcess(t).CheckDriver() without node = %v, want a hint at PLAYWRIGHT_NODEJS_PATH", err)
	}
	t.Setenv("PLAYWRIGHT_NODEJS_PATH", installFakeExecutable(t, t.TempDir(), "mynode"))
	if err := fromProcess(t).CheckDriver(); err != nil {
		t.Errorf("fromProcess(t).CheckDriver() with PLAYWRIGHT_NODEJS_PATH = %v", err)
	}
}

func TestFindBrowserOrder(t *testing.T) {
	pathDir := t.TempDir()
	driverDir, browsersDir := installIsolate(t, pathDir)
	installFakeDriver(t, driverDir, DriverVersion())

	// Nothing anywhere: the error says how to get a browser.
	_, err := fromProcess(t).FindBrowser("")
	if err == nil {
		t.Fatal("FindBrowser with no browser = nil error")
	}
	for _, want := range []string{"apt-get install -y chromium", "AGENTTEST_BROWSER_PATH", "chromium-browser", "google-chrome-stable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("FindBrowser error %q does not mention %q", err, want)
		}
	}

	if _, err := fromProcess(t).FindHeadlessBrowser(""); err == nil || !strings.Contains(err.Error(), "chromium-headless-shell, chrome-headless-shell, chromium,") {
		t.Errorf("FindHeadlessBrowser with no browser = %v, want the headless shells named first", err)
	}

	// 3. A chromium on PATH.
	system := installFakeExecutable(t, pathDir, "google-chrome")
	if got, err := fromProcess(t).FindBrowser("chromium"); err != nil || got != system {
		t.Fatalf("FindBrowser with chromium on PATH = %q, %v; want %q", got, err, system)
	}
	// A headless launch takes a headless shell from PATH first; a launch
	// that may be headed never does.
	if got, err := fromProcess(t).FindHeadlessBrowser("chromium"); err != nil || got != system {
		t.Fatalf("FindHeadlessBrowser with only chrome on PATH = %q, %v; want %q", got, err, system)
	}
	if note := fromProcess(t).HeadlessNote("chromium", system); note != "" {
		t.Errorf("HeadlessNote with no shell = %q, want none", note)
	}
	pathShell := installFakeExecutable(t, pathDir, "chromium-headless-shell")
	if got, err := fromProcess(t).FindHeadlessBrowser(""); err != nil || got != pathShell {
		t.Fatalf("FindHeadlessBrowser with a headless shell on PATH = %q, %v; want %q", got, err, pathShell)
	}
	if note, want := fromProcess(t).HeadlessNote("chromium", system), " (headless runs: "+pathShell+")"; note != want {
		t.Errorf("HeadlessNote with a shell beside the browser = %q, want %q", note, want)
	}
	if got, err := fromProcess(t).FindBrowser("chromium"); err != nil || got != system {
		t.Fatalf("FindBrowser with a headless shell on PATH = %q, %v; want the full browser %q", got, err, system)
	}
	// PATH does not count for firefox.
	if _, err := fromProcess(t).FindBrowser("firefox"); err == nil || !strings.Contains(err.Error(), "--browser firefox") {
		t.Fatalf("FindBrowser(firefox) with only chrome on PATH = %v, want an install hint", err)
	}

	// 2. Playwright's own download beats PATH; an unfinished one does not
	// count; the full Chromium alone is launched by its path.
	full := filepath.Join(browsersDir, "chromium-1169")
	exeDir := filepath.Join(full, "chrome-linux64") // Playwright 1.64's layout
	if runtime.GOARCH == "arm64" {
		exeDir = filepath.Join(full, "chrome-linux-arm64")
	}
	if err := os.MkdirAll(exeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	fullExe := installFakeExecutable(t, exeDir, "chrome")
	if err := os.WriteFile(filepath.Join(full, "INSTALLATION_COMPLETE"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := fromProcess(t).FindBrowser("chromium"); runtime.GOOS == "linux" && (err != nil || got != fullExe) {
		t.Fatalf("FindBrowser with Playwright's full chromium only = %q, %v; want %q", got, err, fullExe)
	}
	shell := filepath.Join(browsersDir, "chromium_headless_shell-1169")
	if err := os.MkdirAll(shell, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := fromProcess(t).FindBrowser("chromium"); runtime.GOOS == "linux" && got != fullExe {
		t.Fatalf("FindBrowser with an incomplete headless shell = %q, want the full chromium %q", got, fullExe)
	}
	if err := os.WriteFile(filepath.Join(shell, "INSTALLATION_COMPLETE"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := fromProcess(t).FindBrowser("chromium"); err != nil || got != "" {
		t.Fatalf("FindBrowser with Playwright's chromium = %q, %v; want \"\" (Playwright's default)", got, err)
	}
	if got, err := fromProcess(t).FindHeadlessBrowser("chromium"); err != nil || got != "" {
		t.Fatalf("FindHeadlessBrowser with Playwright's chromium = %q, %v; want \"\" (Playwright's default)", got, err)
	}
	// A revision of another driver does not count.
	if err := os.MkdirAll(filepath.Join(browsersDir, "firefox-1000"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(browsersDir, "firefox-1000", "INSTALLATION_COMPLETE"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fromProcess(t).FindBrowser("firefox"); err == nil {
		t.Fatal("FindBrowser(firefox) accepted another driver's revision")
	}

	// 1. AGENTTEST_BROWSER_PATH beats everything, for every kind.
	mine := installFakeExecutable(t, t.TempDir(), "my-browser")
	t.Setenv("AGENTTEST_BROWSER_PATH", mine)
	for _, kind := range []string{"", "chromium", "firefox", "webkit"} {
		if got, err := fromProcess(t).FindBrowser(kind); err != nil || got != mine {
			t.Errorf("FindBrowser(%q) with AGENTTEST_BROWSER_PATH = %q, %v; want %q", kind, got, err, mine)
		}
		if got, err := fromProcess(t).FindHeadlessBrowser(kind); err != nil || got != mine {
			t.Errorf("FindHeadlessBrowser(%q) with AGENTTEST_BROWSER_PATH = %q, %v; want %q", kind, got, err, mine)
		}
	}

	// ... and must name an executable file.
	notExec := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{notExec, filepath.Join(t.TempDir(), "missing"), t.TempDir()} {
		t.Setenv("AGENTTEST_BROWSER_PATH", bad)
		if _, err := fromProcess(t).FindBrowser(""); err == nil || !strings.Contains(err.Error(), "AGENTTEST_BROWSER_PATH") {
			t.Errorf("FindBrowser with AGENTTEST_BROWSER_PATH=%s = %v, want an error naming the variable", bad, err)
		}
	}

	if _, err := fromProcess(t).FindBrowser("netscape"); err == nil || !strings.Contains(err.Error(), "chromium, firefox or webkit") {
		t.Errorf("FindBrowser(netscape) = %v, want the accepted kinds listed", err)
	}
}

func TestInstallReadyMachineOnlyPrintsReady(t *testing.T) {
	driverDir, _ := installIsolate(t, t.TempDir())
	installFakeDriver(t, driverDir, DriverVersion())
	browser := installFakeExecutable(t, t.TempDir(), "chromium")
	t.Setenv("AGENTTEST_BROWSER_PATH", browser)

	var out bytes.Buffer
	if err := Install(t.Context(), Options{Settings: fromProcess(t), Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "ready") || !strings.Contains(got, browser) {
		t.Fatalf("Install on a ready machine printed %q, want one ready line naming %s", got, browser)
	}
}

func TestInstallRefusesUnknownBrowser(t *testing.T) {
	if err := Install(t.Context(), Options{Settings: fromProcess(t), Browser: "lynx"}); err == nil || !strings.Contains(err.Error(), "lynx") {
		t.Fatalf("Install(lynx) = %v, want an error naming it", err)
	}
}

func TestInstallRefusesForeignDriverDir(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), "new")
	installFakeDriver(t, tmp, DriverVersion())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thesis.tex"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := place(tmp, dir)
	if err == nil || !strings.Contains(err.Error(), "thesis.tex") {
		t.Fatalf("installPlace over a foreign directory = %v, want a refusal naming its content", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "thesis.tex")); err != nil {
		t.Fatalf("installPlace touched a foreign directory: %v", err)
	}
}

// installNeedsNPM skips the test when npm or node is missing or under -short.
func installNeedsNPM(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: gets playwright-core from the npm registry")
	}
	for _, tool := range []string{"npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not on PATH (install Node.js and npm to run this test)", tool)
		}
	}
}

// installCheckDriver checks the driver Install left in dir: CheckDriver
// passes, it runs, it carries playwright-go's patch, and no temporary
// sibling is left.
func installCheckDriver(t *testing.T, dir, node string) {
	t.Helper()
	if err := fromProcess(t).CheckDriver(); err != nil {
		t.Fatalf("CheckDriver after Install: %v", err)
	}
	v, err := exec.Command(node, filepath.Join(dir, "package", "cli.js"), "--version").Output()
	if err != nil || !strings.Contains(string(v), "Version "+DriverVersion()) {
		t.Fatalf("driver --version = %q, %v", v, err)
	}
	bundle, err := os.ReadFile(filepath.Join(dir, "package", "lib", "coreBundle.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bundle, []byte("pageError.location?.url")) || bytes.Contains(bundle, []byte("pageError.location.url")) {
		t.Error("coreBundle.js lacks playwright-go's guard for page errors without a location")
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("driver parent holds %v, want only %s", names, filepath.Base(dir))
	}
}

// TestInstallDriverDownload runs playwright-go's own download against a
// local npm registry that serves the real playwright-core archive (with
// PLAYWRIGHT_NODEJS_PATH set, playwright-go fetches no Node.js).
func TestInstallDriverDownload(t *testing.T) {
	installNeedsNPM(t)
	packDir := t.TempDir()
	if out, err := exec.Command("npm", "pack", "playwright-core@"+DriverVersion(), "--pack-destination", packDir, "--silent", "--prefer-offline").CombinedOutput(); err != nil {
		t.Fatalf("npm pack: %v: %s", err, out)
	}
	archive := "/playwright-core/-/playwright-core-" + DriverVersion() + ".tgz"
	var gets atomic.Int32
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != archive {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodGet {
			gets.Add(1)
		}
		http.ServeFile(w, r, filepath.Join(packDir, "playwright-core-"+DriverVersion()+".tgz"))
	}))
	t.Cleanup(registry.Close)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache", DriverVersion())
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", dir)
	t.Setenv("PLAYWRIGHT_NODEJS_PATH", node)
	t.Setenv("PLAYWRIGHT_GO_NPM_REGISTRY", registry.URL)
	t.Setenv("AGENTTEST_BROWSER_PATH", installFakeExecutable(t, t.TempDir(), "chromium"))

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Install(ctx, Options{Settings: fromProcess(t), Stdout: &out}); err != nil {
		t.Fatalf("Install: %v\noutput:\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "npm pack") || gets.Load() != 1 {
		t.Errorf("Install did not download the driver from the registry (%d GETs):\n%s", gets.Load(), out.String())
	}
	installCheckDriver(t, dir, node)
}

// TestInstallDriverFromNPM runs the fallback for real: playwright-go's
// download is tried (against a local registry that has no driver, so the
// test does not depend on the network), then npm pack builds the driver
// in an empty PLAYWRIGHT_DRIVER_PATH.
func TestInstallDriverFromNPM(t *testing.T) {
	installNeedsNPM(t)
	// An existing empty driver directory is replaced.
	dir := filepath.Join(t.TempDir(), "cache", DriverVersion())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PLAYWRIGHT_DRIVER_PATH", dir)
	t.Setenv("PLAYWRIGHT_NODEJS_PATH", "")
	noDriver := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(noDriver.Close)
	t.Setenv("PLAYWRIGHT_GO_NPM_REGISTRY", noDriver.URL)
	t.Setenv("NODE_MIRROR", noDriver.URL)
	t.Setenv("AGENTTEST_BROWSER_PATH", installFakeExecutable(t, t.TempDir(), "chromium"))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Install(ctx, Options{Settings: fromProcess(t), Stdout: &out}); err != nil {
		t.Fatalf("Install: %v\noutput:\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "npm pack playwright-core@"+DriverVersion()) {
		t.Errorf("Install did not build the driver with npm pack:\n%s", out.String())
	}
	installCheckDriver(t, dir, filepath.Join(dir, "node"))

	// A second run finds everything in place and says so in one line.
	out.Reset()
	if err := Install(ctx, Options{Settings: fromProcess(t), Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "ready") {
		t.Fatalf("second Install printed %q, want one ready line", got)
	}
}

// fromProcess reads the Settings the way the CLI does, after the test's
// t.Setenv calls.
func fromProcess(t *testing.T) Settings {
	t.Helper()
	env, err := config.LoadEnv()
	if err != nil {
		t.Fatal(err)
	}
	return Load(env)
}
